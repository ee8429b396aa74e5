/**
 * @module zod schemas for exactly the fields pytuner reads, validated at the edge. Everything else in an object
 * passes through untouched (`looseObject`) and is never checked: a field pytuner does not read (`replicas:
 * ${REPLICAS}` before envsubst, a probe's `initialDelaySeconds`) must not drop the workload. A document that fails becomes InputErrors naming file, line, object
 * and field in plain words; a kind pytuner does not read is counted as skipped, not an error.
 */
import { z } from 'zod';
import type { InputError } from '../model/finding.ts';
import { parseCpuQuantity } from './quantity.ts';
import type { ParsedDocument } from './types.ts';
import { formatFieldPath, lineAt } from './fieldPath.ts';

// ---- plain-words error messages ----

/** show renders a rejected value for a message: strings quoted, collections named. */
function show(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  if (typeof input === 'string') return JSON.stringify(input);
  return String(input);
}

function expecting(what: string): (issue: { input?: unknown }) => string {
  return (issue) => (issue.input === undefined ? `required field is missing (expected ${what})` : `expected ${what}, got ${show(issue.input)}`);
}

/** Kubernetes string fields reject YAML numbers and booleans (`value: 8`, `cpu-throttling: false`). */
const QUOTED = 'a string (quote numbers and booleans in YAML)';

const text = (what = QUOTED) => z.string({ error: expecting(what) });

function boundedInt(min: number, max?: number) {
  const what = max === undefined ? `an integer >= ${min}` : `an integer ${min}..${max}`;
  const error = expecting(what);
  const base = z.int({ error }).min(min, { error });
  return max === undefined ? base : base.max(max, { error });
}

const stringMap = z.record(z.string(), text(), { error: expecting('a mapping of strings') });

const list = <T extends z.ZodType>(item: T, what = 'a list') => z.array(item, { error: expecting(what) });

const object = <T extends z.core.$ZodLooseShape>(shape: T) => z.looseObject(shape, { error: expecting('a mapping') });

// ---- Kubernetes core pieces ----

const cpuQuantity = z
  .union([z.string(), z.number()], { error: expecting('a CPU quantity like "500m" or 2') })
  .refine((q) => parseCpuQuantity(q) !== undefined, { error: expecting('a CPU quantity like "500m" or 2') });

const portNumberOrName = z.union([boundedInt(0, 65535), z.string()], { error: expecting('a port number or name') });

/** Of a probe, pytuner reads its handler, path and port, and the timing that bounds start-up. */
const probeSchema = object({
  httpGet: object({ path: text().optional(), port: portNumberOrName.optional() }).optional(),
  tcpSocket: object({ port: portNumberOrName.optional() }).optional(),
  exec: object({}).optional(),
  grpc: object({ port: boundedInt(0, 65535).optional() }).optional(),
  periodSeconds: boundedInt(0).optional(),
  failureThreshold: boundedInt(0).optional(),
});

const envVarSchema = object({
  name: text(),
  value: text().optional(),
  valueFrom: object({}).optional(),
});

const cpuOnly = object({ cpu: cpuQuantity.optional() });

const containerSchema = object({
  name: text().optional(),
  image: text().optional(),
  command: list(text()).optional(),
  args: list(text()).optional(),
  env: list(envVarSchema).optional(),
  ports: list(object({ containerPort: boundedInt(1, 65535) })).optional(),
  resources: object({ limits: cpuOnly.optional(), requests: cpuOnly.optional() }).optional(),
  startupProbe: probeSchema.optional(),
  readinessProbe: probeSchema.optional(),
  livenessProbe: probeSchema.optional(),
});

/**
 * The pod spec of a Deployment and the revision spec of a Knative Service. `containerConcurrency` 0..1000 is
 * Knative's range with config-defaults `container-concurrency-max-limit: "1000"` and Cloud Run's maximum.
 */
const podSpecSchema = object({
  containerConcurrency: boundedInt(0, 1000).optional(),
  timeoutSeconds: boundedInt(0).optional(),
  serviceAccountName: text().optional(),
  containers: list(containerSchema, 'a list of containers').min(1, { error: 'expected at least one container' }),
});

