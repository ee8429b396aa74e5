import { describe, expect, it } from 'vitest';
import { TuningPolicySpec } from '../api/v1alpha1/tuningPolicy.ts';
import type { TuningRecommendationStatus } from '../api/v1alpha1/tuningRecommendation.ts';
import { planActuation, type LiveWorkload, type Plan } from './plan.ts';
import { statusAfterActuation, type ActuationResult, type WriteOutcome } from './status.ts';

const NOW = new Date('2026-03-01T12:00:00Z');
const LATER = new Date('2026-03-01T14:00:00Z');
const FIELD = 'spec.template.spec.containerConcurrency';

function knative(containerConcurrency: number, managers: string[] = []): LiveWorkload {
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: {
      name: 'api',
      namespace: 'shop',
      generation: 3,
      managedFields: managers.map((manager) => ({ manager, operation: 'Apply', fieldsV1: { 'f:spec': { 'f:template': { 'f:spec': { 'f:containerConcurrency': {} } } } } })),
    },
    spec: { template: { spec: { containerConcurrency, containers: [{ name: 'app' }] } } },
    status: { observedGeneration: 3, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

const recommendation: TuningRecommendationStatus = { recommendations: [{ setting: 'containerConcurrency', rule: 'concurrency.latency', value: 40, confidence: 1 }] };

function planFor(live: LiveWorkload, mode: 'Apply' | 'Recommend' = 'Apply'): Plan {
  return planActuation({ policy: { metadata: { name: 'tune' }, spec: TuningPolicySpec.parse({ mode, patch: { containerConcurrency: true } }) }, recommendation, live, now: NOW });
}

/** The result apply.ts would return when every write of `plan` succeeded (or failed as given). */
function ran(plan: Plan, outcome: 'written' | 'failed' = 'written', at = NOW): ActuationResult {
  if (plan.kind === 'none') return { plan, outcomes: [], applied: [], conflicts: plan.conflicts, at, eventFailures: [] };
  const outcomes: WriteOutcome[] = plan.writes.map((write) =>
    outcome === 'written' ? { kind: 'written', write, generation: 4 } : { kind: 'failed', write, httpStatus: 500, message: 'etcdserver: request timed out', retry: 'transient' },
  );
  return { plan, outcomes, applied: outcome === 'written' ? plan.changes : [], conflicts: plan.conflicts, at, eventFailures: [] };
}

describe('statusAfterActuation', () => {
  it('records what was applied, when, and the value before it, with Applied=True', () => {
    const status = statusAfterActuation(recommendation, ran(planFor(knative(80))), 'tune', NOW);
    expect(status.applied).toEqual({ at: '2026-03-01T12:00:00Z', policy: 'tune', generation: 4, fields: [FIELD], changes: [{ field: FIELD, setting: 'containerConcurrency', from: '80', to: '40', rule: 'concurrency.latency' }] });
    expect(status.previous).toEqual({ [FIELD]: '80' });
    expect(status.conditions).toEqual([
      { type: 'Applied', status: 'True', reason: 'Patched', message: 'containerConcurrency 80 → 40 (concurrency.latency)', lastTransitionTime: '2026-03-01T12:00:00Z' },
      { type: 'Conflict', status: 'False', reason: 'NoConflict', message: '', lastTransitionTime: '2026-03-01T12:00:00Z' },
    ]);
    expect(status.recommendations).toEqual(recommendation.recommendations);
  });

  it('keeps the first previous value across later patches, so a roll-back restores what was there before pytuner', () => {
    const first = statusAfterActuation(recommendation, ran(planFor(knative(80))), 'tune', NOW);
    const second = statusAfterActuation({ ...first, applied: undefined }, ran(planFor(knative(60)), 'written', LATER), 'tune', LATER);
    expect(second.previous).toEqual({ [FIELD]: '80' });
    expect(second.applied?.at).toBe('2026-03-01T14:00:00Z');
  });

  it('is idempotent: the same result on its own output gives an equal status (conditions keep their transition time)', () => {
    const result = ran(planFor(knative(80, ['deploy-tool'])));
    const once = statusAfterActuation(recommendation, result, 'tune', NOW);
    expect(statusAfterActuation(once, result, 'tune', LATER)).toEqual(once);
  });

  it('records conflicts and Conflict=True, and clears them once gone', () => {
    const conflicted = statusAfterActuation(recommendation, ran(planFor(knative(80, ['deploy-tool']))), 'tune', NOW);
    expect(conflicted.conflicts).toEqual([{ field: FIELD, setting: 'containerConcurrency', manager: 'deploy-tool' }]);
    expect(conflicted.conditions).toEqual([
      { type: 'Applied', status: 'False', reason: 'Conflict', message: `${FIELD} is managed by deploy-tool`, lastTransitionTime: '2026-03-01T12:00:00Z' },
      { type: 'Conflict', status: 'True', reason: 'FieldManagerConflict', message: `${FIELD} is managed by deploy-tool`, lastTransitionTime: '2026-03-01T12:00:00Z' },
    ]);
    const cleared = statusAfterActuation(conflicted, ran(planFor(knative(80))), 'tune', LATER);
    expect(cleared.conflicts).toBeUndefined();
    expect(cleared.conditions?.find((c) => c.type === 'Conflict')).toMatchObject({ status: 'False', lastTransitionTime: '2026-03-01T14:00:00Z' });
  });

  it('says why nothing was applied, and leaves applied and previous alone', () => {
    const before = statusAfterActuation(recommendation, ran(planFor(knative(80))), 'tune', NOW);
    const recommendOnly = statusAfterActuation(before, ran(planFor(knative(40), 'Recommend')), 'tune', LATER);
    expect(recommendOnly.applied).toEqual(before.applied);
    expect(recommendOnly.previous).toEqual(before.previous);
    expect(recommendOnly.conditions?.[0]).toMatchObject({ type: 'Applied', status: 'False', reason: 'RecommendOnly', message: 'TuningPolicy tune only recommends' });
    expect(statusAfterActuation(before, ran(planFor(knative(40))), 'tune', LATER).conditions?.[0]).toMatchObject({ status: 'True', reason: 'UpToDate' });
  });

  it('reports a failed write as Applied=False PatchFailed without recording it as applied', () => {
    const status = statusAfterActuation(recommendation, ran(planFor(knative(80)), 'failed'), 'tune', NOW);
    expect(status.applied).toBeUndefined();
    expect(status.conditions?.[0]).toMatchObject({ type: 'Applied', status: 'False', reason: 'PatchFailed', message: 'etcdserver: request timed out' });
  });
});
