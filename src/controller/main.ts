/**
 * @module Wiring of the controller: caches (informers.ts) feed keys into the work queue (workqueue.ts, keys.ts);
 * workers take keys and call the reconciler (reconciler.ts) only while this replica leads (leader.ts); the
 * operations endpoint (server.ts) exposes health, readiness and metrics. Shutdown is graceful: stop taking keys,
 * let in-flight reconciles finish (bounded), release the Lease, stop the watches.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Caches, describeError, describePermission, type CacheVerb, type FeatureState, type Feature, type RestartBackoff, type ResourceName } from './informers.ts';
import { IdentityIndex } from './identityIndex.ts';
import { allWorkloadKeys, formatKey, GenerationTracker, keysForEvent, parseKey } from './keys.ts';
import { DEFAULT_LEASE_TIMING, LeaderElector, type LeaseTiming } from './leader.ts';
import { processClock, targetLogger } from './log.ts';
import { addProcessMetrics, createMetrics, type ControllerMetrics, type RecommendationSample, type ReconcileResult } from './metrics.ts';
import type { ReportApi } from '../config/controller.ts';
import type { PolicyReportWriter } from './policyReportWriter.ts';
import type { Reconciler, TerminalError } from './reconciler.ts';
import type { PrometheusAccess } from './metricsReader.ts';
import { startOperationsServer, type OperationsServer } from './server.ts';
import { DEFAULT_RECENT_WRITE_TTL_MS, RecentWrites } from './recentWrites.ts';
import { ownsNamespace, shardLabel, SINGLE_SHARD, type ShardConfig } from './shard.ts';
import { cachedForm, cachedRecommendation } from './shardCache.ts';
import type { RecommendedValue, TuningRecommendation } from '../api/v1alpha1/tuningRecommendation.ts';
import type { Finding } from '../model/finding.ts';
import { CONTROLLER_DEFAULTS as D } from '../config/controller.ts';

// For `pytuner controller` (src/cli/controller.ts), which loads this module alone when the command runs: re-exported
// rather than imported there on their own, so the bundle keeps them in the chunk loaded before ready.
export { shardLabel, shardLeaseName, shardProblem } from './shard.ts';
// Named, not the package's namespace: the bundle then loads client-node's kubeconfig code before ready and its API
// clients and model classes (the reconciler's, the actuator's) only after (scripts/bundle.ts).
export { KubeConfig } from '@kubernetes/client-node';
import { WorkQueue, type RateLimits } from './workqueue.ts';

/** Leader election settings; absent: this replica always runs (a single replica, or a test). */
export interface LeaderElectionConfig {
  namespace: string;
  name: string;
  /** Default: `<hostname>_<random>`, unique per process as client-go recommends. */
  identity?: string;
  timing?: Partial<LeaseTiming>;
}

/** Everything the controller runs with. */
export interface ControllerConfig {
  kubeConfig: KubeConfig;
  /** Watch and tune this namespace only; all namespaces when undefined. */
  namespace?: string;
  /** Tune only the namespaces this shard owns (shard.ts); others' events are dropped before the queue. Default: all. */
  shard?: ShardConfig;
  /** Operations endpoint port; 0 picks a free one. */
  metricsPort: number;
  metricsHost?: string;
  leaderElection?: LeaderElectionConfig;
  /** How often every target is re-evaluated without any change (informer resync). */
  resyncMs: number;
  /** Reconciles run at once (different keys). Defaults of this and the other optional settings: src/config/controller.ts. */
  workers?: number;
  /** How long shutdown waits for in-flight reconciles. */
  shutdownTimeoutMs?: number;
  discoveryIntervalMs?: number;
  informerBackoff?: RestartBackoff;
  rateLimits?: Partial<RateLimits>;
  /** Register prom-client's process metrics once the caches have synced (the binary does; in-process tests do not). */
  processMetrics?: boolean;
  log: Logger;
  /** The clock reconciles read (cooldowns, condition times); default the system clock. */
  now?: () => Date;
  /** How long a policy's metrics are used before Prometheus is read again. */
  metricsIntervalMs?: number;
  /** Per request to Prometheus. */
  metricsTimeoutMs?: number;
  /** Also write the findings as one policy report per namespace (policyReportWriter.ts); absent: none written. */
  policyReports?: { api: ReportApi; flushDelayMs?: number };
  /** The controller's credentials for one Prometheus (sent to that Prometheus only). */
  prometheusAccess?: PrometheusAccess;
  /**
   * The cluster default policy (`--default-policy`): a TuningPolicy that also governs the workloads of every namespace
   * labelled `pytuner.dev/enabled=true` that no policy of their own selects (policySelection.ts). Needs list/watch on
   * Namespaces, so it is for a controller watching every namespace.
   */
  defaultPolicy?: { namespace: string; name: string };
}

