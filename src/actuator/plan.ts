/**
 * @module The actuator's decision, as a pure function: a TuningRecommendation's recommended values + the TuningPolicy
 * + the live workload (with its managedFields) + `now` → a Plan (write nothing, with a reason; or these changes, as
 * these writes). It never computes a recommended number: it copies the recommender's value and only limits it
 * (policy bounds; one x2 or /2 step per reconcile for an estimate from measured load, while a fact read from the spec
 * goes to its target at once) and gates estimates on the policy's `spec.minConfidence`. The I/O is in apply.ts.
 *
 * Writes (evidence: test/integration/actuator.test.ts, actuator-fix.test.ts): the plan decides values, not ops. The
 * workload's changes are one RFC 6902 JSON Patch rendered by the Kubernetes-object renderer
 * (src/render/kubernetesObject.ts), the same ops the report prints, `--fix` applies and `status.fix` carries for the
 * same values. Around them the actuator adds only its own guards:
 * - readiness, cooldown, pause, `spec.patch`, `spec.minConfidence`, bounds and the step limit (which may make the
 *   value differ from the report's, and then the ops differ by that value only);
 * - field ownership, read from managedFields: a value another manager declared is changed only when the policy
 *   forces; a field the workload does not have (an env var, a startupProbe) was declared by nobody and is added
 *   without force, even inside Knative's atomic `containers` list. A JSON Patch is an Update: the API server records
 *   pytuner as owning what it changed, and any change inside the atomic list as owning all of `containers`, which
 *   would make the deploy tool's next non-forced apply fail with 409; the actuator gives the list back to the managers
 *   that owned it (`handBack`, apply.ts), so pytuner never owns it. (Server-side apply is no way round: an apply that
 *   names one env entry owns, and replaces, the whole atomic list, dropping `image`.)
 * - the resourceVersion read, as the patch's first op: if anyone wrote the object since, the API server answers 409
 *   instead of applying index-addressed ops, and ownership read, to an object that changed;
 * - what pytuner does not replace: an env var read from a Secret or ConfigMap, a startupProbe already set, and a
 *   field whose last write another manager set back (flap detection, src/controller/drift.ts).
 * A profiler role grant is an IAMPolicyMember object, server-side applied whole under field manager `pytuner`.
 */
import { MEASURED_CONFIDENCE, STATIC_CONFIDENCE } from '../model/change.ts';
import type { JsonPatchOp } from '../model/finding.ts';
import { FIELD_MANAGER, parseDuration } from '../api/v1alpha1/common.ts';
import { type Bounds, type PatchPermissions, type Patchable, type TuningPolicySpec } from '../api/v1alpha1/tuningPolicy.ts';
import { recommendedText, type AppliedChange, type DriftRecord, type FieldConflict, type RecommendedPolicyMember, type RecommendedProbe, type RecommendedValue, type Setting, type TuningRecommendationStatus } from '../api/v1alpha1/tuningRecommendation.ts';
import type { Workload } from '../model/workload.ts';
import { buildInventory } from '../model/extract/inventory.ts';
import { apiObjectDocument } from '../parse/apiObject.ts';
import { renderObjectPatch, type ObjectValue } from '../render/kubernetesObject.ts';
import { field, fieldOwners, named, ownsPath, type ManagedFieldsEntry, type PathSegment } from './managedFields.ts';

/** Annotation on a workload (or on its TuningPolicy) that stops every patch while it is `"true"`. */
export const PAUSE_ANNOTATION = 'pytuner.dev/paused';

/** The live workload as read from the API server or an informer cache (raw object: Knative Services are custom resources). */
export interface LiveWorkload {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    annotations?: Record<string, string>;
    managedFields?: ManagedFieldsEntry[];
  };
  spec?: unknown;
  status?: unknown;
}

/** The policy fields the plan reads. */
export interface PlanPolicy {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: Pick<TuningPolicySpec, 'mode' | 'bounds' | 'cooldown' | 'patch' | 'force'> & Partial<Pick<TuningPolicySpec, 'minConfidence'>>;
}

