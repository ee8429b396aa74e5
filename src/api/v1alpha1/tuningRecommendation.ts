/**
 * @module TuningRecommendation (`pytuner.dev/v1alpha1`, namespaced): one per target workload, owned by it (an
 * ownerReference, so the garbage collector deletes it with the workload). It is the boundary between the thinker and
 * the writer: the recommend loop writes its status (findings, recommended values with evidence and confidence), the
 * actuator reads it, and records there what it applied, when, and the previous values for a manual roll-back.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Finding, Values } from '../../model/finding.ts';
import type { Evidence } from '../../model/evidence.ts';
import { API_VERSION, Conditions, cel, listMap, MAP_ATOMIC, withRules } from './common.ts';
import { ObjectMeta, TARGET_API_VERSIONS, TargetKind } from './tuningPolicy.ts';

/** Kind of TuningRecommendation objects. */
export const TUNING_RECOMMENDATION_KIND = 'TuningRecommendation';
/** Plural resource name (`kubectl get tuningrecommendations`). */
export const TUNING_RECOMMENDATION_PLURAL = 'tuningrecommendations';

/** The workload a recommendation is about, in the recommendation's namespace. */
export const TargetRef = z.object({
  apiVersion: z.enum(['serving.knative.dev/v1', 'apps/v1']).describe('serving.knative.dev/v1 or apps/v1.'),
  kind: TargetKind.describe('Service (Knative) or Deployment.'),
  name: z.string().min(1).max(253).describe('metadata.name of the workload.'),
});
/** The workload a recommendation is about. */
export type TargetRef = z.infer<typeof TargetRef>;

/** Desired state: which workload, under which policy. Written by the controller when it creates the object. */
export const TuningRecommendationSpec = withRules(
  z.object({
    targetRef: TargetRef.describe('The workload, in this namespace.'),
    policy: z.string().min(1).max(317).describe('The TuningPolicy that governs the workload: its name (same namespace), or <namespace>/<name> for the cluster default policy (controller flag --default-policy).'),
  }),
  {
    rule: "self.targetRef.kind == 'Service' ? self.targetRef.apiVersion == 'serving.knative.dev/v1' : self.targetRef.apiVersion == 'apps/v1'",
    message: 'targetRef.apiVersion must be serving.knative.dev/v1 for a Service and apps/v1 for a Deployment',
    fieldPath: '.targetRef.apiVersion',
    holds: (self) => self.targetRef.apiVersion === TARGET_API_VERSIONS[self.targetRef.kind],
  },
  // A transition rule (oldSelf): only the API server, which sees the stored object, can check it.
  { rule: 'self.targetRef == oldSelf.targetRef', message: 'targetRef is immutable', fieldPath: '.targetRef', holds: () => true },
);
/** Desired state of a TuningRecommendation. */
export type TuningRecommendationSpec = z.infer<typeof TuningRecommendationSpec>;

/** A finding as stored in status: the rule's values rendered as strings (see toStatusValues), evidence as one line. */
export const StatusFinding = z.object({
  rule: z.string().min(1).max(63).describe('The rule id (pytuner explain <id> prints its page).'),
  severity: z.enum(['info', 'warning', 'critical']).describe('info, warning or critical.'),
  container: z.string().max(253).optional().describe('The container the finding is about, when it is about one.'),
  message: z.string().max(1024).describe('What was found and what to change, in one line.'),
  current: z.record(z.string().max(253), z.string().max(1024)).optional().describe('Current values, e.g. containerConcurrency: "0".'),
  recommended: z.record(z.string().max(253), z.string().max(1024)).optional().describe('Recommended values, e.g. containerConcurrency: "8".'),
  evidence: z
    .string()
    .max(2048)
    .optional()
    .describe('Where the current values were read, e.g. "spec.template.spec.containerConcurrency (manifest); --threads 8 (args)"; lines an earlier finding of this status gave are referred to, e.g. "(3 lines as in metrics.container-concurrency)".'),
});
/** A finding as stored in status. */
export type StatusFinding = z.infer<typeof StatusFinding>;

/** Settings the actuator can write, each allowed by one key of TuningPolicy `spec.patch`. */
export const Setting = z
  .enum(['containerConcurrency', 'threads', 'workers', 'startupProbe', 'profilerIamPolicyMember'])
  .describe('The setting: containerConcurrency, threads, workers, startupProbe or profilerIamPolicyMember.');
/** A setting the actuator can write. */
export type Setting = z.infer<typeof Setting>;

