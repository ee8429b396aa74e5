// The Git-first path on the real API server with the real Knative webhook: the controller in Recommend mode puts
// each workload's fix (Core's JSON Patch) on its TuningRecommendation; `pytuner recommendations export --fix` applies
// it to a copy of the GitOps manifests, matching the object by identity (this manifest has no namespace, as GitOps
// repositories often leave it to the sync); `pytuner report` on the copy no longer finds what the patch fixed, and
// the file keeps its comments. `-d` writes the same patches as files.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import { uniqueNamespace } from './harness/kube.ts';
import { repoRoot } from './harness/paths.ts';
import { kubectl } from './chart.support.ts';
import { create, recommendation, startTestController, tuningPolicy } from './controller.support.ts';

const poll = { timeout: 30_000, interval: 200 };

const MANIFEST = `# orders: the shop's API (owned by team-shop)
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: orders
spec:
  template:
    spec:
      containerConcurrency: 80 # set by hand in 2024
      containers:
        - name: app
          image: europe-docker.pkg.dev/demo/app:1.0.0
          args: ["gunicorn", "--bind", ":8080", "--workers", "2", "--threads", "8", "app:app"]
          resources:
            limits:
              cpu: "2"
              memory: 1Gi
`;

/** Runs the CLI from source with this Node; resolves with its exit code and output. */
function pytuner(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(repoRoot, 'src/cli/main.ts'), ...args], { cwd: repoRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

async function reportedRules(dir: string): Promise<string[]> {
  const result = await pytuner(['report', '-f', dir, '-o', 'json']);
  return (JSON.parse(result.stdout) as { findings: Array<{ rule: string }> }).findings.map((f) => f.rule);
}

const scratch = mkdtempSync(join(tmpdir(), 'pytuner-gitops-export-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('recommendations export (Git-first)', () => {
  it('applies the fix the controller recommends to a copy of the GitOps manifests; the report on the copy no longer finds what it fixed', async () => {
    const namespace = await uniqueNamespace('gitops-export');
    const repo = join(scratch, 'repo');
    writeFileSync(join(scratch, 'orders.yaml'), MANIFEST);
    const deployed = await kubectl(['apply', '-n', namespace, '-f', join(scratch, 'orders.yaml')]);
    expect(deployed.code).toBe(0);
    await create(tuningPolicy(namespace, 'recommend', { mode: 'Recommend' }));
    await startTestController(namespace);

    const fix = await vi.waitFor(async () => {
      const f = (await recommendation(namespace, 'service-orders'))?.status?.fix;
      expect(f?.rules.length).toBeGreaterThan(0);
      return f!;
    }, poll);
    // Core's patch, as report --fix makes it from the same object: a test of the value read, then the change.
    expect(JSON.parse(fix.jsonPatch)).toEqual(expect.arrayContaining([{ op: 'replace', path: '/spec/template/spec/containerConcurrency', value: expect.any(Number) }]));

    cpSync(join(scratch, 'orders.yaml'), join(repo, 'services', 'orders.yaml'), { recursive: true });
    const before = await reportedRules(repo);
    expect(before).toEqual(expect.arrayContaining(fix.rules));

    const kubeconfig = inject('controlPlane').kubeconfigPath;
    const exported = await pytuner(['recommendations', 'export', '--kubeconfig', kubeconfig, '-n', namespace, '--fix', repo]);
    expect(exported.stderr).toContain(`fixed Service ${namespace}/orders in ${join(repo, 'services', 'orders.yaml')}`);
    expect(exported.code).toBe(0);

    const after = await reportedRules(repo);
    for (const rule of fix.rules) expect(after).not.toContain(rule);
    expect(after.length).toBeLessThan(before.length);
    const edited = readFileSync(join(repo, 'services', 'orders.yaml'), 'utf8');
    expect(edited).toContain('# orders: the shop\'s API (owned by team-shop)');
    expect(edited).toMatch(/containerConcurrency: \d+ # set by hand in 2024/);
    expect(edited).not.toContain('namespace:');
    // Never rendered differently: report --fix on the same manifest makes the same edit.
    const byReport = join(scratch, 'by-report');
    cpSync(join(scratch, 'orders.yaml'), join(byReport, 'orders.yaml'));
    await pytuner(['report', '-f', byReport, '--fix', '-o', 'json']);
    expect(edited).toBe(readFileSync(join(byReport, 'orders.yaml'), 'utf8'));
    expect(edited).not.toBe(MANIFEST);

    const dir = join(scratch, 'patches');
    const written = await pytuner(['recommendations', 'export', '--kubeconfig', kubeconfig, '-n', namespace, '-d', dir]);
    expect(written.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, namespace, 'service-orders.json'), 'utf8'))).toEqual(JSON.parse(fix.jsonPatch));
  });

  it('says which workload it could not match in the checkout, and exits 2', async () => {
    const namespace = await uniqueNamespace('gitops-export-miss');
    writeFileSync(join(scratch, 'miss.yaml'), MANIFEST);
    expect((await kubectl(['apply', '-n', namespace, '-f', join(scratch, 'miss.yaml')])).code).toBe(0);
    await create(tuningPolicy(namespace, 'recommend', { mode: 'Recommend' }));
    await startTestController(namespace);
    await vi.waitFor(async () => expect((await recommendation(namespace, 'service-orders'))?.status?.fix?.rules.length).toBeGreaterThan(0), poll);

    const empty = join(scratch, 'empty');
    cpSync(join(scratch, 'miss.yaml'), join(empty, 'other.yaml'));
    writeFileSync(join(empty, 'other.yaml'), MANIFEST.replace('name: orders', 'name: payments'));
    const exported = await pytuner(['recommendations', 'export', '--kubeconfig', inject('controlPlane').kubeconfigPath, '-n', namespace, '--fix', empty]);
    expect(exported.code).toBe(2);
    expect(exported.stderr).toContain(`not fixed: Service ${namespace}/orders`);
    expect(exported.stderr).toContain(`no serving.knative.dev/v1 Service orders in namespace ${namespace} (or without a namespace) in the checkout`);
    expect(readFileSync(join(empty, 'other.yaml'), 'utf8')).toBe(MANIFEST.replace('name: orders', 'name: payments'));
  });
});
