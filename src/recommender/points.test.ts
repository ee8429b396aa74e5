import { describe, expect, it } from 'vitest';
import type { ObservationSample, WorkloadObservations } from '../model/observations.ts';
import { littleConcurrency, littleLatency, loadPoints, lowConcurrencyBaseline } from './points.ts';
import type { LoadPoint } from './points.ts';

function observations(samples: ObservationSample[]): WorkloadObservations {
  return { target: { kind: 'Service', namespace: 'ns', name: 'api' }, profile: 'knative', window: { start: 0, end: 1000, stepSeconds: 60 }, samples, queries: {}, gaps: [] };
}

const config = { now: 1000, maxAgeSeconds: 1000 };

describe("Little's law", () => {
  it('gives in-flight = rate × mean latency and mean latency = in-flight / rate', () => {
    expect(littleConcurrency(50, 0.2)).toBe(10);
    expect(littleLatency(10, 50)).toBe(0.2);
  });
});

describe('loadPoints', () => {
  it('turns a step into per-instance throughput and keeps the gauge and the mean', () => {
    const { points, dropped } = loadPoints(observations([{ t: 60, requestRate: 100, instances: 4, concurrencyPerInstance: 3, latencyMean: 0.1, latencyP95: 0.3, cpuCoresPerInstance: 0.5 }]), config);
    expect(dropped).toEqual({});
    expect(points).toEqual([{ t: 60, concurrency: 3, throughput: 25, meanLatency: 0.1, p95: 0.3, cpuCores: 0.5, instances: 4 }]);
  });

  it('counts as waiting only what the queue-proxy breaker holds beyond its slots; unknown without the slots', () => {
    const samples: ObservationSample[] = [
      { t: 60, requestRate: 40, instances: 2, concurrencyPerInstance: 4, latencyMean: 0.2, breakerInFlightPerInstance: 4 },
      { t: 120, requestRate: 80, instances: 2, concurrencyPerInstance: 8, latencyMean: 0.2, breakerInFlightPerInstance: 11.5 },
    ];
    expect(loadPoints(observations(samples), config, 8).points.map((p) => p.waiting)).toEqual([0, 3.5]);
    expect(loadPoints(observations(samples), config).points.map((p) => p.waiting)).toEqual([undefined, undefined]);
  });

  it('does not read a stale breaker gauge at a step without traffic (the queue-proxy keeps its last value)', () => {
    const { points, dropped } = loadPoints(observations([{ t: 60, requestRate: 0, instances: 1, latencyMean: 0.2, breakerInFlightPerInstance: 12 }]), config, 8);
    expect(points).toEqual([]);
    expect(dropped).toEqual({ 'no traffic': 1 });
  });

  it("fills a missing concurrency from rate × mean latency, and a missing mean from concurrency / rate (Little's law)", () => {
    const { points } = loadPoints(
      observations([
        { t: 60, requestRate: 40, instances: 2, latencyMean: 0.25 },
        { t: 120, requestRate: 40, instances: 2, concurrencyPerInstance: 4 },
      ]),
      config,
    );
    expect(points[0]).toMatchObject({ concurrency: 5, meanLatency: 0.25, little: 'concurrency' });
    expect(points[1]).toMatchObject({ concurrency: 4, meanLatency: 0.2, little: 'latency' });
  });

  it('drops unknown, NaN, infinite and negative values and counts the steps it cannot use, by reason', () => {
    const { points, dropped } = loadPoints(
      observations([
        { t: 60, requestRate: Number.NaN, instances: 1, latencyMean: 0.1 },
        { t: 120, requestRate: 0, instances: 1, latencyMean: 0.1 },
        { t: 180, requestRate: 10, latencyMean: 0.1 },
        { t: 240, requestRate: 10, instances: 1 },
        { t: 300, requestRate: 10, instances: 1, latencyMean: 0.1, latencyP95: Number.POSITIVE_INFINITY, cpuCoresPerInstance: -1 },
        { t: 5000, requestRate: 10, instances: 1, latencyMean: 0.1 },
      ]),
      config,
    );
    expect(dropped).toEqual({ 'no request rate': 1, 'no traffic': 1, 'no instance count': 1, 'no concurrency and no mean latency': 1, 'outside the window': 1 });
    expect(points).toEqual([{ t: 300, concurrency: 1, throughput: 10, meanLatency: 0.1, instances: 1, little: 'concurrency' }]);
  });
});

