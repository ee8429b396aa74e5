// What the controller asks of the API server for one workload, counted by controller-faults.support.ts's proxy (which
// here only forwards): a new workload costs one write of its TuningRecommendation (the create, status
// included) and no read, since the reconcile reads the recommendation from its cache; a resync that finds the
// recommendation up to date reads and writes nothing at all. bench/scale.ts measures the same at 20,000 workloads.
import { describe, expect, inject, it, onTestFinished, vi } from 'vitest';
import { uniqueNamespace } from './harness/kube.ts';
import { startApiProxy } from './controller-faults.support.ts';
import { GUNICORN_1X8, create, knativeService, metricValue, operations, recommendation, startTestController, tuningPolicy } from './controller.support.ts';

const poll = { timeout: 30_000, interval: 100 };

async function requeues(port: number): Promise<number> {
  return metricValue((await operations(port, '/metrics')).body, 'pytuner_reconciles_total{result="requeue"}') ?? 0;
}

describe('controller requests per workload', () => {
  it('a new workload: one write of its recommendation, content included, no GET; each resync after: no request', async () => {
    const namespace = await uniqueNamespace('ctl-requests');
    await create(tuningPolicy(namespace, 'default', { mode: 'Recommend', selector: { kinds: ['Service'] } }));
    const proxy = await startApiProxy(inject('controlPlane').kubeconfigPath);
    onTestFinished(() => proxy.close());
    // Every reconcile asks to come back after resyncMs: a resync each second.
    const controller = await startTestController(namespace, { kubeConfig: proxy.kubeConfig, resyncMs: 1_000 });
    await vi.waitFor(async () => expect((await operations(controller.port, '/readyz')).status).toBe(200), poll);

    await create(knativeService(namespace, 'orders', { args: GUNICORN_1X8 }));
    await vi.waitFor(async () => expect((await recommendation(namespace, 'service-orders'))?.status?.summary).toBeDefined(), poll);
    const collection = `/apis/pytuner.dev/v1alpha1/namespaces/${namespace}/tuningrecommendations`;
    const objectPath = `${collection}/service-orders`;
    // The create (POST to the collection; not a server-side apply, which costs the API server more) and any request for the object.
    const isRecommendation = (path: string) => path.startsWith(objectPath) || path.split('?')[0] === collection;
    const recommendationRequests = () => proxy.requests.filter((r) => r.method !== 'GET' || r.path.startsWith(objectPath)).filter((r) => isRecommendation(r.path)).map((r) => `${r.method} ${r.path.split('?')[0]}`);
    expect(recommendationRequests()).toEqual([`POST ${collection}`]);

    // Three more reconciles of the Service, each finding its recommendation up to date.
    const before = await requeues(controller.port);
    await vi.waitFor(async () => expect(await requeues(controller.port)).toBeGreaterThanOrEqual(before + 3), poll);
    expect(recommendationRequests()).toEqual([`POST ${collection}`]);
    // Nothing else is written but the policy's status (its counts: 0, then 1 workload, then 1 recommendation): no Event
    // for the new recommendation (Recommend mode writes the recommendation alone), none by the resyncs.
    const policyStatus = `/apis/pytuner.dev/v1alpha1/namespaces/${namespace}/tuningpolicies/default/status`;
    const otherWrites = proxy.requests.filter((r) => r.method !== 'GET' && !isRecommendation(r.path) && !r.path.startsWith(`${policyStatus}?`));
    expect(otherWrites.map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual([]);
  });
});
