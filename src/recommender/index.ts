/**
 * @module The recommender's public surface: `recommend` for one workload's observations, `recommendFindings` for a
 * report, the finding catalogue, and the model pieces (Little's law, USL fit, GIL bound, hotspot, capacity model).
 */
export { recommendFindings, workloadFacts, observedTargetOf, METRICS_ONLY_FILE } from './findings.ts';
export { recommend, recommendStartupProbe } from './recommend.ts';
export type { ModelPlan, Objective, WorkloadRecommendation } from './recommend.ts';
export { METRIC_FINDINGS, metricFindingById } from './catalogue.ts';
export type { MetricFindingInfo } from './catalogue.ts';
export { littleConcurrency, littleLatency, loadPoints, lowConcurrencyBaseline } from './points.ts';
export { fitUsl, uslThroughput } from './usl.ts';
export { cpuSecondsPerRequest, detectHotspot, gilCapacity } from './gil.ts';
export { CapacityModel, largestConcurrencyWithin } from './capacity.ts';
export { withBounds, withConfidence, withHysteresis, withStepCap } from './decorators.ts';
export { defaultRecommenderConfig } from './types.ts';
export type { Confidence, Derivation, Insufficient, Outcome, ProbeBudget, Recommendation, RecommenderConfig, WorkloadFacts } from './types.ts';
