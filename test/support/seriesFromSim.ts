/**
 * Per-step load from the ground-truth simulation (bench/sim): a Python server with known workers, threads, vCPU and
 * request costs behind a Knative-like platform. Its steps feed test/support/series.ts, so the series a test writes
 * to Prometheus are what such a server would have produced.
 */
import { simulate } from '../../bench/sim/engine.ts';
import { LATENCY_BUCKETS } from '../../bench/sim/histogram.ts';
import type { StepLoad } from './series.ts';

/** The simulation's latency bucket bounds (Knative's queue-proxy buckets, seconds). */
export const SIM_BOUNDS: readonly number[] = LATENCY_BUCKETS;

/** A small simulated service. */
export interface SimulatedService {
  seed: number;
  /** Requests per second at the start and at the end of the run (a linear ramp). */
  fromRate: number;
  toRate: number;
  cpuMs: number;
  ioMs: number;
  workers: number;
  threads: number;
  vcpus: number;
  containerConcurrency: number;
  durationSeconds: number;
  stepSeconds: number;
}

/** The steps of one simulated run. */
export function simulatedSteps(service: SimulatedService): StepLoad[] {
  const { fromRate, toRate, durationSeconds } = service;
  const run = simulate({
    seed: service.seed,
    server: { workers: service.workers, threads: service.threads, vcpus: service.vcpus },
    request: {
      cpuSeconds: { kind: 'lognormal', mean: service.cpuMs / 1000, cv: 0.5 },
      ioSeconds: { kind: 'lognormal', mean: service.ioMs / 1000, cv: 0.6 },
    },
    load: { kind: 'open', rate: (t) => fromRate + ((toRate - fromRate) * t) / durationSeconds, peakRate: Math.max(fromRate, toRate) },
    platform: {
      containerConcurrency: service.containerConcurrency,
      targetUtilization: 0.7,
      targetDefault: 100,
      minInstances: 1,
      maxInstances: 20,
      initialInstances: 1,
      startupSeconds: { kind: 'lognormal', mean: 6, cv: 0.5 },
      tickSeconds: 2,
      stableWindowSeconds: 60,
      panicWindowSeconds: 6,
    },
    durationSeconds,
    warmupSeconds: 0,
    stepSeconds: service.stepSeconds,
    keepAliveSeconds: 2,
  });
  return run.steps;
}
