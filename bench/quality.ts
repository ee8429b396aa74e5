/**
 * Benchmark: how close pytuner's recommendation comes to the best configuration, on simulated workloads whose optimum
 * is known by brute force (bench/sim). For each scenario:
 *   1. simulate an 80-minute window (two compressed days) of the service with its current configuration (the platform's and the Cloud Run
 *      guide's defaults) under a daily-shaped load, and turn it into observations as Prometheus would give them;
 *   2. recommend (workers, threads, containerConcurrency) from those observations;
 *   3. brute-force every (workers 1..2×vCPU, threads 1..256, containerConcurrency) in the simulation;
 *   4. compare throughput per instance at the latency objective: recommendation / optimum, and the defaults' ratios.
 * The objective is 1.5 × the p95 of one request at a time (the recommender's default), passed to the recommender as
 * an explicit objective so both sides aim at the same number.
 *
 *   npm run bench:quality                 # table
 *   npm run bench:quality -- --json       # JSON array, one object per scenario
 *   npm run bench:quality -- --seed 2     # other random draws (observations and measurements), same scenarios
 */
import { cpus, totalmem } from 'node:os';
import { simulate } from './sim/engine.ts';
import { toObservations } from './sim/observations.ts';
import type { Evaluation } from './sim/optimum.ts';
import { DEFAULT_EVALUATION, Evaluator, bruteForce, latencyObjective } from './sim/optimum.ts';
import type { Deployment, Scenario } from './sim/scenarios.ts';
import { GUNICORN_GUIDE, SCENARIOS, observedRun } from './sim/scenarios.ts';
import { recommend } from '../src/recommender/recommend.ts';
import type { WorkloadFacts } from '../src/recommender/types.ts';
import { defaultRecommenderConfig } from '../src/recommender/types.ts';

/** The configurations users get without tuning. */
const DEFAULTS: readonly { name: string; deployment: Deployment }[] = [
  { name: 'Cloud Run 80, gunicorn 1×8', deployment: { ...GUNICORN_GUIDE, containerConcurrency: 80 } },
  { name: 'Knative unlimited (target 100), gunicorn 1×8', deployment: { ...GUNICORN_GUIDE, containerConcurrency: 0 } },
  { name: 'gunicorn 1×8, containerConcurrency 8', deployment: { ...GUNICORN_GUIDE, containerConcurrency: 8 } },
];

interface ScenarioResult {
  scenario: string;
  summary: string;
  objectiveSeconds: number;
  recommended: Deployment;
  /** The first step after the guardrails (×2 / ÷2 per step from the current values). */
  firstStep: Deployment;
  confidence: string;
  optimal: Deployment;
  optimalThroughput: number;
  recommendedThroughput: number;
  recommendedP95: number;
  ratio: number;
  defaults: { name: string; ratio: number; p95Seconds: number }[];
  simulationRuns: number;
  seconds: number;
}

function factsOf(scenario: Scenario): WorkloadFacts {
  const facts: WorkloadFacts = {
    platform: scenario.platform,
    vcpus: scenario.vcpus,
    server: { kind: 'gunicorn', model: scenario.current.threads > 1 ? 'threaded' : 'sync', workers: scenario.current.workers, threads: scenario.current.threads },
  };
  if (scenario.current.containerConcurrency > 0) facts.containerConcurrency = scenario.current.containerConcurrency;
  return facts;
}

