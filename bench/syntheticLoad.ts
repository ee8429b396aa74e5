/**
 * @module The synthetic load the scale benchmarks write into Prometheus (bench/metrics-scale.ts, bench/scale.ts):
 * one hour at 5-minute steps of a few requests per second, varying by service and step so no two series are alike.
 */
import type { StepLoad } from '../test/support/series.ts';

/** Seconds per step (`--step 5m`). */
export const STEP = 300;
/** Steps per series: one hour. */
export const STEPS = 12;

/** The load of service `i`, step by step. */
export function syntheticSteps(i: number): StepLoad[] {
  return Array.from({ length: STEPS }, (_, s) => {
    const completed = 300 + ((i * 7 + s * 13) % 600);
    const spread = [0.2, 0.4, 0.25, 0.1, 0.04, 0.01, 0];
    return {
      t: (s + 1) * STEP,
      completed,
      buckets: spread.map((f) => Math.round(completed * f)),
      latencySum: completed * 0.12,
      instances: 1 + (i % 3),
      inflightPerInstance: ((completed / STEP) * 0.12) / (1 + (i % 3)),
      cpuSecondsPerInstance: 20 + (i % 10),
      waitingPerInstance: 0,
      startupLatencies: [],
    };
  });
}
