import { describe, expect, it } from 'vitest';
import { TuningPolicySpec } from '../api/v1alpha1/tuningPolicy.ts';
import type { RecommendedValue, TuningRecommendationStatus } from '../api/v1alpha1/tuningRecommendation.ts';
import type { ManagedFieldsEntry } from './managedFields.ts';
import { cooldownRemainingMs, fieldValue, limit, planActuation, targetReadiness, type Actuation, type LiveWorkload, type Plan, type PlanPolicy } from './plan.ts';

const NOW = new Date('2026-03-01T12:00:00Z');
const IMAGE = 'europe-docker.pkg.dev/demo/api:1.0.0';

interface ContainerSpec {
  name: string;
  image?: string;
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  startupProbe?: unknown;
}

/** A Ready Knative Service `api` in `shop` with one container `app`. */
function knative(options: { containerConcurrency?: number; containers?: ContainerSpec[]; managedFields?: ManagedFieldsEntry[]; annotations?: Record<string, string>; status?: unknown } = {}): LiveWorkload {
  const podSpec: Record<string, unknown> = { containers: options.containers ?? [{ name: 'app', image: IMAGE }] };
  if (options.containerConcurrency !== undefined) podSpec.containerConcurrency = options.containerConcurrency;
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: 'api', namespace: 'shop', uid: 'uid-api', generation: 3, annotations: options.annotations ?? {}, managedFields: options.managedFields ?? [] },
    spec: { template: { spec: podSpec } },
    status: options.status ?? { observedGeneration: 3, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

/** A rolled-out Deployment `web` in `shop` with 2 replicas and one container `app`. */
function deployment(options: { containers?: ContainerSpec[]; managedFields?: ManagedFieldsEntry[]; status?: unknown; replicas?: number } = {}): LiveWorkload {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop', uid: 'uid-web', generation: 5, managedFields: options.managedFields ?? [] },
    spec: { replicas: options.replicas ?? 2, template: { spec: { containers: options.containers ?? [{ name: 'app', image: IMAGE }] } } },
    status: options.status ?? { observedGeneration: 5, replicas: 2, updatedReplicas: 2, availableReplicas: 2 },
  };
}

/** managedFields of one manager owning `fieldsV1`. */
function managed(manager: string, fieldsV1: Record<string, unknown>, operation = 'Apply'): ManagedFieldsEntry {
  return { manager, operation, apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1 };
}

const podSpecFields = (fields: Record<string, unknown>) => ({ 'f:spec': { 'f:template': { 'f:spec': fields } } });

function policy(spec: Record<string, unknown> = {}, annotations: Record<string, string> = {}): PlanPolicy {
  return { metadata: { name: 'tune', annotations }, spec: TuningPolicySpec.parse({ mode: 'Apply', patch: { containerConcurrency: true, threadsEnv: true, workers: true, startupProbe: true, profilerIamPolicyMember: true }, ...spec }) };
}

function recommending(...values: Omit<RecommendedValue, 'confidence'>[]): TuningRecommendationStatus {
  return { recommendations: values.map((v) => ({ confidence: 0.9, ...v })) };
}

const concurrency = (value: number, current?: number): Omit<RecommendedValue, 'confidence'> =>
  current === undefined ? { setting: 'containerConcurrency', rule: 'concurrency.latency', value } : { setting: 'containerConcurrency', rule: 'concurrency.latency', value, current };
const threads = (value: number, extra: Partial<RecommendedValue> = {}): Omit<RecommendedValue, 'confidence'> => ({
  setting: 'threads',
  rule: 'concurrency.threads-mismatch',
  container: 'app',
  env: 'THREADS',
  value,
  ...extra,
});

function plan(live: LiveWorkload, recommendation: TuningRecommendationStatus | undefined, policySpec: Record<string, unknown> = {}, now = NOW): Plan {
  return planActuation({ policy: policy(policySpec), recommendation, live, now });
}

function applied(p: Plan): Actuation {
  if (p.kind !== 'apply') throw new Error(`expected an apply plan, got none: ${p.reason}: ${p.message}`);
  return p;
}

