// Every rule of pytuner's CRDs (crds/*.yaml), proven on the real API server: the test walks each CRD's
// openAPIV3Schema, and for every bound, enum, length, list size, pattern, format, required field and CEL rule it
// finds, sends a complete valid object with exactly that one rule broken (a dry-run create, or a dry-run status patch
// through the status subresource), and expects 422 with a cause naming that field. A rule added to the schemas
// without an example here fails the coverage test, so the table below cannot fall behind the CRDs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { load } from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminClients, apiFailure, uniqueNamespace } from './harness/kube.ts';
import { repoRoot } from './harness/paths.ts';

const { custom } = adminClients();
const GROUP = { group: 'pytuner.dev', version: 'v1alpha1' };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Segment = string | number;
type SchemaNode = Record<string, unknown>;

/** One rule found in a schema, and the one-rule-broken object that must be refused. */
interface Violation {
  /** `maximum 1000`, `CEL self.min <= self.max`… */
  rule: string;
  /** The field the API server must name, as it names it (`spec.selector.matchExpressions[0].values`). */
  field: string;
  /** What the cause's message must say. */
  message: RegExp;
  part: 'spec' | 'status';
  /** The full object (spec or status) with the rule broken; `update`: sent as a change of an existing object. */
  value: Json;
  update?: boolean;
}

function crdSchema(file: string): SchemaNode {
  const crd = load(readFileSync(join(repoRoot, 'crds', file), 'utf8')) as { spec: { versions: Array<{ schema: { openAPIV3Schema: SchemaNode } }> } };
  return crd.spec.versions[0]!.schema.openAPIV3Schema;
}

const CONDITION = { type: 'Ready', status: 'True', observedGeneration: 1, lastTransitionTime: '2026-03-01T12:00:00Z', reason: 'Reconciled', message: 'ok' };

/**
 * Valid objects holding every optional field (two where fields exclude each other): a rule is tested on the first
 * that has a value at its path.
 */
const POLICY_SPECS: Json[] = [
  {
    selector: { kinds: ['Service'], matchLabels: { app: 'api' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] },
    mode: 'Apply',
    objectives: { latencySLO: '300ms' },
    bounds: { concurrency: { min: 1, max: 100 }, threads: { max: 8 }, workers: { max: 4 } },
    cooldown: '1h',
    rules: { enabled: ['concurrency.unbounded'], disabled: ['image.slim-base'] },
    patch: { containerConcurrency: true, threadsEnv: false, workers: false, startupProbe: false, profilerIamPolicyMember: false },
    minConfidence: 'high',
    force: false,
    metrics: { prometheusUrl: 'http://prometheus.monitoring:9090', profile: 'knative', window: '168h' },
  },
  { objectives: { latencyP95Factor: 1.5 } },
];
const POLICY_STATUSES: Json[] = [{ observedGeneration: 1, conditions: [CONDITION], targets: 1, recommendations: 1, applied: 0, conflicts: 0 }];

const RECOMMENDATION_SPECS: Json[] = [{ targetRef: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'api' }, policy: 'shop' }];
const PROBE = { httpGet: { path: '/healthz', port: 8080 }, initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3 };
const MEMBER = { name: 'api-profiler', namespace: 'config-connector', member: 'serviceAccount:api@p.iam.gserviceaccount.com', role: 'roles/cloudprofiler.agent', resourceRef: { kind: 'Project', external: 'projects/p' } };
const RECOMMENDATION_STATUSES: Json[] = [
  {
    observedGeneration: 1,
    targetGeneration: 1,
    lastEvaluated: '2026-03-01T12:00:00Z',
    basis: 'metrics',
    summary: { findings: 1, critical: 0, warning: 1, info: 0, confidence: 0.9, recommended: 'startupProbe httpGet /healthz:8080 [app]' },
    findings: [{ rule: 'concurrency.unbounded', severity: 'warning', container: 'app', message: 'm', current: { containerConcurrency: '0' }, recommended: { containerConcurrency: '8' }, evidence: 'e' }],
    recommendations: [{ setting: 'startupProbe', rule: 'metrics.startup-probe-budget', container: 'app', env: 'THREADS', value: 8, current: 4, target: 8, next: 8, lowerBound: 1, upperBound: 64, startupProbe: PROBE, iamPolicyMember: MEMBER, confidence: 0.9, evidence: ['why'] }],
    applied: { at: '2026-03-01T12:00:00Z', policy: 'shop', generation: 2, fields: ['spec.template.spec.containerConcurrency'], changes: [{ field: 'spec.template.spec.containerConcurrency', setting: 'containerConcurrency', from: '0', to: '8', rule: 'concurrency.unbounded' }] },
    previous: { 'spec.template.spec.containerConcurrency': '0' },
    conflicts: [{ field: 'spec.template.spec.containerConcurrency', setting: 'containerConcurrency', manager: 'argocd-controller' }],
    drift: [
      {
        field: 'spec.template.spec.containerConcurrency',
        setting: 'containerConcurrency',
        manager: 'argocd-controller',
        wrote: '8',
        found: '80',
        recommended: '8',
        reverts: 1,
        appliedAt: '2026-03-01T12:00:00Z',
        lastReverted: '2026-03-01T12:05:00Z',
      },
    ],
    fix: { jsonPatch: '[{"op":"replace","path":"/spec/template/spec/containerConcurrency","value":8}]', rules: ['concurrency.unbounded'], unfixed: ['startup.probe-missing: no known health path'] },
    conditions: [CONDITION],
  },
  { recommendations: [{ setting: 'startupProbe', rule: 'metrics.startup-probe-budget', container: 'app', startupProbe: { tcpSocket: { port: 8080 } }, confidence: 1 }] },
];

