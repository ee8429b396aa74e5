import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { TuningPolicySpec } from '../api/v1alpha1/tuningPolicy.ts';
import { planActuation, targetReadiness, type LiveWorkload } from '../actuator/plan.ts';
import { evaluateTarget, rulesFor } from './evaluate.ts';
import { serviceAccountOf } from './identityIndex.ts';
import { LAST_APPLIED_ANNOTATION, project } from './projection.ts';
import { SINGLE_SHARD } from './shard.ts';
import { cachedForm } from './shardCache.ts';

const NOW = new Date('2026-12-07T12:00:00Z');

/** A probe as the API server defaults it: timing pytuner does not read around what it does. */
const probe = (path: string) => ({ httpGet: { path, port: 8080, scheme: 'HTTP' }, initialDelaySeconds: 5, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });

/** The app container: env with a Secret reference between plain values (JSON Patch addresses entries by index). */
const appContainer = {
  name: 'app',
  image: 'europe-docker.pkg.dev/demo/shop:1.4.2',
  imagePullPolicy: 'IfNotPresent',
  args: ['gunicorn', '--workers', '2', '--threads', '$(THREADS)', '--bind', ':8080', 'app:app'],
  env: [
    { name: 'THREADS', value: '4' },
    { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
    { name: 'WEB_CONCURRENCY', value: '2' },
  ],
  ports: [{ containerPort: 8080, name: 'http1', protocol: 'TCP' }],
  resources: { limits: { cpu: '1', memory: '512Mi' }, requests: { cpu: '500m', memory: '256Mi' } },
  readinessProbe: probe('/ready'),
  livenessProbe: probe('/healthz'),
  volumeMounts: [{ name: 'config', mountPath: '/etc/shop' }],
  securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false },
  terminationMessagePath: '/dev/termination-log',
};

/** A sidecar without a name in the manifest order after the app. */
const sidecar = { name: 'proxy', image: 'envoyproxy/envoy:v1.31.0', args: ['-c', '/etc/envoy.yaml'], resources: { limits: { cpu: '100m' } } };

const metadata = (name: string) => ({
  name,
  namespace: 'shop',
  uid: `uid-${name}`,
  resourceVersion: '4711',
  generation: 3,
  creationTimestamp: '2026-11-01T10:00:00Z',
  labels: { app: name, team: 'checkout' },
  annotations: { [LAST_APPLIED_ANNOTATION]: '{"kind":"Service","spec":{"template":{}}}', 'pytuner.dev/source': 'https://github.com/demo/shop' },
  managedFields: [
    { manager: 'kubectl', operation: 'Apply', apiVersion: 'v1', time: '2026-11-01T10:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': {} }, 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': {} } } } } },
    { manager: 'controller', operation: 'Update', subresource: 'status', fieldsV1: { 'f:status': {} } },
  ],
  finalizers: ['example.com/keep'],
});

/** A Knative Service as the API server returns it: defaults, status, managedFields and all. */
const knativeService = {
  apiVersion: 'serving.knative.dev/v1',
  kind: 'Service',
  metadata: metadata('orders'),
  spec: {
    template: {
      metadata: { annotations: { 'autoscaling.knative.dev/target': '10' }, labels: { version: 'v3' }, creationTimestamp: null },
      spec: { containerConcurrency: 80, timeoutSeconds: 300, serviceAccountName: 'orders', enableServiceLinks: false, containers: [appContainer, sidecar], volumes: [{ name: 'config', configMap: { name: 'shop' } }] },
    },
    traffic: [{ latestRevision: true, percent: 100 }],
  },
  status: {
    observedGeneration: 3,
    url: 'http://orders.shop.example.com',
    latestReadyRevisionName: 'orders-00003',
    conditions: [
      { type: 'ConfigurationsReady', status: 'True' },
      { type: 'Ready', status: 'True', lastTransitionTime: '2026-11-01T10:01:00Z' },
    ],
  },
};

/** A Deployment as the API server returns it. */
const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: metadata('reports'),
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'reports' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    revisionHistoryLimit: 10,
    progressDeadlineSeconds: 600,
    template: {
      metadata: { labels: { app: 'reports' }, annotations: { 'prometheus.io/scrape': 'true' } },
      spec: { serviceAccount: 'reports', serviceAccountName: 'reports', restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', containers: [{ ...appContainer, startupProbe: { tcpSocket: { port: 8080 }, periodSeconds: 5, failureThreshold: 30 } }] },
    },
  },
  status: { observedGeneration: 3, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, conditions: [{ type: 'Available', status: 'True' }] },
};

const asObject = (value: unknown) => structuredClone(value) as KubernetesObject;

