import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { clusterDocument, evaluateTarget, rulesFor } from './evaluate.ts';

/** A Knative Service as the API server returns it: status, managedFields and all. */
function knativeService(name: string, podSpec: Record<string, unknown>): KubernetesObject {
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name, namespace: 'shop', uid: 'u1', resourceVersion: '7', generation: 2, managedFields: [{ manager: 'kubectl', operation: 'Apply' }] },
    spec: { template: { spec: podSpec } },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  } as KubernetesObject;
}

const gunicorn8Threads = { containers: [{ image: 'europe-docker.pkg.dev/p/orders:1', args: ['gunicorn', '--threads', '8', 'app:app'] }] };

describe('evaluateTarget', () => {
  it('finds the concurrency mismatch of a cached Knative Service, with evidence that names the object and no line', () => {
    const svc = knativeService('orders', { containerConcurrency: 80, ...gunicorn8Threads });
    const { findings, errors } = evaluateTarget({ kind: 'Service', namespace: 'shop', name: 'orders' }, svc, [], rulesFor(undefined));
    expect(errors).toEqual([]);
    const mismatch = findings.find((f) => f.rule === 'concurrency.threads-mismatch');
    expect(mismatch?.target).toEqual({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', namespace: 'shop', name: 'orders', container: 'user-container', file: 'cluster:Service/shop/orders' });
    expect(mismatch?.recommended).toEqual({ containerConcurrency: 8 });
    expect(mismatch?.evidence[0]).toEqual({ source: 'manifest', file: 'cluster:Service/shop/orders', field: 'spec.template.spec.containerConcurrency', text: '80' });
  });

  it('runs only the rules the policy enables', () => {
    const svc = knativeService('orders', { containerConcurrency: 80, ...gunicorn8Threads });
    const all = evaluateTarget({ kind: 'Service', namespace: 'shop', name: 'orders' }, svc, [], rulesFor(undefined)).findings.map((f) => f.rule);
    expect(all).toContain('concurrency.threads-mismatch');
    const disabled = evaluateTarget({ kind: 'Service', namespace: 'shop', name: 'orders' }, svc, [], rulesFor({ disabled: ['concurrency.threads-mismatch'] }));
    expect(disabled.findings.map((f) => f.rule)).not.toContain('concurrency.threads-mismatch');
    const only = evaluateTarget({ kind: 'Service', namespace: 'shop', name: 'orders' }, svc, [], rulesFor({ enabled: ['gunicorn.timeout'] }));
    expect(new Set(only.findings.map((f) => f.rule))).toEqual(new Set(['gunicorn.timeout']));
  });

  it('keeps only findings about the target, not about the objects around it', () => {
    const svc = knativeService('orders', { containerConcurrency: 8, ...gunicorn8Threads });
    const other = knativeService('cart', { containerConcurrency: 80, ...gunicorn8Threads });
    const { findings } = evaluateTarget({ kind: 'Service', namespace: 'shop', name: 'orders' }, svc, [other], rulesFor({ enabled: ['concurrency.threads-mismatch'] }));
    expect(findings).toEqual([]);
  });

  it('reports a malformed workload as errors naming the field, never throwing', () => {
    const svc = knativeService('orders', { containerConcurrency: 'eighty', ...gunicorn8Threads });
    const { findings, errors } = evaluateTarget({ kind: 'Service', namespace: 'shop', name: 'orders' }, svc, [], rulesFor(undefined));
    expect(findings).toEqual([]);
    expect(errors).toEqual([
      { file: 'cluster:Service/shop/orders', object: 'Service shop/orders', field: 'spec.template.spec.containerConcurrency', message: 'expected an integer 0..1000, got "eighty"' },
    ]);
  });
});

describe('clusterDocument', () => {
  it('drops status and managedFields, which the extractors never read', () => {
    const doc = clusterDocument(knativeService('orders', gunicorn8Threads), 3);
    expect(doc.file).toBe('cluster:Service/shop/orders');
    expect(doc.docIndex).toBe(3);
    expect(doc.object).toEqual({
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Service',
      metadata: { name: 'orders', namespace: 'shop', uid: 'u1', resourceVersion: '7', generation: 2 },
      spec: { template: { spec: gunicorn8Threads } },
    });
  });
});
