// charts/pytuner with `shards: 3`: one Deployment (and PodDisruptionBudget) per shard, each running
// `--shard=<i> --total-shards=3` and selecting only its own pods, and a leader-election Role that names exactly the
// Leases the shards elect on (src/controller/shard.ts). The rendered manifests pass the real API server (server-side
// dry run, strict field validation); the values schema refuses zero shards.
import type { KubernetesObject, V1Deployment, V1PodDisruptionBudget, V1Role } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { shardLeaseName } from '../../src/controller/shard.ts';
import { uniqueNamespace } from './harness/kube.ts';
import { CHART_DIR, HELM_BUILD_TIMEOUT_MS, helm, helmBinary, kubectl, only, render, uniqueRelease, valuesFile } from './chart.support.ts';

beforeAll(() => helmBinary().then(() => undefined), HELM_BUILD_TIMEOUT_MS);

function ofKind<T>(objects: KubernetesObject[], kind: string): T[] {
  return objects.filter((o) => o.kind === kind) as T[];
}

describe('helm template with shards', () => {
  it('renders one Deployment and PodDisruptionBudget per shard, each with its own pods and Lease', async () => {
    const objects = await render('pt', 'pytuner-system', { shards: 3 });
    const deployments = ofKind<V1Deployment>(objects, 'Deployment');
    expect(deployments.map((d) => d.metadata?.name)).toEqual(['pt-pytuner-shard-0', 'pt-pytuner-shard-1', 'pt-pytuner-shard-2']);
    deployments.forEach((deployment, index) => {
      const selector = deployment.spec?.selector.matchLabels;
      expect(selector).toEqual({ 'app.kubernetes.io/name': 'pytuner', 'app.kubernetes.io/instance': 'pt', 'pytuner.dev/shard': String(index) });
      expect(deployment.spec?.replicas).toBe(2);
      expect(deployment.spec?.template.metadata?.labels).toMatchObject(selector!);
      const args = deployment.spec?.template.spec?.containers[0]?.args ?? [];
      expect(args).toEqual(expect.arrayContaining([`--shard=${index}`, '--total-shards=3', '--lease-name=pt-pytuner', '--leader-elect']));
      expect(deployment.spec?.template.spec?.topologySpreadConstraints?.[0]?.labelSelector?.matchLabels).toEqual(selector);
    });

    const budgets = ofKind<V1PodDisruptionBudget>(objects, 'PodDisruptionBudget');
    expect(budgets.map((b) => [b.metadata?.name, b.spec?.selector?.matchLabels?.['pytuner.dev/shard']])).toEqual([
      ['pt-pytuner-shard-0', '0'],
      ['pt-pytuner-shard-1', '1'],
      ['pt-pytuner-shard-2', '2'],
    ]);

    // The Role lets the replicas renew exactly the Leases the controller elects on, and no other.
    const role = only<V1Role>(objects, 'Role', 'pt-pytuner-leader-election');
    const leaseNames = [0, 1, 2].map((index) => shardLeaseName('pt-pytuner', { index, total: 3 }));
    expect(role.rules?.find((r) => r.verbs.includes('update'))?.resourceNames).toEqual(leaseNames);
    // One metrics Service in front of every shard's pods.
    expect(ofKind<KubernetesObject & { spec: { selector: Record<string, string> } }>(objects, 'Service').map((s) => s.spec.selector)).toEqual([
      { 'app.kubernetes.io/name': 'pytuner', 'app.kubernetes.io/instance': 'pt' },
    ]);
  });

  it('renders the unsharded chart without shard flags or labels for shards: 1', async () => {
    const objects = await render('pt', 'pytuner-system', { shards: 1 });
    const deployment = only<V1Deployment>(objects, 'Deployment');
    expect(deployment.metadata?.name).toBe('pt-pytuner');
    expect(deployment.spec?.template.spec?.containers[0]?.args?.filter((a) => a.includes('shard'))).toEqual([]);
    expect(JSON.stringify(objects)).not.toContain('pytuner.dev/shard');
    expect(only<V1Role>(objects, 'Role').rules?.find((r) => r.verbs.includes('update'))?.resourceNames).toEqual(['pt-pytuner']);
  });

  it('refuses zero shards through the values schema', async () => {
    const result = await helm(['template', 'pt', CHART_DIR, '-f', await valuesFile({ shards: 0 })]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("at '/shards': minimum: got 0, want 1");
  });

  it('passes a server-side dry run with strict field validation on the real API server', async () => {
    const namespace = await uniqueNamespace('chart-shards');
    const release = uniqueRelease('shards');
    const objects = await render(release, namespace, { shards: 3 });
    const manifest = objects.map((o) => JSON.stringify(o)).join('\n---\n');
    const applied = await kubectl(['apply', '--server-side', '--dry-run=server', '--field-manager=pytuner-chart-test', '--validate=strict', '-f', '-'], manifest);
    expect(applied.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('I'))).toEqual([]);
    expect(applied.code).toBe(0);
    const lines = applied.stdout.trim().split('\n');
    for (const index of [0, 1, 2]) {
      expect(lines).toContain(`deployment.apps/${release}-pytuner-shard-${index} serverside-applied (server dry run)`);
      expect(lines).toContain(`poddisruptionbudget.policy/${release}-pytuner-shard-${index} serverside-applied (server dry run)`);
    }
  });
});