/**
 * What the gauges need of the last evaluation of a workload (kept while it has findings): the rule of each finding and
 * the numbers recommended. Not the findings themselves (messages, evidence with PromQL, fixes) nor the workload: kept
 * for every workload they were 12.8 KB each, the largest part of the heap at 1,000 workloads (bench:scale's heap
 * snapshot, 2026-12-07); the policy reports keep their own copy when they are written.
 */
interface WorkloadState {
  rules: readonly string[];
  samples: ReadonlyArray<Omit<RecommendationSample, 'namespace' | 'workload' | 'kind'>>;
}

/** A started controller. */
export interface RunningController {
  /** The port of the operations endpoint. */
  port: number;
  metrics: ControllerMetrics;
  caches: Caches;
  /** The identity it campaigns with (leader election only). */
  identity: string | undefined;
  /** True while this replica runs its workers (leads, or runs without leader election). */
  running(): boolean;
  /** Graceful stop; resolves when done. Safe to call more than once. */
  stop(): Promise<void>;
  /** Resolves when the policy reports hold every finding recorded so far; at once when none are written. */
  reportsWritten(): Promise<void>;
  /** Resolves when the controller has stopped (by `stop()` or a fatal error, given as the value). */
  stopped: Promise<Error | undefined>;
}

/** A worker generation: the workers started on becoming leader, stopped together. */
interface Workers {
  /** Stops taking keys. */
  abort: AbortController;
  /** Passed to every reconcile: a reconcile that has not written yet stops at its next step (see stopWorkers). */
  abandon: AbortController;
  done: Promise<void>;
  inFlight: Set<Promise<void>>;
}

/**
 * After the shutdown timeout, how long reconciles that already began writing get to finish (one write, its status and
 * Event: each a request answered in milliseconds). Past it the Lease is kept, not released (see stopWorkers).
 */
const ABANDON_GRACE_MS = 5_000;
/** How long the shutdown waits for the caches' list and watch requests to end after their abort. */
const CACHE_STOP_GRACE_MS = 5_000;

/**
 * startController starts everything and resolves once the operations endpoint listens and the caches have started
 * (it does not wait for them to sync: /readyz says when). It rejects when start-up fails (unreachable API server,
 * pytuner's CRDs not installed), after cleaning up.
 */
export async function startController(config: ControllerConfig): Promise<RunningController> {
  const manager = new ControllerManager(config);
  await manager.start();
  return manager;
}

/**
 * The parts of a running controller and their life cycle, as controller-runtime's manager: the caches feed keys into
 * the queue (`enqueue`), `campaign` leads (or waits to) and runs the workers while leading, each worker takes keys
 * and `processKey`s them, and `stop` shuts down in the reverse order.
 */
