// Three `pytuner controller --shard N --total-shards 3` processes on the real API server, watching every namespace:
// each namespace's workloads and TuningPolicy are reconciled by exactly one shard, the one FNV-1a(namespace) mod 3
// names, and the others never touch them (they are not even enqueued: no log line about them). Shard 1 runs two
// replicas electing a leader on its own Lease; when its leader is SIGKILLed the standby takes over the shard's work.
// This needs a control plane of its own: the shards watch all namespaces, and the shared control plane's namespaces
// belong to other test files (some with Apply policies) that must see no second controller. The real Knative webhook
// admits its Knative Services, as on the shared one.
import { randomBytes } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TuningRecommendation } from '../../src/api/v1alpha1/tuningRecommendation.ts';
import { shardOf } from '../../src/controller/shard.ts';
import { startControlPlane, type ControlPlane } from './harness/controlPlane.ts';
import { clientsFor, type Clients } from './harness/kube.ts';
import { startKnativeWebhook, type KnativeWebhook } from './harness/knative.ts';
import { GUNICORN_1X8, knativeService, spawnController, tuningPolicy, type ControllerProcess } from './controller.support.ts';

const TOTAL = 3;
const NAMESPACES_PER_SHARD = 2;
// Generous timings: on a loaded machine a leader that misses its renew deadline would hand its shard to the standby early.
const LEASE_MS = 8_000;
const poll = { timeout: 45_000, interval: 200 };

/** `perShard` namespace names for each shard, found by hashing candidates (so every shard has work). */
function namespacesByShard(perShard: number): string[][] {
  const prefix = `shards-${randomBytes(3).toString('hex')}`;
  const byShard: string[][] = Array.from({ length: TOTAL }, () => []);
  for (let i = 0; byShard.some((list) => list.length < perShard); i++) {
    const namespace = `${prefix}-${i}`;
    const list = byShard[shardOf(namespace, TOTAL)]!;
    if (list.length < perShard) list.push(namespace);
  }
  return byShard;
}

function deployment(namespace: string, name: string): KubernetesObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'python:3.13-slim', args: GUNICORN_1X8 }] } },
    },
  } as KubernetesObject;
}

/** The namespaces a controller process logged a reconcile about (lines carrying a target's kind and namespace). */
function namespacesReconciledBy(process: ControllerProcess): Set<string> {
  return new Set(
    process.logs
      .filter((l) => ['Service', 'Deployment', 'TuningPolicy'].includes(String(l['kind'])) && typeof l['namespace'] === 'string')
      .map((l) => String(l['namespace'])),
  );
}

function becameLeader(process: ControllerProcess): boolean {
  return process.logs.some((l) => l['msg'] === 'became leader');
}

