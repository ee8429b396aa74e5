/**
 * @module One measurement: a closed-loop wrk run of fixed duration against a running server, with the CPU its process
 * tree, the load generator and everything else on the machine used meanwhile.
 */
import { cpuBetween, readCpu } from './procstat.ts';
import type { RunningServer } from './server.ts';
import type { LabConfig } from './search.ts';
import { countOf, meanOf, quantile } from './stats.ts';
import type { LatencyCount, WrkErrors } from './wrk.ts';
import { runWrk } from './wrk.ts';

/** What one run measured. */
export interface Measurement {
  config: LabConfig;
  seconds: number;
  requests: number;
  /** Requests per second. */
  throughput: number;
  meanLatency: number;
  p50: number;
  p95: number;
  p99: number;
  errors: WrkErrors;
  /** Failed requests over all requests (socket errors, non-2xx, timeouts). */
  errorRate: number;
  /** CPU seconds of the server's processes per completed request. */
  cpuSecondsPerRequest: number;
  /** Cores the server used on average. */
  serverCores: number;
  loadGeneratorCores: number;
  /** Cores busy outside the lab (other people's work on the shared machine). */
  backgroundCores: number;
}

/** A measurement with its latency record, for the series written to Prometheus. */
export interface RecordedMeasurement extends Measurement {
  latencies: LatencyCount[];
}

/** How long to measure and where the request goes. */
export interface MeasureOptions {
  /** The request, e.g. `/work?cpu=30&io=0`. */
  path: string;
  seconds: number;
  timeoutSeconds: number;
  wrkScript: string;
}

/** Runs `concurrency` connections against `server` for `options.seconds` and measures. */
export async function measure(server: RunningServer, concurrency: number, options: MeasureOptions): Promise<RecordedMeasurement> {
  const before = readCpu(server.pid);
  const wrk = await runWrk({ url: `${server.url}${options.path}`, connections: concurrency, seconds: options.seconds, timeoutSeconds: options.timeoutSeconds }, options.wrkScript);
  const after = readCpu(server.pid);
  const usage = cpuBetween(before, after);
  const recorded = countOf(wrk.latencies);
  const failed = wrk.errors.connect + wrk.errors.read + wrk.errors.write + wrk.errors.status + wrk.errors.timeout;
  const config: LabConfig = { workers: server.config.workers, threads: server.config.threads, concurrency };
  if (recorded === 0) {
    // Nothing completed within the run (a setting far over its capacity, or a starved machine): every request took
    // longer than the run, which is all that is known of its latency; the setting scores 0 at any objective.
    const longer = wrk.durationSeconds;
    const cores = usage.serverCpuSeconds / usage.seconds;
    return { config, seconds: wrk.durationSeconds, requests: 0, throughput: 0, meanLatency: longer, p50: longer, p95: longer, p99: longer, errors: wrk.errors, errorRate: 1, cpuSecondsPerRequest: 0, serverCores: cores, loadGeneratorCores: usage.loadGeneratorCpuSeconds / usage.seconds, backgroundCores: usage.backgroundCores, latencies: [] };
  }
  return {
    config,
    seconds: wrk.durationSeconds,
    requests: wrk.requests,
    throughput: wrk.requests / wrk.durationSeconds,
    meanLatency: meanOf(wrk.latencies)!,
    p50: quantile(wrk.latencies, 0.5)!,
    p95: quantile(wrk.latencies, 0.95)!,
    p99: quantile(wrk.latencies, 0.99)!,
    errors: wrk.errors,
    errorRate: failed / Math.max(1, wrk.requests + wrk.errors.timeout),
    cpuSecondsPerRequest: usage.serverCpuSeconds / Math.max(1, wrk.requests),
    serverCores: usage.serverCpuSeconds / usage.seconds,
    loadGeneratorCores: usage.loadGeneratorCpuSeconds / usage.seconds,
    backgroundCores: usage.backgroundCores,
    latencies: wrk.latencies,
  };
}

/** The measurement without its latency record (for results files). */
export function withoutRecord(m: RecordedMeasurement): Measurement {
  const { latencies: _latencies, ...rest } = m;
  return rest;
}