/** Settings whose value is a number (`value` is required for them). */
const NUMERIC_SETTINGS: readonly Setting[] = ['containerConcurrency', 'threads', 'workers'];

/** A port by number or by name (int-or-string, as in core/v1). */
export const IntOrString = z.union([z.int(), z.string().max(63)]);

/** The startup probe pytuner recommends: a handler and its timing (core/v1 Probe subset). */
export const RecommendedProbe = withRules(
  z.object({
    httpGet: z
      .object({ path: z.string().max(1024).optional().describe('The health path (from a probe of the container or the pytuner.dev/health-path annotation).'), port: IntOrString.describe('A port the kubelet can reach.') })
      .optional()
      .describe('An HTTP GET check.'),
    tcpSocket: z.object({ port: IntOrString.describe('A port the kubelet can reach.') }).optional().describe('A TCP connect check.'),
    initialDelaySeconds: z.int().min(0).optional().describe('Seconds before the first check.'),
    periodSeconds: z.int().min(1).optional().describe('Seconds between checks.'),
    timeoutSeconds: z.int().min(1).optional().describe('Seconds a check may take.'),
    failureThreshold: z.int().min(1).optional().describe('Checks that may fail before the container is restarted: periodSeconds × failureThreshold is the start-up budget.'),
  }),
  { rule: 'has(self.httpGet) != has(self.tcpSocket)', message: 'a startup probe has exactly one handler: httpGet or tcpSocket', holds: (self) => (self.httpGet !== undefined) !== (self.tcpSocket !== undefined) },
);
/** The startup probe pytuner recommends. */
export type RecommendedProbe = z.infer<typeof RecommendedProbe>;

/** A Config Connector IAMPolicyMember to create (roles/cloudprofiler.agent for the workload's identity). */
export const RecommendedPolicyMember = z.object({
  name: z.string().min(1).max(253).describe('metadata.name of the IAMPolicyMember.'),
  namespace: z.string().max(63).optional().describe('Namespace Config Connector manages for the project (default: the workload namespace).'),
  member: z.string().min(1).max(512).describe('The IAM member, e.g. serviceAccount:app@project.iam.gserviceaccount.com.'),
  role: z.string().min(1).max(256).describe('The role granted, roles/cloudprofiler.agent.'),
  resourceRef: z
    .object({ kind: z.string().min(1).max(63).describe('The resource kind, Project.'), external: z.string().min(1).max(512).describe('The resource, e.g. projects/my-project.') })
    .describe('What the role is granted on.'),
});
/** A Config Connector IAMPolicyMember to create. */
export type RecommendedPolicyMember = z.infer<typeof RecommendedPolicyMember>;

/**
 * One value the recommender wants set, with its evidence and confidence. The actuator only copies it into the
 * target (after mode, cooldown, bounds, step and ownership checks): it never computes a value.
 */