const metadataSchema = object({
  name: text('a name'),
  namespace: text().optional(),
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
});

const templateSchema = object({
  metadata: object({ annotations: stringMap.optional() }).optional(),
  spec: podSpecSchema,
});

// ---- the kinds pytuner reads ----

/** `serving.knative.dev/v1` Service: Knative Serving and Cloud Run (Admin API v1 YAML). */
export const knativeServiceSchema = object({
  apiVersion: z.literal('serving.knative.dev/v1'),
  kind: z.literal('Service'),
  metadata: metadataSchema,
  spec: object({ template: templateSchema }),
});

/** `apps/v1` Deployment. */
export const deploymentSchema = object({
  apiVersion: z.literal('apps/v1'),
  kind: z.literal('Deployment'),
  metadata: metadataSchema,
  spec: object({ template: templateSchema }),
});

/** `v1` ServiceAccount: its `iam.gke.io/gcp-service-account` annotation links pods to a Google service account. */
export const serviceAccountSchema = object({
  apiVersion: z.literal('v1'),
  kind: z.literal('ServiceAccount'),
  metadata: metadataSchema,
});

/** A Config Connector reference to another object: `name` (+ `namespace`), as in the v1beta1 CRDs. */
const namedRef = object({ name: text(), namespace: text().optional() });

/** `memberFrom` takes exactly one of these refs (CRD `oneOf`), in iam.cnrm.cloud.google.com/v1beta1. */
export const MEMBER_FROM_REFS = ['serviceAccountRef', 'logSinkRef', 'serviceIdentityRef', 'sqlInstanceRef', 'bigQueryConnectionConnectionRef'] as const;

const memberFromSchema = object({
  serviceAccountRef: namedRef.optional(),
  logSinkRef: namedRef.optional(),
  serviceIdentityRef: namedRef.optional(),
  sqlInstanceRef: namedRef.optional(),
  bigQueryConnectionConnectionRef: namedRef.optional(),
}).refine((m) => MEMBER_FROM_REFS.filter((k) => m[k] !== undefined).length === 1, {
  error: `expected exactly one of ${MEMBER_FROM_REFS.join(', ')}`,
});

const memberSchema = { member: text().optional(), memberFrom: memberFromSchema.optional() };

const exactlyOneMember = (m: { member?: string | undefined; memberFrom?: unknown }) => (m.member === undefined) !== (m.memberFrom === undefined);
const EXACTLY_ONE_MEMBER = 'expected exactly one of member or memberFrom';

/** `resourceRef`: `kind` plus `name` (a Config Connector object) or `external` (an id), or `kind` alone. */
const resourceRefSchema = object({
  kind: text(),
  name: text().optional(),
  namespace: text().optional(),
  external: text().optional(),
  apiVersion: text().optional(),
});

/** Config Connector IAMPolicyMember (`iam.cnrm.cloud.google.com/v1beta1`): one member, one role, one resource. */
export const iamPolicyMemberSchema = object({
  apiVersion: z.literal('iam.cnrm.cloud.google.com/v1beta1'),
  kind: z.literal('IAMPolicyMember'),
  metadata: metadataSchema,
  spec: object({ ...memberSchema, role: text(), resourceRef: resourceRefSchema }).refine(exactlyOneMember, { error: EXACTLY_ONE_MEMBER }),
});

/** Config Connector IAMPartialPolicy: bindings of a role to members, on one resource. */
export const iamPartialPolicySchema = object({
  apiVersion: z.literal('iam.cnrm.cloud.google.com/v1beta1'),
  kind: z.literal('IAMPartialPolicy'),
  metadata: metadataSchema,
  spec: object({
    bindings: list(object({ role: text(), members: list(object(memberSchema).refine(exactlyOneMember, { error: EXACTLY_ONE_MEMBER })).optional() })).optional(),
    resourceRef: resourceRefSchema,
  }),
});

/** Config Connector IAMServiceAccount: read to turn a `memberFrom.serviceAccountRef` into an email where the project is annotated. */
export const iamServiceAccountSchema = object({
  apiVersion: z.literal('iam.cnrm.cloud.google.com/v1beta1'),
  kind: z.literal('IAMServiceAccount'),
  metadata: metadataSchema,
  spec: object({ resourceID: text().optional() }).optional(),
});

