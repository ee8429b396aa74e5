/**
 * @module One workload's recommendation from its observations and its manifest facts: containerConcurrency, threads,
 * workers and the startupProbe budget, each a typed outcome.
 *
 * The steps: load points (Little's law fills a missing concurrency or mean latency) → the latency at low concurrency
 * (the baseline, and the default objective p95 ≤ 1.5 × its p95) → CPU seconds per request (GIL-aware: a worker uses at
 * most one core) → I/O seconds = baseline mean − CPU → for every server shape the platform could run (1..2×vCPU workers,
 * sync or threaded), the largest concurrency whose predicted p95 meets the objective (`capacity.ts`) → the shape with
 * the highest predicted throughput per instance, each shape's concurrency capped by its CPU bound (the requests in flight
 * that serve vCPU × the CPU utilisation target / CPU per request, Little's law) → guardrails (bounds, step cap, hysteresis). The Universal
 * Scalability Law fit of the observed throughput and a check of the model against the observed latencies set the
 * confidence. Without CPU data or server facts, containerConcurrency comes from the USL fit of the current
 * configuration alone.
 */
import type { WorkloadObservations } from '../model/observations.ts';
import type { Demands, Prediction, ServerCandidate } from './capacity.ts';
import { CapacityModel, concurrencyForThroughput, largestConcurrencyWithin, latencySigma } from './capacity.ts';
import type { Estimator } from './decorators.ts';
import { withBounds, withConfidence, withHysteresis, withStepCap } from './decorators.ts';
import type { CpuCost, Hotspot } from './gil.ts';
import { cpuSecondsPerRequest, detectHotspot, gilCapacity } from './gil.ts';
import type { Baseline, LoadPoint } from './points.ts';
import { LOW_CONCURRENCY, loadPoints, lowConcurrencyBaseline, median } from './points.ts';
import type { ConfidenceLevel, Confidence, Derivation, Insufficient, Outcome, ProbeBudget, RecommenderConfig, WorkloadFacts } from './types.ts';
import { CLOUD_RUN_MAX_STARTUP_BUDGET, PLATFORM_MAX_CONCURRENCY } from './types.ts';
import type { UslFit } from './usl.ts';
import { fitUsl, uslThroughput } from './usl.ts';

/** The latency objective in force and where it comes from. */
export interface Objective {
  p95Seconds: number;
  /** `--latency-slo 300ms` or `1.5 × the p95 at low concurrency (92 ms)`. */
  how: string;
}

/** The model behind a workload's recommendation, for evidence and for the quality bench. */
export interface ModelPlan {
  objective: Objective;
  baseline: Baseline;
  cpu?: CpuCost;
  demands?: Demands;
  vcpus?: number;
  /** The server shape chosen and what the model predicts for it at the recommended concurrency. */
  candidate?: ServerCandidate;
  prediction: Prediction;
  /**
   * What set the concurrency: `latency`, the largest the latency objective allows (the I/O-based bound: the model takes
   * I/O waits as free), `cpu`, the requests in flight that serve vCPU × the utilisation target (`cpuBound`), or `gil`,
   * those that keep each threaded worker's GIL within its share (`gilBound`), when fewer.
   */
  sizedBy?: 'latency' | 'cpu' | 'gil';
  /** The CPU bound of the chosen shape: the throughput its CPU allows and the requests in flight that serve it (absent: not reached within the objective). */
  cpuBound?: { throughput: number; utilisationTarget: number; concurrency?: number };
  /**
   * The GIL bound of a threaded shape (absent for sync workers, event loops and free-threaded builds): workers × the
   * share target / the GIL hold per request (CPU, at most the 5 ms switch interval), and the requests in flight that serve it (absent: not reached within the objective).
   */
  gilBound?: { throughput: number; shareTarget: number; workers: number; concurrency?: number };
  usl?: UslFit;
  /** Median relative error of the model's mean latency against the observed steps the current shape can explain. */
  modelError?: number;
  hotspot?: Hotspot;
}

/** Everything recommended for one workload. A knob that does not apply to its server (threads of uvicorn) is absent. */
export interface WorkloadRecommendation {
  containerConcurrency: Outcome<number>;
  threads?: Outcome<number>;
  workers?: Outcome<number>;
  startupProbe: Outcome<ProbeBudget>;
  plan?: ModelPlan;
}

/** Recommends containerConcurrency, threads, workers and the startupProbe budget for one workload. Pure. */
export function recommend(observations: WorkloadObservations, facts: WorkloadFacts, config: RecommenderConfig): WorkloadRecommendation {
  const startupProbe = recommendStartupProbe(observations, facts, config);
  const analysis = analyse(observations, facts, config);
  if ('kind' in analysis) {
    return { containerConcurrency: analysis, ...serverKnobs(facts, () => analysis), startupProbe };
  }
  const containerConcurrency = concurrencyEstimator(config)(analysis);
  const workers = workersEstimator(config)(analysis);
  const threads = threadsFor(analysis, containerConcurrency, workers, config);
  const result: WorkloadRecommendation = { containerConcurrency, startupProbe, plan: analysis.plan };
  if (appliesWorkers(facts)) result.workers = workers;
  if (appliesThreads(facts)) result.threads = threads;
  return result;
}

/** The server knobs that apply to this server, each with the same outcome. */
function serverKnobs(facts: WorkloadFacts, outcome: () => Insufficient): Pick<WorkloadRecommendation, 'threads' | 'workers'> {
  const knobs: Pick<WorkloadRecommendation, 'threads' | 'workers'> = {};
  if (appliesWorkers(facts)) knobs.workers = outcome();
  if (appliesThreads(facts)) knobs.threads = outcome();
  return knobs;
}

/** Workers apply to every server but waitress (one process); unknown server: nothing to change. */
function appliesWorkers(facts: WorkloadFacts): boolean {
  return facts.server !== undefined && facts.server.kind !== 'waitress';
}

