/**
 * @module A simulation run as the metrics layer would report it: per-step `WorkloadObservations`, with latency
 * percentiles from the Knative buckets through `histogram_quantile` (so they carry the same bucket rounding as
 * Prometheus data). For unit tests and the quality bench, without Prometheus.
 */
import type { MetricsProfileId, ObservationSample, ObservedTarget, WorkloadObservations } from '../../src/model/observations.ts';
import { histogramQuantile } from './histogram.ts';
import { exactQuantile } from './histogram.ts';
import type { SimRun, SimStep } from './types.ts';

/** How to label a run's observations. */
export interface ObservationLabels {
  target: ObservedTarget;
  profile: MetricsProfileId;
  /** Unix seconds of the simulation's time 0. */
  start: number;
}

/** The observations a Prometheus-backed reader would build from this run's series (steps without traffic have no latency). */
export function toObservations(run: SimRun, labels: ObservationLabels): WorkloadObservations {
  const { stepSeconds } = run.params;
  // Only a Knative queue-proxy with a containerConcurrency has a breaker, and so a queue-depth gauge.
  const breaker = labels.profile.startsWith('knative') && (run.params.platform?.containerConcurrency ?? 0) > 0;
  const samples = run.steps.map((step) => sampleOf(step, stepSeconds, labels.start, breaker));
  const startups = run.steps.flatMap((s) => s.startupLatencies);
  const observations: WorkloadObservations = {
    target: labels.target,
    profile: labels.profile,
    window: { start: labels.start, end: labels.start + (run.steps.at(-1)?.t ?? 0), stepSeconds },
    samples,
    queries: {
      requestRate: 'simulation: completed requests per second',
      concurrencyPerInstance: 'simulation: time-averaged in-flight requests per instance',
      instances: 'simulation: time-averaged ready instances',
      latencyP50: 'simulation: histogram_quantile(0.5) over Knative latency buckets',
      latencyP95: 'simulation: histogram_quantile(0.95) over Knative latency buckets',
      latencyP99: 'simulation: histogram_quantile(0.99) over Knative latency buckets',
      latencyMean: 'simulation: latency sum / count',
      cpuCoresPerInstance: 'simulation: CPU seconds per instance per second',
      breakerInFlightPerInstance: 'simulation: time-averaged admitted plus queued requests per instance',
      startupLatencyP99: 'simulation: instance start-up latencies',
    },
    gaps: [],
  };
  if (startups.length > 0) observations.startupLatencyP99 = exactQuantile(startups, 0.99);
  return observations;
}

function sampleOf(step: SimStep, stepSeconds: number, start: number, breaker: boolean): ObservationSample {
  const sample: ObservationSample = { t: start + step.t, requestRate: step.completed / stepSeconds };
  if (step.instances > 0) {
    sample.instances = step.instances;
    sample.concurrencyPerInstance = step.inflightPerInstance;
    sample.cpuCoresPerInstance = step.cpuSecondsPerInstance / stepSeconds;
  }
  // What the queue-proxy's breaker holds: the requests admitted to the instance and those waiting for it; the
  // profiles read it only at steps with requests (an idle queue-proxy keeps its last value).
  if (breaker && step.instances > 0 && step.completed > 0) sample.breakerInFlightPerInstance = step.inflightPerInstance + step.waitingPerInstance;
  if (step.completed > 0) {
    sample.latencyP50 = histogramQuantile(0.5, step.buckets)!;
    sample.latencyP95 = histogramQuantile(0.95, step.buckets)!;
    sample.latencyP99 = histogramQuantile(0.99, step.buckets)!;
    sample.latencyMean = step.latencySum / step.completed;
  }
  return sample;
}
