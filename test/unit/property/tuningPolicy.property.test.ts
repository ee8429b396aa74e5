// Hostile TuningPolicy specs through the zod schema (src/api/v1alpha1) and the actuation plan (src/actuator/plan.ts):
// whatever a spec holds, parsing never throws, a rejected spec names a field and says why, a spec that breaks a CEL
// rule of the CRD is rejected by zod too (an object that skipped admission never reaches the actuator), and an
// accepted one never makes the plan write outside its mode, its `spec.patch` permissions or its bounds.
import { MEASURED_CONFIDENCE } from '../../../src/model/change.ts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTuningPolicy, PATCHABLE, type TuningPolicy } from '../../../src/api/v1alpha1/tuningPolicy.ts';
import { TuningRecommendationStatus } from '../../../src/api/v1alpha1/tuningRecommendation.ts';
import { planActuation, type LiveWorkload, type PlannedChange } from '../../../src/actuator/plan.ts';
import { hostileValue, RUNS } from './arbitraries.ts';

const NOW = new Date('2026-03-01T12:00:00Z');

/** A field's arbitrary: mostly values of the right type (so cross-field rules get exercised), sometimes anything. */
const orHostile = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: hostileValue });

const duration = fc.oneof(fc.constantFrom('0', '300ms', '90s', '1h', '1h30m', '168h', '7d', '2w', '99999999999999999999999999999h'), fc.string({ maxLength: 12 }));
const ruleId = fc.constantFrom('concurrency.unbounded', 'gunicorn.timeout', 'image.slim-base', 'metrics.threads', 'Bad_Id', '');
const requirement = fc.record(
  { key: fc.constantFrom('tier', 'app', ''), operator: fc.constantFrom('In', 'NotIn', 'Exists', 'DoesNotExist', 'Has'), values: fc.array(fc.constantFrom('web', 'edge'), { maxLength: 3 }) },
  { requiredKeys: ['key', 'operator'] },
);

/** A spec of the TuningPolicy shape with each field valid, broken, or absent. */
const specArbitrary = fc.record(
  {
    mode: orHostile(fc.constantFrom('Off', 'Recommend', 'Apply', 'apply', 'Auto')),
    selector: orHostile(
      fc.record(
        { kinds: fc.array(fc.constantFrom('Service', 'Deployment', 'Pod'), { maxLength: 3 }), matchLabels: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }), matchExpressions: fc.array(requirement, { maxLength: 3 }) },
        { requiredKeys: [] },
      ),
    ),
    objectives: orHostile(
      fc.record({ latencySLO: duration, latencyP95Factor: fc.double({ min: -1, max: 20 }) }, { requiredKeys: [] }),
    ),
    bounds: orHostile(
      fc.record(
        {
          concurrency: fc.record({ min: fc.integer({ min: -5, max: 1200 }), max: fc.integer({ min: -5, max: 1200 }) }, { requiredKeys: [] }),
          threads: fc.record({ max: fc.integer({ min: 0, max: 1200 }) }, { requiredKeys: [] }),
          workers: fc.record({ max: fc.integer({ min: 0, max: 300 }) }, { requiredKeys: [] }),
        },
        { requiredKeys: [] },
      ),
    ),
    cooldown: orHostile(duration),
    rules: orHostile(fc.record({ enabled: fc.uniqueArray(ruleId, { maxLength: 3 }), disabled: fc.uniqueArray(ruleId, { maxLength: 3 }) }, { requiredKeys: [] })),
    patch: orHostile(fc.record(Object.fromEntries(PATCHABLE.map((p) => [p, fc.boolean()])) as Record<(typeof PATCHABLE)[number], fc.Arbitrary<boolean>>, { requiredKeys: [] })),
    minConfidence: orHostile(fc.constantFrom('low', 'medium', 'high', 'High', 'certain')),
    force: orHostile(fc.boolean()),
    metrics: orHostile(
      fc.record(
        { prometheusUrl: fc.constantFrom('http://prometheus:9090', 'https://gmp.example/v1', 'ftp://prometheus', 'file:///etc/passwd', 'prometheus:9090', ''), profile: fc.constantFrom('knative', 'cloudrun', 'datadog'), window: duration },
        { requiredKeys: ['prometheusUrl'] },
      ),
    ),
  },
  { requiredKeys: [] },
);

