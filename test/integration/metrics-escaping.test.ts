// Strings from workloads and policies reach PromQL only as escaped string literals, proven against a real Prometheus
// (2.42, backfilled with promtool): series whose label values hold quotes, backslashes, newlines and PromQL syntax
// written to break out of the literal (`"} or vector(1) #`, `", name=~".+`) are each found by the matchers and the
// query templates pytuner builds, exactly that series and nothing else, and the whole metrics feeder reads a
// Deployment named that way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrometheusClient, type PrometheusClient } from '../../src/input/metrics/client.ts';
import { collectObservations, type CollectWindow } from '../../src/input/metrics/collect.ts';
import { fillTemplate, matchers, selector } from '../../src/input/metrics/promql.ts';
import type { WorkloadObservations } from '../../src/model/observations.ts';
import { counterFamily, openMetricsDocument } from './harness/openMetrics.ts';
import { startPrometheus, type RunningPrometheus } from './harness/prometheus.ts';
import { APP_TEMPLATES, expectedSamples, kubernetesSeries, mergeDocuments, type SeriesOptions, type WorkloadLoad } from '../support/series.ts';
import { SIM_BOUNDS, simulatedSteps } from '../support/seriesFromSim.ts';

const STEP = 300;
const DURATION = 3600;
const START = Math.floor((Date.now() / 1000 - 3 * 3600) / 60) * 60;
const WINDOW: CollectWindow = { start: START, end: START + DURATION, stepSeconds: STEP };
const OPTIONS: SeriesOptions = { start: START, stepSeconds: STEP, bounds: SIM_BOUNDS };

/**
 * Label values a workload name, a namespace or a policy field could smuggle into a query. Each would, unescaped, end
 * the string literal and add PromQL of its own: widen the match, add a series, or comment the rest of the query out.
 */
const HOSTILE = [
  'we"ird',
  'back\\slash',
  'trailing\\',
  'new\nline',
  'carriage\rreturn',
  '"} or vector(1) #',
  '\\"} or up #',
  'x", name=~".+',
  "it's",
  '{{name}}',
  '$(id) `id`',
  'tab\there',
  'café ☕',
];

const PROBE = 'pytuner_escape_probe';

/** One series per hostile value, labelled with it twice, valued by its position (1-based) so a wrong match shows. */
function probeSeries(): string {
  const series = HOSTILE.map((value, i) => ({ labels: { namespace: value, name: value }, points: [0, 1, 2].map((k) => ({ t: START + k * 60, value: i + 1 })) }));
  // Decoys a widened match would pick up: same names with a suffix, and a series with no such labels at all.
  const decoys = HOSTILE.map((value) => ({ labels: { namespace: `${value}-decoy`, name: `${value}-decoy` }, points: [{ t: START, value: 1000 }] }));
  return openMetricsDocument([counterFamily(PROBE, 'escaping probe', [...series, ...decoys, { labels: { job: 'other' }, points: [{ t: START, value: 2000 }] }])]);
}

/** A Deployment whose namespace and name are made to break out of a PromQL string. */
const hostileDeployment: WorkloadLoad = {
  namespace: '"} or vector(1) #',
  name: 'new\nline\\"} or up',
  steps: simulatedSteps({ seed: 9, fromRate: 5, toRate: 40, cpuMs: 15, ioMs: 60, workers: 2, threads: 4, vcpus: 1, containerConcurrency: 8, durationSeconds: DURATION, stepSeconds: STEP }),
  vcpus: 1,
};
/** A workload next to it, whose data must not leak into the hostile one's. */
const neighbour: WorkloadLoad = { namespace: 'shop', name: 'orders', steps: simulatedSteps({ seed: 10, fromRate: 50, toRate: 80, cpuMs: 5, ioMs: 20, workers: 1, threads: 8, vcpus: 1, containerConcurrency: 8, durationSeconds: DURATION, stepSeconds: STEP }), vcpus: 1 };

describe('PromQL built from hostile label values, against a real Prometheus', () => {
  let prometheus: RunningPrometheus;
  let client: PrometheusClient;

  beforeAll(async () => {
    prometheus = await startPrometheus({ openMetrics: mergeDocuments([probeSeries(), kubernetesSeries([hostileDeployment, neighbour], OPTIONS)]) });
    client = createPrometheusClient({ url: prometheus.url, timeoutMs: 20_000 });
  });
  afterAll(async () => {
    await client?.close();
    await prometheus?.stop();
  });

  /** The series an instant query finds, as `value` and labels. */
  async function found(promql: string): Promise<Array<{ labels: Record<string, string>; value: number | undefined }>> {
    const result = await client.query(promql, START + 120);
    return result.series.map((s) => ({ labels: s.labels, value: s.points[0]?.[1] }));
  }

  it.each(HOSTILE.map((value, i) => [JSON.stringify(value), value, i + 1] as const))('matchers: %s selects exactly its own series', async (_, value, position) => {
    const promql = selector(`${PROBE}_total`, matchers({ namespace: value, name: value }));
    expect(await found(promql)).toEqual([{ labels: { __name__: `${PROBE}_total`, namespace: value, name: value }, value: position }]);
  });

  it.each(HOSTILE.map((value, i) => [JSON.stringify(value), value, i + 1] as const))('templates: %s fills {{namespace}} and {{name}} as one literal each', async (_, value, position) => {
    const promql = fillTemplate(`sum(${PROBE}_total{namespace="{{namespace}}", name="{{name}}"})`, { namespace: value, name: value, windowSeconds: STEP });
    // sum() of exactly one series is its value; any injected series (vector(1), a widened match, a decoy) would change it.
    expect(await found(promql)).toEqual([{ labels: {}, value: position }]);
  });

  it('the metrics feeder reads a Deployment named to break out of a query, and only its data', async () => {
    const targets = [hostileDeployment, neighbour].map((w) => ({ kind: 'Deployment' as const, namespace: w.namespace, name: w.name, container: 'app' }));
    const { observations } = await collectObservations({ targets }, 'kubernetes', WINDOW, client, { templates: APP_TEMPLATES });
    const key = `Deployment/${hostileDeployment.namespace}/${hostileDeployment.name}`;
    const entry = observations.get(key) as WorkloadObservations;
    expect(entry, JSON.stringify(observations.get(key))).toHaveProperty('samples');
    const expected = expectedSamples(hostileDeployment, OPTIONS, 'little');
    expect(entry.samples.map((s) => s.t)).toEqual(expected.map((s) => s.t));
    entry.samples.forEach((sample, i) => {
      expect(sample.requestRate, `requestRate at step ${i}`).toBeCloseTo(expected[i]!.requestRate, 6);
      expect(sample.instances, `instances at step ${i}`).toBe(expected[i]!.instances);
    });
    // The queries carried the names as escaped literals.
    expect(entry.queries['requestRate']).toContain('namespace="\\"} or vector(1) #"');
    expect(entry.queries['requestRate']).toContain('app="new\\nline\\\\\\"} or up"');
    const neighbourEntry = observations.get('Deployment/shop/orders') as WorkloadObservations;
    expect(neighbourEntry.samples.map((s) => s.requestRate)).not.toEqual(entry.samples.map((s) => s.requestRate));
  });
});
