// Faults on the controller's watches, on the real API server. A watch that expired: the controller is cut off from
// the API server (controller-faults.support.ts's proxy partitions it) while Services change and the API server
// restarts, so its watch cache starts after the controller's last resourceVersion; on reconnecting the watch gets
// 410 Gone, the informer re-lists, and the cache matches the server again (a deletion it never saw as an event is
// gone from it). Discovery failing meanwhile is counted in pytuner_errors_total. And the restart backoff of an
// informer starts over once its watch is accepted again, even on a kind so quiet that no event follows.
import { CoreV1Api, CustomObjectsApi, KubeConfig, KubernetesObjectApi, PatchStrategy, Watch, setHeaderOptions, type KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import type { TuningRecommendation } from '../../src/api/v1alpha1/tuningRecommendation.ts';
import { ResourceInformer } from '../../src/controller/informers.ts';
import { createLogger } from '../../src/controller/log.ts';
import { RESTRICTED_USER, startControlPlane, type ControlPlane } from './harness/controlPlane.ts';
import { adminClients, restrictedClients, uniqueNamespace } from './harness/kube.ts';
import { startKnativeWebhook, type KnativeWebhook } from './harness/knative.ts';
import { startApiProxy, type ApiProxy } from './controller-faults.support.ts';
import { GUNICORN_1X8, knativeService, metricValue, operations, startTestController, tuningPolicy } from './controller.support.ts';

const poll = { timeout: 30_000, interval: 100 };
const GUNICORN_1X16 = GUNICORN_1X8.map((arg) => (arg === '8' ? '16' : arg));

/** The first event of a watch from `resourceVersion`: type and, for ERROR, the Status code. */
function firstWatchEvent(kubeConfig: KubeConfig, path: string, resourceVersion: string): Promise<{ type: string; code?: number }> {
  return new Promise((resolve, reject) => {
    let controller: AbortController | undefined;
    new Watch(kubeConfig)
      .watch(
        path,
        { resourceVersion },
        (type, object: { code?: number }) => {
          resolve(type === 'ERROR' ? { type, code: object.code ?? 0 } : { type });
          controller?.abort();
        },
        (err: unknown) => (err ? reject(err as Error) : undefined),
      )
      .then((c) => (controller = c), reject);
  });
}

describe('controller watches under faults', () => {
  let controlPlane: ControlPlane;
  let webhook: KnativeWebhook | undefined;
  let proxy: ApiProxy;

  beforeAll(async () => {
    controlPlane = await startControlPlane();
    // The real Knative webhook admits the Services written here, before and after the API server restarts.
    webhook = await startKnativeWebhook(controlPlane);
    proxy = await startApiProxy(controlPlane.kubeconfigPath);
  });
  afterAll(async () => {
    await proxy?.close();
    await webhook?.stop();
    await controlPlane?.stop();
  });

  it('410 Gone after a partition across an API server restart: re-lists, and the cache and recommendations follow', async () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(controlPlane.kubeconfigPath);
    const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
    const custom = kubeConfig.makeApiClient(CustomObjectsApi);
    const namespace = 'shop';
    await kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
    const apply = (object: KubernetesObject) => objects.patch(object, undefined, undefined, 'deploy-tool', true, PatchStrategy.ServerSideApply);
    const recommendation = async (name: string) => {
      try {
        return (await custom.getNamespacedCustomObject({ group: 'pytuner.dev', version: 'v1alpha1', namespace, plural: 'tuningrecommendations', name })) as TuningRecommendation;
      } catch (err) {
        if ((err as { code?: number }).code === 404) return undefined;
        throw err;
      }
    };
    await apply(knativeService(namespace, 'orders', { args: GUNICORN_1X8 }));
    await apply(knativeService(namespace, 'cart', { args: GUNICORN_1X8 }));
    await objects.create(tuningPolicy(namespace, 'recommend', { mode: 'Recommend' }));
    const controller = await startTestController(namespace, { kubeConfig: proxy.kubeConfig, discoveryIntervalMs: 200 });
    for (const name of ['orders', 'cart']) {
      await vi.waitFor(async () => expect((await recommendation(`service-${name}`))?.status?.recommendations?.[0]).toMatchObject({ setting: 'containerConcurrency', value: 8 }), poll);
    }
    const servicesPath = `/apis/serving.knative.dev/v1/namespaces/${namespace}/services`;
    const seen = (await custom.listNamespacedCustomObject({ group: 'serving.knative.dev', version: 'v1', namespace, plural: 'services' })) as { metadata: { resourceVersion: string } };
    await vi.waitFor(() => expect(controller.caches.list('knativeServices', namespace)).toHaveLength(2), poll);
    const metric = async (sample: string) => metricValue((await operations(controller.port, '/metrics')).body, sample);
    const watchErrors = (await metric('pytuner_errors_total{type="watch"}')) ?? 0;

    proxy.partition();
    // Cut off: one Service changes, one goes, one comes; the controller's watches and discovery fail meanwhile.
    await apply(knativeService(namespace, 'orders', { args: GUNICORN_1X16 }));
    await objects.delete({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'cart', namespace } });
    await apply(knativeService(namespace, 'payments', { args: GUNICORN_1X8 }));
    await vi.waitFor(async () => expect(await metric('pytuner_errors_total{type="discovery"}')).toBeGreaterThanOrEqual(1), poll);
    await vi.waitFor(async () => expect(await metric('pytuner_errors_total{type="watch"}')).toBeGreaterThan(watchErrors), poll);
    // The restarted API server's watch cache begins after everything the controller saw: its watches cannot resume.
    await controlPlane.restartApiserver();
    // Until its watch cache is initialised the API server answers watches with 429 Too Many Requests; then 410.
    expect(await vi.waitFor(() => firstWatchEvent(kubeConfig, servicesPath, seen.metadata.resourceVersion), poll)).toEqual({ type: 'ERROR', code: 410 });
    expect(controller.caches.get('knativeServices', namespace, 'cart')).toBeDefined();

    proxy.heal();
    await vi.waitFor(() => {
      expect(controller.caches.list('knativeServices', namespace).map((s) => s.metadata?.name).sort()).toEqual(['orders', 'payments']);
      expect(controller.caches.get('knativeServices', namespace, 'orders')?.spec?.template?.spec?.containers?.[0]?.args).toEqual(GUNICORN_1X16);
    }, poll);
    await vi.waitFor(async () => expect((await recommendation('service-payments'))?.status?.recommendations?.[0]).toMatchObject({ setting: 'containerConcurrency', value: 8 }), poll);
    await vi.waitFor(async () => expect((await recommendation('service-orders'))?.status?.recommendations?.[0]).toMatchObject({ setting: 'containerConcurrency', value: 16 }), poll);
    expect(controller.running()).toBe(true);
  });
});

