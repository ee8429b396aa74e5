import { describe, expect, it } from 'vitest';
import { calibrate, fleetRun, instancesNeeded } from './capacity.ts';

describe('calibrate', () => {
  it('CPU from the loaded day, I/O = one-request latency − its CPU, cv from the latency shape', () => {
    const c = calibrate({ baseline: { meanLatency: 0.05, p50: 0.049, p95: 0.06, cpuSecondsPerRequest: 0.01 }, loadedCpuSecondsPerRequest: 0.012, vcpus: 2 });
    expect(c.cpuSeconds).toBe(0.012);
    expect(c.ioSeconds).toBeCloseTo(0.04, 12);
    expect(c.vcpus).toBe(2);
    // p95/mean 1.2 → σ ≈ 0.113; mean/p50 → σ ≈ 0.2; averaged ≈ 0.157, cv = √(e^σ² − 1) ≈ 0.158.
    expect(c.cv).toBeGreaterThan(0.14);
    expect(c.cv).toBeLessThan(0.17);
  });
});

describe('instancesNeeded', () => {
  const calibration = { cpuSeconds: 0.005, ioSeconds: 0.02, cv: 0.1, vcpus: 2 };

  it('containerConcurrency 1: at least 1,200 × 25 ms = 30 instances, a few more for the queue to stay within the objective', () => {
    const r = instancesNeeded(calibration, { name: 'cc 1', config: { workers: 1, threads: 1, concurrency: 1 }, }, 0.04, 1);
    expect(r.instances).toBeGreaterThanOrEqual(30);
    expect(r.instances).toBeLessThan(60);
    expect(r.p95).toBeLessThanOrEqual(0.04);
  });

  it('a fleet one smaller misses the objective: the search found the fewest', () => {
    const config = { workers: 2, threads: 8, concurrency: 8 };
    const r = instancesNeeded(calibration, { name: 'pytuner', config }, 0.04, 1);
    expect(r.p95).toBeLessThanOrEqual(0.04);
    expect(fleetRun(calibration, config, r.instances! - 1, 1).p95).toBeGreaterThan(0.04);
  });
});
