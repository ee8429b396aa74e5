// Server-side apply field ownership, the way pytuner will meet it: a deploy tool owns a Knative Service's
// containerConcurrency, and pytuner applies a different value for that one field.
import { PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { adminClients, apiFailure, uniqueNamespace } from './harness/kube.ts';

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  fieldsV1?: { 'f:spec'?: { 'f:template'?: { 'f:spec'?: Record<string, unknown> } } };
}

interface KnativeService extends KubernetesObject {
  spec: { template: { spec: { containerConcurrency?: number } } };
}

/** An apply configuration holding only the fields its manager means to own. */
function serviceApply(namespace: string, podSpec: Record<string, unknown>): KnativeService {
  return { apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'api', namespace }, spec: { template: { spec: podSpec } } };
}

function serviceRef(namespace: string) {
  return { apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'api', namespace } };
}

/** Which managers' applied field sets include spec.template.spec.containerConcurrency. */
function containerConcurrencyOwners(live: KubernetesObject): string[] {
  const entries = (live.metadata?.managedFields ?? []) as ManagedFieldsEntry[];
  return entries.filter((e) => e.fieldsV1?.['f:spec']?.['f:template']?.['f:spec']?.['f:containerConcurrency'] !== undefined).map((e) => e.manager ?? '');
}

describe('server-side apply', () => {
  const { objects } = adminClients();
  const apply = (body: KnativeService, manager: string, force: boolean) =>
    objects.patch(body, undefined, undefined, manager, force, PatchStrategy.ServerSideApply);

  it('refuses a conflicting apply by another manager with 409 naming the owner, until forced', async () => {
    const namespace = await uniqueNamespace('ssa');
    await apply(serviceApply(namespace, { containerConcurrency: 80, containers: [{ image: 'europe-docker.pkg.dev/demo/api:1.0.0' }] }), 'deploy-tool', false);

    const status = await apiFailure(apply(serviceApply(namespace, { containerConcurrency: 40 }), 'pytuner', false));
    expect(status.httpStatus).toBe(409);
    expect(status.reason).toBe('Conflict');
    expect(status.message).toBe('Apply failed with 1 conflict: conflict with "deploy-tool": .spec.template.spec.containerConcurrency');
    expect(status.details?.causes).toEqual([
      { reason: 'FieldManagerConflict', message: 'conflict with "deploy-tool"', field: '.spec.template.spec.containerConcurrency' },
    ]);

    const unchanged = await objects.read<KnativeService>(serviceRef(namespace));
    expect(unchanged.spec.template.spec.containerConcurrency).toBe(80);
    expect(containerConcurrencyOwners(unchanged)).toEqual(['deploy-tool']);

    // Forcing takes the field over: the deploy tool no longer owns it, and would conflict on its next apply.
    const forced = await apply(serviceApply(namespace, { containerConcurrency: 40 }), 'pytuner', true);
    expect(forced.spec.template.spec.containerConcurrency).toBe(40);
    expect(containerConcurrencyOwners(forced)).toEqual(['pytuner']);
  });

  it('lets a second manager apply the same value without conflict and share ownership', async () => {
    const namespace = await uniqueNamespace('ssa');
    await apply(serviceApply(namespace, { containerConcurrency: 80, containers: [{ image: 'europe-docker.pkg.dev/demo/api:1.0.0' }] }), 'deploy-tool', false);

    const shared = await apply(serviceApply(namespace, { containerConcurrency: 80 }), 'pytuner', false);
    expect(containerConcurrencyOwners(shared).sort()).toEqual(['deploy-tool', 'pytuner']);
  });
});
