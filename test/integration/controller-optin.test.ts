// Opting namespaces in at scale: a cluster default policy (`--default-policy <namespace>/<name>`) governs the workloads
// of every namespace labelled pytuner.dev/enabled=true that no policy of their own selects, and the label is picked up
// within seconds. Policies whose selectors overlap both say so in an Overlapping condition, naming the other policy,
// the workloads and which one governs them (the namespace's own policies first, oldest first, then by name; the
// default last). A controller watching every namespace, against the real API server with the real Knative webhook.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { startController } from '../../src/controller/main.ts';
import { createLogger } from '../../src/controller/log.ts';
import { adminClients, uniqueNamespace } from './harness/kube.ts';
import { GUNICORN_1X8, condition, create, knativeService, recommendation, tuningPolicy } from './controller.support.ts';
import { OPT_IN_LABEL } from '../../src/controller/policySelection.ts';

const RESYNC_MS = 600_000;
const poll = { timeout: 20_000, interval: 100 };
const PROMPTLY_MS = 15_000;

async function policyStatus(namespace: string, name: string) {
  const policy = (await adminClients().custom.getNamespacedCustomObject({ group: 'pytuner.dev', version: 'v1alpha1', namespace, plural: 'tuningpolicies', name })) as {
    status?: { targets?: number; conditions?: { type: string; status: string; reason: string; message: string }[] };
  };
  return policy.status;
}

async function label(namespace: string, value: string | null): Promise<void> {
  await adminClients().core.patchNamespace({ name: namespace, body: { metadata: { labels: { [OPT_IN_LABEL]: value } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
}

describe('cluster default policy and namespace opt-in', () => {
  it('governs opted-in namespaces only, picks up the label at once, yields to a namespace policy and reports the overlaps', async () => {
    const system = await uniqueNamespace('optin-sys');
    const shop = await uniqueNamespace('optin-shop', { [OPT_IN_LABEL]: 'true' });
    const other = await uniqueNamespace('optin-other');
    await create(knativeService(shop, 'orders', { args: GUNICORN_1X8, labels: { tier: 'web' } }));
    await create(knativeService(shop, 'cart', { args: GUNICORN_1X8 }));
    await create(knativeService(other, 'orders', { args: GUNICORN_1X8 }));
    await create(tuningPolicy(system, 'default', { mode: 'Recommend' }));
    const controller = await startController({
      kubeConfig: adminClients().kubeConfig,
      metricsPort: 0,
      metricsHost: '127.0.0.1',
      resyncMs: RESYNC_MS,
      discoveryIntervalMs: 1_000,
      informerBackoff: { baseMs: 200, maxMs: 2_000 },
      shutdownTimeoutMs: 5_000,
      log: createLogger({ level: (process.env['PYTUNER_TEST_LOG'] ?? 'silent') as 'silent' }),
      defaultPolicy: { namespace: system, name: 'default' },
    });
    onTestFinished(() => controller.stop());

    // The opted-in namespace is governed by the default policy, named <namespace>/<name> from there.
    await vi.waitFor(async () => {
      const r = await recommendation(shop, 'service-orders');
      expect(r?.spec.policy).toBe(`${system}/default`);
      expect(r?.status?.recommendations?.[0]).toMatchObject({ setting: 'containerConcurrency', target: 8 });
    }, poll);
    await vi.waitFor(async () => expect((await recommendation(shop, 'service-cart'))?.spec.policy).toBe(`${system}/default`), poll);
    await vi.waitFor(async () => {
      const status = await policyStatus(system, 'default');
      expect(status?.targets).toBe(2);
      expect(condition(status, 'Overlapping')).toMatchObject({ status: 'False', reason: 'NoOverlap' });
    }, poll);
    // A namespace without the label is left alone.
    expect(await recommendation(other, 'service-orders')).toBeUndefined();

    // Labelling it opts it in within seconds (a Namespace event, no resync).
    const labelledAt = Date.now();
    await label(other, 'true');
    await vi.waitFor(async () => expect((await recommendation(other, 'service-orders'))?.spec.policy).toBe(`${system}/default`), poll);
    expect(Date.now() - labelledAt).toBeLessThan(PROMPTLY_MS);
    await vi.waitFor(async () => expect((await policyStatus(system, 'default'))?.targets).toBe(3), poll);

    // Removing the label: the recommendation says no policy selects the workload any more.
    await label(other, null);
    await vi.waitFor(async () => expect(condition((await recommendation(other, 'service-orders'))?.status, 'Ready')).toMatchObject({ status: 'False', reason: 'NotSelected' }), poll);

    // A policy of the namespace's own wins over the default for what it selects; both report the overlap.
    await create(tuningPolicy(shop, 'web', { mode: 'Recommend', selector: { matchLabels: { tier: 'web' } } }));
    await vi.waitFor(async () => expect((await recommendation(shop, 'service-orders'))?.spec.policy).toBe('web'), poll);
    expect((await recommendation(shop, 'service-cart'))?.spec.policy).toBe(`${system}/default`);
    await vi.waitFor(async () => {
      const status = await policyStatus(system, 'default');
      expect(status?.targets).toBe(1);
      expect(condition(status, 'Overlapping')).toMatchObject({ status: 'True', reason: 'SelectorsOverlap' });
      expect(condition(status, 'Overlapping')?.message).toMatch(new RegExp(`^TuningPolicy ${shop}/web also selects Service ${shop}/orders \\(${shop}/web governs them; this policy does nothing there\\)`));
    }, poll);
    await vi.waitFor(async () => {
      const status = await policyStatus(shop, 'web');
      expect(status?.targets).toBe(1);
      expect(condition(status, 'Overlapping')?.message).toMatch(new RegExp(`^TuningPolicy ${system}/default also selects Service ${shop}/orders \\(this policy governs them\\)`));
    }, poll);

    // Two policies of one namespace: the older governs; the newer reports that it does nothing there, with 0 targets.
    await new Promise((r) => setTimeout(r, 1_100)); // creationTimestamp has a resolution of one second
    await create(tuningPolicy(shop, 'all', { mode: 'Recommend' }));
    await vi.waitFor(async () => {
      const status = await policyStatus(shop, 'all');
      expect(status?.targets).toBe(1);
      const overlapping = condition(status, 'Overlapping');
      expect(overlapping?.status).toBe('True');
      expect(overlapping?.message).toContain(`TuningPolicy ${shop}/web also selects Service ${shop}/orders (${shop}/web governs them; this policy does nothing there)`);
      expect(overlapping?.message).toContain(`TuningPolicy ${system}/default also selects Service ${shop}/cart (this policy governs them)`);
    }, poll);
    await vi.waitFor(async () => expect((await recommendation(shop, 'service-cart'))?.spec.policy).toBe('all'), poll);
    expect((await recommendation(shop, 'service-orders'))?.spec.policy).toBe('web');
    await vi.waitFor(async () => expect((await policyStatus(system, 'default'))?.targets).toBe(0), poll);
  });
});
