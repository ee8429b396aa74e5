// Changes that bump no generation are picked up within seconds, not at the resync (set to 10 minutes here): un-pausing
// a TuningPolicy (an annotation edit), deleting a policy, and an RBAC grant after the API server refused a patch (403).
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { describe, expect, it, vi } from 'vitest';
import { adminClients, uniqueNamespace } from './harness/kube.ts';
import { serviceAccountKubeConfig } from './chart.support.ts';
import { GUNICORN_1X8, applyAs, condition, create, knativeService, markServiceReady, readService, recommendation, startTestController, tuningPolicy } from './controller.support.ts';

const RESYNC_MS = 600_000;
const poll = { timeout: 20_000, interval: 100 };
/** What "at once" means here: well under the resync, with room for a loaded machine. */
const PROMPTLY_MS = 15_000;

describe('the controller reacts at once', () => {
  it('applies as soon as a paused TuningPolicy is un-paused (an annotation edit, no new generation)', async () => {
    const namespace = await uniqueNamespace('ctl-unpause');
    await applyAs(knativeService(namespace, 'orders', { args: GUNICORN_1X8 }), 'deploy-tool');
    await markServiceReady(namespace, 'orders');
    const policy = tuningPolicy(namespace, 'apply', { mode: 'Apply', patch: { containerConcurrency: true } });
    policy.metadata = { ...policy.metadata, annotations: { 'pytuner.dev/paused': 'true' } };
    await create(policy);
    await startTestController(namespace, { resyncMs: RESYNC_MS });

    await vi.waitFor(async () => expect(condition((await recommendation(namespace, 'service-orders'))?.status, 'Applied')?.reason).toBe('Paused'), poll);
    const before = (await adminClients().custom.getNamespacedCustomObject({ group: 'pytuner.dev', version: 'v1alpha1', namespace, plural: 'tuningpolicies', name: 'apply' })) as { metadata: { generation: number } };

    const unpausedAt = Date.now();
    const after = (await adminClients().custom.patchNamespacedCustomObject(
      { group: 'pytuner.dev', version: 'v1alpha1', namespace, plural: 'tuningpolicies', name: 'apply', body: { metadata: { annotations: { 'pytuner.dev/paused': null } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as { metadata: { generation: number } };
    expect(after.metadata.generation).toBe(before.metadata.generation);
    await vi.waitFor(async () => expect((await readService(namespace, 'orders')).spec.template.spec['containerConcurrency']).toBe(8), poll);
    expect(Date.now() - unpausedAt).toBeLessThan(PROMPTLY_MS);
  });

  it('applies as soon as a paused workload is un-paused (an annotation edit, no new generation)', async () => {
    const namespace = await uniqueNamespace('ctl-unpause-w');
    await applyAs(knativeService(namespace, 'orders', { args: GUNICORN_1X8, annotations: { 'pytuner.dev/paused': 'true' } }), 'deploy-tool');
    await markServiceReady(namespace, 'orders');
    await create(tuningPolicy(namespace, 'apply', { mode: 'Apply', patch: { containerConcurrency: true } }));
    await startTestController(namespace, { resyncMs: RESYNC_MS });
    await vi.waitFor(async () => expect(condition((await recommendation(namespace, 'service-orders'))?.status, 'Applied')?.reason).toBe('Paused'), poll);

    const unpausedAt = Date.now();
    await adminClients().custom.patchNamespacedCustomObject(
      { group: 'serving.knative.dev', version: 'v1', namespace, plural: 'services', name: 'orders', body: { metadata: { annotations: { 'pytuner.dev/paused': null } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await vi.waitFor(async () => expect((await readService(namespace, 'orders')).spec.template.spec['containerConcurrency']).toBe(8), poll);
    expect(Date.now() - unpausedAt).toBeLessThan(PROMPTLY_MS);
  });

  it('marks the recommendations of a deleted TuningPolicy at once: Ready False, no recommended values left to look current', async () => {
    const namespace = await uniqueNamespace('ctl-delpol');
    await create(knativeService(namespace, 'orders', { containerConcurrency: 80, args: GUNICORN_1X8 }));
    await create(tuningPolicy(namespace, 'default', { mode: 'Recommend' }));
    await startTestController(namespace, { resyncMs: RESYNC_MS });
    await vi.waitFor(async () => expect((await recommendation(namespace, 'service-orders'))?.status?.recommendations?.[0]).toMatchObject({ setting: 'containerConcurrency', target: 8 }), poll);

    const deletedAt = Date.now();
    await adminClients().custom.deleteNamespacedCustomObject({ group: 'pytuner.dev', version: 'v1alpha1', namespace, plural: 'tuningpolicies', name: 'default' });
    const marked = await vi.waitFor(async () => {
      const r = await recommendation(namespace, 'service-orders');
      expect(condition(r?.status, 'Ready')).toMatchObject({ status: 'False', reason: 'NotSelected' });
      return r!;
    }, poll);
    expect(Date.now() - deletedAt).toBeLessThan(PROMPTLY_MS);
    expect(marked.status?.recommendations).toBeUndefined();
    expect(marked.status?.findings?.map((f) => f.rule)).toContain('concurrency.threads-mismatch');
  });

  it('patches within seconds of an RBAC grant after the API server refused the patch (403), without a restart', async () => {
    const namespace = await uniqueNamespace('ctl-rbac');
    const admin = adminClients();
    // The controller's identity: a ServiceAccount that may read its inputs and write its own resources and Events, but
    // not patch Knative Services.
    await admin.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'pytuner' } } });
    const read = ['get', 'list', 'watch'];
    await admin.rbac.createNamespacedRole({
      namespace,
      body: {
        metadata: { name: 'pytuner' },
        rules: [
          { apiGroups: ['serving.knative.dev'], resources: ['services'], verbs: read },
          { apiGroups: ['apps'], resources: ['deployments'], verbs: read },
          { apiGroups: [''], resources: ['serviceaccounts'], verbs: read },
          { apiGroups: ['iam.cnrm.cloud.google.com'], resources: ['iampolicymembers', 'iampartialpolicies'], verbs: read },
          { apiGroups: ['pytuner.dev'], resources: ['*'], verbs: ['*'] },
          { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
        ],
      },
    });
    const subject = { kind: 'ServiceAccount', name: 'pytuner', namespace };
    await admin.rbac.createNamespacedRoleBinding({ namespace, body: { metadata: { name: 'pytuner' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pytuner' }, subjects: [subject] } });

    await applyAs(knativeService(namespace, 'orders', { args: GUNICORN_1X8 }), 'deploy-tool');
    await markServiceReady(namespace, 'orders');
    await create(tuningPolicy(namespace, 'apply', { mode: 'Apply', patch: { containerConcurrency: true } }));
    await startTestController(namespace, { kubeConfig: await serviceAccountKubeConfig(namespace, 'pytuner'), resyncMs: RESYNC_MS });

    await vi.waitFor(async () => expect(condition((await recommendation(namespace, 'service-orders'))?.status, 'Applied')?.reason).toBe('Forbidden'), poll);
    // Not patched: still unset, which the Knative webhook stores as 0.
    expect([undefined, 0]).toContain((await readService(namespace, 'orders')).spec.template.spec['containerConcurrency']);
    // A few refusals in a row, so the backoff has grown past its first step before the grant comes.
    await new Promise((r) => setTimeout(r, 5_000));

    await admin.rbac.createNamespacedRole({ namespace, body: { metadata: { name: 'pytuner-apply' }, rules: [{ apiGroups: ['serving.knative.dev'], resources: ['services'], verbs: ['patch'] }] } });
    const grantedAt = Date.now();
    await admin.rbac.createNamespacedRoleBinding({ namespace, body: { metadata: { name: 'pytuner-apply' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pytuner-apply' }, subjects: [subject] } });
    await vi.waitFor(async () => expect((await readService(namespace, 'orders')).spec.template.spec['containerConcurrency']).toBe(8), poll);
    expect(Date.now() - grantedAt).toBeLessThan(PROMPTLY_MS);
    await vi.waitFor(async () => expect((await recommendation(namespace, 'service-orders'))?.status?.applied?.fields).toEqual(['spec.template.spec.containerConcurrency']), poll);
  });
});
