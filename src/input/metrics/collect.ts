/**
 * @module The metrics feeder: workloads (or namespaces) in, typed observations out. It asks Prometheus once which
 * metric names exist, picks each workload's profile, runs each profile's queries once per namespace (Cloud Run:
 * once per project), whatever the number of workloads, and assembles each workload's samples from the answers.
 * A query that fails makes the workloads it covers `MetricsUnavailable` with the reason; no number is guessed.
 */
import type { LatencyBuckets, MetricsProfileId, MetricsUnavailable, ObservationSample, ObservedTarget, WorkloadObservations } from '../../model/observations.ts';
import { observationKey } from '../../model/observations.ts';
import type { PrometheusClient, QueryResult } from './client.ts';
import { PrometheusError } from './client.ts';
import type { FieldQuery, MetricsProfile, QueryPlan, RangeField, WindowField } from './profiles/types.ts';
import { PROFILE_IDS, autoCandidates, autoProfileFor, autoProfileForNamespaces, availableProfiles, detectionMetrics, profileById } from './profiles/index.ts';
import type { QueryTemplates } from './profiles/kubernetes.ts';
import { filledTemplates, missingTemplateGaps, templateQueries } from './profiles/kubernetes.ts';
import type { FieldData, KeyedSeries } from './assemble.ts';
import { bucketBounds, buildSamples, dropInvalid, fieldPoints, keyedSeries, seriesOfTarget } from './assemble.ts';
import type { MetricsTarget } from './target.ts';

/** The window of a report, Unix seconds, and its step: samples are at the end of each step, `start + step` to `end`. */
export interface CollectWindow {
  start: number;
  end: number;
  stepSeconds: number;
}

/** Which workloads: those of the manifests, or every workload seen in the metrics of these namespaces. */
export type MetricsScope = { targets: readonly MetricsTarget[] } | { namespaces: readonly string[] };

/** Optional parts of a collection. */
export interface CollectOptions {
  /** The kubernetes profile's PromQL for request rate, latency and requests in flight. */
  templates?: QueryTemplates;
  /** Called after each query with the count done and the count planned so far. */
  onProgress?: (done: number, total: number) => void;
  /** Queries in flight at once; 4 by default, gentle on a shared Prometheus. */
  parallelism?: number;
}

/** What a collection found. */
export interface MetricsCollection {
  /** By `observationKey(target)`. */
  observations: Map<string, WorkloadObservations | MetricsUnavailable>;
  /** Problems not tied to a workload (Prometheus down in `--namespace` mode, no series of the profile). */
  errors: string[];
  /** The metric names of the profiles that exist in the window. */
  names: ReadonlySet<string>;
}

/** The PromQL that feeds each ObservationSample field; per-instance fields are this divided by `instances`. */
const SAMPLE_FIELD: Record<RangeField | WindowField, string> = {
  requestRate: 'requestRate',
  inFlight: 'concurrencyPerInstance',
  latencySum: 'latencyMean',
  instances: 'instances',
  latencyP50: 'latencyP50',
  latencyP95: 'latencyP95',
  latencyP99: 'latencyP99',
  cpuCores: 'cpuCoresPerInstance',
  cpuUtilisation: 'cpuCoresPerInstance',
  breakerInFlight: 'breakerInFlightPerInstance',
  startupLatencyP99: 'startupLatencyP99',
  cpuLimitCores: 'cpuLimitCores',
};

/** A query and its answer or failure. */
interface Outcome<F extends string> {
  query: FieldQuery<F>;
  keyed?: KeyedSeries[];
  /** `keyed` by workload name: 10,000 workloads look up their series without scanning every answer. */
  byName?: Map<string, KeyedSeries[]>;
  warnings: string[];
  error?: PrometheusError;
}

/** One profile over one namespace (undefined: the whole Prometheus): its plan and the answers. */
interface ScopeRun {
  profile: MetricsProfile;
  namespace: string | undefined;
  plan: QueryPlan;
  range: Outcome<RangeField>[];
  window: Outcome<WindowField>[];
  /** The bounds of the histogram latencyP95 was read from (absent: not a histogram, or its `le` values unreadable). */
  latencyBuckets?: LatencyBuckets;
}

