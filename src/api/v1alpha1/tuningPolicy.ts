/**
 * @module TuningPolicy (`pytuner.dev/v1alpha1`, namespaced): which workloads of its namespace pytuner tunes, whether
 * it only recommends or also patches, within which bounds, and what it may touch. The zod schema is the source of
 * the TypeScript type and of `crds/pytuner.dev_tuningpolicies.yaml` (scripts/gen-crds.ts); the CEL rules attached
 * with `.meta()` run in the API server at admission.
 */
import { z } from 'zod';
import { API_VERSION, Conditions, Duration, LIST_SET, LabelSelectorRequirement, cel, labelsMatch, withRules } from './common.ts';

/** Kind of TuningPolicy objects. */
export const TUNING_POLICY_KIND = 'TuningPolicy';
/** Plural resource name (`kubectl get tuningpolicies`). */
export const TUNING_POLICY_PLURAL = 'tuningpolicies';

/**
 * Workload kinds a policy can select. `Service` is the Knative Serving Service (`serving.knative.dev/v1`, also Cloud
 * Run's API); `Deployment` is `apps/v1`. A core/v1 Service is never a target.
 */
export const TargetKind = z.enum(['Service', 'Deployment']);
/** Workload kinds a policy can select. */
export type TargetKind = z.infer<typeof TargetKind>;

/** apiVersion of each target kind. */
export const TARGET_API_VERSIONS: Readonly<Record<TargetKind, string>> = { Service: 'serving.knative.dev/v1', Deployment: 'apps/v1' };

/** Off: nothing is evaluated. Recommend: TuningRecommendations are written, targets are never modified. Apply: allowed fields are also patched. */
export const PolicyMode = z.enum(['Off', 'Recommend', 'Apply']);
/** Off, Recommend or Apply. */
export type PolicyMode = z.infer<typeof PolicyMode>;

/** The metric naming schemes pytuner reads (see src/model/observations.ts MetricsProfileId), or `auto`: detected from the series present, as `pytuner report` does. */
export const MetricsProfile = z.enum(['auto', 'knative', 'knative-legacy', 'cloudrun', 'kubernetes']);

const ruleId = z.string().min(1).max(63).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);

/** Selection of target workloads in the policy's namespace: kinds and a label selector (empty selects every workload of those kinds). */
export const PolicySelector = z.object({
  kinds: z
    .array(TargetKind)
    .min(1)
    .max(2)
    .default(['Service', 'Deployment'])
    .meta(LIST_SET)
    .describe('Workload kinds to tune: Service (serving.knative.dev/v1) and/or Deployment (apps/v1). Defaults to both.'),
  matchLabels: z.record(z.string().max(317), z.string().max(63)).optional().describe('Labels a workload must carry, as in a LabelSelector.'),
  matchExpressions: z.array(LabelSelectorRequirement).max(32).optional().describe('Label requirements, ANDed, as in a LabelSelector.'),
});
/** Which workloads a policy selects. */
export type PolicySelector = z.infer<typeof PolicySelector>;

/** What the recommender aims for. */
export const Objectives = withRules(
  z.object({
    latencySLO: Duration.optional().describe('Target p95 request latency, e.g. 300ms. Concurrency is lowered when p95 exceeds it.'),
    latencyP95Factor: z
      .number()
      .min(1)
      .max(10)
      .optional()
      .describe('Alternative to latencySLO: p95 may grow to this factor of the p95 measured at low concurrency (e.g. 1.5).'),
  }),
  { rule: '!(has(self.latencySLO) && has(self.latencyP95Factor))', message: 'set latencySLO or latencyP95Factor, not both', holds: (self) => self.latencySLO === undefined || self.latencyP95Factor === undefined },
);
/** What the recommender aims for. */
export type Objectives = z.infer<typeof Objectives>;

/** Limits no recommendation may leave; values outside are clamped by the recommender and the actuator. */
export const Bounds = z.object({
  concurrency: withRules(
    z.object({
      min: z.int().min(1).max(1000).default(1).describe('Lowest containerConcurrency pytuner sets. Defaults to 1.'),
      // 1000 is the highest containerConcurrency Knative (config-defaults container-concurrency-max-limit) and Cloud Run accept.
      max: z.int().min(1).max(1000).default(1000).describe('Highest containerConcurrency pytuner sets. Defaults to 1000.'),
    }),
    { rule: 'self.min <= self.max', message: 'bounds.concurrency.min must be <= bounds.concurrency.max', fieldPath: '.min', holds: (self) => self.min <= self.max },
  )
    .default({ min: 1, max: 1000 })
    .describe('Limits on containerConcurrency.'),
  threads: z
    .object({ max: z.int().min(1).max(1000).optional().describe('Highest THREADS value pytuner sets.') })
    .optional()
    .describe('Limits on threads per worker.'),
  workers: z
    .object({ max: z.int().min(1).max(256).optional().describe('Highest worker count pytuner sets.') })
    .optional()
    .describe('Limits on worker processes.'),
});
/** Limits no recommendation may leave. */
export type Bounds = z.infer<typeof Bounds>;

