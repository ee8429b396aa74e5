// A TuningRecommendation is owned by its workload: kube-controller-manager's garbage collector deletes it with the
// workload. In a file of its own because the collector's first deletion can take tens of seconds (it builds its
// graph from informers over every resource first), which other files should not wait behind.
import { describe, expect, it, vi } from 'vitest';
import { adminClients, uniqueNamespace } from './harness/kube.ts';
import { GUNICORN_1X8, create, knativeService, markDeploymentRolledOut, recommendation, startTestController, tuningPolicy } from './controller.support.ts';

const poll = { timeout: 20_000, interval: 100 };
const gcPoll = { timeout: 60_000, interval: 250 };

describe('controller and the garbage collector', () => {
  it('deleting the workload deletes its TuningRecommendation, and only that one', async () => {
    const namespace = await uniqueNamespace('ctl-gc');
    await create(knativeService(namespace, 'orders', { containerConcurrency: 80, args: GUNICORN_1X8 }));
    await adminClients().apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'worker' },
        spec: {
          selector: { matchLabels: { app: 'worker' } },
          template: { metadata: { labels: { app: 'worker' } }, spec: { containers: [{ name: 'worker', image: 'python:3.13-slim', args: GUNICORN_1X8 }] } },
        },
      },
    });
    await markDeploymentRolledOut(namespace, 'worker');
    await create(tuningPolicy(namespace, 'default', { mode: 'Recommend' }));
    await startTestController(namespace);
    await vi.waitFor(async () => {
      expect(await recommendation(namespace, 'service-orders')).toBeDefined();
      expect(await recommendation(namespace, 'deployment-worker')).toBeDefined();
    }, poll);

    await adminClients().objects.delete({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'orders', namespace } }, undefined, undefined, undefined, undefined, 'Background');

    await vi.waitFor(async () => expect(await recommendation(namespace, 'service-orders')).toBeUndefined(), gcPoll);
    expect((await recommendation(namespace, 'deployment-worker'))?.spec.targetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'worker' });
  });
});
