// Two `pytuner controller --leader-elect` processes on one Lease: one leads and writes, the other stands by; when the
// leader is SIGKILLed the other takes over within the lease duration and does not patch again (the cooldown recorded
// on the TuningRecommendation holds); SIGTERM shuts down gracefully, releasing the Lease, with exit code 0.
import { describe, expect, it, vi } from 'vitest';
import { adminClients, uniqueNamespace } from './harness/kube.ts';
import {
  GUNICORN_1X8,
  applyAs,
  create,
  eventsAbout,
  knativeService,
  markServiceReady,
  metricValue,
  operations,
  readService,
  recommendation,
  spawnController,
  tuningPolicy,
  type ControllerProcess,
} from './controller.support.ts';

// A new leader loads its reconciler before its workers start, and on a busy machine that blocked its event loop for
// 3.5 s (no renewal meanwhile): with a 3 s lease the standby took over then and both led once (the flake this caught).
const LEASE_MS = 8_000;
const RETRY_MS = 500;
const poll = { timeout: 30_000, interval: 100 };

function leaderArgs(namespace: string): string[] {
  return ['--namespace', namespace, '--leader-elect', '--lease-namespace', namespace, '--lease-name', 'pytuner', '--lease-duration', '8s', '--renew-deadline', '6s', '--retry-period', '500ms', '--shutdown-timeout', '5s'];
}

function becameLeader(p: ControllerProcess): boolean {
  return p.logs.some((l) => l['msg'] === 'became leader');
}

async function leaseHolder(namespace: string): Promise<string | undefined> {
  const lease = await adminClients().coordination.readNamespacedLease({ namespace, name: 'pytuner' });
  return lease.spec?.holderIdentity;
}

function identityOf(p: ControllerProcess): string {
  const line = p.logs.find((l) => l['msg'] === 'became leader');
  return String(line?.['identity']);
}

describe('controller leader election', () => {
  it('runs one leader of two; the other takes over after the leader is killed, without patching again', async () => {
    const namespace = await uniqueNamespace('ctl-leader');
    await applyAs(knativeService(namespace, 'orders', { args: GUNICORN_1X8 }), 'deploy-tool');
    await markServiceReady(namespace, 'orders');
    await create(tuningPolicy(namespace, 'apply', { mode: 'Apply', cooldown: '1h', patch: { containerConcurrency: true } }));

    const replicas = [spawnController(leaderArgs(namespace)), spawnController(leaderArgs(namespace))];
    await vi.waitFor(async () => expect((await readService(namespace, 'orders')).spec.template.spec['containerConcurrency']).toBe(8), poll);
    const leaders = replicas.filter(becameLeader);
    expect(leaders).toHaveLength(1);
    const leader = leaders[0]!;
    const standby = replicas.find((r) => r !== leader)!;
    expect(await leaseHolder(namespace)).toBe(identityOf(leader));
    const [leaderPort, standbyPort] = await Promise.all([leader.port(), standby.port()]);
    expect(metricValue((await operations(leaderPort, '/metrics')).body, 'pytuner_leader')).toBe(1);
    const standbyMetrics = (await operations(standbyPort, '/metrics')).body;
    expect(metricValue(standbyMetrics, 'pytuner_leader')).toBe(0);
    expect(metricValue(standbyMetrics, 'pytuner_reconciles_total{result="requeue"}')).toBeUndefined();
    expect((await operations(standbyPort, '/readyz')).body).toMatch(/\[\+\]controller: standing by as \S+/);
    const appliedAt = await vi.waitFor(async () => {
      const at = (await recommendation(namespace, 'service-orders'))?.status?.applied?.at;
      expect(at).toBeDefined();
      return at;
    }, poll);

    const killedAt = Date.now();
    leader.child.kill('SIGKILL');
    await vi.waitFor(async () => expect(becameLeader(standby)).toBe(true), { timeout: LEASE_MS + 10_000, interval: 50 });
    const takeoverMs = Date.now() - killedAt;
    // The standby takes the Lease once its record has not changed for the lease duration, checking every retry
    // period; a second of slack covers the API round trips on a busy machine.
    expect(takeoverMs).toBeLessThanOrEqual(LEASE_MS + 2 * RETRY_MS + 1_000);
    expect(await leaseHolder(namespace)).toBe(identityOf(standby));

    // The new leader reconciles the Service (a requeue result) and finds the cooldown running: no second patch.
    await vi.waitFor(async () => expect(metricValue((await operations(standbyPort, '/metrics')).body, 'pytuner_reconciles_total{result="requeue"}')).toBeGreaterThanOrEqual(1), poll);
    const live = await readService(namespace, 'orders');
    expect(live.metadata?.generation).toBe(2);
    expect((await recommendation(namespace, 'service-orders'))?.status?.applied?.at).toBe(appliedAt);
    expect((await eventsAbout(namespace, 'orders')).filter((e) => e.reason === 'TuningApplied')).toHaveLength(1);
    expect(metricValue((await operations(standbyPort, '/metrics')).body, 'pytuner_patches_applied_total{kind="Service",field="containerConcurrency"}')).toBeUndefined();

    // Graceful shutdown: SIGTERM → in-flight work finishes, the Lease is released, exit code 0.
    standby.child.kill('SIGTERM');
    expect(await standby.exited).toBe(0);
    expect(await leaseHolder(namespace)).toBe('');
    expect(standby.logs.map((l) => l['msg'])).toEqual(expect.arrayContaining(['signal received', 'released the lease', 'stopped']));
  });
});