describe('planActuation: when nothing is written', () => {
  it('writes nothing when the policy is Off or only recommends', () => {
    expect(plan(knative(), recommending(concurrency(8)), { mode: 'Off' })).toMatchObject({ kind: 'none', reason: 'mode-off', message: 'TuningPolicy tune is Off' });
    expect(plan(knative(), recommending(concurrency(8)), { mode: 'Recommend' })).toMatchObject({ kind: 'none', reason: 'mode-recommend', message: 'TuningPolicy tune only recommends' });
  });

  it('writes nothing while the workload or the policy carries pytuner.dev/paused: "true"', () => {
    expect(plan(knative({ annotations: { 'pytuner.dev/paused': 'true' } }), recommending(concurrency(8)))).toMatchObject({
      kind: 'none',
      reason: 'paused',
      message: 'Service api has pytuner.dev/paused: "true"',
    });
    expect(planActuation({ policy: policy({}, { 'pytuner.dev/paused': 'true' }), recommendation: recommending(concurrency(8)), live: knative(), now: NOW })).toMatchObject({
      kind: 'none',
      reason: 'paused',
      message: 'TuningPolicy tune has pytuner.dev/paused: "true"',
    });
    // Any other value does not pause.
    expect(plan(knative({ annotations: { 'pytuner.dev/paused': 'false' } }), recommending(concurrency(8))).kind).toBe('apply');
  });

  it('writes nothing without recommended values', () => {
    expect(plan(knative(), undefined)).toMatchObject({ kind: 'none', reason: 'no-recommendations' });
    expect(plan(knative(), { recommendations: [] })).toMatchObject({ kind: 'none', reason: 'no-recommendations' });
  });

  it('waits for the cooldown after the last patch and says how long', () => {
    const recommendation = { ...recommending(concurrency(8)), applied: { at: '2026-03-01T11:30:00Z', policy: 'tune', generation: 3, fields: [], changes: [] } };
    expect(plan(knative(), recommendation)).toEqual({
      kind: 'none',
      reason: 'cooldown',
      message: 'last patch at 2026-03-01T11:30:00Z; cooldown 1h ends in 1800 s',
      retryAfterMs: 1_800_000,
      conflicts: [],
      skipped: [],
      events: [],
    });
    expect(plan(knative(), recommendation, { cooldown: '30m' }).kind).toBe('apply');
  });

  it('does not patch a Knative Service that is not Ready or has not observed its latest generation', () => {
    expect(plan(knative({ status: { observedGeneration: 3, conditions: [{ type: 'Ready', status: 'False', message: 'Revision "api-00003" failed with message: OOMKilled' }] } }), recommending(concurrency(8)))).toMatchObject({
      kind: 'none',
      reason: 'not-ready',
      message: 'Service api is not Ready (False): Revision "api-00003" failed with message: OOMKilled',
    });
    expect(plan(knative({ status: { observedGeneration: 2, conditions: [{ type: 'Ready', status: 'True' }] } }), recommending(concurrency(8)))).toMatchObject({
      reason: 'not-ready',
      message: 'Service api: generation 3 not observed yet (observedGeneration 2)',
    });
    expect(plan(knative({ status: {} }), recommending(concurrency(8)))).toMatchObject({ reason: 'not-ready', message: 'Service api: generation 3 not observed yet (observedGeneration 0)' });
  });

  it('does not patch a Deployment whose rollout is in progress', () => {
    const rollout = (status: Record<string, number>) => targetReadiness(deployment({ status: { observedGeneration: 5, replicas: 2, updatedReplicas: 2, availableReplicas: 2, ...status } }));
    expect(rollout({ observedGeneration: 4 })).toEqual({ ready: false, reason: 'rollout-in-progress', message: 'Deployment web: generation 5 not observed yet (observedGeneration 4)' });
    expect(rollout({ updatedReplicas: 1 })).toEqual({ ready: false, reason: 'rollout-in-progress', message: 'Deployment web: 1 of 2 replicas updated' });
    expect(rollout({ replicas: 3 })).toEqual({ ready: false, reason: 'rollout-in-progress', message: 'Deployment web: 1 old replicas pending termination' });
    expect(rollout({ availableReplicas: 1 })).toEqual({ ready: false, reason: 'rollout-in-progress', message: 'Deployment web: 1 of 2 updated replicas available' });
    expect(rollout({})).toEqual({ ready: true });
    // spec.replicas absent means 1 (the API server's default).
    expect(targetReadiness({ ...deployment(), spec: { template: {} }, status: { observedGeneration: 5, replicas: 1, updatedReplicas: 1, availableReplicas: 1 } })).toEqual({ ready: true });
    expect(plan(deployment({ status: { observedGeneration: 5, replicas: 2, updatedReplicas: 1, availableReplicas: 1 } }), recommending(threads(8)))).toMatchObject({ kind: 'none', reason: 'rollout-in-progress' });
  });

  it('skips values the policy does not allow, or that do not apply to the kind, with the reason', () => {
    expect(plan(knative(), recommending(concurrency(8), threads(8)), { patch: { startupProbe: true } })).toEqual({
      kind: 'none',
      reason: 'nothing-to-do',
      message: 'containerConcurrency: spec.patch.containerConcurrency is false in TuningPolicy tune; threads: spec.patch.threadsEnv is false in TuningPolicy tune',
      conflicts: [],
      skipped: [
        { setting: 'containerConcurrency', rule: 'concurrency.latency', reason: 'not-allowed', message: 'spec.patch.containerConcurrency is false in TuningPolicy tune' },
        { setting: 'threads', rule: 'concurrency.threads-mismatch', reason: 'not-allowed', message: 'spec.patch.threadsEnv is false in TuningPolicy tune' },
      ],
      events: [],
    });
    expect(plan(deployment(), recommending(concurrency(8)))).toMatchObject({
      reason: 'nothing-to-do',
      skipped: [{ reason: 'not-applicable', message: 'containerConcurrency exists only on Knative Services, not on a Deployment' }],
    });
  });

  it('skips a value that is already live, a missing container, an env var from a Secret, a non-integer and an existing probe', () => {
    const skipped = (live: LiveWorkload, value: Omit<RecommendedValue, 'confidence'>) => {
      const p = plan(live, recommending(value));
      return p.kind === 'none' ? p.skipped.map((s) => `${s.reason}: ${s.message}`) : ['(applied)'];
    };
    expect(skipped(knative({ containerConcurrency: 8 }), concurrency(8))).toEqual(['up-to-date: spec.template.spec.containerConcurrency is already 8']);
    expect(skipped(deployment(), threads(8, { container: 'sidecar' }))).toEqual(['container-missing: Deployment web has no container sidecar']);
    expect(skipped(deployment({ containers: [{ name: 'app', env: [{ name: 'THREADS', valueFrom: { configMapKeyRef: { name: 'tuning', key: 'threads' } } }] }] }), threads(8))).toEqual([
      'value-from: THREADS in container app is read from a Secret or ConfigMap',
    ]);
    expect(skipped(deployment({ containers: [{ name: 'app', env: [{ name: 'THREADS', value: '$(CPUS)' }] }] }), threads(8))).toEqual([
      'unparseable: spec.template.spec.containers[name=app].env[name=THREADS].value is "$(CPUS)", not an integer',
    ]);
    const probe = { setting: 'startupProbe' as const, rule: 'startup.probe-missing', container: 'app', startupProbe: { tcpSocket: { port: 8080 } } };
    expect(skipped(deployment({ containers: [{ name: 'app', startupProbe: { exec: { command: ['true'] } } }] }), probe)).toEqual(['probe-exists: container app already has a startupProbe']);
  });

  it('writes nothing to an object that does not read as a workload: the report would render no patch for it either', () => {
    const live = knative({ containers: [{ name: 'app', image: IMAGE }] });
    (live.spec as { template: { spec: Record<string, unknown> } }).template.spec.containerConcurrency = 'eighty';
    expect(plan(live, recommending(threads(8)))).toMatchObject({ kind: 'none', reason: 'nothing-to-do', message: 'Service api: its spec does not read as a workload, so no patch can be rendered for it' });
  });
});

