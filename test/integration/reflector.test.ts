// The reflector (src/controller/reflector.ts) against a real API server: a list read in pages of a small limit,
// bookmarks moving the resourceVersion of a watch that sees no event, and a re-list after 410 Gone.
import { KubeConfig, PatchStrategy, setHeaderOptions, type KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { Reflector, type StoreVerb } from '../../src/controller/reflector.ts';
import { KubeTransport, transportFor, type KubeRequest, type KubeResponse } from '../../src/input/kubeHttp.ts';
import { RESTRICTED_USER, startControlPlane, type ControlPlane } from './harness/controlPlane.ts';
import { adminClients, clientsFor, uniqueNamespace } from './harness/kube.ts';

const poll = { timeout: 30_000, interval: 100 };

function configMap(name: string): { metadata: { name: string }; data: Record<string, string> } {
  return { metadata: { name }, data: { payload: 'x'.repeat(100) } };
}

/** The real transport, noting the query of each request it sends. */
class RecordingTransport extends KubeTransport {
  readonly queries: Array<Record<string, string>> = [];

  override request(method: string, path: string, options: KubeRequest = {}): Promise<KubeResponse> {
    this.queries.push(options.query ?? {});
    return super.request(method, path, options);
  }
}

interface Kept {
  name: string;
  resourceVersion: string;
}

const keepName = (obj: KubernetesObject): Kept => ({ name: obj.metadata?.name ?? '', resourceVersion: obj.metadata?.resourceVersion ?? '' });

describe('Reflector', () => {
  it('lists in pages of the limit it is given, from one snapshot, storing what the transform makes', async () => {
    const namespace = await uniqueNamespace('reflector-pages');
    const { core, kubeConfig } = adminClients();
    for (const name of ['a', 'b', 'c', 'd', 'e']) await core.createNamespacedConfigMap({ namespace, body: configMap(name) });
    const transport = new RecordingTransport(kubeConfig);
    const reflector = new Reflector<Kept>({
      transport,
      path: `/api/v1/namespaces/${namespace}/configmaps`,
      apiVersion: 'v1',
      kind: 'ConfigMap',
      transform: (obj) => (obj.metadata?.name === 'kube-root-ca.crt' ? undefined : keepName(obj)),
      pageSize: 2,
      backoff: { baseMs: 100, maxMs: 400 },
    });
    reflector.start();
    onTestFinished(() => reflector.stop());
    await vi.waitFor(() => expect(reflector.synced).toBe(true), poll);
    expect(reflector.list().map((k) => k.name).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    // Six ConfigMaps (kube-root-ca.crt too) in pages of two: three requests, the later ones with a continue token.
    expect(transport.queries.map((q) => [q.limit, q.continue === undefined ? 'first' : 'continue'])).toEqual([
      ['2', 'first'],
      ['2', 'continue'],
      ['2', 'continue'],
    ]);
    expect(reflector.lists).toBe(1);
  });

  it('metadataOnly: lists and watches the objects\' metadata alone (PartialObjectMetadata), no data', async () => {
    const namespace = await uniqueNamespace('reflector-metadata');
    const { core, kubeConfig } = adminClients();
    await core.createNamespacedConfigMap({ namespace, body: { ...configMap('listed'), metadata: { name: 'listed', labels: { team: 'a' } } } });
    const seen = new Map<string, KubernetesObject & { data?: unknown }>();
    const reflector = new Reflector<Kept>({
      transport: transportFor(kubeConfig),
      path: `/api/v1/namespaces/${namespace}/configmaps`,
      apiVersion: 'v1',
      kind: 'ConfigMap',
      transform: (obj) => (seen.set(obj.metadata?.name ?? '', obj), keepName(obj)),
      pageSize: 500,
      backoff: { baseMs: 100, maxMs: 400 },
      metadataOnly: true,
    });
    reflector.start();
    onTestFinished(() => reflector.stop());
    await vi.waitFor(() => expect(reflector.synced).toBe(true), poll);
    await core.createNamespacedConfigMap({ namespace, body: configMap('watched') });
    await vi.waitFor(() => expect(reflector.get(namespace, 'watched')).toBeDefined(), poll);
    for (const name of ['listed', 'watched']) {
      const obj = seen.get(name)!;
      expect(obj.metadata?.resourceVersion).toMatch(/^\d+$/);
      expect(obj.data).toBeUndefined();
    }
    expect(seen.get('listed')!.metadata?.labels).toEqual({ team: 'a' });
  });

  it('follows bookmarks: a watch that sees no event still moves to the newest resourceVersion', async () => {
    const quiet = await uniqueNamespace('reflector-quiet');
    const busy = await uniqueNamespace('reflector-busy');
    const { core, kubeConfig } = adminClients();
    await core.createNamespacedConfigMap({ namespace: quiet, body: configMap('only') });
    const changes: Array<[StoreVerb, string]> = [];
    const reflector = new Reflector<Kept>({
      transport: transportFor(kubeConfig),
      path: `/api/v1/namespaces/${quiet}/configmaps`,
      apiVersion: 'v1',
      kind: 'ConfigMap',
      transform: keepName,
      pageSize: 500,
      backoff: { baseMs: 100, maxMs: 400 },
      onChange: (verb, kept) => changes.push([verb, kept.name]),
      // The API server sends a bookmark shortly before a watch's timeout.
      watchTimeoutSeconds: () => 4,
    });
    reflector.start();
    onTestFinished(() => reflector.stop());
    await vi.waitFor(() => expect(reflector.synced).toBe(true), poll);
    const listed = BigInt(reflector.resourceVersion ?? '0');
    const other = await core.createNamespacedConfigMap({ namespace: busy, body: configMap('elsewhere') });
    const elsewhere = BigInt(other.metadata?.resourceVersion ?? '0');
    expect(elsewhere).toBeGreaterThan(listed);
    await vi.waitFor(() => expect(BigInt(reflector.resourceVersion ?? '0')).toBeGreaterThanOrEqual(elsewhere), { timeout: 20_000, interval: 100 });
    expect(changes.filter(([, name]) => name !== 'kube-root-ca.crt')).toEqual([['add', 'only']]);
    expect(reflector.lists).toBe(1);
  });
});

describe('Reflector on an API server that restarts', () => {
  let controlPlane: ControlPlane;

  // A control plane of its own (its API server restarts): up to a few minutes on a busy machine.
  beforeAll(async () => {
    controlPlane = await startControlPlane();
  }, 300_000);
  afterAll(async () => {
    await controlPlane?.stop();
  });

  it('re-lists after 410 Gone and emits what changed meanwhile', async () => {
    const admin = clientsFor(controlPlane.kubeconfigPath);
    const namespace = 'shop';
    await admin.core.createNamespace({ body: { metadata: { name: namespace } } });
    await admin.core.createNamespacedConfigMap({ namespace, body: configMap('before') });
    const rule = (verbs: string[]) => [{ apiGroups: [''], resources: ['configmaps'], verbs }];
    await admin.rbac.createNamespacedRole({ namespace, body: { metadata: { name: 'reader' }, rules: rule(['list', 'watch']) } });
    await admin.rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: RESTRICTED_USER }],
      },
    });
    const restricted = new KubeConfig();
    restricted.loadFromFile(controlPlane.restrictedKubeconfigPath);
    const changes: Array<[StoreVerb, string]> = [];
    const errors: number[] = [];
    const reflector = new Reflector<Kept>({
      transport: transportFor(restricted),
      path: `/api/v1/namespaces/${namespace}/configmaps`,
      apiVersion: 'v1',
      kind: 'ConfigMap',
      transform: (obj) => (obj.metadata?.name === 'kube-root-ca.crt' ? undefined : keepName(obj)),
      pageSize: 500,
      backoff: { baseMs: 100, maxMs: 400 },
      onChange: (verb, kept) => changes.push([verb, kept.name]),
      onError: (err) => errors.push((err as { statusCode?: number }).statusCode ?? 0),
      watchTimeoutSeconds: () => 1,
    });
    reflector.start();
    onTestFinished(() => reflector.stop());
    await vi.waitFor(() => expect(reflector.synced).toBe(true), poll);
    await admin.core.createNamespacedConfigMap({ namespace, body: configMap('watched') });
    await vi.waitFor(() => expect(changes).toEqual([['add', 'before'], ['add', 'watched']]), poll);
    const seen = changes.map(([, name]) => name);

    // Watches refused from here on (each ends after a second): the reflector retries from the version it has.
    await admin.rbac.patchNamespacedRole({ namespace, name: 'reader', body: { rules: rule(['list']) } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await vi.waitFor(() => expect(errors).toContain(403), poll);
    await admin.core.createNamespacedConfigMap({ namespace, body: configMap('meanwhile') });
    await admin.core.deleteNamespacedConfigMap({ namespace, name: 'before' });
    // The restarted API server's watch cache begins after the reflector's version: the next watch answers 410.
    await controlPlane.restartApiserver();
    await admin.rbac.patchNamespacedRole({ namespace, name: 'reader', body: { rules: rule(['list', 'watch']) } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));

    await vi.waitFor(() => expect(reflector.lists).toBe(2), poll);
    expect(reflector.list().map((k) => k.name).sort()).toEqual([...seen.filter((n) => n !== 'before'), 'meanwhile'].sort());
    expect(changes.slice(seen.length)).toEqual([
      ['delete', 'before'],
      ['add', 'meanwhile'],
    ]);
  });
});
