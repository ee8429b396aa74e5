// `pytuner report -o html` in a real browser: the built CLI writes the page from a real Prometheus's series
// (test/support/metricsReport.ts), and Debian's headless Chromium loads it offline. The page must load without a
// console error or a request of any kind, list the workloads, and draw each recommendation curve with its series.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.ts';
import { EXAMPLE_STEPS, EXAMPLE_WORKLOADS, startExamplePrometheus } from '../support/metricsReport.ts';
import { pytuner } from './run.ts';

const PREDICTED = 'predicted p95 (model)';
const OBSERVED = 'observed steps (Prometheus)';

describe('pytuner report -o html in Chromium', () => {
  let work: string;
  let browser: Browser;
  let page: Page;
  let html: string;
  const consoleErrors: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'pytuner-html-'));
    const { prometheus, args } = await startExamplePrometheus();
    try {
      const run = pytuner(['report', ...args, '-o', 'html']);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      html = run.stdout;
    } finally {
      await prometheus.stop();
    }
    const file = join(work, 'report.html');
    writeFileSync(file, html);
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    const url = pathToFileURL(file).href;
    page.on('request', (request) => {
      if (request.url() !== url) requests.push(request.url());
    });
    await page.goto(url, { waitUntil: 'load' });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('is one document that loads with no console error and no request', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|src=|url\(/i);
    expect(consoleErrors).toEqual([]);
    expect(requests).toEqual([]);
  });

  it('lists the workloads in the summary table', async () => {
    const rows = await page.locator('table.summary tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-workload')));
    expect(rows).toEqual(expect.arrayContaining([...EXAMPLE_WORKLOADS]));
    const orders = page.locator('table.summary tr[data-workload="Service/shop/orders"] td');
    await expect(orders.first().textContent()).resolves.toBe('Service shop/orders');
  });

  it('draws each curve: the prediction as two lines, every observed step as a dot on both panels, the objective and the recommended setting', async () => {
    for (const workload of EXAMPLE_WORKLOADS) {
      const figure = page.locator(`section[data-workload="${workload}"] figure.curve`);
      await expect(figure.count()).resolves.toBe(1);
      // Throughput above, p95 below: one polyline each.
      await expect(figure.locator(`g[data-series="${PREDICTED}"] polyline`).count()).resolves.toBe(2);
      const predictedDots = await figure.locator(`g[data-series="${PREDICTED}"] circle`).count();
      expect(predictedDots).toBeGreaterThanOrEqual(2 * 10);
      expect(predictedDots % 2).toBe(0);
      // Every simulated step had traffic and a latency histogram: each is one observed point, drawn on both panels.
      await expect(figure.locator(`g[data-series="${OBSERVED}"] circle`).count()).resolves.toBe(2 * EXAMPLE_STEPS.length);
      await expect(figure.locator(`g[data-series="${OBSERVED}"] polyline`).count()).resolves.toBe(0);
      await expect(figure.locator('line[stroke-dasharray]').count()).resolves.toBe(1);
      await expect(figure.locator('text', { hasText: /^objective / }).count()).resolves.toBe(1);
      const setting = workload.startsWith('Service/') ? 'containerConcurrency' : 'requests in flight per pod';
      await expect(figure.locator(`g[data-mark^="recommended: ${setting} "] path`).count()).resolves.toBe(2);
      const caption = await figure.locator('figcaption').textContent();
      expect(caption).toContain(`. ${setting}: `);
      expect(caption).toMatch(/^Objective: p95 ≤ \d+ ms \(.+\)\. .+, recommended \d+/);
      // The plot is drawn: it has a size on the page.
      const box = await figure.locator('svg').boundingBox();
      expect(box?.width).toBeGreaterThan(400);
    }
  });

  it('shows every finding of each workload with its evidence', async () => {
    for (const workload of EXAMPLE_WORKLOADS) {
      const findings = page.locator(`section[data-workload="${workload}"] .finding`);
      const rules = await findings.evaluateAll((divs) => divs.map((d) => d.getAttribute('data-rule')));
      expect(rules).toContain('metrics.threads');
      // The derivation: the baseline, the objective, the fit, the CPU per request, each citing its PromQL.
      await expect(page.locator(`section[data-workload="${workload}"] .finding[data-rule="metrics.threads"] li`).count()).resolves.toBeGreaterThan(2);
    }
  });
});