/** A spec whose every field has the right type and range: only the CRD's cross-field CEL rules can refuse it. */
const wellTypedSpec = fc.record(
  {
    mode: fc.constantFrom('Off', 'Recommend', 'Apply'),
    selector: fc.record(
      {
        kinds: fc.uniqueArray(fc.constantFrom('Service', 'Deployment'), { minLength: 1, maxLength: 2 }),
        matchExpressions: fc.array(fc.record({ key: fc.constantFrom('tier', 'app'), operator: fc.constantFrom('In', 'NotIn', 'Exists', 'DoesNotExist'), values: fc.array(fc.constantFrom('web', 'edge'), { maxLength: 2 }) }, { requiredKeys: ['key', 'operator'] }), { maxLength: 2 }),
      },
      { requiredKeys: [] },
    ),
    objectives: fc.record({ latencySLO: fc.constantFrom('300ms', '1s'), latencyP95Factor: fc.double({ min: 1, max: 10, noNaN: true }) }, { requiredKeys: [] }),
    bounds: fc.record(
      {
        concurrency: fc.record({ min: fc.integer({ min: 1, max: 1000 }), max: fc.integer({ min: 1, max: 1000 }) }, { requiredKeys: [] }),
        threads: fc.record({ max: fc.integer({ min: 1, max: 64 }) }),
        workers: fc.record({ max: fc.integer({ min: 1, max: 16 }) }),
      },
      { requiredKeys: [] },
    ),
    cooldown: fc.constantFrom('0', '1h'),
    rules: fc.record({ enabled: fc.uniqueArray(fc.constantFrom('concurrency.unbounded', 'gunicorn.timeout'), { maxLength: 2 }), disabled: fc.uniqueArray(fc.constantFrom('gunicorn.timeout', 'image.slim-base'), { maxLength: 2 }) }, { requiredKeys: [] }),
    patch: fc.record(Object.fromEntries(PATCHABLE.map((p) => [p, fc.boolean()])) as Record<(typeof PATCHABLE)[number], fc.Arbitrary<boolean>>, { requiredKeys: [] }),
    force: fc.boolean(),
  },
  { requiredKeys: [] },
);

const policyObject = (spec: unknown) => ({ apiVersion: 'pytuner.dev/v1alpha1', kind: 'TuningPolicy', metadata: { name: 'tune', namespace: 'shop' }, spec });

/** The messages of the CRD's CEL rules (crds/pytuner.dev_tuningpolicies.yaml). */
const CEL_MESSAGES = new Set([
  'In and NotIn need values; Exists and DoesNotExist take none',
  'set latencySLO or latencyP95Factor, not both',
  'bounds.concurrency.min must be <= bounds.concurrency.max',
  'a rule id cannot be both enabled and disabled',
  'mode Apply needs at least one field allowed in spec.patch',
]);

/**
 * The CRD's CEL rules, written again here from their text as the oracle, over a spec whose fields all have the right
 * type (defaults as the CRD fills them). Returns the fields the API server names for the rules it breaks.
 */