function run(base: Scenario, seedOffset: number): ScenarioResult {
  const started = performance.now();
  const scenario = { ...base, seed: base.seed + seedOffset };
  const evaluation = { ...DEFAULT_EVALUATION, seed: DEFAULT_EVALUATION.seed + seedOffset };
  const objective = latencyObjective(scenario, evaluation);
  const observed = simulate(observedRun(scenario));
  const start = 1_700_000_000;
  const observations = toObservations(observed, { target: { kind: 'Service', namespace: 'bench', name: scenario.name }, profile: scenario.platform === 'cloudrun' ? 'cloudrun' : 'knative', start });
  const config = { ...defaultRecommenderConfig(start + scenario.windowSeconds), latencySloSeconds: objective };
  const result = recommend(observations, factsOf(scenario), config);
  const { containerConcurrency: cc, threads, workers } = result;
  if (cc.kind !== 'recommendation' || threads?.kind !== 'recommendation' || workers?.kind !== 'recommendation') {
    const why = [cc, threads, workers].flatMap((o) => (o?.kind === 'insufficient' ? [o.reason] : []));
    throw new Error(`${scenario.name}: no recommendation: ${why.join('; ')}`);
  }
  const recommended: Deployment = { workers: workers.target, threads: threads.target, containerConcurrency: cc.target };
  const firstStep: Deployment = { workers: workers.value, threads: threads.value, containerConcurrency: cc.value };
  const evaluator = new Evaluator(scenario, objective, evaluation);
  const best = bruteForce(evaluator);
  if (best === undefined) throw new Error(`${scenario.name}: no configuration meets the objective`);
  const rec = evaluator.evaluate(recommended);
  const ratio = (e: Evaluation) => round(evaluator.score(e) / best.throughput, 3);
  return {
    scenario: scenario.name,
    summary: scenario.summary,
    objectiveSeconds: round(objective, 4),
    recommended,
    firstStep,
    confidence: cc.confidence.level,
    optimal: best.deployment,
    optimalThroughput: round(best.throughput, 1),
    recommendedThroughput: round(rec.throughput, 1),
    recommendedP95: round(rec.p95, 4),
    ratio: ratio(rec),
    defaults: DEFAULTS.map(({ name, deployment }) => {
      const e = evaluator.evaluate(deployment);
      return { name, ratio: ratio(e), p95Seconds: round(e.p95, 3) };
    }),
    simulationRuns: evaluator.runs + 2,
    seconds: round((performance.now() - started) / 1000, 1),
  };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function shape(d: Deployment): string {
  return `${d.workers}×${d.threads}, cc ${d.containerConcurrency === 0 ? 'unlimited' : d.containerConcurrency}`;
}

function table(results: readonly ScenarioResult[]): string {
  const rows = [['scenario', 'objective p95', 'recommended (w×t, cc)', 'optimal (w×t, cc)', 'ratio', ...DEFAULTS.map((d) => d.name)]];
  for (const r of results) {
    rows.push([
      r.scenario,
      `${Math.round(r.objectiveSeconds * 1000)} ms`,
      `${shape(r.recommended)} [${r.confidence}]`,
      `${shape(r.optimal)} (${r.optimalThroughput} req/s)`,
      r.ratio.toFixed(3),
      ...r.defaults.map((d) => `${d.ratio.toFixed(2)} (p95 ${d.p95Seconds} s)`),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

const json = process.argv.includes('--json');
const seedAt = process.argv.indexOf('--seed');
const seedOffset = seedAt === -1 ? 0 : Number(process.argv[seedAt + 1] ?? 0);
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const started = performance.now();
const results = SCENARIOS.map((scenario) => run(scenario, seedOffset));
if (json) {
  process.stderr.write(`pytuner bench:quality — ${new Date().toISOString()} — ${machine} — ${round((performance.now() - started) / 1000, 1)} s\n`);
  process.stdout.write(`${JSON.stringify(results.map((r) => ({ scenario: r.scenario, recommended: r.recommended, optimal: r.optimal, ratio: r.ratio, defaults: r.defaults.map((d) => ({ name: d.name, ratio: d.ratio })), details: { summary: r.summary, objectiveSeconds: r.objectiveSeconds, firstStep: r.firstStep, confidence: r.confidence, optimalThroughput: r.optimalThroughput, recommendedThroughput: r.recommendedThroughput, recommendedP95: r.recommendedP95, defaultsP95Seconds: Object.fromEntries(r.defaults.map((d) => [d.name, d.p95Seconds])), simulationRuns: r.simulationRuns, seconds: r.seconds } })), null, 2)}\n`);
} else {
  process.stdout.write(`pytuner bench:quality — ${new Date().toISOString()} — ${machine}${seedOffset === 0 ? '' : ` — seed offset ${seedOffset}`}\n`);
  process.stdout.write('throughput per instance at the latency objective (p95 ≤ 1.5 × the p95 of one request at a time), as a ratio of the brute-force optimum\n\n');
  process.stdout.write(`${table(results)}\n\n`);
  for (const r of results) process.stdout.write(`${r.scenario}: ${r.summary}; first step ${shape(r.firstStep)}; ${r.simulationRuns} simulation runs, ${r.seconds} s\n`);
  process.stdout.write(`\ntotal ${round((performance.now() - started) / 1000, 1)} s\n`);
}
