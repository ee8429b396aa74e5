import { describe, expect, it } from 'vitest';
import type { TuningRecommendationStatus } from '../api/v1alpha1/tuningRecommendation.ts';
import type { LiveWorkload } from '../actuator/plan.ts';
import { detectDrift, fieldPath, isHeld } from './drift.ts';

const FIELD = 'spec.template.spec.containers[name=app].env[name=WEB_CONCURRENCY].value';
const NOW = new Date('2026-12-07T05:00:00Z');

function service(env: Array<{ name: string; value: string }> | undefined, generation: number, manager = 'argocd-controller'): LiveWorkload {
  const container: Record<string, unknown> = { name: 'app', image: 'app:1' };
  if (env !== undefined) container.env = env;
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: {
      name: 'orders',
      namespace: 'shop',
      generation,
      managedFields: [
        { manager: 'pytuner', operation: 'Update', time: '2026-12-07T04:59:00Z', fieldsV1: { 'f:metadata': {} } },
        { manager: 'helm', operation: 'Update', time: '2026-12-07T04:00:00Z', fieldsV1: { 'f:spec': { 'f:template': { 'f:metadata': {} } } } },
        { manager, operation: 'Apply', time: '2026-12-07T04:59:30Z', fieldsV1: { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': {} } } } } },
      ],
    },
    spec: { template: { spec: { containers: [container] } } },
  };
}

/** What the actuator recorded after writing WEB_CONCURRENCY=2 at generation 3, with the recommendation still 2. */
function afterWrite(recommended = 2): TuningRecommendationStatus {
  return {
    recommendations: [{ setting: 'workers', rule: 'gunicorn.workers-vs-cpu', container: 'app', env: 'WEB_CONCURRENCY', value: recommended, confidence: 1 }],
    applied: { at: '2026-12-07T04:59:00Z', policy: 'apply', generation: 3, fields: [FIELD], changes: [{ field: FIELD, setting: 'workers', to: '2', rule: 'gunicorn.workers-vs-cpu' }] },
  };
}

describe('detectDrift', () => {
  it('records a revert once, naming the manager that owns the field now, with one Warning and Drifting=True', () => {
    const first = detectDrift(afterWrite(), service(undefined, 4), NOW);
    expect(first.status.drift).toEqual([
      { field: FIELD, setting: 'workers', manager: 'argocd-controller', wrote: '2', found: '', recommended: '2', reverts: 1, appliedAt: '2026-12-07T04:59:00Z', lastReverted: '2026-12-07T05:00:00Z' },
    ]);
    expect(first.events).toHaveLength(1);
    expect(first.events[0]).toMatchObject({ type: 'Warning', reason: 'TuningDrift' });
    expect(first.events[0]?.note).toContain('argocd-controller removed it');
    expect(first.status.conditions?.find((c) => c.type === 'Drifting')).toMatchObject({ status: 'True', reason: 'RevertedByManager' });

    const again = detectDrift(first.status, service(undefined, 4), new Date('2026-12-07T05:10:00Z'));
    expect(again.events).toEqual([]);
    expect(again.status).toEqual(first.status);
  });

  it('says nothing while the cache has not seen pytuner\'s write yet (older generation) or the value holds', () => {
    expect(detectDrift(afterWrite(), service(undefined, 2), NOW).events).toEqual([]);
    const holding = detectDrift(afterWrite(), service([{ name: 'WEB_CONCURRENCY', value: '2' }], 3), NOW);
    expect(holding.events).toEqual([]);
    expect(holding.status.drift).toBeUndefined();
    expect(holding.status.conditions?.find((c) => c.type === 'Drifting')?.status).toBe('False');
  });

  it('counts a second revert of a later write, and releases the hold when the recommendation changes', () => {
    const first = detectDrift(afterWrite(), service([{ name: 'WEB_CONCURRENCY', value: '1' }], 4, 'kubectl-client-side-apply'), NOW).status;
    expect(first.drift?.[0]).toMatchObject({ manager: 'kubectl-client-side-apply', found: '1', reverts: 1 });
    expect(isHeld(first.drift![0]!, first)).toBe(true);
    const changed = { ...first, recommendations: afterWrite(3).recommendations };
    expect(isHeld(first.drift![0]!, changed)).toBe(false);
    expect(detectDrift(changed, service([{ name: 'WEB_CONCURRENCY', value: '1' }], 4), NOW).status.conditions?.find((c) => c.type === 'Drifting')?.status).toBe('False');

    const rewritten: TuningRecommendationStatus = { ...changed, applied: { ...afterWrite().applied!, at: '2026-12-07T05:20:00Z', generation: 5, changes: [{ field: FIELD, setting: 'workers', to: '3', rule: 'gunicorn.workers-vs-cpu' }] } };
    const second = detectDrift(rewritten, service([{ name: 'WEB_CONCURRENCY', value: '1' }], 6, 'kubectl-client-side-apply'), NOW);
    expect(second.status.drift?.[0]).toMatchObject({ wrote: '3', reverts: 2, recommended: '3' });
    expect(second.events).toHaveLength(1);
  });

  it('drops the record once the manager\'s own source carries pytuner\'s value', () => {
    const drifted = detectDrift(afterWrite(), service(undefined, 4), NOW).status;
    const adopted = detectDrift(drifted, service([{ name: 'WEB_CONCURRENCY', value: '2' }], 5), NOW);
    expect(adopted.status.drift).toBeUndefined();
    expect(adopted.events).toEqual([]);
  });

  it('parses the field paths the actuator records', () => {
    expect(fieldPath(FIELD)).toEqual([{ field: 'spec' }, { field: 'template' }, { field: 'spec' }, { field: 'containers' }, { key: { name: 'app' } }, { field: 'env' }, { key: { name: 'WEB_CONCURRENCY' } }, { field: 'value' }]);
  });
});
