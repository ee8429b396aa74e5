import { describe, expect, it } from 'vitest';
import { binomial, CapacityModel, concurrencyForThroughput, largestConcurrencyWithin, latencySigma, loadDependentMva, lognormalSigma, normalCdf, singleServerMva } from './capacity.ts';
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

  it('models an event loop as a threaded worker: one core shared by its connections, which spread over the workers', () => {
    const one = new CapacityModel(CPU_BOUND, { workers: 1, model: 'loop' });
    const four = new CapacityModel(CPU_BOUND, { workers: 4, model: 'loop' });
    expect(one.predict(12).meanLatency).toBeCloseTo(12 / singleServerMva(0.04, 0.005, 12)[12]!, 12);
    expect(four.predict(12)).toEqual(new CapacityModel(CPU_BOUND, { workers: 4, model: 'threads' }).predict(12));
    // Four loops on 2 vCPU serve more than one (measured behind the queue-proxy: 3 UvicornWorkers 612 req/s, one 410).
    expect(four.predict(12).throughput).toBeGreaterThan(1.5 * one.predict(12).throughput);
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

describe('the requests in flight that serve a throughput (the CPU bound, Little with the model latency)', () => {
  const demands: Demands = { cpuSeconds: 0.02, ioSeconds: 0.08, vcpus: 1, latencySigma: 0.3 };

  it('is the fewest in flight whose throughput reaches it', () => {
    // By hand, one PS core (20 ms) plus an 80 ms delay: X(1) = 1 / 0.1 = 10, queue 0.2; X(2) = 2 / (0.02 × 1.2 + 0.08)
    // = 19.23, queue 19.23 × 0.024 = 0.4615; X(3) = 3 / (0.02 × 1.4615 + 0.08) = 27.46 ≥ 25.
    const p = concurrencyForThroughput(new CapacityModel(demands, { workers: 1, model: 'threads' }), 25, 64)!;
    expect(p.concurrency).toBe(3);
    expect(p.throughput).toBeCloseTo(27.465, 2);
    expect(p.meanLatency).toBeCloseTo(0.10923, 4);
    expect(concurrencyForThroughput(new CapacityModel(demands, { workers: 1, model: 'threads' }), 19, 64)!.concurrency).toBe(2);
  });

  it('is undefined when the shape never serves it within the search (one core never passes 1 / 20 ms = 50 req/s)', () => {
    expect(concurrencyForThroughput(new CapacityModel(demands, { workers: 1, model: 'threads' }), 51, 200)).toBeUndefined();
    expect(concurrencyForThroughput(new CapacityModel(demands, { workers: 1, model: 'threads' }), 25, 2)).toBeUndefined();
  });
});

describe('free-threaded threads', () => {
  const demands: Demands = { cpuSeconds: 0.02, ioSeconds: 0.08, vcpus: 2, latencySigma: 0.3 };

  it('run two requests on two cores without contention, where one GIL-bound worker shares one core', () => {
    // Two cores, two requests: each has a core, X = 2 / (0.02 + 0.08) = 20. With the GIL: 2 / 0.104 = 19.23 (see above).
    expect(new CapacityModel(demands, { workers: 1, model: 'threads', freeThreaded: true }).predict(2).throughput).toBeCloseTo(20, 9);
    expect(new CapacityModel(demands, { workers: 1, model: 'threads' }).predict(2).throughput).toBeCloseTo(2 / 0.104, 9);
  });

  it('use every vCPU from one worker, whatever the worker count: CPU-bound, 2 cores serve 2 / 40 ms = 50 req/s', () => {
    const cpuBound: Demands = { cpuSeconds: 0.04, ioSeconds: 0, vcpus: 2, latencySigma: 0.3 };
    expect(new CapacityModel(cpuBound, { workers: 1, model: 'threads', freeThreaded: true }).predict(8).throughput).toBeCloseTo(50, 9);
    expect(new CapacityModel(cpuBound, { workers: 3, model: 'threads', freeThreaded: true }).predict(8).throughput).toBeCloseTo(50, 9);
    expect(new CapacityModel(cpuBound, { workers: 1, model: 'threads' }).predict(8).throughput).toBeCloseTo(25, 9);
  });

  it('leave sync workers and event loops as they are (a process or a loop runs one request at a time)', () => {
    const sync = (freeThreaded: boolean) => new CapacityModel(demands, { workers: 2, model: 'sync', freeThreaded }).predict(5);
    const loop = (freeThreaded: boolean) => new CapacityModel(demands, { workers: 2, model: 'loop', freeThreaded }).predict(5);
    expect(sync(true)).toEqual(sync(false));
    expect(loop(true)).toEqual(loop(false));
  });
});