describe('planActuation: values', () => {
  it('copies the recommended value when it is within bounds and one step', () => {
    expect(applied(plan(knative({ containerConcurrency: 10 }), recommending(concurrency(16)))).changes).toEqual([
      { field: 'spec.template.spec.containerConcurrency', setting: 'containerConcurrency', from: '10', to: '16', rule: 'concurrency.latency', recommended: '16' },
    ]);
  });

  it('takes at most one step per reconcile: x2 up, /2 down, from the live value', () => {
    expect(applied(plan(knative({ containerConcurrency: 10 }), recommending(concurrency(80)))).changes[0]).toMatchObject({ from: '10', to: '20', recommended: '80', limitedBy: 'step' });
    expect(applied(plan(knative({ containerConcurrency: 80 }), recommending(concurrency(8)))).changes[0]).toMatchObject({ from: '80', to: '40', recommended: '8', limitedBy: 'step' });
    // An odd current value rounds the half up, so a step never undershoots /2.
    expect(applied(plan(knative({ containerConcurrency: 5 }), recommending(concurrency(1)))).changes[0]).toMatchObject({ to: '3', limitedBy: 'step' });
  });

  it('takes a fact read from the spec (confidence 1) to its target in one step; only estimates are stepped', () => {
    const fact = { ...concurrency(8), rule: 'concurrency.threads-mismatch', confidence: 1 };
    const estimate = { ...concurrency(8), rule: 'metrics.container-concurrency', confidence: 0.9 };
    expect(applied(plan(knative({ containerConcurrency: 80 }), { recommendations: [fact] })).changes[0]).toEqual({
      field: 'spec.template.spec.containerConcurrency',
      setting: 'containerConcurrency',
      from: '80',
      to: '8',
      rule: 'concurrency.threads-mismatch',
      recommended: '8',
    });
    expect(applied(plan(knative({ containerConcurrency: 80 }), { recommendations: [estimate] })).changes[0]).toMatchObject({ from: '80', to: '40', recommended: '8', limitedBy: 'step' });
    // Bounds still hold a fact.
    const bounds = { concurrency: { min: 10, max: 1000 } };
    expect(applied(plan(knative({ containerConcurrency: 80 }), { recommendations: [fact] }, { bounds })).changes[0]).toMatchObject({ to: '10', limitedBy: 'bounds' });
  });

  it('gates estimates on spec.minConfidence (default medium), never facts from the spec', () => {
    const at = (confidence: number) => ({ recommendations: [{ ...concurrency(16), rule: 'metrics.container-concurrency', confidence }] });
    const low = plan(knative({ containerConcurrency: 10 }), at(0.3));
    expect(low).toMatchObject({ kind: 'none', reason: 'nothing-to-do' });
    expect(low.skipped).toEqual([
      { setting: 'containerConcurrency', rule: 'metrics.container-concurrency', reason: 'low-confidence', message: 'confidence 0.3 is below spec.minConfidence medium (0.6) in TuningPolicy tune' },
    ]);
    expect(applied(plan(knative({ containerConcurrency: 10 }), at(0.6))).changes[0]).toMatchObject({ to: '16' });
    expect(applied(plan(knative({ containerConcurrency: 10 }), at(0.3), { minConfidence: 'low' })).changes[0]).toMatchObject({ to: '16' });
    expect(plan(knative({ containerConcurrency: 10 }), at(0.6), { minConfidence: 'high' })).toMatchObject({ kind: 'none', skipped: [expect.objectContaining({ reason: 'low-confidence' })] });
    expect(applied(plan(knative({ containerConcurrency: 10 }), at(1), { minConfidence: 'high' })).changes[0]).toMatchObject({ to: '16' });
    // Only the unsure value is held; a confident one next to it is written.
    const mixed = plan(deployment(), { recommendations: [{ ...threads(8), confidence: 0.3 }, { setting: 'workers', rule: 'gunicorn.workers-vs-cpu', container: 'app', env: 'WEB_CONCURRENCY', value: 2, confidence: 1 }] });
    expect(applied(mixed).changes.map((c) => c.setting)).toEqual(['workers']);
    expect(mixed.skipped.map((s) => [s.setting, s.reason])).toEqual([['threads', 'low-confidence']]);
  });

  it('steps from the recommender\'s current value when the field is unset, and not at all from 0 or unknown', () => {
    expect(applied(plan(deployment(), recommending(threads(16, { current: 1 })))).changes[0]).toMatchObject({ to: '2', limitedBy: 'step' });
    expect(applied(plan(deployment(), recommending(threads(16)))).changes[0]).toMatchObject({ to: '16' });
    expect(applied(plan(knative({ containerConcurrency: 0 }), recommending(concurrency(8)))).changes[0]).toMatchObject({ from: '0', to: '8' });
  });

  it('keeps values within the policy bounds, which win over the step', () => {
    const bounds = { concurrency: { min: 10, max: 50 }, threads: { max: 8 } };
    expect(applied(plan(knative({ containerConcurrency: 40 }), recommending(concurrency(60)), { bounds })).changes[0]).toMatchObject({ to: '50', limitedBy: 'bounds' });
    expect(applied(plan(knative({ containerConcurrency: 40 }), recommending(concurrency(4)), { bounds })).changes[0]).toMatchObject({ to: '20', limitedBy: 'step' });
    expect(applied(plan(knative({ containerConcurrency: 12 }), recommending(concurrency(4)), { bounds })).changes[0]).toMatchObject({ to: '10', limitedBy: 'bounds' });
    expect(applied(plan(deployment(), recommending(threads(32)), { bounds })).changes[0]).toMatchObject({ to: '8', limitedBy: 'bounds' });
  });
});

