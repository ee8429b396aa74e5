// SIGTERM while a reconcile is in flight, on `pytuner controller --leader-elect` processes and the real API server.
// controller-faults.support.ts's proxy holds one request of the reconcile, so the signal lands mid-reconcile for sure:
// - held on the patch itself (the reconcile is writing): the reconcile finishes (patch, applied record, one Event),
//   then the Lease is released and the process exits 0;
// - held before any write, longer than --shutdown-timeout (the policy's Prometheus never answers; the reconcile reads
//   its TuningRecommendation from the cache, so Prometheus is what it waits for before writing): the reconciles are
//   abandoned where they stand, nothing is written, the Lease is released, exit 0.
// Either way a controller started afterwards takes the Lease at once and applies exactly once in all.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inject, describe, expect, it, onTestFinished, vi } from 'vitest';
import type { KubernetesObject } from '@kubernetes/client-node';
import { adminClients, uniqueNamespace } from './harness/kube.ts';
import { startApiProxy, type ApiRequest } from './controller-faults.support.ts';
import {
  GUNICORN_1X8,
  applyAs,
  create,
  eventsAbout,
  knativeService,
  markServiceReady,
  metricValue,
  operations,
  readService,
  recommendation,
  spawnController,
  tuningPolicy,
  type ControllerProcess,
} from './controller.support.ts';

const poll = { timeout: 30_000, interval: 100 };

function controllerArgs(kubeconfigPath: string, namespace: string, shutdownTimeout: string): string[] {
  return [
    '--kubeconfig', kubeconfigPath,
    '--namespace', namespace,
    '--leader-elect', '--lease-namespace', namespace, '--lease-name', 'pytuner',
    '--lease-duration', '3s', '--renew-deadline', '2s', '--retry-period', '500ms',
    '--shutdown-timeout', shutdownTimeout,
  ];
}

async function readPolicy(namespace: string, name: string): Promise<KubernetesObject> {
  return (await adminClients().custom.getNamespacedCustomObject({ group: 'pytuner.dev', version: 'v1alpha1', namespace, plural: 'tuningpolicies', name })) as KubernetesObject;
}

async function leaseHolder(namespace: string): Promise<string | undefined> {
  return (await adminClients().coordination.readNamespacedLease({ namespace, name: 'pytuner' })).spec?.holderIdentity;
}

function messages(p: ControllerProcess): unknown[] {
  return p.logs.map((l) => l['msg']);
}

async function appliedNotes(namespace: string): Promise<string[]> {
  return (await eventsAbout(namespace, 'orders')).filter((e) => e.reason === 'TuningApplied').map((e) => e.note);
}

/** A Ready Knative Service `orders` (8 request slots, containerConcurrency left out, which Knative's webhook stores as 0) under an Apply policy with a 1 h cooldown. */
async function arrange(prefix: string): Promise<string> {
  const namespace = await uniqueNamespace(prefix);
  // The health path keeps a value recommended after the patch (the startup probe), so later reconciles stop at the cooldown.
  await applyAs(knativeService(namespace, 'orders', { args: GUNICORN_1X8, annotations: { 'pytuner.dev/health-path': '/healthz' } }), 'deploy-tool');
  await markServiceReady(namespace, 'orders');
  await create(tuningPolicy(namespace, 'apply', { mode: 'Apply', cooldown: '1h', patch: { containerConcurrency: true } }));
  return namespace;
}

/** A second controller after the first exited: it leads at once (the Lease was released) and applies nothing more. */
async function restartAppliesNothingMore(kubeconfigPath: string, namespace: string): Promise<void> {
  const next = spawnController(controllerArgs(kubeconfigPath, namespace, '5s'));
  await vi.waitFor(() => expect(messages(next)).toContain('became leader'), poll);
  const port = await next.port();
  await vi.waitFor(async () => expect(metricValue((await operations(port, '/metrics')).body, 'pytuner_reconciles_total{result="requeue"}')).toBeGreaterThanOrEqual(1), poll);
  const rec = await recommendation(namespace, 'service-orders');
  expect(rec?.status?.conditions?.find((c) => c.type === 'Applied')?.reason).toBe('Cooldown');
  expect(metricValue((await operations(port, '/metrics')).body, 'pytuner_patches_applied_total{kind="Service",field="containerConcurrency"}')).toBeUndefined();
  next.child.kill('SIGTERM');
  expect(await next.exited).toBe(0);
}

