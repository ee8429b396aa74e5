/**
 * @module Recommendations → findings: for every workload with observations, `metrics.*` findings with current and
 * recommended values, the derivation as evidence (`source: 'metrics'`, `field`: the PromQL that produced the metric)
 * and fixes built with `src/rules/fixes.ts`. Observations of workloads with no manifest (`--namespace` without `-f`)
 * are reported against a target whose file is `prometheus`, without fixes. Pure.
 */
import type { Evidence, Setting } from '../model/evidence.ts';
import type { Finding, Fix, JsonPatchOp, Severity, Target, ValueAdvice, Values } from '../model/finding.ts';
import { adviceMessage } from '../model/finding.ts';
import type { MetricsProfileId, MetricsUnavailable, ObservedTarget, WorkloadObservations } from '../model/observations.ts';
import { observationKey } from '../model/observations.ts';
import type { Inventory, Platform, ProbeFacts, ContainerFacts, Workload } from '../model/workload.ts';
import { freeThreaded, platformConcurrency, targetOf, uniqueEvidence, vcpus as vcpusOf } from '../rules/facts.ts';
import { addStartupProbe, fixFromChange, serverSettingWrite, setContainerConcurrency } from '../rules/fixes.ts';
import type { ServerKnob, ServerSettingWrite } from '../rules/fixes.ts';
import { changeTarget, containerConcurrencyLocation, propose } from '../rules/changes.ts';
import type { Proposal } from '../rules/changes.ts';
import type { Location, ProbeSpec } from '../model/change.ts';
import type { ServerKind } from '../model/server.ts';
import { MEASURED_CONFIDENCE } from '../model/change.ts';
import { ignoredRules } from '../rules/index.ts';
import { CONTAINER_CONCURRENCY, INSUFFICIENT_DATA, STARTUP_PROBE_BUDGET, THREADS, UNAVAILABLE, WORKERS } from './catalogue.ts';
import { threadsKnob, workersKnob } from './knobs.ts';
import { objectiveBucketNote } from './objectiveBucket.ts';
import type { WorkloadRecommendation } from './recommend.ts';
import { ms, recommend } from './recommend.ts';
import type { Derivation, Outcome, ProbeBudget, Recommendation, RecommenderConfig, WorkloadFacts } from './types.ts';
import { CLOUD_RUN_MAX_STARTUP_BUDGET, defaultRecommenderConfig } from './types.ts';

/** `file` of the target of a workload known only from metrics. */
export const METRICS_ONLY_FILE = 'prometheus';

/** Kubernetes' startupProbe defaults (periodSeconds 10, failureThreshold 3) when a probe leaves them out. */
const PROBE_DEFAULTS = { periodSeconds: 10, failureThreshold: 3 } as const;

/**
 * The `metrics.*` findings of every workload that has an entry in `observations` (keyed by `observationKey`), and of
 * workloads seen only in the metrics. `objectives` overrides the recommender's defaults; without `now`, the latest end
 * of the observation windows is used (never the clock).
 */
export function recommendFindings(inventory: Inventory, observations: ReadonlyMap<string, WorkloadObservations | MetricsUnavailable>, objectives: Partial<RecommenderConfig> = {}): Finding[] {
  const config = configOf(observations, objectives);
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const workload of inventory.workloads) {
    const key = observationKey(observedTargetOf(workload));
    const entry = observations.get(key);
    if (entry === undefined) continue;
    seen.add(key);
    const ignored = ignoredRules(workload);
    const produced = 'reason' in entry ? [unavailableFinding(entry, targetOf(workload, serverContainer(workload)))] : workloadFindings(workload, entry, config);
    findings.push(...produced.filter((f) => !ignored.has(f.rule)));
  }
  for (const [key, entry] of observations) {
    if (seen.has(key)) continue;
    const target = metricsOnlyTarget(entry.target);
    findings.push(...('reason' in entry ? [unavailableFinding(entry, target)] : metricsOnlyFindings(entry, target, config)));
  }
  return findings;
}