describe('limit', () => {
  it('clamps to bounds, then to one step, then to bounds again', () => {
    const bounds = { min: 1, max: 1000 };
    expect(limit(8, undefined, bounds)).toEqual({ to: 8 });
    expect(limit(2000, undefined, bounds)).toEqual({ to: 1000, limitedBy: 'bounds' });
    expect(limit(100, 10, bounds)).toEqual({ to: 20, limitedBy: 'step' });
    expect(limit(1, 10, bounds)).toEqual({ to: 5, limitedBy: 'step' });
    expect(limit(2000, 800, bounds)).toEqual({ to: 1000, limitedBy: 'bounds' });
    expect(limit(1, 2000, { min: 1, max: 1000 })).toEqual({ to: 1000, limitedBy: 'step' });
  });
});

describe('cooldownRemainingMs', () => {
  it('counts from the last patch; never applied or unreadable means no wait', () => {
    expect(cooldownRemainingMs('1h', '2026-03-01T11:00:00Z', NOW)).toBe(0);
    expect(cooldownRemainingMs('1h', '2026-03-01T11:01:00Z', NOW)).toBe(60_000);
    expect(cooldownRemainingMs('1h', undefined, NOW)).toBe(0);
    expect(cooldownRemainingMs('1h', 'yesterday', NOW)).toBe(0);
    expect(cooldownRemainingMs('0s', '2026-03-01T12:00:00Z', NOW)).toBe(0);
  });
});

