// The API server restarted under a running controller, gracefully (an upgrade: SIGTERM, watches ended cleanly) or not
// (a crash: SIGKILL, connections cut): while it is down the controller stays up and keeps answering /healthz; once it
// is back the watches resume, the controller sees new and changed objects, and what it applied before the restart is
// not applied again (the cooldown lives on the TuningRecommendation, in etcd, not in the controller's memory). This
// needs a control plane of its own: restarting the shared one would break every test file running beside this one.
// The real Knative webhook admits its Knative Services there, before and after each restart.
import { connect } from 'node:net';
import { PatchStrategy, setHeaderOptions, type KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TuningRecommendation } from '../../src/api/v1alpha1/tuningRecommendation.ts';
import type { RunningController } from '../../src/controller/main.ts';
import { startControlPlane, type ControlPlane, type RestartOptions } from './harness/controlPlane.ts';
import { clientsFor, type Clients } from './harness/kube.ts';
import { startKnativeWebhook, type KnativeWebhook } from './harness/knative.ts';
import {
  GUNICORN_1X8,
  condition,
  containerConcurrencyOwners,
  knativeService,
  metricValue,
  operations,
  startTestController,
  tuningPolicy,
} from './controller.support.ts';

const poll = { timeout: 30_000, interval: 100 };
/** gunicorn with 1 worker × 16 threads: what the deploy tool rolls out after the restart. */
const GUNICORN_1X16 = GUNICORN_1X8.map((arg) => (arg === '8' ? '16' : arg));
const PATCHES_APPLIED = 'pytuner_patches_applied_total{kind="Service",field="containerConcurrency"}';
const WATCH_ERRORS = 'pytuner_errors_total{type="watch"}';

type KnativeService = KubernetesObject & {
  spec: { template: { spec: Record<string, unknown> } };
  status?: { observedGeneration?: number; conditions?: Array<{ type: string; status: string }> };
};

