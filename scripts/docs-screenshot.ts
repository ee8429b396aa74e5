// Writes docs/img/report-html.png, the README's picture of `pytuner report -o html`: the report of
// examples/knative-orders and examples/gke-reports with a real Prometheus's series (test/support/metricsReport.ts, the
// page test's data), opened in Debian's headless Chromium (scripts/install-chromium.sh).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchChromium } from '../test/support/chromium.ts';
import { startExamplePrometheus } from '../test/support/metricsReport.ts';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = join(ROOT, 'docs/img/report-html.png');

const work = mkdtempSync(join(tmpdir(), 'pytuner-screenshot-'));
const { prometheus, args } = await startExamplePrometheus();
try {
  const run = spawnSync(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'report', ...args, '-o', 'html'], { cwd: ROOT, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`pytuner report exited ${run.status}: ${run.stderr}`);
  const page = join(work, 'report.html');
  writeFileSync(page, run.stdout);
  const browser = await launchChromium();
  try {
    const tab = await browser.newPage({ viewport: { width: 1150, height: 1080 } });
    await tab.goto(pathToFileURL(page).href, { waitUntil: 'load' });
    await tab.screenshot({ path: OUT });
  } finally {
    await browser.close();
  }
  console.log(`wrote ${OUT}`);
} finally {
  await prometheus.stop();
  rmSync(work, { recursive: true, force: true });
}
