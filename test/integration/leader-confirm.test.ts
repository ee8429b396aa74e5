// LeaderElector.confirm against a real API server: a leader that did not renew for the lease duration (its event loop
// blocked, as loading the reconciler did for 3.5 s on a busy machine) finds the Lease taken and stops leading before it
// starts workers; one that still holds it renews and goes on.
import { describe, expect, it } from 'vitest';
import { LeaderElector } from '../../src/controller/leader.ts';
import { createLogger } from '../../src/controller/log.ts';
import { adminClients, uniqueNamespace } from './harness/kube.ts';

const timing = { leaseDurationMs: 1_000, renewDeadlineMs: 800, retryPeriodMs: 100 };

function elector(namespace: string, identity: string): LeaderElector {
  return new LeaderElector({ kubeConfig: adminClients().kubeConfig, namespace, name: 'confirm', identity, timing, log: createLogger({ level: 'silent' }) });
}

async function holder(namespace: string): Promise<string | undefined> {
  return (await adminClients().coordination.readNamespacedLease({ namespace, name: 'confirm' })).spec?.holderIdentity;
}

describe('LeaderElector.confirm', () => {
  it('renews a Lease still held, and gives up one a standby took while the leader did not renew', async () => {
    const namespace = await uniqueNamespace('leader-confirm');
    const first = elector(namespace, 'first');
    const second = elector(namespace, 'second');
    expect(await first.acquire()).toBe(true);
    expect(await first.confirm()).toBe(true);
    expect(first.leading).toBe(true);

    // `first` does not renew (no holdUntilLost): `second` takes the Lease once its record is a lease duration old.
    expect(await second.acquire()).toBe(true);
    expect(await holder(namespace)).toBe('second');
    expect(await first.confirm()).toBe(false);
    expect(first.leading).toBe(false);
    expect(await holder(namespace)).toBe('second');
    second.stop();
  });
});
