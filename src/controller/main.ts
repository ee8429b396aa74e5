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
import { allWorkloadKeys, formatKey, GenerationTracker, keysForEvent, parseKey } from './keys.ts';
import { DEFAULT_LEASE_TIMING, LeaderElector, type LeaseTiming } from './leader.ts';
import { targetLogger } from './log.ts';
import { createMetrics, type ControllerMetrics, type ReconcileResult } from './metrics.ts';
import type { Reconciler, TerminalError } from './reconciler.ts';
import { startOperationsServer, type OperationsServer } from './server.ts';
import { RecentWrites } from './recentWrites.ts';
import { ownsNamespace, shardLabel, SINGLE_SHARD, type ShardConfig } from './shard.ts';
import { cachedForm } from './shardCache.ts';
import type { TuningRecommendation } from '../api/v1alpha1/tuningRecommendation.ts';

// For `pytuner controller` (src/cli/controller.ts), which loads this module alone when the command runs: re-exported
// rather than imported there on their own, so the bundle keeps them in the chunk loaded before ready.
export { reuseConnections } from './connections.ts';
export { shardLabel, shardLeaseName, shardProblem } from './shard.ts';
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
  /** Reconciles run at once (different keys). Default 16 (DEFAULT_WORKERS). */
  workers?: number;
  /** How long shutdown waits for in-flight reconciles. Default 20 s (under the 30 s default terminationGracePeriodSeconds). */
  shutdownTimeoutMs?: number;
  discoveryIntervalMs?: number;
  informerBackoff?: RestartBackoff;
  rateLimits?: Partial<RateLimits>;
  /** Register prom-client's process metrics (the binary does; in-process tests do not). */
  processMetrics?: boolean;
  log: Logger;
  /** The clock reconciles read (cooldowns, condition times); default the system clock. */
  now?: () => Date;
  /** How long a policy's metrics are used before Prometheus is read again; default 5 min. */
  metricsIntervalMs?: number;
  /** Per request to Prometheus; default 10 s. */
  metricsTimeoutMs?: number;
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
 * Default number of concurrent reconciles. A reconcile mostly waits for its two writes to the API server (bench:scale
 * CPU profile, 2,000 workloads: the controller idle a third of the time at 8 workers, the API server using twice its
 * CPU). bench:scale on 2 vCPU, 2,000 workloads, 2026-11-23: 2 workers 83/s, 8 94–104/s, 16 115–119/s, 32 112/s.
 * `pytuner controller --workers` and the chart's controller.workers default to it.
 */
const DEFAULT_WORKERS = 16;
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 20_000;
/**
 * After the shutdown timeout, how long reconciles that already began writing get to finish (one write, its status and
 * Event: each a request answered in milliseconds). Past it the Lease is kept, not released (see stopWorkers).
 */
const ABANDON_GRACE_MS = 5_000;

/**
 * startController starts everything and resolves once the operations endpoint listens and the caches have started
 * (it does not wait for them to sync: /readyz says when). It rejects when start-up fails (unreachable API server,
 * pytuner's CRDs not installed), after cleaning up.
 */