describe('informer restart backoff', () => {
  it('starts over once the watch is accepted again, with no list and no event in between', async () => {
    const namespace = await uniqueNamespace('ctl-faults-backoff');
    const { rbac } = adminClients();
    // The restricted user may list Deployments but not watch them: the list succeeds, every watch gets 403.
    await rbac.createNamespacedRole({ namespace, body: { metadata: { name: 'lister' }, rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['list'] }] } });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'lister' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'lister' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: RESTRICTED_USER }],
      },
    });
    const informer = new ResourceInformer('deployments', {
      kubeConfig: restrictedClients().kubeConfig,
      namespace,
      log: createLogger({ level: 'silent' }),
      onEvent: () => {},
      backoff: { baseMs: 100, maxMs: 400 },
    });
    informer.start();
    onTestFinished(() => informer.stop());
    await vi.waitFor(() => expect(informer.consecutiveFailures).toBeGreaterThanOrEqual(3), poll);
    expect(informer.synced).toBe(true);
    expect(informer.missing).toEqual({ verb: 'watch', resource: 'deployments.apps', namespace });

    await rbac.patchNamespacedRole(
      { namespace, name: 'lister', body: { rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['list', 'watch'] }] } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await vi.waitFor(() => expect(informer.missing).toBeUndefined(), poll);
    expect(informer.consecutiveFailures).toBe(0);
    expect(informer.lists).toBe(1);
  });
});
