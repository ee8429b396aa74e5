/**
 * @module CustomResourceDefinitions from the zod schemas: `z.toJSONSchema` (OpenAPI 3.0 flavour, input side so
 * defaulted fields are optional), post-processed into a Kubernetes structural schema, wrapped with names, printer
 * columns and, for TuningPolicy, the status subresource. Pure: scripts/gen-crds.ts writes the result to `crds/`, and a unit test
 * checks the committed files equal a fresh generation.
 * @see https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema
 */
import { dump } from 'js-yaml';
import { z } from 'zod';
import { GROUP, VERSION } from './v1alpha1/common.ts';
import { TUNING_POLICY_KIND, TUNING_POLICY_PLURAL, TuningPolicySpec, TuningPolicyStatus } from './v1alpha1/tuningPolicy.ts';
import { TUNING_RECOMMENDATION_KIND, TUNING_RECOMMENDATION_PLURAL, TuningRecommendationSpec, TuningRecommendationStatus } from './v1alpha1/tuningRecommendation.ts';

/** A JSON Schema / OpenAPI v3 node, as plain data. */
type SchemaNode = Record<string, unknown>;

/** One additionalPrinterColumns entry. */
interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description: string;
  priority?: number;
}

/** What differs between pytuner's CRDs. */
interface CrdDefinition {
  kind: string;
  plural: string;
  shortName: string;
  description: string;
  spec: z.ZodType;
  status: z.ZodType;
  specDescription: string;
  statusDescription: string;
  columns: PrinterColumn[];
  /**
   * Whether `status` is a subresource. TuningPolicy: yes, users write its spec and the controller its status. A
   * TuningRecommendation is the controller's alone, so its content under `status` is written with the object in one
   * request (README, "One write per changed recommendation").
   */
  statusSubresource: boolean;
}

const AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Time since creation.' };

const DEFINITIONS: readonly CrdDefinition[] = [
  {
    kind: TUNING_POLICY_KIND,
    plural: TUNING_POLICY_PLURAL,
    shortName: 'tp',
    description: 'TuningPolicy selects Knative Services and Deployments of its namespace for pytuner, and says whether pytuner only recommends or also patches, within which bounds and which fields.',
    spec: TuningPolicySpec,
    status: TuningPolicyStatus,
    specDescription: 'What the policy selects, whether pytuner only recommends or also patches, and within which bounds.',
    statusDescription: 'Written by the controller: how many workloads the policy selects, recommends for, patched, and its conditions.',
    statusSubresource: true,
    columns: [
      { name: 'Mode', type: 'string', jsonPath: '.spec.mode', description: 'Off, Recommend or Apply.' },
      { name: 'Targets', type: 'integer', jsonPath: '.status.targets', description: 'Workloads selected.' },
      { name: 'Applied', type: 'integer', jsonPath: '.status.applied', description: 'Workloads patched at least once.' },
      { name: 'Conflicts', type: 'integer', jsonPath: '.status.conflicts', description: 'Workloads with a change blocked by another field manager.', priority: 1 },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: 'Ready condition.', priority: 1 },
      AGE,
    ],
  },
  {
    kind: TUNING_RECOMMENDATION_KIND,
    plural: TUNING_RECOMMENDATION_PLURAL,
    shortName: 'trec',
    description: 'TuningRecommendation holds pytuner\'s findings and recommended values for one workload (which owns it), and what pytuner applied, when, and the values before.',
    spec: TuningRecommendationSpec,
    status: TuningRecommendationStatus,
    specDescription: 'The workload this recommendation is about and the policy that selected it (written by the controller).',
    statusDescription: 'Written by the controller: findings, recommended values with target, next step and bounds, what was applied and the values before.',
    statusSubresource: false,
    columns: [
      { name: 'Target', type: 'string', jsonPath: '.spec.targetRef.name', description: 'The workload.' },
      { name: 'Kind', type: 'string', jsonPath: '.spec.targetRef.kind', description: 'Service (Knative) or Deployment.', priority: 1 },
      // The recommended values, VPA-style: the target within the policy bounds (status.recommendations has next step,
      // bounds and the uncapped value of each).
      { name: 'Concurrency', type: 'integer', jsonPath: '.status.recommendations[?(@.setting=="containerConcurrency")].target', description: 'Recommended containerConcurrency (target within the policy bounds).' },
      { name: 'Threads', type: 'integer', jsonPath: '.status.recommendations[?(@.setting=="threads")].target', description: 'Recommended threads per worker (target).' },
      { name: 'Workers', type: 'integer', jsonPath: '.status.recommendations[?(@.setting=="workers")].target', description: 'Recommended worker processes (target).' },
      { name: 'Probe', type: 'string', jsonPath: '.status.recommendations[?(@.setting=="startupProbe")].startupProbe.httpGet.path', description: 'Path of the recommended httpGet startupProbe.' },
      { name: 'Basis', type: 'string', jsonPath: '.status.basis', description: 'rules (static) or metrics (measured load too).' },
      { name: 'Confidence', type: 'number', jsonPath: '.status.summary.confidence', description: 'Lowest confidence among the recommended values (1: facts read from the spec).' },
      { name: 'Findings', type: 'integer', jsonPath: '.status.summary.findings', description: 'Findings of every severity.' },
      { name: 'Critical', type: 'integer', jsonPath: '.status.summary.critical', description: 'Critical findings.', priority: 1 },
      { name: 'Applied', type: 'date', jsonPath: '.status.applied.at', description: 'When pytuner last patched the workload.' },
      { name: 'Drifting', type: 'string', jsonPath: '.status.conditions[?(@.type=="Drifting")].status', description: 'True while another field manager set back a value pytuner wrote (status.drift).', priority: 1 },
      { name: 'Policy', type: 'string', jsonPath: '.spec.policy', description: 'The TuningPolicy.', priority: 1 },
      AGE,
    ],
  },
];