/**
 * Reads the observations of every workload of `scope` from Prometheus over `window`, with `profile` or, for
 * `auto`, the profile whose metric names exist (per workload kind and platform when manifests are given).
 */
export async function collectObservations(
  scope: MetricsScope,
  profile: MetricsProfileId | 'auto',
  window: CollectWindow,
  client: PrometheusClient,
  options: CollectOptions = {},
): Promise<MetricsCollection> {
  const found: Found = { observations: new Map(), errors: [] };
  const names = await metricNames(client, profile, window, scope, found);
  if (names === undefined) return { observations: inScopeOrder(found.observations, scope), errors: found.errors, names: new Set() };
  const assigned = assignProfiles(scope, profile, names, window, found);
  const runs = await planRuns(client, assigned, scope, names, window, found);
  const runner = new QueryRunner(client, options);
  await Promise.all(runs.map((run) => runPlan(run, runner, window)));
  if ('namespaces' in scope) discoverWorkloads(runs, assigned, window, found);
  await runTemplates(runs, assigned, options.templates ?? {}, runner, window);
  await readLatencyBuckets(client, runs, window);
  assembleAll(runs, assigned, options.templates ?? {}, window, found);
  return { observations: inScopeOrder(found.observations, scope), errors: found.errors, names };
}

/** The manifests' order (namespace mode: by key), whatever order the profiles were read in. */
function inScopeOrder(observations: Map<string, WorkloadObservations | MetricsUnavailable>, scope: MetricsScope): Map<string, WorkloadObservations | MetricsUnavailable> {
  const keys = 'targets' in scope ? scope.targets.map(observationKey) : [...observations.keys()].sort();
  const ordered = new Map<string, WorkloadObservations | MetricsUnavailable>();
  for (const key of keys) {
    const entry = observations.get(key);
    if (entry !== undefined) ordered.set(key, entry);
  }
  return ordered;
}

/** What a collection has found so far: each workload's entry, and the errors of the run. */
interface Found {
  observations: Map<string, WorkloadObservations | MetricsUnavailable>;
  errors: string[];
}

function markUnavailable(found: Found, target: ObservedTarget, reason: string): void {
  found.observations.set(observationKey(target), { target: observedTarget(target), reason });
}

/** The targets of a scope: the manifests' workloads, or none yet (namespace mode discovers them). */
function scopeTargets(scope: MetricsScope): readonly MetricsTarget[] {
  return 'targets' in scope ? scope.targets : [];
}

/**
 * Step 1: which metric names exist. Undefined when Prometheus cannot say (every workload then has the reason);
 * a server whose metadata API refuses the listing is read with the named profile's metrics as if they existed
 * (a missing one is then a gap, "no series …", as it would be anyway).
 */
async function metricNames(client: PrometheusClient, profile: MetricsProfileId | 'auto', window: CollectWindow, scope: MetricsScope, found: Found): Promise<Set<string> | undefined> {
  try {
    return await existingMetricNames(client, window);
  } catch (error) {
    const reason = failureText(error);
    const refused = error instanceof PrometheusError && error.kind === 'http' && error.status !== undefined && error.status >= 400 && error.status < 500;
    if (refused && profile !== 'auto') return new Set(profileById(profile).metrics);
    const why = refused ? `${reason} (this server cannot list metric names: name the profile with --profile)` : reason;
    for (const t of scopeTargets(scope)) markUnavailable(found, t, why);
    if ('namespaces' in scope) found.errors.push(why);
    return undefined;
  }
}