/** Whether anything accepts TCP connections at the API server's address (false: refused, the server is down). */
function accepting(server: string): Promise<boolean> {
  const { hostname, port } = new URL(server);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** True while `promise` is pending. */
async function pending(promise: Promise<unknown>): Promise<boolean> {
  const marker = Symbol('pending');
  return (await Promise.race([promise, Promise.resolve(marker)])) === marker;
}

describe('controller across an API server restart', () => {
  let controlPlane: ControlPlane;
  let webhook: KnativeWebhook | undefined;
  let api: Clients;

  beforeAll(async () => {
    controlPlane = await startControlPlane();
    webhook = await startKnativeWebhook(controlPlane);
    api = clientsFor(controlPlane.kubeconfigPath);
  });
  afterAll(async () => {
    await webhook?.stop();
    await controlPlane?.stop();
  });

  const applyAs = (object: KubernetesObject, manager: string) => api.objects.patch(object, undefined, undefined, manager, true, PatchStrategy.ServerSideApply);
  const readService = (namespace: string, name: string) => api.objects.read<KnativeService>({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name, namespace } });

  async function markServiceReady(namespace: string, name: string): Promise<void> {
    const live = await readService(namespace, name);
    await api.custom.patchNamespacedCustomObjectStatus(
      {
        group: 'serving.knative.dev',
        version: 'v1',
        namespace,
        plural: 'services',
        name,
        body: { status: { observedGeneration: live.metadata?.generation ?? 1, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }] } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  async function recommendation(namespace: string, name: string): Promise<TuningRecommendation | undefined> {
    try {
      return (await api.custom.getNamespacedCustomObject({ group: 'pytuner.dev', version: 'v1alpha1', namespace, plural: 'tuningrecommendations', name })) as TuningRecommendation;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }

  /** The notes of the TuningApplied Events about `name`. */
  async function appliedEvents(namespace: string, name: string): Promise<string[]> {
    const list = await api.core.listNamespacedEvent({ namespace });
    return list.items.filter((e) => e.involvedObject.name === name && e.reason === 'TuningApplied').map((e) => e.message ?? '');
  }

  async function metric(controller: RunningController, sample: string): Promise<number | undefined> {
    return metricValue((await operations(controller.port, '/metrics')).body, sample);
  }

  it.for<{ stop: NonNullable<RestartOptions['stop']>; namespace: string }>([
    { stop: 'graceful', namespace: 'shop-graceful' },
    { stop: 'crash', namespace: 'shop-crash' },
  ])('$stop restart: keeps running while the API server is down, resumes its watches, and applies nothing twice', async ({ stop, namespace }) => {
    await api.core.createNamespace({ body: { metadata: { name: namespace } } });
    // containerConcurrency left out: Knative's webhook stores 0 (unlimited) and no manager owns it, so nothing blocks the patch.
    await applyAs(knativeService(namespace, 'orders', { args: GUNICORN_1X8 }), 'deploy-tool');
    await markServiceReady(namespace, 'orders');
    await api.objects.create(tuningPolicy(namespace, 'apply', { mode: 'Apply', cooldown: '1h', patch: { containerConcurrency: true } }));
    const controller = await startTestController(namespace, { kubeConfig: api.kubeConfig });

    // Applied once: 8 request slots → containerConcurrency 8, owned by pytuner, recorded and announced.
    const patched = await vi.waitFor(async () => {
      const live = await readService(namespace, 'orders');
      expect(live.spec.template.spec['containerConcurrency']).toBe(8);
      return live;
    }, poll);
    expect(patched.metadata?.generation).toBe(2);
    expect(containerConcurrencyOwners(patched)).toEqual(['pytuner']);
    const appliedAt = await vi.waitFor(async () => {
      const at = (await recommendation(namespace, 'service-orders'))?.status?.applied?.at;
      expect(at).toBeDefined();
      return at;
    }, poll);
    await vi.waitFor(async () => expect(await appliedEvents(namespace, 'orders')).toEqual(['containerConcurrency 0 → 8 (concurrency.unbounded)']), poll);
    expect(await metric(controller, PATCHES_APPLIED)).toBe(1);
    // Knative rolls out the patched revision: Ready again, so from here on only the cooldown stands between the
    // controller and another patch.
    await markServiceReady(namespace, 'orders');
    const beforeRestart = await readService(namespace, 'orders');
    const watchErrorsBefore = (await metric(controller, WATCH_ERRORS)) ?? 0;

    await controlPlane.restartApiserver({
      stop,
      whileDown: async () => {
        expect(await accepting(controlPlane.server)).toBe(false);
        // Every informer's watch ended and each reconnect is refused; they keep retrying (several errors) without
        // the process failing: it serves /healthz, its workers run and it has not stopped.
        await vi.waitFor(async () => expect(await metric(controller, WATCH_ERRORS)).toBeGreaterThanOrEqual(watchErrorsBefore + 3), poll);
        expect(await operations(controller.port, '/healthz')).toEqual({ status: 200, body: 'ok\n' });
        expect(controller.running()).toBe(true);
        expect(await pending(controller.stopped)).toBe(true);
      },
    });
    expect(await accepting(controlPlane.server)).toBe(true);

    // Nothing was written to the Service across the restart.
    const afterRestart = await readService(namespace, 'orders');
    expect(afterRestart.metadata?.resourceVersion).toBe(beforeRestart.metadata?.resourceVersion);
    expect(afterRestart.metadata?.generation).toBe(2);

    // The deploy tool doubles the threads of the first Service, and its new revision becomes Ready: pytuner now wants
    // containerConcurrency 16 for a Ready Service, and only the cooldown recorded before the restart holds it back.
    await applyAs(knativeService(namespace, 'orders', { args: GUNICORN_1X16 }), 'deploy-tool');
    await markServiceReady(namespace, 'orders');

    // The watches resumed: a new Service gets its recommendation and, once Ready, its own single patch…
    await applyAs(knativeService(namespace, 'payments', { args: GUNICORN_1X8 }), 'deploy-tool');
    await markServiceReady(namespace, 'payments');
    const paymentsApplied = await vi.waitFor(async () => {
      const rec = await recommendation(namespace, 'service-payments');
      expect(rec?.status?.applied).toBeDefined();
      return rec!;
    }, poll);
    expect(paymentsApplied.spec).toEqual({ targetRef: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'payments' }, policy: 'apply' });
    expect(paymentsApplied.status?.applied?.changes).toEqual([expect.objectContaining({ setting: 'containerConcurrency', from: '0', to: '8', rule: 'concurrency.unbounded' })]);
    expect((await readService(namespace, 'payments')).spec.template.spec['containerConcurrency']).toBe(8);
    await vi.waitFor(async () => expect(await appliedEvents(namespace, 'payments')).toEqual(['containerConcurrency 0 → 8 (concurrency.unbounded)']), poll);

    // …and the changes to the first one reached the cache, were evaluated, and were not acted on.
    await vi.waitFor(() => expect(controller.caches.get('knativeServices', namespace, 'orders')?.status?.observedGeneration).toBe(3), poll);
    const held = await vi.waitFor(async () => {
      const rec = await recommendation(namespace, 'service-orders');
      expect(rec?.status?.recommendations?.[0]).toMatchObject({ setting: 'containerConcurrency', value: 16 });
      expect(condition(rec?.status, 'Applied')?.reason).toBe('Cooldown');
      return rec!;
    }, poll);
    expect(held.status?.applied?.at).toBe(appliedAt);
    expect(held.status?.targetGeneration).toBe(3);
    const orders = await readService(namespace, 'orders');
    expect(orders.metadata?.generation).toBe(3); // the deploy tool's change, and no patch after it
    expect(orders.status).toEqual({ observedGeneration: 3, conditions: [expect.objectContaining({ type: 'Ready', status: 'True' })] });
    expect(orders.spec.template.spec['containerConcurrency']).toBe(8);
    expect(containerConcurrencyOwners(orders)).toEqual(['pytuner']);
    expect(await appliedEvents(namespace, 'orders')).toEqual(['containerConcurrency 0 → 8 (concurrency.unbounded)']);
    // One patch of orders before the restart, one of payments after it: none repeated.
    expect(await metric(controller, PATCHES_APPLIED)).toBe(2);
    expect(controller.running()).toBe(true);
  });
});
