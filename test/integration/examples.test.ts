// The bundled examples must be objects a real cluster accepts: each one is sent to the real kube-apiserver
// (Knative Serving and Config Connector CRD schemas installed) with server-side dry run and strict field
// validation, so a typo or a field the schema does not know fails here instead of in a user's cluster.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { dump, loadAll } from 'js-yaml';
import { describe, expect, inject, it } from 'vitest';
import { uniqueNamespace } from './harness/kube.ts';
import { repoRoot } from './harness/paths.ts';

const examples = join(repoRoot, 'examples');
const manifests = readdirSync(examples, { recursive: true, encoding: 'utf8' })
  .filter((f) => /\.ya?ml$/.test(f))
  .sort()
  .map((f) => relative(repoRoot, join(examples, f)));

describe('examples/ against the real API server', () => {
  it('has manifests to check', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(6);
  });

  it.each(manifests)('%s is accepted by server-side dry run with strict field validation', async (file) => {
    const { kubeconfigPath, binDir } = inject('controlPlane');
    const namespace = await uniqueNamespace('example');
    // Examples name their own namespaces (a Cloud Run project number, `shop`); move them into the test's one.
    const docs = loadAll(readFileSync(join(repoRoot, file), 'utf8')).filter((d) => d !== null) as Array<{ kind: string; metadata: Record<string, unknown> }>;
    for (const doc of docs) doc.metadata.namespace = namespace;
    const input = docs.map((d) => dump(d)).join('---\n');

    const run = spawnSync(join(binDir, 'kubectl'), ['--kubeconfig', kubeconfigPath, 'apply', '--dry-run=server', '--validate=strict', '-f', '-'], { input, encoding: 'utf8' });

    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(docs.length);
    expect(run.stdout).toMatch(/\(server dry run\)$/m);
  });
});
