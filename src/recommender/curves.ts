/**
 * @module The recommendation as a curve, for `-o html`: the p95 the model predicts at each per-instance concurrency for
 * the server shape it recommends, the objective, the steps observed in Prometheus, and the containerConcurrency in
 * force and recommended. Built from the same `recommend` and `loadPoints` as the `metrics.*` findings, with the same
 * configuration, so the page draws what the findings say. Pure; computed only when a format asks for it.
 */
import type { Target } from '../model/finding.ts';
import type { MetricsUnavailable, WorkloadObservations } from '../model/observations.ts';
import { observationKey } from '../model/observations.ts';
import type { Inventory } from '../model/workload.ts';
import { targetOf } from '../rules/facts.ts';
import { CapacityModel } from './capacity.ts';
import { configOf, observedTargetOf, workloadFacts } from './findings.ts';
import { loadPoints } from './points.ts';
import { ms, recommend } from './recommend.ts';
import type { RecommenderConfig } from './types.ts';
import { uslThroughput } from './usl.ts';

/** One point of a curve: per instance. */
export interface CurvePoint {
  concurrency: number;
  /** Seconds. */
  p95: number;
  /** Requests per second per instance. */
  throughput: number;
}

/** What the HTML page plots for one workload with measured load. */
export interface RecommendationCurve {
  /** The workload, as its `metrics.*` findings name it. */
  target: Target;
  objective: { p95Seconds: number; how: string };
  /** The model's prediction, in concurrency order; `model` says for which server shape, or that it is the USL fit. */
  predicted: { model: string; points: CurvePoint[] };
  /** The steps of the window with traffic and a p95 (per instance). */
  observed: CurvePoint[];
  /**
   * What the concurrency is called: `containerConcurrency` on Knative and Cloud Run; on a Deployment nothing sets it
   * (the load balancer does not cap it), so the recommendation is a level of requests in flight per pod to stay under.
   */
  setting: 'containerConcurrency' | 'requests in flight per pod';
  /** containerConcurrency in force; absent when unlimited or not a Knative/Cloud Run workload. */
  current?: number;
  /** containerConcurrency recommended (the next step, after guardrails), and where the steps lead. */
  recommended?: { value: number; target: number; confidence: string };
}

/** Points per predicted curve at most: integers up to this, then spaced evenly on a log scale. */
const MAX_CURVE_POINTS = 80;

/**
 * The curve of every workload of `inventory` whose observations gave the model enough to recommend a concurrency
 * (an insufficient-data or unavailable workload has no curve: its finding says why).
 */
export function recommendationCurves(inventory: Inventory, observations: ReadonlyMap<string, WorkloadObservations | MetricsUnavailable>, objectives: Partial<RecommenderConfig> = {}): RecommendationCurve[] {
  const config = configOf(observations, objectives);
  const curves: RecommendationCurve[] = [];
  for (const workload of inventory.workloads) {
    const entry = observations.get(observationKey(observedTargetOf(workload)));
    if (entry === undefined || 'reason' in entry) continue;
    const facts = workloadFacts(workload);
    const result = recommend(entry, facts, config);
    const plan = result.plan;
    if (plan === undefined) continue;
    const observed = loadPoints(entry, config).points.flatMap((p) => (p.p95 === undefined ? [] : [{ concurrency: p.concurrency, p95: p.p95, throughput: p.throughput }]));
    const outcome = result.containerConcurrency;
    const recommended = outcome.kind === 'recommendation' ? { value: outcome.value, target: outcome.target, confidence: outcome.confidence.level } : undefined;
    const reach = Math.max(2, plan.prediction.concurrency * 1.5, ...observed.map((p) => p.concurrency * 1.2), facts.containerConcurrency ?? 0, recommended?.value ?? 0);
    const server = workload.containers.find((c) => c.server !== undefined) ?? workload.containers[0];
    const curve: RecommendationCurve = {
      target: targetOf(workload, server),
      setting: workload.platform === 'kubernetes' ? 'requests in flight per pod' : 'containerConcurrency',
      objective: { p95Seconds: plan.objective.p95Seconds, how: plan.objective.how },
      predicted: predictedCurve(plan, reach),
      observed,
    };
    if (facts.containerConcurrency !== undefined) curve.current = facts.containerConcurrency;
    if (recommended !== undefined) curve.recommended = recommended;
    curves.push(curve);
  }
  return curves;
}

type Plan = NonNullable<ReturnType<typeof recommend>['plan']>;

function predictedCurve(plan: Plan, reach: number): RecommendationCurve['predicted'] {
  const levels = concurrencyLevels(Math.ceil(reach));
  if (plan.demands !== undefined && plan.candidate !== undefined) {
    const model = new CapacityModel(plan.demands, plan.candidate);
    const { workers, model: kind } = plan.candidate;
    const shape = `${workers} ${workers === 1 ? 'worker' : 'workers'}, ${kind === 'sync' ? 'sync' : kind === 'loop' ? 'event loop' : 'threads'}`;
    return { model: `model: ${shape} (CPU ${ms(plan.demands.cpuSeconds)} + I/O ${ms(plan.demands.ioSeconds)} per request, ${plan.demands.vcpus} vCPU)`, points: levels.map((n) => point(model.predict(n))) };
  }
  const usl = plan.usl;
  if (usl === undefined) return { model: 'model: none', points: [] };
  // As the recommender's empirical path: latency n / X(n) from the USL fit, in the shape (p95 / mean) of the baseline.
  const shape = plan.baseline.p95 / plan.baseline.meanLatency;
  return {
    model: `USL fit of the current configuration (R² ${usl.r2.toFixed(2)})`,
    points: levels.map((n) => {
      const throughput = uslThroughput(usl, n);
      return { concurrency: n, p95: (n / throughput) * shape, throughput };
    }),
  };
}

function point(p: { concurrency: number; p95: number; throughput: number }): CurvePoint {
  return { concurrency: p.concurrency, p95: p.p95, throughput: p.throughput };
}

/** 1, 2, …, max when few; else MAX_CURVE_POINTS integers spaced evenly in log(concurrency). */
export function concurrencyLevels(max: number): number[] {
  if (max <= MAX_CURVE_POINTS) return Array.from({ length: max }, (_, i) => i + 1);
  const levels = new Set<number>();
  for (let i = 0; i < MAX_CURVE_POINTS; i++) levels.add(Math.round(Math.exp((Math.log(max) * i) / (MAX_CURVE_POINTS - 1))));
  return [...levels].sort((a, b) => a - b);
}
