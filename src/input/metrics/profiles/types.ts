/**
 * @module What a metrics profile is: a pure planner that turns "these metric names exist, this namespace, this
 * window" into PromQL, each query aggregated `by` workload labels so its cost does not grow with the number of
 * workloads, plus the labels that name the workload in each answer and the factor to SI units.
 */
import type { MetricsProfileId } from '../../../model/observations.ts';

/**
 * A per-step quantity read for a whole workload (summed over its instances); `collect.ts` divides by `instances`
 * for the per-instance fields of ObservationSample.
 */
export type RangeField =
  | 'requestRate'
  /** Requests in flight over all instances, from a concurrency gauge. */
  | 'inFlight'
  /**
   * Seconds of latency completed per second: the rate of the histogram's `_sum`. Over `requestRate` it is the mean
   * latency; by Little's law it is also the requests in flight, used for concurrency when there is no gauge.
   */
  | 'latencySum'
  | 'instances'
  | 'latencyP50'
  | 'latencyP95'
  | 'latencyP99'
  /** CPU cores used over all instances. */
  | 'cpuCores'
  /** Mean CPU utilisation of one instance, 0–1 of its vCPUs (Cloud Run reports this, not cores). */
  | 'cpuUtilisation'
  /**
   * Requests in the queue-proxy's breaker over all instances, executing plus waiting (Knative's "queue depth"):
   * waiting is only what exceeds containerConcurrency. Summed over the pods that served requests in the step only,
   * because the gauge keeps its last value on an idle pod.
   */
  | 'breakerInFlight';

/** A quantity over the whole window, read with one instant query at its end. */
export type WindowField = 'startupLatencyP99' | 'cpuLimitCores';

/** The labels of a query's answer that name the workload (and, for CPU, the container). */
export interface SeriesKey {
  namespace?: string;
  name: string;
  /** Cloud Run: the region, when one service name exists in several. */
  location?: string;
  /** Answers per container (CPU): the collector picks the workload's server container. */
  container?: string;
}

/** One PromQL query for one field. */
export interface FieldQuery<F extends string> {
  field: F;
  promql: string;
  key: SeriesKey;
  /** Multiplier to SI units: 0.001 for millisecond histograms. */
  scale: number;
  /** The metric the field comes from, named in gap messages (`no series kn_revision_pods_count for …`). */
  metric: string;
  /** A template query's workloads (it covers these only); absent when the query covers a whole namespace. */
  batch?: ReadonlyArray<{ namespace?: string; name: string }>;
}

/** A field every workload of the profile lacks, and why (the profile has no metric for it, or its labels are missing). */
export interface ProfileGap {
  field: RangeField | WindowField;
  reason: string;
}

/** What a profile plans its queries from. */
export interface PlanContext {
  /** One namespace, or undefined for the whole Prometheus (a cluster-scoped profile, or workloads without a namespace). */
  namespace?: string;
  /** The `[range]` of rate() and avg_over_time() at each step. */
  rateWindowSeconds: number;
  /** The whole window, for the instant queries at its end. */
  windowSeconds: number;
  /** Metric names that exist in the window (from one label-values query). */
  names: ReadonlySet<string>;
  /** Label names found on the metrics of `labelProbes`, by metric. */
  labelNames: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Queries for one namespace (or the whole Prometheus), and the fields no query can provide. */
export interface QueryPlan {
  range: FieldQuery<RangeField>[];
  window: FieldQuery<WindowField>[];
  gaps: ProfileGap[];
}

/** A metric naming scheme. */
export interface MetricsProfile<Id extends MetricsProfileId = MetricsProfileId> {
  id: Id;
  /** The kind of the workloads the series describe. */
  kind: 'Service' | 'Deployment';
  /** The metric whose presence says that this profile's series exist (auto-detection). */
  signature: string;
  /** Every metric the profile may read: the detection query asks which of them exist. */
  metrics: readonly string[];
  /** Metrics whose label names decide how the queries group (Knative: which labels name the service). */
  labelProbes: readonly string[];
  /** One query set for all of Prometheus (Cloud Run: the project is the scope) instead of one per namespace. */
  clusterScoped: boolean;
  /** The shortest rate() range that holds enough samples at the source's sampling interval. */
  minRateWindowSeconds: number;
  plan(context: PlanContext): QueryPlan;
}
