/**
 * @module What a metrics collection means for one TuningPolicy and its workloads, as pure functions: the window a
 * policy's `spec.metrics` asks for, the recommender settings its objectives and bounds give, and the
 * `MetricsAvailable` condition of a target and of the policy (with the reason: Prometheus down, slow, an error, an
 * answer pytuner cannot read, or no data for the workload).
 */
import { parseDuration } from '../api/v1alpha1/common.ts';
import type { MetricsSource, TuningPolicySpec } from '../api/v1alpha1/tuningPolicy.ts';
import type { CollectWindow } from '../input/metrics/collect.ts';
import type { PrometheusFailureKind } from '../input/metrics/client.ts';
import type { MetricsTarget } from '../input/metrics/target.ts';
import { DEFAULT_STEP_SECONDS, PROMETHEUS_MAX_POINTS } from '../input/metrics/promql.ts';
import type { MetricsUnavailable, ObservedTarget, PackedObservations, WorkloadObservations } from '../model/observations.ts';
import { observationKey, PACKED_ROW, packable, packSamples, unpackSamples } from '../model/observations.ts';
import type { RecommenderConfig } from '../recommender/types.ts';
import { defaultRecommenderConfig } from '../recommender/types.ts';
import type { MetricsBasis } from './status.ts';

export { DEFAULT_STEP_SECONDS };

/**
 * How a collection failed: a request to Prometheus (by the client's failure kind; a 401 or 403 as `unauthorized`),
 * the controller's credentials for it unreadable, or pytuner itself.
 */
export type CollectionFailureKind = PrometheusFailureKind | 'unauthorized' | 'credentials' | 'internal';

/** One collection for one policy: what was read, over which window, and the first request that failed. */
export interface MetricsSnapshot {
  source: MetricsSource;
  window: CollectWindow;
  /** By `observationKey(target)`, every target the collection was asked for; kept packed (packedObservations). */
  observations: ReadonlyMap<string, WorkloadObservations | PackedObservations | MetricsUnavailable>;
  /** The first failure (Prometheus down, slow, an error status, an unreadable answer; or a bug in pytuner). */
  failure?: { kind: CollectionFailureKind; message: string };
}

/** The condition reason of each failure kind. */
const FAILURE_REASON: Readonly<Record<CollectionFailureKind, string>> = {
  unreachable: 'PrometheusUnreachable',
  timeout: 'PrometheusTimeout',
  http: 'PrometheusError',
  'bad-response': 'PrometheusBadResponse',
  unauthorized: 'PrometheusUnauthorized',
  credentials: 'PrometheusCredentialsUnreadable',
  internal: 'CollectionFailed',
};

/**
 * metricsWindow is the window of `source` ending at `nowMs` rounded down to a step (so every reconcile of a refresh
 * interval, and `pytuner report --end` at the same time, query the same steps); an error text for a window the CRD's
 * pattern lets through but that cannot be read (`0`).
 */
export function metricsWindow(source: MetricsSource, nowMs: number, stepSeconds = DEFAULT_STEP_SECONDS): CollectWindow | { error: string } {
  const windowSeconds = Math.floor((parseDuration(source.window) ?? 0) / 1000);
  if (windowSeconds < 1) return { error: `spec.metrics.window ${JSON.stringify(source.window)} is not a positive duration` };
  const step = Math.max(Math.min(stepSeconds, windowSeconds), Math.ceil(windowSeconds / PROMETHEUS_MAX_POINTS));
  const end = Math.floor(nowMs / 1000 / step) * step;
  return { start: end - windowSeconds, end, stepSeconds: step };
}

/**
 * recommenderSettings turns a policy's objectives and bounds into the recommender's settings, with `now` the end of
 * the window (as `pytuner report --prometheus` does). Only what the policy sets is passed: the rest keeps the
 * recommender's defaults, so a policy with default objectives recommends what the CLI recommends.
 */
export function recommenderSettings(spec: Pick<TuningPolicySpec, 'objectives' | 'bounds'>, windowEnd: number): Partial<RecommenderConfig> {
  const defaults = defaultRecommenderConfig(windowEnd);
  const settings: Partial<RecommenderConfig> = { now: windowEnd };
  const slo = spec.objectives.latencySLO === undefined ? undefined : parseDuration(spec.objectives.latencySLO);
  if (slo !== undefined && slo > 0) settings.latencySloSeconds = slo / 1000;
  if (spec.objectives.latencyP95Factor !== undefined) settings.objectiveFactor = spec.objectives.latencyP95Factor;
  settings.bounds = {
    minConcurrency: spec.bounds.concurrency.min,
    maxConcurrency: spec.bounds.concurrency.max,
    maxThreads: spec.bounds.threads?.max ?? defaults.bounds.maxThreads,
    maxWorkers: spec.bounds.workers?.max ?? defaults.bounds.maxWorkers,
  };
  return settings;
}

/** The basis of a target: its MetricsAvailable condition and the entry to recommend from. */
export interface TargetMetricsBasis {
  basis: MetricsBasis;
  entry: WorkloadObservations | MetricsUnavailable;
}