/** Everything planActuation decides from; nothing else (no clock, no client). */
export interface PlanInput {
  policy: PlanPolicy;
  /** The TuningRecommendation's status: `recommendations` to apply, `applied.at` for the cooldown, `conflicts` already reported. */
  recommendation: TuningRecommendationStatus | undefined;
  live: LiveWorkload;
  now: Date;
}

/** A reference to the object an Event or a write is about. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
}

/** A change the plan makes: AppliedChange plus how the value was limited. */
export interface PlannedChange extends AppliedChange {
  /** The recommender's value, before bounds and the step limit. */
  recommended: string;
  /** Set when the written value differs from the recommended one: `bounds` (policy) or `step` (x2 or /2 per reconcile). */
  limitedBy?: 'bounds' | 'step';
}

/** Why a recommended value is not part of the plan. */
export type SkipReason =
  | 'not-allowed' // the policy's spec.patch does not allow the setting
  | 'not-applicable' // e.g. containerConcurrency on a Deployment
  | 'up-to-date' // the live value already equals the value to write
  | 'container-missing' // the recommendation names a container the workload does not have
  | 'value-from' // the env var is read from a Secret or ConfigMap: pytuner does not replace references
  | 'unparseable' // the live value is not an integer, so no step can be taken from it
  | 'probe-exists' // pytuner adds a startup probe only where none is set
  | 'low-confidence' // an estimate from measured load below the policy's spec.minConfidence
  | 'drifting'; // another manager set back pytuner's last write of this field, and the recommendation is the same

/** A recommended value left out of the plan, with the reason. */
export interface SkippedChange {
  setting: Setting;
  rule: string;
  reason: SkipReason;
  message: string;
}

/** One write to the API server. `changes` are the plan's changes this write carries. */
export type PlannedWrite =
  | {
      method: 'server-side-apply';
      target: ObjectRef;
      /** The apply configuration: apiVersion, kind, metadata name/namespace and only the fields pytuner manages. */
      object: Record<string, unknown>;
      force: boolean;
      changes: PlannedChange[];
    }
  | {
      method: 'json-patch';
      target: ObjectRef;
      /** RFC 6902 operations: the resourceVersion read (a precondition: 409 if stale), then the rendered ops (`test` guards first). */
      ops: JsonPatchOp[];
      changes: PlannedChange[];
      /**
       * The managedFields entries (as read) of the managers that own Knative's atomic `containers` list: the actuator
       * gives the list back to them after the patch (managedFields.ts handBackOwnership), so pytuner never owns it.
       */
      handBack?: ManagedFieldsEntry[];
    };

/** An Event the actuator publishes about the workload. `onlyIfWritten`: published only when every write succeeded. */
export interface PlannedEvent {
  type: 'Normal' | 'Warning';
  reason: 'TuningApplied' | 'TuningConflict' | 'TuningDrift';
  action: 'Patch' | 'Skip' | 'Recommend' | 'Hold';
  note: string;
  regarding: ObjectRef;
  onlyIfWritten: boolean;
}

/** Why nothing is written. */
export type NoActuationReason =
  | 'mode-off'
  | 'mode-recommend'
  | 'paused'
  | 'no-recommendations'
  | 'cooldown'
  | 'not-ready' // a Knative Service whose Ready condition is not True, or whose latest generation is not observed yet
  | 'rollout-in-progress' // a Deployment whose rollout has not finished
  | 'conflict' // every change is blocked by another field manager
  | 'nothing-to-do'; // every recommended value is up to date, not allowed, or not applicable

/** Nothing to write. `retryAfterMs`: when the answer may change by itself (end of the cooldown). */
export interface NoActuation {
  kind: 'none';
  reason: NoActuationReason;
  message: string;
  retryAfterMs?: number;
  conflicts: FieldConflict[];
  skipped: SkippedChange[];
  events: PlannedEvent[];
}

/** Changes to write, grouped into writes (in order), with what was left out and the Events to publish. */
export interface Actuation {
  kind: 'apply';
  changes: PlannedChange[];
  writes: PlannedWrite[];
  conflicts: FieldConflict[];
  skipped: SkippedChange[];
  events: PlannedEvent[];
}

