// The metrics feeder against a real Prometheus: series that a simulated Python service would have produced, written
// under each profile's names, labels and units, backfilled with promtool; collectObservations must read back the
// numbers the series imply (rates, percentiles within bucket interpolation, per-instance concurrency and CPU).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricsUnavailable, WorkloadObservations } from '../../src/model/observations.ts';
import { observationKey } from '../../src/model/observations.ts';
import { createPrometheusClient, type PrometheusClient } from '../../src/input/metrics/client.ts';
import { collectObservations, type CollectWindow } from '../../src/input/metrics/collect.ts';
import type { MetricsTarget } from '../../src/input/metrics/target.ts';
import { startPrometheus, type RunningPrometheus } from './harness/prometheus.ts';
import type { ExpectedSample, SeriesOptions, StepLoad, WorkloadLoad } from '../support/series.ts';
import { APP_TEMPLATES, STARTUP_BOUNDS, cloudRunSeries, expectedSamples, histogramQuantile, knativeLegacySeries, knativeSeries, kubernetesSeries, mergeDocuments } from '../support/series.ts';
import { SIM_BOUNDS, simulatedSteps } from '../support/seriesFromSim.ts';

const STEP = 300;
const DURATION = 3600;
// Whole minutes, three hours back: the window is passed explicitly, so "now" never matters.
const START = Math.floor((Date.now() / 1000 - 3 * 3600) / 60) * 60;
const WINDOW: CollectWindow = { start: START, end: START + DURATION, stepSeconds: STEP };
const OPTIONS: SeriesOptions = { start: START, stepSeconds: STEP, bounds: SIM_BOUNDS };

// Two services with known costs: CPU-heavy on 1 vCPU and I/O-heavy on 2, both ramping up so the autoscaler adds instances.
const CPU_HEAVY = simulatedSteps({ seed: 3, fromRate: 5, toRate: 60, cpuMs: 20, ioMs: 40, workers: 1, threads: 4, vcpus: 1, containerConcurrency: 4, durationSeconds: DURATION, stepSeconds: STEP });
const IO_HEAVY = simulatedSteps({ seed: 5, fromRate: 10, toRate: 40, cpuMs: 4, ioMs: 120, workers: 2, threads: 8, vcpus: 2, containerConcurrency: 16, durationSeconds: DURATION, stepSeconds: STEP });

/** Cloud Run's start-ups, fixed so the p99 is known: three instances started in the window. */
const STARTUPS = [3.2, 7.5, 12];
const withStartups = (steps: StepLoad[]): StepLoad[] => steps.map((s, i) => ({ ...s, startupLatencies: i === 4 ? STARTUPS : [] }));

const orders: WorkloadLoad = { namespace: 'shop', name: 'orders', steps: CPU_HEAVY, vcpus: 1 };
const cart: WorkloadLoad = { namespace: 'shop', name: 'cart', steps: IO_HEAVY, vcpus: 2, pods: 3, resetAfterStep: 5 };
const legacyOrders: WorkloadLoad = { namespace: 'legacy', name: 'orders', steps: CPU_HEAVY, vcpus: 1 };
const checkout: WorkloadLoad = { namespace: '123456789012', name: 'checkout', steps: withStartups(IO_HEAVY), vcpus: 2 };
const searchEu: WorkloadLoad = { namespace: '123456789012', name: 'search', steps: CPU_HEAVY, vcpus: 1, location: 'europe-west1' };
const searchUs: WorkloadLoad = { namespace: '123456789012', name: 'search', steps: IO_HEAVY, vcpus: 1, location: 'us-central1' };
const api: WorkloadLoad = { namespace: 'apps', name: 'api', steps: IO_HEAVY, vcpus: 2 };
// Label values a Kubernetes name cannot have, but a Prometheus label can: they must reach PromQL escaped.
const odd: WorkloadLoad = { namespace: 'we"ird\\ns', name: 'odd"na\\me', steps: CPU_HEAVY, vcpus: 1 };

// Traffic stops for two steps while the pod stays up: the queue-proxy's gauge keeps the in-flight count of the last request.
const IDLE_STEPS = new Set([6, 7]);
const idleAt = (steps: StepLoad[]): StepLoad[] => steps.map((s, i) => (IDLE_STEPS.has(i) ? { ...s, completed: 0, buckets: s.buckets.map(() => 0), latencySum: 0, inflightPerInstance: 0, waitingPerInstance: 0, cpuSecondsPerInstance: 0 } : s));
const pausing: WorkloadLoad = { namespace: 'pausing', name: 'orders', steps: idleAt(CPU_HEAVY), vcpus: 1, pods: 1 };
const legacyPausing: WorkloadLoad = { ...pausing, namespace: 'legacy-pausing' };