/** The recommender configuration of a run: `objectives` over the defaults, `now` the latest end of the windows unless given. */
export function configOf(observations: ReadonlyMap<string, WorkloadObservations | MetricsUnavailable>, objectives: Partial<RecommenderConfig>): RecommenderConfig {
  const ends = [...observations.values()].flatMap((o) => ('window' in o ? [o.window.end] : []));
  const now = objectives.now ?? (ends.length > 0 ? Math.max(...ends) : 0);
  const defaults = defaultRecommenderConfig(now);
  return { ...defaults, ...objectives, now, bounds: { ...defaults.bounds, ...objectives.bounds } };
}

/** How a workload appears in the metrics: its kind, namespace and name. */
export function observedTargetOf(workload: Workload): ObservedTarget {
  const target: ObservedTarget = { kind: workload.ref.kind === 'Deployment' ? 'Deployment' : 'Service', name: workload.ref.name };
  if (workload.ref.namespace !== undefined) target.namespace = workload.ref.namespace;
  return target;
}

/** The container that runs the Python server (the first one that does, else the first container). */
function serverContainer(workload: Workload): ContainerFacts | undefined {
  return workload.containers.find((c) => c.server !== undefined) ?? workload.containers[0];
}

function metricsOnlyTarget(observed: ObservedTarget): Target {
  const target: Target = { kind: observed.kind, name: observed.name, file: METRICS_ONLY_FILE };
  if (observed.namespace !== undefined) target.namespace = observed.namespace;
  return target;
}

function unavailableFinding(entry: MetricsUnavailable, target: Target): Finding {
  return {
    rule: UNAVAILABLE,
    severity: 'warning',
    target,
    message: `metrics for ${describe(target)} could not be read (${entry.reason}): no recommendation from measured load`,
    current: {},
    recommended: {},
    evidence: [{ source: 'metrics', field: 'prometheus', text: entry.reason }],
  };
}

function describe(target: Target): string {
  return `${target.kind} ${target.namespace === undefined ? '' : `${target.namespace}/`}${target.name}`;
}

/** The facts the recommender needs, from the manifest. */
export function workloadFacts(workload: Workload): WorkloadFacts {
  const container = serverContainer(workload);
  const facts: WorkloadFacts = { platform: workload.platform };
  const cpu = container === undefined ? undefined : vcpusOf(container);
  if (cpu !== undefined) facts.vcpus = cpu.value;
  // Cloud Run: "if you set CPU below 1, you must set concurrency to 1" (https://cloud.google.com/run/docs/configuring/cpu).
  if (workload.platform === 'cloudrun' && cpu !== undefined && cpu.cpu < 1) facts.maxConcurrency = 1;
  const concurrency = platformConcurrency(workload);
  if (concurrency !== undefined) facts.containerConcurrency = concurrency.value;
  const server = container?.server;
  if (server !== undefined) {
    facts.server = { kind: server.kind, model: server.model };
    if (server.workers.value !== undefined) facts.server.workers = server.workers.value;
    if (server.threads.value !== undefined) facts.server.threads = server.model === 'sync' ? 1 : server.threads.value;
  }
  const free = container === undefined ? undefined : freeThreaded(container);
  if (free !== undefined) facts.freeThreaded = free.text ?? free.field;
  const probe = container?.startupProbe;
  if (probe !== undefined && probe.handler !== 'none') {
    facts.startupBudget = { periodSeconds: probe.periodSeconds ?? PROBE_DEFAULTS.periodSeconds, failureThreshold: probe.failureThreshold ?? PROBE_DEFAULTS.failureThreshold, implicit: probe.implicit };
  }
  return facts;
}

function workloadFindings(workload: Workload, observations: WorkloadObservations, config: RecommenderConfig): Finding[] {
  const facts = workloadFacts(workload);
  const result = recommend(observations, facts, config);
  const container = serverContainer(workload);
  const target = targetOf(workload, container);
  const context: FindingContext = { observations, facts, target, workload, ...(container === undefined ? {} : { container }), ...slo(config) };
  return findingsOf(result, context);
}

function metricsOnlyFindings(observations: WorkloadObservations, target: Target, config: RecommenderConfig): Finding[] {
  const facts: WorkloadFacts = { platform: platformOfProfile(observations.profile) };
  if (observations.cpuLimitCores !== undefined) facts.vcpus = Math.max(1, Math.ceil(observations.cpuLimitCores));
  return findingsOf(recommend(observations, facts, config), { observations, facts, target, ...slo(config) });
}