/** The actuator's decision for one workload. */
export type Plan = NoActuation | Actuation;

/** Which `spec.patch` permission allows each setting. */
export const PERMISSION_OF: Readonly<Record<Setting, Patchable>> = {
  containerConcurrency: 'containerConcurrency',
  threads: 'threadsEnv',
  workers: 'workers',
  startupProbe: 'startupProbe',
  profilerIamPolicyMember: 'profilerIamPolicyMember',
};

/** Readiness of the workload for a patch. */
export type Readiness = { ready: true } | { ready: false; reason: 'not-ready' | 'rollout-in-progress'; message: string };

/**
 * planActuation decides what the actuator writes for one workload. Checks run in this order and the first that
 * stops wins: mode, pause annotation, recommendations present, cooldown, workload readiness; then each recommended
 * value is checked against `spec.patch`, `spec.minConfidence`, the live value, bounds, the step limit and field ownership.
 */
export function planActuation(input: PlanInput): Plan {
  const { policy, recommendation, live, now } = input;
  const none = (reason: NoActuationReason, message: string, extra: Partial<NoActuation> = {}): NoActuation => ({
    kind: 'none',
    reason,
    message,
    conflicts: [],
    skipped: [],
    events: [],
    ...extra,
  });

  if (policy.spec.mode === 'Off') return none('mode-off', `TuningPolicy ${policy.metadata.name} is Off`);
  if (policy.spec.mode === 'Recommend') return none('mode-recommend', `TuningPolicy ${policy.metadata.name} only recommends`);
  const paused = pausedBy(policy, live);
  if (paused !== undefined) return none('paused', `${paused} has ${PAUSE_ANNOTATION}: "true"`);
  const values = recommendation?.recommendations ?? [];
  if (values.length === 0) return none('no-recommendations', 'no recommended values to apply');
  const cooldownLeft = cooldownRemainingMs(policy.spec.cooldown, recommendation?.applied?.at, now);
  if (cooldownLeft > 0) {
    return none('cooldown', `last patch at ${recommendation?.applied?.at}; cooldown ${policy.spec.cooldown} ends in ${Math.ceil(cooldownLeft / 1000)} s`, { retryAfterMs: cooldownLeft });
  }
  const readiness = targetReadiness(live);
  if (!readiness.ready) return none(readiness.reason, readiness.message);

  const decided = values.map((value) => decide(value, policy, live, recommendation?.drift ?? []));
  const changes = decided.flatMap((d) => (d.kind === 'change' ? [d.change] : []));
  const conflicts = decided.flatMap((d) => (d.kind === 'conflict' ? [d.conflict] : []));
  const skipped = decided.flatMap((d) => (d.kind === 'skip' ? [d.skip] : []));
  const regarding = refOf(live);
  const conflictEvents = newConflictEvents(conflicts, recommendation?.conflicts ?? [], policy, regarding);

  if (changes.length === 0) {
    if (conflicts.length > 0) {
      return none('conflict', conflicts.map((c) => `${c.field} is managed by ${c.manager}`).join('; '), { conflicts, skipped, events: conflictEvents });
    }
    return none('nothing-to-do', skipped.map((s) => `${s.setting}: ${s.message}`).join('; ') || 'nothing to change', { skipped });
  }
  const writes = plannedWrites(decided, policy, live);
  if (writes === undefined) return none('nothing-to-do', `${live.kind} ${live.metadata.name}: its spec does not read as a workload, so no patch can be rendered for it`, { skipped });
  const applied: PlannedEvent = {
    type: 'Normal',
    reason: 'TuningApplied',
    action: 'Patch',
    note: truncate(changes.map(describeChange).join('; '), 1024),
    regarding,
    onlyIfWritten: true,
  };
  return { kind: 'apply', changes, writes, conflicts, skipped, events: [...conflictEvents, applied] };
}

