/**
 * @module Latency buckets as Knative's queue-proxy reports them, and `histogram_quantile` as Prometheus computes it,
 * so observations built from a simulation carry the same bucket rounding as observations read from Prometheus.
 */

/**
 * Upper bounds, seconds: Knative's `defaultLatencyDistribution` (pkg/queue/stats, ms: 5, 10, 20, 40, 60, 80, 100, 150,
 * … 100000) converted to seconds, as `kn_serving_invocation_duration_seconds` reports durations in seconds.
 */
export const LATENCY_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 2, 5, 10, 20, 50, 100,
];

/** Index of the bucket a latency falls in (`le` semantics: upper bound inclusive); `LATENCY_BUCKETS.length` is +Inf. */
export function bucketIndex(latency: number): number {
  let lo = 0;
  let hi = LATENCY_BUCKETS.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (latency <= LATENCY_BUCKETS[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Prometheus `histogram_quantile(q, ...)` over per-bucket counts (not cumulative; the last entry is +Inf): linear
 * interpolation inside the bucket holding the rank, the lowest bucket starting at 0, and the highest finite bound when
 * the rank falls in +Inf. `undefined` when there are no observations.
 */
export function histogramQuantile(q: number, counts: readonly number[], bounds: readonly number[] = LATENCY_BUCKETS): number | undefined {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  const rank = q * total;
  let cumulative = 0;
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i]!;
    if (cumulative + count >= rank && count > 0) {
      if (i >= bounds.length) return bounds[bounds.length - 1];
      const lower = i === 0 ? 0 : bounds[i - 1]!;
      const upper = bounds[i]!;
      return lower + ((upper - lower) * (rank - cumulative)) / count;
    }
    cumulative += count;
  }
  return bounds[bounds.length - 1];
}

/** The q-quantile of raw values (nearest rank on a sorted copy); `NaN` when empty. */
export function exactQuantile(values: readonly number[] | Float64Array, q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}