/** Step 2: the profile of each workload (auto: by kind, platform and the names that exist); namespace mode: one profile. */
function assignProfiles(scope: MetricsScope, profile: MetricsProfileId | 'auto', names: ReadonlySet<string>, window: CollectWindow, found: Found): Map<MetricsProfileId, MetricsTarget[]> {
  const available = availableProfiles(names);
  const assigned = new Map<MetricsProfileId, MetricsTarget[]>();
  if ('namespaces' in scope) {
    const chosen = profileById(profile === 'auto' ? (autoProfileForNamespaces(available) ?? 'knative') : profile);
    if (available.has(chosen.id)) assigned.set(chosen.id, []);
    else found.errors.push(profile === 'auto' ? noProfileText(window) : noSignatureText(chosen, window, names));
    return assigned;
  }
  for (const target of scope.targets) {
    const id = profile === 'auto' ? autoProfileFor(target.kind, target.platform, available) : profile;
    if (id === undefined) {
      markUnavailable(found, target, noCandidateText(target, window));
      continue;
    }
    const chosen = profileById(id);
    if (chosen.kind !== target.kind) markUnavailable(found, target, `profile ${id} reads ${chosen.kind}s, not ${target.kind}s`);
    else if (!available.has(id)) markUnavailable(found, target, noSignatureText(chosen, window, names));
    else {
      const list = assigned.get(id) ?? [];
      list.push(target);
      assigned.set(id, list);
    }
  }
  return assigned;
}

/** Step 3: one plan per profile and namespace (Cloud Run: per project), after probing the labels the plan depends on. */
async function planRuns(client: PrometheusClient, assigned: Map<MetricsProfileId, MetricsTarget[]>, scope: MetricsScope, names: ReadonlySet<string>, window: CollectWindow, found: Found): Promise<ScopeRun[]> {
  const runs: ScopeRun[] = [];
  for (const [id, profileTargets] of assigned) {
    const chosen = profileById(id);
    let labelNames: Map<string, Set<string>>;
    try {
      labelNames = await probeLabels(client, chosen, window);
    } catch (error) {
      for (const t of profileTargets) markUnavailable(found, t, failureText(error));
      if ('namespaces' in scope) found.errors.push(failureText(error));
      assigned.delete(id);
      continue;
    }
    const namespaces = chosen.clusterScoped ? [undefined] : 'namespaces' in scope ? scope.namespaces : distinct(profileTargets.map((t) => t.namespace));
    const rateWindowSeconds = rateWindow(chosen, window);
    for (const namespace of namespaces) {
      const plan = chosen.plan({ namespace, rateWindowSeconds, windowSeconds: window.end - window.start, names, labelNames });
      runs.push({ profile: chosen, namespace, plan, range: [], window: [] });
    }
  }
  return runs;
}

/** Step 4: a plan's queries, through the shared pool. */
async function runPlan(run: ScopeRun, runner: QueryRunner, window: CollectWindow): Promise<void> {
  [run.range, run.window] = await Promise.all([
    Promise.all(run.plan.range.map((q) => runner.range(q, window))),
    Promise.all(run.plan.window.map((q) => runner.instant(q, window.end))),
  ]);
}

/** Namespace mode: the workloads are those the answers name; a namespace with none is an error of the run. */
function discoverWorkloads(runs: readonly ScopeRun[], assigned: Map<MetricsProfileId, MetricsTarget[]>, window: CollectWindow, found: Found): void {
  for (const run of runs) {
    const discovered = discoveredTargets(run);
    assigned.set(run.profile.id, [...(assigned.get(run.profile.id) ?? []), ...discovered]);
    const failed = [...run.range, ...run.window].find((o) => o.error !== undefined);
    if (discovered.length === 0) found.errors.push(failed?.error !== undefined ? failed.error.message : emptyScopeText(run, window));
  }
}

/** Step 5: the kubernetes profile's templates, filled per Deployment of each namespace and batched. */
async function runTemplates(runs: readonly ScopeRun[], assigned: ReadonlyMap<MetricsProfileId, MetricsTarget[]>, templates: QueryTemplates, runner: QueryRunner, window: CollectWindow): Promise<void> {
  const hasTemplates = templates.requestRate !== undefined || templates.latency !== undefined || templates.inFlight !== undefined;
  await Promise.all(runs.filter((run) => run.profile.id === 'kubernetes').map(async (run) => {
    run.plan.gaps.push(...missingTemplateGaps(templates));
    if (!hasTemplates) return;
    const scoped = (assigned.get('kubernetes') ?? []).filter((t) => t.namespace === run.namespace);
    const queries = templateQueries(templates, scoped, rateWindow(run.profile, window));
    run.range.push(...(await Promise.all(queries.map((q) => runner.range(q, window)))));
  }));
}

