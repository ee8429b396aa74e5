/**
 * @module The controller's settings and their defaults, declared once. `pytuner controller` takes its flag defaults
 * from here, `startController` and the modules it wires fill what a caller leaves out from here, and
 * test/unit/chartDefaults.test.ts checks that charts/pytuner/values.yaml says the same. Plain data with no imports:
 * the CLI reads it before anything of the controller loads.
 */

/** Levels a user can ask for with --log-level (pino's). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
/** A level of LOG_LEVELS. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The report APIs `--policy-reports` can write: wgpolicyk8s.io/v1alpha2 PolicyReport, openreports.io/v1alpha1 Report. */
export const REPORT_APIS = ['wgpolicyk8s', 'openreports'] as const;
/** One of REPORT_APIS. */
export type ReportApi = (typeof REPORT_APIS)[number];

/** The settings of one controller process that have a default. Durations are in milliseconds. */
export interface ControllerSettings {
  /** Operations endpoint (/healthz, /readyz, /metrics) port; 0 picks a free one. */
  metricsPort: number;
  /** This process's shard and the number of shards (src/controller/shard.ts). */
  shard: number;
  totalShards: number;
  /** Name of the Lease when electing a leader (with more than one shard, `<leaseName>-shard-<n>`). */
  leaseName: string;
  /** Leader election timing: client-go's defaults (leaderelection.LeaderElectionConfig). */
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  /** How often every target is re-evaluated without any change (informer resync). */
  resyncMs: number;
  /** Reconciles run at once (different keys). */
  workers: number;
  /** How often to look for Knative / Config Connector CRDs installed or removed. */
  discoveryIntervalMs: number;
  /** How long shutdown waits for in-flight reconciles. */
  shutdownTimeoutMs: number;
  /** How long a policy's measured load is used before its Prometheus is read again. */
  metricsIntervalMs: number;
  /** Per request to Prometheus. */
  metricsTimeoutMs: number;
  logLevel: LogLevel;
}

/** The defaults of ControllerSettings. */
export const CONTROLLER_DEFAULTS: Readonly<ControllerSettings> = Object.freeze({
  metricsPort: 8080,
  shard: 0,
  totalShards: 1,
  leaseName: 'pytuner-controller',
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
  resyncMs: 10 * 60_000,
  /**
   * A reconcile mostly waits for its two writes to the API server (bench:scale CPU profile, 2,000 workloads: the
   * controller idle a third of the time at 8 workers, the API server using twice its CPU). bench:scale on 2 vCPU,
   * 2,000 workloads: 2 workers 83/s, 8 94–104/s, 16 115–119/s, 32 112/s.
   */
  workers: 16,
  discoveryIntervalMs: 60_000,
  /** Under the 30 s default terminationGracePeriodSeconds, leaving time to release the Lease and stop the watches. */
  shutdownTimeoutMs: 20_000,
  /** Knative's and Cloud Run's metrics move on a minutes scale, and a week's window barely changes in 5 minutes. */
  metricsIntervalMs: 5 * 60_000,
  /** Reconciles of the policy wait for the collection. */
  metricsTimeoutMs: 10_000,
  logLevel: 'info',
});

/** `1h30m`-style text for a whole number of milliseconds (flag help shows defaults this way). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const units: Array<[string, number]> = [['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]];
  let rest = ms;
  let text = '';
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    if (count > 0) text += `${count}${unit}`;
    rest -= count * size;
  }
  return text;
}
