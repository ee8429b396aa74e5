import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { field, fieldOwners, named, type ManagedFieldsEntry } from '../actuator/managedFields.ts';
import { targetReadiness, type LiveWorkload } from '../actuator/plan.ts';
import { LAST_APPLIED_ANNOTATION, type WorkloadProjection } from './projection.ts';
import { cachedForm, cachedStatusDigest, podSpecManagedFields } from './shardCache.ts';
import { SINGLE_SHARD, shardOf } from './shard.ts';
import { statusDigest } from './statusDigest.ts';

// shardOf('shop', 3) = 2, shardOf('default', 3) = 0 (shard.test.ts pins these).
const SHOP_SHARD = { index: 2, total: 3 };
const service = (namespace: string): KubernetesObject => ({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'orders', namespace } });

const recommendation = {
  apiVersion: 'pytuner.dev/v1alpha1',
  kind: 'TuningRecommendation',
  metadata: { name: 'service-orders', namespace: 'shop', resourceVersion: '42', managedFields: [{ manager: 'pytuner', operation: 'Apply', fieldsV1: { 'f:spec': {} } }] },
  spec: { policy: 'default', targetRef: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'orders' } },
  status: {
    targetGeneration: 3,
    lastEvaluated: '2026-11-23T00:00:00Z',
    basis: 'metrics',
    summary: { findings: 2, critical: 1, warning: 1, info: 0 },
    applied: { policy: 'default', at: '2026-11-23T00:00:00Z' },
    previous: { 'spec.template.spec.containerConcurrency': '80' },
    conflicts: [],
    conditions: [{ type: 'Applied', status: 'True', reason: 'Applied', message: 'containerConcurrency 80 → 8' }],
    findings: [{ rule: 'concurrency.threads-mismatch', message: 'a long text with evidence' }],
    recommendations: [{ setting: 'containerConcurrency', value: 8 }],
    fix: { jsonPatch: '[{"op":"replace","path":"/spec/template/spec/containerConcurrency","value":8}]', rules: ['concurrency.threads-mismatch'] },
  },
} as KubernetesObject & { status: Record<string, unknown> };

const managedFields = [
  { manager: 'deploy-tool', operation: 'Apply', apiVersion: 'serving.knative.dev/v1', time: '2026-11-23T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:annotations': {} }, 'f:spec': { 'f:template': { 'f:spec': { 'f:containerConcurrency': {} } } } } },
  { manager: 'controller', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:status': { 'f:url': {} } }, subresource: 'status' },
];

/** A Knative Service as the API server sends it: managedFields, kubectl's annotation, a full status. */
const liveService = {
  apiVersion: 'serving.knative.dev/v1',
  kind: 'Service',
  metadata: {
    name: 'orders',
    namespace: 'shop',
    uid: 'u-1',
    generation: 2,
    resourceVersion: '7',
    labels: { app: 'orders' },
    annotations: { [LAST_APPLIED_ANNOTATION]: '{"apiVersion":"serving.knative.dev/v1","kind":"Service"}', 'run.googleapis.com/ingress': 'all' },
    managedFields,
  },
  spec: { template: { spec: { containerConcurrency: 80, containers: [{ image: 'app:1' }] } } },
  status: {
    observedGeneration: 2,
    url: 'http://orders.shop.example.com',
    latestReadyRevisionName: 'orders-00002',
    traffic: [{ revisionName: 'orders-00002', percent: 100, latestRevision: true }],
    conditions: [
      { type: 'ConfigurationsReady', status: 'True', lastTransitionTime: '2026-11-23T00:00:00Z' },
      { type: 'Ready', status: 'False', reason: 'RevisionFailed', message: 'Revision "orders-00002" failed with message: probe failed.', lastTransitionTime: '2026-11-23T00:00:00Z' },
    ],
  },
};

