/**
 * Benchmark: how close pytuner's recommendation comes to the best configuration, on simulated workloads whose optimum
 * is known by brute force (bench/sim). For each scenario:
 *   1. simulate an 80-minute window (two compressed days) of the service with its current configuration (the platform's and the Cloud Run
 *      guide's defaults) under a daily-shaped load, and turn it into observations as Prometheus would give them;
 *   2. recommend (workers, threads, containerConcurrency) from those observations;
 *   3. brute-force every (workers 1..2×vCPU, threads 1..256, containerConcurrency) in the simulation;
 *   4. compare throughput per instance at the latency objective: recommendation / optimum, and the defaults' ratios;
 *   5. compare again within the CPU headroom the recommender keeps (its `cpuUtilisationTarget` of the vCPU): every
 *      configuration's throughput counted up to what it serves at that CPU (`Evaluator.scoreWithin`), as where an
 *      autoscaler adds instances beyond it (Cloud Run's CPU driver, 60 % by default). The first ratio says how much an
 *      instance could serve with its CPU at up to 100 %, the second whether pytuner gets the most out of its headroom.
 *      The table says which bound set the recommended concurrency (the latency objective, the CPU or the GIL bound).
 * The objective is 1.5 × the p95 of one request at a time (the recommender's default), passed to the recommender as
 * an explicit objective so both sides aim at the same number.
 *
 *   npm run bench:quality                 # table
 *   npm run bench:quality -- --json       # JSON array, one object per scenario
 *   npm run bench:quality -- --seed 2     # other random draws (observations and measurements), same scenarios
 *   npm run bench:quality -- --cpu-target 1 --gil-target 1   # the recommender without its headroom bounds (what they cost)
 */
import { cpus, totalmem } from 'node:os';
import { simulate } from './sim/engine.ts';
import { toObservations } from './sim/observations.ts';
import type { Evaluation } from './sim/optimum.ts';
import { DEFAULT_EVALUATION, Evaluator, bruteForce, latencyObjective } from './sim/optimum.ts';
import type { Deployment, Scenario } from './sim/scenarios.ts';
import { GUNICORN_GUIDE, SCENARIOS, observedRun } from './sim/scenarios.ts';
import { recommend } from '../src/recommender/recommend.ts';
import type { ModelPlan } from '../src/recommender/recommend.ts';
import type { RecommenderConfig, WorkloadFacts } from '../src/recommender/types.ts';
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
  /** Measured CPU of the optimum and of the recommendation, as a share of the instance's vCPU. */
  optimalCpu: number;
  recommendedThroughput: number;
  recommendedP95: number;
  recommendedCpu: number;
  ratio: number;
  /** What set the recommended concurrency, in the recommender's words (`ModelPlan.sizedBy`) and with its bound. */
  sizedBy: string;
  /** The CPU bound of the recommended shape (vCPU × target / the CPU per request the recommender measured), req/s. */
  cpuBound?: number;
  /**
   * Within the recommender's CPU headroom (`Evaluator.scoreWithin`): the best configuration (one of those that serve
   * the most there: every one that reaches the headroom serves about the same) and what it serves there, what the
   * recommendation serves there, and the ratio of the two.
   */
  withinHeadroom: { utilisationTarget: number; optimal: Deployment; throughput: number; recommendedThroughput: number; ratio: number };
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