describe('project: a workload', () => {
  it('keeps what the evaluation reads: its findings and errors are those of the whole object', () => {
    for (const [resource, full, kind] of [['knativeServices', knativeService, 'Service'], ['deployments', deployment, 'Deployment']] as const) {
      const target = { kind, namespace: 'shop', name: full.metadata.name };
      const whole = evaluateTarget(target, asObject(full), [], rulesFor(undefined));
      const projected = evaluateTarget(target, project(resource, asObject(full)), [], rulesFor(undefined));
      expect(whole.findings.length).toBeGreaterThan(0);
      expect(projected.findings).toEqual(whole.findings);
      expect(projected.errors).toEqual(whole.errors);
      expect(projected.workload).toEqual(whole.workload);
    }
  });

  it('leaves out what nothing reads: status, managedFields, kubectl\'s copy, volumes, mounts, a probe\'s other timing', () => {
    const projected = project('knativeServices', asObject(knativeService));
    expect(projected.metadata).toEqual({
      name: 'orders',
      namespace: 'shop',
      uid: 'uid-orders',
      resourceVersion: '4711',
      generation: 3,
      creationTimestamp: '2026-11-01T10:00:00Z',
      labels: { app: 'orders', team: 'checkout' },
      annotations: { 'pytuner.dev/source': 'https://github.com/demo/shop' },
    });
    expect(projected.status).toBeUndefined();
    expect(projected.spec).toEqual({
      template: {
        metadata: { annotations: { 'autoscaling.knative.dev/target': '10' } },
        spec: {
          containerConcurrency: 80,
          timeoutSeconds: 300,
          serviceAccountName: 'orders',
          containers: [
            {
              name: 'app',
              image: appContainer.image,
              args: appContainer.args,
              env: appContainer.env,
              ports: [{ containerPort: 8080 }],
              resources: { limits: { cpu: '1' }, requests: { cpu: '500m' } },
              readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 10, failureThreshold: 3 },
              livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10, failureThreshold: 3 },
            },
            { name: 'proxy', image: sidecar.image, args: sidecar.args, resources: { limits: { cpu: '100m' } } },
          ],
        },
      },
    });
    expect(JSON.stringify(projected).length).toBeLessThan(JSON.stringify(knativeService).length / 2);
  });

  it('keeps a value of an unexpected type as it is, so the evaluation still names the field', () => {
    const malformed = structuredClone(knativeService) as unknown as { spec: { template: { spec: Record<string, unknown> } } };
    malformed.spec.template.spec.containerConcurrency = 'eighty';
    malformed.spec.template.spec.containers = { name: 'app' };
    const target = { kind: 'Service', namespace: 'shop', name: 'orders' };
    const whole = evaluateTarget(target, asObject(malformed), [], rulesFor(undefined));
    const projected = evaluateTarget(target, project('knativeServices', asObject(malformed)), [], rulesFor(undefined));
    expect(whole.errors.map((e) => e.field)).toEqual(['spec.template.spec.containerConcurrency', 'spec.template.spec.containers']);
    expect(projected.errors).toEqual(whole.errors);
  });

  it('leaves the object it was given as it was', () => {
    const given = asObject(knativeService);
    project('knativeServices', given);
    expect(given).toEqual(knativeService);
  });
});

describe('cachedForm: what the actuator and the identity index read of a workload', () => {
  const policy = { metadata: { name: 'tune' }, spec: TuningPolicySpec.parse({ mode: 'Apply', patch: { containerConcurrency: true, threadsEnv: true, workers: true, startupProbe: true } }) };
  const recommendation = {
    recommendations: [
      { setting: 'containerConcurrency' as const, rule: 'concurrency.threads-mismatch', value: 8, confidence: 0.9 },
      { setting: 'threads' as const, rule: 'concurrency.threads-mismatch', container: 'app', env: 'THREADS', value: 8, confidence: 0.9 },
      { setting: 'workers' as const, rule: 'gunicorn.workers-vs-cpu', container: 'app', env: 'WEB_CONCURRENCY', value: 1, confidence: 0.9 },
    ],
  };

  it('plans the same writes and conflicts, guards included (resourceVersion, env by index, managedFields), from the cached form', () => {
    // kubectl's managedFields own the containers: the env settings conflict (from the cut managedFields as from the
    // whole), the Service's containerConcurrency is applied.
    const expected = { knativeServices: { kind: 'apply' }, deployments: { kind: 'none', reason: 'conflict' } };
    for (const [resource, full] of [['knativeServices', knativeService], ['deployments', deployment]] as const) {
      const whole = planActuation({ policy, recommendation, live: asObject(full) as LiveWorkload, now: NOW });
      const cached = planActuation({ policy, recommendation, live: cachedForm(SINGLE_SHARD, resource, asObject(full)) as LiveWorkload, now: NOW });
      expect(whole).toMatchObject(expected[resource]);
      expect(cached).toEqual(whole);
    }
    const patch = planActuation({ policy, recommendation, live: cachedForm(SINGLE_SHARD, 'knativeServices', asObject(knativeService)) as LiveWorkload, now: NOW });
    // The resourceVersion guard of the JSON Patch, and the env conflicts from kubectl's managedFields.
    expect(patch).toMatchObject({
      writes: [{ method: 'json-patch', ops: expect.arrayContaining([{ op: 'replace', path: '/metadata/resourceVersion', value: '4711' }]) }],
      conflicts: [{ manager: 'kubectl', setting: 'threads' }, { manager: 'kubectl', setting: 'workers' }],
    });
  });

  it('reads the same readiness, and a Deployment\'s replicas, from the cached form', () => {
    const rolling = { ...structuredClone(deployment), status: { ...deployment.status, availableReplicas: 2 } };
    const cached = cachedForm(SINGLE_SHARD, 'deployments', asObject(rolling)) as LiveWorkload;
    expect(targetReadiness(cached)).toEqual(targetReadiness(asObject(rolling) as LiveWorkload));
    expect(targetReadiness(cached)).toMatchObject({ ready: false, message: 'Deployment reports: 2 of 3 updated replicas available' });
    expect(targetReadiness(cachedForm(SINGLE_SHARD, 'knativeServices', asObject(knativeService)) as LiveWorkload)).toEqual({ ready: true });
  });

  it('keeps the ServiceAccount a workload runs as', () => {
    expect(serviceAccountOf(project('deployments', asObject(deployment)))).toBe('reports');
    const legacy = structuredClone(deployment) as unknown as { spec: { template: { spec: Record<string, unknown> } } };
    delete legacy.spec.template.spec.serviceAccountName;
    expect(serviceAccountOf(project('deployments', asObject(legacy)))).toBe('reports');
  });
});

