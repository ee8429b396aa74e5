// Apply mode next to the deploy tools that own a Knative Service, on the real API server with the real Knative
// webhook, each tool run for real: Argo CD / Flux as kubectl's server-side apply forced under the field manager
// `argocd-controller` (what Argo CD's ServerSideApply and Flux's kustomize-controller send), kubectl's client-side
// apply (the last-applied-configuration annotation and a three-way merge patch, computed by kubectl itself), and
// helm upgrade --server-side=false (Helm's client-side three-way merge). The controller adds WEB_CONCURRENCY (a field
// nobody declared) without force; afterwards the manager still owns Knative's atomic `containers` list (pytuner handed
// it back), so the manager's next deploy of the same manifest succeeds, forced or not. The manager's deploy sets the
// value back; the controller records who and how often, raises one TuningDrift Warning and Drifting=True, and does not
// write the value again over several reconciles with no cooldown.
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it, vi } from 'vitest';
import { uniqueNamespace } from './harness/kube.ts';
import { HELM_BUILD_TIMEOUT_MS, helm, helmBinary, kubectl, oneObjectChart, type CommandResult } from './chart.support.ts';
import { condition, create, eventsAbout, markServiceReady, readService, recommendation, startTestController, tuningPolicy } from './controller.support.ts';

const poll = { timeout: 30_000, interval: 200 };
/** Reconciles the test waits through after the revert (resync 500 ms, cooldown 0): each would write again without the hold. */
const QUIET_MS = 5_000;

/** gunicorn with its default worker count (WEB_CONCURRENCY, else 1) and 8 threads, on 2 vCPU: pytuner wants WEB_CONCURRENCY=2. */
const GUNICORN_DEFAULT_WORKERS = ['gunicorn', '--bind', ':8080', '--threads', '8', 'app:app'];
const WEB_CONCURRENCY = 'spec.template.spec.containers[name=app].env[name=WEB_CONCURRENCY].value';

function manifest(namespace: string, image = 'europe-docker.pkg.dev/demo/app:1.0.0'): KubernetesObject {
  const container = { name: 'app', image, args: GUNICORN_DEFAULT_WORKERS, resources: { limits: { cpu: '2', memory: '1Gi' } } };
  return { apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'orders', namespace }, spec: { template: { spec: { containers: [container] } } } } as KubernetesObject;
}

type Container = { env?: Array<{ name: string; value?: string }> };

async function webConcurrency(namespace: string): Promise<string | undefined> {
  const [container] = (await readService(namespace, 'orders')).spec.template.spec['containers'] as Container[];
  return container?.env?.find((e) => e.name === 'WEB_CONCURRENCY')?.value;
}

/** The managers owning spec.template.spec.containers (an atomic list: owned whole), from managedFields. */
async function containersOwners(namespace: string): Promise<string[]> {
  type Entry = { manager?: string; fieldsV1?: { 'f:spec'?: { 'f:template'?: { 'f:spec'?: Record<string, unknown> } } } };
  const live = await readService(namespace, 'orders');
  return ((live.metadata?.managedFields ?? []) as Entry[]).filter((e) => e.fieldsV1?.['f:spec']?.['f:template']?.['f:spec']?.['f:containers'] !== undefined).map((e) => e.manager ?? '');
}

function ok(result: CommandResult): void {
  // Knative's advice on securityContext comes as a warning (kubectl prints it plain, helm through klog).
  expect(result.stderr.split('\n').filter((line) => line !== '' && !line.includes('Warning: '))).toEqual([]);
  expect(result.code).toBe(0);
}

/** A deploy tool: how it deploys the manifest (image varies for a new release), and the field manager it writes as. */
interface Manager {
  name: string;
  fieldManager: string;
  deploy(namespace: string, image?: string): Promise<CommandResult>;
  /** The deploy that sets pytuner's value back, after `deploy` of the same manifest was shown to succeed. */
  revert(namespace: string): Promise<CommandResult>;
}

const argocd: Manager = {
  name: 'Argo CD / Flux (server-side apply, forced)',
  fieldManager: 'argocd-controller',
  deploy: (namespace, image) => kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=argocd-controller', '-f', '-'], JSON.stringify(manifest(namespace, image))),
  revert: (namespace) => argocd.deploy(namespace),
};