describe('controller SIGTERM during a reconcile', () => {
  it('while its patch is in flight: the reconcile finishes, the Lease is released, exit 0; a restart applies nothing more', async () => {
    const namespace = await arrange('ctl-faults-term');
    const patchesOfOrders = (r: ApiRequest) => r.method === 'PATCH' && r.path.startsWith(`/apis/serving.knative.dev/v1/namespaces/${namespace}/services/orders?`);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const proxy = await startApiProxy(inject('controlPlane').kubeconfigPath, (r) => (patchesOfOrders(r) ? { hold: released } : 'pass'));
    onTestFinished(() => proxy.close());
    const first = spawnController(controllerArgs(proxy.kubeconfigPath, namespace, '10s'));
    await vi.waitFor(() => expect(proxy.requests.filter(patchesOfOrders)).toHaveLength(1), poll);

    first.child.kill('SIGTERM');
    await vi.waitFor(() => expect(messages(first)).toContain('shutting down: no new reconciles; waiting for in-flight ones'), poll);
    expect(await leaseHolder(namespace)).not.toBe('');
    release();
    expect(await first.exited).toBe(0);
    expect(messages(first)).toEqual(expect.arrayContaining(['applied', 'workers stopped', 'released the lease', 'stopped']));
    expect(messages(first)).not.toContain('in-flight reconciles did not finish in time; abandoning those that have not written yet');
    expect(await leaseHolder(namespace)).toBe('');
    // Whole: the patch, the applied record and the Event, each once.
    const live = await readService(namespace, 'orders');
    expect(live.metadata?.generation).toBe(2);
    expect(live.spec.template.spec['containerConcurrency']).toBe(8);
    const rec = await recommendation(namespace, 'service-orders');
    expect(rec?.status?.applied?.changes).toEqual([{ field: 'spec.template.spec.containerConcurrency', setting: 'containerConcurrency', from: '0', to: '8', rule: 'concurrency.unbounded' }]);
    expect(await appliedNotes(namespace)).toEqual(['containerConcurrency 0 → 8 (concurrency.unbounded)']);

    await restartAppliesNothingMore(proxy.kubeconfigPath, namespace);
    expect(proxy.requests.filter(patchesOfOrders)).toHaveLength(1);
    expect((await readService(namespace, 'orders')).metadata?.generation).toBe(2);
    expect(await appliedNotes(namespace)).toEqual(['containerConcurrency 0 → 8 (concurrency.unbounded)']);
  });

  it('before any write, past --shutdown-timeout: the reconcile is abandoned, nothing written, the Lease released, exit 0; a restart applies once', async () => {
    // A Prometheus that takes every request and never answers: the reconcile's first request, before any write.
    let held = false;
    const prometheus = createServer(() => {
      held = true;
    });
    await new Promise<void>((resolve) => prometheus.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => {
      prometheus.closeAllConnections();
      prometheus.close();
    });
    const prometheusUrl = `http://127.0.0.1:${(prometheus.address() as AddressInfo).port}`;
    const namespace = await uniqueNamespace('ctl-faults-abandon');
    await applyAs(knativeService(namespace, 'orders', { args: GUNICORN_1X8 }), 'deploy-tool');
    await markServiceReady(namespace, 'orders');
    const apply = { mode: 'Apply', cooldown: '1h', patch: { containerConcurrency: true } };
    await create(tuningPolicy(namespace, 'apply', { ...apply, metrics: { prometheusUrl, profile: 'knative', window: '1h' } }));
    const proxy = await startApiProxy(inject('controlPlane').kubeconfigPath);
    onTestFinished(() => proxy.close());
    const first = spawnController(controllerArgs(proxy.kubeconfigPath, namespace, '1s'));
    await vi.waitFor(() => expect(held).toBe(true), poll);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(messages(first)).toEqual(
      expect.arrayContaining([
        'in-flight reconciles did not finish in time; abandoning those that have not written yet',
        'reconcile abandoned before it wrote anything: shutting down',
        'workers stopped',
        'released the lease',
        'stopped',
      ]),
    );
    expect(await leaseHolder(namespace)).toBe('');
    expect(await recommendation(namespace, 'service-orders')).toBeUndefined();
    expect((await readService(namespace, 'orders')).metadata?.generation).toBe(1);
    expect(await appliedNotes(namespace)).toEqual([]);
    expect(proxy.requests.filter((r) => r.method !== 'GET' && !r.path.includes('/leases'))).toEqual([]);

    // Without the silent Prometheus, the next controller reconciles the Service from the start (the static rules set
    // containerConcurrency): one patch, one record, one Event.
    await adminClients().custom.replaceNamespacedCustomObject({
      group: 'pytuner.dev',
      version: 'v1alpha1',
      namespace,
      plural: 'tuningpolicies',
      name: 'apply',
      body: { ...tuningPolicy(namespace, 'apply', apply), metadata: { name: 'apply', namespace, resourceVersion: (await readPolicy(namespace, 'apply')).metadata?.resourceVersion } },
    });
    const next = spawnController(controllerArgs(proxy.kubeconfigPath, namespace, '5s'));
    await vi.waitFor(async () => expect((await recommendation(namespace, 'service-orders'))?.status?.applied?.changes?.[0]?.to).toBe('8'), poll);
    expect((await readService(namespace, 'orders')).metadata?.generation).toBe(2);
    await vi.waitFor(async () => expect(await appliedNotes(namespace)).toEqual(['containerConcurrency 0 → 8 (concurrency.unbounded)']), poll);
    next.child.kill('SIGTERM');
    expect(await next.exited).toBe(0);
  });
});