function slo(config: RecommenderConfig): Pick<FindingContext, 'latencySloSeconds'> {
  return config.latencySloSeconds === undefined ? {} : { latencySloSeconds: config.latencySloSeconds };
}

function platformOfProfile(profile: MetricsProfileId): Platform {
  if (profile === 'cloudrun') return 'cloudrun';
  if (profile === 'kubernetes') return 'kubernetes';
  return 'knative';
}

interface FindingContext {
  observations: WorkloadObservations;
  facts: WorkloadFacts;
  target: Target;
  /** Absent for workloads known only from metrics: no fixes then. */
  workload?: Workload;
  container?: ContainerFacts;
  /** The explicit objective (`--latency-slo`), seconds: the insufficient-data finding says when it lies inside a bucket. */
  latencySloSeconds?: number;
}

function findingsOf(result: WorkloadRecommendation, context: FindingContext): Finding[] {
  const findings: Finding[] = [];
  const withheld: string[] = [];
  const take = <T>(what: string, outcome: Outcome<T> | undefined, make: (r: Recommendation<T>) => Finding | undefined) => {
    if (outcome === undefined) return;
    if (outcome.kind === 'insufficient') {
      withheld.push(`${what}: ${outcome.reason} (have ${outcome.have}, need ${outcome.need})`);
      return;
    }
    const finding = make(outcome);
    if (finding !== undefined) findings.push(finding);
  };
  if (context.facts.platform !== 'kubernetes') take('containerConcurrency', result.containerConcurrency, (r) => concurrencyFinding(r, result, context));
  take('threads', result.threads, (r) => threadsFinding(r, result, context));
  take('workers', result.workers, (r) => workersFinding(r, result, context));
  // Only Cloud Run reports start-up latency; elsewhere its absence is the normal case, not a gap worth a finding.
  const startupData = context.observations.profile === 'cloudrun' && context.facts.startupBudget?.implicit === false;
  if (context.facts.startupBudget !== undefined && (result.startupProbe.kind === 'recommendation' || startupData)) take('startupProbe', result.startupProbe, (r) => startupFinding(r, context));
  if (withheld.length > 0) findings.push(insufficientFinding(withheld, context));
  return findings;
}

// ---- evidence -----------------------------------------------------------------------------------------------------

/**
 * Derivations as evidence: the field is the PromQL behind the metric when the observations name it (the metric's name
 * otherwise); derivations from the same query are one piece of evidence, their texts joined.
 */
function metricsEvidence(derivations: readonly Derivation[], observations: WorkloadObservations): Evidence[] {
  const byField = new Map<string, string[]>();
  for (const d of derivations) {
    const field = observations.queries[d.metric] ?? d.metric;
    byField.set(field, [...(byField.get(field) ?? []), d.text]);
  }
  return [...byField].map(([field, texts]) => ({ source: 'metrics', field, text: texts.join('; ') }));
}

function confidenceText(r: Recommendation<unknown>): string {
  return `confidence ${r.confidence.level}: ${r.confidence.points} steps, ${r.confidence.concurrencyRange[0]}–${r.confidence.concurrencyRange[1]} in flight per instance over ${duration(r.confidence.windowSeconds)}`;
}

