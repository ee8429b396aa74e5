/**
 * @module The lab's latency objective, as a user would choose it: 1.5 × the p95 of one request at a time (the
 * recommender's default factor), and on the Knative path rounded UP to the next bucket bound of the whole-request
 * histogram pytuner reads. An objective strictly inside a bucket cannot be checked from the histogram (a p95 there
 * is interpolated; Prometheus' guidance is a bound at the objective or the objective at a bound), and a Knative user
 * cannot move Knative's bounds, so they pick the bound. Up, not down: the objective stays reachable by one request
 * at a time. Pure: the bounds come from the series (knative/cluster.ts reads their `le` values).
 */
import { ms } from './results.ts';

/** The recommender's default objective factor (RecommenderConfig.objectiveFactor). */
export const OBJECTIVE_FACTOR = 1.5;

/** A histogram by name and its finite bucket bounds, seconds, ascending. */
export interface HistogramBounds {
  metric: string;
  boundsSeconds: readonly number[];
}

export interface LabObjective {
  seconds: number;
  /** How it was chosen, for the report: `1.5 × 45 ms = 68 ms, rounded up to the bound 75 ms of …`. */
  why: string;
}

/** Relative tolerance for 1.5 × p95 landing on a bound already. */
const ON_BOUND = 1e-9;

/**
 * 1.5 × `baselineP95`; with `histogram`, rounded up to the first bound at or above it (kept exact, and said so, when it
 * is above the last finite bound or the histogram has no bounds).
 */
export function labObjective(baselineP95: number, histogram?: HistogramBounds): LabObjective {
  const exact = OBJECTIVE_FACTOR * baselineP95;
  const base = `${OBJECTIVE_FACTOR} × the one-request p95 ${ms(baselineP95)} = ${ms(exact)}`;
  if (histogram === undefined) return { seconds: exact, why: base };
  const bounds = [...histogram.boundsSeconds].sort((a, b) => a - b);
  const bound = bounds.find((b) => b >= exact * (1 - ON_BOUND));
  const listed = `${histogram.metric} bounds ${bounds.map(ms).join(', ')}`;
  if (bound === undefined) return { seconds: exact, why: `${base}, above the last finite bound of ${listed}: kept` };
  if (Math.abs(bound - exact) <= ON_BOUND * bound) return { seconds: bound, why: `${base}, a bucket bound of ${histogram.metric}` };
  const lower = bounds.filter((b) => b < bound).at(-1);
  return { seconds: bound, why: `${base}, rounded up to the bound ${ms(bound)} of ${histogram.metric} (inside its ${lower === undefined ? '' : `${ms(lower)}–`}${ms(bound)} bucket a p95 is interpolated and cannot be checked; ${listed})` };
}