class ControllerManager implements RunningController {
  readonly metrics: ControllerMetrics;
  readonly caches: Caches;
  readonly stopped: Promise<Error | undefined>;
  readonly #config: ControllerConfig;
  readonly #log: Logger;
  readonly #queue: WorkQueue<string>;
  readonly #shard: ShardConfig;
  readonly #elector: LeaderElector | undefined;
  readonly #findingsByKey = new Map<string, WorkloadState>();
  #reports: PolicyReportWriter | undefined;
  readonly #policyGenerations = new GenerationTracker();
  // Which IAM grants may concern which workloads (fed by the cache events, read by the reconciler).
  readonly #identities = new IdentityIndex();
  // The reconciler's own recommendation writes until the cache has them (it reads recommendations from the cache).
  readonly #recentWrites = new RecentWrites<TuningRecommendation>(DEFAULT_RECENT_WRITE_TTL_MS, undefined, cachedRecommendation);
  // The reconciler and what it imports (the rules, the policies' zod schemas, the actuator's API clients, the
  // Prometheus client) load when this replica starts its workers (loadReconciler): none of it is needed to become
  // ready, and at a tenth of a CPU each millisecond of loading is ten of start-up (bench/startup.ts).
  #reconciler: Reconciler | undefined;
  #terminalError: typeof TerminalError | undefined;
  #workers: Workers | undefined;
  #stopping = false;
  #fatal: Error | undefined;
  #server: OperationsServer | undefined;
  // Caches.synced is true of an empty set of informers, which is what there is until discovery has run in start().
  #cachesStarted = false;
  #stopPromise: Promise<void> | undefined;
  #resolveStopped!: (err: Error | undefined) => void;

