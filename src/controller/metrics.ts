/**
 * @module The controller's Prometheus metrics (prom-client), on a registry of their own so that several controllers
 * in one process (tests) do not collide. Names follow the Prometheus conventions (`_total` counters, `_seconds`
 * histograms, base units) and controller-runtime's `controller_runtime_reconcile_*` in spirit.
 * @see https://prometheus.io/docs/practices/naming/
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** How a reconcile ended, the `result` label of `pytuner_reconciles_total`. */
export type ReconcileResult = 'success' | 'requeue' | 'error' | 'terminal_error';

/** What failed, the `type` label of `pytuner_errors_total`. */
export const ERROR_TYPES = ['watch', 'discovery', 'reconcile', 'status_write', 'apply', 'event', 'leader_election', 'metrics_query', 'invalid_policy', 'policy_report'] as const;
/** One of ERROR_TYPES. */
export type ErrorType = (typeof ERROR_TYPES)[number];

/** `pytuner_errors_total`, whose `type` label takes only an ErrorType: a misspelt type does not compile. */
export interface ErrorCounter {
  inc(labels: { type: ErrorType }, value?: number): void;
}

/** Every metric the controller exports. */
export interface ControllerMetrics {
  registry: Registry;
  reconciles: Counter<'result'>;
  reconcileDuration: Histogram<'result'>;
  queueDepth: Gauge;
  recommendations: Gauge<'rule'>;
  patchesApplied: Counter<'kind' | 'field'>;
  conflicts: Counter<'kind'>;
  errors: ErrorCounter;
  leader: Gauge;
  metricsCollections: Counter<'result'>;
  metricsQueries: Counter;
  recommendation: Gauge<RecommendationLabel | 'type'>;
  policyReportWrites: Counter<'operation'>;
  recommendationConfidence: Gauge<RecommendationLabel>;
}

/** The labels of one recommended setting of one workload: bounded by the workloads tuned times the settings pytuner writes. */
type RecommendationLabel = 'namespace' | 'workload' | 'kind' | 'setting' | 'container';

/** A numeric setting the controller recommends for a workload (a TuningRecommendation's `status.recommendations[]`). */
export interface RecommendationSample {
  namespace: string;
  workload: string;
  kind: string;
  setting: string;
  /** Empty for a setting of the workload, not of a container (containerConcurrency). */
  container: string;
  recommended: number;
  /** Absent when the workload does not set it. */
  current?: number;
  /** 1 for a fact read from the spec; below 1 for an estimate from measured load. */
  confidence: number;
}

/** What the metrics read at scrape time: the queue and the current findings. */
export interface MetricsSources {
  queueDepth(): number;
  /** Current findings by rule id over every TuningRecommendation the controller keeps. */
  findingsByRule(): ReadonlyMap<string, number>;
  /** The numeric settings currently recommended, over every workload the controller keeps findings of. */
  recommendations(): Iterable<RecommendationSample>;
}

/**
 * addProcessMetrics adds prom-client's default process metrics (CPU, memory, event loop lag) to the registry: the real
 * binary wants them, in-process tests do not. The controller adds them once it is ready: in the bundle their modules
 * load on this call (scripts/bundle-subsets/prom-client.js), and at a tenth of a CPU each millisecond before ready is
 * ten of start-up.
 */
export function addProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, prefix: 'pytuner_' });
}

/** createMetrics registers the controller's metrics on a new registry. */
export function createMetrics(sources: MetricsSources): ControllerMetrics {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    reconciles: new Counter({ name: 'pytuner_reconciles_total', help: 'Reconciles of target workloads, by result.', labelNames: ['result'], registers }),
    reconcileDuration: new Histogram({
      name: 'pytuner_reconcile_duration_seconds',
      help: 'Time to reconcile one target workload (cache reads, rules, status write, apply), by result.',
      labelNames: ['result'],
      // A reconcile is a few API calls: milliseconds normally, seconds when the API server is slow.
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    queueDepth: new Gauge({
      name: 'pytuner_workqueue_depth',
      help: 'Target workloads ready to be reconciled and not yet picked up.',
      registers,
      collect() {
        this.set(sources.queueDepth());
      },
    }),
    recommendations: new Gauge({
      name: 'pytuner_recommendations',
      help: 'Findings currently recommended, over every TuningRecommendation, by rule id.',
      labelNames: ['rule'],
      registers,
      collect() {
        this.reset();
        for (const [rule, count] of sources.findingsByRule()) this.set({ rule }, count);
      },
    }),
    patchesApplied: new Counter({ name: 'pytuner_patches_applied_total', help: 'Patches applied to target workloads in Apply mode, by kind and field.', labelNames: ['kind', 'field'], registers }),
    conflicts: new Counter({ name: 'pytuner_apply_conflicts_total', help: 'Applies refused because another field manager owns a field pytuner would change.', labelNames: ['kind'], registers }),
    errors: new Counter({ name: 'pytuner_errors_total', help: `Errors by type (${ERROR_TYPES.join(', ')}).`, labelNames: ['type'], registers }),
    leader: new Gauge({ name: 'pytuner_leader', help: '1 while this replica holds the leader Lease (or runs without leader election), else 0.', registers }),
    metricsCollections: new Counter({
      name: 'pytuner_metrics_collections_total',
      help: 'Reads of measured load from Prometheus (one per TuningPolicy and refresh interval, for all its workloads), by result: success, partial (some queries failed) or failed.',
      labelNames: ['result'],
      registers,
    }),
    metricsQueries: new Counter({ name: 'pytuner_metrics_queries_total', help: 'HTTP requests to Prometheus (metadata and PromQL) over every collection.', registers }),
    policyReportWrites: new Counter({
      name: 'pytuner_policy_report_writes_total',
      help: 'Requests that wrote a policy report (--policy-reports), by operation: apply (its findings changed) or delete (none left).',
      labelNames: ['operation'],
      registers,
    }),
    // Rebuilt from the controller's findings at each scrape, so a deleted or no longer selected workload's series go.
    recommendation: new Gauge({
      name: 'pytuner_recommendation',
      help: 'A numeric setting of a workload: type="recommended" the value pytuner recommends, type="current" the value the workload has (absent when unset).',
      labelNames: ['namespace', 'workload', 'kind', 'setting', 'container', 'type'],
      registers,
      collect() {
        this.reset();
        for (const r of sources.recommendations()) {
          const labels = { namespace: r.namespace, workload: r.workload, kind: r.kind, setting: r.setting, container: r.container };
          this.set({ ...labels, type: 'recommended' }, r.recommended);
          if (r.current !== undefined) this.set({ ...labels, type: 'current' }, r.current);
        }
      },
    }),
    recommendationConfidence: new Gauge({
      name: 'pytuner_recommendation_confidence',
      help: 'Confidence of a recommended setting: 1 for a fact read from the spec, 0.3/0.6/0.9 (low/medium/high) for an estimate from measured load.',
      labelNames: ['namespace', 'workload', 'kind', 'setting', 'container'],
      registers,
      collect() {
        this.reset();
        for (const r of sources.recommendations()) this.set({ namespace: r.namespace, workload: r.workload, kind: r.kind, setting: r.setting, container: r.container }, r.confidence);
      },
    }),
  };
}