function duration(seconds: number): string {
  if (seconds >= 86400 && seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600}h`;
  return `${Math.round(seconds / 60)}m`;
}

function stepText(r: Recommendation<number>): string {
  return `${r.value}${laterSteps(r)}`;
}

/** What follows this step's value when the target is further than one step: ` now (guardrail ...), 40 in later steps`. */
function laterSteps(r: Recommendation<number>): string {
  return r.value === r.target ? '' : ` now (guardrail: at most ×2 or ÷2 per step), ${r.target} in later steps`;
}

function notesOf(r: Recommendation<unknown>): string[] {
  return [`recommended from measured load (${confidenceText(r)}; ${r.confidence.notes.join('; ')})`];
}

// ---- one finding per knob -----------------------------------------------------------------------------------------

function concurrencyFinding(r: Recommendation<number>, result: WorkloadRecommendation, c: FindingContext): Finding | undefined {
  const current = c.facts.containerConcurrency;
  if (r.value === current) return undefined;
  const plan = result.plan!;
  const currentText = current === undefined ? 'containerConcurrency unlimited' : `containerConcurrency ${current}`;
  const shape = shapeText(result);
  const severity: Severity = current === undefined || r.target > 2 * current || 2 * r.target < current ? 'warning' : 'info';
  const advice: ValueAdvice = {
    lead: `${currentText}: at ${r.target} in flight per instance${shape} the predicted p95 is ${ms(plan.prediction.p95)}, within the objective ${ms(plan.objective.p95Seconds)}, for ${round1(plan.prediction.throughput)} req/s per instance${cpuSizing(plan)}`,
    setting: 'containerConcurrency',
    value: r.value,
    tail: `${laterSteps(r)} (${r.confidence.level} confidence)`,
  };
  const finding: Finding = {
    rule: CONTAINER_CONCURRENCY,
    severity,
    target: c.target,
    message: adviceMessage(advice),
    advice,
    current: { containerConcurrency: current ?? null },
    recommended: { containerConcurrency: r.value },
    evidence: evidenceWith(c, r, c.workload?.containerConcurrency?.evidence),
    confidence: r.confidence.level,
  };
  if (c.workload !== undefined) {
    finding.fix = fixFromChange(setContainerConcurrency(c.workload, r.value), notesOf(r));
    finding.changes = [propose('containerConcurrency', current, r.value, measuredProposal(CONTAINER_CONCURRENCY, r, c.workload, undefined, containerConcurrencyLocation(c.workload)))];
  }
  return finding;
}

/** Why the concurrency is below what the latency objective allows, when the CPU or the GIL bound set it. */
function cpuSizing(plan: NonNullable<WorkloadRecommendation['plan']>): string {
  if (plan.sizedBy === 'gil' && plan.gilBound !== undefined) {
    const perProcess = Math.round(((plan.gilBound.concurrency ?? plan.prediction.concurrency) / plan.gilBound.workers) * 10) / 10;
    return `, the most that keep each worker's GIL busy at most ${Math.round(plan.gilBound.shareTarget * 100)}% of the time (${perProcess} in flight per process: more threads per process wait for the GIL, so more concurrency takes more workers)`;
  }
  if (plan.sizedBy !== 'cpu' || plan.cpuBound === undefined || plan.vcpus === undefined) return '';
  return `, the most ${Math.round(plan.cpuBound.utilisationTarget * 100)}% of ${plan.vcpus} vCPU serve (a higher concurrency would meet the latency objective only by taking I/O waits as free of CPU)`;
}

/** ` with 3 workers × 12 threads` for the message, from the other recommendations. */
function shapeText(result: WorkloadRecommendation): string {
  const candidate = result.plan?.candidate;
  if (candidate === undefined) return '';
  const workers = candidate.workers === 1 ? '1 worker' : `${candidate.workers} workers`;
  if (candidate.model === 'sync') return ` with ${workers} (sync)`;
  const threads = result.threads?.kind === 'recommendation' ? ` × ${result.threads.target} threads` : '';
  return ` with ${workers}${threads}`;
}



function evidenceWith(c: FindingContext, r: Recommendation<unknown>, manifest: Evidence | undefined): Evidence[] {
  return uniqueEvidence([...(manifest === undefined ? [] : [manifest]), ...metricsEvidence(r.evidence, c.observations)]);
}

function threadsFinding(r: Recommendation<number>, result: WorkloadRecommendation, c: FindingContext): Finding | undefined {
  const server = c.container?.server;
  const current = c.facts.server?.threads;
  if (current === undefined || r.value === current || server === undefined || c.workload === undefined || c.container === undefined) return undefined;
  const sync = result.plan?.candidate?.model === 'sync' && r.target === 1;
  const why = sync
    ? 'sync workers (threads 1) take requests from one shared backlog, which spreads CPU-bound work over the workers evenly'
    : `keep-alive connections stay with the worker that accepted them, so each worker's threads must cover the whole concurrency ${result.containerConcurrency.kind === 'recommendation' ? result.containerConcurrency.target : ''}`.trimEnd();
  const finding: Finding = {
    rule: THREADS,
    severity: 'warning',
    target: c.target,
    message: `${server.kind} runs ${current} ${current === 1 ? 'thread' : 'threads'} per worker: ${why}; set threads to ${stepText(r)} (${r.confidence.level} confidence)`,
    current: { threads: current },
    recommended: { threads: r.value },
    evidence: evidenceWith(c, r, server.threads.evidence),
    confidence: r.confidence.level,
  };
  const { fix, location } = knobWrite(c.workload, c.container, server.threads, threadsKnob(server.kind, c.workload, c.container, r.value), r.value);
  if (fix !== undefined) finding.fix = withNotes(fix, [...notesOf(r), ...threadsNotes(c, r)]);
  finding.changes = [propose('threads', current, r.value, measuredProposal(THREADS, r, c.workload, c.container, location))];
  return finding;
}