function celViolations(raw: unknown): string[] {
  const spec = raw as { mode?: string; selector?: { matchExpressions?: { operator: string; values?: string[] }[] }; objectives?: Record<string, unknown>; bounds?: { concurrency?: { min?: number; max?: number } }; rules?: { enabled?: string[]; disabled?: string[] }; patch?: Record<string, boolean> };
  const fields: string[] = [];
  (spec.selector?.matchExpressions ?? []).forEach((r, i) => {
    const values = r.values?.length ?? 0;
    if ((r.operator === 'In' || r.operator === 'NotIn') !== values > 0) fields.push(`spec.selector.matchExpressions.${i}`);
  });
  if (spec.objectives?.['latencySLO'] !== undefined && spec.objectives['latencyP95Factor'] !== undefined) fields.push('spec.objectives');
  if ((spec.bounds?.concurrency?.min ?? 1) > (spec.bounds?.concurrency?.max ?? 1000)) fields.push('spec.bounds.concurrency.min');
  if ((spec.rules?.enabled ?? []).some((r) => spec.rules?.disabled?.includes(r))) fields.push('spec.rules');
  if (spec.mode === 'Apply' && !Object.values(spec.patch ?? {}).includes(true)) fields.push('spec.patch');
  return fields.sort();
}

describe('TuningPolicy specs, property-based', () => {
  it('never throws; a rejected spec names a field under spec and says why', () => {
    fc.assert(
      fc.property(fc.oneof(specArbitrary, hostileValue), (spec) => {
        const parsed = parseTuningPolicy(policyObject(spec));
        if (parsed.ok) return;
        expect(parsed.errors.length).toBeGreaterThan(0);
        for (const error of parsed.errors) {
          expect(error.field).toMatch(/^spec(\.|$)/);
          expect(error.message.length).toBeGreaterThan(3);
        }
      }),
      { seed: 20261123, numRuns: RUNS },
    );
  });

  it('refuses exactly the schema-valid specs that break a CEL rule of the CRD, on the field the API server names', () => {
    let broken = 0;
    fc.assert(
      fc.property(wellTypedSpec, (spec) => {
        const parsed = parseTuningPolicy(policyObject(spec));
        const errors = parsed.ok ? [] : parsed.errors;
        expect(errors.filter((e) => !CEL_MESSAGES.has(e.message))).toEqual([]);
        const expected = celViolations(spec);
        if (expected.length > 0) broken++;
        expect(errors.map((e) => e.field).sort()).toEqual(expected);
      }),
      { seed: 7, numRuns: RUNS },
    );
    expect(broken).toBeGreaterThan(RUNS / 5); // the arbitrary does reach the rules
  });

  it('plans writes only in Apply mode, only for allowed settings, only with integers inside the bounds', () => {
    const recommendedValue = fc.oneof(
      fc.record({ setting: fc.constant('containerConcurrency'), rule: fc.constant('metrics.container-concurrency'), value: fc.integer({ min: 0, max: 5000 }), confidence: fc.oneof(fc.constantFrom(0.3, 0.6, 0.9, 1), fc.double({ min: 0, max: 1, noNaN: true })) }),
      fc.record({ setting: fc.constantFrom('threads', 'workers'), rule: fc.constant('metrics.threads'), container: fc.constantFrom('app', 'sidecar'), env: fc.constantFrom('THREADS', 'WEB_CONCURRENCY'), value: fc.integer({ min: 0, max: 5000 }), confidence: fc.constant(1) }),
    );
    const live = fc.record({
      kind: fc.constantFrom('Service', 'Deployment'),
      // Mostly integers: an object whose containerConcurrency is not one (which neither the Knative CRD nor a pod spec
      // stores) does not read as a workload, so it gets no patch at all.
      containerConcurrency: fc.option(fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 1000 }) }, { weight: 1, arbitrary: hostileValue }), { nil: undefined }),
      threads: fc.option(fc.oneof(fc.integer({ min: 0, max: 64 }).map(String), fc.string({ maxLength: 6 })), { nil: undefined }),
    });
    // Apply policies that pass every CEL rule, with random bounds and permissions.
    const applying = fc.record({ bounds: fc.tuple(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 1000 })), threads: fc.integer({ min: 1, max: 64 }), workers: fc.integer({ min: 1, max: 16 }), patch: fc.record({ containerConcurrency: fc.boolean(), threadsEnv: fc.boolean(), workers: fc.boolean() }), minConfidence: fc.constantFrom('low', 'medium', 'high') }).map(({ bounds, threads, workers, patch, minConfidence }) => ({
      mode: 'Apply',
      minConfidence,
      patch: { ...patch, startupProbe: true },
      bounds: { concurrency: { min: Math.min(...bounds), max: Math.max(...bounds) }, threads: { max: threads }, workers: { max: workers } },
    }));
    let writes = 0;
    fc.assert(
      fc.property(fc.oneof(specArbitrary, wellTypedSpec, applying), fc.array(recommendedValue, { minLength: 1, maxLength: 4 }), live, (spec, values, workload) => {
        const parsed = parseTuningPolicy(policyObject(spec));
        const status = TuningRecommendationStatus.safeParse({ recommendations: values });
        if (!parsed.ok || !status.success) return;
        const policy = parsed.policy;
        const plan = planActuation({ policy, recommendation: status.data, live: liveWorkload(workload), now: NOW });
        if (policy.spec.mode !== 'Apply') {
          expect(plan.kind).toBe('none');
          return;
        }
        if (plan.kind === 'none') return;
        writes++;
        for (const change of plan.changes) {
          expectWithinPolicy(change, policy);
          // The confidence gate: a value written is at least as sure as spec.minConfidence asks.
          const sure = status.data.recommendations?.some((v) => v.setting === change.setting && v.confidence >= MEASURED_CONFIDENCE[policy.spec.minConfidence]);
          expect(sure).toBe(true);
        }
      }),
      { seed: 42, numRuns: RUNS },
    );
    expect(writes).toBeGreaterThan(RUNS / 15); // the arbitraries do reach the writes (past the confidence gate too)
  });
});

