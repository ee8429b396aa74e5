/**
 * @module Query answers → one workload's observations. Pure: picks the workload's series out of each answer (by
 * the labels the profile grouped on), drops values that are not numbers with the reason, and builds the per-step
 * samples (per-instance values divide by the instances of the same step). Nothing is filled in: a step without
 * data is a step without that field.
 */
import type { ObservationSample } from '../../model/observations.ts';
import type { Series } from './client.ts';
import type { RangeField, SeriesKey } from './profiles/types.ts';
import type { MetricsTarget } from './target.ts';

/** A series of an answer, named by the profile's key labels; values already in SI units. */
export interface KeyedSeries {
  namespace?: string;
  name: string;
  location?: string;
  container?: string;
  points: Array<[t: number, value: number]>;
}

/** The series of an answer with the labels of `key` read out and `scale` applied; series without a name label are dropped. */
export function keyedSeries(series: readonly Series[], key: SeriesKey, scale: number): KeyedSeries[] {
  const keyed: KeyedSeries[] = [];
  for (const s of series) {
    const name = s.labels[key.name];
    if (name === undefined || name === '') continue;
    const entry: KeyedSeries = { name, points: scale === 1 ? s.points : s.points.map(([t, v]) => [t, v * scale]) };
    if (key.namespace !== undefined) entry.namespace = s.labels[key.namespace] ?? '';
    if (key.location !== undefined) entry.location = s.labels[key.location] ?? '';
    if (key.container !== undefined) entry.container = s.labels[key.container] ?? '';
    keyed.push(entry);
  }
  return keyed;
}

/** A target's series of one field, or why they cannot be told apart from another workload's. */
export type TargetSeries = { series: KeyedSeries[] } | { ambiguous: string };

/**
 * The series of `target` among `all`: same name; same namespace when both have one; same location when the
 * target names one. A name found in several namespaces (a manifest without a namespace) or regions is ambiguous.
 */
export function seriesOfTarget(all: readonly KeyedSeries[], target: MetricsTarget): TargetSeries {
  let series = all.filter((s) => s.name === target.name);
  if (series.some((s) => s.namespace !== undefined)) {
    if (target.namespace !== undefined) series = series.filter((s) => s.namespace === target.namespace);
    else {
      const namespaces = distinct(series.map((s) => s.namespace ?? ''));
      if (namespaces.length > 1) return { ambiguous: `${target.name} has series in several namespaces (${namespaces.join(', ')}): set metadata.namespace in the manifest` };
    }
  }
  if (series.some((s) => s.location !== undefined)) {
    if (target.location !== undefined) series = series.filter((s) => s.location === target.location);
    else {
      const locations = distinct(series.map((s) => s.location ?? ''));
      if (locations.length > 1) return { ambiguous: `${target.name} has series in several locations (${locations.join(', ')}): set the label cloud.googleapis.com/location in the manifest` };
    }
  }
  return { series };
}

/** A field's points for one workload, and what was wrong with the rest. */
export interface FieldPoints {
  points: Map<number, number>;
  gaps: string[];
}

/**
 * One field's points from the target's series. Per-container answers keep the target's container (else sum
 * all, saying so). Several series at one step are summed (a workload with several regions or containers).
 */
export function fieldPoints(field: string, series: readonly KeyedSeries[], target: MetricsTarget): FieldPoints {
  const gaps: string[] = [];
  let chosen = series;
  if (series.some((s) => s.container !== undefined)) {
    const containers = distinct(series.map((s) => s.container ?? ''));
    if (target.container !== undefined && containers.includes(target.container)) chosen = series.filter((s) => s.container === target.container);
    else if (target.container !== undefined) {
      return { points: new Map(), gaps: [`${field}: no series for container ${target.container} (found ${containers.join(', ')})`] };
    } else if (containers.length > 1) gaps.push(`${field}: summed over the containers ${containers.join(', ')} (no manifest names the server's container)`);
  }
  const points = new Map<number, number>();
  for (const s of chosen) for (const [t, v] of s.points) points.set(t, (points.get(t) ?? 0) + v);
  return { points, gaps };
}

