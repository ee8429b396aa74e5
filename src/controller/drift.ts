/**
 * @module Flap detection, pure: a value pytuner wrote (status.applied) that the workload no longer holds was set back
 * by another field manager — a GitOps sync (Argo CD, Flux), `kubectl apply` or `helm upgrade` writing its own source
 * of truth again. Without this, pytuner wrote the value again after each cooldown and the manager reverted it at its
 * next sync, a new revision each time, silently. Here the revert is recorded on the TuningRecommendation (who, from
 * managedFields; how often), announced by one Warning Event, and shown as the `Drifting` condition; the plan
 * (src/actuator/plan.ts) holds the field while the recommendation it came from stays the same. A new recommendation
 * releases it: a new value is worth one more try, and a second revert counts again. The way out is the Git-first
 * path: the fix carried in `status.fix`, exported to the manager's source by `pytuner recommendations export --fix`.
 */
import { FIELD_MANAGER, setCondition } from '../api/v1alpha1/common.ts';
import { RECOMMENDATION_CONDITIONS, recommendedText, type AppliedChange, type DriftRecord, type TuningRecommendationStatus } from '../api/v1alpha1/tuningRecommendation.ts';
import { field, named, ownsPath, type PathSegment } from '../actuator/managedFields.ts';
import type { LiveWorkload, ObjectRef, PlannedEvent } from '../actuator/plan.ts';

/** The status with the drift records and the Drifting condition updated, and the Warnings to publish (one per new revert). */
export interface DriftOutcome {
  status: TuningRecommendationStatus;
  events: PlannedEvent[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `spec.template.spec.containers[name=app].env[name=X].value` → path segments; undefined when it is not such a path. */
export function fieldPath(path: string): PathSegment[] | undefined {
  const segments: PathSegment[] = [];
  for (const part of path.split('.')) {
    const match = /^([^[\]]+)(?:\[([^=\]]+)=([^\]]*)\])?$/.exec(part);
    if (match === null) return undefined;
    segments.push(field(match[1] as string));
    if (match[2] !== undefined) segments.push(match[2] === 'name' ? named(match[3] as string) : { key: { [match[2]]: match[3] as string } });
  }
  return segments;
}

/** The value at a field path in the live object: a scalar as text, an object as JSON; undefined when absent. */
function valueAt(live: LiveWorkload, path: readonly PathSegment[]): string | undefined {
  let node: unknown = live;
  for (const segment of path) {
    if ('field' in segment) node = isRecord(node) ? node[segment.field] : undefined;
    else node = Array.isArray(node) ? node.find((item) => isRecord(item) && Object.entries(segment.key).every(([k, v]) => item[k] === v)) : undefined;
    if (node === undefined) return undefined;
  }
  if (typeof node === 'string' || typeof node === 'number' || typeof node === 'boolean') return String(node);
  return node === null ? undefined : JSON.stringify(node);
}

/** Whether the live field still holds what pytuner wrote (a probe counts while present: admission may default its fields). */
function holds(change: Pick<AppliedChange, 'setting' | 'to'>, found: string | undefined): boolean {
  if (change.setting === 'startupProbe') return found !== undefined;
  return found === change.to;
}

/**
 * The manager that set a field back: the other managers owning the field (or, once it is gone, its list element or
 * container; an atomic ancestor such as Knative's `containers` counts), the most recent first.
 */
export function revertedBy(live: LiveWorkload, path: readonly PathSegment[]): string {
  const keyed = path.flatMap((s, i) => ('key' in s ? [i + 1] : []));
  const candidates = [path, ...keyed.reverse().map((end) => path.slice(0, end))];
  const entries = (live.metadata.managedFields ?? []).filter((e) => (e.subresource ?? '') === '' && e.manager !== undefined && e.manager !== FIELD_MANAGER);
  for (const candidate of candidates) {
    const owners = entries.filter((e) => ownsPath(e.fieldsV1, candidate));
    owners.sort((a, b) => Date.parse(String(b.time ?? 0)) - Date.parse(String(a.time ?? 0)));
    if (owners[0]?.manager !== undefined) return owners[0].manager;
  }
  return 'unknown';
}

/** The current recommendation for a setting, as the text a drift record keeps; undefined when none. */
function currentRecommendation(status: TuningRecommendationStatus, setting: DriftRecord['setting']): string | undefined {
  const value = status.recommendations?.find((v) => v.setting === setting);
  return value === undefined ? undefined : recommendedText(value);
}