function expectWithinPolicy(change: PlannedChange, policy: TuningPolicy): void {
  const permission = { containerConcurrency: 'containerConcurrency', threads: 'threadsEnv', workers: 'workers', startupProbe: 'startupProbe', profilerIamPolicyMember: 'profilerIamPolicyMember' } as const;
  expect(policy.spec.patch[permission[change.setting]]).toBe(true);
  if (change.setting === 'startupProbe' || change.setting === 'profilerIamPolicyMember') return;
  expect(change.to).toMatch(/^[1-9]\d*$/);
  const to = Number(change.to);
  const { bounds } = policy.spec;
  if (change.setting === 'containerConcurrency') {
    expect(to).toBeGreaterThanOrEqual(bounds.concurrency.min);
    expect(to).toBeLessThanOrEqual(bounds.concurrency.max);
  }
  if (change.setting === 'threads') expect(to).toBeLessThanOrEqual(bounds.threads?.max ?? Number.MAX_SAFE_INTEGER);
  if (change.setting === 'workers') expect(to).toBeLessThanOrEqual(bounds.workers?.max ?? Number.MAX_SAFE_INTEGER);
}

/** A ready Knative Service or rolled-out Deployment `api` whose fields hold what the property chose. */
function liveWorkload(w: { kind: string; containerConcurrency: unknown; threads: string | undefined }): LiveWorkload {
  const container: Record<string, unknown> = { name: 'app', image: 'api:1' };
  if (w.threads !== undefined) container['env'] = [{ name: 'THREADS', value: w.threads }];
  const podSpec: Record<string, unknown> = { containers: [container] };
  if (w.containerConcurrency !== undefined) podSpec['containerConcurrency'] = w.containerConcurrency;
  const metadata = { name: 'api', namespace: 'shop', uid: 'uid', generation: 2 };
  if (w.kind === 'Service') {
    return { apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata, spec: { template: { spec: podSpec } }, status: { observedGeneration: 2, conditions: [{ type: 'Ready', status: 'True' }] } };
  }
  // A selector and labels, as the API server requires: the actuator renders its patch from the object read as a workload.
  const selector = { matchLabels: { app: 'api' } };
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata, spec: { replicas: 1, selector, template: { metadata: { labels: { app: 'api' } }, spec: podSpec } }, status: { observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 1 } };
}
