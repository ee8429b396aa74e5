// Faults on the controller's writes, on the real API server: another writer updates the workload between the
// controller's read and its write (409 on the resourceVersion precondition → planned again on the fresh object, both
// changes kept); the answer to a patch is lost after the API server applied it (read back: recorded once, announced
// once, not patched again); the controller's identity lacks permissions (403: the TuningPolicy's Permitted condition
// names each verb, resource and namespace, and everything else keeps working). The first two put
// controller-faults.support.ts's proxy between the controller and the API server; the third runs the controller as
// the harness's restricted user with a Role of the test's making.
import type { KubernetesObject } from '@kubernetes/client-node';
import { inject, onTestFinished, describe, expect, it, vi } from 'vitest';
import { RESTRICTED_USER } from './harness/controlPlane.ts';
import { adminClients, restrictedClients, uniqueNamespace } from './harness/kube.ts';
import { startApiProxy, type ApiRequest } from './controller-faults.support.ts';
import {
  GUNICORN_1X8,
  applyAs,
  condition,
  create,
  eventsAbout,
  knativeService,
  markServiceReady,
  metricValue,
  operations,
  readService,
  recommendation,
  startTestController,
  tuningPolicy,
} from './controller.support.ts';

const poll = { timeout: 30_000, interval: 100 };

/** gunicorn with its default worker count (WEB_CONCURRENCY, else 1) and 8 threads, on 2 vCPU: pytuner wants WEB_CONCURRENCY=2. */
const GUNICORN_DEFAULT_WORKERS = ['gunicorn', '--bind', ':8080', '--threads', '8', 'app:app'];

function serviceWithCpu(namespace: string, name: string, env?: Array<{ name: string; value: string }>): KubernetesObject {
  const container: Record<string, unknown> = { name: 'app', image: 'europe-docker.pkg.dev/demo/app:1.0.0', args: GUNICORN_DEFAULT_WORKERS, resources: { limits: { cpu: '2', memory: '1Gi' } } };
  if (env !== undefined) container['env'] = env;
  return { apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name, namespace }, spec: { template: { spec: { containers: [container] } } } } as KubernetesObject;
}

function isWriteTo(request: ApiRequest, namespace: string, name: string): boolean {
  return request.method === 'PATCH' && request.path.startsWith(`/apis/serving.knative.dev/v1/namespaces/${namespace}/services/${name}?`);
}

async function appliedNotes(namespace: string, name: string): Promise<string[]> {
  return (await eventsAbout(namespace, name)).filter((e) => e.reason === 'TuningApplied').map((e) => e.note);
}

