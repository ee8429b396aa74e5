import { describe, expect, it } from 'vitest';
import { binomial, CapacityModel, largestConcurrencyWithin, latencySigma, loadDependentMva, lognormalSigma, normalCdf, singleServerMva } from './capacity.ts';
import type { Demands } from './capacity.ts';

const IO_BOUND: Demands = { cpuSeconds: 0.003, ioSeconds: 0.08, vcpus: 1, latencySigma: 0.5 };
const CPU_BOUND: Demands = { cpuSeconds: 0.04, ioSeconds: 0.005, vcpus: 2, latencySigma: 0.5 };

describe('mean value analysis', () => {
  it('gives one request its whole cost, and saturates one core at 1 / CPU', () => {
    const x = singleServerMva(0.04, 0.01, 200);
    expect(x[1]).toBeCloseTo(1 / 0.05, 9);
    expect(x[200]).toBeCloseTo(25, 6);
    expect(x[2]).toBeGreaterThan(x[1]!);
  });

  it('matches the single-server result with a one-core load-dependent station, and scales with cores', () => {
    expect(loadDependentMva(() => 1 / 0.04, 0.01, 10)).toBeCloseTo(singleServerMva(0.04, 0.01, 10)[10]!, 9);
    expect(loadDependentMva((j) => Math.min(2, j) / 0.04, 0, 40)).toBeCloseTo(50, 6);
  });

  it('has binomial probabilities that sum to 1', () => {
    expect(binomial(30, 0.25).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(binomial(4, 0)).toEqual([1, 0, 0, 0, 0]);
    expect(binomial(2, 1)).toEqual([0, 0, 1]);
  });
});

describe('capacity model', () => {
  it('predicts the uncontended latency at one request in flight', () => {
    const p = new CapacityModel(IO_BOUND, { workers: 1, model: 'threads' }).predict(1);
    expect(p.meanLatency).toBeCloseTo(0.083, 9);
    expect(p.throughput).toBeCloseTo(1 / 0.083, 9);
    // p95 of a lognormal with σ 0.5 and mean 83 ms: 83 × e^(1.645 × 0.5 − 0.125).
    expect(p.p95).toBeCloseTo(0.083 * Math.exp(1.6449 * 0.5 - 0.125), 3);
  });

  it('never predicts more than the GIL allows: min(workers, vCPU) cores', () => {
    expect(new CapacityModel(CPU_BOUND, { workers: 1, model: 'threads' }).predict(64).throughput).toBeLessThanOrEqual(25 + 1e-9);
    expect(new CapacityModel(CPU_BOUND, { workers: 4, model: 'threads' }).predict(64).throughput).toBeLessThanOrEqual(50 + 1e-9);
    expect(new CapacityModel(CPU_BOUND, { workers: 3, model: 'sync' }).predict(64).throughput).toBeLessThanOrEqual(50 + 1e-9);
  });

  it('makes sync workers wait in the backlog beyond one request per worker', () => {
    const sync = new CapacityModel({ ...CPU_BOUND, vcpus: 4 }, { workers: 2, model: 'sync' });
    expect(sync.predict(2).meanLatency).toBeCloseTo(0.045, 9);
    expect(sync.predict(4).meanLatency).toBeCloseTo(0.09, 9);
  });

  it('spreads pinned connections unevenly: two threaded workers lose to two sync workers on CPU-bound work at 2 in flight', () => {
    const threaded = new CapacityModel(CPU_BOUND, { workers: 2, model: 'threads' }).predict(2);
    const sync = new CapacityModel(CPU_BOUND, { workers: 2, model: 'sync' }).predict(2);
    // Half the time both connections sit on one worker and share its core.
    expect(threaded.meanLatency).toBeGreaterThan(sync.meanLatency * 1.2);
    expect(sync.meanLatency).toBeCloseTo(0.045, 9);
  });

  it('gives an event loop every connection of a burst, whatever the worker count', () => {
    const one = new CapacityModel(CPU_BOUND, { workers: 1, model: 'loop' });
    const four = new CapacityModel(CPU_BOUND, { workers: 4, model: 'loop' });
    expect(four.predict(12)).toEqual(one.predict(12));
    expect(one.predict(12).meanLatency).toBeCloseTo(12 / singleServerMva(0.04, 0.005, 12)[12]!, 12);
    // Threaded workers spread the connections at random instead, and so serve more.
    expect(new CapacityModel(CPU_BOUND, { workers: 4, model: 'threads' }).predict(12).throughput).toBeGreaterThan(1.5 * four.predict(12).throughput);
  });

  it('finds the largest concurrency within an objective, or none', () => {
    const model = new CapacityModel(IO_BOUND, { workers: 1, model: 'threads' });
    const objective = 1.5 * model.predict(1).p95;
    const best = largestConcurrencyWithin(model, objective, 1000)!;
    expect(best.p95).toBeLessThanOrEqual(objective);
    expect(model.predict(best.concurrency + 1).p95).toBeGreaterThan(objective);
    expect(best.concurrency).toBeGreaterThan(30);
    expect(largestConcurrencyWithin(model, 0.01, 1000)).toBeUndefined();
    expect(largestConcurrencyWithin(model, 100, 50)?.concurrency).toBe(50);
  });
});

describe('latency shape', () => {
  it('recovers σ from a lognormal p95 / mean and from its median', () => {
    const sigma = 0.6;
    const mean = 0.1;
    const p95 = mean * Math.exp(1.6448536 * sigma - (sigma * sigma) / 2);
    const p50 = mean * Math.exp(-(sigma * sigma) / 2);
    expect(lognormalSigma(p95 / mean)).toBeCloseTo(0.6, 5);
    expect(latencySigma(mean, p95, p50)).toBeCloseTo(0.6, 5);
    expect(latencySigma(mean, p95)).toBeCloseTo(0.6, 5);
  });

  it('has a standard normal CDF accurate to 1e-7', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.6448536)).toBeCloseTo(0.95, 6);
    expect(normalCdf(-1.959964)).toBeCloseTo(0.025, 6);
  });
});