function threadsNotes(c: FindingContext, r: Recommendation<number>): string[] {
  const workerClass = c.container?.server?.workerClass?.value;
  if (r.value === 1 && workerClass === 'gthread') return ['gunicorn keeps the gthread worker class with -k gthread even at 1 thread; remove -k gthread so --threads 1 selects the sync worker'];
  if (r.value > 1 && workerClass === 'sync') return ['gunicorn runs the sync worker class with -k sync whatever --threads says; remove -k sync (or use -k gthread) for threads to take effect'];
  return [];
}

function withNotes(fix: Fix, notes: readonly string[]): Fix {
  const all = [...(fix.notes ?? []), ...notes];
  return all.length === 0 ? fix : { ...fix, notes: all };
}

function workersFinding(r: Recommendation<number>, result: WorkloadRecommendation, c: FindingContext): Finding | undefined {
  const server = c.container?.server;
  const current = c.facts.server?.workers;
  if (current === undefined || r.value === current || server === undefined || c.workload === undefined || c.container === undefined) return undefined;
  const hotspot = result.plan?.hotspot;
  const uvicornFewer = server.kind === 'uvicorn' && r.target < current;
  const { cpuText, hotspotText } = workersReasons(result.plan, uvicornFewer);
  const gilText = r.target > current ? gilShareText(result.plan) : '';
  const finding: Finding = {
    rule: WORKERS,
    severity: hotspot !== undefined || r.target > current || uvicornFewer ? 'warning' : 'info',
    target: c.target,
    message: `${server.kind} runs ${current} ${current === 1 ? 'worker' : 'workers'} on ${c.facts.vcpus ?? '?'} vCPU${cpuText}${hotspotText}${gilText}; set workers to ${stepText(r)} (${r.confidence.level} confidence)`,
    current: { workers: current },
    recommended: { workers: r.value },
    evidence: evidenceWith(c, r, server.workers.evidence),
    confidence: r.confidence.level,
  };
  const { fix, location } = knobWrite(c.workload, c.container, server.workers, workersKnob(server.kind, c.workload, c.container, r.value), r.value);
  if (fix !== undefined) finding.fix = withNotes(fix, [...notesOf(r), ...memoryNote(server.kind, c.facts)]);
  finding.changes = [propose('workers', current, r.value, measuredProposal(WORKERS, r, c.workload, c.container, location))];
  return finding;
}

/**
 * Each worker process holds a copy of the app, except granian's workers on a free-threaded build: threads of one
 * process there (`granian/server/__init__.py`: `Server = MPServer if BUILD_GIL else MTServer`).
 */
function memoryNote(kind: ServerKind, facts: WorkloadFacts): string[] {
  if (kind === 'granian' && facts.freeThreaded !== undefined) return ['granian on a free-threaded build runs its workers as threads of one process: one copy of the app'];
  return ['each worker process holds its own copy of the app: check the memory limit'];
}

/** A server setting's write through its knob; a server without that knob (waitress workers) cannot be changed. */
function knobWrite(workload: Workload, container: ContainerFacts, setting: Setting<number>, knob: ServerKnob | undefined, value: number): ServerSettingWrite {
  if (knob === undefined) return { fix: undefined, location: { kind: 'unwritable', why: `${container.server?.kind ?? 'the server'} has no such setting` } };
  return serverSettingWrite(workload, container, setting, knob, String(value));
}

function measuredProposal(rule: string, r: Recommendation<unknown>, workload: Workload, container: ContainerFacts | undefined, location: Location): Proposal {
  return { target: changeTarget(workload, container), rule, confidence: MEASURED_CONFIDENCE[r.confidence.level], location };
}