const kubectlClientSide: Manager = {
  name: 'kubectl apply (client-side, last-applied-configuration)',
  fieldManager: 'kubectl-client-side-apply',
  deploy: (namespace, image) => kubectl(['apply', '-f', '-'], JSON.stringify(manifest(namespace, image))),
  revert: (namespace) => kubectlClientSide.deploy(namespace),
};

const helmClientSide: Manager = {
  name: 'helm upgrade --server-side=false (three-way merge)',
  fieldManager: 'helm',
  deploy: async (namespace, image = 'europe-docker.pkg.dev/demo/app:1.0.0') =>
    helm(['upgrade', '--install', 'orders', await oneObjectChart('orders-service', manifest('NAMESPACE', 'IMAGE')), '--namespace', namespace, '--server-side=false', '--set', `image=${image}`]),
  // Helm's patch for a custom resource comes from the old and new release manifests: an unchanged chart patches
  // nothing, so the value is set back by the next release that changes the Service (a new image here).
  revert: (namespace) => helmClientSide.deploy(namespace, 'europe-docker.pkg.dev/demo/app:1.0.1'),
};

describe('Apply mode next to GitOps and deploy tools (real Knative webhook)', () => {
  it.each([argocd, kubectlClientSide, helmClientSide])(
    '$name: the next deploy succeeds, its revert is recorded once, and pytuner does not write again',
    async (manager) => {
      if (manager === helmClientSide) await helmBinary();
      const namespace = await uniqueNamespace('gitops');
      ok(await manager.deploy(namespace));
      await markServiceReady(namespace, 'orders');
      await create(tuningPolicy(namespace, 'apply', { mode: 'Apply', cooldown: '0s', patch: { workers: true } }));
      await startTestController(namespace, { resyncMs: 500 });

      // pytuner adds WEB_CONCURRENCY without force (nobody declared it) and the containers list stays the manager's.
      await vi.waitFor(async () => expect(await webConcurrency(namespace)).toBe('2'), poll);
      // The hand-back of `containers` is a second patch after the value's: wait for it, not for the value alone.
      await vi.waitFor(async () => expect(await containersOwners(namespace)).toEqual([manager.fieldManager]), poll);

      // The same manifest again: it succeeds, and (Helm aside, which patches only what the chart changed) sets the
      // value back. A plain server-side apply without force succeeds too: the list is the manager's, not pytuner's.
      if (manager === argocd) ok(await kubectl(['apply', '--server-side', '--field-manager=argocd-controller', '-f', '-'], JSON.stringify(manifest(namespace))));
      ok(await manager.deploy(namespace));
      if (manager === helmClientSide) {
        expect(await webConcurrency(namespace)).toBe('2');
        ok(await manager.revert(namespace));
      }
      expect(await webConcurrency(namespace)).toBeUndefined();
      const reverted = await readService(namespace, 'orders');
      await markServiceReady(namespace, 'orders');

      const drifting = await vi.waitFor(async () => {
        const r = await recommendation(namespace, 'service-orders');
        expect(condition(r?.status, 'Drifting')?.status).toBe('True');
        return r!;
      }, poll);
      expect(drifting.status?.drift).toMatchObject([{ field: WEB_CONCURRENCY, setting: 'workers', manager: manager.fieldManager, wrote: '2', found: '', recommended: '2', reverts: 1 }]);
      expect(condition(drifting.status, 'Drifting')?.message).toContain(`${manager.fieldManager} removed it (once)`);

      // Several reconciles later (resync 500 ms, no cooldown): not written again, one Warning.
      await new Promise((r) => setTimeout(r, QUIET_MS));
      const after = await recommendation(namespace, 'service-orders');
      expect(await webConcurrency(namespace)).toBeUndefined();
      expect((await readService(namespace, 'orders')).metadata?.generation).toBe(reverted.metadata?.generation);
      expect(after?.status?.applied?.at).toBe(drifting.status?.applied?.at);
      expect(after?.status?.drift?.[0]?.reverts).toBe(1);
      expect(condition(after?.status, 'Applied')).toMatchObject({ status: 'False', reason: 'Drifting' });
      const events = await eventsAbout(namespace, 'orders');
      expect(events.filter((e) => e.reason === 'TuningDrift')).toHaveLength(1);
      expect(events.filter((e) => e.reason === 'TuningApplied')).toHaveLength(1);
    },
    HELM_BUILD_TIMEOUT_MS,
  );
});
