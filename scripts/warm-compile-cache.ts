/**
 * @module Fills Node's compile cache (the directory NODE_COMPILE_CACHE names) for a bundle, at image build time: the
 * container image's compile-cache stage runs it with the runtime's own Node at the runtime's own paths, because the
 * cache is keyed by Node version, V8 flags and absolute file path. Node builtins only: the stage has no node_modules.
 *
 *   NODE_COMPILE_CACHE=/app/node-compile-cache node warm-compile-cache.ts /app/dist/bundle/pytuner.js
 *
 * Every chunk is imported, so each gets its V8 code cache (written when this process exits); the entry runs the CLI
 * when loaded, so it runs as two child processes instead, one through the controller's path and one through the CLI's.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const entry = process.argv[2];
if (entry === undefined || process.env['NODE_COMPILE_CACHE'] === undefined) {
  process.stderr.write('usage: NODE_COMPILE_CACHE=<dir> node warm-compile-cache.ts <bundle>/pytuner.js\n');
  process.exit(2);
}
const directory = dirname(entry);
const chunks = readdirSync(directory).filter((file) => file.endsWith('.js') && file !== basename(entry));
for (const chunk of chunks) await import(pathToFileURL(join(directory, chunk)).href);
for (const args of [['controller', '--help'], ['--version']]) {
  const run = spawnSync(process.execPath, [entry, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (run.status !== 0) throw new Error(`${entry} ${args.join(' ')} exited ${run.status ?? run.signal}`);
}
process.stdout.write(`compile cache for ${chunks.length + 1} files of ${directory} in ${process.env['NODE_COMPILE_CACHE']}\n`);
