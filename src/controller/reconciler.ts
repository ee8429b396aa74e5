/**
 * @module The reconcile, level-based and keyed by name (controller-runtime's contract, aesthetics.md 1.2): a key
 * comes in, the state is read from the caches, and a requeue decision goes out. For a target workload the steps are
 * written out, as VPA's RunOnce is: select policy → evaluate (the report's pipeline on cache objects) → measured load
 * (the policy's metrics snapshot, metricsReader.ts, and the recommender's findings) → write the TuningRecommendation →
 * plan (pure, src/actuator/plan.ts) → apply (src/actuator/apply.ts) → record the outcome. For a TuningPolicy it
 * refreshes the policy's status (counts and conditions). Time comes from `now()`, once per reconcile.
 */
import { ApiException, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { API_VERSION, FIELD_MANAGER, GROUP, VERSION } from '../api/v1alpha1/common.ts';
import { parseTuningPolicy, TUNING_POLICY_KIND, TUNING_POLICY_PLURAL, type TuningPolicy, type TuningPolicyStatus } from '../api/v1alpha1/tuningPolicy.ts';
import { recommendationName, TUNING_RECOMMENDATION_KIND, TUNING_RECOMMENDATION_PLURAL, type RecommendedValue, type TuningRecommendation, type TuningRecommendationStatus } from '../api/v1alpha1/tuningRecommendation.ts';
import { createActuator, recommendationObject, sameRecommendation, type Actuator } from '../actuator/apply.ts';
import { describeChange, fieldValue, planActuation, type LiveWorkload, type ObjectRef, type Plan, type PlannedChange } from '../actuator/plan.ts';
import { statusAfterActuation, type ActuationResult, type WriteOutcome } from '../actuator/status.ts';
import type { MetricsTarget } from '../input/metrics/target.ts';
import type { Finding } from '../model/finding.ts';
import { evaluateTarget, metricsTargetOf, metricsTargets, rulesFor, withMetricsFindings, type Evaluation, type TargetMetrics } from './evaluate.ts';
import { apiVersionOf, collectionPath, describePermission, RESOURCES, type Caches } from './informers.ts';
import { getJson, KubeRequestError, statusMessage, transportFor } from '../input/kubeHttp.ts';
import { serviceAccountOf, type IdentityIndex } from './identityIndex.ts';
import { formatKey, type ObjectKey } from './keys.ts';
import { targetLogger } from './log.ts';
import type { ControllerMetrics } from './metrics.ts';
import { INVALID_WORKLOAD_BASIS, invalidSourceBasis, policyBasis, recommenderSettings, targetBasis } from './metricsBasis.ts';
import { DEFAULT_METRICS_INTERVAL_MS, DEFAULT_METRICS_TIMEOUT_MS, MetricsReader, type PrometheusAccess } from './metricsReader.ts';
import { detectDrift } from './drift.ts';
import { valuesOf } from './recommendations.ts';
import { byPrecedence, optedIn, overlappingCondition, policyRef, selectingPolicies, type Candidates, type SharedWorkload } from './policySelection.ts';
import { DEFAULT_RECENT_WRITE_TTL_MS, RecentWrites } from './recentWrites.ts';
import type { TuningPolicyProjection } from './projection.ts';
import { cachedRecommendation, cachedStatusDigest } from './shardCache.ts';
import { evaluatedStatus, policyStatus, sameStatus, unselectedStatus, type MetricsBasis } from './status.ts';
import { statusDigest } from './statusDigest.ts';

/** What a reconcile asks of the queue: nothing, or to come back after a while. */
export interface ReconcileOutcome {
  requeueAfterMs?: number;
}

/**
 * TerminalError is a failure retrying cannot fix (controller-runtime's `reconcile.TerminalError`): logged and counted,
 * not retried until the object changes.
 */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

/** What the reconciler works with. */
export interface ReconcilerOptions {
  kubeConfig: KubeConfig;
  caches: Caches;
  log: Logger;
  metrics: ControllerMetrics;
  /** Re-evaluate each selected target this often even when nothing changes. */
  resyncMs: number;
  now: () => Date;
  /** Field manager of every write (`pytuner`). */
  fieldManager?: string;
  /**
   * Told a target's current findings (empty: none, or it is gone or no longer selected) and, after an evaluation, the
   * workload and the values recommended (for the recommendation gauges and the policy reports).
   */
  onFindings?: (key: string, findings: readonly Finding[], evaluated?: { workload: KubernetesObject; values: readonly RecommendedValue[] }) => void;
  /** The actuator; default createActuator(kubeConfig). */
  actuator?: Actuator;
  /** How long a policy's metrics snapshot is used before Prometheus is read again (`--metrics-interval`). */
  metricsIntervalMs?: number;
  /** Per request to Prometheus (`--metrics-timeout`). */
  metricsTimeoutMs?: number;
  /** The controller's credentials for one Prometheus (`--prometheus-url` and its token and CA files). */
  prometheusAccess?: PrometheusAccess;
  /** The cluster default policy (`--default-policy`), for the namespaces labelled pytuner.dev/enabled=true. */
  defaultPolicy?: { namespace: string; name: string };
  /** The recommendations this controller wrote that its cache has not seen yet (fed by the cache's events); default a fresh one. */
  recentWrites?: RecentWrites<TuningRecommendation>;
  /** The IAM grants by identity, kept current by the cache's events (main.ts). */
  identities: IdentityIndex;
}

/** The workloads' cache names by target kind. */
const WORKLOAD_RESOURCE = { Service: 'knativeServices', Deployment: 'deployments' } as const;

/** Attempts of one workload reconcile when its writes find the object changed since it was read (client-go's DefaultRetry allows 5). */
const WRITE_ATTEMPTS = 3;

/** The first retry after a 403 on a write; each further 403 in a row doubles it, up to FORBIDDEN_RETRY_MAX_MS. */
const FORBIDDEN_RETRY_BASE_MS = 2_000;

/**
 * The longest wait between two attempts of a refused write. An RBAC grant bumps nothing the controller watches, so
 * the retry is what finds it: capped at 30 s, a grant made after hours of refusals is still picked up within half a
 * minute, not at the next resync, for one refused request per workload per 30 s meanwhile. Watching Roles and
 * RoleBindings instead was rejected: it needs list/watch on every RBAC object of the cluster (who is bound to what
 * everywhere), and a grant through a group (system:serviceaccounts) names no ServiceAccount to match on.
 */
const FORBIDDEN_RETRY_MAX_MS = 30_000;

/**
 * When to look again at a workload whose write the API server refused (403) `streak` times in a row: soon, because an
 * RBAC grant (`helm upgrade --set apply.enabled=true`) should be picked up within seconds, not at the next resync; and
 * less often each time, because until someone grants it every retry is refused.
 */
export function forbiddenRetryMs(streak: number, resyncMs: number): number {
  return Math.min(resyncMs, FORBIDDEN_RETRY_MAX_MS, FORBIDDEN_RETRY_BASE_MS * 2 ** Math.max(0, Math.min(streak - 1, 30)));
}

/** What an attempt of a workload reconcile answers when its write found the object stale. */
const STALE = Symbol('stale');

/** `work`, or `abandon.reason` thrown as soon as `abandon` aborts (the work itself runs on, unobserved). */
function untilAbandoned<T>(work: Promise<T>, abandon: AbortSignal | undefined): Promise<T> {
  if (abandon === undefined) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abandon.reason);
    if (abandon.aborted) onAbort();
    else abandon.addEventListener('abort', onAbort, { once: true });
    // Observed either way, so that a failure after the abort is not an unhandled rejection.
    work.then(
      (value) => {
        abandon.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        abandon.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** Kinds a Knative-less cluster cannot serve. */
const KNATIVE_KIND = 'Service';

/** A policy without `spec.metrics`: every value comes from the static rules, and the status says so. */
const STATIC_ONLY: MetricsBasis = { available: false, reason: 'StaticOnly', message: 'no spec.metrics in the TuningPolicy: values come from the static rules alone' };

/** A target's measured load: its MetricsAvailable condition, and what the recommender gets when metrics were read. */
interface Measured {
  basis: MetricsBasis;
  metrics?: TargetMetrics;
}

/**
 * Each cached policy parsed once: every workload reconcile reads the policies of its namespace, and validating them
 * each time was a few percent of the controller's CPU at 2,000 workloads. Keyed by the cached object, which an update
 * replaces, so a changed policy is parsed again.
 */
const parsedPolicies = new WeakMap<object, ReturnType<typeof parseTuningPolicy>>();

function parsedPolicy(raw: object): ReturnType<typeof parseTuningPolicy> {
  let parsed = parsedPolicies.get(raw);
  if (parsed === undefined) parsedPolicies.set(raw, (parsed = parseTuningPolicy(raw)));
  return parsed;
}

/** The parsed policies of a namespace in order of precedence (policySelection.ts); those that fail to parse are left out. */
function policiesOf(caches: Caches, namespace: string): TuningPolicy[] {
  return caches
    .list('tuningPolicies', namespace)
    .flatMap((raw) => {
      const parsed = parsedPolicy(raw);
      return parsed.ok ? [parsed.policy] : [];
    })
    .sort(byPrecedence);
}

/** `shop/orders`-style name of a policy, the same from every namespace (Overlapping messages, identity). */
function qualifiedName(policy: TuningPolicy): string {
  return `${policy.metadata.namespace ?? ''}/${policy.metadata.name}`;
}

/** What a policy governs: the workloads it is the first to select, and every workload it shares with another policy. */
interface Coverage {
  governed: KubernetesObject[];
  shared: SharedWorkload[];
}

/**
 * What RBAC refuses that a policy's work needs: the kinds the caches may not list or watch (any of them feeds the
 * evaluation), and the writes its recommendations record as Forbidden (`may not patch …`), each with the workloads.
 */
function forbiddenFor(caches: Caches, recommendations: readonly TuningRecommendation[]): string[] {
  const reads = caches.missing().map((m) => describePermission(m.permission));
  const writes = new Map<string, string[]>();
  for (const rec of recommendations) {
    const applied = rec.status?.conditions?.find((c) => c.type === 'Applied');
    if (applied?.reason !== 'Forbidden') continue;
    const permission = applied.message.replace(/^may not /, '');
    writes.set(permission, [...(writes.get(permission) ?? []), `${rec.spec.targetRef.kind} ${rec.spec.targetRef.name}`]);
  }
  return [...reads, ...[...writes].map(([permission, targets]) => `${permission} (${targets.sort().join(', ')} not patched)`)];
}

/** `recommendation` as stored (spec, owner, labels) with `status` instead of its own. */
function withStatus(recommendation: TuningRecommendation, status: TuningRecommendationStatus): TuningRecommendation {
  const { name, namespace, labels, ownerReferences } = recommendation.metadata;
  return { apiVersion: API_VERSION, kind: TUNING_RECOMMENDATION_KIND, metadata: { name, namespace, labels, ownerReferences }, spec: recommendation.spec, status };
}

function labelsOf(obj: KubernetesObject): Record<string, string> {
  return obj.metadata?.labels ?? {};
}

/** Reconciler reconciles one key at a time; see the module comment for the steps. */
export class Reconciler {
  readonly #options: ReconcilerOptions;
  readonly #actuator: Actuator;
  readonly #custom: CustomObjectsApi;
  readonly #manager: string;
  readonly #metrics: MetricsReader;
  readonly #metricsIntervalMs: number;
  readonly #recent: RecentWrites<TuningRecommendation>;
  /** Writes refused (403) in a row, by queue key: the backoff of forbiddenRetryMs. */
  readonly #forbiddenStreak = new Map<string, number>();

  constructor(options: ReconcilerOptions) {
    this.#options = options;
    this.#recent = options.recentWrites ?? new RecentWrites(DEFAULT_RECENT_WRITE_TTL_MS, undefined, cachedRecommendation);
    this.#manager = options.fieldManager ?? FIELD_MANAGER;
    this.#actuator = options.actuator ?? createActuator(options.kubeConfig, { fieldManager: this.#manager, clock: options.now });
    this.#custom = transportFor(options.kubeConfig).api(CustomObjectsApi);
    this.#metricsIntervalMs = options.metricsIntervalMs ?? DEFAULT_METRICS_INTERVAL_MS;
    this.#metrics = new MetricsReader({
      intervalMs: this.#metricsIntervalMs,
      timeoutMs: options.metricsTimeoutMs ?? DEFAULT_METRICS_TIMEOUT_MS,
      now: options.now,
      log: options.log,
      metrics: options.metrics,
      ...(options.prometheusAccess === undefined ? {} : { access: options.prometheusAccess }),
    });
  }

  /**
   * Reconciles the object named by `key`. Throws on failures worth a retry (API errors), TerminalError otherwise.
   * When `abandon` aborts (shutting down), a reconcile that has not written anything yet stops at its next step by
   * throwing `abandon.reason`; one that has begun writing finishes, so no state is left half written.
   */
  async reconcile(key: ObjectKey, abandon?: AbortSignal): Promise<ReconcileOutcome> {
    if (key.kind === 'TuningPolicy') return this.#reconcilePolicy(key, abandon);
    return this.#reconcileWorkload(key as ObjectKey & { kind: 'Service' | 'Deployment' }, abandon);
  }

  /**
   * Reconciles a workload from the cache's copy; when a write finds that the object moved since (stale: 409 or a
   * failed `test`), again from the object read from the API server, up to WRITE_ATTEMPTS times in all, as client-go's
   * RetryOnConflict does. Nothing is written from a stale copy, so each attempt starts clean.
   */
  async #reconcileWorkload(key: ObjectKey & { kind: 'Service' | 'Deployment' }, abandon: AbortSignal | undefined): Promise<ReconcileOutcome> {
    let live: KubernetesObject | undefined = this.#options.caches.get(WORKLOAD_RESOURCE[key.kind], key.namespace, key.name);
    for (let attempt = 1; ; attempt++) {
      if (live === undefined) {
        // Gone (or its kind is not served): its TuningRecommendation goes with it through the owner reference.
        this.#options.onFindings?.(formatKey(key), []);
        this.#forbiddenStreak.delete(formatKey(key));
        return {};
      }
      const outcome = await this.#reconcileLive(key, live, attempt === 1 ? abandon : undefined, attempt >= WRITE_ATTEMPTS);
      if (outcome !== STALE) return outcome;
      live = await this.#readWorkload(key);
    }
  }

  /** One attempt of #reconcileWorkload on `live`; STALE when its first write found the object changed (and may retry). */
  async #reconcileLive(key: ObjectKey & { kind: 'Service' | 'Deployment' }, live: KubernetesObject, abandon: AbortSignal | undefined, lastAttempt: boolean): Promise<ReconcileOutcome | typeof STALE> {
    const { caches, log: rootLog, onFindings } = this.#options;
    const keyText = formatKey(key);
    const log = targetLogger(rootLog, key);
    const now = this.#options.now();
    const recommendationKey = { namespace: key.namespace, name: recommendationName(key) };
    const existing = await untilAbandoned(this.#readRecommendation(recommendationKey.namespace, recommendationKey.name), abandon);
    const selecting = selectingPolicies(this.#candidates(key.namespace), key.kind, labelsOf(live));
    const policy = selecting[0];

    if (policy === undefined || policy.spec.mode === 'Off') {
      onFindings?.(keyText, []);
      if (existing !== undefined) {
        const [reason, message] =
          policy === undefined
            ? (['NotSelected', 'no TuningPolicy of this namespace, nor the cluster default policy (namespace label pytuner.dev/enabled=true), selects the workload; status.previous still lists the values to restore'] as const)
            : (['PolicyOff', `TuningPolicy ${policy.metadata.name} is Off`] as const);
        // unselectedStatus keeps the findings and values, which the cache's copy leaves out: read them (a rare path).
        const full = cachedStatusDigest(existing) === undefined ? existing : await this.#fetchRecommendation(recommendationKey.namespace, recommendationKey.name);
        if (full !== undefined) await this.#writeRecommendation(withStatus(full, unselectedStatus(full.status, reason, message, now)), full, log);
      }
      return {};
    }

    // Evaluate: the report's pipeline on the cached objects around the target: its ServiceAccount and the IAM grants
    // whose members may name its identity (identityIndex.ts), not every grant in the cluster.
    const serviceAccount = serviceAccountOf(live);
    const ksa = caches.get('serviceAccounts', key.namespace, serviceAccount);
    const context = [...(ksa === undefined ? [] : [ksa]), ...this.#options.identities.grantsFor(key.namespace, serviceAccount)];
    let evaluation = evaluateTarget(key, live, context, rulesFor(policy.spec.rules));
    const measured = await untilAbandoned(this.#measure(policy, key.namespace, evaluation), abandon);
    if (measured.metrics !== undefined) evaluation = withMetricsFindings(evaluation, key, measured.metrics);
    const notes: string[] = [];
    if (selecting.length > 1) {
      notes.push(`also selected by ${selecting.slice(1).map((p) => `TuningPolicy ${policyRef(p, key.namespace)}`).join(', ')} (ignored: a workload follows its namespace's oldest selecting policy, then the cluster default: ${policyRef(policy, key.namespace)})`);
    }
    const selection = valuesOf(evaluation.findings, { measuredOnly: policy.spec.metrics !== undefined });
    let values = selection.values;
    if (selection.leftOut.length > 0) {
      const settings = selection.leftOut.map((v) => `${v.setting} ${v.value} (${v.rule})`);
      notes.push(`the policy reads metrics, so measured load alone sets containerConcurrency, threads and workers; not offered from the static rules: ${settings.join(', ')}`);
    }
    if (!caches.feature('configConnector').enabled && values.some((v) => v.setting === 'profilerIamPolicyMember')) {
      values = values.filter((v) => v.setting !== 'profilerIamPolicyMember');
      notes.push('Config Connector is not installed: the profiler role grant is recommended in findings only');
    }
    onFindings?.(keyText, evaluation.findings, { workload: live, values });
    const evaluated = evaluatedStatus(
      existing?.status,
      { findings: evaluation.findings, errors: evaluation.errors, values, metrics: measured.basis, targetGeneration: live.metadata?.generation, notes, bounds: policy.spec.bounds, target: key },
      now,
    );

    // Write the recommendation (created owned by the workload), then plan and apply from what it says. From here on
    // the reconcile writes, so it runs to its end even while shutting down.
    abandon?.throwIfAborted();
    try {
      return await this.#write(key, live, policy, existing, evaluated, lastAttempt, now, log);
    } catch (err) {
      // What was stored is unknown now: the next reconcile of this target reads its recommendation from the API server.
      this.#recent.unsure(recommendationKey.namespace, recommendationKey.name);
      throw err;
    }
  }

  /** The writing part of #reconcileLive: the recommendation, the plan's writes, the recommendation's status. */
// eslint-disable-next-line complexity -- the write path checks ownership, readiness, cooldown and resourceVersion in order, each a one-line guard with its own status reason
  async #write(
    key: ObjectKey & { kind: 'Service' | 'Deployment' },
    live: KubernetesObject,
    policy: TuningPolicy,
    existing: TuningRecommendation | undefined,
    evaluated: TuningRecommendationStatus,
    lastAttempt: boolean,
    now: Date,
    log: Logger,
  ): Promise<ReconcileOutcome | typeof STALE> {
    // Flap detection before the plan: a field another manager set back is held, not written again.
    const drift = detectDrift(evaluated, live as LiveWorkload, now);
    const plan = planActuation({ policy, recommendation: drift.status, live: live as LiveWorkload, now });
    let result = await this.#actuator.execute(plan);
    if (!lastAttempt && result.applied.length === 0 && result.outcomes.some((o) => o.kind === 'failed' && o.retry === 'stale')) {
      log.info({ resourceVersion: live.metadata?.resourceVersion }, 'the workload changed since it was read; planning again on the object as the API server has it now');
      return STALE;
    }
    result = await this.#confirmUnanswered(result, key, log);
    this.#record(plan, result.applied, result.conflicts.length, key.kind, log);
    if (drift.events.length > 0) log.warn({ drift: drift.status.drift }, 'another field manager set back a value pytuner wrote; holding it');
    for (const failure of [...result.eventFailures, ...(await this.#actuator.publish(drift.events))]) {
      this.#options.metrics.errors.inc({ type: 'event' });
      log.warn({ failure }, 'could not publish an Event');
    }
    const policyName = policyRef(policy, key.namespace);
    const final = statusAfterActuation(drift.status, result, policyName, now);
    await this.#writeRecommendation({ ...recommendationObject(live as LiveWorkload, policyName), status: final }, existing, log);
    this.#announceChange(existing?.status?.summary?.recommended, final.summary?.recommended, policy, log);

    const failed = result.outcomes.find((o) => o.kind === 'failed');
    const keyText = formatKey(key);
    if (failed === undefined || failed.kind !== 'failed' || failed.httpStatus !== 403) this.#forbiddenStreak.delete(keyText);
    if (failed !== undefined && failed.kind === 'failed') {
      this.#options.metrics.errors.inc({ type: 'apply' });
      const what = `${failed.write.method} of ${failed.write.target.kind} ${failed.write.target.name} failed: ${failed.message}`;
      // RBAC is fixed by a person: the status says which permission. Look again on a short, growing backoff, so a
      // grant is picked up within seconds without hammering the API server while none comes.
      if (failed.httpStatus === 403) {
        const streak = (this.#forbiddenStreak.get(keyText) ?? 0) + 1;
        this.#forbiddenStreak.set(keyText, streak);
        const retryMs = forbiddenRetryMs(streak, this.#options.resyncMs);
        log.error({ permission: failed.message, retryInMs: retryMs }, 'forbidden: the controller\'s identity may not write this workload');
        return { requeueAfterMs: retryMs };
      }
      if (failed.retry === 'terminal') throw new TerminalError(what);
      throw new Error(what);
    }
    const retry = plan.kind === 'none' ? plan.retryAfterMs : undefined;
    // With metrics, every refresh interval brings new measured load to evaluate.
    const refresh = policy.spec.metrics === undefined ? Number.POSITIVE_INFINITY : this.#metricsIntervalMs;
    return { requeueAfterMs: Math.min(this.#options.resyncMs, retry ?? Number.POSITIVE_INFINITY, refresh) };
  }

  /**
   * One info line per changed recommendation, and no Event. A `TuningRecommended` Event per new or changed
   * recommendation in Recommend mode was a second write for each (0.48 per workload at bench:scale's first pass,
   * one per workload whose measured load moves at each metrics interval): the TuningRecommendation itself is the
   * report, as the VPA's status is (its recommender writes no Events either), and a first install over 20,000
   * workloads would write as many Events as recommendations. Events stay for what changes the workload (Apply mode's
   * TuningApplied, TuningConflict, TuningDrift).
   */
  #announceChange(before: string | undefined, after: string | undefined, policy: TuningPolicy, log: Logger): void {
    if (after === undefined || after === before) return;
    log.info({ from: before ?? null, to: after, policy: policy.metadata.name, mode: policy.spec.mode }, 'recommendation changed');
  }

  /**
   * A write of the workload that got no answer (the connection was cut after the request left) may have landed. The
   * workload is read back: when it holds every value the write carried, the write counts as written, and its
   * TuningApplied Event is published now. Otherwise the failure stands and the retry plans again. Without this a lost
   * answer made the next reconcile patch the same values again from a cache that had not seen them yet, and announce
   * them a second time.
   */
  async #confirmUnanswered(result: ActuationResult, key: ObjectKey & { kind: 'Service' | 'Deployment' }, log: Logger): Promise<ActuationResult> {
    const unanswered = result.outcomes.filter((o) => o.kind === 'failed' && o.httpStatus === undefined && o.write.target.kind === key.kind && o.write.target.name === key.name);
    if (unanswered.length === 0) return result;
    let fresh: KubernetesObject | undefined;
    try {
      fresh = await this.#readWorkload(key);
    } catch (err) {
      log.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not read the workload back after a write without an answer');
      return result;
    }
    const landed = (o: WriteOutcome) => fresh !== undefined && unanswered.includes(o) && o.write.changes.every((c) => fieldValue(fresh as LiveWorkload, c.field) === c.to);
    if (!result.outcomes.some(landed)) return result;
    const generation = fresh?.metadata?.generation;
    const outcomes: WriteOutcome[] = result.outcomes.map((o) => (landed(o) ? (generation === undefined ? { kind: 'written', write: o.write } : { kind: 'written', write: o.write, generation }) : o));
    const confirmed = outcomes.filter((o, i) => o !== result.outcomes[i]).flatMap((o) => o.write.changes);
    log.info({ fields: confirmed.map((c) => c.field) }, 'a write without an answer had landed: recorded as applied');
    const announced = result.plan.events.filter((e) => e.onlyIfWritten).map((e) => ({ ...e, note: confirmed.map(describeChange).join('; ').slice(0, 1024) }));
    const eventFailures = [...result.eventFailures, ...(await this.#actuator.publish(announced))];
    return { ...result, outcomes, applied: [...result.applied, ...confirmed], eventFailures };
  }

  /** The workload as the API server has it now (raw JSON, as the cache holds it); undefined once deleted. */
  async #readWorkload(key: ObjectKey & { kind: 'Service' | 'Deployment' }): Promise<KubernetesObject | undefined> {
    const type = RESOURCES[WORKLOAD_RESOURCE[key.kind]];
    const { status, body } = await getJson(this.#options.kubeConfig, `${collectionPath(type, key.namespace)}/${encodeURIComponent(key.name)}`);
    if (status === 404) return undefined;
    if (status !== 200) throw new KubeRequestError(collectionPath(type, key.namespace), status, statusMessage(body));
    return { ...(body as KubernetesObject), apiVersion: apiVersionOf(type), kind: type.kind };
  }

  /** The target's measured load from its policy's snapshot (collected for all the policy's workloads at once). */
  async #measure(policy: TuningPolicy, namespace: string, evaluation: Evaluation): Promise<Measured> {
    const source = policy.spec.metrics;
    if (source === undefined) return { basis: STATIC_ONLY };
    const target = metricsTargetOf(evaluation);
    if (target === undefined) return { basis: INVALID_WORKLOAD_BASIS };
    const read = await this.#metrics.read({ policy: { namespace: policy.metadata.namespace ?? namespace, name: policy.metadata.name }, source, target, targets: () => metricsTargets(this.#coverage(policy).governed) });
    if ('error' in read) return { basis: invalidSourceBasis(read.error) };
    const { basis, entry } = targetBasis(read.snapshot, target);
    return { basis, metrics: { entry, recommender: recommenderSettings(policy.spec, read.snapshot.window.end), rules: policy.spec.rules } };
  }

  /** True for the cluster default policy (`--default-policy`). */
  #isDefault(policy: TuningPolicy): boolean {
    const wanted = this.#options.defaultPolicy;
    return wanted !== undefined && policy.metadata.namespace === wanted.namespace && policy.metadata.name === wanted.name;
  }

  /** The policies that may govern a workload of `namespace`: its own, and the cluster default when the namespace opted in. */
  #candidates(namespace: string): Candidates {
    const { caches } = this.#options;
    const local = policiesOf(caches, namespace);
    const wanted = this.#options.defaultPolicy;
    if (wanted === undefined || wanted.namespace === namespace) return { local };
    const raw = caches.get('tuningPolicies', wanted.namespace, wanted.name);
    const parsed = raw === undefined ? undefined : parsedPolicy(raw);
    if (parsed?.ok !== true || !optedIn(caches.get('namespaces', '', namespace)?.metadata?.labels)) return { local };
    return { local, fallback: parsed.policy };
  }

  /** The namespaces a policy may govern workloads in: its own, and for the default policy every opted-in namespace. */
  #namespacesOf(policy: TuningPolicy): string[] {
    const own = policy.metadata.namespace ?? '';
    if (!this.#isDefault(policy)) return [own];
    const opted = this.#options.caches.list('namespaces').filter((n) => optedIn(n.metadata?.labels)).map((n) => n.metadata?.name ?? '');
    return [...new Set([own, ...opted])].sort();
  }

  /** The workloads a policy governs (the first policy to select them), and those it shares with other policies. */
  #coverage(policy: TuningPolicy): Coverage {
    const self = qualifiedName(policy);
    const coverage: Coverage = { governed: [], shared: [] };
    const kinds = policy.spec.selector.kinds as Array<'Service' | 'Deployment'>;
    for (const namespace of this.#namespacesOf(policy)) {
      const candidates = this.#candidates(namespace);
      for (const kind of kinds) {
        for (const workload of this.#options.caches.list(WORKLOAD_RESOURCE[kind], namespace)) {
          const selecting = selectingPolicies(candidates, kind, labelsOf(workload)).map(qualifiedName);
          if (!selecting.includes(self)) continue;
          if (selecting[0] === self) coverage.governed.push(workload);
          if (selecting.length > 1) coverage.shared.push({ workload: `${kind} ${namespace}/${workload.metadata?.name ?? ''}`, selecting });
        }
      }
    }
    return coverage;
  }

  /** The TuningRecommendations written under a policy, in every namespace it governs. */
  #recommendationsOf(policy: TuningPolicy): TuningRecommendation[] {
    return this.#namespacesOf(policy).flatMap((namespace) => this.#options.caches.list('tuningRecommendations', namespace).filter((r) => r.spec?.policy === policyRef(policy, namespace)));
  }

  /** A policy's MetricsAvailable: from its snapshot (read again when stale), over every workload it selects. */
  async #policyMetrics(policy: TuningPolicy, namespace: string, workloads: readonly KubernetesObject[]): Promise<MetricsBasis> {
    const source = policy.spec.metrics;
    if (source === undefined) return STATIC_ONLY;
    if (policy.spec.mode === 'Off') return { available: false, reason: 'PolicyOff', message: `TuningPolicy ${policy.metadata.name} is Off: its metrics are not read` };
    const targets = metricsTargets(workloads);
    const read = await this.#metrics.read({ policy: { namespace, name: policy.metadata.name }, source, targets: () => targets });
    return 'error' in read ? invalidSourceBasis(read.error) : policyBasis(read.snapshot, targets);
  }

  /** Logs and counts what the plan did. */
  #record(plan: Plan, applied: readonly PlannedChange[], conflicts: number, kind: string, log: Logger): void {
    const { metrics } = this.#options;
    if (plan.kind === 'apply') {
      for (const change of applied) metrics.patchesApplied.inc({ kind, field: change.setting });
      log.info({ applied: applied.map((c) => ({ field: c.field, from: c.from ?? null, to: c.to, rule: c.rule })), planned: plan.changes.length }, 'applied');
    } else {
      log.debug({ reason: plan.reason, message: plan.message }, 'nothing to apply');
    }
    if (conflicts > 0) {
      metrics.conflicts.inc({ kind }, conflicts);
      log.warn({ conflicts: plan.conflicts }, 'a field pytuner would change is managed by another field manager');
    }
  }

  /**
   * The target's TuningRecommendation: from the cache (no request), unless this controller wrote a newer version the
   * cache has not seen yet (that version then), or the cache cannot answer (not synced, refused by RBAC, a write of
   * unknown outcome, a write it has not confirmed in time: the API server then). Its status is the controller's own
   * memory of what it applied and when (the cooldown): a reconcile right after a patch that read a lagging cache
   * could find no `applied` record yet and patch again, which recentWrites.ts rules out.
   */
  async #readRecommendation(namespace: string, name: string): Promise<TuningRecommendation | undefined> {
    const { caches } = this.#options;
    if (caches.answers('tuningRecommendations')) {
      const read = this.#recent.read(namespace, name, caches.get('tuningRecommendations', namespace, name));
      if (read.from !== 'server') return read.object;
    }
    return this.#fetchRecommendation(namespace, name);
  }

  /** Keeps `recommendation` (as the API server answered) to read until the cache has caught up with it. */
  #remember(recommendation: TuningRecommendation): void {
    const { namespace = '', name } = recommendation.metadata;
    this.#recent.remember(recommendation, this.#options.caches.get('tuningRecommendations', namespace, name));
  }

  /** The TuningRecommendation as the API server has it now, remembered as newer than the cache until it catches up. */
  async #fetchRecommendation(namespace: string, name: string): Promise<TuningRecommendation | undefined> {
    try {
      const fetched = (await this.#custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: TUNING_RECOMMENDATION_PLURAL, name })) as TuningRecommendation;
      this.#remember(fetched);
      return fetched;
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return undefined;
      throw err;
    }
  }

  /**
   * Writes the recommendation, content and all, in one request (the CRD has no status subresource) when it differs
   * from the stored one: its status compared whole with a status read from the API server, by digest with the cache's
   * slim copy (shardCache.ts), so a resync that changes nothing writes nothing. When only the object around the status
   * changed (a new policy label, owner) and the cache's copy lacks the findings, the write carries the full status.
   */
  async #writeRecommendation(recommendation: TuningRecommendation, existing: TuningRecommendation | undefined, log: Logger): Promise<void> {
    const status = recommendation.status ?? {};
    if (existing !== undefined) {
      const digest = cachedStatusDigest(existing);
      const sameContent = digest === undefined ? sameStatus(existing.status, status) : digest === statusDigest(status);
      if (sameContent && sameRecommendation(existing, recommendation)) return;
    }
    try {
      // `existing` (maybe the cache's slim copy) says whether to create or patch; its content was compared above.
      const write = await this.#actuator.writeRecommendation(recommendation, existing);
      if (write.written) this.#remember(write.recommendation);
      log.debug({ recommendation: recommendation.metadata.name }, 'recommendation written');
    } catch (err) {
      this.#options.metrics.errors.inc({ type: 'status_write' });
      throw err;
    }
  }

  async #reconcilePolicy(key: ObjectKey, abandon?: AbortSignal): Promise<ReconcileOutcome> {
    const { caches } = this.#options;
    // The status is pytuner's own write (policyStatus), read back as written.
    const raw = caches.get('tuningPolicies', key.namespace, key.name) as (TuningPolicyProjection & { status?: TuningPolicyStatus }) | undefined;
    if (raw === undefined) return {};
    const log = targetLogger(this.#options.log, key);
    const now = this.#options.now();
    const parsed = parseTuningPolicy(raw);
    const generation = raw.metadata?.generation;
    if (!parsed.ok) {
      this.#options.metrics.errors.inc({ type: 'invalid_policy' });
      log.warn({ errors: parsed.errors }, 'invalid TuningPolicy: its workloads are not tuned until it is fixed');
      const status = policyStatus(raw.status, { generation, invalid: parsed.errors, targets: 0, recommendations: 0, applied: 0, conflicts: 0, unavailable: [], blocked: false, metrics: { available: false, reason: 'InvalidSpec', message: 'the policy is invalid' } }, now);
      await this.#writePolicyStatus(key, raw.status, status);
      return {};
    }
    const policy = parsed.policy;
    const kinds = policy.spec.selector.kinds as Array<'Service' | 'Deployment'>;
    const knative = caches.feature('knative');
    const unavailable = kinds.includes(KNATIVE_KIND) && !knative.enabled ? [`Knative Services are not watched: ${knative.reason}`] : [];
    const coverage = this.#coverage(policy);
    const targets = coverage.governed;
    const metrics = await untilAbandoned(this.#policyMetrics(policy, key.namespace, targets), abandon);
    const recs = this.#recommendationsOf(policy);
    const forbidden = forbiddenFor(caches, recs);
    const status = policyStatus(
      raw.status,
      {
        generation,
        targets: targets.length,
        recommendations: recs.filter((r) => (r.status?.summary?.findings ?? 0) > 0).length,
        applied: recs.filter((r) => r.status?.applied?.policy === r.spec?.policy).length,
        conflicts: recs.filter((r) => (r.status?.conflicts?.length ?? 0) > 0).length,
        unavailable,
        blocked: unavailable.length > 0 && kinds.every((k) => k === KNATIVE_KIND),
        metrics,
        forbidden,
        overlapping: overlappingCondition(qualifiedName(policy), coverage.shared),
      },
      now,
    );
    await this.#writePolicyStatus(key, raw.status, status);
    // Its MetricsAvailable follows Prometheus: look again after each refresh interval.
    return policy.spec.metrics === undefined || policy.spec.mode === 'Off' ? {} : { requeueAfterMs: this.#metricsIntervalMs };
  }

  /** Server-side applies the whole status of a TuningPolicy (pytuner's own field, forced), only when it changed. */
  async #writePolicyStatus(key: ObjectKey, current: TuningPolicyStatus | undefined, status: TuningPolicyStatus): Promise<void> {
    if (sameStatus(current, status)) return;
    try {
      await this.#custom.patchNamespacedCustomObjectStatus(
        {
          group: GROUP,
          version: VERSION,
          namespace: key.namespace,
          plural: TUNING_POLICY_PLURAL,
          name: key.name,
          body: { apiVersion: API_VERSION, kind: TUNING_POLICY_KIND, metadata: { name: key.name, namespace: key.namespace }, status },
          fieldManager: this.#manager,
          force: true,
        },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      );
    } catch (err) {
      this.#options.metrics.errors.inc({ type: 'status_write' });
      throw err;
    }
  }
}