/** Which object carries the pause annotation (the workload first), if any. */
function pausedBy(policy: PlanPolicy, live: LiveWorkload): string | undefined {
  if (live.metadata.annotations?.[PAUSE_ANNOTATION] === 'true') return `${live.kind} ${live.metadata.name}`;
  if (policy.metadata.annotations?.[PAUSE_ANNOTATION] === 'true') return `TuningPolicy ${policy.metadata.name}`;
  return undefined;
}

/**
 * cooldownRemainingMs is how long the workload must wait before its next patch: `cooldown` after `appliedAt`,
 * 0 when never applied. An unparseable cooldown (the CRD's pattern forbids it) counts as the 1 h default.
 */
export function cooldownRemainingMs(cooldown: string, appliedAt: string | undefined, now: Date): number {
  if (appliedAt === undefined) return 0;
  const at = Date.parse(appliedAt);
  if (Number.isNaN(at)) return 0;
  const cooldownMs = parseDuration(cooldown) ?? 3_600_000;
  return Math.max(0, at + cooldownMs - now.getTime());
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function conditionsOf(status: unknown): { type?: unknown; status?: unknown; message?: unknown }[] {
  return isRecord(status) && Array.isArray(status.conditions) ? (status.conditions as { type?: unknown }[]) : [];
}

/**
 * targetReadiness tells whether a workload may be patched now. A Knative Service must have observed its latest
 * generation and be Ready=True (otherwise a revision is still rolling out or failing). A Deployment must have
 * finished its rollout, with the checks `kubectl rollout status` makes (deployment_util.go DeploymentComplete).
 */
export function targetReadiness(live: LiveWorkload): Readiness {
  const status = isRecord(live.status) ? live.status : {};
  const generation = live.metadata.generation ?? 0;
  const observed = typeof status.observedGeneration === 'number' ? status.observedGeneration : 0;
  if (live.kind === 'Deployment') return deploymentReadiness(live, status, generation, observed);
  if (observed < generation) return { ready: false, reason: 'not-ready', message: `${live.kind} ${live.metadata.name}: generation ${generation} not observed yet (observedGeneration ${observed})` };
  const ready = conditionsOf(status).find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') {
    const why = typeof ready?.message === 'string' && ready.message !== '' ? `: ${ready.message}` : '';
    return { ready: false, reason: 'not-ready', message: `${live.kind} ${live.metadata.name} is not Ready (${String(ready?.status ?? 'no Ready condition')})${why}` };
  }
  return { ready: true };
}

function deploymentReadiness(live: LiveWorkload, status: Record<string, unknown>, generation: number, observed: number): Readiness {
  const spec = isRecord(live.spec) ? live.spec : {};
  const want = typeof spec.replicas === 'number' ? spec.replicas : 1;
  const count = (key: string) => (typeof status[key] === 'number' ? (status[key] as number) : 0);
  const rollout = (message: string): Readiness => ({ ready: false, reason: 'rollout-in-progress', message: `Deployment ${live.metadata.name}: ${message}` });
  if (observed < generation) return rollout(`generation ${generation} not observed yet (observedGeneration ${observed})`);
  if (count('updatedReplicas') < want) return rollout(`${count('updatedReplicas')} of ${want} replicas updated`);
  if (count('replicas') > count('updatedReplicas')) return rollout(`${count('replicas') - count('updatedReplicas')} old replicas pending termination`);
  if (count('availableReplicas') < want) return rollout(`${count('availableReplicas')} of ${want} updated replicas available`);
  return { ready: true };
}

/** The outcome for one recommended value. */
type Decision =
  | { kind: 'change'; change: PlannedChange; value: RecommendedValue; path: PathSegment[] }
  | { kind: 'conflict'; conflict: FieldConflict }
  | { kind: 'skip'; skip: SkippedChange };

/** Where a setting lives in the live object, and what it holds now. */
interface Location {
  field: string;
  path: PathSegment[];
  current: string | undefined;
}

function skip(value: RecommendedValue, reason: SkipReason, message: string): Decision {
  return { kind: 'skip', skip: { setting: value.setting, rule: value.rule, reason, message } };
}

