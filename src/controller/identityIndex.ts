/**
 * @module Which IAM grants (IAMPolicyMember, IAMPartialPolicy) can concern which workloads, kept as indexes the cache
 * events update, so a workload's reconcile reads its identity's grants in O(1) and an IAM or ServiceAccount event
 * re-queues only the workloads whose identity it touches (before: every IAM object in every reconcile, and every
 * workload on any IAM event: O(workloads × IAM objects)).
 *
 * Grants and identities meet on identity keys. A grant's member gives keys by the same patterns the profiler rule
 * (src/rules/profiler.iam-role.ts) matches: `serviceAccount:<email>` → `gsa:<email>`; an unresolved Config Connector
 * `serviceAccountRef:<ns>/<name>` → `gsa-local:<name>`; a Workload Identity Federation principal of a KSA →
 * `ksa:<ns>/<name>`; a namespace principalSet → `ns:<ns>`; a cluster-wide principalSet → `cluster`. A workload's
 * identity gives every key that could match it: its KSA's, its namespace's, `cluster`, and, when the KSA is annotated
 * with a Google service account (or the workload names one, as on Cloud Run), that account's. The keys over-approximate
 * (the rule still decides whether a grant satisfies); a grant no key joins to a workload cannot satisfy the rule for it.
 */
import type { CacheVerb, ResourceName } from './informers.ts';
import type { ObjectLike } from './projection.ts';

/** The annotation by which a KSA acts as a Google service account (GKE Workload Identity). */
const WORKLOAD_IDENTITY_ANNOTATION = 'iam.gke.io/gcp-service-account';

/** Workload Identity Federation principals, as the profiler rule reads them. */
const POOL = /^principal(Set)?:\/\/iam\.googleapis\.com\/projects\/[^/]+\/locations\/global\/workloadIdentityPools\/[^/]+\.svc\.id\.goog\/(.+)$/;

/** The identity keys a grant's member can match (see the module comment); none for other kinds of members. */
export function memberKeys(member: string): string[] {
  const email = /^serviceAccount:(.+)$/i.exec(member);
  if (email !== null) return [`gsa:${email[1]!.toLowerCase()}`];
  const ref = /^serviceAccountRef:(?:[^/]*\/)?([^/]+)$/.exec(member);
  if (ref !== null) return [`gsa-local:${ref[1]!.toLowerCase()}`];
  const pool = POOL.exec(member);
  if (pool === null) return [];
  const [, isSet, rest] = pool as unknown as [string, string | undefined, string];
  if (isSet === undefined) {
    const subject = /^subject\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(rest);
    return subject === null ? [] : [`ksa:${subject[1]}/${subject[2]}`];
  }
  const namespace = /^namespace\/([^/]+)$/.exec(rest);
  if (namespace !== null) return [`ns:${namespace[1]}`];
  return rest.startsWith('kubernetes.cluster/') ? ['cluster'] : [];
}

/** A Google service account's keys: its email, and its local part (what an unresolved serviceAccountRef names). */
function gsaKeys(email: string): string[] {
  const lower = email.toLowerCase();
  return [`gsa:${lower}`, `gsa-local:${lower.split('@')[0]}`];
}

interface MemberFrom {
  serviceAccountRef?: { name?: string; namespace?: string };
}

interface Member {
  member?: string;
  memberFrom?: MemberFrom;
}

interface IamObject extends ObjectLike {
  spec?: Member & { bindings?: Array<{ members?: Member[] }> };
}

/** A member as the model writes it (src/model/extract/iam.ts memberText, with no IAMServiceAccount emails known). */
function memberTextOf(member: Member, namespace: string | undefined): string {
  if (member.member !== undefined) return member.member;
  const ref = member.memberFrom?.serviceAccountRef;
  if (ref?.name === undefined) return '';
  const ns = ref.namespace ?? namespace;
  return `serviceAccountRef:${ns === undefined ? '' : `${ns}/`}${ref.name}`;
}

