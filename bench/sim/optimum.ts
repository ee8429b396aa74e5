/**
 * @module Ground truth by brute force: the throughput per instance each (workers, threads, containerConcurrency)
 * achieves at the latency objective in the simulation, and the best of them.
 *
 * A configuration is measured where the platform runs it under sustained load: each instance holds its
 * containerConcurrency in flight (the autoscaler adds instances rather than exceed it; with Knative's unlimited
 * concurrency, the autoscaler's target, 100 × 70%). The simulation runs a closed loop at that concurrency against one
 * instance; its throughput counts when its p95 meets the objective, and is 0 when it misses it.
 */
import { simulate } from './engine.ts';
import type { Deployment, Scenario } from './scenarios.ts';
import { platformParams } from './scenarios.ts';
import type { SimParams } from './types.ts';

/** How one configuration is measured. */
export interface EvaluationOptions {
  /** Completions measured per configuration (after `warmupSeconds`). */
  completions: number;
  warmupSeconds: number;
  /** The clients open their connections over this long (connections that open together land on one gthread worker). */
  rampSeconds: number;
  /**
   * Mean requests per keep-alive connection. Under real traffic connections churn (gunicorn closes a connection idle for
   * 2 s, instances come and go), so the uneven spread over workers is re-drawn. The measurement wants the spread's
   * average effect, not one draw: 20 re-draws each connection every second or two, and 10,000 completions then cover
   * hundreds of spreads (with 100 and 4,000, the p95 of 2 workers × 26 threads varied 218–258 ms between seeds).
   */
  requestsPerConnection: number;
  seed: number;
}

export const DEFAULT_EVALUATION: EvaluationOptions = { completions: 10_000, warmupSeconds: 3, rampSeconds: 1, requestsPerConnection: 20, seed: 7 };

/** One configuration, measured. */
export interface Evaluation {
  deployment: Deployment;
  /** In-flight requests per instance it was measured at. */
  concurrency: number;
  /** Requests per second per instance. */
  throughput: number;
  p95: number;
  /** CPU cores busy per instance, measured. */
  cpuCores: number;
  meetsObjective: boolean;
}

/** Highest containerConcurrency the search tries (Cloud Run's and Knative's default maximum). */
const MAX_CONCURRENCY = 1000;

/** The in-flight requests per instance a deployment runs at under sustained load (see the module comment). */
export function operatingConcurrency(scenario: Scenario, deployment: Deployment): number {
  if (deployment.containerConcurrency > 0) return deployment.containerConcurrency;
  const platform = platformParams(scenario.platform, 0);
  return Math.round(platform.targetDefault * platform.targetUtilization);
}

/** Memoised closed-loop runs of one scenario: configurations that behave alike share a run. */
export class Evaluator {
  readonly scenario: Scenario;
  readonly objective: number;
  readonly options: EvaluationOptions;
  private readonly cache = new Map<string, { throughput: number; p95: number; cpuCores: number }>();
  runs = 0;

  constructor(scenario: Scenario, objective: number, options: EvaluationOptions = DEFAULT_EVALUATION) {
    this.scenario = scenario;
    this.objective = objective;
    this.options = options;
  }

  evaluate(deployment: Deployment): Evaluation {
    const concurrency = operatingConcurrency(this.scenario, deployment);
    // gthread threads beyond the concurrency never run a request: threads ≥ concurrency behave as threads = concurrency.
    const threads = deployment.threads === 1 ? 1 : Math.min(deployment.threads, Math.max(2, concurrency));
    const key = `${deployment.workers}/${threads}/${concurrency}`;
    let measured = this.cache.get(key);
    if (measured === undefined) {
      const run = simulate(closedLoop(this.scenario, { workers: deployment.workers, threads }, concurrency, this.options));
      this.runs++;
      measured = { throughput: run.summary.throughputPerInstance, p95: run.summary.p95, cpuCores: run.summary.cpuCoresPerInstance };
      this.cache.set(key, measured);
    }
    return { deployment, concurrency, throughput: measured.throughput, p95: measured.p95, cpuCores: measured.cpuCores, meetsObjective: measured.p95 <= this.objective };
  }

