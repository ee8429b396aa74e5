#!/usr/bin/env node
/**
 * @module The `pytuner` executable (package.json `bin`): runs the CLI on the process's arguments and streams.
 * Nothing is imported statically, so the compile cache is on before the first module of pytuner is compiled, and
 * `pytuner controller` loads only what the controller needs (controllerOnly.ts) instead of the whole CLI.
 */
import * as nodeModule from 'node:module';

// An older Node fails later with errors that do not say why (a named import it lacks, a syntax it lacks): say it here.
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(`pytuner: needs Node.js >= 22.19, this is ${process.version}; in a clone, run it through npm (npm run demo, npx pytuner ...), which uses the Node 24 that npm ci installs\n`);
  process.exit(2);
}

// V8 code cache on disk: NODE_COMPILE_CACHE names the directory (the container image ships one built for its files);
// without it Node uses <tmpdir>/node-compile-cache. Later starts skip most parsing and compiling.
nodeModule.enableCompileCache();

const args = process.argv.slice(2);
// `pytuner report` allocates short-lived parser nodes for every document while it keeps the documents and findings:
// V8 grows its young generation to 3 × 32 MiB or more on a big machine, most of it the report's peak RSS. Kept at
// its initial size it collects more often and copies less: for 2,000 manifests about half the peak RSS (285 → 150 MB)
// and less CPU in same-minute runs (bench/report-scale.ts). Set before anything is loaded, so it holds from the start.
// Each of those ~1,450 collections (10,000 manifests) has about 1 MB to copy: too little to share with helper threads,
// whose wake-ups and joins (half the process's futex calls) cost more CPU than they save. Collected on the main
// thread it took 5 % less CPU (35 alternating runs, 24 lower). A larger young generation (--min-semi-space-size)
// cannot be set here: V8 sizes it when the heap is made, before this line.
if (args[0] === 'report') process.getBuiltinModule('node:v8').setFlagsFromString('--semi-space-growth-factor=1 --no-parallel-scavenge');
// No top-level await: the controller's startup snapshot (snapshot.ts) runs every other command through this file with
// require(), which refuses a module that awaits at its top level.
void (async () => {
  const { run, processIo } = args[0] === 'controller' ? await import('./controllerOnly.ts') : await import('./program.ts');
  process.exitCode = await run(args, processIo());
})();