/** Threads apply to servers with a thread pool: gunicorn (sync or gthread), uWSGI, waitress; not to event loops. */
function appliesThreads(facts: WorkloadFacts): boolean {
  return facts.server !== undefined && !isEventLoop(facts.server);
}

/** uvicorn, hypercorn and gunicorn's async worker classes serve from an event loop, not a thread pool. */
function isEventLoop(server: NonNullable<WorkloadFacts['server']>): boolean {
  return server.model === 'async' || server.kind === 'uvicorn' || server.kind === 'hypercorn';
}

/** What the estimators work from: the chosen plan, the data's confidence, the current values. */
interface Analysis {
  plan: ModelPlan;
  confidence: Confidence;
  facts: WorkloadFacts;
  /** Recommended workers and threads model; absent when the server shape is not modelled (no CPU data or server facts). */
  workers?: number;
  why: Derivation[];
  /** Why workers cannot be recommended, when the shape is not modelled. */
  workersWithheld?: Insufficient;
  /** A model for a worker count, to choose the threads model when a guardrail holds the workers back. */
  modelFor?: (workers: number) => ServerCandidate['model'];
}

function analyse(observations: WorkloadObservations, facts: WorkloadFacts, config: RecommenderConfig): Analysis | Insufficient {
  const { points, dropped } = loadPoints(observations, config, breakerSlots(facts));
  if (points.length < config.minPoints) {
    const why = Object.entries(dropped)
      .map(([reason, count]) => `${count} ${reason}`)
      .join(', ');
    return insufficient(`only ${points.length} steps of the window have traffic${why === '' ? '' : ` (dropped: ${why})`}`, points.length, config.minPoints);
  }
  const baseline = lowConcurrencyBaseline(points);
  if (baseline === undefined) {
    if (!points.some((p) => p.p95 !== undefined)) return insufficient('no latency percentiles (no latency histogram series)', 0, config.minPoints);
    const lowest = Math.min(...points.map((p) => p.concurrency));
    return insufficient(`no steps at low concurrency: the lowest is ${round(lowest, 1)} in flight per instance, so the latency of a request cannot be told from queueing`, round(lowest, 2), 2 * LOW_CONCURRENCY);
  }
  const objective = objectiveOf(baseline, config);
  const usl = fitUsl(points.map((p) => ({ concurrency: p.concurrency, throughput: p.throughput })), config.minConcurrencyLevels);
  const cpu = cpuSecondsPerRequest(points);
  const vcpus = facts.vcpus ?? (observations.cpuLimitCores === undefined ? undefined : Math.max(1, Math.ceil(observations.cpuLimitCores)));
  const hotspot = hotspotOf(points, facts, vcpus, baseline);
  const why: Derivation[] = [baselineDerivation(baseline), { metric: 'latencyP95', text: `objective: p95 ≤ ${ms(objective.p95Seconds)} (${objective.how})` }];
  if (usl !== undefined) why.push(uslDerivation(usl));
  const withheld = modelWithheld(cpu, vcpus, points, facts);
  if (withheld !== undefined || cpu === undefined || vcpus === undefined || facts.server === undefined) {
    return empiricalAnalysis(points, observations, facts, config, { baseline, objective, usl, why, withheld: withheld ?? '' });
  }
  const demands = demandsOf(baseline, cpu, vcpus);
  why.push(cpuDerivation(cpu, demands, vcpus));
  why.push(...coreDerivations(hotspot, facts));
  const choice = bestShape(demands, facts, objective.p95Seconds, config);
  if (choice === undefined) {
    return insufficient(`no concurrency meets the objective p95 ≤ ${ms(objective.p95Seconds)}: one request at a time is predicted at p95 ${ms(new CapacityModel(demands, { workers: 1, model: 'threads' }).predict(1).p95)} (measured ${baselineDerivation(baseline).text})`, 'p95 at concurrency 1 above the objective', `p95 ≤ ${ms(objective.p95Seconds)}`);
  }
  const modelError = currentShapeError(points, demands, facts);
  why.push(predictionDerivation(choice.candidate, choice.prediction, vcpus), cpuBoundDerivation(choice, demands, config));
  // The GIL bound is named where it set the concurrency; elsewhere the workers finding says what it did to the count.
  if (choice.gil !== undefined && choice.sizedBy === 'gil') why.push(gilBoundDerivation(choice, choice.gil, demands, config));
  const plan: ModelPlan = { objective, baseline, cpu, demands, vcpus, candidate: choice.candidate, prediction: choice.prediction, ...boundsOf(choice, config), ...(usl === undefined ? {} : { usl }), ...(modelError === undefined ? {} : { modelError }), ...(hotspot === undefined ? {} : { hotspot }) };
  const confidence = confidenceOf(points, observations, choice.prediction.concurrency, usl, modelError, config);
  return { plan, confidence, facts, workers: choice.candidate.workers, why, modelFor: (w) => bestModelFor(demands, facts, w, objective.p95Seconds, config) };
}

/** The plan's account of the chosen shape's bounds: which set the concurrency, the CPU's and (threads under a GIL) the GIL's. */
function boundsOf(choice: BoundedChoice, config: RecommenderConfig): Pick<ModelPlan, 'sizedBy' | 'cpuBound' | 'gilBound'> {
  const concurrency = (bound: ThroughputBound) => (bound.at === undefined ? {} : { concurrency: bound.at.concurrency });
  const cpuBound = { throughput: choice.cpu.throughput, utilisationTarget: config.cpuUtilisationTarget, ...concurrency(choice.cpu) };
  if (choice.gil === undefined) return { sizedBy: choice.sizedBy, cpuBound };
  return { sizedBy: choice.sizedBy, cpuBound, gilBound: { throughput: choice.gil.throughput, shareTarget: config.gilShareTarget, workers: choice.candidate.workers, ...concurrency(choice.gil) } };
}

