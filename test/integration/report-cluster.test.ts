// `pytuner report --cluster` against the real kube-apiserver: the example workloads are created in two namespaces and
// written to files as stored (after admission: the real Knative webhook's for the Knative Service); the report from
// the files (-f) and the one from the live objects must say the same things about the same objects. The restricted identity shows what a narrower RBAC role gives: a report
// and a note naming the kind it could not list. The CLI runs from src/cli/main.ts (see metrics-cli.test.ts).
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump, load, loadAll } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { RESTRICTED_USER } from './harness/controlPlane.ts';
import { adminClients, restrictedClients, uniqueNamespace } from './harness/kube.ts';
import { KNATIVE_WEBHOOK_EXCLUDE_LABEL } from './harness/knative.ts';
import { repoRoot } from './harness/paths.ts';
import { startExamplePrometheus } from '../support/metricsReport.ts';

const MAIN = join(repoRoot, 'src/cli/main.ts');
const RBAC_FILE = join(repoRoot, 'docs/rbac/report-cluster.yaml');
// Every example manifest but the source deploy (its server command is in a Procfile beside it, which only -f reads).
const EXAMPLES = ['cloudrun-checkout', 'cloudrun-clean', 'cloudrun-fastapi', 'gke-reports', 'gke-search-wif', 'knative-orders'];

type Doc = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };

interface JsonFinding {
  rule: string;
  message: string;
  target: { kind: string; namespace: string | null; name: string; container: string | null; file: string | null };
}
interface JsonReport {
  findings: JsonFinding[];
  errors: unknown[];
  notes: string[];
  summary: { workloads: number; objects: number };
}

