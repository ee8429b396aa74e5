import { describe, expect, it } from 'vitest';
import { concurrencyLevels, fitUsl, uslThroughput } from './usl.ts';

const levels = (from: number, to: number, step: number) => Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);

describe('Universal Scalability Law fit', () => {
  it('recovers known coefficients from exact data', () => {
    const truth = { lambda: 100, sigma: 0.05, kappa: 0.001 };
    const fit = fitUsl(levels(1, 60, 1.5).map((n) => ({ concurrency: n, throughput: uslThroughput(truth, n) })))!;
    expect(fit.lambda).toBeCloseTo(100, 4);
    expect(fit.sigma).toBeCloseTo(0.05, 6);
    expect(fit.kappa).toBeCloseTo(0.001, 7);
    expect(fit.r2).toBeCloseTo(1, 9);
    expect(fit.peakConcurrency).toBeCloseTo(Math.sqrt(0.95 / 0.001), 3);
  });

  it('recovers them within tolerance from data with ±3% noise', () => {
    const truth = { lambda: 40, sigma: 0.1, kappa: 0.0005 };
    // Deterministic noise: a fixed pattern of relative errors in [-3%, +3%].
    const noise = [0.03, -0.02, 0.01, -0.03, 0.02, 0, -0.01, 0.025, -0.015, 0.005];
    const data = levels(1, 80, 1).map((n, i) => ({ concurrency: n, throughput: uslThroughput(truth, n) * (1 + noise[i % noise.length]!) }));
    const fit = fitUsl(data)!;
    expect(Math.abs(fit.lambda - 40) / 40).toBeLessThan(0.05);
    expect(Math.abs(fit.sigma - 0.1)).toBeLessThan(0.02);
    expect(Math.abs(fit.kappa - 0.0005)).toBeLessThan(0.0002);
    expect(fit.r2).toBeGreaterThan(0.9);
  });

  it('fits a fully serialised worker (one core, the GIL) as σ = 1: flat throughput', () => {
    const fit = fitUsl(levels(1, 30, 1).map((n) => ({ concurrency: n, throughput: 22 })))!;
    expect(fit.lambda).toBeCloseTo(22, 6);
    expect(fit.sigma).toBeCloseTo(1, 6);
    expect(fit.kappa).toBeCloseTo(0, 6);
  });

  it('needs enough distinct concurrency levels, and ignores averages below one request in flight', () => {
    expect(fitUsl([1, 1.05, 1.1, 1.15].map((n) => ({ concurrency: n, throughput: 10 * n })))).toBeUndefined();
    expect(fitUsl(levels(0.1, 0.9, 0.1).map((n) => ({ concurrency: n, throughput: 10 * n })))).toBeUndefined();
    expect(concurrencyLevels([1, 1.1, 1.2, 1.44, 2, 4])).toBe(5);
  });
});
