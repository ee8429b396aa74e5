/**
 * @module Fills Node's compile cache (the directory NODE_COMPILE_CACHE names) for a bundle, at image build time: the
 * container image's compile-cache stage runs it with the runtime's own Node at the runtime's own paths, because the
 * cache is keyed by Node version, V8 flags and absolute file path, and, through the checksum V8 checks, by the startup
 * snapshot the process started from: a cache written by `node pytuner.js` is rejected by `node --snapshot-blob …`
 * and the other way round. So every file is compiled in one child process started with the runtime's own command
 * (the node options after the bundle's path here). Node builtins only: the stage has no node_modules.
 *
 *   NODE_COMPILE_CACHE=/app/node-compile-cache node warm-compile-cache.ts /app/dist/bundle/pytuner.js \
 *     --max-semi-space-size=8 --snapshot-blob /app/dist/snapshot/pytuner.blob --
 *   NODE_COMPILE_CACHE=<dir> node warm-compile-cache.ts <bundle>/pytuner.js     # for `node <bundle>/pytuner.js`
 *
 * The child requires every chunk before the entry runs `--version` (`--require`, which Node runs before a snapshot's
 * main too; the chunks are ES modules without top-level await, which require() loads), so each gets its V8 code cache,
 * written when the child exits. Importing them here instead would key them to this process, which has no snapshot.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

const [entry, ...nodeOptions] = process.argv.slice(2);
if (entry === undefined || process.env['NODE_COMPILE_CACHE'] === undefined) {
  process.stderr.write('usage: NODE_COMPILE_CACHE=<dir> node warm-compile-cache.ts <bundle>/pytuner.js [<node options of the runtime, ending in -- for a snapshot>]\n');
  process.exit(2);
}
const directory = dirname(entry);
const chunks = readdirSync(directory).filter((file) => file.endsWith('.js') && file !== basename(entry));
const scratch = mkdtempSync(join(tmpdir(), 'pytuner-warm-'));
const preload = join(scratch, 'chunks.cjs');
writeFileSync(preload, chunks.map((chunk) => `require(${JSON.stringify(join(directory, chunk))});\n`).join(''));
// With a snapshot, Node's options end in `--` and no script follows (the snapshot's main hands --version to the entry).
const end = nodeOptions.indexOf('--');
const args = end === -1 ? [...nodeOptions, '--require', preload, entry, '--version'] : [...nodeOptions.slice(0, end), '--require', preload, ...nodeOptions.slice(end), '--version'];
const run = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
rmSync(scratch, { recursive: true, force: true });
if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited ${run.status ?? run.signal}`);
process.stdout.write(`compile cache for ${chunks.length + 1} files of ${directory} in ${process.env['NODE_COMPILE_CACHE']}\n`);