/** Every identity key the members of an IAMPolicyMember or IAMPartialPolicy can match. */
export function grantKeys(obj: ObjectLike): string[] {
  const spec = (obj as IamObject).spec ?? {};
  const members: Member[] = [spec, ...(spec.bindings ?? []).flatMap((b) => b.members ?? [])];
  return [...new Set(members.flatMap((m) => memberKeys(memberTextOf(m, obj.metadata?.namespace))))];
}

interface PodTemplateOwner extends ObjectLike {
  spec?: { template?: { spec?: { serviceAccountName?: string; serviceAccount?: string } } };
}

/** The ServiceAccount name a workload's pods run as (`default` when unset). */
export function serviceAccountOf(workload: ObjectLike): string {
  const spec = (workload as PodTemplateOwner).spec?.template?.spec;
  return spec?.serviceAccountName ?? spec?.serviceAccount ?? 'default';
}

/** Every identity key of a workload running as KSA `namespace/name`, annotated with `gsa` (or naming an email). */
export function identityKeys(namespace: string, serviceAccount: string, gsa: string | undefined): string[] {
  const keys = [`ksa:${namespace}/${serviceAccount}`, `ns:${namespace}`, 'cluster'];
  if (serviceAccount.includes('@')) keys.push(...gsaKeys(serviceAccount));
  if (gsa !== undefined) keys.push(...gsaKeys(gsa));
  return keys;
}

function idOf(obj: ObjectLike): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

/** Adds `value` to the set under `key`. */
function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (set === undefined) {
    set = new Set();
    map.set(key, set);
  }
  set.add(value);
}

function removeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  set?.delete(value);
  if (set?.size === 0) map.delete(key);
}

/** A workload as the queue names it, with the KSA it runs as. */
interface WorkloadEntry {
  queueKey: string;
  namespace: string;
  serviceAccount: string;
}

/**
 * IdentityIndex follows the cache events of workloads, ServiceAccounts and IAM grants (`update`) and answers which
 * grants may concern a workload (`grantsFor`) and which workloads an event concerns (`affectedWorkloads`).
 */
export class IdentityIndex {
  /** Grants by identity key, and each grant's keys (to remove them when it changes). */
  readonly #grantsByKey = new Map<string, Map<string, ObjectLike>>();
  readonly #keysOfGrant = new Map<string, string[]>();
  /** The Google service account of each annotated KSA (`namespace/name`), and the KSAs by that account's keys. */
  readonly #gsaOfKsa = new Map<string, string>();
  readonly #ksasByGsaKey = new Map<string, Set<string>>();
  /** Workloads (queue keys) by the KSA they run as and by namespace, and the entry of each. */
  readonly #workloadsByKsa = new Map<string, Set<string>>();
  readonly #workloadsByNamespace = new Map<string, Set<string>>();
  readonly #workloads = new Map<string, WorkloadEntry>();

  /**
   * Applies one cache event; returns the queue keys of the workloads whose identity it touches (for a grant: those
   * its old or new members may concern; for a ServiceAccount: those running as it). Workload events return none
   * (keys.ts enqueues the workload itself).
   */
  update(resource: ResourceName, verb: CacheVerb, obj: ObjectLike, queueKey?: string): string[] {
    switch (resource) {
      case 'iamPolicyMembers':
      case 'iamPartialPolicies':
        return this.#updateGrant(verb, obj);
      case 'serviceAccounts':
        return this.#updateServiceAccount(verb, obj);
      case 'knativeServices':
      case 'deployments':
        if (queueKey !== undefined) this.#updateWorkload(verb, obj, queueKey);
        return [];
      default:
        return [];
    }
  }