describe('cachedForm', () => {
  it('drops the objects of namespaces another shard owns, and keeps its own', () => {
    expect(shardOf('shop', 3)).toBe(2);
    expect(cachedForm(SHOP_SHARD, 'knativeServices', service('shop'))).toEqual(service('shop'));
    expect(cachedForm(SHOP_SHARD, 'knativeServices', service('default'))).toBeUndefined();
    expect(cachedForm(SHOP_SHARD, 'serviceAccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'a', namespace: 'default' } })).toBeUndefined();
  });

  it('keeps IAM grants of every namespace, since they may grant to any workload', () => {
    const member: KubernetesObject = { apiVersion: 'iam.cnrm.cloud.google.com/v1beta1', kind: 'IAMPolicyMember', metadata: { name: 'm', namespace: 'default', managedFields: [] } };
    expect(cachedForm(SHOP_SHARD, 'iamPolicyMembers', member)).toEqual({ ...member, metadata: { name: 'm', namespace: 'default' } });
  });

  it('keeps everything as the single shard', () => {
    expect(cachedForm(SINGLE_SHARD, 'deployments', service('default'))).toEqual(service('default'));
  });

  it('keeps of a workload its spec, its pod-spec managedFields and the status targetReadiness reads', () => {
    const cached = cachedForm(SINGLE_SHARD, 'knativeServices', liveService as KubernetesObject);
    expect(cached).toEqual({
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Service',
      metadata: {
        name: 'orders',
        namespace: 'shop',
        uid: 'u-1',
        generation: 2,
        resourceVersion: '7',
        labels: { app: 'orders' },
        annotations: { 'run.googleapis.com/ingress': 'all' },
        managedFields: [{ manager: 'deploy-tool', operation: 'Apply', fieldsV1: { 'f:spec': { 'f:template': { 'f:spec': { 'f:containerConcurrency': {} } } } } }],
      },
      spec: liveService.spec,
      status: { observedGeneration: 2, conditions: [{ type: 'Ready', status: 'False', reason: 'RevisionFailed', message: 'Revision "orders-00002" failed with message: probe failed.' }] },
    });
    expect(liveService.metadata.managedFields).toBe(managedFields); // the object it was given is left as it was
  });

  it('gives workloads with equal pod-spec managedFields one frozen copy, and copies the rest of the object', () => {
    const other = { ...liveService, metadata: { ...liveService.metadata, name: 'cart', managedFields: structuredClone(managedFields) } };
    const changed = structuredClone(managedFields);
    (changed[0]!.fieldsV1['f:spec'] as Record<string, unknown>)['f:template'] = { 'f:spec': { 'f:timeoutSeconds': {} } };
    const third = { ...liveService, metadata: { ...liveService.metadata, name: 'third', managedFields: changed } };
    const [first, second, different] = [liveService, other, third].map((w) => cachedForm(SINGLE_SHARD, 'knativeServices', w as KubernetesObject) as WorkloadProjection);
    expect(second!.metadata.managedFields).toBe(first!.metadata.managedFields);
    expect(Object.isFrozen(first!.metadata.managedFields![0]!.fieldsV1)).toBe(true);
    expect(different!.metadata.managedFields).not.toBe(first!.metadata.managedFields);
    expect(different!.metadata.managedFields).toEqual([{ manager: 'deploy-tool', operation: 'Apply', fieldsV1: { 'f:spec': { 'f:template': { 'f:spec': { 'f:timeoutSeconds': {} } } } } }]);
    expect(first!.spec).toEqual(liveService.spec);
    expect(first!.spec).not.toBe(liveService.spec);
    expect(Object.isFrozen(first!.spec)).toBe(false);
  });

  it('answers targetReadiness as the full object does', () => {
    const ready = { ...liveService, status: { ...liveService.status, conditions: [{ type: 'Ready', status: 'True' }] } };
    const unobserved = { ...ready, metadata: { ...ready.metadata, generation: 3 } };
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'reports', namespace: 'shop', generation: 4 },
      spec: { replicas: 3 },
      status: { observedGeneration: 4, replicas: 4, updatedReplicas: 3, availableReplicas: 3, readyReplicas: 3, conditions: [{ type: 'Progressing', status: 'True', message: 'long' }] },
    };
    const done = { ...deployment, status: { ...deployment.status, replicas: 3 } };
    for (const [resource, live] of [['knativeServices', liveService], ['knativeServices', ready], ['knativeServices', unobserved], ['deployments', deployment], ['deployments', done]] as const) {
      const cached = cachedForm(SINGLE_SHARD, resource, live as KubernetesObject) as LiveWorkload;
      expect(targetReadiness(cached)).toEqual(targetReadiness(live as LiveWorkload));
    }
    expect(targetReadiness(cachedForm(SINGLE_SHARD, 'deployments', done as KubernetesObject) as LiveWorkload)).toEqual({ ready: true });
  });

  it('keeps of a TuningRecommendation its status without findings, values and fix, and the digest of the full status', () => {
    const cached = cachedForm(SHOP_SHARD, 'tuningRecommendations', recommendation) as KubernetesObject;
    const { findings: _findings, recommendations: _values, fix: _fix, ...kept } = recommendation.status;
    expect(cached).toEqual({ ...recommendation, metadata: { name: 'service-orders', namespace: 'shop', resourceVersion: '42' }, status: kept });
    expect(cachedStatusDigest(cached)).toBe(statusDigest(recommendation.status));
    expect(cachedStatusDigest(cached)).not.toBe(statusDigest(kept));
    expect(cachedStatusDigest(recommendation)).toBeUndefined();
  });
});

