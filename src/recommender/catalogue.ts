/**
 * @module The finding ids the recommender reports. They are not `Rule`s (they need measured load, not the inventory
 * alone) but are listed by `pytuner rules`, explained by `pytuner explain` and documented in `docs/rules/<id>.md` like
 * the rules. Ids are stable API.
 */
import type { Severity } from '../model/finding.ts';

/** A finding id with its highest severity and a one-line summary, as `pytuner rules` lists them. */
export interface MetricFindingInfo {
  id: string;
  severity: Severity;
  summary: string;
}

export const CONTAINER_CONCURRENCY = 'metrics.container-concurrency';
export const THREADS = 'metrics.threads';
export const WORKERS = 'metrics.workers';
export const STARTUP_PROBE_BUDGET = 'metrics.startup-probe-budget';
export const INSUFFICIENT_DATA = 'metrics.insufficient-data';
export const UNAVAILABLE = 'metrics.unavailable';

/** Every metrics finding, in report order. */
export const METRIC_FINDINGS: readonly MetricFindingInfo[] = [
  { id: CONTAINER_CONCURRENCY, severity: 'warning', summary: 'measured load: the largest containerConcurrency whose predicted p95 meets the latency objective differs from the current one' },
  { id: THREADS, severity: 'warning', summary: 'measured load: the server threads do not cover the recommended concurrency (or sync workers would serve more)' },
  { id: WORKERS, severity: 'warning', summary: 'measured load: another worker count serves more within the objective (GIL-bound CPU, vCPU hotspot)' },
  { id: STARTUP_PROBE_BUDGET, severity: 'warning', summary: 'measured start-up: the startupProbe budget (failureThreshold × periodSeconds) does not fit the p99 start-up latency' },
  { id: INSUFFICIENT_DATA, severity: 'info', summary: 'measured load cannot support a recommendation: too few steps, no low-concurrency data, no CPU series' },
  { id: UNAVAILABLE, severity: 'warning', summary: 'metrics could not be read for a workload (Prometheus down, an error, garbage): no recommendation' },
];

/** The metrics finding with this id, or `undefined`. */
export function metricFindingById(id: string): MetricFindingInfo | undefined {
  return METRIC_FINDINGS.find((f) => f.id === id);
}