/** zod's bounds for z.int() without explicit bounds: noise in a CRD (Kubernetes integers are int64). */
const SAFE_INTEGER_BOUNDS = new Set([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]);

/**
 * structural rewrites one zod JSON Schema node (recursively) into what a Kubernetes structural schema accepts:
 * int-or-string unions become `x-kubernetes-int-or-string`, zod's safe-integer bounds and the regex it adds to
 * `date-time` strings go (the API server checks the format), and `propertyNames`/`additionalProperties: false`
 * (not allowed in a structural schema) are dropped.
 */
export function structural(node: SchemaNode): SchemaNode {
  if (isIntOrString(node)) return withoutUndefined({ 'x-kubernetes-int-or-string': true, description: node.description, default: node.default });
  if (Array.isArray(node.anyOf) || Array.isArray(node.oneOf) || Array.isArray(node.allOf) || node.$ref !== undefined) {
    throw new Error(`unsupported schema construct for a structural CRD schema: ${JSON.stringify(node).slice(0, 200)}`);
  }
  const out: SchemaNode = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema' || key === 'propertyNames') continue;
    if (key === 'additionalProperties' && value === false) continue;
    if ((key === 'minimum' || key === 'maximum') && SAFE_INTEGER_BOUNDS.has(value as number)) continue;
    if (key === 'pattern' && node.format === 'date-time') continue;
    if (key === 'properties') out[key] = Object.fromEntries(Object.entries(value as Record<string, SchemaNode>).map(([k, v]) => [k, structural(v)]));
    else if (key === 'items' || (key === 'additionalProperties' && typeof value === 'object')) out[key] = structural(value as SchemaNode);
    else out[key] = value;
  }
  return out;
}

function isIntOrString(node: SchemaNode): boolean {
  const variants = node.anyOf;
  if (!Array.isArray(variants) || variants.length !== 2) return false;
  const types = variants.map((v: SchemaNode) => v.type).sort();
  return types[0] === 'integer' && types[1] === 'string';
}

function withoutUndefined(node: SchemaNode): SchemaNode {
  return Object.fromEntries(Object.entries(node).filter(([, v]) => v !== undefined));
}

/** The structural schema of one zod type (input side: fields with defaults are optional and carry `default`). */
export function schemaOf(type: z.ZodType): SchemaNode {
  return structural(z.toJSONSchema(type, { io: 'input', target: 'openapi-3.0' }) as SchemaNode);
}

/** The CustomResourceDefinition object for one of pytuner's kinds. */
function crdObject(def: CrdDefinition): SchemaNode {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${def.plural}.${GROUP}`, labels: { 'app.kubernetes.io/name': 'pytuner', 'app.kubernetes.io/part-of': 'pytuner' } },
    spec: {
      group: GROUP,
      names: { kind: def.kind, listKind: `${def.kind}List`, plural: def.plural, singular: def.kind.toLowerCase(), shortNames: [def.shortName], categories: ['pytuner'] },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          ...(def.statusSubresource ? { subresources: { status: {} } } : {}),
          additionalPrinterColumns: def.columns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: def.description,
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
                kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
                // The API server refuses anything but `type` here (metadata is implicitly specified).
                metadata: { type: 'object' },
                spec: { ...schemaOf(def.spec), description: def.specDescription },
                status: { ...schemaOf(def.status), description: def.statusDescription },
              },
            },
          },
        },
      ],
    },
  };
}

const HEADER = '# Generated by scripts/gen-crds.ts from the zod schemas in src/api/v1alpha1. DO NOT EDIT: run `npm run gen:crds`.\n';

/** Every CRD file pytuner ships: file name (under `crds/`) → YAML text. */
export function generateCrdFiles(): Map<string, string> {
  return new Map(DEFINITIONS.map((def) => [`${GROUP}_${def.plural}.yaml`, HEADER + dump(crdObject(def), { lineWidth: -1, noRefs: true })]));
}
