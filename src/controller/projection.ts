/**
 * @module The typed projection each cached kind is kept as: of every object the informers list or watch, only the
 * fields something downstream reads, by a per-kind keep-list (client-go's `SetTransform` with a typed result, as
 * controller-runtime's metadata-only caches do for whole kinds). What reads each part:
 * - the evaluation (evaluate.ts → src/parse/schemas.ts → src/model/extract): the fields the zod schemas name (pod
 *   spec, containers' image/command/args/env/ports/CPU/probes, labels, annotations, template annotations);
 * - the actuator's guards and writes (src/actuator/plan.ts, apply.ts; drift.ts): uid (owner references, apply's uid
 *   precondition), resourceVersion (the conditional patch), generation and the readiness status, spec.replicas of a
 *   Deployment, managedFields cut to the pod spec (shardCache.ts), every container and env entry in order (JSON Patch
 *   addresses them by index and tests name and value);
 * - the identity index: serviceAccountName/serviceAccount, a ServiceAccount's Workload Identity annotation, IAM specs;
 * - policy selection and status: labels, creationTimestamp, a TuningPolicy's spec and status, a Namespace's labels.
 * Everything else (status of IAM objects, a Deployment's strategy and selector, volumes, mounts, a probe's timing
 * beyond period and threshold, ...) is left out. A value of an unexpected type is kept as it is, so the evaluation's
 * schema still reports it with its field. The resourceVersion stays on every kind: the reflector compares it on a re-list.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ManagedFieldsEntry } from '../actuator/managedFields.ts';
import type { TuningRecommendation } from '../api/v1alpha1/tuningRecommendation.ts';
import type { ResourceName } from './informers.ts';

/**
 * What to keep of a value: `ALL` of it; the listed keys of a mapping, each by its own Keep; or, as `[keep]`, every item
 * of a list by one Keep (order and length kept).
 */
type Keep = typeof ALL | { readonly [key: string]: Keep } | readonly [Keep];

/** kubectl's client-side apply copy of the object: as large as the object, read by nothing in pytuner. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** Keep the value whole. */
const ALL = true;

/** The metadata every kind keeps (annotations without kubectl's last-applied copy; managedFields: shardCache.ts). */
const METADATA = { name: ALL, namespace: ALL, uid: ALL, resourceVersion: ALL, generation: ALL, creationTimestamp: ALL, labels: ALL, annotations: ALL } as const;

/** What src/parse/schemas.ts's probeSchema reads: the handler, its path and port, and the start-up timing. */
const PROBE = { httpGet: { path: ALL, port: ALL }, tcpSocket: { port: ALL }, exec: ALL, grpc: { port: ALL }, periodSeconds: ALL, failureThreshold: ALL } as const;

/** A container as containerSchema reads it; env entries whole in order (plan.ts patches them by index). */
const CONTAINER = {
  name: ALL,
  image: ALL,
  command: ALL,
  args: ALL,
  env: [{ name: ALL, value: ALL, valueFrom: ALL }],
  ports: [{ containerPort: ALL }],
  resources: { limits: { cpu: ALL }, requests: { cpu: ALL } },
  startupProbe: PROBE,
  readinessProbe: PROBE,
  livenessProbe: PROBE,
} as const;

/** A Knative Service or a Deployment: the pod template the model reads, and the replicas a Deployment's readiness compares. */
const WORKLOAD = {
  apiVersion: ALL,
  kind: ALL,
  metadata: METADATA,
  spec: {
    replicas: ALL,
    template: {
      metadata: { annotations: ALL },
      spec: { containerConcurrency: ALL, timeoutSeconds: ALL, serviceAccountName: ALL, serviceAccount: ALL, containers: [CONTAINER] },
    },
  },
} as const;

/** The annotation by which a KSA acts as a Google service account: all of a ServiceAccount the model reads. */
const WORKLOAD_IDENTITY_ANNOTATION = 'iam.gke.io/gcp-service-account';

const KEEP: Record<ResourceName, Keep> = {
  knativeServices: WORKLOAD,
  deployments: WORKLOAD,
  serviceAccounts: { apiVersion: ALL, kind: ALL, metadata: { ...METADATA, annotations: { [WORKLOAD_IDENTITY_ANNOTATION]: ALL } } },
  // Config Connector's status (conditions, observedGeneration, externalRef) is read by nothing.
  iamPolicyMembers: { apiVersion: ALL, kind: ALL, metadata: METADATA, spec: ALL },
  iamPartialPolicies: { apiVersion: ALL, kind: ALL, metadata: METADATA, spec: ALL },
  tuningPolicies: { apiVersion: ALL, kind: ALL, metadata: METADATA, spec: ALL, status: ALL },
  // Status: shardCache.ts leaves out findings and recommendations and keeps a digest of the whole.
  tuningRecommendations: { apiVersion: ALL, kind: ALL, metadata: { ...METADATA, ownerReferences: ALL }, spec: ALL, status: ALL },
  namespaces: { apiVersion: ALL, kind: ALL, metadata: { name: ALL, uid: ALL, resourceVersion: ALL, labels: ALL } },
};