/**
 * How many requests the queue-proxy's breaker lets through at once: containerConcurrency, or, where it is unknown,
 * the server's request slots (beyond them requests wait in the server instead). Undefined for an event loop.
 */
function breakerSlots(facts: WorkloadFacts): number | undefined {
  if (facts.containerConcurrency !== undefined && facts.containerConcurrency > 0) return facts.containerConcurrency;
  const server = facts.server;
  if (server?.workers === undefined || isEventLoop(server)) return undefined;
  return server.model === 'sync' ? server.workers : server.workers * (server.threads ?? 1);
}

/** The vCPU hotspot, looked for only where the GIL can cause it (vCPU known, not threads that run Python in parallel). */
function hotspotOf(points: readonly LoadPoint[], facts: WorkloadFacts, vcpus: number | undefined, baseline: Baseline): Hotspot | undefined {
  return vcpus === undefined || parallelThreads(facts) ? undefined : detectHotspot(points, vcpus, baseline.p95);
}

/**
 * Threads that run Python in parallel: a threaded server (not an event loop, more than one thread) on a free-threaded
 * build. Its workers are not capped at one core each, so a CPU plateau at one core is no GIL hotspot.
 */
function parallelThreads(facts: WorkloadFacts): boolean {
  const server = facts.server;
  return facts.freeThreaded !== undefined && server !== undefined && !isEventLoop(server) && server.model === 'threaded' && server.threads !== 1;
}

/** A server shape; `threads` shapes on a free-threaded build run their threads' Python in parallel. */
function candidateOf(facts: WorkloadFacts, workers: number, model: ServerCandidate['model']): ServerCandidate {
  return model === 'threads' && facts.freeThreaded !== undefined ? { workers, model, freeThreaded: true } : { workers, model };
}

/** Why the capacity model cannot be used (the first reason that holds), or undefined when it can. */
function modelWithheld(cpu: CpuCost | undefined, vcpus: number | undefined, points: readonly LoadPoint[], facts: WorkloadFacts): string | undefined {
  if (cpu === undefined) return 'no CPU usage series';
  if (cpu.secondsPerRequest <= 0) return 'CPU usage is 0 at every step with traffic (a broken CPU series?)';
  if (!Number.isFinite(cpu.secondsPerRequest)) return 'CPU per request is not finite (a broken CPU or request-rate series?)';
  if (vcpus !== undefined && cpu.secondsPerRequest > vcpus * longestMean(points)) {
    return `CPU per request (${ms(cpu.secondsPerRequest)}) exceeds the longest mean latency × ${vcpus} vCPU: CPU is spent outside requests, or a CPU or request-rate series is broken`;
  }
  if (vcpus === undefined) return 'the vCPU per instance is unknown (no CPU limit in the manifest or metrics)';
  if (facts.server === undefined) return 'no Python server detected in the manifests';
  return undefined;
}

/** The longest mean latency of the steps: no request can use more CPU than this × vCPU. */
function longestMean(points: readonly LoadPoint[]): number {
  return Math.max(...points.map((p) => p.meanLatency));
}

/**
 * The request's own cost: CPU per request as measured, I/O as the rest of the baseline's mean latency, the shape
 * (lognormal σ) of the baseline's latency. The baseline comes from the quietest steps, where requests rarely share a core.
 */
function demandsOf(baseline: Baseline, cpu: CpuCost, vcpus: number): Demands {
  const d = cpu.secondsPerRequest;
  return { cpuSeconds: d, ioSeconds: Math.max(0, baseline.meanLatency - d), vcpus, latencySigma: latencySigma(baseline.meanLatency, baseline.p95, baseline.p50) };
}

function insufficient(reason: string, have: number | string, need: number | string): Insufficient {
  return { kind: 'insufficient', reason, have, need };
}

function objectiveOf(baseline: Baseline, config: RecommenderConfig): Objective {
  if (config.latencySloSeconds !== undefined) return { p95Seconds: config.latencySloSeconds, how: `--latency-slo ${ms(config.latencySloSeconds)}` };
  return { p95Seconds: config.objectiveFactor * baseline.p95, how: `${config.objectiveFactor} × the p95 at low concurrency, ${ms(baseline.p95)}` };
}

/**
 * Worker counts to consider: 1 to 2 × vCPU (sync workers need more than vCPU to keep the cores busy during I/O).
 * waitress has one process. uvicorn's own multi-process mode loses TCP_NODELAY (rule uvicorn.workers), so 1. Event
 * loops whose server forks a loop per worker (`LOOP_WORKERS`) count like threaded workers: each loop uses at most one
 * core; other event-loop servers keep their count.
 */
function workerCounts(facts: WorkloadFacts, vcpus: number, config: RecommenderConfig): number[] {
  if (facts.server?.kind === 'waitress' || facts.server?.kind === 'uvicorn') return [1];
  if (facts.server !== undefined && isEventLoop(facts.server) && !LOOP_WORKERS.has(facts.server.kind)) return [Math.min(config.bounds.maxWorkers, facts.server.workers ?? 1)];
  const max = Math.max(1, Math.min(config.bounds.maxWorkers, 2 * vcpus));
  return Array.from({ length: max }, (_, i) => i + 1);
}

/**
 * Event-loop servers with a worker-process count whose workers each run their own loop on a shared listener:
 * gunicorn's async worker classes (`-w`), hypercorn (`-w`), granian (`--workers`). Measured behind the queue-proxy
 * (docs/lab/findings.md, run 6): gunicorn with 3 UvicornWorkers served 612 req/s within the objective, one 410.
 */
const LOOP_WORKERS: ReadonlySet<string> = new Set(['gunicorn', 'hypercorn', 'granian']);

