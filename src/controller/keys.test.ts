import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { ResourceName } from './informers.ts';
import { IdentityIndex } from './identityIndex.ts';
import { formatKey, GenerationTracker, keysForEvent, parseKey, type CacheView } from './keys.ts';

function obj(kind: string, namespace: string, name: string, extra: Record<string, unknown> = {}): KubernetesObject {
  const { metadata, ...rest } = extra as { metadata?: Record<string, unknown> };
  return { kind, metadata: { namespace, name, uid: `${namespace}-${name}`, ...metadata }, ...rest } as KubernetesObject;
}

/** A cache view over plain objects. */
function view(objects: Partial<Record<ResourceName, KubernetesObject[]>>): CacheView {
  return {
    list: <T = KubernetesObject>(resource: ResourceName, namespace?: string) =>
      (objects[resource] ?? []).filter((o) => !namespace || o.metadata?.namespace === namespace) as T[],
  };
}

const shop = view({
  knativeServices: [obj('Service', 'shop', 'orders', { spec: { template: { spec: { serviceAccountName: 'orders' } } } }), obj('Service', 'shop', 'cart')],
  deployments: [obj('Deployment', 'shop', 'worker'), obj('Deployment', 'analytics', 'reports')],
  tuningPolicies: [obj('TuningPolicy', 'shop', 'default')],
});

/** An identity index that has seen every object of `cache` added, as main.ts's cache events feed it. */
function indexOf(cache: CacheView): IdentityIndex {
  const index = new IdentityIndex();
  for (const resource of ['knativeServices', 'deployments', 'serviceAccounts', 'iamPolicyMembers', 'iamPartialPolicies'] as const) {
    for (const o of cache.list(resource)) index.update(resource, 'add', o, formatKey({ kind: resource === 'deployments' ? 'Deployment' : 'Service', namespace: o.metadata?.namespace ?? '', name: o.metadata?.name ?? '' }));
  }
  return index;
}

describe('queue keys', () => {
  it('round-trips Kind/namespace/name and rejects anything else', () => {
    expect(parseKey(formatKey({ kind: 'Service', namespace: 'shop', name: 'orders' }))).toEqual({ kind: 'Service', namespace: 'shop', name: 'orders' });
    expect(() => parseKey('Pod/shop/orders')).toThrow('not a work-queue key: "Pod/shop/orders"');
    expect(() => parseKey('Service/shop')).toThrow('not a work-queue key');
  });
});

