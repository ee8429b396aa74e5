// Which profile and which labels, found from the series that exist: the Knative ≥ 1.21 queue-proxy whose service
// is only on target_info (no scrape relabelling), and a cluster that still runs Knative ≤ 1.18.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricsUnavailable, WorkloadObservations } from '../../src/model/observations.ts';
import { createPrometheusClient, type PrometheusClient } from '../../src/input/metrics/client.ts';
import { collectObservations, type CollectWindow } from '../../src/input/metrics/collect.ts';
import { startPrometheus, type RunningPrometheus } from './harness/prometheus.ts';
import type { SeriesOptions, WorkloadLoad } from '../support/series.ts';
import { expectedSamples, knativeLegacySeries, knativeSeries } from '../support/series.ts';
import { SIM_BOUNDS, simulatedSteps } from '../support/seriesFromSim.ts';

const STEP = 300;
const DURATION = 3600;
const START = Math.floor((Date.now() / 1000 - 3 * 3600) / 60) * 60;
const WINDOW: CollectWindow = { start: START, end: START + DURATION, stepSeconds: STEP };
const OPTIONS: SeriesOptions = { start: START, stepSeconds: STEP, bounds: SIM_BOUNDS };
const STEPS = simulatedSteps({ seed: 9, fromRate: 8, toRate: 30, cpuMs: 10, ioMs: 60, workers: 2, threads: 4, vcpus: 2, containerConcurrency: 8, durationSeconds: DURATION, stepSeconds: STEP });
const orders: WorkloadLoad = { namespace: 'shop', name: 'orders', steps: STEPS, vcpus: 2 };
const cart: WorkloadLoad = { namespace: 'shop', name: 'cart', steps: STEPS.map((s) => ({ ...s, completed: s.completed * 2, buckets: s.buckets.map((b) => b * 2), latencySum: s.latencySum * 2 })), vcpus: 2 };

function observed(entry: WorkloadObservations | MetricsUnavailable | undefined): WorkloadObservations {
  if (entry === undefined) throw new Error('no entry');
  if ('reason' in entry) throw new Error(`metrics unavailable: ${entry.reason}`);
  return entry;
}

/** Two running servers: each test file's Prometheus holds one labelling, as a real cluster would. */
async function withPrometheus(openMetrics: string): Promise<{ prometheus: RunningPrometheus; client: PrometheusClient }> {
  const prometheus = await startPrometheus({ openMetrics });
  return { prometheus, client: createPrometheusClient({ url: prometheus.url, timeoutMs: 20_000 }) };
}

describe('Knative ≥ 1.21 with the service on target_info only', () => {
  let server: { prometheus: RunningPrometheus; client: PrometheusClient };
  beforeAll(async () => {
    server = await withPrometheus(knativeSeries([orders, cart], OPTIONS, 'target-info'));
  });
  afterAll(async () => {
    await server?.client.close();
    await server?.prometheus.stop();
  });

  it('joins target_info on (job, instance) and reads the same numbers', async () => {
    const { observations, errors } = await collectObservations({ namespaces: ['shop'] }, 'auto', WINDOW, server.client);
    expect(errors).toEqual([]);
    expect([...observations.keys()]).toEqual(['Service/shop/cart', 'Service/shop/orders']);
    const got = observed(observations.get('Service/shop/orders'));
    expect(got.profile).toBe('knative');
    expect(got.queries['requestRate']).toBe(
      'sum by (k8s_namespace_name, kn_service_name) (rate(http_server_request_duration_seconds_count{kn_route_tag!=""}[300s]) * on (job, instance) group_left (k8s_namespace_name, kn_service_name) target_info{k8s_namespace_name="shop", kn_service_name!=""})',
    );
    const expected = expectedSamples(orders, OPTIONS, 'little');
    expect(got.samples.map((s) => s.requestRate)).toEqual(expected.map((s) => expect.closeTo(s.requestRate, 9)));
    expect(got.samples.map((s) => s.latencyP95)).toEqual(expected.map((s) => expect.closeTo(s.latencyP95 ?? NaN, 9)));
    expect(got.samples.map((s) => s.breakerInFlightPerInstance)).toEqual(expected.map((s) => expect.closeTo(s.breakerInFlightPerInstance ?? NaN, 9)));
    const cartGot = observed(observations.get('Service/shop/cart'));
    expect(cartGot.samples.map((s) => s.requestRate)).toEqual(expected.map((s) => expect.closeTo(s.requestRate * 2, 9)));
  });
});

describe('a cluster on Knative ≤ 1.18', () => {
  let server: { prometheus: RunningPrometheus; client: PrometheusClient };
  beforeAll(async () => {
    server = await withPrometheus(knativeLegacySeries([orders], OPTIONS));
  });
  afterAll(async () => {
    await server?.client.close();
    await server?.prometheus.stop();
  });

  it('is read with the OpenCensus names under auto, with or without manifests', async () => {
    const fromManifest = await collectObservations({ targets: [{ kind: 'Service', namespace: 'shop', name: 'orders', platform: 'knative' }] }, 'auto', WINDOW, server.client);
    expect(observed(fromManifest.observations.get('Service/shop/orders')).profile).toBe('knative-legacy');
    const fromNamespace = await collectObservations({ namespaces: ['shop'] }, 'auto', WINDOW, server.client);
    const got = observed(fromNamespace.observations.get('Service/shop/orders'));
    expect(got.profile).toBe('knative-legacy');
    expect(got.samples.map((s) => s.latencyP99)).toEqual(expectedSamples(orders, OPTIONS, 'little').map((s) => expect.closeTo(s.latencyP99 ?? NaN, 9)));
  });

  it('has nothing for a Cloud Run service: no series of its profile exist', async () => {
    const { observations } = await collectObservations({ targets: [{ kind: 'Service', namespace: '1', name: 'cr', platform: 'cloudrun' }] }, 'auto', WINDOW, server.client);
    expect(observations.get('Service/1/cr')).toEqual({
      target: { kind: 'Service', namespace: '1', name: 'cr' },
      reason: `no metrics for a cloudrun Service: no series run_googleapis_com:request_count in Prometheus between ${new Date(START * 1000).toISOString()} and ${new Date((START + DURATION) * 1000).toISOString()} (profile cloudrun)`,
    });
  });
});