function decide(value: RecommendedValue, policy: PlanPolicy, live: LiveWorkload, drift: readonly DriftRecord[]): Decision {
  const permission = PERMISSION_OF[value.setting];
  if (!allowed(policy.spec.patch, permission)) return skip(value, 'not-allowed', `spec.patch.${permission} is false in TuningPolicy ${policy.metadata.name}`);
  const unsure = belowMinConfidence(value, policy);
  if (unsure !== undefined) return unsure;
  if (value.setting === 'profilerIamPolicyMember') return decidePolicyMember(value);
  const located = locate(value, live);
  if ('skip' in located) return located.skip;
  // Flap guard (src/controller/drift.ts): the manager that set this field back would set it back again.
  const reverted = drift.find((r) => r.field === located.location.field && r.recommended === recommendedText(value));
  if (reverted !== undefined) {
    return skip(value, 'drifting', `${reverted.manager} set ${reverted.field} back from ${reverted.wrote} (${reverted.reverts}×); held until the recommendation changes`);
  }
  const target = valueToWrite(value, located.location, policy.spec.bounds);
  if ('skip' in target) return target.skip;
  if (target.to === located.location.current) return skip(value, 'up-to-date', `${located.location.field} is already ${target.to}`);
  const owners = fieldOwners(live.metadata.managedFields, located.location.path, FIELD_MANAGER);
  // A field the workload does not have was declared by nobody, even inside a list another manager owns whole
  // (Knative's atomic `containers`): adding it takes nothing from that manager, and the list goes back to it after
  // the patch. If the manager's next sync drops it, flap detection holds it (src/controller/drift.ts).
  const undeclared = live.kind === 'Service' && value.setting !== 'containerConcurrency' && located.location.current === undefined;
  if (owners.length > 0 && !policy.spec.force && !undeclared) {
    return { kind: 'conflict', conflict: { field: located.location.field, setting: value.setting, manager: owners[0] as string } };
  }
  const change: PlannedChange = { field: located.location.field, setting: value.setting, to: target.to, rule: value.rule, recommended: target.recommended };
  if (located.location.current !== undefined) change.from = located.location.current;
  if (target.limitedBy !== undefined) change.limitedBy = target.limitedBy;
  return { kind: 'change', change, value, path: located.location.path };
}

/**
 * The confidence gate: an estimate from measured load below `spec.minConfidence` (default medium) stays a
 * recommendation. A fact read from the spec (confidence 1) always passes.
 */
function belowMinConfidence(value: RecommendedValue, policy: PlanPolicy): Decision | undefined {
  const level = policy.spec.minConfidence ?? 'medium';
  if (value.confidence >= MEASURED_CONFIDENCE[level]) return undefined;
  return skip(value, 'low-confidence', `confidence ${value.confidence} is below spec.minConfidence ${level} (${MEASURED_CONFIDENCE[level]}) in TuningPolicy ${policy.metadata.name}`);
}

function allowed(patch: Partial<PatchPermissions> | undefined, permission: Patchable): boolean {
  return patch?.[permission] === true;
}

function decidePolicyMember(value: RecommendedValue): Decision {
  const member = value.iamPolicyMember as RecommendedPolicyMember; // the CRD's CEL rule requires it for this setting
  const to = `${member.member} ${member.role}`;
  return {
    kind: 'change',
    change: { field: `IAMPolicyMember/${member.name}`, setting: value.setting, to, rule: value.rule, recommended: to },
    value,
    path: [],
  };
}

const POD_SPEC: readonly PathSegment[] = [field('spec'), field('template'), field('spec')];
const POD_SPEC_FIELD = 'spec.template.spec';
/** Where Knative keeps its atomic containers list, as `f:` names (handBackOwnership) and as a path. */
export const CONTAINERS_FIELDS: readonly string[] = ['spec', 'template', 'spec', 'containers'];
const CONTAINERS_PATH: readonly PathSegment[] = CONTAINERS_FIELDS.map(field);

function podSpecOf(live: LiveWorkload): Record<string, unknown> | undefined {
  const template = isRecord(live.spec) ? live.spec.template : undefined;
  const spec = isRecord(template) ? template.spec : undefined;
  return isRecord(spec) ? spec : undefined;
}