/**
 * How to break each CEL rule of the CRDs, by rule text: the object at the rule's node, changed. `transition`: the rule
 * compares with the stored object (oldSelf), so it is broken by an update.
 */
const CEL_BREAKERS: Record<string, { breaks: (self: Record<string, Json>) => void; transition?: boolean }> = {
  "self.operator in ['In', 'NotIn'] ? has(self.values) && size(self.values) > 0 : !has(self.values) || size(self.values) == 0": { breaks: (self) => void delete self['values'] },
  '!(has(self.latencySLO) && has(self.latencyP95Factor))': { breaks: (self) => Object.assign(self, { latencySLO: '300ms', latencyP95Factor: 1.5 }) },
  'self.min <= self.max': { breaks: (self) => Object.assign(self, { min: 50, max: 10 }) },
  '!has(self.enabled) || !has(self.disabled) || !self.enabled.exists(r, r in self.disabled)': { breaks: (self) => Object.assign(self, { enabled: ['gunicorn.timeout'], disabled: ['gunicorn.timeout'] }) },
  "isURL(self.prometheusUrl) && url(self.prometheusUrl).getScheme() in ['http', 'https']": { breaks: (self) => Object.assign(self, { prometheusUrl: 'ftp://prometheus.monitoring:9090' }) },
  "self.targetRef.kind == 'Service' ? self.targetRef.apiVersion == 'serving.knative.dev/v1' : self.targetRef.apiVersion == 'apps/v1'": { breaks: (self) => Object.assign(self, { targetRef: { apiVersion: 'apps/v1', kind: 'Service', name: 'api' } }) },
  'self.targetRef == oldSelf.targetRef': { breaks: (self) => Object.assign(self, { targetRef: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'other' } }), transition: true },
  'has(self.httpGet) != has(self.tcpSocket)': { breaks: (self) => Object.assign(self, { tcpSocket: { port: 8080 } }) },
  "!(self.setting in ['containerConcurrency', 'threads', 'workers']) || has(self.value)": { breaks: (self) => Object.assign(self, { setting: 'containerConcurrency', value: undefined }) },
  "self.setting != 'startupProbe' || (has(self.startupProbe) && has(self.container))": { breaks: (self) => void delete self['startupProbe'] },
  "self.setting != 'profilerIamPolicyMember' || has(self.iamPolicyMember)": { breaks: (self) => Object.assign(self, { setting: 'profilerIamPolicyMember', iamPolicyMember: undefined }) },
  "!(self.setting in ['threads', 'workers']) || (has(self.container) && has(self.env))": { breaks: (self) => Object.assign(self, { setting: 'threads', env: undefined }) },
};

/** The spec rule whose text is generated from PATCHABLE (too long for a table key). */
const APPLY_RULE_PREFIX = "self.mode != 'Apply' || (has(self.patch) && (";

function breakerFor(rule: string): (typeof CEL_BREAKERS)[string] | undefined {
  if (rule.startsWith(APPLY_RULE_PREFIX)) return { breaks: (self) => Object.assign(self, { mode: 'Apply', patch: { containerConcurrency: false } }) };
  return CEL_BREAKERS[rule];
}