/** Which rule ids run. Absent `enabled` means every registered rule; `disabled` removes ids from that set. */
export const RuleSelection = withRules(
  z.object({
    enabled: z.array(ruleId).max(64).optional().meta(LIST_SET).describe('Only these rule ids run (default: all).'),
    disabled: z.array(ruleId).max(64).optional().meta(LIST_SET).describe('These rule ids never run.'),
  }),
  {
    rule: '!has(self.enabled) || !has(self.disabled) || !self.enabled.exists(r, r in self.disabled)',
    message: 'a rule id cannot be both enabled and disabled',
    holds: (self) => !(self.enabled ?? []).some((id) => (self.disabled ?? []).includes(id)),
  },
);
/** Which rule ids run. */
export type RuleSelection = z.infer<typeof RuleSelection>;

/** How sure an estimate from measured load is: the recommender's levels. */
export const ConfidenceLevel = z.enum(['low', 'medium', 'high']);
/** How sure an estimate from measured load is. */
export type ConfidenceLevel = z.infer<typeof ConfidenceLevel>;

/** Names of the things Apply mode may change, the keys of `spec.patch`. */
export const PATCHABLE = ['containerConcurrency', 'threadsEnv', 'workers', 'startupProbe', 'profilerIamPolicyMember'] as const;
/** One thing Apply mode may change. */
export type Patchable = (typeof PATCHABLE)[number];

/**
 * What Apply mode may change. Everything defaults to false, so a policy switched to Apply patches nothing it was not
 * explicitly allowed to (an Apply policy must allow at least one, enforced by CEL on the spec).
 */
export const PatchPermissions = z.object({
  containerConcurrency: z.boolean().default(false).describe('spec.template.spec.containerConcurrency of a Knative Service.'),
  threadsEnv: z.boolean().default(false).describe('The THREADS environment variable of the serving container.'),
  workers: z.boolean().default(false).describe('The worker count environment variable (WEB_CONCURRENCY) of the serving container.'),
  startupProbe: z.boolean().default(false).describe('The startupProbe of the serving container.'),
  profilerIamPolicyMember: z.boolean().default(false).describe('Create a Config Connector IAMPolicyMember granting roles/cloudprofiler.agent.'),
});
/** What Apply mode may change. */
export type PatchPermissions = z.infer<typeof PatchPermissions>;

const PROMETHEUS_URL_MESSAGE = 'prometheusUrl must be an http:// or https:// URL';

/** Where measured load comes from. Absent: pytuner recommends from the static rules alone and says so (condition MetricsAvailable=False). */
export const MetricsSource = z
  .object({
    prometheusUrl: z
      .url({ protocol: /^https?$/, error: PROMETHEUS_URL_MESSAGE })
      .max(2048)
      .describe('Base URL of the Prometheus HTTP API, e.g. http://prometheus.monitoring:9090.'),
    profile: MetricsProfile.default('knative').describe('Metric naming scheme: knative, knative-legacy, cloudrun or kubernetes, or auto (detected from the series present, as pytuner report does). Defaults to knative.'),
    // 7 days covers a weekly traffic cycle (KRR's default history is 14 d, VPA's half-life 24 h).
    window: Duration.default('168h').describe('How much history each recommendation reads. Defaults to 168h (7 days).'),
  })
  // The CRD's `format: uri` admits any scheme (ftp:, file:, gopher:); the controller only speaks HTTP(S). zod's
  // `protocol` above is the same check, so this rule needs no TypeScript twin.
  .meta(cel({ rule: "isURL(self.prometheusUrl) && url(self.prometheusUrl).getScheme() in ['http', 'https']", message: PROMETHEUS_URL_MESSAGE, fieldPath: '.prometheusUrl' }));
/** Where measured load comes from. */
export type MetricsSource = z.infer<typeof MetricsSource>;

const APPLY_NEEDS_PERMISSION = `self.mode != 'Apply' || (has(self.patch) && (${PATCHABLE.map((p) => `(has(self.patch.${p}) && self.patch.${p})`).join(' || ')}))`;