  constructor(config: ControllerConfig) {
    this.#config = config;
    this.#log = config.log;
    this.#queue = new WorkQueue<string>(config.rateLimits);
    this.metrics = createMetrics({
      queueDepth: () => this.#queue.core.depth(),
      findingsByRule: () => countRules(this.#findingsByKey),
      recommendations: () => recommendationSamples(this.#findingsByKey),
    });
    this.#shard = config.shard ?? SINGLE_SHARD;
    this.caches = this.#createCaches();
    this.#elector = this.#createElector();
    this.stopped = new Promise<Error | undefined>((resolve) => (this.#resolveStopped = resolve));
  }

  /** The port of the operations endpoint (after start). */
  get port(): number {
    return this.#server?.port ?? 0;
  }

  /** The identity it campaigns with (leader election only). */
  get identity(): string | undefined {
    return this.#elector?.identity;
  }

  // Arrow functions: a caller may pass them on unbound (`afterAll(controller.stop)`), as it could the closures they replace.
  readonly running = (): boolean => this.#workers !== undefined;

  /** Starts the operations endpoint and the caches, then campaigns in the background. */
  async start(): Promise<void> {
    try {
      this.#server = await startOperationsServer({
        port: this.#config.metricsPort,
        ...(this.#config.metricsHost === undefined ? {} : { host: this.#config.metricsHost }),
        registry: this.metrics.registry,
        readiness: [
          { name: 'caches', check: () => (this.#cachesStarted ? { ok: this.caches.synced, detail: cachesDetail(this.caches) } : { ok: false, detail: 'discovering which kinds are served' }) },
          { name: 'controller', check: () => ({ ok: !this.#stopping, detail: this.#controllerDetail() }) },
        ],
      });
      await this.caches.start();
      this.#cachesStarted = true;
    } catch (err) {
      await this.caches.stop();
      await this.#server?.close();
      throw err;
    }
    const { namespace, leaderElection } = this.#config;
    this.#log.info({ port: this.port, namespace: namespace ?? '(all)', shard: shardLabel(this.#shard), leaderElection: leaderElection !== undefined, ...processClock() }, 'controller started');
    this.#campaign().catch(async (err: unknown) => {
      this.#log.error({ err: describeError(err) }, 'controller loop failed');
      this.#fatal = err instanceof Error ? err : new Error(String(err));
      await this.stop();
    });
  }

  /** Graceful stop; resolves when done. Safe to call more than once. */
  readonly stop = (): Promise<void> => {
    this.#stopPromise ??= this.#shutDown();
    return this.#stopPromise;
  };

  #createCaches(): Caches {
    const enqueueAll = (keys: Iterable<string>): void => {
      for (const key of keys) this.#enqueue(key);
    };
    return new Caches({
      kubeConfig: this.#config.kubeConfig,
      ...(this.#config.namespace === undefined ? {} : { namespace: this.#config.namespace }),
      log: this.#log,
      // Only this shard's namespaces, and of each object only what the controller reads (shardCache.ts).
      // The default policy is read by every shard: each governs the opted-in namespaces it owns.
      transform: (resource, obj) => cachedForm(resource === 'tuningPolicies' && this.#isDefaultPolicy(obj) ? SINGLE_SHARD : this.#shard, resource, obj),
      ...(this.#config.defaultPolicy === undefined ? {} : { optional: new Set<ResourceName>(['namespaces']) }),
      discoveryIntervalMs: this.#config.discoveryIntervalMs ?? D.discoveryIntervalMs,
      ...(this.#config.informerBackoff === undefined ? {} : { backoff: this.#config.informerBackoff }),
      onEvent: (resource: ResourceName, verb: CacheVerb, obj: KubernetesObject) => {
        if (resource === 'tuningRecommendations') this.#recentWrites.observed(verb === 'delete', obj);
        enqueueAll(keysForEvent(this.caches, resource, verb, obj, this.#policyGenerations, this.#identities, this.#defaultPolicyKey()));
      },
      onError: () => this.metrics.errors.inc({ type: 'watch' }),
      onDiscoveryError: () => this.metrics.errors.inc({ type: 'discovery' }),
      onAccessChange: (resource: ResourceName) => {
        // Policies name what the controller may not read in their Permitted condition; workloads may now be visible.
        this.#log.info({ resource }, 'access changed: re-evaluating every policy and workload');
        enqueueAll([...allPolicyKeys(this.caches), ...allWorkloadKeys(this.caches)]);
      },
      onFeatureChange: (feature: Feature, state: FeatureState) => {
        this.#log.info({ feature, enabled: state.enabled }, 'features changed: re-evaluating every workload');
        enqueueAll(allWorkloadKeys(this.caches));
      },
    });
  }

  #isDefaultPolicy(obj: KubernetesObject): boolean {
    const wanted = this.#config.defaultPolicy;
    return wanted !== undefined && obj.metadata?.namespace === wanted.namespace && obj.metadata.name === wanted.name;
  }

  #defaultPolicyKey(): string | undefined {
    const wanted = this.#config.defaultPolicy;
    return wanted === undefined ? undefined : formatKey({ kind: 'TuningPolicy', ...wanted });
  }

  #createElector(): LeaderElector | undefined {
    const election = this.#config.leaderElection;
    if (election === undefined) return undefined;
    return new LeaderElector({
      kubeConfig: this.#config.kubeConfig,
      namespace: election.namespace,
      name: election.name,
      identity: election.identity ?? `${hostname()}_${randomBytes(6).toString('hex')}`,
      timing: { ...DEFAULT_LEASE_TIMING, ...election.timing },
      log: this.#log,
      onError: () => this.metrics.errors.inc({ type: 'leader_election' }),
    });
  }

  /** Another shard's keys never reach the queue: this replica neither reads their recommendations nor writes them. */
  #enqueue(key: string): void {
    if (ownsNamespace(this.#shard, parseKey(key).namespace)) this.#queue.add(key);
  }

  #controllerDetail(): string {
    if (this.#stopping) return 'shutting down';
    if (this.#elector === undefined) return 'running (no leader election)';
    return this.#elector.leading ? `leading as ${this.#elector.identity}` : `standing by as ${this.#elector.identity}`;
  }

  /** Leads (or waits to), runs the workers while leading, and starts over if leadership is lost. */
  async #campaign(): Promise<void> {
    await this.caches.whenSynced();
    if (this.#stopping) return;
    // /readyz passes from here on (its checks read the same state).
    this.#log.info(processClock(), 'caches synced: ready');
    // After ready, and after the I/O already waiting (a readiness probe): nothing needs them before.
    if (this.#config.processMetrics === true) setImmediate(() => addProcessMetrics(this.metrics.registry));
    const elector = this.#elector;
    if (elector === undefined) {
      await this.#loadReconciler();
      if (!this.#stopping) this.#workers = this.#startWorkers();
      return;
    }
    while (!this.#stopping) {
      if (!(await elector.acquire())) return;
      if (this.#stopping) {
        // acquire() was under way when stop() released: give the Lease back now, or a successor waits a lease duration.
        await elector.release();
        return;
      }
      await this.#loadReconciler();
      if (this.#stopping) return;
      // Loading the reconciler blocked the event loop for 3.5 s on a busy machine (no renewal meanwhile), longer than a
      // 3 s lease: a standby may hold the Lease now, so renew it before any worker writes, or campaign again.
      if (!(await elector.confirm())) continue;
      if (this.#stopping) return;
      this.#workers = this.#startWorkers();
      await elector.holdUntilLost();
      if (this.#stopping) return;
      // Lost the Lease: another replica may be writing now, so no new reconcile starts here.
      await this.#stopWorkers(this.#shutdownTimeoutMs());
    }
  }

  /** Loads the reconciler (once): a standby replica never does, so it stays small until it leads. */
  async #loadReconciler(): Promise<void> {
    if (this.#reconciler !== undefined) return;
    const { Reconciler: ReconcilerClass, TerminalError: terminalError } = await import('./reconciler.ts');
    const config = this.#config;
    this.#reconciler = new ReconcilerClass({
      kubeConfig: config.kubeConfig,
      caches: this.caches,
      log: this.#log,
      metrics: this.metrics,
      resyncMs: config.resyncMs,
      now: config.now ?? (() => new Date()),
      ...(config.metricsIntervalMs === undefined ? {} : { metricsIntervalMs: config.metricsIntervalMs }),
      ...(config.metricsTimeoutMs === undefined ? {} : { metricsTimeoutMs: config.metricsTimeoutMs }),
      ...(config.prometheusAccess === undefined ? {} : { prometheusAccess: config.prometheusAccess }),
      ...(config.defaultPolicy === undefined ? {} : { defaultPolicy: config.defaultPolicy }),
      onFindings: (key, findings, evaluated) => this.#recordFindings(key, findings, evaluated),
      recentWrites: this.#recentWrites,
      identities: this.#identities,
    });
    this.#terminalError = terminalError;
    if (config.policyReports !== undefined) {
      const { PolicyReportWriter: WriterClass } = await import('./policyReportWriter.ts');
      this.#reports = new WriterClass({
        kubeConfig: config.kubeConfig,
        api: config.policyReports.api,
        log: this.#log,
        ...(config.namespace === undefined ? {} : { namespace: config.namespace }),
        ...(config.policyReports.flushDelayMs === undefined ? {} : { flushDelayMs: config.policyReports.flushDelayMs }),
        onError: () => this.metrics.errors.inc({ type: 'policy_report' }),
        onWrite: (operation) => this.metrics.policyReportWrites.inc({ operation }),
      });
    }
  }

  #recordFindings(key: string, findings: readonly Finding[], evaluated: { workload: KubernetesObject; values: readonly RecommendedValue[] } | undefined): void {
    const { namespace, kind, name } = parseKey(key);
    if (findings.length === 0 || evaluated === undefined) {
      this.#findingsByKey.delete(key);
      this.#reports?.update(key, namespace, undefined);
      return;
    }
    this.#findingsByKey.set(key, { rules: findings.map((f) => f.rule), samples: gaugeSamples(evaluated.values) });
    const { workload } = evaluated;
    const resource = { apiVersion: WORKLOAD_API_VERSIONS[kind as keyof typeof WORKLOAD_API_VERSIONS], kind, namespace, name, uid: workload.metadata?.uid ?? '' };
    this.#reports?.update(key, namespace, { resource, findings });
  }

  /** Resolves when the policy reports hold every finding recorded so far (tests); at once when none are written. */
  async reportsWritten(): Promise<void> {
    await this.#reports?.idle();
  }

  #startWorkers(): Workers {
    const abort = new AbortController();
    const abandon = new AbortController();
    const inFlight = new Set<Promise<void>>();
    const loop = async () => {
      for (;;) {
        const key = await this.#queue.get(abort.signal);
        if (key === undefined) return;
        const work = this.#processKey(key, abandon.signal);
        inFlight.add(work);
        await work;
        inFlight.delete(work);
      }
    };
    const count = Math.max(1, this.#config.workers ?? D.workers);
    this.metrics.leader.set(1);
    this.#reports?.start().catch((err: unknown) => this.#log.error({ err: describeError(err) }, 'policy reports could not start'));
    this.#log.info({ workers: count }, 'workers started');
    return { abort, abandon, inFlight, done: Promise.all(Array.from({ length: count }, loop)).then(() => undefined) };
  }

  async #processKey(key: string, abandon: AbortSignal): Promise<void> {
    const started = performance.now();
    const target = parseKey(key);
    let result: ReconcileResult | undefined = 'success';
    try {
      // Set by campaign() before any worker starts.
      const outcome = await this.#reconciler!.reconcile(target, abandon);
      this.#queue.forget(key);
      if (outcome.requeueAfterMs !== undefined) {
        this.#queue.addAfter(key, outcome.requeueAfterMs);
        result = 'requeue';
      }
    } catch (err) {
      result = this.#failed(key, err, abandon);
    } finally {
      this.#queue.done(key);
      if (result !== undefined) {
        this.metrics.reconciles.inc({ result });
        this.metrics.reconcileDuration.observe({ result }, (performance.now() - started) / 1000);
      }
    }
  }

  /** Logs, counts and requeues (or not) a failed reconcile; undefined when it was abandoned at shutdown. */
  #failed(key: string, err: unknown, abandon: AbortSignal): ReconcileResult | undefined {
    const targetLog = targetLogger(this.#log, parseKey(key));
    if (abandon.aborted && err === abandon.reason) {
      // Shutting down: nothing was written, so nothing is half done; the next leader reconciles the key afresh.
      targetLog.info('reconcile abandoned before it wrote anything: shutting down');
      return undefined;
    }
    this.metrics.errors.inc({ type: 'reconcile' });
    if (this.#terminalError !== undefined && err instanceof this.#terminalError) {
      this.#queue.forget(key);
      targetLog.error({ err: err.message }, 'reconcile failed and will not be retried until the object changes');
      return 'terminal_error';
    }
    const delayMs = this.#queue.addRateLimited(key);
    targetLog.warn({ err: describeError(err), retryInMs: delayMs }, 'reconcile failed; retrying');
    return 'error';
  }

  /**
   * Stops taking keys and lets in-flight reconciles finish for `timeoutMs`; then abandons those that have not written
   * yet (they stop at their next step) and gives those already writing ABANDON_GRACE_MS more. Resolves true when no
   * reconcile is left; false when one may still be writing, and then the Lease must not be handed over: another
   * replica could act on what that write is about to change.
   */
  async #stopWorkers(timeoutMs: number): Promise<boolean> {
    const current = this.#workers;
    this.#workers = undefined;
    this.metrics.leader.set(0);
    await this.#reports?.stop();
    if (current === undefined) return true;
    current.abort.abort();
    if (!(await timedOut(current.done, timeoutMs))) {
      this.#log.info('workers stopped');
      return true;
    }
    this.#log.warn({ inFlight: current.inFlight.size, timeoutMs }, 'in-flight reconciles did not finish in time; abandoning those that have not written yet');
    current.abandon.abort(new Error('shutting down'));
    if (await timedOut(current.done, ABANDON_GRACE_MS)) {
      this.#log.error({ inFlight: current.inFlight.size, graceMs: ABANDON_GRACE_MS }, 'a reconcile is still writing; stopping without it');
      return false;
    }
    this.#log.info('workers stopped');
    return true;
  }

  async #shutDown(): Promise<void> {
    this.#stopping = true;
    this.#log.info('shutting down: no new reconciles; waiting for in-flight ones');
    this.#elector?.stop();
    this.#queue.shutDown();
    const settled = await this.#stopWorkers(this.#shutdownTimeoutMs());
    // A write may still be in flight: keep the Lease, which then expires a lease duration after its last renewal.
    if (settled) await this.#elector?.release();
    else if (this.#elector !== undefined) this.#log.warn('the Lease is not released: a write may still be in flight; another replica takes over when it expires');
    // A watch stream that does not end on its abort must not hold the shutdown past the pod's grace period.
    if (await timedOut(this.caches.stop(), CACHE_STOP_GRACE_MS)) this.#log.warn({ graceMs: CACHE_STOP_GRACE_MS }, 'a watch did not stop in time; stopping without it');
    await this.#server?.close();
    this.#log.info('stopped');
    this.#resolveStopped(this.#fatal);
  }

  #shutdownTimeoutMs(): number {
    return this.#config.shutdownTimeoutMs ?? D.shutdownTimeoutMs;
  }
}

/** The API versions of the workload kinds the controller tunes (their cached copies may not carry apiVersion). */
const WORKLOAD_API_VERSIONS = { Service: 'serving.knative.dev/v1', Deployment: 'apps/v1' } as const;

function countRules(findingsByKey: ReadonlyMap<string, WorkloadState>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { rules } of findingsByKey.values()) for (const rule of rules) counts.set(rule, (counts.get(rule) ?? 0) + 1);
  return counts;
}

/** The numeric values of `values` as the recommendation gauges label them. */
function gaugeSamples(values: readonly RecommendedValue[]): WorkloadState['samples'] {
  return values.flatMap((v) => {
    if (v.value === undefined) return [];
    const sample: WorkloadState['samples'][number] = { setting: v.setting, container: v.container ?? '', recommended: v.value, confidence: v.confidence };
    return [v.current === undefined ? sample : { ...sample, current: v.current }];
  });
}

/** The numeric values recommended for every workload with findings (the recommendation gauges). */
function* recommendationSamples(findingsByKey: ReadonlyMap<string, WorkloadState>): Generator<RecommendationSample> {
  for (const [key, { samples }] of findingsByKey) {
    const { namespace, name, kind } = parseKey(key);
    for (const sample of samples) yield { namespace, workload: name, kind, ...sample };
  }
}

function cachesDetail(caches: Caches): string {
  const features = Object.entries(caches.features())
    .map(([name, state]) => `${name}=${state.enabled ? 'on' : 'off'}`)
    .join(' ');
  const forbidden = caches.missing().map((m) => `; may not ${describePermission(m.permission)}`).join('');
  return `${caches.synced ? 'synced' : 'not synced yet'} (${features})${forbidden}`;
}

/** True when `work` has not settled within `ms`. */
async function timedOut(work: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([work.then(() => false), delay(ms).then(() => true)]);
}

/** Every cached TuningPolicy, as keys. */
function allPolicyKeys(caches: Caches): string[] {
  return caches.list('tuningPolicies').map((p) => formatKey({ kind: 'TuningPolicy', namespace: p.metadata?.namespace ?? '', name: p.metadata?.name ?? '' }));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