function containersOf(live: LiveWorkload): Record<string, unknown>[] {
  const containers = podSpecOf(live)?.containers;
  return Array.isArray(containers) ? containers.filter(isRecord) : [];
}

/** Finds where a recommended value goes in the live object. */
function locate(value: RecommendedValue, live: LiveWorkload): { location: Location } | { skip: Decision } {
  if (value.setting === 'containerConcurrency') {
    if (live.kind !== 'Service') return { skip: skip(value, 'not-applicable', `containerConcurrency exists only on Knative Services, not on a ${live.kind}`) };
    const current = podSpecOf(live)?.containerConcurrency;
    return { location: { field: `${POD_SPEC_FIELD}.containerConcurrency`, path: [...POD_SPEC, field('containerConcurrency')], current: typeof current === 'number' ? String(current) : undefined } };
  }
  const name = value.container ?? '';
  const container = containersOf(live).find((c) => c.name === name);
  if (container === undefined) return { skip: skip(value, 'container-missing', `${live.kind} ${live.metadata.name} has no container ${name}`) };
  const containerPath = [...POD_SPEC, field('containers'), named(name)];
  const containerField = `${POD_SPEC_FIELD}.containers[name=${name}]`;
  if (value.setting === 'startupProbe') {
    if (container.startupProbe !== undefined) return { skip: skip(value, 'probe-exists', `container ${name} already has a startupProbe`) };
    return { location: { field: `${containerField}.startupProbe`, path: [...containerPath, field('startupProbe')], current: undefined } };
  }
  const env = value.env ?? '';
  const entry = (Array.isArray(container.env) ? container.env.filter(isRecord) : []).find((e) => e.name === env);
  if (entry?.valueFrom !== undefined) return { skip: skip(value, 'value-from', `${env} in container ${name} is read from a Secret or ConfigMap`) };
  return {
    location: {
      field: `${containerField}.env[name=${env}].value`,
      path: [...containerPath, field('env'), named(env), field('value')],
      current: typeof entry?.value === 'string' ? entry.value : undefined,
    },
  };
}

/** The value to write, as text, after bounds and the step limit; the startup probe is written as recommended. */
function valueToWrite(value: RecommendedValue, location: Location, bounds: Bounds | undefined): { to: string; recommended: string; limitedBy?: 'bounds' | 'step' } | { skip: Decision } {
  if (value.setting === 'startupProbe') {
    const text = JSON.stringify(value.startupProbe);
    return { to: text, recommended: text };
  }
  const recommended = value.value as number; // the CRD's CEL rule requires value for numeric settings
  let from: number | undefined;
  if (location.current !== undefined) {
    if (!/^\d+$/.test(location.current)) return { skip: skip(value, 'unparseable', `${location.field} is ${JSON.stringify(location.current)}, not an integer`) };
    from = Number(location.current);
  } else {
    from = value.current;
  }
  // The step limit damps estimates (a wrong one costs one step); a fact read from the spec ("gunicorn has 8 slots")
  // is not an estimate, so it goes to its target in one step, within the bounds.
  const stepFrom = value.confidence >= STATIC_CONFIDENCE ? undefined : from;
  const { to, limitedBy } = limit(recommended, stepFrom, boundsOf(value.setting, bounds));
  const result: { to: string; recommended: string; limitedBy?: 'bounds' | 'step' } = { to: String(to), recommended: String(recommended) };
  if (limitedBy !== undefined) result.limitedBy = limitedBy;
  return result;
}

/** Inclusive limits for a numeric setting from the policy's bounds (1 is the lowest a count of slots can be). */
export function boundsOf(setting: Setting, bounds: Bounds | undefined): { min: number; max: number } {
  switch (setting) {
    case 'containerConcurrency':
      return { min: bounds?.concurrency?.min ?? 1, max: bounds?.concurrency?.max ?? 1000 };
    case 'threads':
      return { min: 1, max: bounds?.threads?.max ?? Number.POSITIVE_INFINITY };
    case 'workers':
      return { min: 1, max: bounds?.workers?.max ?? Number.POSITIVE_INFINITY };
    default:
      return { min: 0, max: Number.POSITIVE_INFINITY };
  }
}