/**
 * Step 5b: the bucket bounds of each histogram latencyP95 is read from (one `le` label query per histogram), so a
 * latency objective inside a bucket can be named (the recommender's insufficient-data finding). Best effort: a
 * failure leaves the bounds out and changes nothing else.
 */
async function readLatencyBuckets(client: PrometheusClient, runs: readonly ScopeRun[], window: CollectWindow): Promise<void> {
  const byMetric = new Map<string, Promise<LatencyBuckets | undefined>>();
  await Promise.all(runs.map(async (run) => {
    const query = run.range.find((o) => o.query.field === 'latencyP95' && o.error === undefined)?.query;
    if (query?.metric === undefined || !query.metric.endsWith('_bucket')) return;
    const { metric, scale } = query;
    if (!byMetric.has(metric)) {
      byMetric.set(metric, client.labelValues('le', [metric], window.start, window.end).then(
        (values) => ({ metric: metric.slice(0, -'_bucket'.length), boundsSeconds: bucketBounds(values, scale) }),
        () => undefined,
      ));
    }
    const buckets = await byMetric.get(metric);
    if (buckets !== undefined && buckets.boundsSeconds.length > 0) run.latencyBuckets = buckets;
  }));
}

/** Step 6: each workload's observations from the answers of its run. */
function assembleAll(runs: readonly ScopeRun[], assigned: ReadonlyMap<MetricsProfileId, MetricsTarget[]>, templates: QueryTemplates, window: CollectWindow, found: Found): void {
  const runKey = (id: MetricsProfileId, namespace: string | undefined) => `${id}\u0000${profileById(id).clusterScoped ? '' : (namespace ?? '\u0001')}`;
  const runOf = new Map(runs.map((r) => [runKey(r.profile.id, r.namespace), r]));
  for (const [id, profileTargets] of assigned) {
    for (const target of profileTargets) {
      const run = runOf.get(runKey(id, target.namespace));
      if (run !== undefined) found.observations.set(observationKey(target), assemble(target, run, window, templates));
    }
  }
}

/** One cheap metadata query: which of the profiles' metric names have series in the window. */
async function existingMetricNames(client: PrometheusClient, window: CollectWindow): Promise<Set<string>> {
  const match = `{__name__=~"${detectionMetrics().join('|')}"}`;
  return new Set(await client.labelValues('__name__', [match], window.start, window.end));
}

/** The label names on the profile's probe metrics (Knative: which labels name the service). */
async function probeLabels(client: PrometheusClient, profile: MetricsProfile, window: CollectWindow): Promise<Map<string, Set<string>>> {
  const found = new Map<string, Set<string>>();
  for (const metric of profile.labelProbes) found.set(metric, new Set(await client.labelNames([metric], window.start, window.end)));
  return found;
}

/** rate() over at least a step (so each step counts every request once) and at least the profile's minimum. */
function rateWindow(profile: MetricsProfile, window: CollectWindow): number {
  return Math.max(window.stepSeconds, profile.minRateWindowSeconds);
}

/** Runs queries through a small pool, counting progress. */
class QueryRunner {
  private readonly client: PrometheusClient;
  private readonly onProgress: ((done: number, total: number) => void) | undefined;
  private readonly limit: number;
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private planned = 0;
  private done = 0;

  constructor(client: PrometheusClient, options: CollectOptions) {
    this.client = client;
    this.onProgress = options.onProgress;
    this.limit = Math.max(1, options.parallelism ?? 4);
  }

  /** A range query with one point per step of the window, at each step's end. */
  range(query: FieldQuery<RangeField>, window: CollectWindow): Promise<Outcome<RangeField>> {
    const steps = { start: window.start + window.stepSeconds, end: window.end, stepSeconds: window.stepSeconds };
    return this.run(query, () => this.client.queryRange(query.promql, steps));
  }

