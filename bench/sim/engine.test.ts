import { describe, expect, it } from 'vitest';
import { simulate } from './engine.ts';
import { bucketIndex, exactQuantile, histogramQuantile, LATENCY_BUCKETS } from './histogram.ts';
import { toObservations } from './observations.ts';
import { mulberry32, sampler, stream } from './random.ts';
import { platformParams } from './scenarios.ts';
import type { SimParams } from './types.ts';

/** 60 ms I/O-bound requests, as in the gunicorn 20.1 measurement the keep-alive model reproduces. */
const IO_BOUND = { cpuSeconds: { kind: 'lognormal', mean: 0.001, cv: 0.5 }, ioSeconds: { kind: 'lognormal', mean: 0.06, cv: 0.3 } } as const;
const CPU_ONLY = { cpuSeconds: { kind: 'constant', value: 0.05 }, ioSeconds: { kind: 'constant', value: 0 } } as const;

function closed(server: SimParams['server'], concurrency: number, request: SimParams['request'], extra: Partial<SimParams> = {}): SimParams {
  return {
    seed: 1,
    server,
    request,
    load: { kind: 'closed', concurrency, rampSeconds: 0, requestsPerConnection: Infinity },
    durationSeconds: 60,
    warmupSeconds: 2,
    stepSeconds: 10,
    keepAliveSeconds: 2,
    ...extra,
  };
}

describe('simulation', () => {
  it('reproduces the keep-alive measurement: 2 workers × 4 threads serve about half of 2 × 16 with 8 connections', () => {
    const small = simulate(closed({ workers: 2, threads: 4, vcpus: 2 }, 8, IO_BOUND)).summary.throughput;
    const large = simulate(closed({ workers: 2, threads: 16, vcpus: 2 }, 8, IO_BOUND)).summary.throughput;
    // Measured with gunicorn 20.1: 63 req/s and 128 req/s (ratio 0.49): the 8 connections land on one worker.
    expect(small).toBeGreaterThan(55);
    expect(small).toBeLessThan(72);
    expect(large).toBeGreaterThan(120);
    expect(large).toBeLessThan(136);
    expect(small / large).toBeGreaterThan(0.4);
    expect(small / large).toBeLessThan(0.6);
  });

  it('caps one worker at one core whatever its threads (the GIL), while sync workers use every vCPU', () => {
    const gil = simulate(closed({ workers: 1, threads: 8, vcpus: 4 }, 8, CPU_ONLY)).summary;
    expect(gil.cpuCoresPerInstance).toBeCloseTo(1, 6);
    expect(gil.throughput).toBeCloseTo(20, 0);
    const sync = simulate(closed({ workers: 4, threads: 1, vcpus: 4 }, 8, CPU_ONLY)).summary;
    expect(sync.cpuCoresPerInstance).toBeCloseTo(4, 6);
    expect(sync.throughput).toBeCloseTo(80, 0);
  });

  it('shares the cores among more workers than vCPU', () => {
    const run = simulate(closed({ workers: 4, threads: 1, vcpus: 2 }, 4, CPU_ONLY)).summary;
    expect(run.cpuCoresPerInstance).toBeCloseTo(2, 6);
    expect(run.throughput).toBeCloseTo(40, 0);
    expect(run.meanLatency).toBeCloseTo(0.1, 3);
  });

  it('conserves requests: completions never exceed arrivals, per step and in total', () => {
    const run = simulate({
      seed: 3,
      server: { workers: 1, threads: 8, vcpus: 1 },
      request: IO_BOUND,
      load: { kind: 'open', rate: (t) => (t < 60 ? 50 : 400), peakRate: 400 },
      platform: platformParams('cloudrun', 20),
      durationSeconds: 180,
      warmupSeconds: 0,
      stepSeconds: 10,
      keepAliveSeconds: 2,
    });
    let arrived = 0;
    let completed = 0;
    for (const step of run.steps) {
      arrived += step.arrived;
      completed += step.completed;
      expect(completed).toBeLessThanOrEqual(arrived);
      expect(step.buckets.reduce((a, b) => a + b, 0)).toBe(step.completed);
    }
    expect(run.summary.completed).toBe(completed);
    expect(run.summary.arrived).toBe(arrived);
    expect(arrived - completed).toBeLessThan(0.05 * arrived);
  });

  it('scales instances out under load and keeps in-flight per instance under containerConcurrency', () => {
    const run = simulate({
      seed: 4,
      server: { workers: 1, threads: 16, vcpus: 1 },
      request: IO_BOUND,
      load: { kind: 'open', rate: () => 600, peakRate: 600 },
      platform: platformParams('knative', 16),
      durationSeconds: 240,
      warmupSeconds: 0,
      stepSeconds: 30,
      keepAliveSeconds: 2,
    });
    const last = run.steps.at(-1)!;
    // 600 req/s × 61 ms ≈ 37 in flight; target 16 × 70% ≈ 11 per instance → about 4 instances.
    expect(last.instances).toBeGreaterThanOrEqual(3);
    expect(last.instances).toBeLessThanOrEqual(6);
    for (const step of run.steps) expect(step.inflightPerInstance).toBeLessThanOrEqual(16);
    expect(run.steps.flatMap((s) => s.startupLatencies).length).toBeGreaterThan(0);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const params = closed({ workers: 2, threads: 8, vcpus: 2 }, 12, IO_BOUND, { load: { kind: 'closed', concurrency: 12, rampSeconds: 1, requestsPerConnection: 20 } });
    expect(simulate(params).summary).toEqual(simulate(params).summary);
    expect(simulate({ ...params, seed: 2 }).summary.p95).not.toBe(simulate(params).summary.p95);
  });
});