describe('controller writes under faults', () => {
  it('409: another writer updates the Service between read and write; the patch is planned again on the fresh object and both changes stay', async () => {
    const namespace = await uniqueNamespace('ctl-faults-409');
    await applyAs(serviceWithCpu(namespace, 'orders'), 'deploy-tool');
    await markServiceReady(namespace, 'orders');
    // force: the deploy tool owns Knative's atomic containers list, and WEB_CONCURRENCY lives in it.
    await create(tuningPolicy(namespace, 'apply', { mode: 'Apply', force: true, patch: { workers: true } }));
    let interfered = false;
    const proxy = await startApiProxy(inject('controlPlane').kubeconfigPath, (request) => {
      if (interfered || !isWriteTo(request, namespace, 'orders')) return 'pass';
      interfered = true;
      // The deploy tool rolls out LOG_LEVEL, and Knative marks the new revision Ready, after the controller read the
      // Service and before its patch reaches the API server.
      return {
        before: async () => {
          await applyAs(serviceWithCpu(namespace, 'orders', [{ name: 'LOG_LEVEL', value: 'debug' }]), 'deploy-tool');
          await markServiceReady(namespace, 'orders');
        },
      };
    });
    onTestFinished(() => proxy.close());
    const controller = await startTestController(namespace, { kubeConfig: proxy.kubeConfig });

    const patched = await vi.waitFor(async () => {
      const live = await readService(namespace, 'orders');
      expect(live.metadata?.generation).toBe(3);
      return live;
    }, poll);
    const [container] = patched.spec.template.spec['containers'] as Array<Record<string, unknown>>;
    expect(container?.['env']).toEqual([
      { name: 'LOG_LEVEL', value: 'debug' },
      { name: 'WEB_CONCURRENCY', value: '2' },
    ]);
    expect(container?.['args']).toEqual(GUNICORN_DEFAULT_WORKERS);
    // The first patch carried the resourceVersion read before the deploy tool's write and was refused (409); the
    // Service was read again and the second patch, built on it, appended to the env list instead of replacing it; the
    // third request gave Knative's atomic containers list back to the deploy tool (managedFields only).
    await vi.waitFor(() => expect(proxy.requests.filter((r) => isWriteTo(r, namespace, 'orders'))).toHaveLength(3), poll);
    expect(proxy.requests.some((r) => r.method === 'GET' && r.path === `/apis/serving.knative.dev/v1/namespaces/${namespace}/services/orders`)).toBe(true);
    const rec = await vi.waitFor(async () => {
      const r = await recommendation(namespace, 'service-orders');
      expect(r?.status?.applied).toBeDefined();
      return r!;
    }, poll);
    expect(rec.status?.applied?.changes).toEqual([{ field: 'spec.template.spec.containers[name=app].env[name=WEB_CONCURRENCY].value', setting: 'workers', to: '2', rule: 'gunicorn.workers-vs-cpu' }]);
    // The generation the patch produced: the deploy tool's write was 2.
    expect(rec.status?.applied?.generation).toBe(3);
    await vi.waitFor(async () => expect(await appliedNotes(namespace, 'orders')).toEqual(['WEB_CONCURRENCY unset → 2 (gunicorn.workers-vs-cpu)']), poll);
    const metrics = (await operations(controller.port, '/metrics')).body;
    expect(metricValue(metrics, 'pytuner_errors_total{type="apply"}')).toBeUndefined();
    expect(metricValue(metrics, 'pytuner_patches_applied_total{kind="Service",field="workers"}')).toBe(1);
  });

  it('a patch whose answer is lost: read back, recorded and announced once, not patched again', async () => {
    const namespace = await uniqueNamespace('ctl-faults-lost');
    // The health path keeps a value recommended after the patch (the startup probe, not allowed here), so the next
    // reconcile stops at the cooldown rather than at "no recommendations".
    await applyAs(knativeService(namespace, 'orders', { args: GUNICORN_1X8, annotations: { 'pytuner.dev/health-path': '/healthz' } }), 'deploy-tool');
    await markServiceReady(namespace, 'orders');
    await create(tuningPolicy(namespace, 'apply', { mode: 'Apply', cooldown: '1h', patch: { containerConcurrency: true } }));
    let lost = false;
    const proxy = await startApiProxy(inject('controlPlane').kubeconfigPath, (request) => {
      if (lost || !isWriteTo(request, namespace, 'orders')) return 'pass';
      lost = true;
      return 'lose-answer';
    });
    onTestFinished(() => proxy.close());
    const controller = await startTestController(namespace, { kubeConfig: proxy.kubeConfig });

    // The next reconcile (the Service's update event) finds the cooldown running: the applied record was written.
    const held = await vi.waitFor(async () => {
      const r = await recommendation(namespace, 'service-orders');
      expect(condition(r?.status, 'Applied')?.reason).toBe('Cooldown');
      return r!;
    }, poll);
    // Knative's webhook stored the containerConcurrency the deploy tool left out as 0: that is the value before.
    expect(held.status?.applied?.changes).toEqual([{ field: 'spec.template.spec.containerConcurrency', setting: 'containerConcurrency', from: '0', to: '8', rule: 'concurrency.unbounded' }]);
    expect(held.status?.applied?.generation).toBe(2);
    const live = await readService(namespace, 'orders');
    expect(live.spec.template.spec['containerConcurrency']).toBe(8);
    expect(live.metadata?.generation).toBe(2);
    expect(proxy.requests.filter((r) => isWriteTo(r, namespace, 'orders'))).toHaveLength(1);
    await vi.waitFor(async () => expect(await appliedNotes(namespace, 'orders')).toEqual(['containerConcurrency 0 → 8 (concurrency.unbounded)']), poll);
    const metrics = (await operations(controller.port, '/metrics')).body;
    expect(metricValue(metrics, 'pytuner_patches_applied_total{kind="Service",field="containerConcurrency"}')).toBe(1);
  });

  it('403: the policy names each permission the controller lacks; what it may do it still does', async () => {
    const namespace = await uniqueNamespace('ctl-faults-403');
    const { rbac, apps } = adminClients();
    await applyAs(knativeService(namespace, 'orders', { args: GUNICORN_1X8 }), 'deploy-tool');
    await markServiceReady(namespace, 'orders');
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'reports' },
        spec: {
          selector: { matchLabels: { app: 'reports' } },
          template: { metadata: { labels: { app: 'reports' } }, spec: { containers: [{ name: 'app', image: 'python:3.13-slim', args: GUNICORN_1X8 }] } },
        },
      },
    });
    await create(tuningPolicy(namespace, 'apply', { mode: 'Apply', patch: { containerConcurrency: true } }));
    // Everything the controller needs in the namespace but listing Deployments and patching Knative Services.
    const rules = [
      { apiGroups: ['serving.knative.dev'], resources: ['services'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['pytuner.dev'], resources: ['tuningpolicies', 'tuningrecommendations'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'update'] },
      { apiGroups: ['pytuner.dev'], resources: ['tuningpolicies/status'], verbs: ['patch', 'update'] },
      { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['list', 'watch'] },
      { apiGroups: ['iam.cnrm.cloud.google.com'], resources: ['iampolicymembers', 'iampartialpolicies'], verbs: ['list', 'watch'] },
      { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create'] },
    ];
    await rbac.createNamespacedRole({ namespace, body: { metadata: { name: 'pytuner' }, rules } });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'pytuner' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pytuner' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: RESTRICTED_USER }],
      },
    });
    const controller = await startTestController(namespace, { kubeConfig: restrictedClients().kubeConfig });

    const policyStatus = async () =>
      ((await adminClients().custom.getNamespacedCustomObject({ group: 'pytuner.dev', version: 'v1alpha1', namespace, plural: 'tuningpolicies', name: 'apply' })) as {
        status?: { targets?: number; conditions?: Array<{ type: string; status: string; reason: string; message: string }> };
      }).status;
    const refused = await vi.waitFor(async () => {
      const status = await policyStatus();
      expect(condition(status, 'Permitted')).toMatchObject({
        status: 'False',
        reason: 'Forbidden',
        message: `the controller's identity may not: list deployments.apps in namespace ${namespace}; patch services.serving.knative.dev in namespace ${namespace} (Service orders not patched)`,
      });
      return status!;
    }, poll);
    expect(refused.targets).toBe(1);
    // The Service is evaluated and its recommendation written; only the patch is refused, and said so.
    const rec = await recommendation(namespace, 'service-orders');
    expect(rec?.status?.recommendations?.[0]).toMatchObject({ setting: 'containerConcurrency', value: 8 });
    expect(condition(rec?.status, 'Applied')).toMatchObject({ status: 'False', reason: 'Forbidden', message: `may not patch services.serving.knative.dev in namespace ${namespace}` });
    expect((await readService(namespace, 'orders')).metadata?.generation).toBe(1);
    const ready = await operations(controller.port, '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toContain(`may not list deployments.apps in namespace ${namespace}`);
    expect(metricValue((await operations(controller.port, '/metrics')).body, 'pytuner_errors_total{type="apply"}')).toBeGreaterThanOrEqual(1);

    // RBAC allows Deployments now: the informer's retries list them, the Deployment is evaluated, the policy updated.
    await rbac.patchNamespacedRole(
      { namespace, name: 'pytuner', body: [{ op: 'add', path: '/rules/-', value: { apiGroups: ['apps'], resources: ['deployments'], verbs: ['list', 'watch'] } }] },
    );
    await vi.waitFor(async () => expect((await recommendation(namespace, 'deployment-reports'))?.spec?.targetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'reports' }), poll);
    await vi.waitFor(async () => {
      const status = await policyStatus();
      expect(status?.targets).toBe(2);
      expect(condition(status, 'Permitted')?.message).toBe(`the controller's identity may not: patch services.serving.knative.dev in namespace ${namespace} (Service orders not patched)`);
    }, poll);
  });
});