/** Why the worker count should change: the CPU share of a request and a vCPU hotspot, or uvicorn's own reason. */
function workersReasons(plan: WorkloadRecommendation['plan'], uvicornFewer: boolean): { cpuText: string; hotspotText: string } {
  if (uvicornFewer) {
    return {
      cpuText: `: uvicorn's own worker processes answer keep-alive requests without TCP_NODELAY, each waiting for a delayed ACK (see uvicorn.workers); gunicorn -k uvicorn.workers.UvicornWorker -w N runs several loops without it`,
      hotspotText: '',
    };
  }
  const demands = plan?.demands;
  const hotspot = plan?.hotspot;
  return {
    cpuText: demands === undefined ? '' : `: CPU is ${ms(demands.cpuSeconds)} of a ${ms(demands.cpuSeconds + demands.ioSeconds)} request and ${plan?.candidate?.freeThreaded === true ? 'the threads of one worker run Python on every vCPU (free-threaded build), so more workers add no CPU' : 'each worker process runs Python on one core at a time (the GIL)'}`,
    hotspotText: hotspot === undefined ? '' : `; CPU per instance stays at ${round1(hotspot.cpuCores)} of ${hotspot.vcpus} vCPU while p95 is ${round1(hotspot.p95Ratio)}× the low-concurrency p95 (a vCPU hotspot)`,
  };
}

/** Why more workers rather than more threads: what one worker's GIL serves within its share (threaded shapes under a GIL). */
function gilShareText(plan: WorkloadRecommendation['plan']): string {
  const gil = plan?.gilBound;
  if (gil === undefined) return '';
  return `; threads of one worker wait for its GIL, so each worker takes at most ${round1(gil.throughput / gil.workers)} req/s (its GIL ${Math.round(gil.shareTarget * 100)}% busy with request CPU)`;
}

// eslint-disable-next-line complexity -- the probe-budget finding weighs killed / too short / too long / platform limit, each a guard of one line
function startupFinding(r: Recommendation<ProbeBudget>, c: FindingContext): Finding | undefined {
  const current = c.facts.startupBudget!;
  const p99 = c.observations.startupLatencyP99!;
  const currentSeconds = current.periodSeconds * current.failureThreshold;
  const seconds = r.value.periodSeconds * r.value.failureThreshold;
  const killed = p99 > currentSeconds;
  const tooShort = currentSeconds < seconds;
  const tooLong = currentSeconds > 2 * seconds;
  // The platform's implicit probe (Cloud Run: 240 s) is only worth replacing when start-ups do not fit in it.
  if (!killed && (current.implicit || !(tooShort || tooLong))) return undefined;
  if (!killed && seconds === currentSeconds) return undefined;
  const allows = `the startupProbe allows ${currentSeconds} s (${current.failureThreshold} × ${current.periodSeconds} s)`;
  const message = tooLong
    ? `${allows} for start-ups of at most ${round1(p99)} s (p99): a broken start is detected late`
    : `${allows} but instances take up to ${round1(p99)} s to start (p99)${killed ? ': they are killed before they are ready' : ''}`;
  const advice = startupAdvice(r.value, currentSeconds, c.facts.platform === 'cloudrun');
  const finding: Finding = {
    rule: STARTUP_PROBE_BUDGET,
    severity: killed ? 'warning' : 'info',
    target: c.target,
    message: `${message}; ${advice}`,
    current: { periodSeconds: current.periodSeconds, failureThreshold: current.failureThreshold, budgetSeconds: currentSeconds },
    recommended: { periodSeconds: r.value.periodSeconds, failureThreshold: r.value.failureThreshold, budgetSeconds: seconds },
    evidence: evidenceWith(c, r, c.container?.startupProbe?.evidence),
    confidence: r.confidence.level,
  };
  const fix = c.workload === undefined || c.container?.startupProbe === undefined || seconds === currentSeconds ? undefined : probeTimingFix(c.workload, c.container, c.container.startupProbe, r.value);
  if (fix !== undefined) finding.fix = withNotes(fix, notesOf(r));
  const probe = c.container?.startupProbe;
  if (c.workload !== undefined && c.container !== undefined && probe !== undefined && (probe.handler === 'httpGet' || probe.handler === 'tcpSocket') && probe.port !== undefined) {
    const to: ProbeSpec = { handler: probe.handler, port: probe.port, ...r.value };
    if (probe.path !== undefined) to.path = probe.path;
    const location: Location = fix === undefined ? { kind: 'unwritable', why: 'the probe budget is already as recommended' } : { kind: 'container', container: c.container.name, field: 'startupProbe' };
    finding.changes = [propose('startupProbe', undefined, to, measuredProposal(STARTUP_PROBE_BUDGET, r, c.workload, c.container, location))];
  }
  return finding;
}