describe('histograms', () => {
  it('puts a latency in the bucket whose upper bound is the first at or above it', () => {
    expect(bucketIndex(0.005)).toBe(0);
    expect(bucketIndex(0.0051)).toBe(1);
    expect(bucketIndex(1000)).toBe(LATENCY_BUCKETS.length);
  });

  it('interpolates quantiles inside a bucket as Prometheus histogram_quantile does', () => {
    const counts = new Array<number>(LATENCY_BUCKETS.length + 1).fill(0);
    counts[1] = 50; // (0.005, 0.01]
    counts[2] = 50; // (0.01, 0.02]
    expect(histogramQuantile(0.5, counts)).toBeCloseTo(0.01, 9);
    expect(histogramQuantile(0.75, counts)).toBeCloseTo(0.015, 9);
    expect(histogramQuantile(0.5, new Array<number>(LATENCY_BUCKETS.length + 1).fill(0))).toBeUndefined();
    counts[LATENCY_BUCKETS.length] = 900;
    expect(histogramQuantile(0.99, counts)).toBe(100);
  });

  it('takes exact quantiles by nearest rank', () => {
    expect(exactQuantile([5, 1, 4, 2, 3], 0.5)).toBe(3);
    expect(exactQuantile([5, 1, 4, 2, 3], 0.95)).toBe(5);
    expect(exactQuantile([], 0.5)).toBeNaN();
  });
});

describe('random numbers', () => {
  it('draws lognormals with the requested mean', () => {
    const draw = sampler({ kind: 'lognormal', mean: 0.04, cv: 0.6 }, stream(9, 1));
    let sum = 0;
    for (let i = 0; i < 100_000; i++) sum += draw();
    expect(sum / 100_000).toBeCloseTo(0.04, 3);
  });

  it('gives independent streams per purpose', () => {
    expect(stream(1, 1)()).not.toBe(stream(1, 2)());
    expect(mulberry32(7)()).toBe(mulberry32(7)());
  });
});

describe('observations from a run', () => {
  it('reports per-instance rate, concurrency, CPU and bucketed latency per step', () => {
    const run = simulate(closed({ workers: 1, threads: 8, vcpus: 2 }, 4, IO_BOUND, { durationSeconds: 30, warmupSeconds: 0, stepSeconds: 10 }));
    const observations = toObservations(run, { target: { kind: 'Service', namespace: 'ns', name: 'api' }, profile: 'knative', start: 1000 });
    expect(observations.window).toEqual({ start: 1000, end: 1030, stepSeconds: 10 });
    expect(observations.samples.map((s) => s.t)).toEqual([1010, 1020, 1030]);
    const sample = observations.samples[1]!;
    expect(sample.instances).toBe(1);
    expect(sample.concurrencyPerInstance).toBeCloseTo(4, 1);
    expect(sample.requestRate).toBeCloseTo(4 / 0.061, -1);
    expect(sample.latencyMean).toBeCloseTo(0.061, 2);
    expect(sample.latencyP50).toBeGreaterThan(0.04);
    expect(sample.latencyP50).toBeLessThanOrEqual(0.08);
    expect(sample.cpuCoresPerInstance).toBeCloseTo(sample.requestRate! * 0.001, 2);
  });
});
