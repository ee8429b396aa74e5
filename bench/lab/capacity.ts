/**
 * @module Item 4 of the lab: the Cloud Run concurrency guide's case — 400 clients each sending 3 requests per second —
 * in the discrete-event simulation of bench/sim, calibrated by the lab's measurements: how many instances
 * containerConcurrency 1, 80 and pytuner's recommendation need to serve it within the latency objective.
 *
 * Calibration: CPU per request is the median of the observed day's busier half (as the recommender measures it: CPU
 * per request grows under GIL contention), I/O per request is the mean latency of one request at a time minus its CPU,
 * and both parts are lognormal with the coefficient of variation of that latency (its p95/mean and p50, as the
 * recommender's `latencySigma` reads them). The check: the calibrated simulation against measured closed-loop points.
 */
import { simulate } from '../sim/engine.ts';
import { platformParams } from '../sim/scenarios.ts';
import type { SimParams } from '../sim/types.ts';
import { latencySigma } from '../../src/recommender/capacity.ts';
import type { LabConfig } from './search.ts';

/** The request the simulation replays. */
export interface Calibration {
  cpuSeconds: number;
  ioSeconds: number;
  /** Coefficient of variation of each part. */
  cv: number;
  vcpus: number;
}

/** The measurements a calibration rests on. */
export interface CalibrationInput {
  /** One request at a time: mean, median and p95 latency, CPU per request. */
  baseline: { meanLatency: number; p50: number; p95: number; cpuSecondsPerRequest: number };
  /** CPU per request at the observed day's busier half. */
  loadedCpuSecondsPerRequest: number;
  vcpus: number;
}

/** The simulation's request from the lab's measurements (see the module comment). */
export function calibrate(input: CalibrationInput): Calibration {
  const { baseline } = input;
  const sigma = latencySigma(baseline.meanLatency, baseline.p95, baseline.p50);
  const cv = Math.sqrt(Math.exp(sigma * sigma) - 1);
  return { cpuSeconds: input.loadedCpuSecondsPerRequest, ioSeconds: Math.max(0, baseline.meanLatency - baseline.cpuSecondsPerRequest), cv, vcpus: input.vcpus };
}

/** The guide's load: 400 clients × 3 requests per second. */
export const GUIDE_LOAD = { clients: 400, requestsPerClientPerSecond: 3 } as const;

/** A setting of the case: the server shape and containerConcurrency (threads 0 = an event loop). */
export interface CapacitySetting {
  name: string;
  config: LabConfig;
}

/** What a setting needs for the guide's load. */
export interface CapacityResult {
  name: string;
  config: LabConfig;
  /** The fewest instances whose simulated p95 meets the objective; `undefined` when even `MAX_INSTANCES` do not. */
  instances?: number;
  /** p95 and mean latency with that many instances (or with `MAX_INSTANCES`). */
  p95: number;
  meanLatency: number;
  /** Simulations run for the search. */
  runs: number;
}

/** Simulated seconds per fleet size: the first 10 s settle the queues, the next 50 s are measured (60,000 requests). */
const WARMUP_SECONDS = 10;
const MEASURED_SECONDS = 50;

/** The largest fleet the search tries. */
export const MAX_INSTANCES = 4000;

/** The threads the simulation gives a shape: an event loop has no thread limit, taken as threads = concurrency. */
function simThreads(config: LabConfig): number {
  return config.threads === 0 ? Math.max(2, config.concurrency) : config.threads;
}

function requestOf(calibration: Calibration): SimParams['request'] {
  return { cpuSeconds: { kind: 'lognormal', mean: calibration.cpuSeconds, cv: calibration.cv }, ioSeconds: { kind: 'lognormal', mean: calibration.ioSeconds, cv: calibration.cv } };
}