/** A validated Knative/Cloud Run Service. */
export type KnativeService = z.output<typeof knativeServiceSchema>;
/** A validated Deployment. */
export type Deployment = z.output<typeof deploymentSchema>;
/** A validated pod (revision) template: `spec.template`. */
export type PodTemplate = KnativeService['spec']['template'];
/** A validated pod spec: `spec.template.spec`. */
export type PodSpec = PodTemplate['spec'];
/** A validated container. */
export type Container = PodSpec['containers'][number];
/** A validated startup, readiness or liveness probe. */
export type Probe = NonNullable<Container['startupProbe']>;
/** A validated ServiceAccount. */
export type ServiceAccount = z.output<typeof serviceAccountSchema>;
/** A validated IAMPolicyMember. */
export type IamPolicyMember = z.output<typeof iamPolicyMemberSchema>;
/** A validated IAMPartialPolicy. */
export type IamPartialPolicy = z.output<typeof iamPartialPolicySchema>;
/** A validated IAMServiceAccount. */
export type IamServiceAccount = z.output<typeof iamServiceAccountSchema>;
/** A Config Connector `resourceRef`. */
export type ResourceRef = IamPolicyMember['spec']['resourceRef'];
/** A Config Connector `memberFrom`: exactly one ref. */
export type MemberFrom = NonNullable<IamPolicyMember['spec']['memberFrom']>;

/** A validated object of a kind pytuner reads, tagged by kind. */
export type KnownObject =
  | { type: 'KnativeService'; object: KnativeService }
  | { type: 'Deployment'; object: Deployment }
  | { type: 'ServiceAccount'; object: ServiceAccount }
  | { type: 'IAMPolicyMember'; object: IamPolicyMember }
  | { type: 'IAMPartialPolicy'; object: IamPartialPolicy }
  | { type: 'IAMServiceAccount'; object: IamServiceAccount };

/** The outcome of validating one document. */
export type Validation =
  | { status: 'valid'; known: KnownObject }
  | { status: 'skipped'; kindKey: string }
  | { status: 'invalid'; errors: InputError[] };

/** Objects that are neither Kubernetes objects nor errors (`package.json`, `cloudbuild.yaml` in a walked directory). */
export const NOT_KUBERNETES = '(no apiVersion/kind)';

/** describeKind names an object's type as `apiVersion/kind` (`apps/v1/Deployment`), the key of `summary.skipped`. */
export function describeKind(obj: Record<string, unknown>): string {
  return `${String(obj['apiVersion'])}/${String(obj['kind'])}`;
}

/** describeObject names an object for an error: `Service default/api`, `Deployment web`. */
export function describeObject(obj: Record<string, unknown>): string {
  const metadata = obj['metadata'];
  const meta = typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>) : {};
  const name = typeof meta['name'] === 'string' ? meta['name'] : '(no name)';
  const namespace = typeof meta['namespace'] === 'string' ? `${meta['namespace']}/` : '';
  return `${String(obj['kind'])} ${namespace}${name}`;
}

const SCHEMAS = {
  KnativeService: knativeServiceSchema,
  Deployment: deploymentSchema,
  ServiceAccount: serviceAccountSchema,
  IAMPolicyMember: iamPolicyMemberSchema,
  IAMPartialPolicy: iamPartialPolicySchema,
  IAMServiceAccount: iamServiceAccountSchema,
} as const;

const KNOWN_KINDS: Record<string, KnownObject['type']> = {
  'serving.knative.dev/v1/Service': 'KnativeService',
  'apps/v1/Deployment': 'Deployment',
  'v1/ServiceAccount': 'ServiceAccount',
  'iam.cnrm.cloud.google.com/v1beta1/IAMPolicyMember': 'IAMPolicyMember',
  'iam.cnrm.cloud.google.com/v1beta1/IAMPartialPolicy': 'IAMPartialPolicy',
  'iam.cnrm.cloud.google.com/v1beta1/IAMServiceAccount': 'IAMServiceAccount',
};