/** sync and threaded for gunicorn and uWSGI; threaded only for waitress (a thread pool, no processes); event loops for async servers. */
function modelsFor(facts: WorkloadFacts): ServerCandidate['model'][] {
  const server = facts.server;
  if (server === undefined || server.kind === 'waitress') return ['threads'];
  if (isEventLoop(server)) return ['loop'];
  return ['sync', 'threads'];
}

/** The model of the server as it runs now. */
function currentModelOf(facts: WorkloadFacts): ServerCandidate['model'] {
  const server = facts.server;
  if (server !== undefined && isEventLoop(server)) return 'loop';
  return server?.model === 'sync' ? 'sync' : 'threads';
}

interface ShapeChoice {
  candidate: ServerCandidate;
  prediction: Prediction;
}

/** A throughput bound of a shape and the fewest requests in flight that serve it within the objective (`at`; absent when none does). */
interface ThroughputBound {
  throughput: number;
  at?: Prediction;
}

/**
 * A shape's concurrency with its bounds: the latency objective's (`byLatency`), the CPU's and, for threads under a GIL,
 * the GIL's; the lowest in `prediction`.
 */
interface BoundedChoice extends ShapeChoice {
  byLatency: Prediction;
  cpu: ThroughputBound;
  /** Absent where the GIL bound does not apply (sync workers, event loops, free-threaded builds). */
  gil?: ThroughputBound;
  sizedBy: 'latency' | 'cpu' | 'gil';
}

/**
 * Whether the GIL share bound applies: threads of one process that take turns on its GIL. Sync workers hold one request
 * each and an event loop is one thread, so neither hands the GIL between request threads; a free-threaded build has none.
 */
function gilShared(candidate: ServerCandidate): boolean {
  return candidate.model === 'threads' && candidate.freeThreaded !== true;
}

/** CPython's default switch interval (`sys.getswitchinterval()`): a thread waiting for the GIL asks its holder to drop it after this long. */
const SWITCH_INTERVAL_SECONDS = 0.005;

/**
 * How long one request holds its worker's GIL at a stretch while a thread back from I/O waits for it: its CPU time, but
 * at most the switch interval, after which the waiter makes the holder drop the GIL. The hand-offs a worker's threads
 * wait on go with requests per second × this, not with the whole CPU share: 12 ms requests hold the GIL long but are
 * cut into 5 ms turns. Measured (docs/lab/findings.md, run 6): 2 gthread workers of 12 ms requests met the objective
 * at 0.88 of a core per process, where 0.8 ms requests missed from 0.39 (run 5).
 */
function gilHold(demands: Demands): number {
  return Math.min(demands.cpuSeconds, SWITCH_INTERVAL_SECONDS);
}

/**
 * One shape with its bounds: the largest concurrency within the objective, capped at the fewest requests in flight
 * that serve the CPU bound (vCPU × `cpuUtilisationTarget` / CPU per request) or, for threads under a GIL, the GIL bound
 * (workers × `gilShareTarget` / the GIL hold per request, `gilHold`), whichever is fewer. `undefined` when no concurrency meets the objective.
 */
function boundedChoice(demands: Demands, candidate: ServerCandidate, objective: number, config: RecommenderConfig): BoundedChoice | undefined {
  const model = new CapacityModel(demands, candidate);
  const byLatency = largestConcurrencyWithin(model, objective, Math.min(config.bounds.maxConcurrency, PLATFORM_MAX_CONCURRENCY));
  if (byLatency === undefined) return undefined;
  const bound = (throughput: number): ThroughputBound => {
    const at = concurrencyForThroughput(model, throughput, byLatency.concurrency);
    return at === undefined ? { throughput } : { throughput, at };
  };
  const cpu = bound((demands.vcpus * config.cpuUtilisationTarget) / demands.cpuSeconds);
  const gil = gilShared(candidate) ? bound((candidate.workers * config.gilShareTarget) / gilHold(demands)) : undefined;
  let prediction = byLatency;
  let sizedBy: BoundedChoice['sizedBy'] = 'latency';
  if (cpu.at !== undefined && cpu.at.concurrency < prediction.concurrency) [prediction, sizedBy] = [cpu.at, 'cpu'];
  if (gil?.at !== undefined && gil.at.concurrency < prediction.concurrency) [prediction, sizedBy] = [gil.at, 'gil'];
  return { candidate, prediction, byLatency, cpu, sizedBy, ...(gil === undefined ? {} : { gil }) };
}

/**
 * The server shape with the highest predicted throughput per instance at its largest concurrency within the objective,
 * or at the fewer requests in flight that serve its CPU or GIL bound (`boundedChoice`). Within 1% the fewer workers
 * win (each is a copy of the app in memory), then the current threads model.
 */
function bestShape(demands: Demands, facts: WorkloadFacts, objective: number, config: RecommenderConfig): BoundedChoice | undefined {
  let best: BoundedChoice | undefined;
  const currentModel = currentModelOf(facts);
  const candidates = workerCounts(facts, demands.vcpus, config).flatMap((workers) => modelsFor(facts).map((model) => candidateOf(facts, workers, model)));
  // Most promising first, so that the GIL bound can rule the rest out without modelling them.
  candidates.sort((a, b) => upperBound(demands, b) - upperBound(demands, a) || a.workers - b.workers);
  for (const candidate of candidates) {
    if (best !== undefined && upperBound(demands, candidate) < served(best) / 1.01) continue;
    const choice = boundedChoice(demands, candidate, objective, config);
    if (choice !== undefined && (best === undefined || better(choice, best, currentModel))) best = choice;
  }
  return best;
}

/**
 * Requests per second per instance a shape can never exceed: the GIL bound, min(workers, vCPU) / CPU per request, and
 * for sync workers also one request per worker at a time, workers / (CPU + I/O).
 */
