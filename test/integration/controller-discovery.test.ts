// A cluster without Knative or Config Connector: the controller runs with those parts disabled (and says so), tunes
// Deployments, and enables Knative as soon as its CRD is installed, through periodic discovery. This needs a control
// plane of its own, started here with pytuner's CRDs only: the shared one has every CRD installed.
import { resolve } from 'node:path';
import { AppsV1Api, CustomObjectsApi, KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startController, type RunningController } from '../../src/controller/main.ts';
import { createLogger } from '../../src/controller/log.ts';
import { startControlPlane, type ControlPlane } from './harness/controlPlane.ts';
import { loadCrdManifests } from './harness/crds.ts';
import { startKnativeWebhook, type KnativeWebhook } from './harness/knative.ts';
import { crdModulesDir, repoRoot } from './harness/paths.ts';
import { GUNICORN_1X8, condition, knativeService, operations, tuningPolicy } from './controller.support.ts';

const NAMESPACE = 'shop';
const poll = { timeout: 30_000, interval: 100 };

describe('controller on a cluster without Knative and Config Connector', () => {
  let controlPlane: ControlPlane;
  let webhook: KnativeWebhook | undefined;
  let kubeConfig: KubeConfig;

  beforeAll(async () => {
    controlPlane = await startControlPlane({ crdDirs: [{ path: resolve(repoRoot, 'crds'), required: true }] });
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(controlPlane.kubeconfigPath);
  });
  afterAll(async () => {
    await webhook?.stop();
    await controlPlane?.stop();
  });

  async function recommendation(name: string) {
    try {
      return (await kubeConfig.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ group: 'pytuner.dev', version: 'v1alpha1', namespace: NAMESPACE, plural: 'tuningrecommendations', name })) as {
        status?: { findings?: unknown[] };
      };
    } catch {
      return undefined;
    }
  }

  async function policyStatus(name: string) {
    const policy = (await kubeConfig.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ group: 'pytuner.dev', version: 'v1alpha1', namespace: NAMESPACE, plural: 'tuningpolicies', name })) as {
      status?: { conditions?: { type: string; status: string; reason: string; message: string }[] };
    };
    return policy.status;
  }

  it('runs with Knative disabled, tunes Deployments, and enables Knative once its CRD is installed', async () => {
    const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
    await objects.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
    await kubeConfig.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace: NAMESPACE,
      body: {
        metadata: { name: 'worker' },
        spec: {
          selector: { matchLabels: { app: 'worker' } },
          template: { metadata: { labels: { app: 'worker' } }, spec: { containers: [{ name: 'worker', image: 'python:3.13-slim', args: GUNICORN_1X8 }] } },
        },
      },
    });
    await objects.create(tuningPolicy(NAMESPACE, 'services', { mode: 'Recommend', selector: { kinds: ['Service'] } }));
    await objects.create(tuningPolicy(NAMESPACE, 'deployments', { mode: 'Recommend', selector: { kinds: ['Deployment'] } }));

    const controller: RunningController = await startController({
      kubeConfig,
      namespace: NAMESPACE,
      metricsPort: 0,
      metricsHost: '127.0.0.1',
      resyncMs: 60_000,
      discoveryIntervalMs: 500,
      log: createLogger({ level: (process.env['PYTUNER_TEST_LOG'] ?? 'silent') as 'silent' }),
    });
    try {
      await vi.waitFor(async () => expect((await recommendation('deployment-worker'))?.status?.findings).toBeDefined(), poll);
      const ready = await operations(controller.port, '/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body).toContain('[+]caches: synced (core=on pytuner=on knative=off configConnector=off)');
      expect(controller.caches.feature('knative')).toEqual({ enabled: false, reason: 'services.serving.knative.dev/v1 not served by the API server' });
      await vi.waitFor(async () => {
        expect(condition(await policyStatus('services'), 'Ready')).toMatchObject({
          status: 'False',
          reason: 'TargetKindNotServed',
          message: '0 workloads governed; Knative Services are not watched: services.serving.knative.dev/v1 not served by the API server',
        });
      }, poll);

      // Install Knative Serving's Service CRD and its webhook (as installing Knative does), then a Service, which the
      // real webhook admits: discovery enables the Knative informer.
      const [serviceCrd] = (await loadCrdManifests([{ path: resolve(await crdModulesDir(), 'crds', 'knative-serving'), required: true }])).filter((m) => m.name === 'services.serving.knative.dev');
      await objects.patch(serviceCrd!.document as unknown as KubernetesObject, undefined, undefined, 'test', true, PatchStrategy.ServerSideApply);
      webhook = await startKnativeWebhook(controlPlane);
      await vi.waitFor(() => objects.create(knativeService(NAMESPACE, 'orders', { containerConcurrency: 80, args: GUNICORN_1X8 })), poll);
      await vi.waitFor(async () => expect((await recommendation('service-orders'))?.status?.findings).toEqual(expect.arrayContaining([expect.objectContaining({ rule: 'concurrency.threads-mismatch' })])), poll);
      expect(controller.caches.feature('knative')).toEqual({ enabled: true, reason: '' });
      await vi.waitFor(async () => expect(condition(await policyStatus('services'), 'Ready')).toMatchObject({ status: 'True', reason: 'Reconciled', message: '1 workload governed' }), poll);
    } finally {
      await controller.stop();
    }
  });
});