/**
 * limit keeps `recommended` within the policy bounds and, when there is a positive current value, within one step
 * of it: at most x2 up and /2 down per reconcile (VPA-style damping: a wrong estimate costs one step, not a cliff).
 * Bounds win over the step. 0 (Knative's "unlimited" containerConcurrency) or unknown has no step limit.
 */
export function limit(recommended: number, current: number | undefined, bounds: { min: number; max: number }): { to: number; limitedBy?: 'bounds' | 'step' } {
  const clamp = (n: number, lo: number, hi: number) => Math.min(Math.max(n, lo), hi);
  const bounded = clamp(recommended, bounds.min, bounds.max);
  const stepped = current !== undefined && current > 0 ? clamp(bounded, Math.ceil(current / 2), current * 2) : bounded;
  const to = clamp(stepped, bounds.min, bounds.max);
  if (to === recommended) return { to };
  return { to, limitedBy: to === bounded ? 'bounds' : 'step' };
}

function refOf(live: LiveWorkload): ObjectRef {
  const ref: ObjectRef = { apiVersion: live.apiVersion, kind: live.kind, name: live.metadata.name };
  if (live.metadata.namespace !== undefined) ref.namespace = live.metadata.namespace;
  if (live.metadata.uid !== undefined) ref.uid = live.metadata.uid;
  return ref;
}

/** One Warning per conflict not already recorded in status (one Event per transition, not per reconcile). */
function newConflictEvents(conflicts: readonly FieldConflict[], known: readonly FieldConflict[], policy: PlanPolicy, regarding: ObjectRef): PlannedEvent[] {
  return conflicts
    .filter((c) => !known.some((k) => k.field === c.field && k.manager === c.manager))
    .map((c) => ({
      type: 'Warning',
      reason: 'TuningConflict',
      action: 'Skip',
      note: truncate(`${c.field} is managed by ${c.manager}; pytuner left it unchanged (set spec.force: true in TuningPolicy ${policy.metadata.name} to take it over)`, 1024),
      regarding,
      onlyIfWritten: false,
    }));
}

/** `containerConcurrency 80 → 40 (rule x, limited by step from 20)`. */
export function describeChange(change: PlannedChange): string {
  const what = change.setting === 'threads' || change.setting === 'workers' ? change.field.replace(/^.*env\[name=([^\]]+)\]\.value$/, '$1') : change.setting;
  const limited = change.limitedBy === undefined ? '' : `, limited by ${change.limitedBy} from ${change.recommended}`;
  return `${what} ${change.from ?? 'unset'} → ${change.to} (${change.rule}${limited})`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * Groups the changes into writes: every change of the workload is one JSON Patch rendered by the Kubernetes-object
 * renderer (render/kubernetesObject.ts), the report's ops, behind the actuator's resourceVersion guard; a profiler
 * grant is its own IAMPolicyMember. Undefined when the workload's spec cannot be read as the report reads it.
 */
function plannedWrites(decided: readonly Decision[], policy: PlanPolicy, live: LiveWorkload): PlannedWrite[] | undefined {
  const changes = decided.flatMap((d) => (d.kind === 'change' ? [d] : []));
  const members = changes.filter((c) => c.value.setting === 'profilerIamPolicyMember');
  const onWorkload = changes.filter((c) => c.value.setting !== 'profilerIamPolicyMember');
  const writes: PlannedWrite[] = [];
  if (onWorkload.length > 0) {
    const write = workloadPatch(live, onWorkload);
    if (write === undefined) return undefined;
    writes.push(write);
  }
  for (const m of members) writes.push(policyMemberWrite(m.value.iamPolicyMember as RecommendedPolicyMember, live, m.change, policy.spec.force));
  return writes;
}

type ChangeDecision = Extract<Decision, { kind: 'change' }>;

/** The typed value a change writes, for the renderer. */
function objectValue({ value, change }: ChangeDecision): ObjectValue {
  if (value.setting === 'containerConcurrency') return { setting: 'containerConcurrency', to: Number(change.to) };
  if (value.setting === 'startupProbe') return { setting: 'startupProbe', container: value.container as string, probe: { ...(value.startupProbe as RecommendedProbe) } };
  return { setting: 'env', container: value.container as string, name: value.env as string, to: change.to };
}

