/**
 * The brute-force ground truth with and without a CPU headroom, on an I/O-bound service whose figures follow by hand:
 * 3 ms of CPU a request on 1 vCPU serve at most 1 / 0.003 = 333 req/s, and 0.6 of the vCPU 0.6 / 0.003 = 200 req/s.
 */
import { describe, expect, it } from 'vitest';
import type { Evaluation } from './optimum.ts';
import { DEFAULT_EVALUATION, Evaluator, bruteForce } from './optimum.ts';
import { IO_SMALL } from './testScenario.ts';

/** A generous objective (one request takes about 83 ms, p95 about 160 ms): queueing for the core decides, not the objective. */
const OBJECTIVE = 0.3;

function measured(throughput: number, cpuCores: number, meetsObjective: boolean): Evaluation {
  return { deployment: { workers: 1, threads: 8, containerConcurrency: 8 }, concurrency: 8, throughput, p95: 0.1, cpuCores, meetsObjective };
}

describe('scoreWithin', () => {
  const evaluator = new Evaluator(IO_SMALL, OBJECTIVE);

  it('scales a configuration that uses more CPU than the headroom down to it, and keeps one that uses less', () => {
    expect(evaluator.scoreWithin(measured(100, 1.5, true), 1.2)).toBeCloseTo(80, 9);
    expect(evaluator.scoreWithin(measured(100, 1.0, true), 1.2)).toBe(100);
  });

  it('gives 0 to a configuration that misses the objective, whatever its CPU', () => {
    expect(evaluator.scoreWithin(measured(100, 0.5, false), 1.2)).toBe(0);
  });
});

describe('bruteForce within a CPU headroom', () => {
  it('finds the optimum at the whole core without a headroom, and about 200 req/s within 0.6 of it', () => {
    const evaluator = new Evaluator(IO_SMALL, OBJECTIVE, { ...DEFAULT_EVALUATION, completions: 2000 });
    const best = bruteForce(evaluator)!;
    expect(best.meetsObjective).toBe(true);
    expect(best.throughput).toBeGreaterThan(0.9 * 333);
    expect(best.cpuCores).toBeGreaterThan(0.9);

    const within = (e: Evaluation) => evaluator.scoreWithin(e, 0.6);
    const bestWithin = bruteForce(evaluator, within)!;
    expect(within(bestWithin)).toBeGreaterThan(0.97 * 200);
    expect(within(bestWithin)).toBeLessThan(1.03 * 200);
    // 16 in flight at about 83 ms each serve about 190 req/s, under the headroom: all of it counts.
    const under = evaluator.evaluate({ workers: 1, threads: 16, containerConcurrency: 16 });
    expect(under.cpuCores).toBeLessThan(0.6);
    expect(within(under)).toBe(under.throughput);
    expect(within(under)).toBeLessThan(within(bestWithin));
  });
});
