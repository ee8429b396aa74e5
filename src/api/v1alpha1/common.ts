/**
 * @module Building blocks shared by pytuner's custom resources (group `pytuner.dev`, version `v1alpha1`): durations,
 * label selectors, metav1.Condition and the Kubernetes list annotations the CRD generator reads from zod metadata.
 * These zod schemas are the single source of the TypeScript types and of `crds/*.yaml` (scripts/gen-crds.ts).
 */
import { z } from 'zod';
import { DURATION_EXAMPLES, DURATION_PATTERN } from '../../parse/duration.ts';

/** API group of pytuner's custom resources. */
export const GROUP = 'pytuner.dev';
/** The only served and stored version. */
export const VERSION = 'v1alpha1';
/** `apiVersion` of pytuner's custom resources. */
export const API_VERSION = `${GROUP}/${VERSION}`;

/** Field manager of every write pytuner makes (server-side apply and JSON patches alike). */
export const FIELD_MANAGER = 'pytuner';

export { parseDuration } from '../../parse/duration.ts';

/** A duration string (see DURATION_PATTERN). */
export const Duration = z.string().max(32).regex(DURATION_PATTERN, DURATION_EXAMPLES);

/** Kubernetes `x-kubernetes-list-type: map` keyed by `keys`, as zod metadata for the CRD generator. */
export function listMap(...keys: string[]): Record<string, unknown> {
  return { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': keys };
}

/** Kubernetes `x-kubernetes-list-type: set` (scalars, no duplicates), as zod metadata for the CRD generator. */
export const LIST_SET = { 'x-kubernetes-list-type': 'set' } as const;

/**
 * Kubernetes `x-kubernetes-map-type: atomic` (an object owned whole by one field manager), as zod metadata for the
 * CRD generator. On an object only pytuner writes, and always whole, it keeps `managedFields` to one entry for the
 * object instead of one per leaf, which the API server otherwise builds, stores and sends with every write.
 */
export const MAP_ATOMIC = { 'x-kubernetes-map-type': 'atomic' } as const;

/** One CEL validation rule (`x-kubernetes-validations` entry). `fieldPath` names the field a failure is reported on. */
export interface CelRule {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/** CEL rules as zod metadata for the CRD generator. */
export function cel(...rules: CelRule[]): Record<string, unknown> {
  return { 'x-kubernetes-validations': rules };
}

/** A CEL rule and the same check in TypeScript: `holds` must accept exactly what `rule` accepts. */
export interface CheckedRule<T> extends CelRule {
  holds: (self: T) => boolean;
}

/**
 * withRules attaches CEL rules to a schema twice over: as `x-kubernetes-validations` for the API server, and as zod
 * refinements with the same messages on the same field, so an object that never passed admission (written before a
 * CRD upgrade, read from a file, or from an API server without the CRD's rules) fails `safeParse` instead of reaching
 * the actuator. zod runs the refinements only when the fields themselves are valid, as the API server runs CEL only
 * on a schema-valid object.
 */
export function withRules<S extends z.ZodType>(schema: S, ...rules: CheckedRule<z.output<S>>[]): S {
  const refined = schema.superRefine((self, ctx) => {
    for (const { holds, message, fieldPath } of rules) {
      if (!holds(self)) ctx.addIssue({ code: 'custom', message, path: fieldPathSegments(fieldPath) });
    }
  });
  return refined.meta(cel(...rules.map(({ holds: _holds, ...rule }) => rule))) as S;
}

/** `.patch` or `.bounds.min` (a CEL rule's fieldPath, relative to the object) → zod path segments. */
function fieldPathSegments(fieldPath: string | undefined): string[] {
  return fieldPath === undefined ? [] : fieldPath.split('.').filter((segment) => segment !== '');
}

/** A label selector requirement (metav1.LabelSelectorRequirement). */
export const LabelSelectorRequirement = withRules(
  z.object({
    key: z.string().min(1).max(317).describe('The label key the selector applies to.'),
    operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']).describe('How the key relates to the values.'),
    values: z.array(z.string().max(63)).max(64).optional().describe('Values for In and NotIn; must be empty for Exists and DoesNotExist.'),
  }),
  {
    rule: "self.operator in ['In', 'NotIn'] ? has(self.values) && size(self.values) > 0 : !has(self.values) || size(self.values) == 0",
    message: 'In and NotIn need values; Exists and DoesNotExist take none',
    holds: (self) => (self.operator === 'In' || self.operator === 'NotIn' ? (self.values?.length ?? 0) > 0 : (self.values?.length ?? 0) === 0),
  },
);

/** A label selector requirement (metav1.LabelSelectorRequirement). */
export type LabelSelectorRequirement = z.infer<typeof LabelSelectorRequirement>;

/** Object label matchers, as in metav1.LabelSelector. */
export interface LabelMatchers {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** labelsMatch tells whether `labels` satisfy a label selector; an empty selector matches everything (as in Kubernetes). */
export function labelsMatch(selector: LabelMatchers, labels: Readonly<Record<string, string>>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  return (selector.matchExpressions ?? []).every((req) => requirementMatches(req, labels));
}

function requirementMatches(req: LabelSelectorRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, req.key);
  const value = labels[req.key];
  switch (req.operator) {
    case 'In':
      return has && (req.values ?? []).includes(value as string);
    case 'NotIn':
      return !has || !(req.values ?? []).includes(value as string);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
  }
}

/** The label-selector string form (`app=api,tier in (web,edge),!canary`) for list/watch `labelSelector` parameters. */
export function labelSelectorString(selector: LabelMatchers): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const req of selector.matchExpressions ?? []) {
    const values = (req.values ?? []).join(',');
    if (req.operator === 'In') parts.push(`${req.key} in (${values})`);
    else if (req.operator === 'NotIn') parts.push(`${req.key} notin (${values})`);
    else if (req.operator === 'Exists') parts.push(req.key);
    else parts.push(`!${req.key}`);
  }
  return parts.join(',');
}

