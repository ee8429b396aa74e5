/**
 * @module Observations → load points: one per step with traffic, per instance, with non-finite or negative values
 * dropped (unknown, never zero) and the missing side of Little's law filled in. Every dropped step is counted by reason,
 * so an "insufficient data" finding can say what was wrong with the data.
 */
import type { ObservationSample, WorkloadObservations } from '../model/observations.ts';
import type { RecommenderConfig } from './types.ts';

/** One step of load on one instance (averages over the workload's instances). */
export interface LoadPoint {
  t: number;
  /** Average in-flight requests per instance. */
  concurrency: number;
  /** Requests per second per instance. */
  throughput: number;
  /** Mean latency, seconds (measured, or Little's law from concurrency / throughput). */
  meanLatency: number;
  p50?: number;
  p95?: number;
  p99?: number;
  cpuCores?: number;
  /**
   * Requests waiting in the queue-proxy per instance: what its breaker holds beyond the slots (containerConcurrency,
   * else the server's request slots). Absent when the profile has no breaker gauge or the slots are unknown.
   */
  waiting?: number;
  instances: number;
  /** Which side of Little's law was computed: `concurrency` from rate × mean latency, or `latency` from concurrency / rate. */
  little?: 'concurrency' | 'latency';
}

/** Load points and the steps that could not be used, by reason. */
export interface LoadPoints {
  points: LoadPoint[];
  dropped: Record<string, number>;
}

/** Little's law: in-flight = arrival rate × mean time in the system (L = λW). */
export function littleConcurrency(ratePerSecond: number, meanLatencySeconds: number): number {
  return ratePerSecond * meanLatencySeconds;
}

/** Little's law solved for the mean time in the system: W = L / λ. */
export function littleLatency(concurrency: number, ratePerSecond: number): number {
  return concurrency / ratePerSecond;
}

/** A finite, non-negative value or `undefined` (NaN, ±Inf and negative values from a broken series are unknown). */
function usable(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * Requests waiting in the queue-proxy's breaker per instance: the breaker holds the requests executing (at most
 * `slots`) and those waiting for a slot, so the waiting are those beyond the slots. From a per-instance average of the
 * gauge this is a lower bound (an instance above its slots and one below average out).
 */
export function waitingInBreaker(breakerInFlight: number, slots: number): number {
  return Math.max(0, breakerInFlight - slots);
}

/**
 * The steps of `observations` inside the config's age limit, as per-instance load points. `breakerSlots` is how many
 * requests the queue-proxy lets through at once (containerConcurrency, else the server's request slots), to tell the
 * waiting from the executing in its in-flight gauge.
 */
export function loadPoints(observations: WorkloadObservations, config: Pick<RecommenderConfig, 'now' | 'maxAgeSeconds'>, breakerSlots?: number): LoadPoints {
  const points: LoadPoint[] = [];
  const dropped: Record<string, number> = {};
  const drop = (reason: string) => {
    dropped[reason] = (dropped[reason] ?? 0) + 1;
  };
  for (const sample of observations.samples) {
    if (!Number.isFinite(sample.t) || sample.t > config.now || sample.t < config.now - config.maxAgeSeconds) {
      drop('outside the window');
      continue;
    }
    const point = pointOf(sample, breakerSlots);
    if (typeof point === 'string') drop(point);
    else points.push(point);
  }
  return { points, dropped };
}

function pointOf(sample: ObservationSample, breakerSlots: number | undefined): LoadPoint | string {
  const rate = usable(sample.requestRate);
  const instances = usable(sample.instances);
  if (rate === undefined) return 'no request rate';
  if (rate === 0) return 'no traffic';
  if (instances === undefined || instances === 0) return 'no instance count';
  const throughput = rate / instances;
  const gauge = usable(sample.concurrencyPerInstance);
  const mean = usable(sample.latencyMean);
  let concurrency: number;
  let meanLatency: number;
  let little: LoadPoint['little'];
  if (gauge !== undefined && mean !== undefined) {
    concurrency = gauge;
    meanLatency = mean;
  } else if (gauge !== undefined) {
    concurrency = gauge;
    meanLatency = littleLatency(gauge, throughput);
    little = 'latency';
  } else if (mean !== undefined) {
    concurrency = littleConcurrency(throughput, mean);
    meanLatency = mean;
    little = 'concurrency';
  } else {
    return 'no concurrency and no mean latency';
  }
  if (concurrency === 0 || meanLatency === 0) return 'no traffic';
  const point: LoadPoint = { t: sample.t, concurrency, throughput, meanLatency, instances };
  if (little !== undefined) point.little = little;
  const p50 = usable(sample.latencyP50);
  const p95 = usable(sample.latencyP95);
  const p99 = usable(sample.latencyP99);
  const cpu = usable(sample.cpuCoresPerInstance);
  const inBreaker = usable(sample.breakerInFlightPerInstance);
  if (p50 !== undefined) point.p50 = p50;
  if (p95 !== undefined) point.p95 = p95;
  if (p99 !== undefined) point.p99 = p99;
  if (cpu !== undefined) point.cpuCores = cpu;
  if (inBreaker !== undefined && breakerSlots !== undefined) point.waiting = waitingInBreaker(inBreaker, breakerSlots);
  return point;
}