export const RecommendedValue = withRules(
  z.object({
    setting: Setting,
    rule: z.string().min(1).max(63).describe('The rule or recommender id that produced the value.'),
    container: z.string().max(253).optional().describe('Container for container-level settings (threads, workers, startupProbe).'),
    env: z.string().max(253).optional().describe('Environment variable that carries the value (THREADS, WEB_CONCURRENCY) for threads and workers.'),
    value: z.int().min(0).optional().describe('The recommended number (containerConcurrency, threads, workers) as the recommender computed it, before the policy bounds: the uncapped target.'),
    current: z.int().min(0).optional().describe('The number the recommender saw; absent when unset or unknown.'),
    target: z.int().min(0).optional().describe('value within the policy bounds: where Apply is heading.'),
    next: z.int().min(0).optional().describe('What Apply writes next: the target for a fact read from the spec (confidence 1); one x2 or /2 step from current for an estimate from measured load.'),
    lowerBound: z.int().min(0).optional().describe('The least value the policy bounds allow for this setting.'),
    upperBound: z.int().min(0).optional().describe('The largest value the policy bounds allow for this setting; absent when unbounded.'),
    startupProbe: RecommendedProbe.optional().describe('The startup probe to add (setting startupProbe).'),
    iamPolicyMember: RecommendedPolicyMember.optional().describe('The Config Connector IAMPolicyMember to create (setting profilerIamPolicyMember).'),
    confidence: z.number().min(0).max(1).describe('1 for a fact a static rule read from the spec; 0.3, 0.6 or 0.9 for a low, medium or high confidence estimate from measured load (gated by the policy\'s spec.minConfidence in Apply mode).'),
    evidence: z
      .array(z.string().max(1024))
      .max(16)
      .optional()
      .describe('Not written since 2026-12 (objects written before carry it): the evidence behind the value is that of the finding of the same rule in status.findings.'),
  }),
  {
    rule: "!(self.setting in ['containerConcurrency', 'threads', 'workers']) || has(self.value)",
    message: 'containerConcurrency, threads and workers need value',
    fieldPath: '.value',
    reason: 'FieldValueRequired',
    holds: (self) => !NUMERIC_SETTINGS.includes(self.setting) || self.value !== undefined,
  },
  {
    rule: "self.setting != 'startupProbe' || (has(self.startupProbe) && has(self.container))",
    message: 'startupProbe needs startupProbe and container',
    fieldPath: '.startupProbe',
    reason: 'FieldValueRequired',
    holds: (self) => self.setting !== 'startupProbe' || (self.startupProbe !== undefined && self.container !== undefined),
  },
  {
    rule: "self.setting != 'profilerIamPolicyMember' || has(self.iamPolicyMember)",
    message: 'profilerIamPolicyMember needs iamPolicyMember',
    fieldPath: '.iamPolicyMember',
    reason: 'FieldValueRequired',
    holds: (self) => self.setting !== 'profilerIamPolicyMember' || self.iamPolicyMember !== undefined,
  },
  {
    rule: "!(self.setting in ['threads', 'workers']) || (has(self.container) && has(self.env))",
    message: 'threads and workers need container and env',
    fieldPath: '.env',
    reason: 'FieldValueRequired',
    holds: (self) => !(self.setting === 'threads' || self.setting === 'workers') || (self.container !== undefined && self.env !== undefined),
  },
);
/** One value the recommender wants set. */
export type RecommendedValue = z.infer<typeof RecommendedValue>;

/** One field change the actuator made, with the value before it (the roll-back value; absent when the field was unset). */
export const AppliedChange = z.object({
  field: z.string().min(1).max(512).describe('The changed field, e.g. spec.template.spec.containerConcurrency or containers[app].env[THREADS].'),
  setting: Setting,
  from: z.string().max(1024).optional().describe('Value before the change; absent when the field was unset.'),
  to: z.string().max(1024).describe('Value written.'),
  rule: z.string().min(1).max(63).describe('The rule or recommender id behind the value.'),
});
/** One field change the actuator made. */
export type AppliedChange = z.infer<typeof AppliedChange>;

/** The last patch pytuner applied to the target. */
export const AppliedRecord = z.object({
  at: z.iso.datetime().describe('When the patch was accepted by the API server (RFC 3339).'),
  policy: z.string().min(1).max(253).describe('The TuningPolicy under which it was applied.'),
  generation: z.int().min(0).describe('metadata.generation of the target after the patch.'),
  fields: z.array(z.string().max(512)).max(32).describe('The fields the patch changed.'),
  changes: z.array(AppliedChange).max(32).describe('Each change, with the value before it.'),
});
/** The last patch pytuner applied to the target. */
export type AppliedRecord = z.infer<typeof AppliedRecord>;

/** A change held back because another field manager owns the field. */
export const FieldConflict = z.object({
  field: z.string().min(1).max(512).describe('The field held back.'),
  setting: Setting,
  manager: z.string().min(1).max(253).describe('The field manager that owns the field (e.g. argocd-controller, kubectl-client-side-apply).'),
});
/** A change held back because another field manager owns the field. */
export type FieldConflict = z.infer<typeof FieldConflict>;

/**
 * A value pytuner wrote that another field manager set back (a GitOps sync, `kubectl apply`, `helm upgrade`). pytuner
 * does not write the setting again while the recommendation for it stays `recommended`: the fix belongs in the
 * manager's source (see `status.fix` and `pytuner recommendations export`).
 */
export const DriftRecord = z.object({
  field: z.string().min(1).max(512).describe('The field pytuner wrote, e.g. spec.template.spec.containers[name=app].env[name=WEB_CONCURRENCY].value.'),
  setting: Setting,
  manager: z.string().min(1).max(253).describe('The field manager that owns the field now (from managedFields), i.e. who set it back; "unknown" when none does.'),
  wrote: z.string().max(1024).describe('The value pytuner wrote.'),
  found: z.string().max(1024).describe('The value found afterwards ("" when the field is gone).'),
  recommended: z.string().max(1024).describe('The recommendation the written value came from: pytuner holds the setting while the recommendation stays this.'),
  reverts: z.int().min(1).describe('How many of pytuner\'s writes of this field were set back.'),
  appliedAt: z.iso.datetime().describe('When pytuner made the write that was set back last (status.applied.at of that write).'),
  lastReverted: z.iso.datetime().describe('When the controller last found a write of this field set back.'),
});
/** A value pytuner wrote that another field manager set back. */
export type DriftRecord = z.infer<typeof DriftRecord>;

