import { describe, expect, it } from 'vitest';
import { MetricsSource, TuningPolicySpec } from '../api/v1alpha1/tuningPolicy.ts';
import type { MetricsTarget } from '../input/metrics/target.ts';
import type { MetricsUnavailable, WorkloadObservations } from '../model/observations.ts';
import { observationKey } from '../model/observations.ts';
import { defaultRecommenderConfig } from '../recommender/types.ts';
import { DAY, syntheticObservations } from '../../test/support/syntheticObservations.ts';
import { metricsWindow, packedObservations, policyBasis, recommenderSettings, targetBasis, type MetricsSnapshot } from './metricsBasis.ts';

const source = (window: string) => MetricsSource.parse({ prometheusUrl: 'http://prometheus.monitoring:9090', window });
const SOURCE = source('168h');
const WHERE = '(profile knative, window 168h, http://prometheus.monitoring:9090)';
const orders: MetricsTarget = { kind: 'Service', namespace: 'shop', name: 'orders', platform: 'knative', container: 'app', vcpu: 1 };
const cart: MetricsTarget = { kind: 'Service', namespace: 'shop', name: 'cart', platform: 'knative', container: 'app', vcpu: 1 };

function snapshot(entries: Array<WorkloadObservations | MetricsUnavailable>, failure?: MetricsSnapshot['failure']): MetricsSnapshot {
  const out: MetricsSnapshot = { source: SOURCE, window: { start: 0, end: 604_800, stepSeconds: 300 }, observations: new Map(entries.map((e) => [observationKey(e.target), e])) };
  if (failure !== undefined) out.failure = failure;
  return out;
}

const observed = (target: MetricsTarget) => syntheticObservations(DAY, { target: { kind: target.kind, namespace: target.namespace!, name: target.name } });

describe('metricsWindow', () => {
  it('ends at now rounded down to a 5 m step and reaches back the policy window', () => {
    expect(metricsWindow(SOURCE, 1_767_225_899_000)).toEqual({ start: 1_767_225_600 - 604_800, end: 1_767_225_600, stepSeconds: 300 });
  });

  it('widens the step to stay within the 11,000 points Prometheus returns, and narrows it to a shorter window', () => {
    expect(metricsWindow(source('2160h'), 1_767_225_600_000)).toMatchObject({ stepSeconds: 707 });
    expect(metricsWindow(source('2m'), 1_767_225_600_000)).toEqual({ start: 1_767_225_480, end: 1_767_225_600, stepSeconds: 120 });
  });

  it('refuses a zero window with a message naming the field', () => {
    expect(metricsWindow(source('0'), 1_767_225_600_000)).toEqual({ error: 'spec.metrics.window "0" is not a positive duration' });
  });
});

describe('recommenderSettings', () => {
  it("passes the window's end and the default bounds, and no objective of its own, for a policy with defaults", () => {
    const settings = recommenderSettings(TuningPolicySpec.parse({}), 1000);
    expect(settings).toEqual({ now: 1000, bounds: defaultRecommenderConfig(1000).bounds });
  });

  it('reads latencySLO, latencyP95Factor and the bounds', () => {
    const spec = TuningPolicySpec.parse({ objectives: { latencySLO: '300ms' }, bounds: { concurrency: { min: 2, max: 40 }, threads: { max: 16 }, workers: { max: 4 } } });
    expect(recommenderSettings(spec, 1000)).toEqual({ now: 1000, latencySloSeconds: 0.3, bounds: { minConcurrency: 2, maxConcurrency: 40, maxThreads: 16, maxWorkers: 4 } });
    expect(recommenderSettings(TuningPolicySpec.parse({ objectives: { latencyP95Factor: 2 } }), 1000)).toMatchObject({ objectiveFactor: 2 });
  });
});

