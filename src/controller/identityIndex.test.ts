import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { grantKeys, IdentityIndex, memberKeys } from './identityIndex.ts';

const POOL = 'iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/demo.svc.id.goog';

function workload(kind: 'Service' | 'Deployment', namespace: string, name: string, serviceAccountName?: string): KubernetesObject {
  const spec = serviceAccountName === undefined ? {} : { serviceAccountName };
  return { kind, metadata: { namespace, name }, spec: { template: { spec } } } as KubernetesObject;
}

function serviceAccount(namespace: string, name: string, gsa?: string): KubernetesObject {
  return { kind: 'ServiceAccount', metadata: { namespace, name, ...(gsa === undefined ? {} : { annotations: { 'iam.gke.io/gcp-service-account': gsa } }) } };
}

function member(name: string, memberText: string): KubernetesObject {
  return { apiVersion: 'iam.cnrm.cloud.google.com/v1beta1', kind: 'IAMPolicyMember', metadata: { namespace: 'config-control', name }, spec: { member: memberText, role: 'roles/cloudprofiler.agent' } } as KubernetesObject;
}

/** An index over two namespaces: shop/orders runs as KSA orders (annotated with a GSA), shop/cart and shop/worker as default. */
function index(): IdentityIndex {
  const identities = new IdentityIndex();
  identities.update('serviceAccounts', 'add', serviceAccount('shop', 'orders', 'orders@demo.iam.gserviceaccount.com'));
  identities.update('knativeServices', 'add', workload('Service', 'shop', 'orders', 'orders'), 'Service/shop/orders');
  identities.update('knativeServices', 'add', workload('Service', 'shop', 'cart'), 'Service/shop/cart');
  identities.update('deployments', 'add', workload('Deployment', 'shop', 'worker'), 'Deployment/shop/worker');
  identities.update('deployments', 'add', workload('Deployment', 'analytics', 'reports'), 'Deployment/analytics/reports');
  return identities;
}

describe('memberKeys and grantKeys', () => {
  it('reads each kind of member the profiler rule matches, and nothing of others', () => {
    expect(memberKeys('serviceAccount:Orders@demo.iam.gserviceaccount.com')).toEqual(['gsa:orders@demo.iam.gserviceaccount.com']);
    expect(memberKeys('serviceAccountRef:config-control/orders')).toEqual(['gsa-local:orders']);
    expect(memberKeys(`principal://${POOL}/subject/ns/shop/sa/orders`)).toEqual(['ksa:shop/orders']);
    expect(memberKeys(`principalSet://${POOL}/namespace/shop`)).toEqual(['ns:shop']);
    expect(memberKeys(`principalSet://${POOL}/kubernetes.cluster/https://container.googleapis.com/v1/projects/p/locations/l/clusters/c`)).toEqual(['cluster']);
    expect(memberKeys('user:someone@example.com')).toEqual([]);
  });

  it('reads every member of an IAMPartialPolicy, memberFrom refs included', () => {
    const partial = {
      kind: 'IAMPartialPolicy',
      metadata: { namespace: 'config-control', name: 'p' },
      spec: { bindings: [{ role: 'roles/cloudprofiler.agent', members: [{ member: 'serviceAccount:a@demo.iam.gserviceaccount.com' }, { memberFrom: { serviceAccountRef: { name: 'b' } } }] }] },
    } as KubernetesObject;
    expect(grantKeys(partial)).toEqual(['gsa:a@demo.iam.gserviceaccount.com', 'gsa-local:b']);
  });
});

describe('IdentityIndex', () => {
  it('gives a workload the grants that may name its identity, and not the others', () => {
    const identities = index();
    const grants = [
      member('to-gsa', 'serviceAccount:orders@demo.iam.gserviceaccount.com'),
      member('to-ksa', `principal://${POOL}/subject/ns/shop/sa/default`),
      member('to-namespace', `principalSet://${POOL}/namespace/analytics`),
      member('to-other', 'serviceAccount:other@demo.iam.gserviceaccount.com'),
    ];
    for (const grant of grants) identities.update('iamPolicyMembers', 'add', grant);
    const names = (namespace: string, ksa: string) => identities.grantsFor(namespace, ksa).map((g) => g.metadata?.name);
    expect(names('shop', 'orders')).toEqual(['to-gsa']);
    expect(names('shop', 'default')).toEqual(['to-ksa']);
    expect(names('analytics', 'default')).toEqual(['to-namespace']);
  });

  it('re-queues only the workloads whose identity a grant names, before and after it changes', () => {
    const identities = index();
    expect(identities.update('iamPolicyMembers', 'add', member('g', 'serviceAccount:orders@demo.iam.gserviceaccount.com'))).toEqual(['Service/shop/orders']);
    // The member moves to the shop namespace's principalSet: the old identity and the new ones.
    expect(identities.update('iamPolicyMembers', 'update', member('g', `principalSet://${POOL}/namespace/shop`)).sort()).toEqual(['Deployment/shop/worker', 'Service/shop/cart', 'Service/shop/orders']);
    expect(identities.update('iamPolicyMembers', 'delete', member('g', `principalSet://${POOL}/namespace/shop`)).sort()).toEqual(['Deployment/shop/worker', 'Service/shop/cart', 'Service/shop/orders']);
    expect(identities.update('iamPolicyMembers', 'add', member('h', 'user:someone@example.com'))).toEqual([]);
    expect(identities.grantsFor('shop', 'orders')).toEqual([]);
  });

  it('follows a ServiceAccount\'s Workload Identity annotation and a workload\'s change of ServiceAccount', () => {
    const identities = index();
    identities.update('iamPolicyMembers', 'add', member('g', 'serviceAccount:cart@demo.iam.gserviceaccount.com'));
    expect(identities.grantsFor('shop', 'default')).toEqual([]);
    expect(identities.update('serviceAccounts', 'update', serviceAccount('shop', 'default', 'cart@demo.iam.gserviceaccount.com')).sort()).toEqual(['Deployment/shop/worker', 'Service/shop/cart']);
    expect(identities.grantsFor('shop', 'default').map((g) => g.metadata?.name)).toEqual(['g']);
    identities.update('deployments', 'update', workload('Deployment', 'shop', 'worker', 'orders'), 'Deployment/shop/worker');
    expect(identities.update('serviceAccounts', 'update', serviceAccount('shop', 'default')).sort()).toEqual(['Service/shop/cart']);
  });
});
