/**
 * @module The statuses the controller writes, as pure functions of what a reconcile saw: a TuningRecommendation's
 * evaluation (findings, recommended values, basis, Ready and MetricsAvailable) and a TuningPolicy's counts and
 * conditions. Conditions keep their lastTransitionTime while their status holds (setCondition), and `sameStatus`
 * ignores the evaluation time, so an unchanged evaluation writes nothing.
 */
import { STATIC_CONFIDENCE } from '../model/change.ts';
import { setCondition, type Condition } from '../api/v1alpha1/common.ts';
import { POLICY_CONDITIONS, type Bounds, type TuningPolicyStatus } from '../api/v1alpha1/tuningPolicy.ts';
import { boundsOf, limit } from '../actuator/plan.ts';
import {
  RECOMMENDATION_CONDITIONS,
  summarise,
  toStatusFinding,
  type RecommendedValue,
  type StatusFinding,
  type TuningRecommendationStatus,
} from '../api/v1alpha1/tuningRecommendation.ts';
import type { Finding, InputError } from '../model/finding.ts';
import { canonicalStatus } from './statusDigest.ts';
import { recommendationFix } from './recommendationFix.ts';

/** Condition type saying whether measured load backed the evaluation. */
export const METRICS_AVAILABLE = POLICY_CONDITIONS.metricsAvailable;

/** Condition type of a TuningPolicy saying whether RBAC let the controller read and write everything the policy needs. */
export const PERMITTED = POLICY_CONDITIONS.permitted;

/** Why metrics did not back an evaluation: the reason of MetricsAvailable=False. */
export interface MetricsBasis {
  available: boolean;
  /** CamelCase: StaticOnly when the recommendation comes from the static rules alone. */
  reason: string;
  message: string;
}

/** The rule id under which an object that fails validation is reported: a malformed workload is a finding, not a crash. */
export const INVALID_OBJECT_RULE = 'input.invalid';

/** invalidObjectFinding reports a validation error of the target's own object. */
export function invalidObjectFinding(error: InputError): StatusFinding {
  const where = error.field === undefined ? '' : `${error.field}: `;
  return { rule: INVALID_OBJECT_RULE, severity: 'warning', message: `${where}${error.message}; pytuner cannot evaluate this workload until it is fixed`.slice(0, 1024) };
}

/** What one evaluation of a target produced. */
export interface EvaluationResult {
  findings: readonly Finding[];
  errors: readonly InputError[];
  values: readonly RecommendedValue[];
  metrics: MetricsBasis;
  /** metadata.generation of the target that was evaluated. */
  targetGeneration: number | undefined;
  /** The workload evaluated, whose findings' fixes become `status.fix`. */
  target?: { kind: string; name: string };
  /** Extra words for the Ready message (another policy also selects the target, Config Connector missing…). */
  notes: readonly string[];
  /** The selecting policy's bounds, for each value's target, next step and bounds; the defaults when absent. */
  bounds?: Bounds;
}

/**
 * A numeric value with what Apply would make of it, as the VPA shows target, bounds and uncapped target: `value` stays
 * the recommender's (uncapped) number; `target` is it within the bounds; `next` is what the next Apply step writes
 * (the target for a fact read from the spec, one x2 or /2 step from `current` for an estimate), by the actuator's own
 * functions, so the two cannot disagree.
 */
export function withSteps(value: RecommendedValue, bounds: Bounds | undefined): RecommendedValue {
  if (value.value === undefined) return value;
  const b = boundsOf(value.setting, bounds);
  const target = limit(value.value, undefined, b).to;
  const next = value.confidence >= STATIC_CONFIDENCE ? target : limit(value.value, value.current, b).to;
  const out: RecommendedValue = { ...value, target, next, lowerBound: b.min };
  if (Number.isFinite(b.max)) out.upperBound = b.max;
  return out;
}

/**
 * Findings in status order: severity (critical first), then rule id, then container; each evidence line said once, by
 * the first finding that gives it (toStatusFinding's `stated`).
 */