  /** The identity keys of a workload running as `namespace/serviceAccount`, with what its KSA is annotated with now. */
  keysOf(namespace: string, serviceAccount: string): string[] {
    return identityKeys(namespace, serviceAccount, this.#gsaOfKsa.get(`${namespace}/${serviceAccount}`));
  }

  /** The grants whose members may concern a workload running as `namespace/serviceAccount`. */
  grantsFor(namespace: string, serviceAccount: string): ObjectLike[] {
    const found = new Map<string, ObjectLike>();
    for (const key of this.keysOf(namespace, serviceAccount)) for (const [id, grant] of this.#grantsByKey.get(key) ?? []) found.set(id, grant);
    return [...found.values()];
  }

  #updateGrant(verb: CacheVerb, obj: ObjectLike): string[] {
    const id = `${obj.apiVersion ?? ''}/${obj.kind ?? ''}/${idOf(obj)}`;
    const before = this.#keysOfGrant.get(id) ?? [];
    for (const key of before) {
      const grants = this.#grantsByKey.get(key);
      grants?.delete(id);
      if (grants?.size === 0) this.#grantsByKey.delete(key);
    }
    this.#keysOfGrant.delete(id);
    const after = verb === 'delete' ? [] : grantKeys(obj);
    for (const key of after) {
      let grants = this.#grantsByKey.get(key);
      if (grants === undefined) {
        grants = new Map();
        this.#grantsByKey.set(key, grants);
      }
      grants.set(id, obj);
    }
    if (after.length > 0) this.#keysOfGrant.set(id, after);
    return this.#workloadsMatching(new Set([...before, ...after]));
  }

  #updateServiceAccount(verb: CacheVerb, obj: ObjectLike): string[] {
    const ksa = idOf(obj);
    const before = this.#gsaOfKsa.get(ksa);
    if (before !== undefined) for (const key of gsaKeys(before)) removeFrom(this.#ksasByGsaKey, key, ksa);
    const gsa = verb === 'delete' ? undefined : obj.metadata?.annotations?.[WORKLOAD_IDENTITY_ANNOTATION];
    if (gsa === undefined) this.#gsaOfKsa.delete(ksa);
    else {
      this.#gsaOfKsa.set(ksa, gsa);
      for (const key of gsaKeys(gsa)) addTo(this.#ksasByGsaKey, key, ksa);
    }
    return [...(this.#workloadsByKsa.get(ksa) ?? [])];
  }

  #updateWorkload(verb: CacheVerb, obj: ObjectLike, queueKey: string): void {
    const before = this.#workloads.get(queueKey);
    if (before !== undefined) {
      removeFrom(this.#workloadsByKsa, `${before.namespace}/${before.serviceAccount}`, queueKey);
      removeFrom(this.#workloadsByNamespace, before.namespace, queueKey);
    }
    this.#workloads.delete(queueKey);
    if (verb === 'delete') return;
    const entry = { queueKey, namespace: obj.metadata?.namespace ?? '', serviceAccount: serviceAccountOf(obj) };
    this.#workloads.set(queueKey, entry);
    addTo(this.#workloadsByKsa, `${entry.namespace}/${entry.serviceAccount}`, queueKey);
    addTo(this.#workloadsByNamespace, entry.namespace, queueKey);
    // A workload naming a Google service account itself (Cloud Run): found through that account's keys too.
    if (entry.serviceAccount.includes('@')) for (const key of gsaKeys(entry.serviceAccount)) addTo(this.#ksasByGsaKey, key, `${entry.namespace}/${entry.serviceAccount}`);
  }

  /** The workloads any of whose identity keys is in `keys`, through the reverse indexes (no scan of all workloads). */
  #workloadsMatching(keys: ReadonlySet<string>): string[] {
    if (keys.has('cluster')) return [...this.#workloads.keys()];
    const matched = new Set<string>();
    const addAll = (set: ReadonlySet<string> | undefined) => set?.forEach((k) => matched.add(k));
    for (const key of keys) {
      const [kind, rest] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
      if (kind === 'ksa') addAll(this.#workloadsByKsa.get(rest));
      else if (kind === 'ns') addAll(this.#workloadsByNamespace.get(rest));
      else for (const ksa of this.#ksasByGsaKey.get(key) ?? []) addAll(this.#workloadsByKsa.get(ksa));
    }
    return [...matched];
  }
}