export async function startController(config: ControllerConfig): Promise<RunningController> {
  const log = config.log;
  const queue = new WorkQueue<string>(config.rateLimits);
  const findingsByKey = new Map<string, string[]>();
  const metrics = createMetrics(
    {
      queueDepth: () => queue.core.depth(),
      findingsByRule: () => countRules(findingsByKey),
    },
    { processMetrics: config.processMetrics ?? false },
  );
  const policyGenerations = new GenerationTracker();
  const shard = config.shard ?? SINGLE_SHARD;
  // Another shard's keys never reach the queue: this replica neither reads their recommendations nor writes them.
  const enqueue = (key: string): void => {
    if (ownsNamespace(shard, parseKey(key).namespace)) queue.add(key);
  };
  // The reconciler's own recommendation writes until the cache has them (it reads recommendations from the cache).
  const recentWrites = new RecentWrites<TuningRecommendation>();
  const caches: Caches = new Caches({
    kubeConfig: config.kubeConfig,
    ...(config.namespace === undefined ? {} : { namespace: config.namespace }),
    log,
    // Only this shard's namespaces, and of each object only what the controller reads (shardCache.ts).
    transform: (resource, obj) => cachedForm(shard, resource, obj),
    discoveryIntervalMs: config.discoveryIntervalMs ?? 60_000,
    ...(config.informerBackoff === undefined ? {} : { backoff: config.informerBackoff }),
    onEvent: (resource: ResourceName, verb: CacheVerb, obj: KubernetesObject) => {
      if (resource === 'tuningRecommendations') recentWrites.observed(verb === 'delete', obj);
      for (const key of keysForEvent(caches, resource, verb, obj, policyGenerations)) enqueue(key);
    },
    onError: () => metrics.errors.inc({ type: 'watch' }),
    onDiscoveryError: () => metrics.errors.inc({ type: 'discovery' }),
    onAccessChange: (resource: ResourceName) => {
      // Policies name what the controller may not read in their Permitted condition; workloads may now be visible.
      log.info({ resource }, 'access changed: re-evaluating every policy and workload');
      for (const key of [...allPolicyKeys(caches), ...allWorkloadKeys(caches)]) enqueue(key);
    },
    onFeatureChange: (feature: Feature, state: FeatureState) => {
      log.info({ feature, enabled: state.enabled }, 'features changed: re-evaluating every workload');
      for (const key of allWorkloadKeys(caches)) enqueue(key);
    },
  });
  // The reconciler and what it imports (the rules, the policies' zod schemas, the actuator's API clients, the
  // Prometheus client) load when this replica starts its workers (loadReconciler): none of it is needed to become
  // ready, and at a tenth of a CPU each millisecond of loading is ten of start-up (bench/startup.ts).
  let reconciler: Reconciler | undefined;
  let terminalError: typeof TerminalError | undefined;
  const newReconciler = (ReconcilerClass: typeof Reconciler): Reconciler => new ReconcilerClass({
    kubeConfig: config.kubeConfig,
    caches,
    log,
    metrics,
    resyncMs: config.resyncMs,
    now: config.now ?? (() => new Date()),
    ...(config.metricsIntervalMs === undefined ? {} : { metricsIntervalMs: config.metricsIntervalMs }),
    ...(config.metricsTimeoutMs === undefined ? {} : { metricsTimeoutMs: config.metricsTimeoutMs }),
    onFindings: (key, rules) => (rules.length === 0 ? findingsByKey.delete(key) : findingsByKey.set(key, rules)),
    recentWrites,
  });
  const elector =
    config.leaderElection === undefined
      ? undefined
      : new LeaderElector({
          kubeConfig: config.kubeConfig,
          namespace: config.leaderElection.namespace,
          name: config.leaderElection.name,
          identity: config.leaderElection.identity ?? `${hostname()}_${randomBytes(6).toString('hex')}`,
          timing: { ...DEFAULT_LEASE_TIMING, ...config.leaderElection.timing },
          log,
          onError: () => metrics.errors.inc({ type: 'leader_election' }),
        });

  let workers: Workers | undefined;
  let stopping = false;
  let fatal: Error | undefined;
  let server: OperationsServer | undefined;
  // Caches.synced is true of an empty set of informers, which is what there is until discovery has run in start().
  let cachesStarted = false;
  let resolveStopped!: (err: Error | undefined) => void;
  const stopped = new Promise<Error | undefined>((resolve) => (resolveStopped = resolve));

  async function processKey(key: string, abandon: AbortSignal): Promise<void> {
    const started = performance.now();
    const target = parseKey(key);
    const targetLog = targetLogger(log, target);
    let result: ReconcileResult | undefined = 'success';
    try {
      // Set in campaign() before any worker starts.
      const outcome = await reconciler!.reconcile(target, abandon);
      queue.forget(key);
      if (outcome.requeueAfterMs !== undefined) {
        queue.addAfter(key, outcome.requeueAfterMs);
        result = 'requeue';
      }
    } catch (err) {
      if (abandon.aborted && err === abandon.reason) {
        // Shutting down: nothing was written, so nothing is half done; the next leader reconciles the key afresh.
        result = undefined;
        targetLog.info('reconcile abandoned before it wrote anything: shutting down');
        return;
      }
      if (terminalError !== undefined && err instanceof terminalError) {
        result = 'terminal_error';
        queue.forget(key);
        targetLog.error({ err: err.message }, 'reconcile failed and will not be retried until the object changes');
      } else {
        result = 'error';
        const delayMs = queue.addRateLimited(key);
        targetLog.warn({ err: describeError(err), retryInMs: delayMs }, 'reconcile failed; retrying');
      }
      metrics.errors.inc({ type: 'reconcile' });
    } finally {
      queue.done(key);
      if (result !== undefined) {
        metrics.reconciles.inc({ result });
        metrics.reconcileDuration.observe({ result }, (performance.now() - started) / 1000);
      }
    }
  }

  function startWorkers(): Workers {
    const abort = new AbortController();
    const abandon = new AbortController();
    const inFlight = new Set<Promise<void>>();
    const loop = async () => {
      for (;;) {
        const key = await queue.get(abort.signal);
        if (key === undefined) return;
        const work = processKey(key, abandon.signal);
        inFlight.add(work);
        await work;
        inFlight.delete(work);
      }
    };
    const count = Math.max(1, config.workers ?? DEFAULT_WORKERS);
    metrics.leader.set(1);
    log.info({ workers: count }, 'workers started');
    return { abort, abandon, inFlight, done: Promise.all(Array.from({ length: count }, loop)).then(() => undefined) };
  }

  /**
   * Stops taking keys and lets in-flight reconciles finish for `timeoutMs`; then abandons those that have not written
   * yet (they stop at their next step) and gives those already writing ABANDON_GRACE_MS more. Resolves true when no
   * reconcile is left; false when one may still be writing, and then the Lease must not be handed over: another
   * replica could act on what that write is about to change.
   */
  async function stopWorkers(timeoutMs: number): Promise<boolean> {
    const current = workers;
    workers = undefined;
    metrics.leader.set(0);
    if (current === undefined) return true;
    current.abort.abort();
    if (!(await timedOut(current.done, timeoutMs))) {
      log.info('workers stopped');
      return true;
    }
    log.warn({ inFlight: current.inFlight.size, timeoutMs }, 'in-flight reconciles did not finish in time; abandoning those that have not written yet');
    current.abandon.abort(new Error('shutting down'));
    if (await timedOut(current.done, ABANDON_GRACE_MS)) {
      log.error({ inFlight: current.inFlight.size, graceMs: ABANDON_GRACE_MS }, 'a reconcile is still writing; stopping without it');
      return false;
    }
    log.info('workers stopped');
    return true;
  }

  /** Loads the reconciler (once): a standby replica never does, so it stays small until it leads. */
  async function loadReconciler(): Promise<void> {
    if (reconciler !== undefined) return;
    const reconcilerModule = await import('./reconciler.ts');
    reconciler = newReconciler(reconcilerModule.Reconciler);
    terminalError = reconcilerModule.TerminalError;
  }

  /** Leads (or waits to), runs the workers while leading, and starts over if leadership is lost. */
  async function campaign(): Promise<void> {
    await caches.whenSynced();
    if (stopping) return;
    if (elector === undefined) {
      await loadReconciler();
      if (!stopping) workers = startWorkers();
      return;
    }
    while (!stopping) {
      if (!(await elector.acquire())) return;
      if (stopping) {
        // acquire() was under way when stop() released: give the Lease back now, or a successor waits a lease duration.
        await elector.release();
        return;
      }
      await loadReconciler();
      if (stopping) return;
      workers = startWorkers();
      await elector.holdUntilLost();
      if (stopping) return;
      // Lost the Lease: another replica may be writing now, so no new reconcile starts here.
      await stopWorkers(config.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
    }
  }

  let stopPromise: Promise<void> | undefined;
  function stop(): Promise<void> {
    stopPromise ??= (async () => {
      stopping = true;
      log.info('shutting down: no new reconciles; waiting for in-flight ones');
      elector?.stop();
      queue.shutDown();
      const settled = await stopWorkers(config.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
      // A write may still be in flight: keep the Lease, which then expires a lease duration after its last renewal.
      if (settled) await elector?.release();
      else if (elector !== undefined) log.warn('the Lease is not released: a write may still be in flight; another replica takes over when it expires');
      await caches.stop();
      await server?.close();
      log.info('stopped');
      resolveStopped(fatal);
    })();
    return stopPromise;
  }

  try {
    server = await startOperationsServer({
      port: config.metricsPort,
      ...(config.metricsHost === undefined ? {} : { host: config.metricsHost }),
      registry: metrics.registry,
      readiness: [
        { name: 'caches', check: () => (cachesStarted ? { ok: caches.synced, detail: cachesDetail(caches) } : { ok: false, detail: 'discovering which kinds are served' }) },
        {
          name: 'controller',
          check: () => ({
            ok: !stopping,
            detail: stopping ? 'shutting down' : elector === undefined ? 'running (no leader election)' : elector.leading ? `leading as ${elector.identity}` : `standing by as ${elector.identity}`,
          }),
        },
      ],
    });
    await caches.start();
    cachesStarted = true;
  } catch (err) {
    await caches.stop();
    await server?.close();
    throw err;
  }
  log.info({ port: server.port, namespace: config.namespace ?? '(all)', shard: shardLabel(shard), leaderElection: config.leaderElection !== undefined }, 'controller started');

  campaign().catch(async (err: unknown) => {
    log.error({ err: describeError(err) }, 'controller loop failed');
    fatal = err instanceof Error ? err : new Error(String(err));
    await stop();
  });

  return {
    port: server.port,
    metrics,
    caches,
    identity: elector?.identity,
    running: () => workers !== undefined,
    stop,
    stopped,
  };
}

function countRules(findingsByKey: ReadonlyMap<string, string[]>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const rules of findingsByKey.values()) for (const rule of rules) counts.set(rule, (counts.get(rule) ?? 0) + 1);
  return counts;
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