describe('planActuation: field ownership', () => {
  const deployToolOwnsConcurrency = managed('deploy-tool', podSpecFields({ 'f:containerConcurrency': {}, 'f:containers': {} }));

  it('reports a field owned by another manager as a conflict with a Warning, and writes nothing', () => {
    const p = plan(knative({ containerConcurrency: 80, managedFields: [deployToolOwnsConcurrency] }), recommending(concurrency(40)));
    expect(p).toEqual({
      kind: 'none',
      reason: 'conflict',
      message: 'spec.template.spec.containerConcurrency is managed by deploy-tool',
      conflicts: [{ field: 'spec.template.spec.containerConcurrency', setting: 'containerConcurrency', manager: 'deploy-tool' }],
      skipped: [],
      events: [
        {
          type: 'Warning',
          reason: 'TuningConflict',
          action: 'Skip',
          note: 'spec.template.spec.containerConcurrency is managed by deploy-tool; pytuner left it unchanged (set spec.force: true in TuningPolicy tune to take it over)',
          regarding: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', namespace: 'shop', name: 'api', uid: 'uid-api' },
          onlyIfWritten: false,
        },
      ],
    });
  });

  it('publishes the conflict Event once: a conflict already in status is not announced again', () => {
    const recommendation = { ...recommending(concurrency(40)), conflicts: [{ field: 'spec.template.spec.containerConcurrency', setting: 'containerConcurrency' as const, manager: 'deploy-tool' }] };
    expect(plan(knative({ containerConcurrency: 80, managedFields: [deployToolOwnsConcurrency] }), recommendation)).toMatchObject({ reason: 'conflict', events: [] });
  });

  it('takes the field over when the policy forces', () => {
    const p = applied(plan(knative({ containerConcurrency: 80, managedFields: [deployToolOwnsConcurrency] }), recommending(concurrency(40)), { force: true }));
    expect(p.writes).toMatchObject([{ method: 'json-patch', ops: [{ op: 'test', path: '/spec/template/spec/containerConcurrency', value: 80 }, { op: 'replace', path: '/spec/template/spec/containerConcurrency', value: 40 }] }]);
  });

  it('does not count pytuner\'s own entries (apply or update) or status entries as other owners', () => {
    const own = [
      managed('pytuner', podSpecFields({ 'f:containerConcurrency': {} })),
      managed('pytuner', podSpecFields({ 'f:containers': {} }), 'Update'),
      { ...managed('knative-controller', { 'f:spec': { 'f:template': { 'f:spec': { 'f:containerConcurrency': {} } } } }), subresource: 'status' },
    ];
    expect(applied(plan(knative({ containerConcurrency: 80, managedFields: own }), recommending(concurrency(40), threads(8)))).changes.map((c) => c.setting)).toEqual(['containerConcurrency', 'threads']);
  });

  it('treats Knative\'s atomic containers list as owning every env entry in it: a value the owner set is a conflict', () => {
    const containers = [{ name: 'app', image: IMAGE, env: [{ name: 'THREADS', value: '4' }] }];
    const p = plan(knative({ containers, managedFields: [managed('deploy-tool', podSpecFields({ 'f:containers': {} }))] }), recommending(threads(8)));
    expect(p).toMatchObject({ reason: 'conflict', conflicts: [{ field: 'spec.template.spec.containers[name=app].env[name=THREADS].value', manager: 'deploy-tool' }] });
  });

  it('adds an env entry nobody declared inside Knative\'s atomic containers without force, and hands the list back to its owner', () => {
    const owner = managed('deploy-tool', podSpecFields({ 'f:containers': {} }));
    const p = applied(plan(knative({ managedFields: [owner, managed('pytuner', podSpecFields({ 'f:containerConcurrency': {} }))] }), recommending(threads(8))));
    expect(p.writes).toMatchObject([{ method: 'json-patch', handBack: [owner] }]);
    expect(p.changes).toMatchObject([{ field: 'spec.template.spec.containers[name=app].env[name=THREADS].value', to: '8' }]);
  });

  it('sees Deployment env entries by name: another entry\'s owner is no conflict', () => {
    const portOwner = managed(
      'deploy-tool',
      podSpecFields({ 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:image': {}, 'f:name': {}, 'f:env': { 'k:{"name":"PORT"}': { '.': {}, 'f:name': {}, 'f:value': {} } } } } }),
    );
    const live = deployment({ containers: [{ name: 'app', image: IMAGE, env: [{ name: 'PORT', value: '8080' }] }], managedFields: [portOwner] });
    expect(applied(plan(live, recommending(threads(8)))).changes).toHaveLength(1);

    const threadsOwner = managed('flux', podSpecFields({ 'f:containers': { 'k:{"name":"app"}': { 'f:env': { 'k:{"name":"THREADS"}': { '.': {}, 'f:name': {}, 'f:value': {} } } } } }));
    const owned = deployment({ containers: [{ name: 'app', env: [{ name: 'THREADS', value: '4' }] }], managedFields: [threadsOwner] });
    expect(plan(owned, recommending(threads(8)))).toMatchObject({ reason: 'conflict', conflicts: [{ manager: 'flux' }] });
  });

  it('applies what it may and reports the rest when only some fields conflict', () => {
    const containers = [{ name: 'app', image: IMAGE, env: [{ name: 'THREADS', value: '4' }] }];
    const live = knative({ containerConcurrency: 80, containers, managedFields: [managed('deploy-tool', podSpecFields({ 'f:containers': {} }))] });
    const p = applied(plan(live, recommending(concurrency(40), threads(8))));
    expect(p.changes.map((c) => c.setting)).toEqual(['containerConcurrency']);
    expect(p.conflicts).toEqual([{ field: 'spec.template.spec.containers[name=app].env[name=THREADS].value', setting: 'threads', manager: 'deploy-tool' }]);
    expect(p.events.map((e) => e.reason)).toEqual(['TuningConflict', 'TuningApplied']);
  });
});

describe('planActuation: drift', () => {
  const field = 'spec.template.spec.containers[name=app].env[name=THREADS].value';
  const record = { field, setting: 'threads' as const, manager: 'argocd-controller', wrote: '8', found: '', recommended: '8', reverts: 1, appliedAt: '2026-03-01T11:00:00Z', lastReverted: '2026-03-01T11:30:00Z' };

  it('holds a field another manager set back while the recommendation is the one it came from', () => {
    const p = plan(knative(), { ...recommending(threads(8)), drift: [record] });
    expect(p).toMatchObject({ kind: 'none', reason: 'nothing-to-do', skipped: [{ setting: 'threads', reason: 'drifting' }] });
  });

  it('writes again once the recommendation changes', () => {
    expect(applied(plan(knative(), { ...recommending(threads(6)), drift: [record] })).changes).toMatchObject([{ field, to: '6' }]);
  });
});

describe('planActuation: writes', () => {
  it('patches containerConcurrency of a Knative Service with a test of the value read, and announces old and new values', () => {
    const p = applied(plan(knative({ containerConcurrency: 80 }), recommending(concurrency(40))));
    expect(p.writes).toEqual([
      {
        method: 'json-patch',
        target: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', namespace: 'shop', name: 'api', uid: 'uid-api' },
        ops: [
          { op: 'test', path: '/spec/template/spec/containerConcurrency', value: 80 },
          { op: 'replace', path: '/spec/template/spec/containerConcurrency', value: 40 },
        ],
        changes: p.changes,
      },
    ]);
    expect(p.events).toEqual([
      {
        type: 'Normal',
        reason: 'TuningApplied',
        action: 'Patch',
        note: 'containerConcurrency 80 → 40 (concurrency.latency)',
        regarding: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', namespace: 'shop', name: 'api', uid: 'uid-api' },
        onlyIfWritten: true,
      },
    ]);
    // Unset (Knative's default applies): an add.
    expect(applied(plan(knative(), recommending(concurrency(8)))).writes).toMatchObject([{ ops: [{ op: 'add', path: '/spec/template/spec/containerConcurrency', value: 8 }] }]);
  });

  it('patches Knative container fields with the report\'s ops, tests first: replace, append, or create env', () => {
    const ops = (containers: ContainerSpec[], ...values: Omit<RecommendedValue, 'confidence'>[]) => {
      const p = applied(plan(knative({ containers }), recommending(...values)));
      return p.writes.map((w) => (w.method === 'json-patch' ? w.ops : w.method));
    };
    expect(ops([{ name: 'side' }, { name: 'app', env: [{ name: 'PORT', value: '8080' }, { name: 'THREADS', value: '4' }] }], threads(8))).toEqual([
      [
        { op: 'test', path: '/spec/template/spec/containers/1/env/1/name', value: 'THREADS' },
        { op: 'replace', path: '/spec/template/spec/containers/1/env/1/value', value: '8' },
      ],
    ]);
    expect(ops([{ name: 'app', env: [{ name: 'PORT', value: '8080' }] }], threads(8), { setting: 'workers', rule: 'gunicorn.workers-vs-cpu', container: 'app', env: 'WEB_CONCURRENCY', value: 2 })).toEqual([
      [
        { op: 'add', path: '/spec/template/spec/containers/0/env/-', value: { name: 'THREADS', value: '8' } },
        { op: 'add', path: '/spec/template/spec/containers/0/env/-', value: { name: 'WEB_CONCURRENCY', value: '2' } },
      ],
    ]);
    // No env list: one add of the list with both entries (two adds of the list would keep only the last).
    expect(ops([{ name: 'app' }], threads(8), { setting: 'workers', rule: 'gunicorn.workers-vs-cpu', container: 'app', env: 'WEB_CONCURRENCY', value: 2 })).toEqual([
      [
        {
          op: 'add',
          path: '/spec/template/spec/containers/0/env',
          value: [
            { name: 'THREADS', value: '8' },
            { name: 'WEB_CONCURRENCY', value: '2' },
          ],
        },
      ],
    ]);
    // One patch for the pod spec and container fields together, the test of the value read first.
    expect(ops([{ name: 'app' }], concurrency(8), { setting: 'startupProbe', rule: 'startup.probe-missing', container: 'app', startupProbe: { tcpSocket: { port: 8080 }, periodSeconds: 2, failureThreshold: 60 } })).toEqual([
      [
        { op: 'add', path: '/spec/template/spec/containerConcurrency', value: 8 },
        { op: 'add', path: '/spec/template/spec/containers/0/startupProbe', value: { tcpSocket: { port: 8080 }, periodSeconds: 2, failureThreshold: 60 } },
      ],
    ]);
  });

  it('makes a workload JSON Patch conditional on the resourceVersion read, so a write after another one is refused (409)', () => {
    const live = knative({ containerConcurrency: 80, containers: [{ name: 'app' }] });
    live.metadata.resourceVersion = '4711';
    const p = applied(plan(live, recommending(threads(8), concurrency(40))));
    expect(p.writes.map((w) => (w.method === 'json-patch' ? w.ops : w.method))).toEqual([
      [
        { op: 'replace', path: '/metadata/resourceVersion', value: '4711' },
        { op: 'test', path: '/spec/template/spec/containerConcurrency', value: 80 },
        { op: 'add', path: '/spec/template/spec/containers/0/env', value: [{ name: 'THREADS', value: '8' }] },
        { op: 'replace', path: '/spec/template/spec/containerConcurrency', value: 40 },
      ],
    ]);
  });

  it('reads back the scalar a write carried by its field path (a write whose answer was lost)', () => {
    const live = knative({ containerConcurrency: 12, containers: [{ name: 'side' }, { name: 'app', env: [{ name: 'THREADS', value: '8' }] }] });
    expect(fieldValue(live, 'spec.template.spec.containerConcurrency')).toBe('12');
    expect(fieldValue(live, 'spec.template.spec.containers[name=app].env[name=THREADS].value')).toBe('8');
    expect(fieldValue(live, 'spec.template.spec.containers[name=side].env[name=THREADS].value')).toBeUndefined();
    expect(fieldValue(live, 'spec.template.spec.containers[name=app]')).toBeUndefined();
  });

  it('patches Deployment container fields in one JSON Patch by index: env entries, startupProbe', () => {
    const probe = { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 2, failureThreshold: 60 };
    const p = applied(
      plan(
        deployment({ containers: [{ name: 'side', image: IMAGE }, { name: 'app', image: IMAGE }] }),
        recommending(threads(8), { setting: 'workers', rule: 'gunicorn.workers-vs-cpu', container: 'app', env: 'WEB_CONCURRENCY', value: 2 }, { setting: 'startupProbe', rule: 'startup.probe-missing', container: 'app', startupProbe: probe }),
      ),
    );
    expect(p.writes).toEqual([
      {
        method: 'json-patch',
        target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web', uid: 'uid-web' },
        ops: [
          {
            op: 'add',
            path: '/spec/template/spec/containers/1/env',
            value: [
              { name: 'THREADS', value: '8' },
              { name: 'WEB_CONCURRENCY', value: '2' },
            ],
          },
          { op: 'add', path: '/spec/template/spec/containers/1/startupProbe', value: probe },
        ],
        changes: p.changes,
      },
    ]);
    expect(p.events.at(-1)?.note).toBe(`THREADS unset → 8 (concurrency.threads-mismatch); WEB_CONCURRENCY unset → 2 (gunicorn.workers-vs-cpu); startupProbe unset → ${JSON.stringify(probe)} (startup.probe-missing)`);
  });

  it('applies the profiler IAMPolicyMember as a whole object in the workload namespace unless another is named', () => {
    const member = { name: 'api-cloudprofiler-agent', member: 'serviceAccount:api@demo.iam.gserviceaccount.com', role: 'roles/cloudprofiler.agent', resourceRef: { kind: 'Project', external: 'projects/demo' } };
    const p = applied(plan(knative(), recommending({ setting: 'profilerIamPolicyMember', rule: 'profiler.iam-role', iamPolicyMember: member })));
    expect(p.writes).toEqual([
      {
        method: 'server-side-apply',
        target: { apiVersion: 'iam.cnrm.cloud.google.com/v1beta1', kind: 'IAMPolicyMember', namespace: 'shop', name: 'api-cloudprofiler-agent' },
        object: {
          apiVersion: 'iam.cnrm.cloud.google.com/v1beta1',
          kind: 'IAMPolicyMember',
          metadata: { name: 'api-cloudprofiler-agent', namespace: 'shop', labels: { 'app.kubernetes.io/managed-by': 'pytuner' } },
          spec: { member: member.member, role: member.role, resourceRef: member.resourceRef },
        },
        force: false,
        changes: [{ field: 'IAMPolicyMember/api-cloudprofiler-agent', setting: 'profilerIamPolicyMember', to: 'serviceAccount:api@demo.iam.gserviceaccount.com roles/cloudprofiler.agent', rule: 'profiler.iam-role', recommended: 'serviceAccount:api@demo.iam.gserviceaccount.com roles/cloudprofiler.agent' }],
      },
    ]);
    const elsewhere = applied(plan(knative(), recommending({ setting: 'profilerIamPolicyMember', rule: 'profiler.iam-role', iamPolicyMember: { ...member, namespace: 'cnrm-demo' } })));
    expect(elsewhere.writes[0]?.target.namespace).toBe('cnrm-demo');
  });
});