describe('keysForEvent', () => {
  it('maps a workload event to the workload and its namespace\'s policies', () => {
    expect(keysForEvent(shop, 'knativeServices', 'update', obj('Service', 'shop', 'orders'), new GenerationTracker(), indexOf(shop))).toEqual(['Service/shop/orders', 'TuningPolicy/shop/default']);
    expect(keysForEvent(shop, 'deployments', 'delete', obj('Deployment', 'analytics', 'reports'), new GenerationTracker(), indexOf(shop))).toEqual(['Deployment/analytics/reports']);
  });

  it('maps a policy spec change to every workload of its namespace, and a status-only update to the policy alone', () => {
    const tracker = new GenerationTracker();
    const policy = (generation: number) => obj('TuningPolicy', 'shop', 'default', { metadata: { generation } });
    const everything = ['Service/shop/orders', 'Service/shop/cart', 'Deployment/shop/worker', 'TuningPolicy/shop/default'];
    expect(keysForEvent(shop, 'tuningPolicies', 'add', policy(1), tracker, indexOf(shop))).toEqual(everything);
    expect(keysForEvent(shop, 'tuningPolicies', 'update', policy(1), tracker, indexOf(shop))).toEqual(['TuningPolicy/shop/default']);
    expect(keysForEvent(shop, 'tuningPolicies', 'update', policy(2), tracker, indexOf(shop))).toEqual(everything);
    expect(keysForEvent(shop, 'tuningPolicies', 'delete', policy(2), tracker, indexOf(shop))).toEqual(everything.slice(0, 3));
  });

  it('maps a policy annotation edit (pause, un-pause) to every workload of its namespace, though the generation stays', () => {
    const tracker = new GenerationTracker();
    const policy = (annotations: Record<string, string>) => obj('TuningPolicy', 'shop', 'default', { metadata: { generation: 3, annotations } });
    const everything = ['Service/shop/orders', 'Service/shop/cart', 'Deployment/shop/worker', 'TuningPolicy/shop/default'];
    expect(keysForEvent(shop, 'tuningPolicies', 'add', policy({ 'pytuner.dev/paused': 'true' }), tracker, indexOf(shop))).toEqual(everything);
    expect(keysForEvent(shop, 'tuningPolicies', 'update', policy({ 'pytuner.dev/paused': 'true' }), tracker, indexOf(shop))).toEqual(['TuningPolicy/shop/default']);
    expect(keysForEvent(shop, 'tuningPolicies', 'update', policy({}), tracker, indexOf(shop))).toEqual(everything);
    expect(keysForEvent(shop, 'tuningPolicies', 'update', policy({}), tracker, indexOf(shop))).toEqual(['TuningPolicy/shop/default']);
  });

  it('maps a ServiceAccount to the workloads that run as it (default when unset)', () => {
    expect(keysForEvent(shop, 'serviceAccounts', 'update', obj('ServiceAccount', 'shop', 'orders'), new GenerationTracker(), indexOf(shop))).toEqual(['Service/shop/orders']);
    expect(keysForEvent(shop, 'serviceAccounts', 'add', obj('ServiceAccount', 'shop', 'default'), new GenerationTracker(), indexOf(shop))).toEqual(['Service/shop/cart', 'Deployment/shop/worker']);
  });

  it('maps an IAM grant to the workloads whose identity its member names, and to none for another identity', () => {
    const grant = (member: string) => obj('IAMPolicyMember', 'config-control', 'profiler', { spec: { member, role: 'roles/cloudprofiler.agent' } });
    const pool = 'principal://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/demo.svc.id.goog/subject/ns/shop/sa/orders';
    expect(keysForEvent(shop, 'iamPolicyMembers', 'add', grant(pool), new GenerationTracker(), indexOf(shop))).toEqual(['Service/shop/orders']);
    expect(keysForEvent(shop, 'iamPolicyMembers', 'add', grant('serviceAccount:other@demo.iam.gserviceaccount.com'), new GenerationTracker(), indexOf(shop))).toEqual([]);
  });

  it('maps a TuningRecommendation to its policy, and when deleted also to its target (which recreates it)', () => {
    const rec = obj('TuningRecommendation', 'shop', 'service-orders', { spec: { policy: 'default', targetRef: { kind: 'Service', name: 'orders' } } });
    expect(keysForEvent(shop, 'tuningRecommendations', 'update', rec, new GenerationTracker(), indexOf(shop))).toEqual(['TuningPolicy/shop/default']);
    expect(keysForEvent(shop, 'tuningRecommendations', 'delete', rec, new GenerationTracker(), indexOf(shop))).toEqual(['TuningPolicy/shop/default', 'Service/shop/orders']);
  });

  it('with a cluster default policy: a Namespace maps to its workloads and the default, a local policy also to the others and the default, the default to everything', () => {
    const cluster = view({
      knativeServices: [obj('Service', 'shop', 'orders')],
      deployments: [obj('Deployment', 'analytics', 'reports')],
      tuningPolicies: [obj('TuningPolicy', 'shop', 'a'), obj('TuningPolicy', 'shop', 'b'), obj('TuningPolicy', 'system', 'default')],
    });
    const fallback = 'TuningPolicy/system/default';
    expect(keysForEvent(cluster, 'namespaces', 'update', { kind: 'Namespace', metadata: { name: 'shop', labels: { 'pytuner.dev/enabled': 'true' } } }, new GenerationTracker(), indexOf(cluster), fallback)).toEqual(['Service/shop/orders', fallback]);
    expect(keysForEvent(cluster, 'deployments', 'update', obj('Deployment', 'analytics', 'reports'), new GenerationTracker(), indexOf(cluster), fallback)).toEqual(['Deployment/analytics/reports', fallback]);
    expect(keysForEvent(cluster, 'tuningPolicies', 'add', obj('TuningPolicy', 'shop', 'a'), new GenerationTracker(), indexOf(cluster), fallback)).toEqual(['Service/shop/orders', 'TuningPolicy/shop/a', 'TuningPolicy/shop/b', fallback]);
    expect(keysForEvent(cluster, 'tuningPolicies', 'add', obj('TuningPolicy', 'system', 'default'), new GenerationTracker(), indexOf(cluster), fallback)).toEqual([
      'Service/shop/orders',
      'Deployment/analytics/reports',
      'TuningPolicy/shop/a',
      'TuningPolicy/shop/b',
      fallback,
    ]);
    const rec = obj('TuningRecommendation', 'shop', 'service-orders', { spec: { policy: 'system/default', targetRef: { kind: 'Service', name: 'orders' } } });
    expect(keysForEvent(cluster, 'tuningRecommendations', 'update', rec, new GenerationTracker(), indexOf(cluster), fallback)).toEqual([fallback]);
  });
});
