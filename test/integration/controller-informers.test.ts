// The informers' own duties, which client-node's ListWatch leaves to its caller: restarting after an error that
// stopped it (here a 403 until RBAC allows the list), saying when the cache has synced, and then keeping it current
// from the watch; and caching only what the transform keeps, from a list read in pages and from the watch.
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it, vi } from 'vitest';
import { ResourceInformer, type CacheVerb } from '../../src/controller/informers.ts';
import { createLogger } from '../../src/controller/log.ts';
import { RESTRICTED_USER } from './harness/controlPlane.ts';
import { adminClients, restrictedClients, uniqueNamespace } from './harness/kube.ts';

function deployment(name: string, labels: Record<string, string> = {}) {
  return {
    metadata: { name, labels },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'python:3.13-slim' }] } },
    },
  };
}

describe('ResourceInformer', () => {
  it('restarts with backoff after errors, syncs once it may list, then follows the watch', async () => {
    const namespace = await uniqueNamespace('ctl-inf');
    const admin = adminClients();
    await admin.apps.createNamespacedDeployment({ namespace, body: deployment('web') });
    const events: Array<[CacheVerb, string]> = [];
    const errors: unknown[] = [];
    const informer = new ResourceInformer('deployments', {
      kubeConfig: restrictedClients().kubeConfig,
      namespace,
      log: createLogger({ level: 'silent' }),
      onEvent: (_resource, verb, obj: KubernetesObject) => events.push([verb, obj.metadata?.name ?? '']),
      onError: (_resource, err) => errors.push(err),
      backoff: { baseMs: 100, maxMs: 400 },
    });
    informer.start();
    try {
      // The restricted user may not list Deployments: each attempt fails with 403 and is retried.
      await vi.waitFor(() => expect(errors.length).toBeGreaterThanOrEqual(3), { timeout: 10_000, interval: 50 });
      expect(errors.map((e) => (e as { statusCode?: number }).statusCode)).toEqual(errors.map(() => 403));
      expect(informer.synced).toBe(false);

      await admin.rbac.createNamespacedRole({
        namespace,
        body: { metadata: { name: 'deployment-watcher' }, rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['list', 'watch'] }] },
      });
      await admin.rbac.createNamespacedRoleBinding({
        namespace,
        body: {
          metadata: { name: 'deployment-watcher' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'deployment-watcher' },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: RESTRICTED_USER }],
        },
      });
      await vi.waitFor(() => expect(informer.synced).toBe(true), { timeout: 10_000, interval: 50 });
      await informer.whenSettled();
      expect(informer.list().map((d) => [d.apiVersion, d.kind, d.metadata?.name])).toEqual([['apps/v1', 'Deployment', 'web']]);
      expect(events).toEqual([['add', 'web']]);

      await admin.apps.createNamespacedDeployment({ namespace, body: deployment('api') });
      await vi.waitFor(() => expect(informer.get(namespace, 'api')?.metadata?.name).toBe('api'), { timeout: 10_000, interval: 50 });
      await admin.apps.deleteNamespacedDeployment({ namespace, name: 'web' });
      await vi.waitFor(() => expect(informer.get(namespace, 'web')).toBeUndefined(), { timeout: 10_000, interval: 50 });
      expect(events).toEqual([
        ['add', 'web'],
        ['add', 'api'],
        ['delete', 'web'],
      ]);
    } finally {
      await informer.stop();
    }
  });

  it('caches what the transform keeps of a list read in pages and of watch events, and leaves out what it drops', async () => {
    const namespace = await uniqueNamespace('ctl-inf-transform');
    const admin = adminClients();
    for (const name of ['a', 'b', 'c', 'd', 'e']) await admin.apps.createNamespacedDeployment({ namespace, body: deployment(name, name === 'c' ? { skip: 'yes' } : {}) });
    const events: Array<[CacheVerb, string]> = [];
    const seen: KubernetesObject[] = [];
    const informer = new ResourceInformer('deployments', {
      kubeConfig: admin.kubeConfig,
      namespace,
      log: createLogger({ level: 'silent' }),
      onEvent: (_resource, verb, obj: KubernetesObject) => events.push([verb, obj.metadata?.name ?? '']),
      // Two items a page: the five Deployments come in three pages.
      listPageSize: 2,
      transform: (resource, obj) => {
        seen.push(obj);
        if (obj.metadata?.labels?.['skip'] === 'yes') return undefined;
        const { managedFields: _managedFields, ...metadata } = obj.metadata ?? {};
        return { apiVersion: obj.apiVersion ?? '', kind: obj.kind ?? '', metadata: { name: metadata.name ?? '', namespace: metadata.namespace, labels: { ...metadata.labels, cachedAs: resource } } };
      },
    });
    informer.start();
    try {
      await informer.whenSettled();
      await vi.waitFor(() => expect(informer.synced).toBe(true), { timeout: 10_000, interval: 50 });
      expect(seen.map((o) => o.metadata?.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(seen.every((o) => o.kind === 'Deployment' && o.metadata?.managedFields !== undefined)).toBe(true);
      const cached = informer.list() as Array<KubernetesObject & { spec?: unknown }>;
      expect(cached.map((d) => d.metadata?.name).sort()).toEqual(['a', 'b', 'd', 'e']);
      expect(cached.every((d) => d.spec === undefined && d.metadata?.managedFields === undefined && d.metadata?.labels?.['cachedAs'] === 'deployments')).toBe(true);

      // Watched: a dropped object neither enters the cache nor reaches the handler; a kept one arrives transformed.
      await admin.apps.createNamespacedDeployment({ namespace, body: deployment('skipped', { skip: 'yes' }) });
      await admin.apps.createNamespacedDeployment({ namespace, body: deployment('kept') });
      await vi.waitFor(() => expect(informer.get(namespace, 'kept')?.metadata?.labels?.['cachedAs']).toBe('deployments'), { timeout: 10_000, interval: 50 });
      expect(seen.map((o) => o.metadata?.name)).toContain('skipped');
      expect(informer.get(namespace, 'skipped')).toBeUndefined();
      await admin.apps.deleteNamespacedDeployment({ namespace, name: 'skipped' });
      await admin.apps.deleteNamespacedDeployment({ namespace, name: 'a' });
      await vi.waitFor(() => expect(informer.get(namespace, 'a')).toBeUndefined(), { timeout: 10_000, interval: 50 });
      expect(events).toEqual([
        ['add', 'a'],
        ['add', 'b'],
        ['add', 'd'],
        ['add', 'e'],
        ['add', 'kept'],
        ['delete', 'a'],
      ]);
      expect(informer.lists).toBe(1);
    } finally {
      await informer.stop();
    }
  });
});