function run(base: Scenario, seedOffset: number, targets: Partial<Pick<RecommenderConfig, 'cpuUtilisationTarget' | 'gilShareTarget'>>): ScenarioResult {
  const started = performance.now();
  const scenario = { ...base, seed: base.seed + seedOffset };
  const evaluation = { ...DEFAULT_EVALUATION, seed: DEFAULT_EVALUATION.seed + seedOffset };
  const objective = latencyObjective(scenario, evaluation);
  const observed = simulate(observedRun(scenario));
  const start = 1_700_000_000;
  const observations = toObservations(observed, { target: { kind: 'Service', namespace: 'bench', name: scenario.name }, profile: scenario.platform === 'cloudrun' ? 'cloudrun' : 'knative', start });
  const config = { ...defaultRecommenderConfig(start + scenario.windowSeconds), latencySloSeconds: objective, ...targets };
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
  const headroomCores = scenario.vcpus * config.cpuUtilisationTarget;
  const within = (e: Evaluation) => evaluator.scoreWithin(e, headroomCores);
  const bestWithin = bruteForce(evaluator, within)!;
  const rec = evaluator.evaluate(recommended);
  const ratio = (e: Evaluation) => round(evaluator.score(e) / best.throughput, 3);
  const cpuShare = (e: Evaluation) => round(e.cpuCores / scenario.vcpus, 3);
  return {
    scenario: scenario.name,
    summary: scenario.summary,
    objectiveSeconds: round(objective, 4),
    recommended,
    firstStep,
    confidence: cc.confidence.level,
    optimal: best.deployment,
    optimalThroughput: round(best.throughput, 1),
    optimalCpu: cpuShare(best),
    recommendedThroughput: round(rec.throughput, 1),
    recommendedP95: round(rec.p95, 4),
    recommendedCpu: cpuShare(rec),
    ratio: ratio(rec),
    sizedBy: sizedBy(result.plan),
    ...(result.plan?.cpuBound === undefined ? {} : { cpuBound: round(result.plan.cpuBound.throughput, 1) }),
    withinHeadroom: {
      utilisationTarget: config.cpuUtilisationTarget,
      optimal: bestWithin.deployment,
      throughput: round(within(bestWithin), 1),
      recommendedThroughput: round(within(rec), 1),
      ratio: round(within(rec) / within(bestWithin), 3),
    },
    defaults: DEFAULTS.map(({ name, deployment }) => {
      const e = evaluator.evaluate(deployment);
      return { name, ratio: ratio(e), p95Seconds: round(e.p95, 3) };
    }),
    simulationRuns: evaluator.runs + 2,
    seconds: round((performance.now() - started) / 1000, 1),
  };
}

/** The bound that set the recommended concurrency (`ModelPlan.sizedBy`), in words. */
function sizedBy(plan: ModelPlan | undefined): string {
  if (plan?.sizedBy === 'cpu') return 'CPU bound';
  if (plan?.sizedBy === 'gil') return plan.gilBound === undefined ? 'GIL bound' : `GIL bound of ${round(plan.gilBound.throughput, 1)} req/s`;
  return plan?.sizedBy === 'latency' ? 'latency objective' : 'not modelled';
}

/** `--cpu-target 0.7`: a share in (0, 1] for one of the recommender's targets; the recommender's default without it. */
function shareFlag<K extends 'cpuUtilisationTarget' | 'gilShareTarget'>(flag: string, key: K): Partial<Record<K, number>> {
  const at = process.argv.indexOf(flag);
  if (at === -1) return {};
  const value = Number(process.argv[at + 1]);
  if (!(value > 0 && value <= 1)) {
    process.stderr.write(`bench:quality: ${flag} takes a share in (0, 1], got ${process.argv[at + 1] ?? 'nothing'}\n`);
    process.exit(2);
  }
  return { [key]: value } as Partial<Record<K, number>>;
}

