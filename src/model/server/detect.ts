/**
 * @module Which Python server a container runs and with what settings, from its command line, env and
 * gunicorn.conf.py, as pure functions of strings. Nothing is run: `$(nproc)` stays unknown.
 */
import type { Evidence } from '../evidence.ts';
import type { GunicornConf } from '../image.ts';
import type { ServerConfig } from '../server.ts';
import type { ServerTable } from './argv.ts';
import { findServer } from './argv.ts';
import { SERVER_TABLE, serverPlugin } from './registry.ts';
import type { DetectEnv } from './words.ts';
import { argvWords, scopeFromEnv } from './words.ts';

export type { DetectEnv } from './words.ts';
export { shellWords } from './shell.ts';

/**
 * detectServer reads a container's effective command line (manifest `command`+`args`, Dockerfile
 * ENTRYPOINT+CMD, or a Procfile entry split by `shellWords`) and returns the Python server it starts with its
 * settings, or undefined when it starts none a plug-in (`registry.ts`) declares: nginx, `node server.js`.
 *
 * `evidence` is where the command line came from; its `source` decides how words expand (the kubelet's `$(VAR)` in
 * a manifest, the shell's `$VAR` in `sh -c` and a Procfile, nothing in a Dockerfile exec form). `conf` is the
 * gunicorn.conf.py pytuner read for this container: used when the command has no `-c` (gunicorn loads
 * `./gunicorn.conf.py`) or a `-c` naming that file. `scripts` finds the build-context files the command runs
 * (`./start.sh`, `python app.py`; see `indirect.ts`).
 */
export function detectServer(argv: readonly string[], env: DetectEnv, evidence: Evidence, conf?: GunicornConf, context?: Pick<ServerTable, 'scripts' | 'files'>): ServerConfig | undefined {
  const table = context === undefined ? SERVER_TABLE : { ...SERVER_TABLE, ...context };
  const server = findServer(argvWords(argv, evidence.source, env), scopeFromEnv(env), evidence, table);
  return server === undefined ? undefined : serverPlugin(server.kind).read(server, server.evidence, conf);
}
