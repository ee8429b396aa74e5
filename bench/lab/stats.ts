/**
 * @module The lab's arithmetic on measurements: percentiles of wrk's latency record, its Prometheus histogram buckets,
 * medians and spreads of repetitions, and the score of a configuration at the latency objective.
 */
import type { LatencyCount } from './wrk.ts';

/** Requests in a latency record. */
export function countOf(latencies: readonly LatencyCount[]): number {
  return latencies.reduce((sum, l) => sum + l.count, 0);
}

/**
 * The p-quantile (0 < p ≤ 1) of an ascending latency record, nearest rank: the smallest latency with at least
 * ⌈p × n⌉ requests at or below it. `undefined` for an empty record.
 */
export function quantile(latencies: readonly LatencyCount[], p: number): number | undefined {
  const n = countOf(latencies);
  if (n === 0) return undefined;
  const rank = Math.max(1, Math.ceil(p * n - 1e-9));
  let seen = 0;
  for (const l of latencies) {
    seen += l.count;
    if (seen >= rank) return l.seconds;
  }
  return latencies.at(-1)?.seconds;
}

/** The mean latency of a record; `undefined` when empty. */
export function meanOf(latencies: readonly LatencyCount[]): number | undefined {
  const n = countOf(latencies);
  if (n === 0) return undefined;
  return latencies.reduce((sum, l) => sum + l.seconds * l.count, 0) / n;
}

/**
 * Requests per histogram bucket, not cumulative, `le` semantics (a latency equal to a bound is in that bound's
 * bucket): one count per bound, then the +Inf bucket.
 */
export function bucketCounts(latencies: readonly LatencyCount[], bounds: readonly number[]): number[] {
  const counts = new Array<number>(bounds.length + 1).fill(0);
  for (const l of latencies) {
    let b = bounds.findIndex((bound) => l.seconds <= bound);
    if (b < 0) b = bounds.length;
    counts[b] = counts[b]! + l.count;
  }
  return counts;
}

/** The median of values; `undefined` when empty. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Largest relative distance of the values from their median (0 for one value): the spread of repetitions. */
export function relativeSpread(values: readonly number[]): number {
  const m = median(values);
  if (m === undefined || m === 0) return 0;
  return Math.max(...values.map((v) => Math.abs(v - m) / m));
}

/** How a configuration did, as the median of its repetitions. */
export interface Outcome {
  throughput: number;
  p95: number;
  /** Share of requests that failed (socket errors, non-2xx, timeouts). */
  errorRate: number;
  repetitions: number;
  /** Relative spread of the repetitions' throughput and p95 (see `relativeSpread`). */
  throughputSpread: number;
  p95Spread: number;
}

/**
 * Cores other processes may keep busy during a run before it is repeated: on 2 cores, a quarter of a core taken from a
 * CPU-bound server at concurrency 2 doubled its p95 (34 → 66 ms, gunicorn 2 sync workers, 30 ms requests).
 */
export const BACKGROUND_LIMIT = 0.25;

/** Requests that may fail for a configuration to count as serving: 1 in 1,000 (wrk timeouts, resets). */
export const MAX_ERROR_RATE = 0.001;

/** Whether an outcome meets the p95 objective (seconds) without failing requests. */
export function meetsObjective(outcome: Pick<Outcome, 'p95' | 'errorRate'>, objectiveSeconds: number): boolean {
  return outcome.p95 <= objectiveSeconds && outcome.errorRate <= MAX_ERROR_RATE;
}

/** Throughput at the objective: the measured throughput when the objective is met, else 0 (the platform would run it there). */
export function scoreAtObjective(outcome: Pick<Outcome, 'throughput' | 'p95' | 'errorRate'>, objectiveSeconds: number): number {
  return meetsObjective(outcome, objectiveSeconds) ? outcome.throughput : 0;
}

/** `score / best`, rounded to 3 digits; 0 when there is no best. */
export function ratioTo(score: number, best: number): number {
  return best > 0 ? Math.round((score / best) * 1000) / 1000 : 0;
}