function upperBound(demands: Demands, candidate: ServerCandidate): number {
  const processes = candidate.model === 'threads' && candidate.freeThreaded === true ? demands.vcpus : candidate.workers;
  const gil = gilCapacity(processes, demands.vcpus, demands.cpuSeconds);
  return candidate.model === 'sync' ? Math.min(gil, candidate.workers / (demands.cpuSeconds + demands.ioSeconds)) : gil;
}

/**
 * Whether `a` serves more than `b` (by over 1%), else has fewer workers, else the current model. A shape sized by a
 * bound counts as serving that bound's throughput: the model's throughput at its concurrency overshoots it by up to one
 * request's worth, which would otherwise decide between shapes that all serve the same CPU-bound load.
 */
function better(a: BoundedChoice, b: BoundedChoice, currentModel: ServerCandidate['model']): boolean {
  const x = served(a);
  const y = served(b);
  if (x > y * 1.01) return true;
  if (x < y / 1.01) return false;
  if (a.candidate.workers !== b.candidate.workers) return a.candidate.workers < b.candidate.workers;
  return a.candidate.model === currentModel && b.candidate.model !== currentModel;
}

function served(c: BoundedChoice): number {
  if (c.sizedBy === 'cpu') return Math.min(c.prediction.throughput, c.cpu.throughput);
  if (c.sizedBy === 'gil' && c.gil !== undefined) return Math.min(c.prediction.throughput, c.gil.throughput);
  return c.prediction.throughput;
}

/** The threads model that serves best with exactly `workers` workers, with the same bounds as `bestShape`. */
function bestModelFor(demands: Demands, facts: WorkloadFacts, workers: number, objective: number, config: RecommenderConfig): ServerCandidate['model'] {
  let best: BoundedChoice | undefined;
  for (const model of modelsFor(facts)) {
    const choice = boundedChoice(demands, candidateOf(facts, workers, model), objective, config);
    if (choice !== undefined && (best === undefined || better(choice, best, 'threads'))) best = choice;
  }
  return best?.candidate.model ?? 'threads';
}

/**
 * How far the model is from the data: its mean latency for the current server shape against each observed step the
 * shape can explain (concurrency between 1 and its request slots, nothing queued in front; beyond the slots, requests
 * wait for a thread, which the model does not cover). The median relative error over at least 3 steps, else `undefined`.
 */
function currentShapeError(points: readonly LoadPoint[], demands: Demands, facts: WorkloadFacts): number | undefined {
  const server = facts.server;
  if (server?.workers === undefined) return undefined;
  const current = currentModelOf(facts);
  const modelled = current === 'threads' && (server.threads ?? 1) === 1 ? 'sync' : current;
  const slots = modelled === 'sync' ? server.workers : modelled === 'loop' ? Infinity : server.workers * (server.threads ?? 1);
  const model = new CapacityModel(demands, candidateOf(facts, server.workers, modelled));
  const errors: number[] = [];
  for (const p of points) {
    // Requests queued in front of the instance wait outside the server, which the model does not cover either.
    if (p.concurrency < 1 || p.concurrency > slots || (p.waiting ?? 0) > 0.1) continue;
    // Open arrivals see on average the n̄ requests in flight (PASTA), a closed population of n̄ + 1 sees n̄ others at
    // arrival (the arrival theorem): the steps compare with the model at n̄ + 1 (exact for processor sharing).
    const population = p.concurrency + 1;
    const lo = Math.floor(population);
    const fraction = population - lo;
    const at = (n: number) => model.predict(n).meanLatency;
    const predicted = fraction === 0 ? at(lo) : (1 - fraction) * at(lo) + fraction * at(lo + 1);
    errors.push(Math.abs(predicted - p.meanLatency) / p.meanLatency);
  }
  return errors.length >= 3 ? median(errors) : undefined;
}

/**
 * Confidence: high with plenty of steps (3 × the minimum), a model within 15% of the observed latencies and a
 * recommendation at most 2× beyond the highest concurrency seen; low when the model is off by more than 30%, the
 * recommendation extrapolates more than 5× or the steps barely reach the minimum; medium otherwise.
 */
function confidenceOf(points: readonly LoadPoint[], observations: WorkloadObservations, recommended: number, usl: UslFit | undefined, modelError: number | undefined, config: RecommenderConfig): Confidence {
  const concurrencies = points.map((p) => p.concurrency);
  const range: [number, number] = [round(Math.min(...concurrencies), 2), round(Math.max(...concurrencies), 2)];
  const notes: string[] = [];
  const extrapolation = recommended / Math.max(range[1], 1e-9);
  let level: ConfidenceLevel = 'high';
  const lower = (to: ConfidenceLevel, note: string) => {
    notes.push(note);
    if (to === 'low' || level === 'high') level = to;
  };
  if (points.length < 1.5 * config.minPoints) lower('low', `${points.length} steps with traffic`);
  else if (points.length < 3 * config.minPoints) lower('medium', `${points.length} steps with traffic`);
  else notes.push(`${points.length} steps with traffic`);
  if (modelError === undefined) lower('medium', 'the model could not be checked against the current configuration');
  else if (modelError > 0.3) lower('low', `the model is ${Math.round(modelError * 100)}% off the observed latencies`);
  else if (modelError > 0.15) lower('medium', `the model is ${Math.round(modelError * 100)}% off the observed latencies`);
  else notes.push(`the model is within ${Math.max(1, Math.round(modelError * 100))}% of the observed latencies`);
  if (extrapolation > 5) lower('low', `${recommended} is ${round(extrapolation, 1)}× the highest concurrency seen`);
  else if (extrapolation > 2) lower('medium', `${recommended} is ${round(extrapolation, 1)}× the highest concurrency seen`);
  notes.push(usl === undefined ? `USL not fitted: the data covers fewer than ${config.minConcurrencyLevels} concurrency levels` : `USL fit R² ${round(usl.r2, 2)} over ${usl.levels} concurrency levels`);
  return { points: points.length, concurrencyRange: range, windowSeconds: observations.window.end - observations.window.start, level, notes };
}

