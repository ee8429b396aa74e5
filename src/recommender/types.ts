/**
 * @module The recommender's contract: typed outcomes (a value with its confidence and how it was derived, or an
 * explicit "insufficient data" with what is missing; never a guessed number), the facts it needs from the manifests,
 * and its configuration with one typed source of defaults.
 */
import type { ConcurrencyModel, ServerKind } from '../model/server.ts';
import type { Platform } from '../model/workload.ts';

/** How much the data supports a recommendation. */
export type ConfidenceLevel = 'low' | 'medium' | 'high';

/** Levels in order, for comparisons (`withConfidence`). */
export const CONFIDENCE_LEVELS: readonly ConfidenceLevel[] = ['low', 'medium', 'high'];

/** What a recommendation rests on: the data points, the concurrency they cover and the window they span. */
export interface Confidence {
  /** Steps of the window that the model used. */
  points: number;
  /** Lowest and highest average in-flight requests per instance seen. */
  concurrencyRange: [number, number];
  windowSeconds: number;
  level: ConfidenceLevel;
  /** Why the level is what it is (`USL fit R² 0.97 over 11 concurrency levels`, `extrapolates 3× beyond the data`). */
  notes: string[];
}

/**
 * One step of a derivation, for the report's evidence: `metric` names the observed field it comes from (a key of
 * `WorkloadObservations.queries`, so the finding can cite the PromQL), `text` says what was derived.
 */
export interface Derivation {
  metric: string;
  text: string;
}

/** A recommended value: `value` is the next step to apply (after guardrails), `target` where the steps lead. */
export interface Recommendation<T> {
  kind: 'recommendation';
  value: T;
  /** The model's value within bounds, before the step cap and hysteresis (equal to `value` when no guardrail held it back). */
  target: T;
  /** The value in force now, when known. */
  current?: T;
  confidence: Confidence;
  evidence: Derivation[];
}

/** A recommendation withheld: the data cannot support it. `have`/`need` say by how much. */
export interface Insufficient {
  kind: 'insufficient';
  reason: string;
  have: number | string;
  need: number | string;
}

/** Either a recommendation or an explicit reason there is none. */
export type Outcome<T> = Recommendation<T> | Insufficient;

/** The startupProbe timing recommended: `failureThreshold × periodSeconds` is the start-up budget. */
export interface ProbeBudget {
  periodSeconds: number;
  failureThreshold: number;
}

/** What the recommender needs to know about the workload from its manifests (or, without `-f`, from metrics). */
export interface WorkloadFacts {
  platform: Platform;
  /** vCPU per instance (CPU limit rounded up). Unknown = the GIL and hotspot models are withheld. */
  vcpus?: number;
  /** The containerConcurrency in force: Cloud Run's default 80 when unset; undefined for unlimited (Knative 0) or none (Deployment). */
  containerConcurrency?: number;
  /** A platform limit on containerConcurrency beyond the bounds: Cloud Run allows only 1 below 1 vCPU. */
  maxConcurrency?: number;
  server?: {
    kind: ServerKind;
    model: ConcurrencyModel;
    workers?: number;
    threads?: number;
  };
  /**
   * What shows a free-threaded CPython build (`python:3.13t`, `PYTHON_GIL=0`), where threads of one process run Python
   * on several cores: the capacity model and the vCPU hotspot check then drop the GIL's one core per process for
   * threaded servers. Absent: a GIL build.
   */
  freeThreaded?: string;
  /** The startupProbe timing in force (its budget is failureThreshold × periodSeconds), and whether the platform set it implicitly. */
  startupBudget?: { periodSeconds: number; failureThreshold: number; implicit: boolean };
}

/** Limits no recommendation crosses. */
export interface Bounds {
  minConcurrency: number;
  maxConcurrency: number;
  maxThreads: number;
  maxWorkers: number;
}

