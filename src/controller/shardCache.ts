/**
 * @module What a controller keeps in its caches: informers.ts calls `cachedForm` on each listed item and watch event
 * before caching it, as controller-runtime's `cache.Options.DefaultTransform` and client-go's
 * `SharedInformer.SetTransform` do. Measured with `npm run bench:scale` (10,000 Services + 10,000 Deployments, one
 * controller): peak RSS about 1 GB while every object was cached as the API server sent it. A shard caches only its own
 * namespaces (IAM grants excepted), and of each object only what its readers use:
 * - every kind: its typed projection (projection.ts: the fields the evaluation, the actuator's guards, the identity
 *   index and policy selection read; no `kubectl.kubernetes.io/last-applied-configuration` annotation) and no
 *   managedFields, except
 * - workloads: managedFields cut to the pod spec (podSpecManagedFields), all planActuation asks fieldOwners about, and
 *   of their status what targetReadiness reads (observedGeneration, the Ready condition, Deployment replica counts);
 * - every string once (interning.ts: JSON.parse gives each its own copy) and equal managedFields tries as one frozen
 *   copy;
 * - TuningRecommendations: status without `findings`, `recommendations` and `fix` (the bulk: texts, evidence and the
 *   fix's JSON Patch), with a
 *   digest of the whole status instead (`cachedStatusDigest`), so a reconcile can tell that the status it computes is
 *   already stored without reading it from the API server. What it keeps (summary, applied, previous, conflicts,
 *   conditions, generations, basis) is what keys.ts, the policy status and `evaluatedStatus` read: the evaluation
 *   replaces findings and recommendations whole.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { TuningRecommendation } from '../api/v1alpha1/tuningRecommendation.ts';
import type { ResourceName } from './informers.ts';
import { SharedValues, StringPool } from './interning.ts';
import { project, type Projections, type WorkloadProjection } from './projection.ts';
import { ownsNamespace, SINGLE_SHARD, type ShardConfig } from './shard.ts';
import { statusDigest } from './statusDigest.ts';

/** Kinds read across namespaces (an IAM grant in one namespace may name the identity of a workload in another). */
const READ_ACROSS_NAMESPACES: ReadonlySet<ResourceName> = new Set(['iamPolicyMembers', 'iamPartialPolicies']);

/** Kinds pytuner patches: their managedFields say who else owns a field (plan.ts). */
const WORKLOADS: ReadonlySet<ResourceName> = new Set(['knativeServices', 'deployments']);

/** The parts of a TuningRecommendation's status the cache leaves out: the evaluation writes them whole each time (evaluatedStatus). */
const UNCACHED_RECOMMENDATION_STATUS = ['findings', 'recommendations', 'fix'] as const;

/** Status fields of a workload that targetReadiness (src/actuator/plan.ts) reads; conditions: only Ready. */
const READINESS_STATUS = ['observedGeneration', 'replicas', 'updatedReplicas', 'availableReplicas'] as const;

/** What the cache keeps of a workload's Ready condition (targetReadiness reads status and message). */
const READY_CONDITION = ['type', 'status', 'reason', 'message'] as const;

/** The strings of every cached object, one copy each (interning.ts). */
const CACHED_STRINGS = new StringPool();

/** Workloads' managedFields cut to the pod spec: field names only, so equal for workloads of one chart and tool. */
const SHARED_MANAGED_FIELDS = new SharedValues();

/** The digest of the full status of each cached TuningRecommendation (keyed by the cached object itself). */
const digests = new WeakMap<object, string>();

/** One entry of metadata.managedFields (src/actuator/managedFields.ts has the type; the actuator loads after ready). */
interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  fieldsV1?: unknown;
}

/** `spec.template.spec` in FieldsV1: the pod spec, under which lies every field planActuation (plan.ts) asks fieldOwners about. */
const POD_SPEC_FIELDS = ['f:spec', 'f:template', 'f:spec'] as const;

/** What the cache keeps of a workload's managedFields. */
type CachedManagedFields = NonNullable<WorkloadProjection['metadata']['managedFields']>;

interface Metadata {
  managedFields?: ManagedFieldsEntry[];
}

interface CachedObject extends KubernetesObject {
  status?: unknown;
}

/**
 * cachedForm is what a shard caches of `obj`: undefined for an object of a namespace another shard owns (dropped),
 * otherwise its typed projection (projection.ts), with a workload's managedFields and status cut to what the actuator
 * reads and a TuningRecommendation's status without what the evaluation rewrites (see the module comment). `obj`
 * itself is not changed.
 */