function statusFindings(result: EvaluationResult): StatusFinding[] {
  const rank = { critical: 0, warning: 1, info: 2 } as const;
  type Entry = Pick<StatusFinding, 'severity' | 'rule' | 'container'> & { status: () => StatusFinding };
  const stated = new Map<string, string>();
  const entries: Entry[] = [
    ...result.errors.map((error) => {
      const status = invalidObjectFinding(error);
      return { severity: status.severity, rule: status.rule, status: () => status };
    }),
    ...result.findings.map((f) => ({ severity: f.severity, rule: f.rule, container: f.target.container, status: () => toStatusFinding(f, stated) })),
  ];
  entries.sort((a, b) => rank[a.severity] - rank[b.severity] || a.rule.localeCompare(b.rule) || (a.container ?? '').localeCompare(b.container ?? ''));
  return entries.slice(0, 64).map((entry) => entry.status());
}

/**
 * evaluatedStatus returns `previous` with the evaluation's part replaced (findings, summary, recommendations, basis,
 * target generation, Ready, MetricsAvailable); what the actuator recorded (applied, previous, conflicts, Applied,
 * Conflict) is kept for statusAfterActuation.
 */
export function evaluatedStatus(previous: TuningRecommendationStatus | undefined, result: EvaluationResult, now: Date): TuningRecommendationStatus {
  const findings = statusFindings(result);
  const summary: NonNullable<TuningRecommendationStatus['summary']> = summarise(findings);
  const values = result.values.map((v) => withSteps(v, result.bounds));
  if (values.length > 0) {
    summary.confidence = Math.min(...values.map((v) => v.confidence));
    summary.recommended = recommendedLine(values);
  }
  const next: TuningRecommendationStatus = { ...previous, findings, summary, basis: result.metrics.available ? 'metrics' : 'rules' };
  if (values.length > 0) next.recommendations = values;
  else delete next.recommendations;
  const fix = result.target === undefined ? undefined : recommendationFix(result.findings, result.target.kind, result.target.name);
  if (fix !== undefined) next.fix = fix;
  else delete next.fix;
  if (result.targetGeneration !== undefined) next.targetGeneration = result.targetGeneration;
  next.lastEvaluated = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const counted = findings.length === 0 ? 'no findings' : `${findings.length} finding${findings.length === 1 ? '' : 's'}, ${result.values.length} value${result.values.length === 1 ? '' : 's'} to set`;
  let conditions: Condition[] = previous?.conditions ?? [];
  conditions = setCondition(conditions, { type: RECOMMENDATION_CONDITIONS.ready, status: 'True', reason: 'Evaluated', message: [counted, ...result.notes].join('; ').slice(0, 32768) }, now);
  conditions = setCondition(conditions, { type: METRICS_AVAILABLE, status: result.metrics.available ? 'True' : 'False', reason: result.metrics.reason, message: result.metrics.message }, now);
  next.conditions = conditions;
  return next;
}

/**
 * unselectedStatus marks a recommendation whose target no policy covers any more (its policy was deleted, or is Off):
 * Ready False, and no recommended values (nothing would apply them, and `kubectl get trec` must not show them as if
 * current); the findings, what was applied and `status.previous` (what a person restores) are kept.
 */
export function unselectedStatus(previous: TuningRecommendationStatus | undefined, reason: 'NotSelected' | 'PolicyOff', message: string, now: Date): TuningRecommendationStatus {
  const conditions = setCondition(previous?.conditions ?? [], { type: RECOMMENDATION_CONDITIONS.ready, status: 'False', reason, message }, now);
  const { recommendations: _dropped, ...kept } = previous ?? {};
  const out: TuningRecommendationStatus = { ...kept, conditions };
  if (out.summary !== undefined) {
    const { confidence: _confidence, recommended: _recommended, ...counts } = out.summary;
    out.summary = counts;
  }
  return out;
}

/**
 * recommendedLine says the recommended values in one line, each setting's target (`containerConcurrency 8, threads 16
 * [app], startupProbe httpGet /healthz:8080 [app]`): what a person reads in an Event, and what tells the reconciler
 * that a recommendation changed (the cache keeps the summary, not the values).
 */