/**
 * Without CPU data, vCPU or server facts, only the current configuration can be described: containerConcurrency is the
 * largest concurrency (at most 2× the highest seen) where the USL fit's latency n / X(n), in the shape of the baseline
 * (its p95/mean), meets the objective. Workers and threads are withheld.
 */
function empiricalAnalysis(
  points: readonly LoadPoint[],
  observations: WorkloadObservations,
  facts: WorkloadFacts,
  config: RecommenderConfig,
  known: { baseline: Baseline; objective: Objective; usl: UslFit | undefined; why: Derivation[]; withheld: string },
): Analysis | Insufficient {
  const { baseline, objective, usl, why } = known;
  if (usl === undefined) {
    const levels = new Set(points.map((p) => Math.round(Math.log(p.concurrency) / Math.log(1.2)))).size;
    return insufficient(`${known.withheld}, and the data covers ${levels} concurrency levels: fitting throughput against concurrency needs ${config.minConcurrencyLevels}`, levels, config.minConcurrencyLevels);
  }
  const shape = baseline.p95 / baseline.meanLatency;
  const highest = Math.max(...points.map((p) => p.concurrency));
  const p95At = (n: number) => (n / uslThroughput(usl, n)) * shape;
  let best: number | undefined;
  for (let n = 1; n <= Math.floor(2 * highest); n++) if (p95At(n) <= objective.p95Seconds) best = n;
  if (best === undefined) return insufficient(`no concurrency meets the objective p95 ≤ ${ms(objective.p95Seconds)} on the fitted curve`, 'none', `p95 ≤ ${ms(objective.p95Seconds)}`);
  const prediction: Prediction = { concurrency: best, throughput: uslThroughput(usl, best), meanLatency: best / uslThroughput(usl, best), p95: p95At(best) };
  why.push({ metric: 'concurrencyPerInstance', text: `${known.withheld}: containerConcurrency from the USL fit of the current configuration, predicted p95 ${ms(prediction.p95)} at ${best} in flight` });
  why.push({ metric: 'cpuCoresPerInstance', text: `no CPU bound: CPU per request and the vCPU per instance are both needed to cap containerConcurrency by CPU (${known.withheld})` });
  const confidence = confidenceOf(points, observations, best, usl, undefined, config);
  return { plan: { objective, baseline, usl, prediction }, confidence, facts, why, workersWithheld: insufficient(known.withheld, 'none', 'CPU usage, vCPU and the server command') };
}

function concurrencyEstimator(config: RecommenderConfig): Estimator<Analysis> {
  const raw: Estimator<Analysis> = (a) => {
    const target = a.plan.prediction.concurrency;
    const recommendation: Outcome<number> = { kind: 'recommendation', value: target, target, confidence: a.confidence, evidence: a.why };
    if (a.facts.containerConcurrency !== undefined) recommendation.current = a.facts.containerConcurrency;
    return recommendation;
  };
  const max = (a: Analysis) => Math.min(config.bounds.maxConcurrency, PLATFORM_MAX_CONCURRENCY, a.facts.maxConcurrency ?? Infinity);
  return withHysteresis(
    withStepCap(
      withBounds(withConfidence(raw, config.minimumConfidence), (a) => ({ min: config.bounds.minConcurrency, max: max(a), what: a.facts.maxConcurrency === undefined ? 'containerConcurrency' : 'containerConcurrency (Cloud Run allows only 1 below 1 vCPU)' })),
      config.stepFactor,
    ),
    config.hysteresis,
  );
}

function workersEstimator(config: RecommenderConfig): Estimator<Analysis> {
  const raw: Estimator<Analysis> = (a) => {
    if (a.workers === undefined) return a.workersWithheld ?? insufficient('the server shape is not modelled', 'none', 'CPU usage and vCPU');
    const recommendation: Outcome<number> = { kind: 'recommendation', value: a.workers, target: a.workers, confidence: a.confidence, evidence: workersEvidence(a) };
    if (a.facts.server?.workers !== undefined) recommendation.current = a.facts.server.workers;
    return recommendation;
  };
  return withHysteresis(withStepCap(withBounds(withConfidence(raw, config.minimumConfidence), () => ({ min: 1, max: config.bounds.maxWorkers, what: 'workers' })), config.stepFactor), config.hysteresis);
}

function workersEvidence(a: Analysis): Derivation[] {
  const { demands, vcpus, candidate } = a.plan;
  if (demands === undefined || vcpus === undefined || candidate === undefined) return a.why;
  const cpuShare = demands.cpuSeconds / (demands.cpuSeconds + demands.ioSeconds);
  const bound = upperBound(demands, candidate);
  const workers = `${candidate.workers} ${candidate.workers === 1 ? 'worker' : 'workers'}`;
  const what = candidate.freeThreaded === true ? `CPU bound (free-threaded: the threads of ${workers} share the vCPU)` : `GIL bound: ${workers}`;
  const text = `${what} on ${vcpus} vCPU serve at most ${round(bound, 1)} req/s per instance (CPU is ${Math.round(cpuShare * 100)}% of a request)`;
  return [...a.why, { metric: 'cpuCoresPerInstance', text }];
}

/**
 * Threads follow containerConcurrency. With gthread, a keep-alive connection stays with the worker that accepted it and
 * connections that open together land on one worker, so one worker can hold most of the connections: its threads must
 * cover the whole concurrency, not concurrency / workers. Measured with gunicorn 20.1, 60 ms I/O requests and 8
 * keep-alive connections: 2 workers × 4 threads served 63 req/s, 2 × 16 served 128 req/s; the simulation reproduces it
 * (bench/sim: 65 vs 131 req/s). With sync workers (threads 1) requests wait in the shared backlog for any idle worker
 * and spread evenly; the model picks them when they serve more (CPU-bound work, 40 ms CPU + 5 ms I/O per request on 2 vCPU: in the
 * simulation, 3 sync workers at concurrency 3 serve 49 req/s per instance within the objective, the best gthread shape
 * 37, 4 workers at concurrency 2).
 */