/** The workload's facts as the report reads them (an API object is a file-less document: src/controller/evaluate.ts). */
function workloadFacts(live: LiveWorkload): Workload | undefined {
  const document = apiObjectDocument(live as unknown as Record<string, unknown>, 0);
  return buildInventory({ documents: [document], sources: [], errors: [], files: 1 }, []).inventory.workloads[0];
}

/**
 * The workload's patch: the rendered ops, after a replace of metadata.resourceVersion with the value read. That makes
 * the write conditional: the API server compares it with the stored one and answers 409 Conflict when anyone wrote
 * the object since it was read (a `test` of it would answer 422 without saying why), so the ops, built by index from
 * the object as read, never land on an object that changed, and the ownership read from its managedFields still holds.
 * A Knative Service whose `containers` the patch changes gives the list back to its owners afterwards (`handBack`).
 */
function workloadPatch(live: LiveWorkload, changes: readonly ChangeDecision[]): PlannedWrite | undefined {
  const facts = workloadFacts(live);
  if (facts === undefined) return undefined;
  const rendered = renderObjectPatch(facts, changes.map(objectValue));
  if (!rendered.ok) return undefined;
  const guard: JsonPatchOp[] = live.metadata.resourceVersion === undefined ? [] : [{ op: 'replace', path: '/metadata/resourceVersion', value: live.metadata.resourceVersion }];
  const write: PlannedWrite = { method: 'json-patch', target: refOf(live), ops: [...guard, ...rendered.ops], changes: changes.map((c) => c.change) };
  const inContainers = changes.some((c) => c.value.setting !== 'containerConcurrency');
  if (live.kind === 'Service' && inContainers) {
    const owners = (live.metadata.managedFields ?? []).filter((e) => (e.subresource ?? '') === '' && e.manager !== FIELD_MANAGER && ownsPath(e.fieldsV1, CONTAINERS_PATH));
    if (owners.length > 0) write.handBack = owners;
  }
  return write;
}

/**
 * fieldValue reads a scalar setting from a workload by the field path the plan writes (`spec.template.spec.containerConcurrency`,
 * `spec.template.spec.containers[name=app].env[name=THREADS].value`), as the text a PlannedChange holds; undefined when
 * absent or not a scalar. It tells whether a write whose answer was lost has landed.
 */
export function fieldValue(live: LiveWorkload, path: string): string | undefined {
  let node: unknown = live;
  for (const segment of path.split('.')) {
    const match = /^([^[\]]+)(?:\[([^=\]]+)=([^\]]*)\])?$/.exec(segment);
    if (match === null || !isRecord(node)) return undefined;
    node = node[match[1] as string];
    if (match[2] !== undefined) node = Array.isArray(node) ? node.find((item) => isRecord(item) && item[match[2] as string] === match[3]) : undefined;
  }
  return typeof node === 'number' || typeof node === 'string' ? String(node) : undefined;
}

/** A Config Connector IAMPolicyMember, applied whole under pytuner's field manager. */
function policyMemberWrite(member: RecommendedPolicyMember, live: LiveWorkload, change: PlannedChange, force: boolean): PlannedWrite {
  const namespace = member.namespace ?? live.metadata.namespace;
  const metadata: Record<string, unknown> = { name: member.name, labels: { 'app.kubernetes.io/managed-by': 'pytuner' } };
  if (namespace !== undefined) metadata.namespace = namespace;
  const object = {
    apiVersion: 'iam.cnrm.cloud.google.com/v1beta1',
    kind: 'IAMPolicyMember',
    metadata,
    spec: { member: member.member, role: member.role, resourceRef: member.resourceRef },
  };
  const target: ObjectRef = { apiVersion: object.apiVersion, kind: object.kind, name: member.name };
  if (namespace !== undefined) target.namespace = namespace;
  return { method: 'server-side-apply', target, object, force, changes: [change] };
}
