import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { TuningRecommendation } from '../api/v1alpha1/tuningRecommendation.ts';
import { failedOutcome, recommendationPatch } from './apply.ts';
import type { PlannedWrite } from './plan.ts';

const target = { apiVersion: 'serving.knative.dev/v1', kind: 'Service', namespace: 'shop', name: 'orders' };
const jsonPatch: PlannedWrite = { method: 'json-patch', target, ops: [], changes: [] };
const apply: PlannedWrite = { method: 'server-side-apply', target, object: {}, force: false, changes: [] };

function answer(code: number, status: Record<string, unknown>): ApiException<string> {
  return new ApiException(code, `HTTP ${code}`, JSON.stringify(status), {});
}

describe('failedOutcome', () => {
  it('calls a 409 without field-manager causes, and a JSON Patch 422, stale: plan again on the fresh object', () => {
    const modified = answer(409, { message: 'Operation cannot be fulfilled on services.serving.knative.dev "orders": the object has been modified; please apply your changes to the latest version and try again' });
    expect(failedOutcome(jsonPatch, modified)).toMatchObject({ kind: 'failed', httpStatus: 409, retry: 'stale' });
    expect(failedOutcome(jsonPatch, answer(422, { message: 'the server rejected our request due to an error in our request' }))).toMatchObject({ httpStatus: 422, retry: 'stale' });
    expect(failedOutcome(apply, answer(422, { message: 'invalid' }))).toMatchObject({ httpStatus: 422, retry: 'terminal' });
    expect(failedOutcome(apply, answer(409, { message: 'Operation cannot be fulfilled: uid mismatch' }))).toMatchObject({ httpStatus: 409, retry: 'terminal' });
  });

  it('names the permission a 403 refused from the Status details', () => {
    const forbidden = answer(403, {
      message: 'services.serving.knative.dev "orders" is forbidden: User "pytuner" cannot patch resource "services" in API group "serving.knative.dev" in the namespace "shop"',
      reason: 'Forbidden',
      details: { name: 'orders', group: 'serving.knative.dev', kind: 'services' },
    });
    expect(failedOutcome(jsonPatch, forbidden)).toEqual({ kind: 'failed', write: jsonPatch, httpStatus: 403, message: 'may not patch services.serving.knative.dev in namespace shop', retry: 'terminal' });
  });

  it('keeps no HTTP status when no answer came: the write may have landed', () => {
    expect(failedOutcome(apply, new Error('socket hang up'))).toEqual({ kind: 'failed', write: apply, message: 'socket hang up', retry: 'transient' });
  });
});

describe('recommendationPatch', () => {
  const stored: TuningRecommendation = {
    apiVersion: 'pytuner.dev/v1alpha1',
    kind: 'TuningRecommendation',
    metadata: {
      name: 'service-orders',
      namespace: 'shop',
      labels: { 'app.kubernetes.io/managed-by': 'pytuner', 'pytuner.dev/policy': 'tune', 'team/owner': 'payments' },
      ownerReferences: [{ apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'orders', uid: 'u1' }],
    },
    spec: { targetRef: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'orders' }, policy: 'tune' },
    status: { lastEvaluated: '2026-03-01T12:00:00Z', conflicts: [{ field: 'spec.template.spec.containerConcurrency', setting: 'containerConcurrency', manager: 'flux' }] },
  };
  const desired = (policy: string, uid: string, status: TuningRecommendation['status']): TuningRecommendation => ({
    ...stored,
    metadata: { name: 'service-orders', namespace: 'shop', labels: { 'app.kubernetes.io/managed-by': 'pytuner', 'pytuner.dev/policy': policy }, ownerReferences: [{ apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'orders', uid }] },
    spec: { ...stored.spec, policy },
    status,
  });

  it('replaces the status whole and touches nothing else when spec, owner and labels are the same', () => {
    const status = { lastEvaluated: '2026-03-01T13:00:00Z' };
    expect(recommendationPatch(stored, desired('tune', 'u1', status))).toEqual([{ op: 'add', path: '/status', value: status }]);
  });

  it('sets spec, owner and the changed label key alone (labels others added stay), then the status', () => {
    const status = { lastEvaluated: '2026-03-01T13:00:00Z' };
    expect(recommendationPatch(stored, desired('other', 'u2', status))).toEqual([
      { op: 'add', path: '/spec', value: { targetRef: stored.spec.targetRef, policy: 'other' } },
      { op: 'add', path: '/metadata/ownerReferences', value: [{ apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'orders', uid: 'u2' }] },
      { op: 'add', path: '/metadata/labels/pytuner.dev~1policy', value: 'other' },
      { op: 'add', path: '/status', value: status },
    ]);
  });

  it('adds the labels whole to an object that has none, and an empty status when there is none', () => {
    const bare = { ...stored, metadata: { ...stored.metadata, labels: undefined } };
    const ops = recommendationPatch(bare as TuningRecommendation, desired('tune', 'u1', undefined));
    expect(ops.find((op) => op.path === '/metadata/labels')).toEqual({ op: 'add', path: '/metadata/labels', value: { 'app.kubernetes.io/managed-by': 'pytuner', 'pytuner.dev/policy': 'tune' } });
    expect(ops.at(-1)).toEqual({ op: 'add', path: '/status', value: {} });
  });
});