/** Desired state of a TuningPolicy. */
export const TuningPolicySpec = withRules(
  z.object({
    selector: PolicySelector.default({ kinds: ['Service', 'Deployment'] }).describe(
      'Which workloads of this namespace the policy covers (the cluster default policy, named by the controller\'s --default-policy, also covers those of every namespace labelled pytuner.dev/enabled=true).',
    ),
    mode: PolicyMode.default('Recommend').describe('Off, Recommend (write TuningRecommendations only) or Apply (also patch allowed fields). Defaults to Recommend.'),
    objectives: Objectives.default({}).describe('Latency target for the recommender (default: 1.5 × the p95 measured at low concurrency).'),
    bounds: Bounds.default({ concurrency: { min: 1, max: 1000 } }).describe('Limits on recommended and applied values.'),
    cooldown: Duration.default('1h').describe('Minimum time between two patches of the same workload. Defaults to 1h.'),
    rules: RuleSelection.optional().describe('Which rule ids run (default: all).'),
    patch: PatchPermissions.default({ containerConcurrency: false, threadsEnv: false, workers: false, startupProbe: false, profilerIamPolicyMember: false }).describe(
      'What Apply mode may change; all false by default.',
    ),
    minConfidence: ConfidenceLevel.default('medium').describe(
      'The least confidence (low, medium or high) a value estimated from measured load needs before Apply writes it; lower ones stay recommendations. Facts read from the spec (confidence 1) always pass. Defaults to medium.',
    ),
    force: z.boolean().default(false).describe('Take over fields owned by another field manager (e.g. a GitOps tool). Defaults to false: such a field is reported as a conflict.'),
    metrics: MetricsSource.optional().describe('Prometheus to read measured load from. Without it only the static rules run.'),
  }),
  {
    rule: APPLY_NEEDS_PERMISSION,
    message: 'mode Apply needs at least one field allowed in spec.patch',
    fieldPath: '.patch',
    reason: 'FieldValueRequired',
    holds: (self) => self.mode !== 'Apply' || PATCHABLE.some((p) => self.patch[p]),
  },
);
/** Desired state of a TuningPolicy. */
export type TuningPolicySpec = z.infer<typeof TuningPolicySpec>;

/** Condition types on a TuningPolicy. */
export const POLICY_CONDITIONS = { ready: 'Ready', metricsAvailable: 'MetricsAvailable', permitted: 'Permitted', overlapping: 'Overlapping' } as const;

/** Observed state of a TuningPolicy, written by the controller only. */
export const TuningPolicyStatus = z.object({
  observedGeneration: z.int().min(0).optional().describe('metadata.generation of the spec this status describes.'),
  conditions: Conditions.optional().describe(
    'Ready, MetricsAvailable, Permitted (False lists each read or write RBAC refused the controller), and Overlapping (True names each other policy that selects some of the same workloads, the workloads, and which policy governs them).',
  ),
  targets: z.int().min(0).optional().describe('Workloads the policy governs: those it selects that no policy ahead of it selects (a namespace\'s own policies oldest first, then the cluster default policy).'),
  recommendations: z.int().min(0).optional().describe('TuningRecommendations with at least one finding.'),
  applied: z.int().min(0).optional().describe('Workloads patched at least once under this policy.'),
  conflicts: z.int().min(0).optional().describe('Workloads with a change blocked by another field manager.'),
});
/** Observed state of a TuningPolicy. */
export type TuningPolicyStatus = z.infer<typeof TuningPolicyStatus>;

/** Object metadata pytuner reads from its own resources (the API server owns the rest). */
export const ObjectMeta = z.looseObject({
  name: z.string(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  generation: z.int().optional(),
  resourceVersion: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  creationTimestamp: z.string().optional(),
});

/** A TuningPolicy as read from the API server (spec defaults already applied by it). */
export const TuningPolicy = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(TUNING_POLICY_KIND),
  metadata: ObjectMeta,
  spec: TuningPolicySpec,
  status: TuningPolicyStatus.optional(),
});
/** A TuningPolicy. */
export type TuningPolicy = z.infer<typeof TuningPolicy>;

/**
 * parseTuningPolicy validates an object read from the API server (or a file) and fills defaults the way the API
 * server would. An object written before a CRD upgrade, or by a client that bypassed admission, gets a typed error
 * naming the field instead of a crash deeper in.
 */
export function parseTuningPolicy(raw: unknown): { ok: true; policy: TuningPolicy } | { ok: false; errors: { field: string; message: string }[] } {
  const result = TuningPolicy.safeParse(raw);
  if (result.success) return { ok: true, policy: result.data };
  return { ok: false, errors: result.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })) };
}

/** policySelects tells whether a workload of `kind` with `labels` in the policy's namespace is one of its targets. */
export function policySelects(spec: Pick<TuningPolicySpec, 'selector'>, kind: string, labels: Readonly<Record<string, string>>): boolean {
  return (spec.selector.kinds as string[]).includes(kind) && labelsMatch(spec.selector, labels);
}

/** ruleEnabled tells whether rule `id` runs under the policy's `rules` selection. */
export function ruleEnabled(rules: RuleSelection | undefined, id: string): boolean {
  if (rules?.disabled?.includes(id)) return false;
  return rules?.enabled === undefined || rules.enabled.includes(id);
}