export function recommendedLine(values: readonly RecommendedValue[]): string {
  return values
    .map((v) => {
      const where = v.container === undefined ? '' : ` [${v.container}]`;
      if (v.setting === 'startupProbe' && v.startupProbe !== undefined) {
        const probe = v.startupProbe;
        const handler = probe.httpGet !== undefined ? `httpGet ${probe.httpGet.path ?? '/'}:${probe.httpGet.port}` : `tcpSocket :${probe.tcpSocket?.port}`;
        return `startupProbe ${handler}${where}`;
      }
      if (v.setting === 'profilerIamPolicyMember') return `IAMPolicyMember ${v.iamPolicyMember?.name ?? ''}`.trim();
      return `${v.setting} ${v.target ?? v.value}${where}`;
    })
    .join(', ')
    .slice(0, 1024);
}

/** sameStatus compares two statuses as the API server would store them, ignoring `lastEvaluated` (which only says when). */
export function sameStatus(a: TuningRecommendationStatus | TuningPolicyStatus | undefined, b: TuningRecommendationStatus | TuningPolicyStatus | undefined): boolean {
  return canonicalStatus(a) === canonicalStatus(b);
}

/** What a policy's status counts and says. */
export interface PolicyObservation {
  generation: number | undefined;
  /** Validation errors of the policy itself (a policy that bypassed admission or predates a CRD change). */
  invalid?: readonly { field: string; message: string }[];
  targets: number;
  recommendations: number;
  applied: number;
  conflicts: number;
  /** Why part of the selection cannot be served (Knative not installed…); empty when all is well. */
  unavailable: readonly string[];
  /** True when nothing the policy selects can be watched (it selects only a kind whose CRD is missing). */
  blocked: boolean;
  metrics: MetricsBasis;
  /** What RBAC refused, as `list deployments.apps in namespace shop (…)`; empty when nothing was. */
  forbidden?: readonly string[];
  /** The Overlapping condition (policySelection.ts's overlappingCondition). */
  overlapping?: Omit<Condition, 'lastTransitionTime'>;
}

/** policyStatus builds a TuningPolicy's status from what the controller observed. */
export function policyStatus(previous: TuningPolicyStatus | undefined, seen: PolicyObservation, now: Date): TuningPolicyStatus {
  const next: TuningPolicyStatus = { ...previous };
  if (seen.generation !== undefined) next.observedGeneration = seen.generation;
  let conditions = previous?.conditions ?? [];
  if (seen.invalid !== undefined && seen.invalid.length > 0) {
    const message = seen.invalid.map((e) => `${e.field || '(object)'}: ${e.message}`).join('; ');
    conditions = setCondition(conditions, { type: POLICY_CONDITIONS.ready, status: 'False', reason: 'InvalidSpec', message: message.slice(0, 32768) }, now);
    delete next.targets;
    delete next.recommendations;
    delete next.applied;
    delete next.conflicts;
  } else {
    Object.assign(next, { targets: seen.targets, recommendations: seen.recommendations, applied: seen.applied, conflicts: seen.conflicts });
    const selected = `${seen.targets} workload${seen.targets === 1 ? '' : 's'} governed`;
    const message = [selected, ...seen.unavailable].join('; ');
    conditions = seen.blocked
      ? setCondition(conditions, { type: POLICY_CONDITIONS.ready, status: 'False', reason: 'TargetKindNotServed', message }, now)
      : setCondition(conditions, { type: POLICY_CONDITIONS.ready, status: 'True', reason: 'Reconciled', message }, now);
  }
  conditions = setCondition(conditions, { type: POLICY_CONDITIONS.metricsAvailable, status: seen.metrics.available ? 'True' : 'False', reason: seen.metrics.reason, message: seen.metrics.message }, now);
  conditions = setCondition(conditions, permittedCondition(seen.forbidden ?? []), now);
  if (seen.overlapping !== undefined) conditions = setCondition(conditions, seen.overlapping, now);
  next.conditions = conditions;
  return next;
}

/** Permitted: False with each refused permission (verb, resource, namespace), so a person knows the Role rule to add. */
function permittedCondition(forbidden: readonly string[]): Omit<Condition, 'lastTransitionTime'> {
  if (forbidden.length === 0) return { type: PERMITTED, status: 'True', reason: 'Permitted', message: 'no read or write of the controller was refused' };
  return { type: PERMITTED, status: 'False', reason: 'Forbidden', message: `the controller's identity may not: ${forbidden.join('; ')}`.slice(0, 32768) };
}