/**
 * Metadata of every projection. creationTimestamp is kept but not typed here: only parseTuningPolicy reads it (the
 * policies' precedence), validating it as the string it is, which client-node's KubernetesObject calls a Date.
 */
interface ProjectedMetadata {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/**
 * The least the event mapping (keys.ts) and the identity index read of an object, which both a projection and an
 * object as the API server sends it (client-node's KubernetesObject) are.
 */
export interface ObjectLike {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; uid?: string; generation?: number; labels?: Record<string, string>; annotations?: Record<string, string> };
}

/** What every cached object has, whatever its kind. */
export interface CachedObject {
  apiVersion: string;
  kind: string;
  metadata: ProjectedMetadata;
}

type Projected = CachedObject;

/** A probe as the evaluation reads it. */
interface ProbeProjection {
  httpGet?: { path?: string; port?: number | string };
  tcpSocket?: { port?: number | string };
  exec?: unknown;
  grpc?: { port?: number };
  periodSeconds?: number;
  failureThreshold?: number;
}

/** A container as the evaluation and the actuator read it. */
interface ContainerProjection {
  name?: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
  ports?: Array<{ containerPort: number }>;
  resources?: { limits?: { cpu?: string | number }; requests?: { cpu?: string | number } };
  startupProbe?: ProbeProjection;
  readinessProbe?: ProbeProjection;
  livenessProbe?: ProbeProjection;
}

/** A cached Knative Service or Deployment. */
export interface WorkloadProjection extends Projected {
  /** managedFields: each manager's branch down to the pod spec (shardCache.ts podSpecManagedFields). */
  metadata: ProjectedMetadata & { managedFields?: Array<Pick<ManagedFieldsEntry, 'manager' | 'operation'> & { fieldsV1?: object }> };
  spec?: {
    replicas?: number;
    template?: {
      metadata?: { annotations?: Record<string, string> };
      spec?: { containerConcurrency?: number; timeoutSeconds?: number; serviceAccountName?: string; serviceAccount?: string; containers?: ContainerProjection[] };
    };
  };
  /** observedGeneration, the Ready condition, a Deployment's replica counts (shardCache.ts). */
  status?: Record<string, unknown>;
}

/** A cached ServiceAccount: its Workload Identity annotation. */
type ServiceAccountProjection = Projected;

/** A cached IAMPolicyMember or IAMPartialPolicy: the spec, validated by the evaluation's schema. */
interface IamGrantProjection extends Projected {
  spec?: unknown;
}

/** A cached TuningPolicy: spec and status, validated by parseTuningPolicy where read. */
export interface TuningPolicyProjection extends Projected {
  spec?: unknown;
  status?: unknown;
}

/** A cached Namespace: its labels (the default policy's opt-in). */
type NamespaceProjection = Projected;

/** What each cached kind is kept as. */
export interface Projections {
  knativeServices: WorkloadProjection;
  deployments: WorkloadProjection;
  serviceAccounts: ServiceAccountProjection;
  iamPolicyMembers: IamGrantProjection;
  iamPartialPolicies: IamGrantProjection;
  tuningPolicies: TuningPolicyProjection;
  /** Its status without findings and recommendations (shardCache.ts). */
  tuningRecommendations: TuningRecommendation;
  namespaces: NamespaceProjection;
}

/** project keeps of `obj` what its kind's readers use (see the module comment); `obj` itself is not changed. */
export function project<R extends ResourceName>(resource: R, obj: KubernetesObject): Projections[R] {
  const projected = keep(obj, KEEP[resource]) as Record<string, unknown>;
  const metadata = projected.metadata;
  if (isRecord(metadata) && isRecord(metadata.annotations) && LAST_APPLIED_ANNOTATION in metadata.annotations) {
    const { [LAST_APPLIED_ANNOTATION]: _lastApplied, ...kept } = metadata.annotations;
    metadata.annotations = kept;
  }
  return projected as unknown as Projections[R];
}

/** The part of `value` that `spec` keeps; a value of another shape than `spec` expects is kept whole. */
function keep(value: unknown, spec: Keep): unknown {
  if (spec === ALL) return value;
  if (isKeepEach(spec)) return Array.isArray(value) ? value.map((item: unknown) => keep(item, spec[0])) : value;
  if (!isRecord(value)) return value;
  const kept: Record<string, unknown> = {};
  for (const key in spec) if (value[key] !== undefined) kept[key] = keep(value[key], spec[key] as Keep);
  return kept;
}

function isKeepEach(spec: Keep): spec is readonly [Keep] {
  return Array.isArray(spec);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
