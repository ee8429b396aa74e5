/**
 * @module The caches of the objects the controller reads: one `ResourceInformer` per kind, each a Reflector
 * (reflector.ts: paged list, watch with bookmarks, re-list on 410 Gone, backoff) over pytuner's transport
 * (src/input/kubeHttp.ts), and `Caches`, which combines their synced signals. A kind the controller's identity may
 * not list or watch (403) is left out with the missing permission named, not waited for, so the rest keeps working.
 * Kinds whose CRD is not served (Knative, Config Connector) are disabled with a logged reason and re-checked through
 * discovery periodically, so installing the CRD later enables them without a restart.
 */
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { getJson, KubeRequestError, statusMessage, transportFor } from '../input/kubeHttp.ts';
import type { CachedObject, Projections } from './projection.ts';
import { Reflector, type ReflectorBackoff } from './reflector.ts';
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
export type CacheEventHandler = (resource: ResourceName, verb: CacheVerb, object: CachedObject) => void;

/**
 * What an informer caches of an object: its projection (projection.ts), or undefined to leave it out
 * (controller-runtime's `cache.TransformFunc`, with dropping added). Applied to every listed item and watched object
 * before the cache and the event handler see it; must keep apiVersion, kind, metadata.namespace, name and resourceVersion.
 */
export type CacheTransform = (resource: ResourceName, obj: KubernetesObject) => CachedObject | undefined;

/** Items per list page: the API server's pages keep the body a list holds in memory at once small (client-go's pager uses 500). */
const LIST_PAGE_SIZE = 500;

/** How a failed list or watch is retried: base delay doubling up to the cap. */
export type RestartBackoff = ReflectorBackoff;

/** The restart backoff: 1 s doubling to 30 s (client-node's ListWatch used the same). */
export const DEFAULT_RESTART_BACKOFF: RestartBackoff = { baseMs: 1_000, maxMs: 30_000 };

/** What one informer needs besides its resource type. */
export interface InformerOptions {
  kubeConfig: KubeConfig;
  /** Watch this namespace only; all namespaces when undefined. */
  namespace?: string;
  log: Logger;
  onEvent: CacheEventHandler;
  /** Called for each failed list or watch (counted by the caller's metrics). */
  onError?: (resource: ResourceName, error: unknown) => void;
  /** Called when a 403 starts refusing the kind (with the permission) and when access comes back (undefined). */
  onAccessChange?: (resource: ResourceName, missing: MissingPermission | undefined) => void;
  backoff?: RestartBackoff;
  /** What to cache of each object (shardCache.ts's cachedForm); every object whole when absent. */
  transform?: CacheTransform;
  /** Items per list page; default LIST_PAGE_SIZE. */
  listPageSize?: number;
}

/** Discovery attempts at start (250 ms, 0.5, 1 and 2 s apart) before the controller gives up. */
const START_DISCOVERY_ATTEMPTS = 5;

/**
 * ResourceInformer is one kind's cache: a Reflector (reflector.ts) over the kind's collection, with what the
 * controller adds to it: a 403 sets `missing` (the permission) until a list or watch succeeds (the reflector keeps
 * retrying with its backoff, so an RBAC fix is picked up without a restart), a settled signal that also resolves on
 * a 403, and logs. Once the first list is in the cache `synced` is true and stays true: a re-list replaces the
 * objects it had, as client-go's does.
 */
export class ResourceInformer {
  readonly name: ResourceName;
  readonly type: ResourceType;
  readonly #options: InformerOptions;
  readonly #reflector: Reflector<CachedObject>;
  #missing: MissingPermission | undefined;
  #resolveSettled!: () => void;
  readonly #settled: Promise<void>;

