/**
 * @module Whether a latency objective can be checked against the histogram the latency was read from. A percentile
 * that falls between two bucket bounds is interpolated by `histogram_quantile`, not measured: an objective strictly
 * inside a bucket (68 ms between bounds at 50 and 75 ms) compares the objective with an interpolation, and the answer
 * depends on the assumed spread within the bucket. Prometheus' guidance is to put a bound at the objective, or the
 * objective at a bound (https://prometheus.io/docs/practices/histograms/#errors-of-quantile-estimation).
 */
import type { LatencyBuckets } from '../model/observations.ts';
import { ms } from './recommend.ts';

/** The bucket whose open interval holds `objectiveSeconds`: lower undefined below the first bound, upper undefined above the last. */
export interface ObjectiveBucket {
  lower?: number;
  upper?: number;
}

/** Relative tolerance for an objective equal to a bound (68 ms from `--latency-slo 68ms` against `le="0.068"`). */
const SAME_BOUND = 1e-9;

/** The bucket `objectiveSeconds` lies strictly inside, or undefined when it is on a bound (or there are no bounds). */
export function objectiveBucket(boundsSeconds: readonly number[], objectiveSeconds: number): ObjectiveBucket | undefined {
  if (boundsSeconds.length === 0 || !(objectiveSeconds > 0)) return undefined;
  if (boundsSeconds.some((b) => Math.abs(b - objectiveSeconds) <= SAME_BOUND * Math.max(b, objectiveSeconds))) return undefined;
  const upperIndex = boundsSeconds.findIndex((b) => b > objectiveSeconds);
  if (upperIndex === -1) return { lower: boundsSeconds.at(-1)! };
  return upperIndex === 0 ? { upper: boundsSeconds[0]! } : { lower: boundsSeconds[upperIndex - 1]!, upper: boundsSeconds[upperIndex]! };
}

/**
 * A sentence saying that the objective lies inside a bucket of `histogram` and which bounds to choose instead, or
 * undefined when it is on a bound.
 */
export function objectiveBucketNote(histogram: LatencyBuckets, objectiveSeconds: number): string | undefined {
  const bucket = objectiveBucket(histogram.boundsSeconds, objectiveSeconds);
  if (bucket === undefined) return undefined;
  const { lower, upper } = bucket;
  const where = lower === undefined ? `below the first bound (${ms(upper!)})` : upper === undefined ? `above the last finite bound (${ms(lower)})` : `inside the ${boundsText(lower, upper)} bucket`;
  const choices = [lower, upper].filter((b): b is number => b !== undefined && b > 0).map(ms);
  return `the objective p95 ≤ ${ms(objectiveSeconds)} lies ${where} of ${histogram.metric}: a p95 there is interpolated between bucket bounds, so it cannot be checked against ${ms(objectiveSeconds)}; choose ${choices.join(' or ')} (a bucket bound) with --latency-slo`;
}

/** `50–75 ms`, `750 ms–1 s`. */
function boundsText(lower: number, upper: number): string {
  const [a, b] = [ms(lower), ms(upper)];
  return a.endsWith(' ms') && b.endsWith(' ms') ? `${a.slice(0, -3)}–${b}` : `${a}–${b}`;
}
