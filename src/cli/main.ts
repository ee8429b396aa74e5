#!/usr/bin/env node
/**
 * @module The `pytuner` executable (package.json `bin`): runs the CLI on the process's arguments and streams.
 */
import { run } from './program.ts';

// `pytuner report | head` closes stdout early: that is the reader's choice, not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