export function cachedForm<R extends ResourceName>(shard: ShardConfig, resource: R, obj: KubernetesObject): Projections[R] | undefined {
  const namespace = obj.metadata?.namespace;
  if (namespace !== undefined && !READ_ACROSS_NAMESPACES.has(resource) && !ownsNamespace(shard, namespace)) return undefined;
  const cached = project(resource, obj);
  const source = obj as CachedObject;
  const metadata = source.metadata as Metadata | undefined;
  if (WORKLOADS.has(resource)) {
    const workload = cached as WorkloadProjection;
    if (isRecord(source.status)) workload.status = readinessStatus(source.status);
    CACHED_STRINGS.internStrings(workload);
    if (metadata?.managedFields !== undefined) workload.metadata.managedFields = SHARED_MANAGED_FIELDS.shared(podSpecManagedFields(metadata.managedFields));
    return cached;
  }
  if (resource === 'tuningRecommendations' && isRecord(source.status)) {
    const recommendation = cached as CachedObject;
    recommendation.status = withoutKeys(source.status, UNCACHED_RECOMMENDATION_STATUS);
    digests.set(recommendation, statusDigest(source.status));
  }
  CACHED_STRINGS.internStrings(cached);
  return cached;
}

/**
 * cachedRecommendation is what the cache keeps of a TuningRecommendation (cachedForm's, whatever the shard): the form
 * recentWrites.ts holds a written one in until the cache has it, so that a read answers the same either way.
 */
export function cachedRecommendation(obj: TuningRecommendation): TuningRecommendation {
  return cachedForm(SINGLE_SHARD, 'tuningRecommendations', obj as KubernetesObject) ?? obj;
}

/**
 * cachedStatusDigest is statusDigest of the full status of a TuningRecommendation as cachedForm cached it (the
 * object `Caches.get` returned), or undefined for any other object (one read from the API server carries its status).
 */
export function cachedStatusDigest(obj: object): string | undefined {
  return digests.get(obj);
}

/**
 * podSpecManagedFields keeps of `entries` what fieldOwners (src/actuator/managedFields.ts) reads for a path in the pod
 * spec: the main resource's entries (it skips status-subresource ones), each with its manager, operation and only
 * the trie's branch down to the pod spec (an atomic ancestor on the way kept as the leaf it is: it owns everything
 * under it), and none that owns nothing there. A manager's full trie repeats the shape of the whole object.
 */
export function podSpecManagedFields(entries: readonly ManagedFieldsEntry[]): CachedManagedFields {
  const kept: CachedManagedFields = [];
  for (const entry of entries) {
    if (entry.subresource !== undefined && entry.subresource !== '') continue;
    const branch = podSpecBranch(entry.fieldsV1);
    if (branch === undefined) continue;
    const slim: CachedManagedFields[number] = { fieldsV1: branch };
    if (entry.manager !== undefined) slim.manager = entry.manager;
    if (entry.operation !== undefined) slim.operation = entry.operation;
    kept.push(slim);
  }
  return kept;
}

/** The part of a FieldsV1 trie on the way to the pod spec and under it; undefined when it owns nothing there. */
function podSpecBranch(fieldsV1: unknown): Record<string, unknown> | undefined {
  let node: unknown = fieldsV1;
  for (let depth = 0; depth < POD_SPEC_FIELDS.length; depth++) {
    if (!isRecord(node)) return undefined;
    if (depth > 0 && Object.keys(node).length === 0) return nestUnder(POD_SPEC_FIELDS.slice(0, depth), {}); // atomic ancestor
    node = node[POD_SPEC_FIELDS[depth] as string];
  }
  return isRecord(node) ? nestUnder(POD_SPEC_FIELDS, node) : undefined;
}

/** `node` at `path` (FieldsV1 keys) in an otherwise empty trie. */
function nestUnder(path: readonly string[], node: Record<string, unknown>): Record<string, unknown> {
  return path.reduceRight<Record<string, unknown>>((inner, key) => ({ [key]: inner }), node);
}

function readinessStatus(status: Record<string, unknown>): Record<string, unknown> {
  const kept = pick(status, READINESS_STATUS);
  if (Array.isArray(status.conditions)) {
    kept.conditions = status.conditions.filter((c: unknown): c is Record<string, unknown> => isRecord(c) && c.type === 'Ready').map((c) => pick(c, READY_CONDITION));
  }
  return kept;
}

function pick(record: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const key of keys) if (record[key] !== undefined) kept[key] = record[key];
  return kept;
}

function withoutKeys(record: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([key]) => !keys.includes(key)));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