/**
 * packedObservations is what a controller keeps of a collection's `observations` for its refresh interval: each
 * workload's samples packed (packSamples) into one buffer for the whole collection, each entry a view of its rows.
 * Samples that cannot be packed exactly (a NaN) and unavailable entries are kept as they are.
 */
export function packedObservations(observations: ReadonlyMap<string, WorkloadObservations | MetricsUnavailable>): Map<string, WorkloadObservations | PackedObservations | MetricsUnavailable> {
  let rows = 0;
  for (const entry of observations.values()) if (!('reason' in entry) && packable(entry.samples)) rows += entry.samples.length;
  const buffer = new Float64Array(rows * PACKED_ROW);
  let offset = 0;
  const packed = new Map<string, WorkloadObservations | PackedObservations | MetricsUnavailable>();
  for (const [key, entry] of observations) {
    if ('reason' in entry || !packable(entry.samples)) {
      packed.set(key, entry);
      continue;
    }
    const { samples, ...rest } = entry;
    const written = packSamples(samples, buffer, offset);
    packed.set(key, { ...rest, packedSamples: buffer.subarray(offset, offset + written) });
    offset += written;
  }
  return packed;
}

/**
 * targetBasis reads a target's entry out of a snapshot (its samples unpacked). A target the collection was not asked
 * for (created since) is unavailable for the collection's failure, when it failed as a whole.
 */
export function targetBasis(snapshot: MetricsSnapshot, target: MetricsTarget): TargetMetricsBasis {
  const { basis, entry } = storedBasis(snapshot, target);
  if (!('packedSamples' in entry)) return { basis, entry };
  const { packedSamples, ...rest } = entry;
  return { basis, entry: { ...rest, samples: unpackSamples(packedSamples) } };
}

/** The basis of a target and its entry as the snapshot keeps it. */
function storedBasis(snapshot: MetricsSnapshot, target: MetricsTarget): { basis: MetricsBasis; entry: WorkloadObservations | PackedObservations | MetricsUnavailable } {
  const entry = snapshot.observations.get(observationKey(target)) ?? { target: observedTarget(target), reason: snapshot.failure?.message ?? 'not read yet' };
  const where = `(profile ${snapshot.source.profile}, window ${snapshot.source.window}, ${snapshot.source.prometheusUrl})`;
  if ('reason' in entry) {
    const reason = snapshot.failure === undefined ? 'NoData' : FAILURE_REASON[snapshot.failure.kind];
    return { basis: { available: false, reason, message: `${entry.reason} ${where}` }, entry };
  }
  const steps = 'packedSamples' in entry ? entry.packedSamples.length / PACKED_ROW : entry.samples.length;
  if (steps === 0) {
    const gaps = entry.gaps.length === 0 ? '' : `: ${entry.gaps.join('; ')}`;
    return { basis: { available: false, reason: 'NoData', message: `no step of the window has data ${where}${gaps}`.slice(0, 32768) }, entry };
  }
  const gaps = entry.gaps.length === 0 ? '' : `; missing: ${entry.gaps.join('; ')}`;
  return { basis: { available: true, reason: 'Observed', message: `${steps} steps of measured load ${where}${gaps}`.slice(0, 32768) }, entry };
}

/** policyBasis is a policy's MetricsAvailable: True when at least one of its workloads has measured load. */
export function policyBasis(snapshot: MetricsSnapshot, targets: readonly MetricsTarget[]): MetricsBasis {
  if (targets.length === 0) return { available: false, reason: 'NoTargets', message: 'the policy selects no workload whose metrics could be read' };
  const bases = targets.map((t) => storedBasis(snapshot, t).basis);
  const read = bases.filter((b) => b.available).length;
  const where = `(profile ${snapshot.source.profile}, window ${snapshot.source.window}, ${snapshot.source.prometheusUrl})`;
  if (read > 0) return { available: true, reason: 'Observed', message: `${read} of ${targets.length} workload${targets.length === 1 ? ' has' : 's have'} measured load ${where}` };
  const first = bases[0] as MetricsBasis;
  return { available: false, reason: first.reason, message: `no workload has measured load; ${describe(targets[0] as MetricsTarget)}: ${first.message}`.slice(0, 32768) };
}

/** The basis of a policy (or a target) whose `spec.metrics` cannot be read: an invalid window. */
export function invalidSourceBasis(error: string): MetricsBasis {
  return { available: false, reason: 'InvalidSpec', message: error };
}

/** The basis of a workload that did not validate: pytuner cannot tell which series are its own. */
export const INVALID_WORKLOAD_BASIS: MetricsBasis = { available: false, reason: 'InvalidWorkload', message: 'the workload could not be read (see its input.invalid finding), so its metrics cannot be matched' };

function describe(target: MetricsTarget): string {
  return `${target.kind} ${target.namespace === undefined ? '' : `${target.namespace}/`}${target.name}`;
}

function observedTarget(target: MetricsTarget): ObservedTarget {
  return target.namespace === undefined ? { kind: target.kind, name: target.name } : { kind: target.kind, namespace: target.namespace, name: target.name };
}