function threadsFor(a: Analysis, concurrency: Outcome<number>, workers: Outcome<number>, config: RecommenderConfig): Outcome<number> {
  if (concurrency.kind === 'insufficient') return concurrency;
  const current = a.facts.server?.threads;
  const stepWorkers = workers.kind === 'recommendation' ? workers.value : (a.facts.server?.workers ?? 1);
  const targetModel = a.plan.candidate?.model ?? (current === 1 ? 'sync' : 'threads');
  const stepModel = a.workers !== undefined && stepWorkers !== a.workers && a.modelFor !== undefined ? a.modelFor(stepWorkers) : targetModel;
  const threadsOf = (model: ServerCandidate['model'], cc: number) => (model === 'sync' ? 1 : Math.min(config.bounds.maxThreads, Math.max(2, cc)));
  const target = threadsOf(targetModel, concurrency.target);
  let value = threadsOf(stepModel, concurrency.value);
  const evidence: Derivation[] = [
    ...concurrency.evidence,
    {
      metric: 'concurrencyPerInstance',
      text:
        targetModel === 'sync'
          ? `sync workers (threads 1): requests wait in the shared backlog for an idle worker, which spreads CPU-bound work evenly`
          : `threads = containerConcurrency: keep-alive connections stay with one worker, so each worker's threads must cover the whole concurrency`,
    },
  ];
  if (current !== undefined && value !== current && Math.abs(value - current) < config.hysteresis * current) {
    evidence.push({ metric: 'guardrail', text: `${value} is within ${Math.round(config.hysteresis * 100)}% of ${current}: kept` });
    value = current;
  }
  const recommendation: Outcome<number> = { kind: 'recommendation', value, target, confidence: concurrency.confidence, evidence };
  if (current !== undefined) recommendation.current = current;
  return recommendation;
}

/**
 * startupProbe budget = p99 start-up latency × headroom, as periodSeconds × failureThreshold; on Cloud Run at most
 * 240 s. A change under the hysteresis keeps the current probe.
 */
export function recommendStartupProbe(observations: WorkloadObservations, facts: WorkloadFacts, config: RecommenderConfig): Outcome<ProbeBudget> {
  const p99 = observations.startupLatencyP99;
  // A budget past int32 seconds (failureThreshold is an int32) is a broken histogram, not a start-up time.
  if (p99 === undefined || !Number.isFinite(p99) || p99 < 0 || p99 * config.startupHeadroom > 2 ** 31 - 1) {
    return insufficient('no instance start-up latency in the window (no instance started, or the profile has no start-up series)', 'none', 'startupLatencyP99');
  }
  const period = config.probePeriodSeconds;
  let budget = p99 * config.startupHeadroom;
  const evidence: Derivation[] = [{ metric: 'startupLatencyP99', text: `p99 start-up ${round(p99, 1)} s × ${config.startupHeadroom} headroom = ${round(budget, 1)} s` }];
  if (facts.platform === 'cloudrun' && budget > CLOUD_RUN_MAX_STARTUP_BUDGET) {
    budget = CLOUD_RUN_MAX_STARTUP_BUDGET;
    evidence.push({ metric: 'bounds', text: `Cloud Run allows at most ${CLOUD_RUN_MAX_STARTUP_BUDGET} s (periodSeconds × failureThreshold)` });
  }
  const failureThreshold = Math.max(1, facts.platform === 'cloudrun' && budget === CLOUD_RUN_MAX_STARTUP_BUDGET ? Math.floor(budget / period) : Math.ceil(budget / period));
  const target: ProbeBudget = { periodSeconds: period, failureThreshold };
  const confidence: Confidence = {
    points: observations.samples.length,
    concurrencyRange: [0, 0],
    windowSeconds: observations.window.end - observations.window.start,
    level: 'medium',
    notes: ['the p99 of the instance start-ups in the window'],
  };
  const current = facts.startupBudget;
  const recommendation: Outcome<ProbeBudget> = { kind: 'recommendation', value: target, target, confidence, evidence };
  if (current !== undefined) {
    recommendation.current = { periodSeconds: current.periodSeconds, failureThreshold: current.failureThreshold };
    const seconds = current.periodSeconds * current.failureThreshold;
    if (Math.abs(seconds - period * failureThreshold) < config.hysteresis * seconds) {
      recommendation.value = recommendation.current;
      evidence.push({ metric: 'guardrail', text: `${period * failureThreshold} s is within ${Math.round(config.hysteresis * 100)}% of the current ${seconds} s: kept` });
    }
  }
  return recommendation;
}

// ---- evidence texts ---------------------------------------------------------------------------------------------

function baselineDerivation(b: Baseline): Derivation {
  return { metric: 'latencyP95', text: `at low concurrency (${round(b.concurrency, 2)} in flight, ${b.points} steps): mean ${ms(b.meanLatency)}, p95 ${ms(b.p95)}` };
}

function uslDerivation(u: UslFit): Derivation {
  const peak = Number.isFinite(u.peakConcurrency) ? `, peak at ${round(u.peakConcurrency, 1)} in flight` : '';
  return { metric: 'concurrencyPerInstance', text: `USL fit of throughput vs concurrency: λ ${round(u.lambda, 2)} req/s, σ ${round(u.sigma, 3)}, κ ${round(u.kappa, 5)} (R² ${round(u.r2, 2)}, ${u.levels} levels${peak})` };
}

function cpuDerivation(cpu: CpuCost, d: Demands, vcpus: number): Derivation {
  return { metric: 'cpuCoresPerInstance', text: `CPU ${ms(cpu.secondsPerRequest)} per request (cpuCoresPerInstance / per-instance rate, median of ${cpu.points} busiest steps), I/O ${ms(d.ioSeconds)}; ${vcpus} vCPU` };
}