  instant(query: FieldQuery<WindowField>, time: number): Promise<Outcome<WindowField>> {
    return this.run(query, () => this.client.query(query.promql, time));
  }

  private async run<F extends string>(query: FieldQuery<F>, call: () => Promise<QueryResult>): Promise<Outcome<F>> {
    this.planned++;
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      const result = await call();
      const keyed = keyedSeries(result.series, query.key, query.scale);
      const byName = new Map<string, KeyedSeries[]>();
      for (const s of keyed) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
      return { query, keyed, byName, warnings: result.warnings };
    } catch (error) {
      if (error instanceof PrometheusError) return { query, warnings: [], error };
      throw error;
    } finally {
      this.active--;
      this.waiting.shift()?.();
      this.done++;
      this.onProgress?.(this.done, this.planned);
    }
  }
}

/** The workloads the answers of a namespace-mode run name (each once). */
function discoveredTargets(run: ScopeRun): MetricsTarget[] {
  const seen = new Map<string, MetricsTarget>();
  for (const outcome of [...run.range, ...run.window]) {
    for (const s of outcome.keyed ?? []) {
      const target: MetricsTarget = { kind: run.profile.kind, name: s.name };
      const namespace = s.namespace ?? run.namespace;
      if (namespace !== undefined && namespace !== '') target.namespace = namespace;
      seen.set(observationKey(target), target);
    }
  }
  return [...seen.values()].sort((a, b) => observationKey(a).localeCompare(observationKey(b)));
}

/** One workload's observations from its run's answers, or why they cannot be read. */
// eslint-disable-next-line complexity -- the metrics collection is being reworked in src/input/metrics (the lab's area); split it by field family (latency, CPU, concurrency) there, not piecemeal here.
function assemble(target: MetricsTarget, run: ScopeRun, window: CollectWindow, templates: QueryTemplates): WorkloadObservations | MetricsUnavailable {
  const gaps = run.plan.gaps.map((g) => `${g.field}: ${g.reason}`);
  const queries: Record<string, string> = {};
  const failures: string[] = [];
  const raw: Partial<Record<RangeField, Map<number, number>>> = {};
  const metricOf: Partial<Record<RangeField, string>> = {};
  const windowValues: Partial<Record<WindowField, number>> = {};
  const filled = run.profile.id === 'kubernetes' ? filledTemplates(templates, target, rateWindow(run.profile, window)) : {};
  const where = `${target.namespace ?? ''}${target.namespace ? '/' : ''}${target.name}`;

  for (const outcome of [...run.range, ...run.window]) {
    const { field, metric, batch } = outcome.query;
    if (batch !== undefined && !batch.some((t) => t.name === target.name && t.namespace === target.namespace)) continue; // another batch's workloads
    if (outcome.error !== undefined) {
      failures.push(`${field}: ${outcome.error.message}`);
      continue;
    }
    const matched = seriesOfTarget(outcome.byName?.get(target.name) ?? [], target);
    if ('ambiguous' in matched) return { target: observedTarget(target), reason: matched.ambiguous };
    queries[SAMPLE_FIELD[field]] = batch !== undefined && !isWindowField(field) ? (filled[field] ?? outcome.query.promql) : outcome.query.promql;
    if (matched.series.length === 0) {
      gaps.push(`${field}: no series ${metric} for ${where}`);
      continue;
    }
    if (outcome.warnings.length > 0) {
      gaps.push(`${field}: Prometheus warned that the answer may be partial (${outcome.warnings.join('; ')}); left out`);
      continue;
    }
    const picked = fieldPoints(field, matched.series, target);
    gaps.push(...picked.gaps);
    if (isWindowField(field)) {
      const value = [...picked.points.values()][0];
      if (value !== undefined && Number.isFinite(value) && value >= 0) windowValues[field] = value;
      else if (field === 'startupLatencyP99' && Number.isNaN(value)) gaps.push(`${field}: no instance of ${where} started in the window (${metric} did not grow)`);
      else if (value !== undefined) gaps.push(`${field}: ${metric} gave ${value} for ${where}; left out`);
    } else {
      raw[field] = picked.points;
      metricOf[field] = metric;
    }
  }
  if (failures.length > 0) {
    const more = failures.length > 1 ? ` (and ${failures.length - 1} more failed ${failures.length > 2 ? 'queries' : 'query'})` : '';
    return { target: observedTarget(target), reason: `${failures[0]}${more}` };
  }

  const fields: FieldData = {};
  const rates = raw.requestRate;
  for (const [field, points] of Object.entries(raw) as Array<[RangeField, Map<number, number>]>) {
    const clean = dropInvalid(field, metricOf[field] ?? field, points, rates);
    gaps.push(...clean.gaps);
    fields[field] = clean.points;
  }
  if (fields.inFlight === undefined && fields.latencySum !== undefined && queries['latencyMean'] !== undefined) {
    queries['concurrencyPerInstance'] = queries['latencyMean']; // Little's law
  }
  if (fields.cpuUtilisation !== undefined && target.vcpu === undefined) {
    gaps.push('cpuCores: Cloud Run reports CPU as a utilisation of the vCPUs, and no manifest says how many');
  }
  const samples: ObservationSample[] = buildSamples(fields, target.vcpu);
  const observed: WorkloadObservations = {
    target: observedTarget(target),
    profile: run.profile.id,
    window: { start: window.start, end: window.end, stepSeconds: window.stepSeconds },
    samples,
    queries,
    gaps: distinct(gaps),
  };
  if (windowValues.startupLatencyP99 !== undefined) observed.startupLatencyP99 = windowValues.startupLatencyP99;
  if (windowValues.cpuLimitCores !== undefined) observed.cpuLimitCores = windowValues.cpuLimitCores;
  if (run.latencyBuckets !== undefined && `${run.latencyBuckets.metric}_bucket` === metricOf.latencyP95) observed.latencyBuckets = run.latencyBuckets;
  return observed;
}