function percent(share: number): string {
  return `${Math.round(share * 100)} %`;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function shape(d: Deployment): string {
  return `${d.workers}×${d.threads}, cc ${d.containerConcurrency === 0 ? 'unlimited' : d.containerConcurrency}`;
}

function table(results: readonly ScenarioResult[]): string {
  const target = results[0] === undefined ? '' : ` ${percent(results[0].withinHeadroom.utilisationTarget)}`;
  const rows = [['scenario', 'objective p95', 'recommended (w×t, cc)', 'sized by (CPU bound)', 'optimal (w×t, cc)', 'ratio', `within CPU${target}: best, pytuner`, 'ratio', ...DEFAULTS.map((d) => d.name)]];
  for (const r of results) {
    rows.push([
      r.scenario,
      `${Math.round(r.objectiveSeconds * 1000)} ms`,
      `${shape(r.recommended)} [${r.confidence}] (${r.recommendedThroughput} req/s, CPU ${percent(r.recommendedCpu)})`,
      `${r.sizedBy} (${r.cpuBound === undefined ? '—' : `${r.cpuBound} req/s`})`,
      `${shape(r.optimal)} (${r.optimalThroughput} req/s, CPU ${percent(r.optimalCpu)})`,
      r.ratio.toFixed(3),
      `${r.withinHeadroom.throughput}, ${r.withinHeadroom.recommendedThroughput} req/s`,
      r.withinHeadroom.ratio.toFixed(3),
      ...r.defaults.map((d) => `${d.ratio.toFixed(2)} (p95 ${d.p95Seconds} s)`),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

const json = process.argv.includes('--json');
const seedAt = process.argv.indexOf('--seed');
const seedOffset = seedAt === -1 ? 0 : Number(process.argv[seedAt + 1] ?? 0);
const targets = { ...shareFlag('--cpu-target', 'cpuUtilisationTarget'), ...shareFlag('--gil-target', 'gilShareTarget') };
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const started = performance.now();
const results = SCENARIOS.map((scenario) => run(scenario, seedOffset, targets));
if (json) {
  process.stderr.write(`pytuner bench:quality — ${new Date().toISOString()} — ${machine} — ${round((performance.now() - started) / 1000, 1)} s\n`);
  process.stdout.write(`${JSON.stringify(results.map((r) => ({ scenario: r.scenario, recommended: r.recommended, optimal: r.optimal, ratio: r.ratio, withinHeadroom: r.withinHeadroom, sizedBy: r.sizedBy, defaults: r.defaults.map((d) => ({ name: d.name, ratio: d.ratio })), details: { summary: r.summary, objectiveSeconds: r.objectiveSeconds, firstStep: r.firstStep, confidence: r.confidence, optimalThroughput: r.optimalThroughput, optimalCpu: r.optimalCpu, recommendedThroughput: r.recommendedThroughput, recommendedP95: r.recommendedP95, recommendedCpu: r.recommendedCpu, defaultsP95Seconds: Object.fromEntries(r.defaults.map((d) => [d.name, d.p95Seconds])), simulationRuns: r.simulationRuns, seconds: r.seconds } })), null, 2)}\n`);
} else {
  const changed = Object.entries(targets).map(([key, value]) => `${key} ${value}`);
  process.stdout.write(`pytuner bench:quality — ${new Date().toISOString()} — ${machine}${seedOffset === 0 ? '' : ` — seed offset ${seedOffset}`}${changed.length === 0 ? '' : ` — recommender with ${changed.join(', ')}`}\n`);
  process.stdout.write('throughput per instance at the latency objective (p95 ≤ 1.5 × the p95 of one request at a time), as a ratio of the brute-force optimum (CPU up to 100 %)\n');
  process.stdout.write("and within the recommender's CPU headroom (its cpuUtilisationTarget of the vCPU): each configuration's throughput counted up to what it serves at that CPU, as where an autoscaler adds instances beyond it (Cloud Run's CPU driver)\n");
  process.stdout.write('CPU: measured share of the vCPU; sized by: what set the recommended concurrency (the latency objective, the CPU bound = vCPU × target / CPU per request, or the GIL bound)\n\n');
  process.stdout.write(`${table(results)}\n\n`);
  for (const r of results) process.stdout.write(`${r.scenario}: ${r.summary}; first step ${shape(r.firstStep)}; ${r.simulationRuns} simulation runs, ${r.seconds} s\n`);
  process.stdout.write(`\ntotal ${round((performance.now() - started) / 1000, 1)} s\n`);
}