function pytuner(args: readonly string[]) {
  const result = spawnSync(process.execPath, [MAIN, ...args], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', KUBECONFIG: '' }, timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function identities(report: JsonReport): string[] {
  return report.findings.map((f) => [f.rule, f.target.kind, f.target.namespace, f.target.name, f.target.container, f.message].join(' | ')).sort();
}

describe('pytuner report --cluster', () => {
  let work: string;
  let first: string;
  let second: string;
  let docs: Doc[];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'pytuner-report-cluster-'));
    // The Cloud Run services (serviceAccountName is an IAM e-mail) are Cloud Run's API, not Knative's: the Knative
    // webhook is told to skip their namespace, as in examples.test.ts. The Knative Service (knative-orders) lives in
    // the first namespace, which Knative admits: defaulted and validated as on a cluster.
    const cloudRunApi = { [KNATIVE_WEBHOOK_EXCLUDE_LABEL]: 'cloud-run-api' };
    [first, second] = [await uniqueNamespace('live'), await uniqueNamespace('live', cloudRunApi)];
    // The examples' own namespaces (a Cloud Run project number, shop, analytics, search) mapped onto the test's two.
    const moved: Record<string, string> = { shop: first, analytics: first, search: second, '123456789012': second };
    docs = [];
    const { objects } = adminClients();
    for (const example of EXAMPLES) {
      const dir = join(repoRoot, 'examples', example);
      const stored: unknown[] = [];
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
        for (const doc of loadAll(readFileSync(join(dir, file), 'utf8')) as Doc[]) {
          if (doc === null) continue;
          doc.metadata.namespace = moved[doc.metadata.namespace ?? ''] ?? first;
          docs.push(doc);
          // The files hold the objects as the API server stored them (as `kubectl get -o yaml` writes them): admission
          // defaults what the manifest leaves out (Knative: containerConcurrency 0, timeoutSeconds 300), so the same
          // objects are compared. Through JSON: the client holds timestamps as Dates, the API writes strings.
          stored.push(JSON.parse(JSON.stringify(await objects.create(doc))));
        }
      }
      writeFileSync(join(work, `${example}.yaml`), stored.map((d) => dump(d)).join('---\n'));
    }
  });

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('finds in the live objects what -f finds in the same objects as files', () => {
    const { kubeconfigPath } = inject('controlPlane');
    const files = pytuner(['report', '-f', work, '-o', 'json']);
    const live = pytuner(['report', '--cluster', '--kubeconfig', kubeconfigPath, '-n', first, '-n', second, '-o', 'json']);

    expect(files.stderr).toBe('');
    expect(live.stderr).toBe('');
    expect([files.status, live.status]).toEqual([0, 0]);
    const fromFiles = JSON.parse(files.stdout) as JsonReport;
    const fromCluster = JSON.parse(live.stdout) as JsonReport;
    expect(fromFiles.findings.length).toBeGreaterThanOrEqual(8);
    expect(identities(fromCluster)).toEqual(identities(fromFiles));
    // The Knative Service went through Knative's webhook: the containerConcurrency the example leaves out is stored as 0.
    const unbounded = fromCluster.findings.find((f) => f.rule === 'concurrency.unbounded' && f.target.name === 'orders');
    expect(unbounded?.message).toMatch(/^containerConcurrency 0 \(unlimited on Knative\) sends any number of requests/);
    expect(fromCluster.summary.workloads).toBe(fromFiles.summary.workloads);
    expect(fromCluster.summary.objects).toBe(docs.length);
    // Identity is the object: no invented file names.
    expect(fromCluster.findings.every((f) => f.target.file === null)).toBe(true);
    expect(fromFiles.findings.every((f) => f.target.file?.startsWith(work) === true)).toBe(true);
    expect(fromCluster.notes).toEqual([]);
  });

  it('agrees with -f on measured load too: the same metrics findings from the same Prometheus', async () => {
    const { kubeconfigPath } = inject('controlPlane');
    const { prometheus, metricsArgs } = await startExamplePrometheus({ orders: first, reports: first });
    try {
      const files = pytuner(['report', '-f', join(work, 'knative-orders.yaml'), '-f', join(work, 'gke-reports.yaml'), ...metricsArgs, '-o', 'json']);
      const live = pytuner(['report', '--cluster', '--kubeconfig', kubeconfigPath, '-n', first, ...metricsArgs, '-o', 'json']);
      expect(live.stderr).toBe('');
      expect([files.status, live.status]).toEqual([0, 0]);
      const fromFiles = JSON.parse(files.stdout) as JsonReport;
      const fromCluster = JSON.parse(live.stdout) as JsonReport;
      const measured = (r: JsonReport) => identities(r).filter((line) => line.startsWith('metrics.'));
      expect(measured(fromFiles).length).toBeGreaterThanOrEqual(4);
      expect(measured(fromCluster)).toEqual(measured(fromFiles));
      expect(identities(fromCluster)).toEqual(identities(fromFiles));
    } finally {
      await prometheus.stop();
    }
  });

  it('reads only the labelled workloads with -l, and one namespace with -n', () => {
    const { kubeconfigPath } = inject('controlPlane');
    const labelled = pytuner(['report', '--cluster', '--kubeconfig', kubeconfigPath, '-n', first, '-n', second, '-l', 'app=reports', '-o', 'json']);
    const names = new Set((JSON.parse(labelled.stdout) as JsonReport).findings.filter((f) => f.target.kind !== 'ServiceAccount').map((f) => `${f.target.namespace}/${f.target.name}`));
    expect(names).toEqual(new Set([`${first}/reports`]));

    const one = pytuner(['report', '--cluster', '--kubeconfig', kubeconfigPath, '-n', second, '-o', 'json']);
    const namespaces = new Set((JSON.parse(one.stdout) as JsonReport).findings.map((f) => f.target.namespace));
    expect(namespaces).toEqual(new Set([second]));
  });

  it('gives a report and a note naming the kind when the identity may not list it (exit 2)', async () => {
    const { restrictedKubeconfigPath } = inject('controlPlane');
    const { rbac } = adminClients();
    // Everything but IAMPolicyMembers.
    await rbac.createNamespacedRole({
      namespace: first,
      body: {
        metadata: { name: 'report-without-iam-members' },
        rules: [
          { apiGroups: ['serving.knative.dev'], resources: ['services'], verbs: ['list'] },
          { apiGroups: ['apps'], resources: ['deployments'], verbs: ['list'] },
          { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['list'] },
          { apiGroups: ['iam.cnrm.cloud.google.com'], resources: ['iampartialpolicies'], verbs: ['list'] },
        ],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: first,
      body: {
        metadata: { name: 'restricted-reports' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'report-without-iam-members' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: RESTRICTED_USER }],
      },
    });
    // The authorizer reads RBAC from a cache: wait until the grant is in force.
    await vi.waitFor(() => restrictedClients().apps.listNamespacedDeployment({ namespace: first }), { timeout: 10_000, interval: 100 });

    const run = pytuner(['report', '--cluster', '--kubeconfig', restrictedKubeconfigPath, '-n', first, '-o', 'json']);
    expect(run.status).toBe(2);
    const report = JSON.parse(run.stdout) as JsonReport;
    expect(report.notes).toEqual([
      `IAMPolicyMembers in namespace ${first} were not read: this identity may not list iampolicymembers.iam.cnrm.cloud.google.com (403: iampolicymembers.iam.cnrm.cloud.google.com is forbidden: User "${RESTRICTED_USER}" cannot list resource "iampolicymembers" in API group "iam.cnrm.cloud.google.com" in the namespace "${first}")`,
    ]);
    expect(run.stderr).toBe(`pytuner: note: ${report.notes[0]}\n`);
    // The rest was read: the workloads of the namespace are reported.
    expect(new Set(report.findings.map((f) => f.target.name))).toEqual(new Set(['orders', 'reports']));

    const table = pytuner(['report', '--cluster', '--kubeconfig', restrictedKubeconfigPath, '-n', first]);
    expect(table.stdout).toContain(`Notes:\n- IAMPolicyMembers in namespace ${first} were not read`);
  });

  it('needs no more than the shipped read-only ClusterRole', async () => {
    const { kubeconfigPath, restrictedKubeconfigPath } = inject('controlPlane');
    const role = load(readFileSync(RBAC_FILE, 'utf8')) as Doc & { rules: { verbs: string[] }[] };
    expect(new Set(role.rules.flatMap((r) => r.verbs))).toEqual(new Set(['get', 'list']));
    const { rbac, objects } = adminClients();
    const name = `${role.metadata.name}-${second}`;
    await objects.create({ ...role, metadata: { ...role.metadata, name } });
    await rbac.createNamespacedRoleBinding({
      namespace: second,
      body: {
        metadata: { name: 'pytuner-report' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: RESTRICTED_USER }],
      },
    });
    await vi.waitFor(() => restrictedClients().custom.listNamespacedCustomObject({ group: 'iam.cnrm.cloud.google.com', version: 'v1beta1', namespace: second, plural: 'iampolicymembers' }), { timeout: 10_000, interval: 100 });

    const restricted = pytuner(['report', '--cluster', '--kubeconfig', restrictedKubeconfigPath, '-n', second, '-o', 'json']);
    const admin = pytuner(['report', '--cluster', '--kubeconfig', kubeconfigPath, '-n', second, '-o', 'json']);
    expect(restricted.stderr).toBe('');
    expect(restricted.status).toBe(0);
    const report = JSON.parse(restricted.stdout) as JsonReport;
    expect(report.notes).toEqual([]);
    expect(report.findings.length).toBeGreaterThan(0);
    expect(identities(report)).toEqual(identities(JSON.parse(admin.stdout) as JsonReport));
  });

  it('stops with a clear error when the API server cannot be reached', async () => {
    // A port that was just free: nothing listens there.
    const port = await new Promise<number>((done) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as { port: number };
        server.close(() => done(free));
      });
    });
    const kubeconfig = join(work, 'unreachable.kubeconfig');
    writeFileSync(
      kubeconfig,
      dump({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'c', cluster: { server: `https://127.0.0.1:${port}` } }], users: [{ name: 'u', user: { token: 't' } }], contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }], 'current-context': 'x' }),
    );
    const run = pytuner(['report', '--cluster', '--kubeconfig', kubeconfig]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(new RegExp(`^pytuner: error: cannot reach the API server https://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));

    const unknown = pytuner(['report', '--cluster', '--kubeconfig', kubeconfig, '--context', 'prod']);
    expect(unknown.stderr).toBe('pytuner: error: the kubeconfig has no context "prod" (it has: x)\n');
    expect(unknown.status).toBe(2);
  });
});
