/**
 * @module Work-queue keys and the mapping from cache events to them. A key names an object to reconcile — a target
 * workload (`Service/shop/orders`, `Deployment/analytics/reports`) or a TuningPolicy whose status to refresh
 * (`TuningPolicy/shop/default`) — never what happened to it: reconciles are level-based (controller-runtime's
 * `reconcile.Request` holds only the name). The mapping is pure over a read-only view of the caches.
 */
import type { IdentityIndex } from './identityIndex.ts';
import type { CacheVerb, ResourceName } from './informers.ts';
import type { ObjectLike } from './projection.ts';

/** Kinds of keys: the two target kinds, and TuningPolicy for its status. */
export type KeyKind = 'Service' | 'Deployment' | 'TuningPolicy';

/** A parsed queue key. */
export interface ObjectKey {
  kind: KeyKind;
  namespace: string;
  name: string;
}

const KEY_KINDS: readonly KeyKind[] = ['Service', 'Deployment', 'TuningPolicy'];

/** The queue key of an object: `Kind/namespace/name`. */
export function formatKey(key: ObjectKey): string {
  return `${key.kind}/${key.namespace}/${key.name}`;
}

/** parseKey reads a key written by formatKey; throws on anything else (a bug, not an input). */
export function parseKey(text: string): ObjectKey {
  const [kind, namespace, name, ...rest] = text.split('/');
  if (!KEY_KINDS.includes(kind as KeyKind) || !namespace || !name || rest.length > 0) throw new Error(`not a work-queue key: ${JSON.stringify(text)}`);
  return { kind: kind as KeyKind, namespace, name };
}

/** What the event mapping reads from the caches. */
export interface CacheView {
  list(resource: ResourceName, namespace?: string): readonly ObjectLike[];
}

/** Where TuningRecommendations name their policy and target (spec.policy, spec.targetRef). */
interface RecommendationLike extends ObjectLike {
  spec?: { policy?: string; targetRef?: { kind?: string; name?: string } };
}

function meta(obj: ObjectLike): { namespace: string; name: string } {
  return { namespace: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? '' };
}

/** Every target workload in `namespace`, as keys. */
export function workloadKeys(view: CacheView, namespace: string): string[] {
  return [
    ...view.list('knativeServices', namespace).map((o) => formatKey({ kind: 'Service', ...meta(o) })),
    ...view.list('deployments', namespace).map((o) => formatKey({ kind: 'Deployment', ...meta(o) })),
  ];
}

/** Every TuningPolicy in `namespace`, as keys (their status counts targets). */
function policyKeys(view: CacheView, namespace: string): string[] {
  return view.list('tuningPolicies', namespace).map((o) => formatKey({ kind: 'TuningPolicy', ...meta(o) }));
}

/**
 * Tracks what of each TuningPolicy its workloads' reconciles read: the spec (by metadata.generation) and the
 * annotations (`pytuner.dev/paused`, which an edit changes without a new generation). A status-only update (our own
 * status write) re-enqueues the policy alone, not every workload of the namespace; an un-pause re-enqueues them at
 * once instead of at the next resync. Holds one short string per policy.
 */
export class GenerationTracker {
  readonly #seen = new Map<string, string>();

  /** True when the object is new, or its generation or annotations moved since last seen; forgets it on delete. */
  changed(verb: CacheVerb, obj: ObjectLike): boolean {
    const id = obj.metadata?.uid ?? `${obj.metadata?.namespace}/${obj.metadata?.name}`;
    if (verb === 'delete') {
      this.#seen.delete(id);
      return true;
    }
    const before = this.#seen.get(id);
    const now = fingerprint(obj);
    this.#seen.set(id, now);
    return verb === 'add' || before !== now;
  }
}

/** The generation and the annotations, sorted by key (the cache already drops kubectl's last-applied copy). */
function fingerprint(obj: ObjectLike): string {
  const annotations = Object.entries(obj.metadata?.annotations ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([obj.metadata?.generation ?? null, annotations]);
}

/**
 * keysForEvent maps one cache event to the keys to reconcile, keeping `identities` (identityIndex.ts) current
 * (`defaultPolicy`: the key of the cluster default policy, `--default-policy`, when there is one; its status counts
 * workloads of every opted-in namespace):
 * - a workload: itself, the policies of its namespace (their target counts and overlaps) and the default policy;
 * - a TuningPolicy whose spec or annotations changed (or that came or went): every workload of its namespace — a superset of those
 *   it selects now, which also covers workloads it stopped selecting —, itself, the other policies of its namespace
 *   (their overlaps) and the default policy; for the default policy itself, every workload and every policy;
 * - a Namespace (its opt-in label): its workloads and the default policy;
 * - a ServiceAccount: the workloads of its namespace that run as it (its Workload Identity annotation feeds the profiler rule);
 * - an IAMPolicyMember/IAMPartialPolicy: the workloads whose identity its members (before and after) may name;
 * - a TuningRecommendation: its policy (counts; `spec.policy` is `<namespace>/<name>` for the default policy); when
 *   deleted, also its target, which recreates it.
 */
// eslint-disable-next-line complexity -- one case per cached kind, each a line or two
export function keysForEvent(
  view: CacheView,
  resource: ResourceName,
  verb: CacheVerb,
  obj: ObjectLike,
  policies: GenerationTracker,
  identities: IdentityIndex,
  defaultPolicy?: string,
): string[] {
  const { namespace, name } = meta(obj);
  const fallback = defaultPolicy === undefined ? [] : [defaultPolicy];
  switch (resource) {
    case 'knativeServices':
    case 'deployments': {
      const self = formatKey({ kind: resource === 'deployments' ? 'Deployment' : 'Service', namespace, name });
      identities.update(resource, verb, obj, self);
      return [self, ...policyKeys(view, namespace), ...fallback];
    }
    case 'tuningPolicies': {
      const self = formatKey({ kind: 'TuningPolicy', namespace, name });
      if (!policies.changed(verb, obj)) return [self];
      const others = policyKeys(view, namespace).filter((k) => k !== self);
      if (self === defaultPolicy) return [...allWorkloadKeys(view), ...view.list('tuningPolicies').map((o) => formatKey({ kind: 'TuningPolicy', ...meta(o) })).filter((k) => verb !== 'delete' || k !== self)];
      return [...workloadKeys(view, namespace), ...(verb === 'delete' ? [] : [self]), ...others, ...fallback];
    }
    case 'namespaces':
      return [...workloadKeys(view, name), ...fallback];
    case 'serviceAccounts':
    case 'iamPolicyMembers':
    case 'iamPartialPolicies':
      return identities.update(resource, verb, obj);
    case 'tuningRecommendations': {
      const rec = obj as RecommendationLike;
      const [policyNamespace, policyName] = rec.spec?.policy?.includes('/') ? rec.spec.policy.split('/', 2) : [namespace, rec.spec?.policy];
      const keys = policyName ? [formatKey({ kind: 'TuningPolicy', namespace: policyNamespace ?? namespace, name: policyName })] : [];
      const target = rec.spec?.targetRef;
      if (verb === 'delete' && (target?.kind === 'Service' || target?.kind === 'Deployment') && target.name) keys.push(formatKey({ kind: target.kind, namespace, name: target.name }));
      return keys;
    }
  }
}

/** Every cached workload in every namespace, as keys. */
export function allWorkloadKeys(view: CacheView): string[] {
  return [
    ...view.list('knativeServices').map((o) => formatKey({ kind: 'Service', ...meta(o) })),
    ...view.list('deployments').map((o) => formatKey({ kind: 'Deployment', ...meta(o) })),
  ];
}
