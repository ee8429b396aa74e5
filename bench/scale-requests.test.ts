import { describe, expect, it } from 'vitest';
import { requestClass } from './scale-requests.ts';

describe('requestClass', () => {
  it('names the resource (and subresource) of a namespaced request, not the object', () => {
    expect(requestClass('GET', '127.0.0.1:6443', '/apis/pytuner.dev/v1alpha1/namespaces/team-1/tuningrecommendations/service-svc-1')).toBe('GET 127.0.0.1:6443 tuningrecommendations');
    expect(requestClass('PATCH', 'h', '/apis/pytuner.dev/v1alpha1/namespaces/team-1/tuningrecommendations/service-svc-1/status?fieldManager=pytuner')).toBe('PATCH h tuningrecommendations/status');
    expect(requestClass('PUT', 'h', '/apis/coordination.k8s.io/v1/namespaces/pytuner-system/leases/pytuner-controller-shard-1')).toBe('PUT h leases');
  });

  it('tells watches, cluster-wide lists and discovery apart', () => {
    expect(requestClass('GET', 'h', '/apis/apps/v1/deployments?watch=true&resourceVersion=5')).toBe('GET h deployments (watch)');
    expect(requestClass('GET', 'h', '/api/v1/serviceaccounts')).toBe('GET h serviceaccounts');
    expect(requestClass('GET', 'h', '/apis/serving.knative.dev/v1')).toBe('GET h discovery apis/serving.knative.dev/v1');
  });
});
