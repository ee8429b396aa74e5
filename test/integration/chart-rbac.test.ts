// The chart's RBAC is exactly what the controller needs: `helm install` into the real API server, then the
// controller runs in-process with the chart's ServiceAccount's own token (TokenRequest) and does its job in Recommend
// mode, gets 403 Forbidden when a policy asks for Apply and the chart does not grant it, and patches once `helm
// upgrade --set apply.enabled=true` grants it. The same identity is refused Secrets, other Leases and, without the
// profiler grant, IAMPolicyMembers.
import { randomBytes } from 'node:crypto';
import { CoordinationV1Api, CoreV1Api, CustomObjectsApi, KubernetesObjectApi, PatchStrategy, setHeaderOptions, V1MicroTime, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { startController } from '../../src/controller/main.ts';
import { createLogger } from '../../src/controller/log.ts';
import { adminClients, apiFailure, uniqueNamespace } from './harness/kube.ts';
import { HELM_BUILD_TIMEOUT_MS, helmBinary, install, serviceAccountKubeConfig, uninstall, uniqueRelease, upgrade } from './chart.support.ts';
import { GUNICORN_1X8, applyAs, condition, create, knativeService, markServiceReady, metricValue, operations, readService, recommendation, tuningPolicy } from './controller.support.ts';

beforeAll(() => helmBinary().then(() => undefined), HELM_BUILD_TIMEOUT_MS);

const poll = { timeout: 20_000, interval: 100 };

/** The chart installed in a namespace of its own, and what the controller runs as. */
interface Installed {
  namespace: string;
  release: string;
  serviceAccount: string;
  lease: string;
}

/** `helm install` of the chart (cluster-wide RBAC, the default) into a new namespace; uninstalled after the test. */
async function installChart(values: Record<string, unknown> = {}): Promise<Installed> {
  const namespace = await uniqueNamespace('chart-rbac');
  const release = uniqueRelease('rbac');
  const result = await install(release, namespace, values);
  if (result.code !== 0) throw new Error(`helm install failed: ${result.stderr}`);
  onTestFinished(() => uninstall(release, namespace).then(() => undefined));
  return { namespace, release, serviceAccount: `${release}-pytuner`, lease: `${release}-pytuner` };
}

/**
 * Starts the controller as the chart's ServiceAccount, with the chart's leader election (the Lease it may take) but
 * watching only `namespace`: the harness's API server is shared with other tests, whose namespaces it must not touch.
 */
async function startAsServiceAccount(installed: Installed, kubeConfig: KubeConfig) {
  const controller = await startController({
    kubeConfig,
    namespace: installed.namespace,
    metricsPort: 0,
    metricsHost: '127.0.0.1',
    leaderElection: { namespace: installed.namespace, name: installed.lease },
    resyncMs: 60_000,
    discoveryIntervalMs: 1_000,
    informerBackoff: { baseMs: 200, maxMs: 2_000 },
    shutdownTimeoutMs: 5_000,
    log: createLogger({ level: (process.env['PYTUNER_TEST_LOG'] ?? 'silent') as 'silent' }),
  });
  onTestFinished(() => controller.stop());
  return controller;
}

describe('the chart\'s ServiceAccount', () => {
  it('recommends, is refused the patch while Apply is not granted, and patches once helm upgrade grants it', async () => {
    const installed = await installChart();
    const { namespace } = installed;
    // Two workloads, one per policy: "orders" is only recommended for, "billing" is under an Apply policy.
    await create(knativeService(namespace, 'orders', { containerConcurrency: 80, args: GUNICORN_1X8, labels: { tier: 'recommend' } }));
    await applyAs(knativeService(namespace, 'billing', { args: GUNICORN_1X8, labels: { tier: 'apply' } }), 'deploy-tool');
    await markServiceReady(namespace, 'billing');
    await create(tuningPolicy(namespace, 'recommend', { mode: 'Recommend', selector: { matchLabels: { tier: 'recommend' } } }));
    await create(tuningPolicy(namespace, 'apply', { mode: 'Apply', selector: { matchLabels: { tier: 'apply' } }, patch: { containerConcurrency: true } }));

    const asServiceAccount = await serviceAccountKubeConfig(namespace, installed.serviceAccount);
    const controller = await startAsServiceAccount(installed, asServiceAccount);

    // Recommend: the TuningRecommendation is written (create, status), the policy's status too.
    const recommended = await vi.waitFor(async () => {
      const r = await recommendation(namespace, 'service-orders');
      expect(condition(r?.status, 'Applied')?.reason).toBe('RecommendOnly');
      return r!;
    }, poll);
    expect(recommended.status?.recommendations?.[0]).toMatchObject({ setting: 'containerConcurrency', value: 8, current: 80 });
    // …and the policy's status (patch on tuningpolicies/status).
    await vi.waitFor(async () => {
      const policy = (await adminClients().custom.getNamespacedCustomObject({ group: 'pytuner.dev', version: 'v1alpha1', namespace, plural: 'tuningpolicies', name: 'recommend' })) as { status?: { targets?: number } };
      expect(policy.status?.targets).toBe(1);
    }, poll);

    // Apply without the grant: the API server refuses the patch; the recommendation says so; the Service is untouched.
    const refused = await vi.waitFor(async () => {
      const r = await recommendation(namespace, 'service-billing');
      expect(condition(r?.status, 'Applied')?.reason).toBe('Forbidden');
      return r!;
    }, poll);
    expect(condition(refused.status, 'Applied')?.message).toBe(`may not patch services.serving.knative.dev in namespace ${namespace}`);
    // Untouched: still the 0 (unlimited) Knative's webhook stored for the containerConcurrency the deploy tool left out.
    expect((await readService(namespace, 'billing')).spec.template.spec['containerConcurrency']).toBe(0);
    const metrics = await operations(controller.port, '/metrics');
    expect(metricValue(metrics.body, 'pytuner_errors_total{type="watch"}')).toBeUndefined();
    expect(metricValue(metrics.body, 'pytuner_errors_total{type="apply"}')).toBeGreaterThanOrEqual(1);
    await controller.stop();

    // helm upgrade grants patch; a controller started afterwards applies (a running one does at its next resync).
    const upgraded = await upgrade(installed.release, namespace, { apply: { enabled: true } });
    expect(upgraded.code).toBe(0);
    await startAsServiceAccount(installed, asServiceAccount);
    await vi.waitFor(async () => expect((await readService(namespace, 'billing')).spec.template.spec['containerConcurrency']).toBe(8), poll);
    // The durable record of the patch (the Applied condition moves on to Cooldown at the next reconcile).
    const applied = await vi.waitFor(async () => {
      const r = await recommendation(namespace, 'service-billing');
      expect(r?.status?.applied).toBeDefined();
      return r!;
    }, poll);
    expect(applied.status?.applied).toMatchObject({ policy: 'apply', fields: ['spec.template.spec.containerConcurrency'] });
    // Recommend mode still never patches, whatever the chart grants.
    expect((await readService(namespace, 'orders')).spec.template.spec['containerConcurrency']).toBe(80);
  });

  it('is refused Secrets, other Leases, other namespaces\' Leases and IAMPolicyMember writes; may create Events', async () => {
    const installed = await installChart();
    const { namespace } = installed;
    const kubeConfig = await serviceAccountKubeConfig(namespace, installed.serviceAccount);
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const coordination = kubeConfig.makeApiClient(CoordinationV1Api);
    const objects = KubernetesObjectApi.makeApiClient(kubeConfig);

    expect((await apiFailure(core.listNamespacedSecret({ namespace }))).httpStatus).toBe(403);
    expect((await apiFailure(core.listSecretForAllNamespaces())).httpStatus).toBe(403);
    expect((await apiFailure(core.readNamespacedSecret({ namespace, name: 'anything' }))).httpStatus).toBe(403);
    expect((await apiFailure(core.listNamespacedConfigMap({ namespace }))).httpStatus).toBe(403);
    expect((await apiFailure(core.listNamespacedPod({ namespace }))).httpStatus).toBe(403);

    // Watching is cluster-wide (the default): listing every namespace's workloads is allowed, reading one is not needed.
    expect((await core.listServiceAccountForAllNamespaces()).items).toBeDefined();

    // Patching workloads needs apply.enabled.
    await create(knativeService(namespace, 'orders', { containerConcurrency: 80, args: GUNICORN_1X8 }));
    const patch = kubeConfig.makeApiClient(CustomObjectsApi).patchNamespacedCustomObject(
      { group: 'serving.knative.dev', version: 'v1', namespace, plural: 'services', name: 'orders', body: [{ op: 'replace', path: '/spec/template/spec/containerConcurrency', value: 8 }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    const refused = await apiFailure(patch);
    expect(refused.httpStatus).toBe(403);
    expect(refused.message).toContain(`system:serviceaccount:${namespace}:${installed.serviceAccount}`);

    // Leases: its own may be created, read and renewed; no other name, no other namespace.
    const now = new V1MicroTime(Date.now());
    const lease = (name: string, ns: string) => ({ namespace: ns, body: { metadata: { name, namespace: ns }, spec: { holderIdentity: 'test', leaseDurationSeconds: 15, acquireTime: now, renewTime: now } } });
    await coordination.createNamespacedLease(lease(installed.lease, namespace));
    const own = await coordination.readNamespacedLease({ namespace, name: installed.lease });
    await coordination.replaceNamespacedLease({ namespace, name: installed.lease, body: own });
    expect((await apiFailure(coordination.readNamespacedLease({ namespace, name: 'kube-controller-manager' }))).httpStatus).toBe(403);
    const other = await uniqueNamespace('chart-other');
    expect((await apiFailure(coordination.createNamespacedLease(lease(installed.lease, other)))).httpStatus).toBe(403);
    expect((await apiFailure(coordination.listNamespacedLease({ namespace }))).httpStatus).toBe(403);

    // IAMPolicyMembers: read, never written without profiler.enabled.
    const member = iamPolicyMember(namespace);
    expect((await apiFailure(objects.patch(member, undefined, undefined, 'pytuner', true, PatchStrategy.ServerSideApply))).httpStatus).toBe(403);

    // Events about its workloads, in their namespace.
    const event = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: `orders.${randomBytes(4).toString('hex')}`, namespace },
      eventTime: new V1MicroTime(Date.now()),
      reportingController: 'pytuner.dev/controller',
      reportingInstance: 'test',
      action: 'Patch',
      reason: 'TuningApplied',
      type: 'Normal',
      note: 'test',
      regarding: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'orders', namespace },
    };
    expect((await objects.create(event as KubernetesObject)).metadata?.name).toBe(event.metadata.name);
  });

  it('may create and patch IAMPolicyMembers (server-side apply) with profiler.enabled', async () => {
    const installed = await installChart({ profiler: { enabled: true } });
    const kubeConfig = await serviceAccountKubeConfig(installed.namespace, installed.serviceAccount);
    const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
    const member = iamPolicyMember(installed.namespace);
    const created = await objects.patch(member, undefined, undefined, 'pytuner', true, PatchStrategy.ServerSideApply);
    expect(created.metadata?.managedFields?.map((m) => m.manager)).toEqual(['pytuner']);
    // Still no patch on workloads: the profiler grant is not Apply.
    await create(knativeService(installed.namespace, 'orders', { args: GUNICORN_1X8 }));
    const patch = KubernetesObjectApi.makeApiClient(kubeConfig).patch(
      { apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'orders', namespace: installed.namespace }, spec: { template: { spec: { containerConcurrency: 8 } } } } as KubernetesObject,
      undefined,
      undefined,
      'pytuner',
      true,
      PatchStrategy.ServerSideApply,
    );
    expect((await apiFailure(patch)).httpStatus).toBe(403);
  });

  it('with watchNamespace, lists only that namespace', async () => {
    const watched = await uniqueNamespace('chart-watched');
    const installed = await installChart({ controller: { watchNamespace: watched } });
    const kubeConfig = await serviceAccountKubeConfig(installed.namespace, installed.serviceAccount);
    const custom = kubeConfig.makeApiClient(CustomObjectsApi);
    const listIn = (namespace: string) => custom.listNamespacedCustomObject({ group: 'pytuner.dev', version: 'v1alpha1', namespace, plural: 'tuningpolicies' });
    expect(((await listIn(watched)) as { items: unknown[] }).items).toEqual([]);
    expect((await apiFailure(listIn(installed.namespace))).httpStatus).toBe(403);
    expect((await apiFailure(custom.listClusterCustomObject({ group: 'pytuner.dev', version: 'v1alpha1', plural: 'tuningpolicies' }))).httpStatus).toBe(403);
  });
});

/** A Config Connector IAMPolicyMember granting the Cloud Profiler agent role, as the actuator writes one. */
function iamPolicyMember(namespace: string): KubernetesObject {
  return {
    apiVersion: 'iam.cnrm.cloud.google.com/v1beta1',
    kind: 'IAMPolicyMember',
    metadata: { name: 'orders-profiler-agent', namespace },
    spec: { member: 'serviceAccount:orders@project.iam.gserviceaccount.com', role: 'roles/cloudprofiler.agent', resourceRef: { kind: 'Project', external: 'projects/project' } },
  } as KubernetesObject;
}