/** The fix of a recommendation, as Core's renderers made it, for a Git-first workflow. */
export const RecommendationFix = z.object({
  jsonPatch: z
    .string()
    .max(32768)
    .describe('The RFC 6902 JSON Patch of the workload (a JSON array, the ops of every agreeing finding), for `kubectl patch --type=json` or `pytuner recommendations export`.'),
  rules: z.array(z.string().max(63)).max(64).describe('The rules whose fixes the patch carries.'),
  unfixed: z.array(z.string().max(1024)).max(32).optional().describe('Fixes left out and why (findings whose changes disagree, fixes that only create objects or run commands).'),
});
/** The fix of a recommendation. */
export type RecommendationFix = z.infer<typeof RecommendationFix>;

/** Condition types on a TuningRecommendation. */
export const RECOMMENDATION_CONDITIONS = { ready: 'Ready', applied: 'Applied', conflict: 'Conflict', drifting: 'Drifting' } as const;

/** Observed state: written by the controller (recommend loop and actuator), read by people and by the actuator. */
export const TuningRecommendationStatus = z.object({
  observedGeneration: z.int().min(0).optional().describe('metadata.generation of this object the status describes.'),
  targetGeneration: z.int().min(0).optional().describe('metadata.generation of the target when it was last evaluated.'),
  lastEvaluated: z.iso.datetime().optional().describe('When the target was last evaluated (RFC 3339).'),
  basis: z.enum(['rules', 'metrics']).optional().describe('rules: static rules only (no metrics source or no data); metrics: measured load too.'),
  summary: z
    .object({
      findings: z.int().min(0).describe('Findings of every severity.'),
      critical: z.int().min(0).describe('Critical findings.'),
      warning: z.int().min(0).describe('Warning findings.'),
      info: z.int().min(0).describe('Info findings.'),
      confidence: z.number().min(0).max(1).optional().describe('The lowest confidence among the recommended values (1: all are facts read from the spec).'),
      recommended: z.string().max(1024).optional().describe('The recommended values in one line (each target, container in brackets); a change of it is logged, and announced by an Event in Recommend mode.'),
    })
    .optional()
    .describe('Finding counts by severity (for printer columns).'),
  findings: z.array(StatusFinding).max(64).optional().describe('What the rules and the recommender found, most severe first.'),
  recommendations: z.array(RecommendedValue).max(16).meta(listMap('setting')).optional().describe('Values to set, one per setting.'),
  applied: AppliedRecord.optional().describe('The last patch pytuner applied to the target.'),
  previous: z
    .record(z.string().max(512), z.string().max(1024))
    .optional()
    .describe('Field → value before pytuner first changed it ("" when it was unset): what a manual roll-back restores.'),
  conflicts: z.array(FieldConflict).max(16).optional().describe('Changes held back because another field manager owns the field.'),
  drift: z.array(DriftRecord).max(16).meta(listMap('field')).optional().describe('Values pytuner wrote that another field manager set back, and who; held until the recommendation changes.'),
  fix: RecommendationFix.optional().describe('The fix as a JSON Patch of the workload, for a change made by pull request (pytuner recommendations export --fix).'),
  conditions: Conditions.optional().describe('Ready, Applied, Conflict and Drifting.'),
})
  // Written whole, only by pytuner (a create, or a JSON Patch replacing it): its managedFields entry is one field, not
  // one per leaf (1.4 KB of a 6 KB Service's recommendation; API-server CPU per create about a fifth lower, README
  // "Scale and sharding").
  .meta(MAP_ATOMIC);
/** Observed state of a TuningRecommendation. */
export type TuningRecommendationStatus = z.infer<typeof TuningRecommendationStatus>;

/** A TuningRecommendation as read from the API server. */
export const TuningRecommendation = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(TUNING_RECOMMENDATION_KIND),
  metadata: ObjectMeta,
  spec: TuningRecommendationSpec,
  status: TuningRecommendationStatus.optional(),
});
/** A TuningRecommendation. */
export type TuningRecommendation = z.infer<typeof TuningRecommendation>;