describe('podSpecManagedFields', () => {
  const podSpec = { 'f:containerConcurrency': {}, 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:env': { 'k:{"name":"THREADS"}': { '.': {}, 'f:value': {} } } } } };
  const entries: ManagedFieldsEntry[] = [
    { manager: 'deploy-tool', operation: 'Apply', apiVersion: 'apps/v1', time: '2026-11-23T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:app': {} } }, 'f:spec': { 'f:replicas': {}, 'f:template': { 'f:metadata': { 'f:labels': {} }, 'f:spec': podSpec } } } },
    { manager: 'knative', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:template': {} } } },
    { manager: 'labeller', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:team': {} } } } },
    { manager: 'autoscaler', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:status': { 'f:replicas': {} } }, subresource: 'status' },
  ];
  const podSpecPath = [field('spec'), field('template'), field('spec')];
  const app = [...podSpecPath, field('containers'), named('app')];

  it('keeps each manager\'s branch down to the pod spec, atomic ancestors as leaves, and drops the rest', () => {
    expect(podSpecManagedFields(entries)).toEqual([
      { manager: 'deploy-tool', operation: 'Apply', fieldsV1: { 'f:spec': { 'f:template': { 'f:spec': podSpec } } } },
      { manager: 'knative', operation: 'Update', fieldsV1: { 'f:spec': { 'f:template': {} } } },
    ]);
  });

  it('answers fieldOwners as the full entries do for every path in the pod spec', () => {
    const slim = podSpecManagedFields(entries) as ManagedFieldsEntry[];
    const threads = [...app, field('env'), named('THREADS'), field('value')];
    const paths = [[...podSpecPath, field('containerConcurrency')], [...app, field('startupProbe')], threads, [...app, field('env'), named('WORKERS'), field('value')], [...podSpecPath, field('serviceAccountName')]];
    for (const path of paths) expect(fieldOwners(slim, path, 'pytuner')).toEqual(fieldOwners(entries, path, 'pytuner'));
    expect(fieldOwners(slim, threads, 'pytuner')).toEqual(['deploy-tool', 'knative']);
    expect(fieldOwners(slim, [...app, field('startupProbe')], 'pytuner')).toEqual(['knative']);
  });
});

describe('statusDigest', () => {
  it('ignores lastEvaluated, key order and undefined, and nothing else', () => {
    const status = { summary: { findings: 1, critical: 0 }, lastEvaluated: '2026-11-23T00:00:00Z', basis: 'rules' };
    expect(statusDigest({ basis: 'rules', summary: { critical: 0, findings: 1 }, lastEvaluated: '2026-11-23T01:00:00Z', applied: undefined })).toBe(statusDigest(status));
    expect(statusDigest({ ...status, basis: 'metrics' })).not.toBe(statusDigest(status));
    expect(statusDigest(undefined)).toBe(statusDigest({}));
  });
});