/** Condition status, as in metav1.Condition. */
export const ConditionStatus = z.enum(['True', 'False', 'Unknown']);
/** Condition status, as in metav1.Condition. */
export type ConditionStatus = z.infer<typeof ConditionStatus>;

/** A status condition with the shape and limits of metav1.Condition, so `kubectl wait --for=condition=Ready` works. */
export const Condition = z.object({
  type: z.string().min(1).max(316).describe('CamelCase condition type, e.g. Ready.'),
  status: ConditionStatus.describe('True, False or Unknown.'),
  observedGeneration: z.int().min(0).optional().describe('metadata.generation the condition was set for.'),
  lastTransitionTime: z.iso.datetime().describe('When status last changed (RFC 3339).'),
  reason: z.string().min(1).max(1024).regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/).describe('CamelCase reason for the last transition.'),
  message: z.string().max(32768).describe('Human-readable details.'),
});
/** A status condition with the shape and limits of metav1.Condition. */
export type Condition = z.infer<typeof Condition>;

/** Conditions keyed by type (a list map, so server-side apply merges them by type). */
export const Conditions = z.array(Condition).max(16).meta(listMap('type'));

/**
 * setCondition returns `conditions` with `next` in place of the condition of the same type. `lastTransitionTime`
 * moves only when the status changes (metav1 convention), so rewriting an unchanged condition is a no-op.
 */
export function setCondition(conditions: readonly Condition[], next: Omit<Condition, 'lastTransitionTime'>, now: Date): Condition[] {
  const old = conditions.find((c) => c.type === next.type);
  const lastTransitionTime = old !== undefined && old.status === next.status ? old.lastTransitionTime : toRfc3339(now);
  const updated: Condition = { ...next, lastTransitionTime };
  return old === undefined ? [...conditions, updated] : conditions.map((c) => (c.type === next.type ? updated : c));
}

/** RFC 3339 in UTC with second precision, the form the API server stores for metav1.Time. */
export function toRfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