function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function refOf(live: LiveWorkload): ObjectRef {
  const ref: ObjectRef = { apiVersion: live.apiVersion, kind: live.kind, name: live.metadata.name };
  if (live.metadata.namespace !== undefined) ref.namespace = live.metadata.namespace;
  if (live.metadata.uid !== undefined) ref.uid = live.metadata.uid;
  return ref;
}

/**
 * detectDrift compares what pytuner last wrote (`status.applied`) with the live workload. A change the workload no
 * longer holds, on a generation at or after pytuner's write (an older one is a cache that has not seen the write yet),
 * is a revert: recorded once per write (by `applied.at`), with one Warning. A record whose field holds pytuner's value
 * again is dropped (the manager adopted it, e.g. by the pull request). `status` is the evaluated status (it carries
 * `applied`, `drift` and the current recommendations); the result is idempotent on an unchanged workload.
 */
export function detectDrift(status: TuningRecommendationStatus, live: LiveWorkload, now: Date): DriftOutcome {
  const records = new Map((status.drift ?? []).map((r) => [r.field, r]));
  const events: PlannedEvent[] = [];
  const applied = status.applied;
  const seen = applied !== undefined && (live.metadata.generation ?? 0) >= applied.generation;
  if (seen) {
    for (const change of applied.changes) {
      const record = revertOf(change, applied.at, records.get(change.field), status, live, now);
      if (record === undefined) continue;
      records.set(change.field, record);
      events.push({
        type: 'Warning',
        reason: 'TuningDrift',
        action: 'Hold',
        note: `${describeRevert(record)}; pytuner will not write it again until the recommendation changes: put the value in ${record.manager}'s source (pytuner recommendations export --fix)`.slice(0, 1024),
        regarding: refOf(live),
        onlyIfWritten: false,
      });
    }
  }
  // Resolved: the manager's own source now carries pytuner's value.
  for (const [key, record] of records) {
    const path = fieldPath(record.field);
    if (path !== undefined && holds({ setting: record.setting, to: record.wrote }, valueAt(live, path))) records.delete(key);
  }
  const drift = [...records.values()].slice(0, 16);
  const next: TuningRecommendationStatus = { ...status };
  if (drift.length > 0) next.drift = drift;
  else delete next.drift;
  const holding = drift.filter((r) => isHeld(r, status));
  const condition =
    holding.length > 0
      ? { type: RECOMMENDATION_CONDITIONS.drifting, status: 'True' as const, reason: 'RevertedByManager', message: holding.map(describeRevert).join('; ').slice(0, 32768) }
      : { type: RECOMMENDATION_CONDITIONS.drifting, status: 'False' as const, reason: 'NoDrift', message: '' };
  next.conditions = setCondition(status.conditions ?? [], condition, now);
  return { status: next, events };
}

/** A new drift record when `change` (written at `appliedAt`) is no longer in the workload and its revert is not counted yet. */
function revertOf(change: AppliedChange, appliedAt: string, known: DriftRecord | undefined, status: TuningRecommendationStatus, live: LiveWorkload, now: Date): DriftRecord | undefined {
  const path = change.setting === 'profilerIamPolicyMember' ? undefined : fieldPath(change.field);
  if (path === undefined) return undefined;
  const found = valueAt(live, path);
  if (holds(change, found) || known?.appliedAt === appliedAt) return undefined; // holding, or this write's revert is already counted
  return {
    field: change.field,
    setting: change.setting,
    manager: revertedBy(live, path),
    wrote: change.to.slice(0, 1024),
    found: (found ?? '').slice(0, 1024),
    recommended: (currentRecommendation(status, change.setting) ?? change.to).slice(0, 1024),
    reverts: (known?.reverts ?? 0) + 1,
    appliedAt,
    lastReverted: rfc3339(now),
  };
}

/** Whether a drift record still holds its field back: the recommendation it came from is still the current one. */
export function isHeld(record: DriftRecord, status: TuningRecommendationStatus): boolean {
  return currentRecommendation(status, record.setting) === record.recommended;
}

function describeRevert(record: DriftRecord): string {
  const times = record.reverts === 1 ? 'once' : `${record.reverts} times`;
  const found = record.found === '' ? 'removed it' : `set it to ${record.found}`;
  return `${record.field}: pytuner wrote ${record.wrote}, ${record.manager} ${found} (${times})`;
}
