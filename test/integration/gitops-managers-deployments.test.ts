// Apply mode next to the deploy tools that own a Deployment, each run for real on the real API server: Argo CD / Flux
// as kubectl's server-side apply forced under `argocd-controller`, kubectl's client-side apply (three-way strategic
// merge), and helm upgrade --server-side=false. Unlike Knative's atomic `containers`, a Deployment's containers and
// env are lists keyed by name: pytuner's server-side apply owns only the env entry it adds, none of the three managers
// removes an entry it never declared, so the value pytuner added outlives every later release. The model this
// measures: on a Deployment a field nobody declared stays pytuner's, with no drift and no fight; the Git repository
// learns it through `status.fix` / `pytuner recommendations export --fix`, not through the next deploy.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it, vi } from 'vitest';
import { adminClients, uniqueNamespace } from './harness/kube.ts';
import { HELM_BUILD_TIMEOUT_MS, helm, helmBinary, kubectl, oneObjectChart, type CommandResult } from './chart.support.ts';
import { condition, create, eventsAbout, markDeploymentRolledOut, recommendation, startTestController, tuningPolicy } from './controller.support.ts';

const poll = { timeout: 30_000, interval: 200 };
/** Reconciles after the release (resync 500 ms, cooldown 0): each would write again if pytuner saw its value gone. */
const QUIET_MS = 4_000;

/** gunicorn with its default worker count (WEB_CONCURRENCY, else 1) and 8 threads, on 2 vCPU: pytuner wants WEB_CONCURRENCY=2. */
const GUNICORN_DEFAULT_WORKERS = ['gunicorn', '--bind', ':8080', '--threads', '8', 'app:app'];
const FIRST_IMAGE = 'europe-docker.pkg.dev/demo/app:1.0.0';
const NEXT_IMAGE = 'europe-docker.pkg.dev/demo/app:1.0.1';

function manifest(namespace: string, image: string, env?: Array<{ name: string; value: string }>): KubernetesObject {
  const labels = { app: 'orders' };
  const container = { name: 'app', image, args: GUNICORN_DEFAULT_WORKERS, resources: { limits: { cpu: '2', memory: '1Gi' } }, ...(env === undefined ? {} : { env }) };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'orders', namespace },
    spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [container] } } },
  } as KubernetesObject;
}

async function live(namespace: string): Promise<{ image?: string; webConcurrency?: string; generation?: number }> {
  const deployment = await adminClients().apps.readNamespacedDeployment({ namespace, name: 'orders' });
  const container = deployment.spec?.template.spec?.containers.find((c) => c.name === 'app');
  const found: { image?: string; webConcurrency?: string; generation?: number } = {};
  if (container?.image !== undefined) found.image = container.image;
  const value = container?.env?.find((e) => e.name === 'WEB_CONCURRENCY')?.value;
  if (value !== undefined) found.webConcurrency = value;
  if (deployment.metadata?.generation !== undefined) found.generation = deployment.metadata.generation;
  return found;
}

/** The managers whose managedFields own the value of the WEB_CONCURRENCY env entry (its `f:value`). */
async function webConcurrencyOwners(namespace: string): Promise<string[]> {
  const deployment = await adminClients().apps.readNamespacedDeployment({ namespace, name: 'orders' });
  const entry = 'k:{"name":"WEB_CONCURRENCY"}';
  const names = (fields: unknown): boolean =>
    typeof fields === 'object' && fields !== null && Object.entries(fields).some(([key, value]) => (key === entry ? typeof value === 'object' && value !== null && 'f:value' in value : names(value)));
  return (deployment.metadata?.managedFields ?? []).filter((f) => names(f.fieldsV1)).map((f) => f.manager ?? '');
}

function ok(result: CommandResult): void {
  expect(result.stderr.split('\n').filter((line) => line !== '' && !line.includes('Warning: '))).toEqual([]);
  expect(result.code).toBe(0);
}

interface Manager {
  name: string;
  /** Deploys the manifest with this image: the first release, then the next one. */
  deploy(namespace: string, image: string): Promise<CommandResult>;
}

const MANAGERS: Manager[] = [
  {
    name: 'Argo CD / Flux (server-side apply, forced)',
    deploy: (namespace, image) => kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=argocd-controller', '-f', '-'], JSON.stringify(manifest(namespace, image))),
  },
  { name: 'kubectl apply (client-side, three-way strategic merge)', deploy: (namespace, image) => kubectl(['apply', '-f', '-'], JSON.stringify(manifest(namespace, image))) },
  {
    name: 'helm upgrade --server-side=false (three-way merge)',
    deploy: async (namespace, image) => {
      await helmBinary();
      return helm(['upgrade', '--install', 'orders', await oneObjectChart('orders-deployment', manifest('NAMESPACE', 'IMAGE')), '--namespace', namespace, '--server-side=false', '--set', `image=${image}`]);
    },
  },
];