// ---- walking a schema ----

function formatField(path: readonly Segment[]): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function valueAt(root: Json, path: readonly Segment[]): Json | undefined {
  let node: Json | undefined = root;
  for (const s of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, Json>)[s as string];
  }
  return node;
}

/** A copy of `root` with `path` set to `value` (`undefined`: removed). */
function withValue(root: Json, path: readonly Segment[], value: Json | undefined): Json {
  const copy = structuredClone(root);
  if (path.length === 0) return value as Json;
  const parent = valueAt(copy, path.slice(0, -1)) as Record<string, Json>;
  const key = path.at(-1) as string;
  if (value === undefined) delete parent[key];
  else parent[key] = value;
  return JSON.parse(JSON.stringify(copy)) as Json; // drops keys a breaker set to undefined
}

interface Walk {
  violations: Violation[];
  /** Rules no base object reaches (a base is missing an optional field) or no breaker knows. */
  uncovered: string[];
}

/** Every rule under `schema` (the schema of `part`), broken one at a time in the first base that reaches it. */
function violationsOf(schema: SchemaNode, part: 'spec' | 'status', bases: readonly Json[]): Walk {
  const walk: Walk = { violations: [], uncovered: [] };
  const visit = (node: SchemaNode, path: Segment[]) => {
    const where = formatField([part, ...path]);
    const base = bases.find((b) => valueAt(b, path) !== undefined);
    const rules = rulesOf(node, path);
    if (base === undefined) {
      if (rules.length > 0) walk.uncovered.push(`${where}: no base object has a value here (${rules.map((r) => r.rule).join(', ')})`);
    } else {
      for (const r of rules) {
        if (r.value === 'uncovered') walk.uncovered.push(`${where}: ${r.rule} has no breaker`);
        else walk.violations.push({ rule: r.rule, field: formatField([part, ...path, ...r.fieldPath]), message: r.message, part, value: r.value(base), ...(r.update ? { update: true } : {}) });
      }
    }
    for (const [name, child] of Object.entries((node['properties'] ?? {}) as Record<string, SchemaNode>)) visit(child, [...path, name]);
    if (node['items'] !== undefined) visit(node['items'] as SchemaNode, [...path, 0]);
    if (typeof node['additionalProperties'] === 'object') {
      const sample = valueAt(base ?? {}, path);
      const key = sample !== null && typeof sample === 'object' ? Object.keys(sample)[0] : undefined;
      if (key !== undefined) visit(node['additionalProperties'] as SchemaNode, [...path, key]);
      else if (rulesOf(node['additionalProperties'] as SchemaNode, path).length > 0) walk.uncovered.push(`${where}: no base object has an entry in this map`);
    }
  };
  visit(schema, []);
  return walk;
}

interface FoundRule {
  rule: string;
  fieldPath: Segment[];
  message: RegExp;
  value: ((base: Json) => Json) | 'uncovered';
  update?: boolean;
}

const escape = (text: string) => new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