function isWindowField(field: RangeField | WindowField): field is WindowField {
  return field === 'startupLatencyP99' || field === 'cpuLimitCores';
}

/** The target without the manifest-only facts. */
function observedTarget(target: ObservedTarget): ObservedTarget {
  return target.namespace === undefined ? { kind: target.kind, name: target.name } : { kind: target.kind, namespace: target.namespace, name: target.name };
}

function failureText(error: unknown): string {
  if (error instanceof PrometheusError) return error.message;
  throw error;
}

function isoRange(window: CollectWindow): string {
  return `${new Date(window.start * 1000).toISOString()} and ${new Date(window.end * 1000).toISOString()}`;
}

function noProfileText(window: CollectWindow): string {
  const signatures = PROFILE_IDS.map((id) => profileById(id).signature);
  return `none of ${signatures.join(', ')} has series between ${isoRange(window)}`;
}

/** No profile that can describe this workload has series (auto). */
function noCandidateText(target: MetricsTarget, window: CollectWindow): string {
  const candidates = autoCandidates(target.kind, target.platform);
  const what = `${target.platform === undefined ? '' : `${target.platform} `}${target.kind}`;
  return `no metrics for a ${what}: no series ${candidates.map((id) => profileById(id).signature).join(' or ')} in Prometheus between ${isoRange(window)} (profile ${candidates.join(' or ')})`;
}

function noSignatureText(profile: MetricsProfile, window: CollectWindow, names: ReadonlySet<string>): string {
  const others = availableProfiles(names);
  const hint = others.size > 0 ? ` (series of profile ${[...others].join(', ')} exist: try --profile auto)` : '';
  return `no series ${profile.signature} in Prometheus between ${isoRange(window)}: profile ${profile.id} cannot read this Prometheus${hint}`;
}

function emptyScopeText(run: ScopeRun, window: CollectWindow): string {
  const where = run.namespace === undefined ? 'Prometheus' : `namespace ${run.namespace}`;
  return `no workload of profile ${run.profile.id} has series in ${where} between ${isoRange(window)}`;
}

function distinct<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