describe('lowConcurrencyBaseline', () => {
  const point = (concurrency: number, meanLatency: number, p95: number, throughput = 10): LoadPoint => ({ t: 0, concurrency, throughput, meanLatency, p95, p50: meanLatency * 0.9, instances: 1 });

  it('takes the quietest steps (≤ 0.5 in flight) and weights them by their requests', () => {
    const baseline = lowConcurrencyBaseline([point(0.2, 0.1, 0.2, 10), point(0.3, 0.1, 0.2, 10), point(0.4, 0.2, 0.5, 20), point(5, 1, 3), point(1, 0.5, 1)]);
    expect(baseline).toMatchObject({ concurrency: 0.3, points: 3 });
    expect(baseline!.meanLatency).toBeCloseTo(0.15, 9);
    expect(baseline!.p95).toBeCloseTo(0.35, 9);
    expect(baseline!.p50).toBeCloseTo(0.135, 9);
  });

  it('falls back to steps up to 1.5 in flight, then to the lowest tenth', () => {
    expect(lowConcurrencyBaseline([point(0.2, 0.1, 0.2), point(1, 0.1, 0.2), point(1.4, 0.1, 0.2), point(9, 1, 2)])!.points).toBe(3);
    expect(lowConcurrencyBaseline([point(2, 0.1, 0.2), point(2.5, 0.1, 0.2), point(2.8, 0.1, 0.2), point(9, 1, 2)])).toMatchObject({ concurrency: 2.5, points: 3 });
  });

  it('takes one or two steps at about one request in flight alone rather than filling up with busier ones', () => {
    // By hand, the windows of a Knative day of five quiet 12-s steps each side whose report starts one 60-s rate window
    // in (lab run 8, cpu-bound: 32 ms requests): one window of quiet steps at each end, the next ones averaging four
    // quiet steps and one at 10 in flight (2.8 in flight, p95 0.3 s), then the day.
    const quiet = [point(1, 0.033, 0.05, 30), point(1, 0.034, 0.052, 30)];
    const edges = [point(2.8, 0.1, 0.3, 50), point(2.8, 0.1, 0.31, 50)];
    const baseline = lowConcurrencyBaseline([...quiet, ...edges, point(10, 0.33, 0.5, 30), point(20, 0.66, 0.9, 30)])!;
    expect(baseline).toMatchObject({ concurrency: 1, points: 2 });
    expect(baseline.p95).toBeCloseTo(0.051, 9);
    expect(baseline.meanLatency).toBeCloseTo(0.0335, 9);
    expect(lowConcurrencyBaseline([point(1.2, 0.03, 0.05), ...edges])).toMatchObject({ concurrency: 1.2, points: 1, p95: 0.05 });
  });

  it('is never above the median of the steps at about one request in flight: a window that reaches into other load does not set it', () => {
    // Real Knative-path points (queue-proxy, autoscaler and Prometheus; 60-s rate windows over the 6-s steps of a quick
    // io-bound lab day, 2026-12-07 16:57Z): five windows at up to 0.62 in flight, and one at 1.13 whose window took in
    // the first step at 10 in flight (p95 140 ms, p99 228 ms) and, carrying the most requests, outweighed the rest.
    const window = (concurrency: number, rate: number, instances: number, mean: number, p50: number, p95: number): LoadPoint => ({ t: 0, concurrency, throughput: rate / instances, meanLatency: mean, p50, p95, instances });
    const low = [
      window(0.3325, 5.0794, 0.8889, 0.0582, 0.0633, 0.0856),
      window(0.4242, 6.4623, 0.9, 0.0591, 0.0635, 0.0902),
      window(0.5129, 7.8649, 0.9091, 0.0593, 0.0637, 0.0913),
      window(0.6059, 9.3126, 0.9167, 0.0596, 0.0637, 0.0924),
      window(0.6246, 10.4727, 1, 0.0596, 0.0637, 0.0927),
      window(1.1311, 17.5818, 1, 0.0643, 0.0649, 0.1401),
    ];
    const baseline = lowConcurrencyBaseline([...low, window(2.393, 27.97, 1, 0.0856, 0.0683, 0.2425), window(5.54, 40.29, 1, 0.1375, 0.0853, 0.4098)])!;
    expect(baseline.points).toBe(6);
    // By hand: weighted by requests the p95 would be 106.2 ms; the median of the six is (91.3 + 92.4) / 2.
    expect(baseline.p95).toBeCloseTo(0.09185, 9);
    expect(baseline.meanLatency).toBeCloseTo(0.05945, 9);
    expect(baseline.p50).toBeCloseTo(0.0637, 9);
  });

  it('bounds the quietest steps by the median of all steps at about one request in flight', () => {
    // By hand: three windows at ≤ 0.5 in flight that reach back into slower traffic before the day (p95 101 ms, as run 7's
    // io-bound baseline read) are the quiet steps the baseline prefers; four windows at one request in flight read
    // 73.75 ms (Knative's 50–75 ms bucket). The median of the seven is 73.75 ms, below the quiet steps' 101 ms.
    const before = [point(0.3, 0.06, 0.101), point(0.4, 0.06, 0.101), point(0.5, 0.06, 0.101)];
    const night = [point(1, 0.0524, 0.07375), point(1, 0.0524, 0.07375), point(1, 0.0524, 0.07375), point(1, 0.0524, 0.07375)];
    const baseline = lowConcurrencyBaseline([...before, ...night, point(10, 0.064, 0.094)])!;
    expect(baseline.points).toBe(3);
    expect(baseline.p95).toBeCloseTo(0.07375, 9);
    expect(baseline.meanLatency).toBeCloseTo(0.0524, 9);
  });

  it('has no baseline when the quietest steps are busy (queueing hides the cost of a request) or no step has a p95', () => {
    expect(lowConcurrencyBaseline([point(4, 0.1, 0.2), point(5, 0.1, 0.2), point(6, 0.1, 0.2)])).toBeUndefined();
    expect(lowConcurrencyBaseline([{ t: 0, concurrency: 0.2, throughput: 1, meanLatency: 0.2, instances: 1 }])).toBeUndefined();
  });
});
