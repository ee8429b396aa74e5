/**
 * @module List+watch caches of the objects the controller reads, built on @kubernetes/client-node's ListWatch, with
 * what that library leaves to its caller (aesthetics.md 1.6): ListWatch re-lists on 410 Gone by itself
 * (test/integration/controller-faults-watch.test.ts provokes one), but on any other error it fires ERROR and stops for
 * good, so each `ResourceInformer` restarts its ListWatch with backoff, reset once a list or a watch succeeds again; and
 * it has no "synced" signal, so each informer owns one and `Caches` combines them. A kind the controller's identity may
 * not list or watch (403) is left out with the missing permission named, not waited for, so the rest keeps working.
 * Kinds whose CRD is not served (Knative, Config Connector) are disabled with a logged reason and re-checked through
 * discovery periodically, so installing the CRD later enables them without a restart.
 */
import { ListWatch, Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { getJson, getOk, KubeRequestError, statusMessage } from '../input/kubeHttp.ts';
import { CONTROLLER_DEFAULTS as D } from '../config/controller.ts';

/** A part of the controller that depends on CRDs being installed. `core` (Deployments, ServiceAccounts) always is. */
export type Feature = 'core' | 'pytuner' | 'knative' | 'configConnector';

/** A kind the controller caches. */
export interface ResourceType {
  /** `''` for the core group. */
  group: string;
  version: string;
  kind: string;
  plural: string;
  feature: Feature;
  /** A cluster-scoped kind: listed cluster-wide even when the controller watches one namespace. */
  clusterScoped?: boolean;
  /** Cached only when the controller asks for it (CachesOptions.optional): it needs a permission the chart grants only then. */
  optional?: boolean;
}

/** Every kind the controller caches, by the name the rest of the controller uses for it. */
export const RESOURCES = {
  knativeServices: { group: 'serving.knative.dev', version: 'v1', kind: 'Service', plural: 'services', feature: 'knative' },
  deployments: { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', feature: 'core' },
  serviceAccounts: { group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', feature: 'core' },
  tuningPolicies: { group: 'pytuner.dev', version: 'v1alpha1', kind: 'TuningPolicy', plural: 'tuningpolicies', feature: 'pytuner' },
  tuningRecommendations: { group: 'pytuner.dev', version: 'v1alpha1', kind: 'TuningRecommendation', plural: 'tuningrecommendations', feature: 'pytuner' },
  iamPolicyMembers: { group: 'iam.cnrm.cloud.google.com', version: 'v1beta1', kind: 'IAMPolicyMember', plural: 'iampolicymembers', feature: 'configConnector' },
  iamPartialPolicies: { group: 'iam.cnrm.cloud.google.com', version: 'v1beta1', kind: 'IAMPartialPolicy', plural: 'iampartialpolicies', feature: 'configConnector' },
  // Their labels opt namespaces into the cluster default policy (policySelection.ts): cached only with --default-policy.
  namespaces: { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', feature: 'core', clusterScoped: true, optional: true },
} as const satisfies Record<string, ResourceType>;

/** The name of a cached kind (`knativeServices`, `deployments`, …). */
export type ResourceName = keyof typeof RESOURCES;

/** `apiVersion` of a resource type: `v1`, `apps/v1`, `serving.knative.dev/v1`. */
export function apiVersionOf(type: ResourceType): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

/** The API path of a resource type's collection, in one namespace or in all of them. */
export function collectionPath(type: ResourceType, namespace?: string): string {
  const base = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  return namespace === undefined || type.clusterScoped === true ? `${base}/${type.plural}` : `${base}/namespaces/${namespace}/${type.plural}`;
}

/** A permission the controller's identity lacks: what a 403 refused, as RBAC names it. */
export interface MissingPermission {
  verb: string;
  /** `deployments.apps`, `services.serving.knative.dev`, or the plural alone for the core group. */
  resource: string;
  /** Undefined: cluster-wide (every namespace). */
  namespace?: string;
}

/** `list deployments.apps in namespace shop`: what RBAC must allow, in the words of a Role rule. */
export function describePermission(permission: MissingPermission): string {
  const where = permission.namespace === undefined ? 'cluster-wide' : `in namespace ${permission.namespace}`;
  return `${permission.verb} ${permission.resource} ${where}`;
}

/** The RBAC resource name of a kind: its plural, qualified by its group unless core. */
export function rbacResource(type: ResourceType): string {
  return type.group === '' ? type.plural : `${type.plural}.${type.group}`;
}

/** A cache event: what happened to which object. */
export type CacheVerb = 'add' | 'update' | 'delete';

/** Receives every cache event of every informer. */
export type CacheEventHandler = (resource: ResourceName, verb: CacheVerb, object: KubernetesObject) => void;

/**
 * What an informer caches of an object: a (slimmer) copy, or undefined to leave it out (controller-runtime's
 * `cache.TransformFunc`, with dropping added). Applied to every listed item and watched object before the cache and
 * the event handler see it; must keep apiVersion, kind, metadata.namespace, name and resourceVersion.
 */
export type CacheTransform = (resource: ResourceName, obj: KubernetesObject) => KubernetesObject | undefined;

/** A list as the API server sends it (raw JSON: `metadata.continue`, where client-node's model says `_continue`). */
interface RawList {
  apiVersion?: string;
  kind?: string;
  metadata?: { resourceVersion?: string; continue?: string };
  items?: KubernetesObject[];
}

/** Items per page of a list: the API server's pages keep the body a list holds in memory at once small (client-go's pager uses 500). */
const LIST_PAGE_SIZE = 500;

/** How a stopped ListWatch is restarted: base delay doubling up to the cap (client-node's own reconnect uses 1 s → 30 s). */
export interface RestartBackoff {
  baseMs: number;
  maxMs: number;
}

/** The restart backoff ListWatch itself uses for reconnects (`BASE_RECONNECT_DELAY_MS`, `MAX_RECONNECT_DELAY_MS`). */
export const DEFAULT_RESTART_BACKOFF: RestartBackoff = { baseMs: 1_000, maxMs: 30_000 };

/** What one informer needs besides its resource type. */
export interface InformerOptions {
  kubeConfig: KubeConfig;
  /** Watch this namespace only; all namespaces when undefined. */
  namespace?: string;
  log: Logger;
  onEvent: CacheEventHandler;
  /** Called for each error that stopped the ListWatch (counted by the caller's metrics). */
  onError?: (resource: ResourceName, error: unknown) => void;
  /** Called when a 403 starts refusing the kind (with the permission) and when access comes back (undefined). */
  onAccessChange?: (resource: ResourceName, missing: MissingPermission | undefined) => void;
  backoff?: RestartBackoff;
  /** What to cache of each object (shardCache.ts's cachedForm); every object whole when absent. */
  transform?: CacheTransform;
  /** Items per list page; default LIST_PAGE_SIZE. */
  listPageSize?: number;
}

/**
 * client-node's Watch, telling when a watch request was accepted (HTTP 200, the stream open): the moment the
 * connection is known good again, even on a kind so quiet that no event follows for minutes. It hands ListWatch each
 * event's object as `keep` makes it; an object `keep` leaves out becomes a BOOKMARK with its resourceVersion, so
 * ListWatch still resumes from the newest version seen and a quiet shard's watch does not expire on others' changes.
 */
class AcceptedWatch extends Watch {
  readonly #onAccepted: () => void;
  readonly #keep: ((obj: KubernetesObject) => KubernetesObject | undefined) | undefined;

  constructor(kubeConfig: KubeConfig, onAccepted: () => void, keep?: (obj: KubernetesObject) => KubernetesObject | undefined) {
    super(kubeConfig);
    this.#onAccepted = onAccepted;
    this.#keep = keep;
  }

  override async watch(...args: Parameters<Watch['watch']>): Promise<AbortController> {
    const keep = this.#keep;
    if (keep !== undefined) {
      const callback = args[2];
      args[2] = (phase: string, obj: KubernetesObject, watchObj?: unknown) => {
        if (phase !== 'ADDED' && phase !== 'MODIFIED' && phase !== 'DELETED') return callback(phase, obj, watchObj);
        const kept = keep(obj);
        if (kept !== undefined) return callback(phase, kept, watchObj);
        return callback('BOOKMARK', { metadata: { resourceVersion: obj.metadata?.resourceVersion } } as KubernetesObject, watchObj);
      };
    }
    const controller = await super.watch(...args);
    // On a failure Watch has already called `done(err)` and aborted its controller before returning it.
    if (!controller.signal.aborted) this.#onAccepted();
    return controller;
  }
}

/**
 * ResourceInformer is one list+watch cache that keeps itself running: an error that stops client-node's ListWatch
 * schedules a restart after a doubling delay, reset by any successful list, accepted watch or event (a recovery
 * followed by a quiet hour must not leave the next outage starting at the cap). Once the first list has been applied
 * to the cache, `synced` is true and stays true: a restart keeps the objects it had, as client-go's do. A 403 sets
 * `missing` (the permission) until a list or watch succeeds; it is retried with the same backoff, so an RBAC fix is
 * picked up without a restart.
 */
export class ResourceInformer {
  readonly name: ResourceName;
  readonly type: ResourceType;
  readonly #options: InformerOptions;
  readonly #backoff: RestartBackoff;
  #informer: ListWatch<KubernetesObject> | undefined;
  #running = false;
  #failures = 0;
  #lists = 0;
  #missing: MissingPermission | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #synced = false;
  #resolveSettled!: () => void;
  readonly #settled: Promise<void>;

  constructor(name: ResourceName, options: InformerOptions) {
    this.name = name;
    this.type = RESOURCES[name];
    this.#options = options;
    this.#backoff = options.backoff ?? DEFAULT_RESTART_BACKOFF;
    this.#settled = new Promise((resolve) => (this.#resolveSettled = resolve));
  }

  /** True once the first list has been applied to the cache. */
  get synced(): boolean {
    return this.#synced;
  }

  /** The permission a 403 says the controller lacks for this kind, until a list or watch succeeds again. */
  get missing(): MissingPermission | undefined {
    return this.#missing;
  }

  /** Errors in a row since the last successful list, accepted watch or event: the exponent of the next restart delay. */
  get consecutiveFailures(): number {
    return this.#failures;
  }

  /** Lists made so far: 1 after the first sync, one more for each re-list (a watch expired with 410 Gone). */
  get lists(): number {
    return this.#lists;
  }

  /**
   * Resolves once the first list has been applied to the cache, or a 403 refused the kind: either way the controller
   * knows what it can see. A kind refused at first and allowed later fills its cache then (its add events follow).
   */
  whenSettled(): Promise<void> {
    return this.#settled;
  }

  /** Starts listing and watching; restarts on errors until `stop()`. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    const transform = this.#options.transform;
    const watch = new AcceptedWatch(this.#options.kubeConfig, () => this.#succeeded(), transform === undefined ? undefined : (obj) => transform(this.name, obj));
    const informer = new ListWatch<KubernetesObject>(collectionPath(this.type, this.#options.namespace), watch, () => this.#list(), false);
    informer.on('add', (obj) => this.#event('add', obj));
    informer.on('update', (obj) => this.#event('update', obj));
    informer.on('delete', (obj) => this.#event('delete', obj));
    informer.on('error', (err) => this.#stoppedByError(err));
    this.#informer = informer;
    this.#launch();
  }

  /** Stops the watch and any pending restart. The cache keeps its objects until the informer is dropped. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    await this.#informer?.stop();
  }

  /** The cached object `namespace/name`, if any. */
  get<T = KubernetesObject>(namespace: string, name: string): T | undefined {
    return this.#informer?.get(name, namespace) as T | undefined;
  }

  /** The cached objects of `namespace`, or of every namespace. */
  list<T = KubernetesObject>(namespace?: string): T[] {
    return (this.#informer?.list(namespace) ?? []) as T[];
  }

  #launch(): void {
    this.#informer?.start().catch((err: unknown) => this.#stoppedByError(err));
  }

  /**
   * Lists raw JSON (see kubeHttp.ts) in pages of LIST_PAGE_SIZE, stamps each item with apiVersion and kind (which the
   * API server leaves out of the items of a built-in kind's list but sends on watch events) and keeps what the
   * transform keeps of it, page by page: at 10,000 objects the whole list's text and objects at once were most of
   * the controller's peak memory. Every page of a paginated list is served from one snapshot, whose resourceVersion
   * the watch starts from (an expired continue token fails the list, which is retried like any list error).
   * ListWatch applies the list to its cache in the microtasks after this promise resolves, so `synced` is set a
   * macrotask later, when the cache holds it.
   */
  async #list(): Promise<KubernetesListObject<KubernetesObject>> {
    const path = collectionPath(this.type, this.#options.namespace);
    const apiVersion = apiVersionOf(this.type);
    const transform = this.#options.transform;
    const items: KubernetesObject[] = [];
    let first: RawList | undefined;
    let next: string | undefined;
    do {
      const query: Record<string, string> = { limit: String(this.#options.listPageSize ?? LIST_PAGE_SIZE), ...(next === undefined ? {} : { continue: next }) };
      const page = (await getOk(this.#options.kubeConfig, path, query)) as RawList;
      first ??= page;
      for (const item of page.items ?? []) {
        const stamped = { ...item, apiVersion, kind: this.type.kind };
        const kept = transform === undefined ? stamped : transform(this.name, stamped);
        if (kept !== undefined) items.push(kept);
      }
      next = page.metadata?.continue;
    } while (next !== undefined && next !== '');
    const body = { apiVersion: first?.apiVersion, kind: first?.kind, metadata: { resourceVersion: first?.metadata?.resourceVersion } } as KubernetesListObject<KubernetesObject>;
    this.#lists++;
    if (this.#lists > 1) this.#options.log.info({ resource: this.name, objects: items.length }, 're-listed (the watch expired or could not resume)');
    this.#succeeded();
    setImmediate(() => this.#markSynced());
    return { ...body, items };
  }

  #markSynced(): void {
    if (this.#synced || !this.#running) return;
    this.#synced = true;
    this.#options.log.info({ resource: this.name, objects: this.list().length }, 'cache synced');
    this.#resolveSettled();
  }

  #event(verb: CacheVerb, object: KubernetesObject): void {
    this.#succeeded();
    this.#options.onEvent(this.name, verb, object);
  }

  /** A list, watch or event went through: the backoff starts over, and a 403 seen before no longer holds. */
  #succeeded(): void {
    this.#failures = 0;
    if (this.#missing === undefined) return;
    this.#options.log.info({ resource: this.name, permission: describePermission(this.#missing) }, 'access granted: the kind is cached again');
    this.#missing = undefined;
    this.#options.onAccessChange?.(this.name, undefined);
  }

  /** A 403 on the list (KubeRequestError, from #list) or on the watch (client-node's Watch error): what was refused. */
  #forbidden(err: unknown): void {
    const permission: MissingPermission = { verb: err instanceof KubeRequestError ? 'list' : 'watch', resource: rbacResource(this.type) };
    if (this.#options.namespace !== undefined) permission.namespace = this.#options.namespace;
    const changed = this.#missing === undefined || describePermission(this.#missing) !== describePermission(permission);
    this.#missing = permission;
    this.#resolveSettled();
    if (!changed) return;
    this.#options.log.error({ resource: this.name, permission: describePermission(permission) }, 'forbidden: the controller\'s identity may not read this kind; it is left out until RBAC allows it');
    this.#options.onAccessChange?.(this.name, permission);
  }

  /** ListWatch stopped (or `stop()` aborted its request, which it also reports as an error: ignored then). */
  #stoppedByError(err: unknown): void {
    if (!this.#running) return;
    this.#options.onError?.(this.name, err);
    if (statusCodeOf(err) === 403) this.#forbidden(err);
    const delayMs = Math.min(this.#backoff.maxMs, this.#backoff.baseMs * 2 ** this.#failures);
    this.#failures++;
    this.#options.log.warn({ resource: this.name, err: describeError(err), restartInMs: delayMs, failures: this.#failures }, 'watch stopped; restarting');
    clearTimeout(this.#restartTimer);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (this.#running) this.#launch();
    }, delayMs);
  }
}

/** The HTTP status an error of kubeHttp.ts or client-node's Watch carries, if any. */
function statusCodeOf(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** A short description of an error for logs: its message and, for HTTP errors, the status. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const status = (err as { statusCode?: number; code?: unknown }).statusCode;
    return status === undefined ? err.message : `${err.message} (HTTP ${status})`;
  }
  return String(err);
}

/** Whether a feature's kinds are served, and why not. */
export interface FeatureState {
  enabled: boolean;
  /** Why the feature is disabled (the CRD that is not served), empty when enabled. */
  reason: string;
}

/** Settings of `Caches`. */
export interface CachesOptions extends Omit<InformerOptions, 'onEvent'> {
  onEvent: CacheEventHandler;
  /** How often to re-check discovery for CRDs that were missing (or removed). Default 60 s. */
  discoveryIntervalMs?: number;
  /** Called when a feature is enabled or disabled after start-up (the controller re-enqueues everything). */
  onFeatureChange?: (feature: Feature, state: FeatureState) => void;
  /** Called for each periodic discovery that failed (counted by the caller's metrics; start-up's own failure rejects). */
  onDiscoveryError?: (error: unknown) => void;
  /** The optional kinds (ResourceType.optional) to cache as well. */
  optional?: ReadonlySet<ResourceName>;
}

/** How to install what a feature needs, for the disabled-feature log line. */
const FEATURE_HINTS: Record<Feature, string> = {
  core: '',
  pytuner: 'install pytuner\'s CRDs: kubectl apply -f crds/',
  knative: 'Knative Services are not watched until Knative Serving is installed',
  configConnector: 'the profiler role\'s IAMPolicyMember/IAMPartialPolicy grants are not read until Config Connector is installed',
};

/**
 * Caches owns every informer: it asks discovery which kinds are served, starts their informers, says when all of
 * them have synced, and re-checks discovery every `discoveryIntervalMs` to enable (or disable) Knative and Config
 * Connector as their CRDs come and go. pytuner's own CRDs are required: `start()` fails with how to install them.
 */
export class Caches {
  readonly #options: CachesOptions;
  readonly #informers = new Map<ResourceName, ResourceInformer>();
  readonly #features = new Map<Feature, FeatureState>([['core', { enabled: true, reason: '' }]]);
  #discoveryTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: CachesOptions) {
    this.#options = options;
  }

  /** Discovers the served kinds and starts their informers. Rejects if pytuner's own CRDs are not served. */
  async start(): Promise<void> {
    await this.#discover();
    const pytuner = this.#features.get('pytuner');
    if (pytuner?.enabled !== true) throw new Error(`${pytuner?.reason ?? 'pytuner CRDs not served'}: ${FEATURE_HINTS.pytuner}`);
    this.#scheduleDiscovery();
  }

  /** Stops every informer and the discovery timer. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#discoveryTimer);
    await Promise.all([...this.#informers.values()].map((i) => i.stop()));
  }

  /** True when every enabled kind's informer has synced or is refused by RBAC (see `missing()`). */
  get synced(): boolean {
    return [...this.#informers.values()].every((i) => i.synced || i.missing !== undefined);
  }

  /** Resolves when every informer started so far has synced, or been refused by RBAC. */
  async whenSynced(): Promise<void> {
    await Promise.all([...this.#informers.values()].map((i) => i.whenSettled()));
  }

  /** The kinds a 403 refuses now, with the permission each lacks. */
  missing(): Array<{ resource: ResourceName; permission: MissingPermission }> {
    return [...this.#informers.values()].flatMap((i) => (i.missing === undefined ? [] : [{ resource: i.name, permission: i.missing }]));
  }

  /** Whether a feature's kinds are served (and cached). */
  feature(feature: Feature): FeatureState {
    return this.#features.get(feature) ?? { enabled: false, reason: 'not yet discovered' };
  }

  /** Every feature's state, for /readyz and logs. */
  features(): Record<Feature, FeatureState> {
    return { core: this.feature('core'), pytuner: this.feature('pytuner'), knative: this.feature('knative'), configConnector: this.feature('configConnector') };
  }

  /** True when `resource` is served and cached. */
  enabled(resource: ResourceName): boolean {
    return this.#informers.has(resource);
  }

  /** True when the cache of `resource` can answer reads: served, synced, and not refused by RBAC. */
  answers(resource: ResourceName): boolean {
    const informer = this.#informers.get(resource);
    return informer !== undefined && informer.synced && informer.missing === undefined;
  }

  /** The cached object, or undefined (also when the kind is disabled). */
  get<T = KubernetesObject>(resource: ResourceName, namespace: string, name: string): T | undefined {
    return this.#informers.get(resource)?.get<T>(namespace, name);
  }

  /** The cached objects of a kind in `namespace` (or everywhere); empty when the kind is disabled. */
  list<T = KubernetesObject>(resource: ResourceName, namespace?: string): T[] {
    return this.#informers.get(resource)?.list<T>(namespace) ?? [];
  }

  #scheduleDiscovery(): void {
    if (this.#stopped) return;
    this.#discoveryTimer = setTimeout(() => {
      this.#discover()
        .catch((err: unknown) => {
          this.#options.onDiscoveryError?.(err);
          this.#options.log.warn({ err: describeError(err) }, 'discovery failed; retrying at the next interval');
        })
        .finally(() => this.#scheduleDiscovery());
    }, this.#options.discoveryIntervalMs ?? D.discoveryIntervalMs);
    this.#discoveryTimer.unref();
  }

  /** Asks discovery which kinds are served; starts the informers of new ones and stops those of removed ones. */
  async #discover(): Promise<void> {
    const names = (Object.keys(RESOURCES) as ResourceName[]).filter((name) => (RESOURCES[name] as ResourceType).optional !== true || this.#options.optional?.has(name) === true);
    const served = await Promise.all(names.map((name) => this.#served(RESOURCES[name])));
    const missingByFeature = new Map<Feature, string[]>();
    names.forEach((name, i) => {
      const type = RESOURCES[name];
      if (!missingByFeature.has(type.feature)) missingByFeature.set(type.feature, []);
      if (!served[i]) missingByFeature.get(type.feature)?.push(`${type.plural}.${type.group || 'core'}/${type.version}`);
    });
    for (const [feature, missing] of missingByFeature) {
      this.#setFeature(feature, missing.length === 0 ? { enabled: true, reason: '' } : { enabled: false, reason: `${missing.join(', ')} not served by the API server` });
    }
    for (const name of names) {
      const enabled = this.#features.get(RESOURCES[name].feature)?.enabled === true;
      if (enabled && !this.#informers.has(name)) this.#startInformer(name);
      if (!enabled && this.#informers.has(name)) await this.#stopInformer(name);
    }
  }

  #setFeature(feature: Feature, state: FeatureState): void {
    const before = this.#features.get(feature);
    if (before?.enabled === state.enabled && before.reason === state.reason) return;
    this.#features.set(feature, state);
    if (state.enabled) this.#options.log.info({ feature }, 'feature enabled: its CRDs are served');
    else this.#options.log.warn({ feature, reason: state.reason, hint: FEATURE_HINTS[feature] }, 'feature disabled');
    if (before !== undefined) this.#options.onFeatureChange?.(feature, state);
  }

  #startInformer(name: ResourceName): void {
    const { onEvent, onError, onAccessChange, kubeConfig, namespace, log, backoff, transform } = this.#options;
    const informer = new ResourceInformer(name, { kubeConfig, namespace, log, onEvent, onError, onAccessChange, backoff, transform });
    this.#informers.set(name, informer);
    informer.start();
  }

  async #stopInformer(name: ResourceName): Promise<void> {
    const informer = this.#informers.get(name);
    this.#informers.delete(name);
    await informer?.stop();
  }

  /** Whether the API server serves `type` (discovery of its group/version lists its plural). Core kinds always are. */
  async #served(type: ResourceType): Promise<boolean> {
    if (type.feature === 'core') return true;
    const path = `/apis/${type.group}/${type.version}`;
    const { status, body } = await getJson(this.#options.kubeConfig, path);
    if (status === 404) return false;
    if (status !== 200) throw new Error(`discovery GET ${path} answered ${status}: ${statusMessage(body)}`);
    const resources = (body as { resources?: Array<{ name?: string }> }).resources ?? [];
    return resources.some((r) => r.name === type.plural);
  }
}
