// Built-in objects go through the real API server: stored, defaulted and read back.
import { V1MicroTime } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { adminClients, apiFailure, uniqueNamespace } from './harness/kube.ts';

describe('built-in objects on the control plane', () => {
  const { core, apps, coordination } = adminClients();

  it('creates a namespace that is Active', async () => {
    const namespace = await uniqueNamespace('core');
    const live = await core.readNamespace({ name: namespace });
    expect(live.status?.phase).toBe('Active');
    expect(live.metadata?.labels?.['pytuner.dev/test']).toBe('integration');
    // The namespace controller's finalizer is what makes deletion wait for the contents.
    expect(live.spec?.finalizers).toEqual(['kubernetes']);
  });

  it('creates a Deployment and applies the API defaults to it', async () => {
    const namespace = await uniqueNamespace('core');
    const created = await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'web' },
        spec: {
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'app', image: 'python:3.13-slim', args: ['gunicorn', '--workers=2', 'app:app'] }] },
          },
        },
      },
    });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);

    const live = await apps.readNamespacedDeployment({ name: 'web', namespace });
    expect(live.spec?.replicas).toBe(1);
    expect(live.spec?.revisionHistoryLimit).toBe(10);
    expect(live.spec?.strategy?.type).toBe('RollingUpdate');
    expect(live.spec?.strategy?.rollingUpdate).toEqual({ maxSurge: '25%', maxUnavailable: '25%' });
    expect(live.spec?.template.spec?.containers[0]?.terminationMessagePolicy).toBe('File');
    expect(live.spec?.template.spec?.containers[0]?.args).toEqual(['gunicorn', '--workers=2', 'app:app']);
  });

  it('creates a Lease and renews it with an optimistic-concurrency update', async () => {
    const namespace = await uniqueNamespace('core');
    // Lease times are MicroTime: the API server parses exactly six fractional digits and answers 400 to a
    // plain Date's toISOString() (three). client-node's V1MicroTime serialises the six.
    const acquired = new V1MicroTime('2026-01-01T00:00:00.000Z');
    const lease = await coordination.createNamespacedLease({
      namespace,
      body: { metadata: { name: 'pytuner-leader' }, spec: { holderIdentity: 'pytuner-0', leaseDurationSeconds: 15, acquireTime: acquired, renewTime: acquired } },
    });
    expect(lease.spec?.holderIdentity).toBe('pytuner-0');
    expect(lease.spec?.leaseDurationSeconds).toBe(15);

    const renewed = new V1MicroTime('2026-01-01T00:00:10.000Z');
    const updated = await coordination.replaceNamespacedLease({ name: 'pytuner-leader', namespace, body: { ...lease, spec: { ...lease.spec, renewTime: renewed } } });
    expect(new Date(updated.spec?.renewTime ?? 0).getTime()).toBe(renewed.getTime());
    expect(Number(updated.metadata?.resourceVersion)).toBeGreaterThan(Number(lease.metadata?.resourceVersion));

    // A second writer still holding the old resourceVersion loses: that is what makes a Lease a lock.
    const stale = { ...lease, spec: { ...lease.spec, holderIdentity: 'pytuner-1', renewTime: renewed } };
    const conflict = await apiFailure(coordination.replaceNamespacedLease({ name: 'pytuner-leader', namespace, body: stale }));
    expect(conflict.httpStatus).toBe(409);
    expect(conflict.message).toContain('the object has been modified; please apply your changes to the latest version and try again');

    const plainDate = await apiFailure(
      coordination.createNamespacedLease({ namespace, body: { metadata: { name: 'plain-date' }, spec: { renewTime: new Date('2026-01-01T00:00:00.000Z') } } }),
    );
    expect(plainDate.httpStatus).toBe(400);
    expect(plainDate.message).toContain('cannot parse ".000Z" as ".000000"');
  });
});
