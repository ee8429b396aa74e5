/**
 * @module Measured load of one workload over a window, as typed facts. Produced by the metrics input layer
 * (`src/input/metrics/`) from Prometheus range queries; consumed by the pure recommender. Units are SI
 * (seconds, cores, requests per second) whatever the source's units were (Cloud Run and Knative ≤ 1.18 report ms).
 */

/** The metric naming schemes pytuner can read. */
export type MetricsProfileId = 'knative' | 'knative-legacy' | 'cloudrun' | 'kubernetes';

/** Which workload the series belong to (series are aggregated by service/owner, never by pod). */
export interface ObservedTarget {
  kind: 'Service' | 'Deployment';
  namespace?: string;
  name: string;
}

/**
 * One step of the window, aggregated over the workload's instances. A field is absent when the profile has
 * no series for it or the step had no data: absent means unknown, never zero.
 */
export interface ObservationSample {
  /** Unix seconds at the end of the step. */
  t: number;
  /** Requests per second over all instances. */
  requestRate?: number;
  /** Average in-flight requests per instance (Little's law when the profile has no concurrency gauge). */
  concurrencyPerInstance?: number;
  /** Instances (pods / Cloud Run instances) serving. */
  instances?: number;
  /** Request latency percentiles, seconds. */
  latencyP50?: number;
  latencyP95?: number;
  latencyP99?: number;
  /**
   * Mean request latency, seconds: the histogram's `_sum` / `_count` over the step. Added for the recommender (metrics-model):
   * Little's law needs the mean, not a percentile, to turn rate into concurrency where a profile has no concurrency gauge.
   */
  latencyMean?: number;
  /** CPU cores used per instance (not utilisation: 1.0 = one core busy). */
  cpuCoresPerInstance?: number;
  /**
   * Requests in the Knative queue-proxy's breaker per instance: executing in the app plus waiting for one of its
   * containerConcurrency slots (`kn_serving_queue_depth`, `revision_queue_depth`; containerConcurrency > 0 only).
   * Not the waiting count: with containerConcurrency 8 and 4 in flight it reads 4 with nothing waiting. The
   * queue-proxy records it as each request starts, so it keeps its last value when traffic stops; the profiles
   * count it only on the pods that served requests in the step.
   */
  breakerInFlightPerInstance?: number;
}

/** The fields of a sample besides its time. */
type SampleField = Exclude<keyof ObservationSample, 't'>;

/** Every sample field once (a Record, so a field added to ObservationSample without a column here fails to compile). */
const SAMPLE_COLUMNS: Readonly<Record<SampleField, true>> = {
  requestRate: true,
  concurrencyPerInstance: true,
  instances: true,
  latencyP50: true,
  latencyP95: true,
  latencyP99: true,
  latencyMean: true,
  cpuCoresPerInstance: true,
  breakerInFlightPerInstance: true,
};

/** The order of a packed row after `t`. */
const SAMPLE_FIELDS = Object.keys(SAMPLE_COLUMNS) as SampleField[];

/** Numbers per packed sample: `t`, then each of SAMPLE_FIELDS. */
export const PACKED_ROW = 1 + SAMPLE_FIELDS.length;

/**
 * packSamples writes `samples` as rows of PACKED_ROW numbers into `into` from `offset` (NaN for an absent field) and
 * returns the number of values written; `into` must have room. A controller keeps every Service's samples for a
 * refresh interval: as objects they cost about 4.3 KB for a 1 h window at 5 m steps (an object, a property array and a
 * heap number per value), packed 0.1 KB per step. Samples holding NaN cannot be packed (NaN is the absent marker):
 * packable() says so first.
 */
export function packSamples(samples: readonly ObservationSample[], into: Float64Array, offset: number): number {
  let at = offset;
  for (const sample of samples) {
    into[at++] = sample.t;
    for (const field of SAMPLE_FIELDS) into[at++] = sample[field] ?? Number.NaN;
  }
  return at - offset;
}

/** Whether packSamples keeps `samples` exactly: no value is NaN (a value that is absent stays absent). */
export function packable(samples: readonly ObservationSample[]): boolean {
  return samples.every((s) => !Number.isNaN(s.t) && SAMPLE_FIELDS.every((f) => !Number.isNaN(s[f])));
}

/** unpackSamples reads back the samples packSamples wrote into `rows` (whole rows only). */
export function unpackSamples(rows: Float64Array): ObservationSample[] {
  const samples: ObservationSample[] = [];
  for (let at = 0; at + PACKED_ROW <= rows.length; at += PACKED_ROW) {
    const sample: ObservationSample = { t: rows[at] as number };
    SAMPLE_FIELDS.forEach((field, i) => {
      const value = rows[at + 1 + i] as number;
      if (!Number.isNaN(value)) sample[field] = value;
    });
    samples.push(sample);
  }
  return samples;
}

/** Everything measured for one workload. */
export interface WorkloadObservations {
  target: ObservedTarget;
  profile: MetricsProfileId;
  window: { start: number; end: number; stepSeconds: number };
  samples: ObservationSample[];
  /** p99 container start-up latency over the window, seconds (Cloud Run `container_startup_latencies`). */
  startupLatencyP99?: number;
  /**
   * CPU limit of one instance over the window, cores (kube-state-metrics `kube_pod_container_resource_limits`):
   * the vCPU count when no manifest says it (`--namespace` without `-f`). Absent on Cloud Run, which has no such metric.
   */
  cpuLimitCores?: number;
  /**
   * The histogram the latency percentiles were read from and its finite bucket bounds, seconds (its `le` labels in the
   * window): a percentile between two bounds is interpolated, so an objective inside a bucket cannot be checked.
   */
  latencyBuckets?: LatencyBuckets;
  /** The PromQL that produced each field, for the report's evidence (`recommended because ... (query)`). */
  queries: Record<string, string>;
  /** Why a field is missing (`no series kn_serving_invocation_duration_seconds_bucket for shop/orders`). */
  gaps: string[];
}

/** A workload's observations with its samples packed (packSamples): how a controller keeps them between reconciles. */
export interface PackedObservations extends Omit<WorkloadObservations, 'samples'> {
  /** Rows of PACKED_ROW numbers, a view into one buffer shared by a collection's workloads. */
  packedSamples: Float64Array;
}

/** A latency histogram by name (without `_bucket`) and its finite bucket bounds, seconds, ascending. */
export interface LatencyBuckets {
  metric: string;
  boundsSeconds: number[];
}

/** Metrics could not be read for a workload (Prometheus down, 5xx, garbage): the recommendation is withheld. */
export interface MetricsUnavailable {
  target: ObservedTarget;
  reason: string;
}

/** The key of a workload's entry in the observations map: `kind/namespace/name` (namespace empty when unknown). */
export function observationKey(target: ObservedTarget): string {
  return `${target.kind}/${target.namespace ?? ''}/${target.name}`;
}