describe('Apply mode next to GitOps and deploy tools on a Deployment (keyed lists)', () => {
  it.each(MANAGERS)(
    '$name: pytuner owns only the env entry it added; the next release succeeds and keeps it; no drift, no second write',
    async (manager) => {
      const namespace = await uniqueNamespace('gitops-deploy');
      ok(await manager.deploy(namespace, FIRST_IMAGE));
      await markDeploymentRolledOut(namespace, 'orders');
      await create(tuningPolicy(namespace, 'apply', { mode: 'Apply', cooldown: '0s', patch: { workers: true } }));
      await startTestController(namespace, { resyncMs: 500 });

      await vi.waitFor(async () => expect((await live(namespace)).webConcurrency).toBe('2'), poll);
      expect(await webConcurrencyOwners(namespace)).toEqual(['pytuner']);
      await markDeploymentRolledOut(namespace, 'orders');

      // The next release (a new image) succeeds without conflict, changes what it declares, and keeps pytuner's entry.
      ok(await manager.deploy(namespace, NEXT_IMAGE));
      const released = await live(namespace);
      expect(released).toMatchObject({ image: NEXT_IMAGE, webConcurrency: '2' });
      await markDeploymentRolledOut(namespace, 'orders');

      await new Promise((r) => setTimeout(r, QUIET_MS));
      const after = await recommendation(namespace, 'deployment-orders');
      expect(condition(after?.status, 'Drifting')?.status ?? 'False').toBe('False');
      expect(after?.status?.drift ?? []).toEqual([]);
      expect(await live(namespace)).toEqual(released);
      const events = await eventsAbout(namespace, 'orders');
      expect(events.filter((e) => e.reason === 'TuningApplied')).toHaveLength(1);
      expect(events.filter((e) => e.reason === 'TuningDrift')).toEqual([]);
    },
    HELM_BUILD_TIMEOUT_MS,
  );

  it('a value the manager declares: a Conflict naming it without force; with force, its next forced sync sets it back once, recorded as drift', async () => {
    const namespace = await uniqueNamespace('gitops-declared');
    const declared = (image: string): Promise<CommandResult> =>
      kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=argocd-controller', '-f', '-'], JSON.stringify(manifest(namespace, image, [{ name: 'WEB_CONCURRENCY', value: '1' }])));
    ok(await declared(FIRST_IMAGE));
    await markDeploymentRolledOut(namespace, 'orders');
    await create(tuningPolicy(namespace, 'apply', { mode: 'Apply', cooldown: '0s', patch: { workers: true } }));
    await startTestController(namespace, { resyncMs: 500 });

    const conflicted = await vi.waitFor(async () => {
      const r = await recommendation(namespace, 'deployment-orders');
      expect(condition(r?.status, 'Conflict')?.status).toBe('True');
      return r!;
    }, poll);
    expect(condition(conflicted.status, 'Conflict')?.message).toContain('argocd-controller');
    expect((await live(namespace)).webConcurrency).toBe('1');

    // The team opts into force: pytuner takes the field over (the policy change is picked up at once).
    await adminClients().custom.patchNamespacedCustomObject(
      { group: 'pytuner.dev', version: 'v1alpha1', namespace, plural: 'tuningpolicies', name: 'apply', body: { spec: { force: true } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await vi.waitFor(async () => expect((await live(namespace)).webConcurrency).toBe('2'), poll);
    expect(await webConcurrencyOwners(namespace)).toEqual(['pytuner']);
    await markDeploymentRolledOut(namespace, 'orders');

    ok(await declared(NEXT_IMAGE));
    expect(await live(namespace)).toMatchObject({ image: NEXT_IMAGE, webConcurrency: '1' });
    await markDeploymentRolledOut(namespace, 'orders');
    const drifting = await vi.waitFor(async () => {
      const r = await recommendation(namespace, 'deployment-orders');
      expect(condition(r?.status, 'Drifting')?.status).toBe('True');
      return r!;
    }, poll);
    expect(drifting.status?.drift).toMatchObject([{ setting: 'workers', manager: 'argocd-controller', wrote: '2', found: '1', reverts: 1 }]);
    await new Promise((r) => setTimeout(r, QUIET_MS));
    expect((await live(namespace)).webConcurrency).toBe('1');
    const events = await eventsAbout(namespace, 'orders');
    expect(events.filter((e) => e.reason === 'TuningDrift')).toHaveLength(1);
    expect(events.filter((e) => e.reason === 'TuningApplied')).toHaveLength(1);
  });
});
