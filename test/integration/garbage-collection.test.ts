// kube-controller-manager's garbage collector and namespace controller do their work here: what pytuner
// creates with an owner reference goes with its owner, and a test namespace can be deleted completely.
import { describe, expect, it, vi } from 'vitest';
import { adminClients, isGone, uniqueNamespace } from './harness/kube.ts';

// The garbage collector first builds its graph from informers over every resource; on a busy 2-core machine
// the first deletion can take tens of seconds.
const controllerTimeout = { timeout: 45_000, interval: 250 };

describe('controllers', () => {
  const { core, apps } = adminClients();

  it('garbage-collects a dependent when its owner is deleted', async () => {
    const namespace = await uniqueNamespace('gc');
    const owner = await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'web' },
        spec: {
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'python:3.13-slim' }] } },
        },
      },
    });
    const ownerReference = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: owner.metadata?.uid ?? '', controller: true };
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'web-tuning', ownerReferences: [ownerReference] }, data: { workers: '4' } } });
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'unowned' }, data: {} } });

    await apps.deleteNamespacedDeployment({ name: 'web', namespace, propagationPolicy: 'Background' });

    await vi.waitFor(async () => expect(await isGone(core.readNamespacedConfigMap({ name: 'web-tuning', namespace }))).toBe(true), controllerTimeout);
    // Only the dependent: an object without the owner reference stays.
    const remaining = await core.listNamespacedConfigMap({ namespace });
    expect(remaining.items.map((c) => c.metadata?.name)).toContain('unowned');
    expect(remaining.items.map((c) => c.metadata?.name)).not.toContain('web-tuning');
  });

  it('finishes deleting a namespace and everything in it', async () => {
    const namespace = await uniqueNamespace('nsdel');
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'settings' }, data: { a: '1' } } });
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'web' },
        spec: {
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'python:3.13-slim' }] } },
        },
      },
    });

    await core.deleteNamespace({ name: namespace });
    // Without the namespace controller it would stay Terminating for ever, waiting on its "kubernetes" finalizer.
    await vi.waitFor(async () => expect(await isGone(core.readNamespace({ name: namespace }))).toBe(true), controllerTimeout);
    expect(await isGone(core.readNamespacedConfigMap({ name: 'settings', namespace }))).toBe(true);
    expect(await isGone(apps.readNamespacedDeployment({ name: 'web', namespace }))).toBe(true);
  });
});