/** The median of values (`undefined` when empty). */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** How the workload behaves with little contention: the mean and p95 latency at the lowest concurrency seen (request-weighted). */
export interface Baseline {
  /** Median concurrency of the points used. */
  concurrency: number;
  meanLatency: number;
  /** Request-weighted median latency, when the steps report it. */
  p50?: number;
  p95: number;
  points: number;
  /** The steps it was taken from. */
  steps: LoadPoint[];
}

/** Concurrency at or below which a point counts as "low" for the baseline (about one request in flight). */
export const LOW_CONCURRENCY = 1.5;

/** Below half a request in flight, requests almost never share a core: the baseline prefers such steps. */
const QUIET_CONCURRENCY = 0.5;

/**
 * The baseline from the points with the lowest concurrency: those at or below half a request in flight when there are
 * 3, else those at or below `LOW_CONCURRENCY` (even one or two: filling up to three with busier points would mix
 * queueing into the request's own cost), else the lowest tenth (at least 3). `undefined` when no point has a p95, or
 * the lowest concurrency seen is above `maxConcurrency` (then queueing cannot be told apart from the requests' own cost).
 * Lab run 8 (cpu-bound, Knative): two windows at one request in flight, the third-lowest at 2.8 in flight (four quiet
 * steps and one at 10 in flight, requests of 0.3–0.5 s) made the one-request p95 182 ms where the quiet ones read about 50.
 *
 * Each latency is the request-weighted average of those points, but never more than the median of the steps at about
 * one request in flight (at or below `LOW_CONCURRENCY`; the chosen points where fewer than 3 are): a point's rate
 * window can reach into other load (a window of 60 s over 12-s steps averages five of them: the rise of the day, or
 * traffic before the window), and the weighting gives such a point, which carries more requests, the most say. Lab run
 * 7 (io-bound, Knative): a one-request p95 of 101 ms, where every step at one request in flight measured 53–60 ms and
 * reads 74 ms through the queue-proxy's 50–75 ms bucket; a quick run's windows: 106 ms weighted, 92 ms the median.
 */
export function lowConcurrencyBaseline(points: readonly LoadPoint[], maxConcurrency = 2 * LOW_CONCURRENCY): Baseline | undefined {
  const withP95 = points.filter((p) => p.p95 !== undefined).sort((a, b) => a.concurrency - b.concurrency);
  if (withP95.length === 0) return undefined;
  const quiet = withP95.filter((p) => p.concurrency <= QUIET_CONCURRENCY);
  const low = withP95.filter((p) => p.concurrency <= LOW_CONCURRENCY);
  const chosen = quiet.length >= 3 ? quiet : low.length > 0 ? low : withP95.slice(0, Math.max(3, Math.ceil(withP95.length / 10)));
  const concurrency = median(chosen.map((p) => p.concurrency))!;
  if (concurrency > maxConcurrency) return undefined;
  // Quiet steps carry few requests each, so their percentiles are noisy: weight each step by its requests.
  const weights = chosen.map((p) => p.throughput * p.instances);
  const total = weights.reduce((a, b) => a + b, 0);
  const steady = low.length >= 3 ? low : chosen;
  const bounded = (value: (p: LoadPoint) => number) => Math.min(chosen.reduce((sum, p, i) => sum + value(p) * weights[i]!, 0) / total, median(steady.map(value))!);
  const baseline: Baseline = { concurrency, meanLatency: bounded((p) => p.meanLatency), p95: bounded((p) => p.p95!), points: chosen.length, steps: chosen };
  if (steady.every((p) => p.p50 !== undefined)) baseline.p50 = bounded((p) => p.p50!);
  return baseline;
}
