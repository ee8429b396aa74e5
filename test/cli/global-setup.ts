/**
 * Builds pytuner once (`tsc -p tsconfig.build.json`, what `npm run build` runs) so the CLI tests run
 * the same `dist/cli/main.js` that package.json `bin` installs. A clean `dist/` first: a module deleted from
 * `src/` must not linger in the build and hide a broken import.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT } from './run.ts';

export default function buildOnce(): void {
  rmSync(join(ROOT, 'dist'), { recursive: true, force: true });
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  if (!existsSync(BIN)) {
    throw new Error(`tsc -p tsconfig.build.json wrote no dist/cli/main.js (exit ${build.status}):\n${build.stdout}${build.stderr}`);
  }
  // tsc emits despite type errors; `tsc -p tsconfig.json` is the type gate, so here they are shown, not fatal.
  if (build.status !== 0) console.warn(`tsc -p tsconfig.build.json reported type errors:\n${build.stdout}${build.stderr}`);
}
