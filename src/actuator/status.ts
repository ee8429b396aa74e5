/**
 * @module What the actuator records on the TuningRecommendation after a plan ran: the applied record, the values
 * before pytuner first changed each field (for a manual roll-back), the conflicts, and the Applied and Conflict
 * conditions. Pure: apply.ts does the writes and passes their outcome here; the status write itself is in apply.ts.
 */
import { setCondition } from '../api/v1alpha1/common.ts';
import { RECOMMENDATION_CONDITIONS, type FieldConflict, type TuningRecommendationStatus } from '../api/v1alpha1/tuningRecommendation.ts';
import { describeChange, type NoActuationReason, type Plan, type PlannedChange, type PlannedWrite } from './plan.ts';

/** How one planned write went. */
export type WriteOutcome =
  | {
      kind: 'written';
      write: PlannedWrite;
      /** metadata.generation of the written object afterwards. */
      generation?: number;
      /** Set when the value was written but Knative's `containers` list could not be handed back to its managers. */
      ownership?: string;
    }
  | { kind: 'conflict'; write: PlannedWrite; conflicts: FieldConflict[]; message: string }
  | {
      kind: 'failed';
      write: PlannedWrite;
      /** Absent when no answer came (the connection was cut): the write may have landed. */
      httpStatus?: number;
      message: string;
      /** `stale`: the object changed since it was read (409 precondition, 422 `test`): plan again on the fresh object. */
      retry: 'transient' | 'terminal' | 'stale';
    };

/** The outcome of running a Plan: every write's outcome, in plan order (empty for a `none` plan). */
export interface ActuationResult {
  plan: Plan;
  outcomes: WriteOutcome[];
  /** Changes of writes that succeeded. */
  applied: PlannedChange[];
  /** Conflicts found by the plan and those the API server answered with 409. */
  conflicts: FieldConflict[];
  /** When the last successful write was accepted. */
  at: Date;
  /** Events that could not be published (an Event is best effort: the write stands without it). */
  eventFailures: string[];
}

const REASONS: Record<NoActuationReason, string> = {
  'mode-off': 'ModeOff',
  'mode-recommend': 'RecommendOnly',
  paused: 'Paused',
  'no-recommendations': 'NoRecommendations',
  cooldown: 'Cooldown',
  'not-ready': 'TargetNotReady',
  'rollout-in-progress': 'RolloutInProgress',
  conflict: 'Conflict',
  'nothing-to-do': 'UpToDate',
};

/**
 * statusAfterActuation returns `status` updated with the result: `applied` and `previous` when something was written,
 * `conflicts`, and the Applied and Conflict conditions. Idempotent: the same result on the status it produced gives
 * an equal status (conditions keep their lastTransitionTime), so the caller's "write only when changed" holds.
 */
export function statusAfterActuation(status: TuningRecommendationStatus | undefined, result: ActuationResult, policy: string, now: Date): TuningRecommendationStatus {
  const next: TuningRecommendationStatus = { ...status };
  let conditions = status?.conditions ?? [];
  const written = result.outcomes.filter((o) => o.kind === 'written');
  if (result.applied.length > 0) {
    const generation = written.map((o) => o.generation).find((g) => g !== undefined);
    next.applied = {
      at: result.at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      policy,
      generation: generation ?? status?.applied?.generation ?? 0,
      fields: result.applied.map((c) => c.field),
      changes: result.applied.map(({ field, setting, from, to, rule }) => (from === undefined ? { field, setting, to, rule } : { field, setting, from, to, rule })),
    };
    const previous = { ...status?.previous };
    for (const change of result.applied) if (!(change.field in previous)) previous[change.field] = change.from ?? '';
    next.previous = previous;
  }
  if (result.conflicts.length > 0) next.conflicts = result.conflicts;
  else delete next.conflicts;

  const failed = result.outcomes.find((o) => o.kind === 'failed');
  conditions = setCondition(conditions, appliedCondition(result, failed), now);
  conditions = setCondition(
    conditions,
    result.conflicts.length > 0
      ? { type: RECOMMENDATION_CONDITIONS.conflict, status: 'True', reason: 'FieldManagerConflict', message: result.conflicts.map((c) => `${c.field} is managed by ${c.manager}`).join('; ') }
      : { type: RECOMMENDATION_CONDITIONS.conflict, status: 'False', reason: 'NoConflict', message: '' },
    now,
  );
  next.conditions = conditions;
  return next;
}

function appliedCondition(result: ActuationResult, failed: Extract<WriteOutcome, { kind: 'failed' }> | undefined) {
  const type = RECOMMENDATION_CONDITIONS.applied;
  if (result.applied.length > 0) return { type, status: 'True' as const, reason: 'Patched', message: result.applied.map(describeChange).join('; ') };
  if (failed !== undefined) return { type, status: 'False' as const, reason: failed.httpStatus === 403 ? 'Forbidden' : 'PatchFailed', message: failed.message.slice(0, 1024) };
  if (result.plan.kind === 'none') {
    const { reason, skipped, message } = result.plan;
    // Up to date only when every value is; a value the policy does not allow is not "applied".
    if (reason === 'nothing-to-do' && skipped.some((s) => s.reason === 'drifting')) {
      return { type, status: 'False' as const, reason: 'Drifting', message: message.slice(0, 1024) };
    }
    if (reason === 'nothing-to-do' && !skipped.every((s) => s.reason === 'up-to-date')) {
      return { type, status: 'False' as const, reason: 'NotApplicable', message: message.slice(0, 1024) };
    }
    return { type, status: reason === 'nothing-to-do' ? ('True' as const) : ('False' as const), reason: REASONS[reason], message: message.slice(0, 1024) };
  }
  return { type, status: 'False' as const, reason: 'Conflict', message: result.conflicts.map((c) => `${c.field} is managed by ${c.manager}`).join('; ') };
}
