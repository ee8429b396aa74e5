/**
 * @module Observations of a known service, as plain data for the recommender's unit tests: an I/O-bound service
 * (3 ms CPU + 80 ms I/O per request) on one core, seen at chosen per-instance concurrencies, one step each. Latency
 * follows processor sharing on the core (R = io + cpu / (1 − ρ)); percentiles are fixed multiples of the mean.
 */
import type { ObservationSample, WorkloadObservations } from '../../src/model/observations.ts';

/** Seconds per step. */
export const STEP = 60;

/** Quiet hours, then a day's ramp to 60 in flight per instance. */
export const DAY: readonly number[] = [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 1, 2, 3, 4, 6, 8, 10, 12, 16, 20, 24, 28, 32, 40, 48, 56, 60];

export interface SyntheticOptions {
  /** Include CPU per instance (default true). */
  cpu?: boolean;
  instances?: number;
  startupP99?: number;
  target?: WorkloadObservations['target'];
  /** The queue-proxy breaker's in-flight count per instance at a step with `n` in flight (Knative's queue depth). */
  breakerInFlight?: (n: number) => number;
}

/** The service's observations at `levels` in flight per instance. */
export function syntheticObservations(levels: readonly number[], options: SyntheticOptions = {}): WorkloadObservations {
  const cpu = 0.003;
  const io = 0.08;
  const instances = options.instances ?? 2;
  const samples: ObservationSample[] = levels.map((n, i) => {
    // Solve n = X × (io + cpu / (1 − X·cpu)) for the throughput X by bisection.
    let lo = 0;
    let hi = 1 / cpu;
    for (let k = 0; k < 100; k++) {
      const x = (lo + hi) / 2;
      if (x * (io + cpu / (1 - x * cpu)) < n) lo = x;
      else hi = x;
    }
    const mean = n / lo;
    const sample: ObservationSample = { t: (i + 1) * STEP, requestRate: lo * instances, instances, concurrencyPerInstance: n, latencyMean: mean, latencyP50: 0.87 * mean, latencyP95: 2 * mean, latencyP99: 3 * mean };
    if (options.cpu !== false) sample.cpuCoresPerInstance = lo * cpu;
    if (options.breakerInFlight !== undefined) sample.breakerInFlightPerInstance = options.breakerInFlight(n);
    return sample;
  });
  const observations: WorkloadObservations = {
    target: options.target ?? { kind: 'Service', namespace: 'shop', name: 'api' },
    profile: 'knative',
    window: { start: 0, end: levels.length * STEP, stepSeconds: STEP },
    samples,
    queries: { cpuCoresPerInstance: 'sum by (service) (rate(container_cpu_usage_seconds_total[1m]))', latencyP95: 'histogram_quantile(0.95, sum by (le) (rate(kn_serving_invocation_duration_seconds_bucket[1m])))' },
    gaps: [],
  };
  if (options.startupP99 !== undefined) observations.startupLatencyP99 = options.startupP99;
  return observations;
}