/** The rules one schema node carries, each with its violation. */
function rulesOf(node: SchemaNode, path: Segment[]): FoundRule[] {
  const set = (value: Json | undefined) => (base: Json) => withValue(base, path, value);
  const rules: FoundRule[] = [];
  const num = (key: string) => node[key] as number;
  if (node['minimum'] !== undefined) {
    const exclusive = node['exclusiveMinimum'] === true;
    rules.push({ rule: `minimum ${num('minimum')}${exclusive ? ' (exclusive)' : ''}`, fieldPath: [], message: exclusive ? /should be greater than \d/ : /should be greater than or equal to/, value: set(exclusive ? num('minimum') : num('minimum') - 1) });
  }
  if (node['maximum'] !== undefined) rules.push({ rule: `maximum ${num('maximum')}`, fieldPath: [], message: /should be less than or equal to/, value: set(num('maximum') + 1) });
  if (Array.isArray(node['enum'])) rules.push({ rule: `enum ${(node['enum'] as string[]).join('|')}`, fieldPath: [], message: /Unsupported value: "NotAnOption"/, value: set('NotAnOption') });
  if (node['maxLength'] !== undefined) rules.push({ rule: `maxLength ${num('maxLength')}`, fieldPath: [], message: /Too long: may not be (longer|more) than/, value: set('a'.repeat(num('maxLength') + 1)) });
  if (node['minLength'] !== undefined) rules.push({ rule: `minLength ${num('minLength')}`, fieldPath: [], message: /should be at least \d+ chars long/, value: set('') });
  if (node['pattern'] !== undefined) rules.push({ rule: `pattern ${String(node['pattern'])}`, fieldPath: [], message: /should match/, value: set('-') });
  if (node['format'] === 'date-time') rules.push({ rule: 'format date-time', fieldPath: [], message: /must be of type date-time|should match|Invalid value/, value: set('yesterday') });
  if (node['format'] === 'uri') rules.push({ rule: 'format uri', fieldPath: [], message: /must be of type uri|Invalid value/, value: set('not a uri') });
  if (node['maxItems'] !== undefined) {
    rules.push({ rule: `maxItems ${num('maxItems')}`, fieldPath: [], message: /Too many: \d+: must have at most \d+ items/, value: (base) => withValue(base, path, overfull(valueAt(base, path) as Json[], num('maxItems') + 1, node)) });
  }
  if (node['minItems'] !== undefined) rules.push({ rule: `minItems ${num('minItems')}`, fieldPath: [], message: /should have at least \d+ items/, value: set([]) });
  for (const field of (node['required'] ?? []) as string[]) rules.push({ rule: `required ${field}`, fieldPath: [field], message: /Required value/, value: (base) => withValue(base, [...path, field], undefined) });
  for (const cel of (node['x-kubernetes-validations'] ?? []) as Array<{ rule: string; message: string; fieldPath?: string }>) {
    const breaker = breakerFor(cel.rule);
    const fieldPath = (cel.fieldPath ?? '').split('.').filter((s) => s !== '');
    if (breaker === undefined) rules.push({ rule: `CEL ${cel.rule}`, fieldPath, message: /./, value: 'uncovered' });
    else {
      const value = (base: Json) => {
        const self = structuredClone(valueAt(base, path)) as Record<string, Json>;
        breaker.breaks(self);
        return withValue(base, path, self);
      };
      rules.push({ rule: `CEL ${cel.rule}`, fieldPath, message: escape(cel.message), value, ...(breaker.transition ? { update: true } : {}) });
    }
  }
  return rules;
}

/** `count` items for a list: distinct keys for list maps and sets, so only the size rule is broken. */
function overfull(items: Json[], count: number, node: SchemaNode): Json[] {
  const first = items[0] as Json;
  const keys = (node['x-kubernetes-list-map-keys'] ?? []) as string[];
  return Array.from({ length: count }, (_, i) => {
    if (keys.length > 0) {
      const item = structuredClone(first) as Record<string, Json>;
      for (const key of keys) item[key] = typeof item[key] === 'string' ? `${item[key] as string}${i}` : i;
      return item;
    }
    return node['x-kubernetes-list-type'] === 'set' && typeof first === 'string' ? `${first}-${i}` : structuredClone(first);
  });
}

// ---- sending them ----

interface Kind {
  kind: string;
  plural: string;
  schema: SchemaNode;
  specs: Json[];
  statuses: Json[];
}

const KINDS: Kind[] = [
  { kind: 'TuningPolicy', plural: 'tuningpolicies', schema: crdSchema('pytuner.dev_tuningpolicies.yaml'), specs: POLICY_SPECS, statuses: POLICY_STATUSES },
  { kind: 'TuningRecommendation', plural: 'tuningrecommendations', schema: crdSchema('pytuner.dev_tuningrecommendations.yaml'), specs: RECOMMENDATION_SPECS, statuses: RECOMMENDATION_STATUSES },
];

function violationsOfKind(k: Kind): Walk {
  const properties = k.schema['properties'] as Record<string, SchemaNode>;
  const spec = violationsOf(properties['spec'] as SchemaNode, 'spec', k.specs);
  const status = violationsOf(properties['status'] as SchemaNode, 'status', k.statuses);
  return { violations: [...spec.violations, ...status.violations], uncovered: [...spec.uncovered, ...status.uncovered] };
}

let namespace: string;
beforeAll(async () => {
  namespace = await uniqueNamespace('crd-rules');
});

/** How a kind's status is written: through the status subresource (TuningPolicy) or with the object (TuningRecommendation). */
function writeStatus(k: Kind): typeof custom.patchNamespacedCustomObject {
  return k.kind === 'TuningPolicy' ? custom.patchNamespacedCustomObjectStatus.bind(custom) : custom.patchNamespacedCustomObject.bind(custom);
}