const target = (w: WorkloadLoad, kind: MetricsTarget['kind'], extra: Partial<MetricsTarget> = {}): MetricsTarget => ({ kind, namespace: w.namespace, name: w.name, ...extra });

function observed(entry: WorkloadObservations | MetricsUnavailable | undefined): WorkloadObservations {
  if (entry === undefined) throw new Error('no entry');
  if ('reason' in entry) throw new Error(`metrics unavailable: ${entry.reason}`);
  return entry;
}

/** Every expected field of every step, to 9 significant digits (both sides are floating-point sums of the same numbers). */
function expectSamplesToMatch(actual: WorkloadObservations, expected: ExpectedSample[], fields: ReadonlyArray<keyof ExpectedSample>): void {
  expect(actual.samples.map((s) => s.t)).toEqual(expected.map((s) => s.t));
  actual.samples.forEach((sample, i) => {
    const want = expected[i] as ExpectedSample;
    for (const field of fields) {
      const value = want[field];
      if (value === undefined) expect(sample[field as keyof typeof sample], `${field} at step ${i}`).toBeUndefined();
      else expect(sample[field as keyof typeof sample], `${field} at step ${i}`).toBeCloseTo(value, 9 - Math.max(0, Math.ceil(Math.log10(Math.abs(value) + 1e-12))));
    }
  });
}

const ALL_FIELDS = ['requestRate', 'instances', 'latencyP50', 'latencyP95', 'latencyP99', 'latencyMean', 'concurrencyPerInstance', 'cpuCoresPerInstance', 'breakerInFlightPerInstance'] as const;