/**
 * validateDocument checks one document against the schema of its kind. A mapping without `kind` is not a
 * Kubernetes object (`package.json`, a Helm `Chart.yaml` with only `apiVersion: v2`) and is skipped as
 * `(no apiVersion/kind)`; a `kind` without `apiVersion` is an error, as kubectl makes it.
 */
export function validateDocument(doc: ParsedDocument): Validation {
  const obj = dropNulls(doc.object) as Record<string, unknown>;
  if (obj['kind'] === undefined) return { status: 'skipped', kindKey: NOT_KUBERNETES };
  const header = headerError(doc, obj);
  if (header !== undefined) return { status: 'invalid', errors: [header] };
  const type = KNOWN_KINDS[describeKind(obj)];
  if (type === undefined) return { status: 'skipped', kindKey: describeKind(obj) };
  const result = SCHEMAS[type].safeParse(obj);
  if (result.success) return { status: 'valid', known: { type, object: result.data } as KnownObject };
  const object = describeObject(obj);
  const errors = result.error.issues.map((issue) => {
    const line = lineAt(doc.fieldLines, issue.path) ?? doc.line;
    return { file: doc.file, line, object, field: formatFieldPath(issue.path), message: issue.message };
  });
  errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  const placeholders = result.error.issues.filter((issue) => {
    const value = valueAt(obj, issue.path);
    return typeof value === 'string' && SHELL_PLACEHOLDER.test(value);
  });
  if (placeholders.length === errors.length) return { status: 'invalid', errors: [templateError(errors, placeholders.length)] };
  return { status: 'invalid', errors };
}

/** `${PORT}`, `${PORT:-8080}`, `$PORT`: what envsubst and shell-templated manifests hold before they are rendered. */
const SHELL_PLACEHOLDER = /\$(\{[A-Za-z_][A-Za-z0-9_]*([:?+=-][^}]*)?\}|[A-Za-z_][A-Za-z0-9_]*)/;

function valueAt(obj: unknown, path: readonly PropertyKey[]): unknown {
  let value = obj;
  for (const key of path) value = typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  return value;
}

/** One error for a document whose every rejected value is a placeholder: it is a template to render, not a broken manifest. */
function templateError(errors: InputError[], count: number): InputError {
  const first = errors[0] as InputError;
  const more = count > 1 ? ` and ${count - 1} more` : '';
  const file = first.file === undefined || first.file === '-' ? 'FILE' : first.file;
  return { ...first, message: `a template, not a manifest: ${first.message}${more} (shell placeholders); render it first, e.g. envsubst < ${file} | pytuner report -f -` };
}

function headerError(doc: ParsedDocument, obj: Record<string, unknown>): InputError | undefined {
  for (const field of ['apiVersion', 'kind'] as const) {
    const value = obj[field];
    if (typeof value === 'string' && value !== '') continue;
    const line = lineAt(doc.fieldLines, [field]) ?? doc.line;
    const message = value === undefined ? `required field is missing (expected ${field === 'kind' ? 'a kind' : 'an apiVersion'})` : `expected a string, got ${show(value)}`;
    return { file: doc.file, line, object: describeObject(obj), field, message };
  }
  return undefined;
}

/**
 * dropNulls removes mapping entries whose value is null: Kubernetes decodes `field: null` (or `field:` with nothing)
 * as an absent field, and the schemas should treat it the same way. Only the mappings and lists that hold a null
 * (or hold one that does) are copied; the rest is returned as it is, not copied once per document for the schema's
 * read.
 */
function dropNulls(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const kept = dropNulls(item);
      if (copy === undefined && kept !== item) copy = value.slice(0, i);
      copy?.push(kept);
    }
    return copy ?? value;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  let copy: Record<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const item = record[key];
    if (item === null) {
      copy ??= entriesBefore(record, keys, i);
      continue;
    }
    const kept = dropNulls(item);
    if (copy === undefined && kept !== item) copy = entriesBefore(record, keys, i);
    if (copy !== undefined) copy[key] = kept;
  }
  return copy ?? value;
}

/** A copy of the first `count` entries of `record` (those the walk kept as they were). */
function entriesBefore(record: Record<string, unknown>, keys: readonly string[], count: number): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) copy[keys[i] as string] = record[keys[i] as string];
  return copy;
}