/** The recommender's configuration. `now` is passed in, never read from a clock. */
export interface RecommenderConfig {
  /** Unix seconds; observations older than `maxAgeSeconds` before it are ignored. */
  now: number;
  maxAgeSeconds: number;
  /** An absolute p95 objective, seconds (`--latency-slo`); without it, `objectiveFactor` × the p95 at low concurrency. */
  latencySloSeconds?: number;
  objectiveFactor: number;
  /**
   * The share of the instance's vCPU the server's own CPU may use at the recommended concurrency (0–1): containerConcurrency
   * is at most the requests in flight that serve vCPU × this / (CPU seconds per request) requests per second.
   */
  cpuUtilisationTarget: number;
  /**
   * The share of one core a threaded worker process's GIL may be held by its requests' CPU (0–1): in flight per
   * process is at most what serves this / (CPU seconds per request, at most the 5 ms switch interval: a longer request
   * holds the GIL in turns of it) requests per second (Little's law), and more
   * concurrency takes more workers, not more threads. Threads that block on I/O must take the GIL back to go on; the
   * busier it is, the more of those hand-offs wait (up to CPython's 5 ms switch interval when the holder runs Python),
   * and the delay grows with the hand-offs per second, which the per-core CPU model does not count. Not applied to
   * sync workers, event loops (one thread) or free-threaded builds.
   */
  gilShareTarget: number;
  bounds: Bounds;
  /** At most this factor up or down per recommendation step. */
  stepFactor: number;
  /** A change smaller than this fraction of the current value is not recommended. */
  hysteresis: number;
  /** Below this level a recommendation is withheld as insufficient. */
  minimumConfidence: ConfidenceLevel;
  /** Steps with traffic needed for any recommendation. */
  minPoints: number;
  /** Distinct concurrency levels needed to fit the Universal Scalability Law. */
  minConcurrencyLevels: number;
  /** Start-up budget = p99 start-up × this. */
  startupHeadroom: number;
  /** startupProbe periodSeconds recommended (the budget is a multiple of it). */
  probePeriodSeconds: number;
}

/** Cloud Run's maximum containerConcurrency, also Knative's default `container-concurrency-max-limit`. */
export const PLATFORM_MAX_CONCURRENCY = 1000;

/** Cloud Run: a startup probe's failureThreshold × periodSeconds may not exceed 240 s. */
export const CLOUD_RUN_MAX_STARTUP_BUDGET = 240;

/** The defaults, in one place. */
export function defaultRecommenderConfig(now: number): RecommenderConfig {
  return {
    now,
    maxAgeSeconds: 28 * 24 * 3600,
    objectiveFactor: 1.5,
    // Cloud Run's autoscaler adds instances above 60% CPU by default (https://cloud.google.com/run/docs/about-instance-autoscaling),
    // so an instance is not asked to serve more; on Knative and Kubernetes the same headroom is left for what shares the
    // pod's CPU and is not in the server's CPU series (the queue-proxy sidecar, the runtime's own threads).
    cpuUtilisationTarget: 0.6,
    // Measured in the lab (docs/lab/findings.md, run 5, 2 vCPU): gunicorn gthread shapes of 2, 3 and 4 workers met the
    // objective at every per-process GIL share up to 0.38 and missed from 0.39 (3 workers × 25 in flight each, 0.8 ms
    // CPU per request, on repetition; 4 × 1.8 with 12 ms) up to 0.57, where 2 workers stopped serving more. 0.35 keeps a
    // margin below the lowest share that missed. An empirical share from one machine, not a derived constant. Run 6:
    // 2 workers of 12 ms requests met it at 0.88 of a core each, which the hold capped at the 5 ms switch interval allows.
    gilShareTarget: 0.35,
    bounds: { minConcurrency: 1, maxConcurrency: PLATFORM_MAX_CONCURRENCY, maxThreads: 256, maxWorkers: 16 },
    stepFactor: 2,
    hysteresis: 0.1,
    minimumConfidence: 'low',
    minPoints: 12,
    minConcurrencyLevels: 5,
    // Start-up times are long-tailed (image pull, cold caches): 1.5 × p99 keeps a slow start from being killed.
    startupHeadroom: 1.5,
    probePeriodSeconds: 2,
  };
}