/** The guide's load on a fixed fleet of `instances` (no autoscaling): the platform's queue, limit and routing only. */
export function fleetRun(calibration: Calibration, config: LabConfig, instances: number, seed: number): { p95: number; meanLatency: number } {
  const rate = GUIDE_LOAD.clients * GUIDE_LOAD.requestsPerClientPerSecond;
  const platform = platformParams('cloudrun', config.concurrency);
  const params: SimParams = {
    seed,
    server: { workers: config.workers, threads: simThreads(config), vcpus: calibration.vcpus },
    request: requestOf(calibration),
    load: { kind: 'open', rate: () => rate, peakRate: rate },
    platform: { ...platform, minInstances: instances, maxInstances: instances, initialInstances: instances },
    durationSeconds: WARMUP_SECONDS + MEASURED_SECONDS,
    warmupSeconds: WARMUP_SECONDS,
    stepSeconds: WARMUP_SECONDS + MEASURED_SECONDS,
    keepAliveSeconds: 2,
  };
  const { summary } = simulate(params);
  return { p95: summary.p95, meanLatency: summary.meanLatency };
}

/**
 * The fewest instances that serve the guide's load (400 × 3 = 1,200 req/s, Poisson) within the p95 objective with
 * `setting`: a fixed fleet, so the answer does not depend on how an autoscaler reaches it. The search starts at the
 * least fleet that can keep up at all — the GIL bound (1,200 × CPU per request / min(workers, vCPU)) and the
 * concurrency cap (1,200 × latency / containerConcurrency) — doubles until the objective is met, then bisects.
 */
export function instancesNeeded(calibration: Calibration, setting: CapacitySetting, objectiveSeconds: number, seed: number): CapacityResult {
  const rate = GUIDE_LOAD.clients * GUIDE_LOAD.requestsPerClientPerSecond;
  const { config } = setting;
  const latency = calibration.cpuSeconds + calibration.ioSeconds;
  const gilBound = (rate * calibration.cpuSeconds) / Math.min(config.workers, calibration.vcpus);
  const capBound = (rate * latency) / config.concurrency;
  let runs = 0;
  const at = (n: number) => {
    runs++;
    return fleetRun(calibration, config, n, seed);
  };
  let low = Math.max(1, Math.ceil(Math.max(gilBound, capBound)));
  let result = at(low);
  if (result.p95 <= objectiveSeconds) return { name: setting.name, config, instances: low, ...result, runs };
  let high = low;
  let highResult = result;
  while (highResult.p95 > objectiveSeconds) {
    if (high >= MAX_INSTANCES) return { name: setting.name, config, ...highResult, runs };
    low = high;
    high = Math.min(MAX_INSTANCES, high * 2);
    highResult = at(high);
  }
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    result = at(mid);
    if (result.p95 <= objectiveSeconds) [high, highResult] = [mid, result];
    else low = mid;
  }
  return { name: setting.name, config, instances: high, ...highResult, runs };
}

/** A measured closed-loop point and what the calibrated simulation predicts for it. */
export interface CalibrationCheck {
  config: LabConfig;
  measuredThroughput: number;
  simulatedThroughput: number;
  measuredP95: number;
  simulatedP95: number;
}

/** The calibrated simulation of one instance under a closed loop of `config.concurrency` clients. */
export function closedLoopCheck(calibration: Calibration, config: LabConfig, measured: { throughput: number; p95: number }, seed: number): CalibrationCheck {
  const params: SimParams = {
    seed,
    server: { workers: config.workers, threads: simThreads(config), vcpus: calibration.vcpus },
    request: requestOf(calibration),
    load: { kind: 'closed', concurrency: config.concurrency, rampSeconds: 0.5, requestsPerConnection: Infinity },
    durationSeconds: 1e6,
    warmupSeconds: 2,
    stepSeconds: 1e6,
    keepAliveSeconds: 2,
    maxCompletions: 5_000,
  };
  const { summary } = simulate(params);
  return { config, measuredThroughput: measured.throughput, simulatedThroughput: summary.throughputPerInstance, measuredP95: measured.p95, simulatedP95: summary.p95 };
}