describe('collectObservations against a real Prometheus', () => {
  let prometheus: RunningPrometheus;
  let client: PrometheusClient;

  beforeAll(async () => {
    prometheus = await startPrometheus({
      openMetrics: mergeDocuments([
        knativeSeries([orders, cart, pausing], OPTIONS, 'pod-labels'),
        knativeLegacySeries([legacyOrders, legacyPausing], OPTIONS),
        cloudRunSeries([checkout, searchEu, searchUs], OPTIONS),
        kubernetesSeries([api, odd], OPTIONS),
      ]),
    });
    client = createPrometheusClient({ url: prometheus.url, timeoutMs: 20_000 });
  });
  afterAll(async () => {
    await client?.close();
    await prometheus?.stop();
  });

  it('reads Knative ≥ 1.21 series (pod labels relabelled at scrape time), through a counter reset', async () => {
    const { observations } = await collectObservations({ targets: [target(orders, 'Service', { container: 'user-container' }), target(cart, 'Service')] }, 'knative', WINDOW, client);
    const got = observed(observations.get('Service/shop/orders'));
    expect(got.profile).toBe('knative');
    expect(got.window).toEqual(WINDOW);
    expectSamplesToMatch(got, expectedSamples(orders, OPTIONS, 'little'), ALL_FIELDS);
    expect(got.cpuLimitCores).toBe(1);
    expect(got.gaps).toEqual(['startupLatencyP99: Knative exports no container start-up latency metric']);
    expect(got.queries['requestRate']).toBe('sum by (namespace, serving_knative_dev_service) (rate(http_server_request_duration_seconds_count{namespace="shop", kn_route_tag!=""}[300s]))');
    // The autoscaler added instances: per-instance values divide by more than one.
    expect(Math.max(...got.samples.map((s) => s.instances ?? 0))).toBeGreaterThan(2);

    // cart's counters restart after step 5; rate() counts from the new value, so every step is still exact.
    const cartGot = observed(observations.get('Service/shop/cart'));
    expectSamplesToMatch(cartGot, expectedSamples(cart, OPTIONS, 'little'), ALL_FIELDS);
    expect(cartGot.cpuLimitCores).toBe(2);
    expect(cartGot.gaps).toEqual(['startupLatencyP99: Knative exports no container start-up latency metric']);
  });

  it('reads Knative ≤ 1.18 series in milliseconds as seconds', async () => {
    const { observations } = await collectObservations({ targets: [target(legacyOrders, 'Service', { container: 'user-container' })] }, 'knative-legacy', WINDOW, client);
    const got = observed(observations.get('Service/legacy/orders'));
    expect(got.profile).toBe('knative-legacy');
    expectSamplesToMatch(got, expectedSamples(legacyOrders, OPTIONS, 'little'), ALL_FIELDS);
    expect(got.samples[5]?.latencyP95).toBeLessThan(5); // seconds, not milliseconds
  });

  it('reads the queue-proxy breaker gauge only at steps with requests, not the value an idle pod keeps', async () => {
    for (const [w, profile, gauge] of [[pausing, 'knative', 'kn_serving_queue_depth'], [legacyPausing, 'knative-legacy', 'revision_queue_depth']] as const) {
      const { observations } = await collectObservations({ targets: [target(w, 'Service', { container: 'user-container' })] }, profile, WINDOW, client);
      const got = observed(observations.get(`Service/${w.namespace}/orders`));
      const expected = expectedSamples(w, OPTIONS, 'little');
      expectSamplesToMatch(got, expected, ALL_FIELDS);
      // The series hold the last busy step's value through the idle steps; the observations leave those steps out.
      const held = await client.query(`${gauge}{${profile === 'knative' ? 'namespace' : 'namespace_name'}="${w.namespace}"}`, START + 7 * STEP);
      expect(held.series.map((s) => s.points[0]?.[1])).toEqual([expect.closeTo(expected[5]!.breakerInFlightPerInstance! * w.steps[5]!.instances, 9)]);
      expect([...IDLE_STEPS].map((i) => got.samples.find((s) => s.t === START + (i + 1) * STEP)?.breakerInFlightPerInstance)).toEqual([undefined, undefined]);
      expect(got.samples.find((s) => s.t === START + 9 * STEP)?.breakerInFlightPerInstance).toBeGreaterThan(0);
    }
  });

  it('reads Cloud Run under its Managed Prometheus names: ms latencies, utilisation × vCPU, start-up p99, regions', async () => {
    const { observations } = await collectObservations(
      { targets: [target(checkout, 'Service', { platform: 'cloudrun', vcpu: 2 }), target(searchEu, 'Service', { platform: 'cloudrun' }), target(searchUs, 'Service', { namespace: '999', platform: 'cloudrun', vcpu: 1, location: 'us-central1' })] },
      'cloudrun',
      WINDOW,
      client,
    );
    const got = observed(observations.get('Service/123456789012/checkout'));
    expectSamplesToMatch(got, expectedSamples(checkout, OPTIONS, 'little'), ['requestRate', 'instances', 'latencyP50', 'latencyP95', 'latencyP99', 'latencyMean', 'concurrencyPerInstance', 'cpuCoresPerInstance']);
    expect(got.samples.every((s) => s.breakerInFlightPerInstance === undefined)).toBe(true);
    const startupCounts = STARTUP_BOUNDS.map((le, b) => STARTUPS.filter((s) => s <= le && (b === 0 || s > (STARTUP_BOUNDS[b - 1] as number))).length);
    expect(got.startupLatencyP99).toBeCloseTo(histogramQuantile(0.99, [...startupCounts, 0], STARTUP_BOUNDS), 9);
    expect(got.startupLatencyP99).toBeCloseTo(14.85, 9); // rank 0.99 × 3 = 2.97 falls in (10, 15]: 10 + 5 × (2.97 - 2) / 1
    expect(got.gaps).toEqual([
      'breakerInFlight: Cloud Run exports no request queue depth',
      "cpuLimitCores: Cloud Run publishes no CPU limit metric (the manifest's resources.limits.cpu says it)",
    ]);

    // One name in two regions: refused without the manifest's region, read from its region with it.
    expect(observations.get('Service/123456789012/search')).toEqual({
      target: { kind: 'Service', namespace: '123456789012', name: 'search' },
      reason: 'search has series in several locations (europe-west1, us-central1): set the label cloud.googleapis.com/location in the manifest',
    });
    const us = observed(observations.get('Service/999/search'));
    expectSamplesToMatch(us, expectedSamples(searchUs, OPTIONS, 'little'), ['requestRate', 'latencyP95', 'concurrencyPerInstance', 'cpuCoresPerInstance']);
  });

  it('reads Deployments: cAdvisor through the owner chain, kube-state-metrics, and templates with escaped label values', async () => {
    const targets = [target(api, 'Deployment', { container: 'app' }), target(odd, 'Deployment', { container: 'app' })];
    const { observations } = await collectObservations({ targets }, 'kubernetes', WINDOW, client, { templates: APP_TEMPLATES });
    for (const w of [api, odd]) {
      const got = observed(observations.get(observationKey(target(w, 'Deployment'))));
      expect(got.profile).toBe('kubernetes');
      expectSamplesToMatch(got, expectedSamples(w, OPTIONS, 'little'), ['requestRate', 'instances', 'latencyP50', 'latencyP95', 'latencyP99', 'concurrencyPerInstance', 'cpuCoresPerInstance']);
      expect(got.cpuLimitCores).toBe(w.vcpus);
    }
    const got = observed(observations.get(observationKey(target(odd, 'Deployment'))));
    expect(got.queries['requestRate']).toBe('sum(sum(rate(http_requests_total{namespace="we\\"ird\\\\ns", app="odd\\"na\\\\me"}[300s])))');
    expect(got.queries['latencyP95']).toBe('histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="we\\"ird\\\\ns", app="odd\\"na\\\\me"}[300s])))');
    // The sidecar (istio-proxy), the pod total (container="") and the pause container are not the server's CPU.
    expect(got.samples[3]?.cpuCoresPerInstance).toBeCloseTo((CPU_HEAVY[3] as StepLoad).cpuSecondsPerInstance / STEP, 9);
  });

  it('picks each workload\'s profile under auto, and the number of queries does not grow with the workloads', async () => {
    const targets: MetricsTarget[] = [
      target(orders, 'Service', { platform: 'knative', container: 'user-container' }),
      target(checkout, 'Service', { platform: 'cloudrun', vcpu: 2 }),
      target(api, 'Deployment', { platform: 'kubernetes', container: 'app' }),
    ];
    const { observations } = await collectObservations({ targets }, 'auto', WINDOW, client, { templates: APP_TEMPLATES });
    expect([...observations.entries()].map(([key, o]) => [key, 'reason' in o ? o.reason : o.profile])).toEqual([
      ['Service/shop/orders', 'knative'],
      ['Service/123456789012/checkout', 'cloudrun'],
      ['Deployment/apps/api', 'kubernetes'],
    ]);

    const queriesFor = async (targetsOfRun: MetricsTarget[]) => {
      const counting = createPrometheusClient({ url: prometheus.url, timeoutMs: 20_000 });
      try {
        await collectObservations({ targets: targetsOfRun }, 'knative', WINDOW, counting);
        return counting.stats().queries;
      } finally {
        await counting.close();
      }
    };
    const one = await queriesFor([target(orders, 'Service')]);
    const two = await queriesFor([target(orders, 'Service'), target(cart, 'Service')]);
    // 1 name detection + 3 label probes + 8 range queries (concurrency from Little's law, not the autoscaler's
    // gauge, with the whole-request histogram) + 1 instant query (CPU limits) + 1 listing of the latency histogram's
    // `le` bounds, for 1 workload as for 2.
    expect(one).toBe(14);
    expect(two).toBe(one);
  });

  it('without manifests, reports every workload seen in the namespace, with the profile detected', async () => {
    const { observations, errors } = await collectObservations({ namespaces: ['shop'] }, 'auto', WINDOW, client);
    expect(errors).toEqual([]);
    expect([...observations.keys()]).toEqual(['Service/shop/cart', 'Service/shop/orders']);
    const got = observed(observations.get('Service/shop/orders'));
    expect(got.profile).toBe('knative');
    // No manifest names the container: CPU is every container but queue-proxy (only user-container here).
    expectSamplesToMatch(got, expectedSamples(orders, OPTIONS, 'little'), ALL_FIELDS);
  });

  it('escapes a --namespace with quotes and backslashes', async () => {
    const { observations, errors } = await collectObservations({ namespaces: [odd.namespace] }, 'kubernetes', WINDOW, client, { templates: APP_TEMPLATES });
    expect(errors).toEqual([]);
    expect([...observations.keys()]).toEqual(['Deployment/we"ird\\ns/odd"na\\me']);
    const got = observed(observations.get('Deployment/we"ird\\ns/odd"na\\me'));
    expectSamplesToMatch(got, expectedSamples(odd, OPTIONS, 'little'), ['requestRate', 'latencyP95', 'instances']);
  });

  it('says when the profile asked for has no series', async () => {
    const { observations } = await collectObservations({ targets: [target(orders, 'Service')] }, 'knative', { ...WINDOW, start: START - 30 * 86_400, end: START - 29 * 86_400 }, client);
    expect(observations.get('Service/shop/orders')).toEqual({
      target: { kind: 'Service', namespace: 'shop', name: 'orders' },
      reason: `no series kn_serving_invocation_duration_seconds_count in Prometheus between ${new Date((START - 30 * 86_400) * 1000).toISOString()} and ${new Date((START - 29 * 86_400) * 1000).toISOString()}: profile knative cannot read this Prometheus`,
    });
  });
});