  constructor(name: ResourceName, options: InformerOptions) {
    this.name = name;
    this.type = RESOURCES[name];
    this.#options = options;
    this.#settled = new Promise((resolve) => (this.#resolveSettled = resolve));
    const transform = options.transform;
    this.#reflector = new Reflector<CachedObject>({
      transport: transportFor(options.kubeConfig),
      path: collectionPath(this.type, options.namespace),
      apiVersion: apiVersionOf(this.type),
      kind: this.type.kind,
      // Without a transform (tests) the object is cached whole: a superset of every projection.
      transform: transform === undefined ? (obj) => obj as CachedObject : (obj) => transform(name, obj),
      pageSize: options.listPageSize ?? LIST_PAGE_SIZE,
      backoff: options.backoff ?? DEFAULT_RESTART_BACKOFF,
      onChange: (verb, obj) => options.onEvent(name, verb, obj),
      onSuccess: () => this.#succeeded(),
      onError: (err, retryInMs) => this.#failed(err, retryInMs),
      onListed: (objects, relist) => this.#listed(objects, relist),
    });
  }

  /** True once the first list has been applied to the cache. */
  get synced(): boolean {
    return this.#reflector.synced;
  }

  /** The permission a 403 says the controller lacks for this kind, until a list or watch succeeds again. */
  get missing(): MissingPermission | undefined {
    return this.#missing;
  }

  /** Errors in a row since the last successful list or accepted watch: the exponent of the next retry delay. */
  get consecutiveFailures(): number {
    return this.#reflector.consecutiveFailures;
  }

  /** Lists made so far: 1 after the first sync, one more for each re-list (a watch expired with 410 Gone). */
  get lists(): number {
    return this.#reflector.lists;
  }

  /**
   * Resolves once the first list has been applied to the cache, or a 403 refused the kind: either way the controller
   * knows what it can see. A kind refused at first and allowed later fills its cache then (its add events follow).
   */
  whenSettled(): Promise<void> {
    return this.#settled;
  }

  /** Starts listing and watching; retries on errors until `stop()`. */
  start(): void {
    this.#reflector.start();
  }

  /** Stops the watch and any pending retry. The cache keeps its objects until the informer is dropped. */
  async stop(): Promise<void> {
    await this.#reflector.stop();
  }

  /** The cached object `namespace/name`, if any. */
  get(namespace: string, name: string): CachedObject | undefined {
    return this.#reflector.get(namespace, name);
  }

  /** The cached objects of `namespace`, or of every namespace. */
  list(namespace?: string): CachedObject[] {
    return this.#reflector.list(namespace);
  }

  #listed(objects: number, relist: boolean): void {
    if (relist) {
      this.#options.log.info({ resource: this.name, objects }, 're-listed (the watch expired or could not resume)');
      return;
    }
    this.#options.log.info({ resource: this.name, objects }, 'cache synced');
    this.#resolveSettled();
  }

  /** A list or an accepted watch: a 403 seen before no longer holds. */
  #succeeded(): void {
    if (this.#missing === undefined) return;
    this.#options.log.info({ resource: this.name, permission: describePermission(this.#missing) }, 'access granted: the kind is cached again');
    this.#missing = undefined;
    this.#options.onAccessChange?.(this.name, undefined);
  }

  /** A 403 on the list or on the watch: what was refused. */
  #forbidden(err: unknown): void {
    const permission: MissingPermission = { verb: err instanceof KubeRequestError && err.method === 'WATCH' ? 'watch' : 'list', resource: rbacResource(this.type) };
    if (this.#options.namespace !== undefined) permission.namespace = this.#options.namespace;
    const changed = this.#missing === undefined || describePermission(this.#missing) !== describePermission(permission);
    this.#missing = permission;
    this.#resolveSettled();
    if (!changed) return;
    this.#options.log.error({ resource: this.name, permission: describePermission(permission) }, 'forbidden: the controller\'s identity may not read this kind; it is left out until RBAC allows it');
    this.#options.onAccessChange?.(this.name, permission);
  }

  #failed(err: unknown, retryInMs: number): void {
    this.#options.onError?.(this.name, err);
    if (statusCodeOf(err) === 403) this.#forbidden(err);
    this.#options.log.warn({ resource: this.name, err: describeError(err), restartInMs: retryInMs, failures: this.consecutiveFailures }, 'list or watch failed; retrying');
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
    await this.#firstDiscovery();
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

  /** The cached projection of an object (projection.ts), or undefined (also when the kind is disabled). */
  get<R extends ResourceName>(resource: R, namespace: string, name: string): Projections[R] | undefined {
    return this.#informers.get(resource)?.get(namespace, name) as Projections[R] | undefined;
  }

  /** The cached projections of a kind in `namespace` (or everywhere); empty when the kind is disabled. */
  list<R extends ResourceName>(resource: R, namespace?: string): Array<Projections[R]> {
    return (this.#informers.get(resource)?.list(namespace) ?? []) as Array<Projections[R]>;
  }

  /**
   * Discovery at start, tried again on a failure: a connection reset or a stream closed early on a fresh connection
   * must not end the process (seen in CI: "Premature close" from one of three controllers starting at once).
   */
  async #firstDiscovery(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#discover();
        return;
      } catch (err) {
        if (attempt >= START_DISCOVERY_ATTEMPTS || this.#stopped) throw err;
        this.#options.onDiscoveryError?.(err);
        const delayMs = 250 * 2 ** (attempt - 1);
        this.#options.log.warn({ err: describeError(err), attempt, retryInMs: delayMs }, 'discovery failed at start; retrying');
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
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