function hotspotDerivation(h: Hotspot): Derivation {
  return { metric: 'cpuCoresPerInstance', text: `vCPU hotspot: CPU per instance stays at ${round(h.cpuCores, 2)} cores on ${h.vcpus} vCPU at the busiest steps while p95 is ${round(h.p95Ratio, 1)}× the low-concurrency p95` };
}

/** What the data and the build say about one core per worker: the hotspot, when seen, and a free-threaded build. */
function coreDerivations(hotspot: Hotspot | undefined, facts: WorkloadFacts): Derivation[] {
  const out: Derivation[] = [];
  if (hotspot !== undefined) out.push(hotspotDerivation(hotspot));
  if (facts.freeThreaded !== undefined) out.push(freeThreadedDerivation(facts));
  return out;
}

function freeThreadedDerivation(facts: WorkloadFacts): Derivation {
  const effect = parallelThreads(facts) ? 'threads of one worker run Python on several cores, so threaded shapes are not capped at one core per worker and the vCPU hotspot (GIL) check does not apply' : 'this server runs one request\'s Python at a time per process or event loop, so the one core per worker still holds';
  return { metric: 'cpuCoresPerInstance', text: `free-threaded Python (${facts.freeThreaded}): ${effect}` };
}

/**
 * Which bound set the concurrency: the CPU's (the requests in flight that serve vCPU × target utilisation / CPU per
 * request, by Little's law with the model's latency there) or the latency objective's (I/O-based).
 */
function cpuBoundDerivation(c: BoundedChoice, d: Demands, config: RecommenderConfig): Derivation {
  const rate = `${d.vcpus} vCPU × ${Math.round(config.cpuUtilisationTarget * 100)}% target utilisation / CPU ${msPrecise(d.cpuSeconds)} per request = ${round(c.cpu.throughput, 1)} req/s per instance`;
  const io = c.byLatency.concurrency;
  if (c.cpu.at === undefined) return { metric: 'cpuCoresPerInstance', text: `CPU bound: ${rate}, which this shape does not reach within the objective (at most ${io} in flight): ${c.sizedBy === 'gil' ? 'the GIL bound is lower' : 'sized by the latency objective (I/O-based bound)'}` };
  const little = `${c.cpu.at.concurrency} in flight (Little's law: ${round(c.cpu.at.throughput, 1)} req/s × ${ms(c.cpu.at.meanLatency)} mean latency)`;
  if (c.sizedBy === 'cpu') return { metric: 'cpuCoresPerInstance', text: `CPU bound: ${rate}, served at ${little}, fewer than the ${io} the latency objective allows (which takes I/O waits as free): sized by CPU` };
  if (c.sizedBy === 'gil') return { metric: 'cpuCoresPerInstance', text: `CPU bound: ${rate}, served at ${little}; the GIL bound is lower` };
  return { metric: 'cpuCoresPerInstance', text: `CPU bound: ${rate}, served at ${little}, not fewer than the ${io} the latency objective allows: sized by the latency objective (I/O-based bound)` };
}

/**
 * The GIL bound of a threaded shape: each worker's GIL held by its requests' turns for at most the share target, so the
 * requests in flight per process are at most what serve workers × share / GIL hold per request (Little's law).
 */
function gilBoundDerivation(c: BoundedChoice, gil: ThroughputBound, d: Demands, config: RecommenderConfig): Derivation {
  const { workers } = c.candidate;
  const hold = d.cpuSeconds > SWITCH_INTERVAL_SECONDS ? `the ${ms(SWITCH_INTERVAL_SECONDS)} switch interval (CPU ${msPrecise(d.cpuSeconds)} per request, cut into turns)` : `CPU ${msPrecise(d.cpuSeconds)} per request`;
  const rate = `${workers} ${workers === 1 ? 'worker' : 'workers'} × ${Math.round(config.gilShareTarget * 100)}% of one core per GIL / ${hold} = ${round(gil.throughput, 1)} req/s per instance`;
  const at = c.prediction;
  const perProcess = `${at.concurrency} in flight (${round(at.concurrency / workers, 1)} per process; Little's law: ${round(at.throughput, 1)} req/s × ${ms(at.meanLatency)} mean latency)`;
  return { metric: 'cpuCoresPerInstance', text: `GIL bound: ${rate}, served at ${perProcess}, fewer than the ${c.byLatency.concurrency} the latency objective allows (which does not count the GIL's hand-offs between many threads): sized by the GIL` };
}

function predictionDerivation(c: ServerCandidate, p: Prediction, vcpus: number): Derivation {
  const kind = c.model === 'sync' ? 'sync' : c.model === 'loop' ? 'event-loop' : 'threaded';
  const note = c.freeThreaded === true && c.model === 'threads' ? ' (free-threaded: their threads share the vCPU)' : '';
  const shape = `${c.workers} ${kind} ${c.workers === 1 ? 'worker' : 'workers'}${note}`;
  return { metric: 'latencyP95', text: `predicted with ${shape} on ${vcpus} vCPU at ${p.concurrency} in flight: ${round(p.throughput, 1)} req/s per instance, p95 ${ms(p.p95)}` };
}

/** `92 ms`, `1.4 s`. */
export function ms(seconds: number): string {
  if (seconds >= 1e6) return `${seconds.toExponential(1)} s`;
  return seconds < 1 ? `${Math.round(seconds * 1000)} ms` : `${round(seconds, 2)} s`;
}

/** `0.5 ms`, `3 ms`, `1.4 s`: CPU per request is often below a millisecond. */
function msPrecise(seconds: number): string {
  return seconds < 0.01 ? `${round(seconds * 1000, 2)} ms` : ms(seconds);
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
