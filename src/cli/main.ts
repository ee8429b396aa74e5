#!/usr/bin/env node
/**
 * @module The `pytuner` executable (package.json `bin`): runs the CLI on the process's arguments and streams.
 * Nothing is imported statically, so the compile cache is on before the first module of pytuner is compiled, and
 * `pytuner controller` loads only what the controller needs (controllerOnly.ts) instead of the whole CLI.
 */
import { enableCompileCache } from 'node:module';

// V8 code cache on disk: NODE_COMPILE_CACHE names the directory (the container image ships one built for its files);
// without it Node uses <tmpdir>/node-compile-cache. Later starts skip most parsing and compiling.
enableCompileCache();

// `pytuner report | head` closes stdout early: that is the reader's choice, not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

const args = process.argv.slice(2);
const { run } = args[0] === 'controller' ? await import('./controllerOnly.ts') : await import('./program.ts');
process.exitCode = await run(args, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
