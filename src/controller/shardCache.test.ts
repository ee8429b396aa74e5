import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { cachedForm } from './shardCache.ts';
import { SINGLE_SHARD, shardOf } from './shard.ts';

// shardOf('shop', 3) = 2, shardOf('default', 3) = 0 (shard.test.ts pins these).
const SHOP_SHARD = { index: 2, total: 3 };
const service = (namespace: string): KubernetesObject => ({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'orders', namespace } });

const recommendation = {
  apiVersion: 'pytuner.dev/v1alpha1',
  kind: 'TuningRecommendation',
  metadata: { name: 'service-orders', namespace: 'shop' },
  spec: { policy: 'default', targetRef: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'orders' } },
  status: {
    summary: { findings: 2, critical: 1, warning: 1, info: 0 },
    applied: { policy: 'default', at: '2026-11-23T00:00:00Z' },
    conflicts: [],
    conditions: [{ type: 'Applied', status: 'True', reason: 'Applied', message: 'containerConcurrency 80 → 8' }],
    findings: [{ rule: 'concurrency.threads-mismatch', message: 'a long text with evidence' }],
    recommendations: [{ setting: 'containerConcurrency', value: 8 }],
  },
} as KubernetesObject;

describe('cachedForm', () => {
  it('drops the objects of namespaces another shard owns, and keeps its own', () => {
    expect(shardOf('shop', 3)).toBe(2);
    expect(cachedForm(SHOP_SHARD, 'knativeServices', service('shop'))).toEqual(service('shop'));
    expect(cachedForm(SHOP_SHARD, 'knativeServices', service('default'))).toBeUndefined();
    expect(cachedForm(SHOP_SHARD, 'serviceAccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'a', namespace: 'default' } })).toBeUndefined();
  });

  it('keeps IAM grants of every namespace, since they may grant to any workload', () => {
    const member: KubernetesObject = { apiVersion: 'iam.cnrm.cloud.google.com/v1beta1', kind: 'IAMPolicyMember', metadata: { name: 'm', namespace: 'default' } };
    expect(cachedForm(SHOP_SHARD, 'iamPolicyMembers', member)).toBe(member);
  });

  it('keeps everything as the single shard', () => {
    expect(cachedForm(SINGLE_SHARD, 'deployments', service('default'))).toEqual(service('default'));
  });

  it('keeps of a TuningRecommendation only what the cache readers use', () => {
    expect(cachedForm(SHOP_SHARD, 'tuningRecommendations', recommendation)).toEqual({
      ...recommendation,
      status: {
        summary: { findings: 2, critical: 1, warning: 1, info: 0 },
        applied: { policy: 'default', at: '2026-11-23T00:00:00Z' },
        conflicts: [],
        conditions: [{ type: 'Applied', status: 'True', reason: 'Applied', message: 'containerConcurrency 80 → 8' }],
      },
    });
  });
});