describe('targetBasis', () => {
  it('is True with the number of steps for a workload with observations', () => {
    const entry = observed(orders);
    expect(targetBasis(snapshot([entry]), orders)).toEqual({ basis: { available: true, reason: 'Observed', message: `23 steps of measured load ${WHERE}` }, entry });
  });

  it('names the gaps of what was read', () => {
    const entry = { ...observed(orders), gaps: ['cpuCores: no series container_cpu_usage_seconds_total for shop/orders'] };
    expect(targetBasis(snapshot([entry]), orders).basis.message).toBe(`23 steps of measured load ${WHERE}; missing: cpuCores: no series container_cpu_usage_seconds_total for shop/orders`);
  });

  it.each([
    ['unreachable', 'PrometheusUnreachable'],
    ['timeout', 'PrometheusTimeout'],
    ['http', 'PrometheusError'],
    ['bad-response', 'PrometheusBadResponse'],
    ['internal', 'CollectionFailed'],
  ] as const)('is False with reason %s → %s when a request failed', (kind, reason) => {
    const entry: MetricsUnavailable = { target: { kind: 'Service', namespace: 'shop', name: 'orders' }, reason: 'Prometheus at http://prometheus.monitoring:9090 is unreachable: connect ECONNREFUSED' };
    expect(targetBasis(snapshot([entry], { kind, message: entry.reason }), orders)).toEqual({ basis: { available: false, reason, message: `${entry.reason} ${WHERE}` }, entry });
  });

  it('is False NoData when the workload has no series, or no step with data', () => {
    const none: MetricsUnavailable = { target: { kind: 'Service', namespace: 'shop', name: 'orders' }, reason: 'no series kn_serving_invocation_duration_seconds_bucket' };
    expect(targetBasis(snapshot([none]), orders).basis).toEqual({ available: false, reason: 'NoData', message: `no series kn_serving_invocation_duration_seconds_bucket ${WHERE}` });
    const empty = { ...observed(orders), samples: [], gaps: ['requestRate: no series'] };
    expect(targetBasis(snapshot([empty]), orders).basis).toEqual({ available: false, reason: 'NoData', message: `no step of the window has data ${WHERE}: requestRate: no series` });
  });

  it('gives a workload the collection was not asked for the failure of the collection', () => {
    const result = targetBasis(snapshot([], { kind: 'timeout', message: 'Prometheus did not answer /api/v1/label/__name__/values within 10 s' }), cart);
    expect(result).toEqual({
      basis: { available: false, reason: 'PrometheusTimeout', message: `Prometheus did not answer /api/v1/label/__name__/values within 10 s ${WHERE}` },
      entry: { target: { kind: 'Service', namespace: 'shop', name: 'cart' }, reason: 'Prometheus did not answer /api/v1/label/__name__/values within 10 s' },
    });
  });
});

describe('policyBasis', () => {
  it('counts the workloads with measured load', () => {
    const none: MetricsUnavailable = { target: { kind: 'Service', namespace: 'shop', name: 'cart' }, reason: 'no series' };
    expect(policyBasis(snapshot([observed(orders), none]), [orders, cart])).toEqual({ available: true, reason: 'Observed', message: `1 of 2 workloads have measured load ${WHERE}` });
    expect(policyBasis(snapshot([observed(orders)]), [orders])).toEqual({ available: true, reason: 'Observed', message: `1 of 1 workload has measured load ${WHERE}` });
  });

  it("is False with the first workload's reason when none has measured load", () => {
    const failure = { kind: 'unreachable' as const, message: 'Prometheus at http://prometheus.monitoring:9090 is unreachable: connect ECONNREFUSED' };
    expect(policyBasis(snapshot([], failure), [orders, cart])).toEqual({
      available: false,
      reason: 'PrometheusUnreachable',
      message: `no workload has measured load; Service shop/orders: ${failure.message} ${WHERE}`,
    });
  });

  it('is False NoTargets for a policy that selects nothing', () => {
    expect(policyBasis(snapshot([]), [])).toEqual({ available: false, reason: 'NoTargets', message: 'the policy selects no workload whose metrics could be read' });
  });
});

describe('packedObservations', () => {
  const byKey = (entries: Array<WorkloadObservations | MetricsUnavailable>) => new Map(entries.map((e) => [observationKey(e.target), e]));
  const packedSnapshot = (entries: Array<WorkloadObservations | MetricsUnavailable>) => ({ ...snapshot(entries), observations: packedObservations(byKey(entries)) });

  it('gives targetBasis the same samples, fields absent where they were, and the same conditions', () => {
    const sparse: WorkloadObservations = { ...observed(cart), samples: [{ t: 300, requestRate: 0 }, { t: 600, instances: 2, latencyP95: 0.25, breakerInFlightPerInstance: 1.5 }] };
    const none: MetricsUnavailable = { target: { kind: 'Service', namespace: 'shop', name: 'gone' }, reason: 'no series' };
    const entries = [observed(orders), sparse, none];
    const packed = packedSnapshot(entries);
    for (const target of [orders, cart, { ...cart, name: 'gone' }]) expect(targetBasis(packed, target)).toEqual(targetBasis(snapshot(entries), target));
    expect(targetBasis(packed, cart).entry).toEqual(sparse);
    expect(Object.keys((targetBasis(packed, cart).entry as WorkloadObservations).samples[0]!)).toEqual(['t', 'requestRate']);
    expect(policyBasis(packed, [orders, cart])).toEqual(policyBasis(snapshot(entries), [orders, cart]));
  });

  it("keeps every workload's rows in one buffer, and samples holding NaN (the absent marker) unpacked", () => {
    const withNaN: WorkloadObservations = { ...observed(cart), samples: [{ t: 300, requestRate: Number.NaN }] };
    const packed = packedObservations(byKey([observed(orders), { ...observed(cart), target: { kind: 'Service', namespace: 'shop', name: 'other' } }, withNaN]));
    const views = [...packed.values()].flatMap((e) => ('packedSamples' in e ? [e.packedSamples] : []));
    expect(views).toHaveLength(2);
    expect(views[0]!.buffer).toBe(views[1]!.buffer);
    expect(views[0]!.buffer.byteLength).toBe(2 * 23 * 10 * 8);
    expect(packed.get(observationKey(cart))).toBe(withNaN);
    expect(targetBasis({ ...snapshot([]), observations: packed }, cart).entry).toBe(withNaN);
  });
});
