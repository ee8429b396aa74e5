/**
 * @module The entry of the container image's V8 startup snapshot (scripts/bundle.ts bundles it into one CommonJS
 * script, scripts/runtime-files.ts and the Dockerfile build the blob with the runtime's own Node). At build time it
 * evaluates what `pytuner controller` loads before 'controller starting' (commander, the controller's modules,
 * client-node's kubeconfig code with js-yaml, pino, prom-client); the image's ENTRYPOINT starts Node from that heap
 * (`node --snapshot-blob … --`), so a controller start skips reading, compiling and running that code
 * (bench/startup.ts measures it).
 *
 * What this must not do at build time: open a handle (a socket, a timer, a file) or load node:http, node:https,
 * node:http2 or node:tls (Node aborts the build; the bundle defers them, see scripts/bundle.ts), and read anything of
 * the process that differs at run time (environment, argv, pid, clock, cgroup), which the snapshot would freeze.
 * Every module evaluated here reads those only when called, checked on 2026-12-08 by wrapping process.env, argv,
 * Date.now, Math.random, os, crypto and fs during a build, except what nothing here uses: pino reads process.pid and
 * os.hostname() when loaded for its default `base`, which createLogger (src/controller/log.ts) replaces, and the clock
 * for its isoTimeNano; on-exit-leak-free reads NODE_V8_COVERAGE. test/cli/startup-snapshot.test.ts checks the pid
 * in the log and that the blob holds none of the builder's environment values.
 *
 * Only `controller` runs from the snapshot. Any other command (report, explain, --version) goes to the ES module
 * bundle beside it, with its compile cache, as `node dist/bundle/pytuner.js` would run it: those commands would add
 * their code to every controller start's heap here, and `report` sets its V8 flags before its code loads (main.ts).
 */
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { startupSnapshot } from 'node:v8';
import { processIo, run } from './controllerOnly.ts';
import type { CliIo } from './io.ts';
// Evaluated here, at build time: controllerCommand (controller.ts) imports them before it logs 'controller starting'.
// The reconciler and the policy report writer (imported after ready, if at all) are left to run time: they load
// undici, which reads node:http when loaded.
import '../controller/main.ts';
import { createLogger } from '../controller/log.ts';
import { createMetrics } from '../controller/metrics.ts';

/** The ES module bundle's entry, relative to the snapshot blob's directory (dist/snapshot/ beside dist/bundle/). */
const BUNDLE_ENTRY_FROM_BLOB = '../bundle/pytuner.js';

/** The blob's path, from Node's own command line (`--snapshot-blob <file>` or `--snapshot-blob=<file>`). */
function blobPath(execArgv: readonly string[]): string {
  for (const [index, arg] of execArgv.entries()) {
    if (arg === '--snapshot-blob' && execArgv[index + 1] !== undefined) return execArgv[index + 1] as string;
    if (arg.startsWith('--snapshot-blob=')) return arg.slice('--snapshot-blob='.length);
  }
  throw new Error('pytuner: started from a snapshot without --snapshot-blob in its node options');
}

/**
 * Runs, at build time, code every controller start runs before ready and that touches nothing outside the objects it
 * makes: commander registering and parsing the controller's flags (`controller --help`, written nowhere), a metrics
 * registry and a logger, all thrown away. The snapshot keeps the bytecode V8 compiled for them, which a start would
 * otherwise compile from source (the snapshot's functions have no code cache): CPU to 'caches synced: ready' 139 → 132
 * ms (2026-12-08, medians of 8 starts each, alternating, load 7; same RSS), about 70 ms of wall at 10% of a CPU.
 */
function compileStartPath(): void {
  const nowhere = { write: () => true } as unknown as NodeJS.WritableStream;
  const io: CliIo = {
    stdout: nowhere,
    stderr: nowhere,
    get stdin(): NodeJS.ReadableStream {
      throw new Error('stdin is not read while the startup snapshot is built');
    },
    env: {},
  };
  void run(['controller', '--help'], io);
  createMetrics({ queueDepth: () => 0, findingsByRule: () => new Map(), recommendations: () => [] });
  createLogger({ destination: { write: () => undefined } }).info({ warm: true }, 'compiled while the startup snapshot is built');
}

compileStartPath();

startupSnapshot.setDeserializeMainFunction(() => {
  // Started from a snapshot, argv has no script: [node, ...arguments].
  const args = process.argv.slice(1);
  if (args[0] === 'controller') {
    void run(args, processIo()).then((code) => {
      process.exitCode = code;
    });
    return;
  }
  const entry = resolve(dirname(blobPath(process.execArgv)), BUNDLE_ENTRY_FROM_BLOB);
  // main.ts reads its arguments after the script, as `node dist/bundle/pytuner.js …` gives them.
  process.argv.splice(1, 0, entry);
  createRequire(entry)(entry);
});