describe('project: identity, IAM, policies and namespaces', () => {
  it('keeps of a ServiceAccount its Workload Identity annotation, evaluated as the whole object is', () => {
    const account = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { ...metadata('orders'), annotations: { 'iam.gke.io/gcp-service-account': 'orders@demo.iam.gserviceaccount.com', 'example.com/owner': 'checkout' } },
      secrets: [{ name: 'orders-token' }],
    };
    const projected = project('serviceAccounts', asObject(account));
    expect(projected).toEqual({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'orders', namespace: 'shop', uid: 'uid-orders', resourceVersion: '4711', generation: 3, creationTimestamp: '2026-11-01T10:00:00Z', labels: { app: 'orders', team: 'checkout' }, annotations: { 'iam.gke.io/gcp-service-account': 'orders@demo.iam.gserviceaccount.com' } },
    });
    const grant = {
      apiVersion: 'iam.cnrm.cloud.google.com/v1beta1',
      kind: 'IAMPolicyMember',
      metadata: { name: 'orders-profiler', namespace: 'shop', resourceVersion: '12', managedFields: metadata('x').managedFields },
      spec: { member: 'serviceAccount:orders@demo.iam.gserviceaccount.com', role: 'roles/cloudprofiler.agent', resourceRef: { kind: 'Project', external: 'projects/demo' } },
      status: { conditions: [{ type: 'Ready', status: 'True', reason: 'UpToDate', message: 'The resource is up to date' }], observedGeneration: 1 },
    };
    const projectedGrant = project('iamPolicyMembers', asObject(grant));
    expect(projectedGrant).toEqual({ apiVersion: grant.apiVersion, kind: grant.kind, metadata: { name: 'orders-profiler', namespace: 'shop', resourceVersion: '12' }, spec: grant.spec });
    const target = { kind: 'Deployment', namespace: 'shop', name: 'reports' };
    const rules = rulesFor({ enabled: ['profiler.iam-role'] });
    const whole = evaluateTarget(target, asObject(deployment), [asObject(account), asObject(grant)], rules);
    const projectedEvaluation = evaluateTarget(target, project('deployments', asObject(deployment)), [projected, projectedGrant], rules);
    expect(projectedEvaluation.findings).toEqual(whole.findings);
  });

  it('keeps of a Namespace its labels, and of a TuningPolicy its spec and status', () => {
    const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { ...metadata('shop'), namespace: undefined }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
    expect(project('namespaces', asObject(namespace))).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', uid: 'uid-shop', resourceVersion: '4711', labels: { app: 'shop', team: 'checkout' } } });
    const policyObject = { apiVersion: 'pytuner.dev/v1alpha1', kind: 'TuningPolicy', metadata: metadata('default'), spec: { mode: 'Recommend' }, status: { targets: 2 } };
    const { managedFields: _managedFields, finalizers: _finalizers, ...kept } = policyObject.metadata;
    expect(project('tuningPolicies', asObject(policyObject))).toEqual({ ...policyObject, metadata: { ...kept, annotations: { 'pytuner.dev/source': 'https://github.com/demo/shop' } } });
  });
});
