// The Grafana dashboard the chart ships (charts/pytuner/dashboards/pytuner.json) against a real Prometheus scraping
// real controllers on the harness's API server: every PromQL expression of its panels and every label_values query
// of its variables answers with at least one series. The expressions are read from the JSON, not copied. Also: the
// pytuner_recommendation gauges carry the values the TuningRecommendation holds, and a deleted workload's series go.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { RunningController } from '../../src/controller/main.ts';
import { adminClients, uniqueNamespace } from './harness/kube.ts';
import { repoRoot } from './harness/paths.ts';
import { instantQuery, startScrapingPrometheus, type RunningPrometheus } from './harness/prometheus.ts';
import { GUNICORN_1X8, create, knativeService, metricValue, operations, recommendation, startTestController, tuningPolicy } from './controller.support.ts';

const poll = { timeout: 30_000, interval: 250 };
const DASHBOARD = resolve(repoRoot, 'charts/pytuner/dashboards/pytuner.json');

interface Panel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}
interface Dashboard {
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: string | { query: string } }[] };
}

/** Every panel's PromQL, with its title, rows' nested panels included. */
function panelQueries(panels: readonly Panel[]): { title: string; expr: string }[] {
  return panels.flatMap((p) => [
    ...(p.targets ?? []).flatMap((t) => (t.expr === undefined ? [] : [{ title: p.title ?? '(untitled)', expr: t.expr }])),
    ...panelQueries(p.panels ?? []),
  ]);
}

/**
 * What Grafana does to an expression before sending it: variables replaced, here by what "All" sends (`.*`, the
 * variables' allValue) and $__rate_interval by a window that holds several scrapes at the test's 1 s interval.
 */
function substitute(expr: string): string {
  return expr.replaceAll('$__rate_interval', '15s').replaceAll('$namespace', '.*').replaceAll('$workload', '.*');
}

/** label_values(selector, label) of a query variable, as the PromQL that lists the label's values. */
function labelValuesQuery(query: string): string {
  const match = /^label_values\((.+),\s*(\w+)\)$/.exec(query.trim());
  if (match === null) throw new Error(`the dashboard variable query ${query} is not label_values(selector, label)`);
  return `count by (${match[2]}) (${match[1]})`;
}

let prometheus: RunningPrometheus | undefined;
afterAll(() => prometheus?.stop());

describe('Grafana dashboard', () => {
  it('every PromQL query of the dashboard returns series from a Prometheus scraping the controller', async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as Dashboard;
    const queries = panelQueries(dashboard.panels);
    expect(queries.length).toBeGreaterThanOrEqual(10);
    for (const variable of dashboard.templating.list.filter((v) => v.type === 'query')) {
      const query = typeof variable.query === 'string' ? variable.query : variable.query!.query;
      queries.push({ title: `variable ${variable.name}`, expr: labelValuesQuery(query) });
    }

    // Recommendations: two services whose containerConcurrency (80, 40) should be gunicorn's 8 slots.
    const shop = await uniqueNamespace('ctl-dash');
    await create(knativeService(shop, 'orders', { containerConcurrency: 80, args: GUNICORN_1X8 }));
    await create(knativeService(shop, 'carts', { containerConcurrency: 40, args: GUNICORN_1X8 }));
    await create(tuningPolicy(shop, 'default', { mode: 'Recommend' }));
    const controller = await startTestController(shop);
    // Errors (the dashboard's errors panel): a second controller whose policy reads a Prometheus that is not there.
    const broken = await uniqueNamespace('ctl-dash-err');
    await create(knativeService(broken, 'search', { containerConcurrency: 80, args: GUNICORN_1X8 }));
    await create(tuningPolicy(broken, 'measured', { mode: 'Recommend', metrics: { prometheusUrl: 'http://127.0.0.1:9', profile: 'knative', window: '2h' } }));
    const failing = await startTestController(broken, { metricsTimeoutMs: 1_000 });

    const orders = await vi.waitFor(async () => {
      const rec = await recommendation(shop, 'service-orders');
      expect(rec?.status?.recommendations?.find((v) => v.setting === 'containerConcurrency')).toBeDefined();
      expect((await recommendation(shop, 'service-carts'))?.status?.recommendations?.length ?? 0).toBeGreaterThan(0);
      return rec!;
    }, poll);
    await vi.waitFor(async () => expect(metricValue((await operations(failing.port, '/metrics')).body, 'pytuner_errors_total{type="metrics_query"}')).toBeGreaterThanOrEqual(1), poll);

    prometheus = await startScrapingPrometheus({ targets: [controller, failing].map((c: RunningController) => `127.0.0.1:${c.port}`), intervalSeconds: 1 });
    const url = prometheus.url;
    await vi.waitFor(async () => {
      const empty: string[] = [];
      for (const { title, expr } of queries) {
        const series = await instantQuery(url, substitute(expr), Date.now() / 1000);
        if (series.length === 0) empty.push(`${title}: ${expr}`);
      }
      expect(empty).toEqual([]);
    }, poll);

    // The gauges say what the TuningRecommendation says.
    const value = orders.status!.recommendations!.find((v) => v.setting === 'containerConcurrency')!;
    const gauge = async (type: string) =>
      (await instantQuery(url, `pytuner_recommendation{namespace="${shop}", workload="orders", kind="Service", setting="containerConcurrency", type="${type}"}`, Date.now() / 1000)).map((s) => s.value);
    expect(await gauge('recommended')).toEqual([value.value]);
    expect(await gauge('current')).toEqual([value.current]);
    expect([value.value, value.current]).toEqual([8, 80]);
    const confidence = await instantQuery(url, `pytuner_recommendation_confidence{namespace="${shop}", workload="orders", setting="containerConcurrency"}`, Date.now() / 1000);
    expect(confidence.map((s) => s.value)).toEqual([value.confidence]);

    // A deleted workload's series go from /metrics, and from Prometheus at its next scrape (a stale marker).
    await adminClients().objects.delete({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'carts', namespace: shop } });
    await vi.waitFor(async () => {
      const text = (await operations(controller.port, '/metrics')).body;
      expect(text.split('\n').filter((l) => l.startsWith('pytuner_recommendation') && l.includes('workload="carts"'))).toEqual([]);
      expect(text).toContain('workload="orders"');
    }, poll);
    await vi.waitFor(async () => {
      expect(await instantQuery(url, `pytuner_recommendation{namespace="${shop}", workload="carts"}`, Date.now() / 1000)).toEqual([]);
      expect(await instantQuery(url, `pytuner_recommendation{namespace="${shop}", workload="orders"}`, Date.now() / 1000)).not.toEqual([]);
    }, poll);
    // Two controllers, a Prometheus and several rounds of scrapes: more than the default minute on a busy machine.
  }, 120_000);
});
