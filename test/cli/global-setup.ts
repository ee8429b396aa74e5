/**
 * Makes sure the real Python servers the importtime tests run are installed (Debian's python3-flask, gunicorn and
 * uvicorn, through scripts/install-python-lab.sh, a no-op when present), then builds pytuner once (`tsc -p tsconfig.build.json`, what `npm run build` runs) so the CLI tests run
 * the same `dist/cli/main.js` that package.json `bin` installs. A clean `dist/` first: a module deleted from
 * `src/` must not linger in the build and hide a broken import.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT } from './run.ts';

export default function setup(): void {
  installPythonLab();
  installChromium();
  buildOnce();
}

/** Debian's chromium for the `-o html` page test (report-html.test.ts); a no-op when installed. */
function installChromium(): void {
  const install = spawnSync('bash', [join(ROOT, 'scripts/install-chromium.sh')], { encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`scripts/install-chromium.sh failed (exit ${install.status}):\n${install.stdout}${install.stderr}`);
}

function installPythonLab(): void {
  const install = spawnSync('bash', [join(ROOT, 'scripts/install-python-lab.sh')], { encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`scripts/install-python-lab.sh failed (exit ${install.status}):\n${install.stdout}${install.stderr}`);
}

function buildOnce(): void {
  rmSync(join(ROOT, 'dist'), { recursive: true, force: true });
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  if (!existsSync(BIN)) {
    throw new Error(`tsc -p tsconfig.build.json wrote no dist/cli/main.js (exit ${build.status}):\n${build.stdout}${build.stderr}`);
  }
  // tsc emits despite type errors; `tsc -p tsconfig.json` is the type gate, so here they are shown, not fatal.
  if (build.status !== 0) console.warn(`tsc -p tsconfig.build.json reported type errors:\n${build.stdout}${build.stderr}`);
}