/** The causes the API server gives for one violation, as `field: message`. */
async function refusalOf(k: Kind, v: Violation, name: string): Promise<{ httpStatus: number; causes: string[] }> {
  const params = { ...GROUP, plural: k.plural, namespace };
  const base = { apiVersion: 'pytuner.dev/v1alpha1', kind: k.kind };
  let request: Promise<unknown>;
  if (v.part === 'spec' && v.update !== true) {
    request = custom.createNamespacedCustomObject({ ...params, body: { ...base, metadata: { name: `${name}-${Math.random().toString(36).slice(2, 8)}` }, spec: v.value }, dryRun: 'All' });
  } else if (v.part === 'spec') {
    request = custom.patchNamespacedCustomObject({ ...params, name, body: { spec: v.value }, dryRun: 'All' }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  } else {
    // A JSON patch replaces status whole, so no field of the valid status lingers next to the broken one.
    request = writeStatus(k)({ ...params, name, body: [{ op: 'add', path: '/status', value: v.value }], dryRun: 'All' }, setHeaderOptions('Content-Type', PatchStrategy.JsonPatch));
  }
  const status = await apiFailure(request);
  return { httpStatus: status.httpStatus, causes: (status.details?.causes ?? []).map((c) => `${c.field}: ${c.message}`) };
}

describe.each(KINDS)('$kind CRD: every schema and CEL rule, broken on the real API server', (k) => {
  const walk = violationsOfKind(k);

  it('has a valid object reaching every rule, and an example for every CEL rule', async () => {
    expect(walk.uncovered).toEqual([]);
    expect(walk.violations.length).toBeGreaterThan(k.kind === 'TuningPolicy' ? 40 : 60);
    // The bases themselves are valid: created for real, their statuses written; the other tests change these objects.
    for (const [i, spec] of k.specs.entries()) {
      await custom.createNamespacedCustomObject({ ...GROUP, plural: k.plural, namespace, body: { apiVersion: 'pytuner.dev/v1alpha1', kind: k.kind, metadata: { name: `valid-${i}` }, spec }, fieldValidation: 'Strict' });
    }
    for (const status of k.statuses) {
      await writeStatus(k)({ ...GROUP, plural: k.plural, namespace, name: 'valid-0', body: [{ op: 'add', path: '/status', value: status }], fieldValidation: 'Strict' }, setHeaderOptions('Content-Type', PatchStrategy.JsonPatch));
    }
  });

  it('refuses each violation with 422 and a cause naming its field', async () => {
    const failures: string[] = [];
    // A few at a time: the API server is shared with the other test files.
    for (let i = 0; i < walk.violations.length; i += 8) {
      await Promise.all(
        walk.violations.slice(i, i + 8).map(async (v) => {
          const refusal = await refusalOf(k, v, 'valid-0').catch((error: unknown) => ({ httpStatus: 0, causes: [`accepted or failed otherwise: ${String(error)}`] }));
          const named = refusal.causes.some((c) => c.startsWith(`${v.field}: `) && v.message.test(c));
          if (refusal.httpStatus !== 422 || !named) failures.push(`${v.rule} on ${v.field}: HTTP ${refusal.httpStatus}, causes ${JSON.stringify(refusal.causes)}`);
        }),
      );
    }
    expect(failures).toEqual([]);
  });
});

describe('TuningRecommendation status ownership', () => {
  it('is one field in managedFields (x-kubernetes-map-type: atomic), not one entry per leaf', async () => {
    const body = { apiVersion: 'pytuner.dev/v1alpha1', kind: 'TuningRecommendation', metadata: { name: 'atomic-status' }, spec: RECOMMENDATION_SPECS[0], status: RECOMMENDATION_STATUSES[0] };
    const created = (await custom.createNamespacedCustomObject({ ...GROUP, plural: 'tuningrecommendations', namespace, body, fieldManager: 'pytuner' })) as { metadata: { managedFields: Array<{ manager: string; fieldsV1: Record<string, unknown> }> }; status: unknown };
    expect(created.status).toEqual(RECOMMENDATION_STATUSES[0]);
    const entries = created.metadata.managedFields.filter((e) => e.manager === 'pytuner');
    expect(entries).toHaveLength(1);
    expect(entries[0]!.fieldsV1['f:status']).toEqual({});
  });
});