/** The longest object name the API server accepts (a DNS subdomain). */
const MAX_NAME = 253;

/**
 * recommendationName is the name of the TuningRecommendation for a target: `<kind>-<name>` in lower case
 * (`service-api`, `deployment-api`), so a Knative Service and a Deployment with the same name do not collide. A name
 * longer than the API server accepts is cut and ends in a hash of the whole, so two long names that share their first
 * 240 characters still get two recommendations (a plain cut made the second one's create fail with 422 forever).
 */
export function recommendationName(target: Pick<TargetRef, 'kind' | 'name'>): string {
  const full = `${target.kind.toLowerCase()}-${target.name}`;
  if (full.length <= MAX_NAME) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 12);
  // Each dot-separated label of a DNS subdomain starts and ends with a letter or digit.
  const prefix = full.slice(0, MAX_NAME - hash.length - 1).replace(/[^a-z0-9]+$/, '');
  return `${prefix}-${hash}`;
}

/**
 * recommendedText is a recommended value as one string, what a drift record compares to tell whether the
 * recommendation changed: the number, the probe as JSON, or the IAM member and role.
 */
export function recommendedText(value: RecommendedValue): string {
  if (value.startupProbe !== undefined) return JSON.stringify(value.startupProbe);
  if (value.iamPolicyMember !== undefined) return `${value.iamPolicyMember.member} ${value.iamPolicyMember.role}`;
  return String(value.value ?? '');
}

/** toStatusValues renders a finding's values for status: strings as they are, numbers, booleans and null as JSON (`80`, `true`, `null`). */
export function toStatusValues(values: Values): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
}

function evidenceLine(e: Evidence): string {
  const where = e.file === undefined ? e.source : `${e.file}${e.line === undefined ? '' : `:${e.line}`}`;
  return e.text === undefined ? `${e.field} (${where})` : `${e.field} ${e.text} (${where})`;
}

/**
 * The evidence lines of a finding with each run of lines an earlier finding of the same status already gave (`stated`:
 * line → that finding's rule) replaced by one reference, `(N lines as in <rule>)`; records the new lines in `stated`.
 * A measured finding repeats the chain of the one it derives from (metrics.threads carries the PromQL and the sizing of
 * metrics.container-concurrency, about 1.4 KB): in the stored object it is said once, since the API server's CPU per
 * write grows with the object's size (README, *Scale and sharding*).
 */
function unrepeatedEvidence(lines: readonly string[], rule: string, stated: Map<string, string>): string[] {
  const out: string[] = [];
  let run: { rule: string; count: number } | undefined;
  const endRun = () => {
    if (run !== undefined) out.push(`(${run.count === 1 ? 'a line' : `${run.count} lines`} as in ${run.rule})`);
    run = undefined;
  };
  for (const line of lines) {
    const first = stated.get(line);
    if (first === undefined || first === rule) {
      endRun();
      out.push(line);
      if (first === undefined) stated.set(line, rule);
    } else if (run?.rule === first) run.count++;
    else {
      endRun();
      run = { rule: first, count: 1 };
    }
  }
  endRun();
  return out;
}

/**
 * toStatusFinding converts a rule's Finding into its status form (values as strings, evidence as one line). With
 * `stated` (shared by the findings of one status, in their order), evidence lines an earlier finding gave are
 * referred to instead of repeated (unrepeatedEvidence).
 */
export function toStatusFinding(finding: Finding, stated?: Map<string, string>): StatusFinding {
  const out: StatusFinding = { rule: finding.rule, severity: finding.severity, message: finding.message.slice(0, 1024) };
  if (finding.target.container !== undefined) out.container = finding.target.container;
  if (Object.keys(finding.current).length > 0) out.current = toStatusValues(finding.current);
  if (Object.keys(finding.recommended).length > 0) out.recommended = toStatusValues(finding.recommended);
  if (finding.evidence.length > 0) {
    const lines = finding.evidence.map(evidenceLine);
    out.evidence = (stated === undefined ? lines : unrepeatedEvidence(lines, finding.rule, stated)).join('; ').slice(0, 2048);
  }
  return out;
}

/** summarise counts findings by severity for `status.summary`. */
export function summarise(findings: readonly Pick<StatusFinding, 'severity'>[]): NonNullable<TuningRecommendationStatus['summary']> {
  const count = (s: StatusFinding['severity']) => findings.filter((f) => f.severity === s).length;
  return { findings: findings.length, critical: count('critical'), warning: count('warning'), info: count('info') };
}
