/**
 * @module The workloads of the quality bench: known request costs (CPU and I/O), vCPU and load, and the configuration
 * each one runs with before tuning — the platform's and the Cloud Run Python guide's defaults (`gunicorn --workers 1
 * --threads 8`, containerConcurrency 80 on Cloud Run, unlimited on Knative).
 */
import type { Platform } from '../../src/model/workload.ts';
import type { Distribution } from './random.ts';
import type { OpenLoad, PlatformParams, RequestProfile, SimParams } from './types.ts';

/** A server and platform configuration: what pytuner recommends and what the brute force searches. */
export interface Deployment {
  workers: number;
  /** Threads per worker (1 = gunicorn's sync worker class). */
  threads: number;
  /** 0 = unlimited (Knative's default); the autoscaler then aims at `targetDefault × targetUtilization` in flight. */
  containerConcurrency: number;
}

/** One workload of the bench. */
export interface Scenario {
  name: string;
  summary: string;
  vcpus: number;
  request: RequestProfile;
  platform: Extract<Platform, 'cloudrun' | 'knative'>;
  /** The configuration the observed window ran with. */
  current: Deployment;
  /** Requests per second at the peak of the window. */
  peakRate: number;
  /** Short bursts on top of the daily curve: every `everySeconds`, `factor` × the rate for `seconds`. */
  bursts?: { everySeconds: number; seconds: number; factor: number };
  /** The "day" of the load curve, compressed: low at its start and end, the peak in its middle. */
  periodSeconds: number;
  windowSeconds: number;
  stepSeconds: number;
  seed: number;
}

/** Start-up of a Python container (image pull excluded): import of the app and its dependencies. */
export const STARTUP: Distribution = { kind: 'lognormal', mean: 6, cv: 0.5 };

/** The Cloud Run Python guide's CMD: `gunicorn --bind :$PORT --workers 1 --threads 8 --timeout 0 main:app`. */
export const GUNICORN_GUIDE = { workers: 1, threads: 8 } as const;

/** The four workloads of `npm run bench:quality`. */
export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'cpu-bound',
    summary: '40 ms CPU + 5 ms I/O per request, 2 vCPU, Cloud Run defaults (80, 1 worker × 8 threads)',
    vcpus: 2,
    request: { cpuSeconds: { kind: 'lognormal', mean: 0.04, cv: 0.6 }, ioSeconds: { kind: 'lognormal', mean: 0.005, cv: 0.6 } },
    platform: 'cloudrun',
    current: { ...GUNICORN_GUIDE, containerConcurrency: 80 },
    peakRate: 120,
    periodSeconds: 2400,
    windowSeconds: 4800,
    stepSeconds: 30,
    seed: 11,
  },
  {
    name: 'io-bound',
    summary: '3 ms CPU + 80 ms I/O per request, 1 vCPU, Cloud Run defaults (80, 1 worker × 8 threads)',
    vcpus: 1,
    request: { cpuSeconds: { kind: 'lognormal', mean: 0.003, cv: 0.5 }, ioSeconds: { kind: 'lognormal', mean: 0.08, cv: 0.6 } },
    platform: 'cloudrun',
    current: { ...GUNICORN_GUIDE, containerConcurrency: 80 },
    peakRate: 500,
    periodSeconds: 2400,
    windowSeconds: 4800,
    stepSeconds: 30,
    seed: 12,
  },
  {
    name: 'mixed',
    summary: '15 ms CPU + 40 ms I/O per request, 2 vCPU, Knative defaults (unlimited, target 100; 1 worker × 8 threads)',
    vcpus: 2,
    request: { cpuSeconds: { kind: 'lognormal', mean: 0.015, cv: 0.6 }, ioSeconds: { kind: 'lognormal', mean: 0.04, cv: 0.6 } },
    platform: 'knative',
    current: { ...GUNICORN_GUIDE, containerConcurrency: 0 },
    peakRate: 300,
    periodSeconds: 2400,
    windowSeconds: 4800,
    stepSeconds: 30,
    seed: 13,
  },
  {
    name: 'bursty',
    summary: '8 ms CPU + 60 ms I/O per request, 2 vCPU, 3× bursts of 20 s every 4 min, Cloud Run defaults',
    vcpus: 2,
    request: { cpuSeconds: { kind: 'lognormal', mean: 0.008, cv: 0.6 }, ioSeconds: { kind: 'lognormal', mean: 0.06, cv: 0.8 } },
    platform: 'cloudrun',
    current: { ...GUNICORN_GUIDE, containerConcurrency: 80 },
    peakRate: 250,
    bursts: { everySeconds: 240, seconds: 20, factor: 3 },
    periodSeconds: 2400,
    windowSeconds: 4800,
    stepSeconds: 30,
    seed: 14,
  },
];

/** Knative (config-autoscaler) and Cloud Run autoscaling parameters for the platform simulation. */
export function platformParams(platform: Scenario['platform'], containerConcurrency: number): PlatformParams {
  return {
    containerConcurrency,
    // Knative container-concurrency-target-percentage 70; Cloud Run scales at about 60% of the maximum concurrency.
    targetUtilization: platform === 'knative' ? 0.7 : 0.6,
    targetDefault: 100,
    minInstances: 1,
    maxInstances: 100,
    initialInstances: 1,
    startupSeconds: STARTUP,
    tickSeconds: 2,
    stableWindowSeconds: 60,
    panicWindowSeconds: 6,
  };
}

/**
 * The scenario's load over its window: a daily curve compressed into `periodSeconds` (2% of the peak at both ends, the
 * peak in the middle, so the data covers low and high concurrency), repeated, with bursts on top when the scenario has them.
 */
export function loadOf(scenario: Scenario): OpenLoad {
  const { peakRate, periodSeconds, bursts } = scenario;
  const burstFactor = bursts?.factor ?? 1;
  return {
    kind: 'open',
    peakRate: peakRate * burstFactor,
    rate: (t: number) => {
      const daily = peakRate * (0.02 + 0.98 * ((1 - Math.cos((2 * Math.PI * t) / periodSeconds)) / 2));
      if (bursts === undefined) return daily;
      const inBurst = t % bursts.everySeconds < bursts.seconds && t > bursts.seconds;
      return inBurst ? daily * bursts.factor : daily;
    },
  };
}

/** The simulation of the scenario's observed window, with its current configuration on its platform. */
export function observedRun(scenario: Scenario): SimParams {
  return {
    seed: scenario.seed,
    server: { workers: scenario.current.workers, threads: scenario.current.threads, vcpus: scenario.vcpus },
    request: scenario.request,
    load: loadOf(scenario),
    platform: platformParams(scenario.platform, scenario.current.containerConcurrency),
    durationSeconds: scenario.windowSeconds,
    warmupSeconds: 0,
    stepSeconds: scenario.stepSeconds,
    keepAliveSeconds: 2,
  };
}
