// RBAC is enforced: the restricted identity is refused until a Role grants it something, and then only that.
import { describe, expect, it, vi } from 'vitest';
import { RESTRICTED_USER } from './harness/controlPlane.ts';
import { adminClients, apiFailure, restrictedClients, uniqueNamespace } from './harness/kube.ts';

describe('the restricted identity', () => {
  const admin = adminClients();
  const restricted = restrictedClients();

  it('is refused with 403 naming the user, the verb and the resource', async () => {
    const namespace = await uniqueNamespace('authz');

    const list = await apiFailure(restricted.core.listNamespace());
    expect(list.httpStatus).toBe(403);
    expect(list.reason).toBe('Forbidden');
    expect(list.message).toBe(`namespaces is forbidden: User "${RESTRICTED_USER}" cannot list resource "namespaces" in API group "" at the cluster scope`);

    const create = await apiFailure(restricted.core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'x' } } }));
    expect(create.httpStatus).toBe(403);
    expect(create.message).toContain(`User "${RESTRICTED_USER}" cannot create resource "configmaps" in API group "" in the namespace "${namespace}"`);

    const knative = await apiFailure(restricted.custom.listNamespacedCustomObject({ group: 'serving.knative.dev', version: 'v1', namespace, plural: 'services' }));
    expect(knative.httpStatus).toBe(403);
    expect(knative.message).toContain(`cannot list resource "services" in API group "serving.knative.dev"`);
  });

  it('gets exactly what a RoleBinding grants it', async () => {
    const namespace = await uniqueNamespace('authz');
    await admin.core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'tuning' }, data: { workers: '4' } } });
    await admin.rbac.createNamespacedRole({
      namespace,
      body: { metadata: { name: 'configmap-reader' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }] },
    });
    await admin.rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'restricted-reads-configmaps' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'configmap-reader' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: RESTRICTED_USER }],
      },
    });

    // The authorizer reads RBAC objects from an informer cache, so the grant takes effect a moment later.
    const configMap = await vi.waitFor(() => restricted.core.readNamespacedConfigMap({ name: 'tuning', namespace }), { timeout: 10_000, interval: 100 });
    expect(configMap.data).toEqual({ workers: '4' });

    const list = await apiFailure(restricted.core.listNamespacedConfigMap({ namespace }));
    expect(list.httpStatus).toBe(403);
    const update = await apiFailure(restricted.core.replaceNamespacedConfigMap({ name: 'tuning', namespace, body: { ...configMap, data: { workers: '8' } } }));
    expect(update.httpStatus).toBe(403);
  });
});
