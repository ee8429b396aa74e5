/**
 * @module Parameters and results of the ground-truth simulation: a Python web server (gunicorn sync or gthread
 * workers) on instances of a serverless platform (Knative / Cloud Run: a per-instance concurrency limit, a request
 * queue in front, an autoscaler). Durations are seconds.
 */
import type { Distribution } from './random.ts';

/** The server inside one instance. */
export interface ServerParams {
  /** gunicorn worker processes. */
  workers: number;
  /**
   * Threads per worker. 1 is gunicorn's sync worker class (gunicorn picks it for `--threads 1`): one request per worker,
   * no keep-alive, the next connection waits in the listen backlog for an idle worker. > 1 is gthread: keep-alive
   * connections stay with the worker that accepted them.
   */
  threads: number;
  /** vCPU of the instance: worker processes run in parallel on at most this many cores. */
  vcpus: number;
}

/** What one request costs: CPU time (under the GIL) and time waiting on I/O (database, HTTP calls). */
export interface RequestProfile {
  cpuSeconds: Distribution;
  ioSeconds: Distribution;
}

/**
 * A load generator with a fixed number of clients against one instance (as `hey -c N` or `wrk -c N`): each client sends
 * its next request when the last one returns, over its own keep-alive connection.
 */
export interface ClosedLoad {
  kind: 'closed';
  concurrency: number;
  /** Clients start at uniform random times in [0, rampSeconds]; 0 opens every connection at once. */
  rampSeconds: number;
  /** Mean requests a connection carries before it is closed and reopened (geometric); `Infinity` keeps it. */
  requestsPerConnection: number;
}

/** Poisson arrivals at a time-varying rate (requests per second over the whole service), through the platform. */
export interface OpenLoad {
  kind: 'open';
  rate: (t: number) => number;
  /** An upper bound of `rate` over the run (the thinning envelope). */
  peakRate: number;
}

/** The serving platform: per-instance concurrency limit, queue, autoscaler (Knative KPA-like; Cloud Run behaves alike). */
export interface PlatformParams {
  /** Hard limit of in-flight requests per instance; 0 = unlimited (Knative's default). */
  containerConcurrency: number;
  /** Fraction of the concurrency the autoscaler aims at: Knative `container-concurrency-target-percentage` 70%, Cloud Run 60%. */
  targetUtilization: number;
  /** Concurrency target when containerConcurrency is 0: Knative `container-concurrency-target-default` 100. */
  targetDefault: number;
  minInstances: number;
  maxInstances: number;
  initialInstances: number;
  /** Time from the autoscaler's decision to a ready instance. */
  startupSeconds: Distribution;
  /** Knative's autoscaler ticks every 2 s, averages over a 60 s stable window and a 6 s panic window. */
  tickSeconds: number;
  stableWindowSeconds: number;
  panicWindowSeconds: number;
}

/** One simulation run. */
export interface SimParams {
  seed: number;
  server: ServerParams;
  request: RequestProfile;
  load: ClosedLoad | OpenLoad;
  /** Required for open load; a closed load talks to one instance directly. */
  platform?: PlatformParams;
  durationSeconds: number;
  /** Completions before this time are not measured (steps are still recorded). */
  warmupSeconds: number;
  stepSeconds: number;
  /** gunicorn `--keep-alive`: an idle keep-alive connection is closed after this long (default 2 s). */
  keepAliveSeconds: number;
  /** Stop once this many completions were measured (a closed load reaches its steady state quickly). */
  maxCompletions?: number;
}

/** What the platform's metrics would show for one step (all instances together). */
export interface SimStep {
  /** End of the step, seconds since the start of the run. */
  t: number;
  arrived: number;
  completed: number;
  /** Completions per latency bucket (not cumulative), one more than `LATENCY_BUCKETS` (the last is +Inf). */
  buckets: number[];
  latencySum: number;
  /** Time-averaged ready instances over the step. */
  instances: number;
  /** Time-averaged in-flight requests per ready instance (admitted, in the server: serving or waiting for a thread). */
  inflightPerInstance: number;
  cpuSecondsPerInstance: number;
  /** Time-averaged requests waiting in the platform's queue (not yet admitted to an instance), per ready instance. */
  waitingPerInstance: number;
  /** Start-up latencies of the instances that became ready in this step. */
  startupLatencies: number[];
}

/** Measured results after the warm-up. */
export interface SimSummary {
  completed: number;
  arrived: number;
  measuredSeconds: number;
  /** Requests per second over all instances. */
  throughput: number;
  meanInstances: number;
  throughputPerInstance: number;
  meanLatency: number;
  p50: number;
  p95: number;
  p99: number;
  /** CPU cores busy per instance on average. */
  cpuCoresPerInstance: number;
}

export interface SimRun {
  params: SimParams;
  steps: SimStep[];
  summary: SimSummary;
}