  /** Throughput per instance at the objective: the measured throughput when the p95 meets it, else 0. */
  score(evaluation: Evaluation): number {
    return evaluation.meetsObjective ? evaluation.throughput : 0;
  }

  /**
   * Throughput per instance at the objective within a CPU headroom of `cores` per instance: what the configuration
   * serves where an autoscaler adds instances once the CPU passes the headroom (Cloud Run's CPU driver, 60 % of the
   * vCPU by default), which holds it at `cores`. A configuration that uses more serves its measured throughput scaled
   * to the headroom (the CPU per request stays); one that uses less, all of it. At the lower load its p95 meets the
   * objective too, as it does at the full one.
   */
  scoreWithin(evaluation: Evaluation, cores: number): number {
    const share = evaluation.cpuCores > cores ? cores / evaluation.cpuCores : 1;
    return this.score(evaluation) * share;
  }
}

/** A closed loop of `concurrency` clients against one instance of the scenario's server. */
export function closedLoop(scenario: Scenario, server: { workers: number; threads: number }, concurrency: number, options: EvaluationOptions): SimParams {
  return {
    seed: options.seed,
    server: { ...server, vcpus: scenario.vcpus },
    request: scenario.request,
    load: { kind: 'closed', concurrency, rampSeconds: options.rampSeconds, requestsPerConnection: options.requestsPerConnection },
    durationSeconds: 1e6,
    warmupSeconds: options.warmupSeconds + options.rampSeconds,
    stepSeconds: 1e6,
    keepAliveSeconds: 2,
    maxCompletions: options.completions,
  };
}

/**
 * The default latency objective of the scenario: 1.5 × the p95 at low concurrency (one request at a time), as the
 * recommender's default objective is defined on observations.
 */
export function latencyObjective(scenario: Scenario, options: EvaluationOptions = DEFAULT_EVALUATION): number {
  const run = simulate(closedLoop(scenario, { workers: 1, threads: 1 }, 1, options));
  return 1.5 * run.summary.p95;
}

/** The worker counts and thread counts the brute force tries. */
export function searchSpace(scenario: Scenario): { workers: number[]; threads: number[] } {
  const maxWorkers = Math.min(4, 2 * scenario.vcpus);
  return {
    workers: Array.from({ length: maxWorkers }, (_, i) => i + 1),
    threads: [1, 2, 4, 8, 16, 32, 64, 128, 256],
  };
}

/**
 * The best configuration by brute force: for every (workers, threads), the largest containerConcurrency whose p95 meets
 * the objective (doubling, then bisecting), and of everything measured, the highest `score` that meets it (by default
 * the throughput; `Evaluator.scoreWithin` for the best within a CPU headroom, which grows with the concurrency as the
 * throughput does, so the same search finds it).
 */
export function bruteForce(evaluator: Evaluator, score: (e: Evaluation) => number = (e) => e.throughput): Evaluation | undefined {
  const space = searchSpace(evaluator.scenario);
  let best: Evaluation | undefined;
  const consider = (e: Evaluation) => {
    if (e.meetsObjective && (best === undefined || score(e) > score(best))) best = e;
    return e.meetsObjective;
  };
  for (const workers of space.workers) {
    for (const threads of space.threads) {
      const at = (containerConcurrency: number) => consider(evaluator.evaluate({ workers, threads, containerConcurrency }));
      if (!at(1)) continue;
      let good = 1;
      let bad = 0;
      for (let cc = 2; cc <= MAX_CONCURRENCY; cc *= 2) {
        if (at(cc)) good = cc;
        else {
          bad = cc;
          break;
        }
      }
      if (bad === 0) continue;
      while (bad - good > 1) {
        const mid = (good + bad) >> 1;
        if (at(mid)) good = mid;
        else bad = mid;
      }
    }
  }
  return best;
}