/**
 * Drops values that are not finite numbers or are negative (no field pytuner reads can be below zero), with a gap
 * naming how many. A latency of NaN at a step without requests is Prometheus' answer for "no requests" and is
 * dropped silently; anywhere else it means a broken histogram (no `+Inf` bucket).
 */
export function dropInvalid(field: string, metric: string, points: Map<number, number>, requestRate?: ReadonlyMap<number, number>): FieldPoints {
  const kept = new Map<number, number>();
  let bad = 0;
  let withRequests = 0;
  for (const [t, v] of points) {
    if (Number.isFinite(v) && v >= 0) kept.set(t, v);
    else if (Number.isNaN(v) && field.startsWith('latency') && requestRate?.get(t) === 0) continue;
    else {
      bad++;
      if ((requestRate?.get(t) ?? 0) > 0) withRequests++;
    }
  }
  if (bad === 0) return { points: kept, gaps: [] };
  const why = field.startsWith('latency') && withRequests > 0
    ? `histogram_quantile gave NaN or Inf at ${bad} of ${points.size} steps with requests (${metric} lacks a +Inf bucket, or its buckets are not cumulative)`
    : `${bad} of ${points.size} steps were NaN, Inf or negative in ${metric}`;
  return { points: kept, gaps: [`${field}: ${why}; left out`] };
}

/** The per-step fields of a workload, by field, in SI units and summed over its instances. */
export type FieldData = Partial<Record<RangeField, ReadonlyMap<number, number>>>;

/**
 * The samples: one per step where any field has a value. Per-instance fields divide by the step's instances and
 * are left out when instances are unknown or zero (scaled to zero: nothing is in flight per instance). Concurrency
 * comes from the gauge when the profile has one, else from Little's law (latencySum: seconds of latency per second).
 */
export function buildSamples(fields: FieldData, vcpu: number | undefined): ObservationSample[] {
  const times = new Set<number>();
  for (const points of Object.values(fields)) for (const t of points.keys()) times.add(t);
  const at = (field: RangeField, t: number) => fields[field]?.get(t);
  const samples: ObservationSample[] = [];
  for (const t of [...times].sort((a, b) => a - b)) {
    const sample: ObservationSample = { t };
    const instances = at('instances', t);
    const perInstance = (total: number | undefined) => (total === undefined || instances === undefined || instances <= 0 ? undefined : total / instances);
    const requestRate = at('requestRate', t);
    const latencySum = at('latencySum', t);
    set(sample, 'requestRate', requestRate);
    set(sample, 'instances', instances);
    set(sample, 'latencyP50', at('latencyP50', t));
    set(sample, 'latencyP95', at('latencyP95', t));
    set(sample, 'latencyP99', at('latencyP99', t));
    if (latencySum !== undefined && requestRate !== undefined && requestRate > 0) sample.latencyMean = latencySum / requestRate;
    set(sample, 'concurrencyPerInstance', perInstance(fields.inFlight !== undefined ? at('inFlight', t) : latencySum));
    const utilisation = at('cpuUtilisation', t);
    set(sample, 'cpuCoresPerInstance', utilisation !== undefined && vcpu !== undefined ? utilisation * vcpu : perInstance(at('cpuCores', t)));
    set(sample, 'breakerInFlightPerInstance', perInstance(at('breakerInFlight', t)));
    samples.push(sample);
  }
  return samples;
}

function set<K extends keyof ObservationSample>(sample: ObservationSample, field: K, value: ObservationSample[K] | undefined): void {
  if (value !== undefined) sample[field] = value;
}

function distinct(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

/**
 * The finite bucket bounds of a histogram from the values of its `le` label (`"0.05"`, `"+Inf"`), in SI units,
 * ascending and distinct; values that are not numbers are left out.
 */
export function bucketBounds(leValues: readonly string[], scale: number): number[] {
  const bounds = new Set<number>();
  for (const text of leValues) {
    const value = Number(text);
    if (text.trim() !== '' && Number.isFinite(value)) bounds.add(value * scale);
  }
  return [...bounds].sort((a, b) => a - b);
}