/** What to do about a start-up budget: new probe timing, or a faster start-up where Cloud Run allows no more. */
function startupAdvice(budget: ProbeBudget, currentSeconds: number, cloudRun: boolean): string {
  const seconds = budget.periodSeconds * budget.failureThreshold;
  const atLimit = cloudRun && seconds >= CLOUD_RUN_MAX_STARTUP_BUDGET;
  if (atLimit && seconds <= currentSeconds) return 'make the start-up faster (--preload, lazy imports): Cloud Run allows at most 240 s';
  return `set periodSeconds ${budget.periodSeconds} and failureThreshold ${budget.failureThreshold} (${seconds} s)${atLimit ? ", Cloud Run's maximum; make the start-up faster too (--preload, lazy imports)" : ''}`;
}

/**
 * Changes a startupProbe's timing. An implicit probe (the platform's) is added explicitly with `addStartupProbe`, with its
 * handler; an explicit probe keeps everything but `periodSeconds` and `failureThreshold` (JSON patch of those two fields,
 * an apply fragment with only them: server-side apply merges probe fields).
 */
function probeTimingFix(workload: Workload, container: ContainerFacts, probe: ProbeFacts, budget: ProbeBudget): Fix | undefined {
  if (probe.implicit) {
    if (probe.handler !== 'tcpSocket' || probe.port === undefined) return undefined;
    return fixFromChange(addStartupProbe(workload, container, { tcpSocket: { port: probe.port }, ...budget }));
  }
  const base = `${workload.podSpecPointer}/containers/${container.index}/startupProbe`;
  const jsonPatch: JsonPatchOp[] = [];
  for (const field of ['periodSeconds', 'failureThreshold'] as const) {
    const written = probe[field];
    if (written === undefined) jsonPatch.push({ op: 'add', path: `${base}/${field}`, value: budget[field] });
    else jsonPatch.push({ op: 'test', path: `${base}/${field}`, value: written }, { op: 'replace', path: `${base}/${field}`, value: budget[field] });
  }
  // A probe with only the two fields, as a fragment: server-side apply merges it into the existing probe.
  const { applyFragment } = addStartupProbe(workload, container, { ...budget });
  return { jsonPatch, applyFragment };
}

function insufficientFinding(withheld: readonly string[], c: FindingContext): Finding {
  const values: Values = {};
  for (const line of withheld) values[line.slice(0, line.indexOf(':'))] = null;
  const buckets = c.observations.latencyBuckets;
  const bucketNote = buckets === undefined || c.latencySloSeconds === undefined ? undefined : objectiveBucketNote(buckets, c.latencySloSeconds);
  const evidence: Evidence[] = [{ source: 'metrics', field: 'observations', text: c.observations.gaps.length === 0 ? `${c.observations.samples.length} steps` : c.observations.gaps.join('; ') }];
  if (bucketNote !== undefined) evidence.push({ source: 'metrics', field: 'latencyBuckets', text: `${buckets!.metric} bounds ${buckets!.boundsSeconds.map(ms).join(', ')}` });
  return {
    rule: INSUFFICIENT_DATA,
    severity: 'info',
    target: c.target,
    message: `measured load of ${describe(c.target)} cannot support ${withheld.length === 1 ? 'a recommendation' : 'these recommendations'}: ${withheld.join('; ')}${bucketNote === undefined ? '' : `. Note: ${bucketNote}`}`,
    current: { steps: c.observations.samples.length, window: duration(c.observations.window.end - c.observations.window.start) },
    recommended: values,
    evidence,
  };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