describe('controller shards', () => {
  let controlPlane: ControlPlane;
  let webhook: KnativeWebhook | undefined;
  let api: Clients;

  beforeAll(async () => {
    controlPlane = await startControlPlane();
    webhook = await startKnativeWebhook(controlPlane);
    api = clientsFor(controlPlane.kubeconfigPath);
  });
  afterAll(async () => {
    await webhook?.stop();
    await controlPlane?.stop();
  });

  async function recommendation(namespace: string, name: string): Promise<TuningRecommendation | undefined> {
    try {
      return (await api.custom.getNamespacedCustomObject({ group: 'pytuner.dev', version: 'v1alpha1', namespace, plural: 'tuningrecommendations', name })) as TuningRecommendation;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }

  async function expectRecommended(namespace: string, names: string[]): Promise<void> {
    await vi.waitFor(async () => {
      for (const name of names) expect((await recommendation(namespace, name))?.status?.findings, `${namespace}/${name}`).toBeDefined();
    }, poll);
  }

  function spawnShard(index: number, leaseNamespace: string): ControllerProcess {
    return spawnController([
      '--kubeconfig', controlPlane.kubeconfigPath,
      '--shard', String(index), '--total-shards', String(TOTAL),
      '--leader-elect', '--lease-namespace', leaseNamespace, '--lease-name', 'pytuner',
      '--lease-duration', '8s', '--renew-deadline', '6s', '--retry-period', '1s',
      '--shutdown-timeout', '5s', '--log-level', 'debug',
    ]);
  }

  it('reconciles each namespace in exactly one shard, and a standby of a killed shard takes over its work', async () => {
    const byShard = namespacesByShard(NAMESPACES_PER_SHARD);
    const leaseNamespace = `shards-leases-${randomBytes(3).toString('hex')}`;
    for (const namespace of [...byShard.flat(), leaseNamespace]) await api.core.createNamespace({ body: { metadata: { name: namespace } } });
    for (const namespace of byShard.flat()) {
      await api.objects.create(tuningPolicy(namespace, 'default', { mode: 'Recommend', selector: { kinds: ['Service', 'Deployment'] } }));
      await api.objects.create(knativeService(namespace, 'orders', { containerConcurrency: 80, args: GUNICORN_1X8 }));
      await api.objects.create(deployment(namespace, 'reports'));
    }

    const shards = [spawnShard(0, leaseNamespace), spawnShard(1, leaseNamespace), spawnShard(2, leaseNamespace)];
    await vi.waitFor(() => expect(shards.every(becameLeader)).toBe(true), poll);
    // A second replica of shard 1, started once the first leads: it stands by on the same Lease.
    const standby = spawnShard(1, leaseNamespace);
    await vi.waitFor(() => expect(standby.logs.some((l) => l['msg'] === 'controller started')).toBe(true), poll);

    for (const namespace of byShard.flat()) await expectRecommended(namespace, ['service-orders', 'deployment-reports']);
    await vi.waitFor(() => shards.forEach((shard, index) => expect([...namespacesReconciledBy(shard)].sort()).toEqual([...byShard[index]!].sort())), poll);
    expect(namespacesReconciledBy(standby)).toEqual(new Set());
    expect(becameLeader(standby)).toBe(false);
    // Every log line of a shard says which shard wrote it.
    expect(new Set(shards[2]!.logs.map((l) => l['shard']))).toEqual(new Set(['2/3']));

    const leases = await api.coordination.listNamespacedLease({ namespace: leaseNamespace });
    expect(leases.items.map((l) => l.metadata?.name).sort()).toEqual(['pytuner-shard-0', 'pytuner-shard-1', 'pytuner-shard-2']);
    const holders = await Promise.all(shards.map((shard) => shard.port().then(() => shard.logs.find((l) => l['msg'] === 'became leader')?.['identity'])));
    expect(leases.items.sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '')).map((l) => l.spec?.holderIdentity)).toEqual(holders);

    // Shard 1's leader dies; its standby takes the Lease within the lease duration and reconciles shard 1's namespaces.
    shards[1]!.child.kill('SIGKILL');
    await shards[1]!.exited;
    await vi.waitFor(() => expect(becameLeader(standby)).toBe(true), { timeout: LEASE_MS + 15_000, interval: 100 });
    const [first, second] = byShard[1]!;
    await api.objects.create(knativeService(first!, 'payments', { containerConcurrency: 80, args: GUNICORN_1X8 }));
    await api.objects.create(deployment(second!, 'exports'));
    await expectRecommended(first!, ['service-payments']);
    await expectRecommended(second!, ['deployment-exports']);
    await vi.waitFor(() => expect([...namespacesReconciledBy(standby)].sort()).toEqual([...byShard[1]!].sort()), poll);
    expect(standby.logs.some((l) => l['name'] === 'payments' && l['namespace'] === first)).toBe(true);
    // The surviving shards saw the new workloads in their caches, and left them alone.
    for (const index of [0, 2]) expect([...namespacesReconciledBy(shards[index]!)].sort()).toEqual([...byShard[index]!].sort());
  }, 120_000);
});
