/**
 * The built CLI over test/fixtures/realistic/input-repo: a repository shaped like the ones pytuner is pointed at in
 * the wild (JSON data, JSONC, NDJSON, kustomize patches, CloudFormation and mkdocs tags, a Helm chart, empty files,
 * a flow sequence closed at its key's indentation, an envsubst placeholder, a stale profiler ENV). The expected
 * findings and skipped counts below are written by hand from what an expert applying the Cloud Run / GKE Python
 * guides expects of each file; they are not computed by pytuner.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportDocumentSchema } from '../../src/output/reportSchema.ts';
import { GITHUB_COMMENT_LIMIT } from '../../src/output/markdown.ts';
import { pytuner, ROOT } from './run.ts';

let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'pytuner-realistic-'));
  cpSync(join(ROOT, 'test/fixtures/realistic/input-repo'), join(work, 'input-repo'), { recursive: true });
  // A 4 MB JSON data array, generated rather than committed: it must be skipped from its first bytes.
  const rows: string[] = [];
  let size = 2;
  for (let i = 0; size < 4 * 1024 * 1024; i++) {
    const row = JSON.stringify({ id: i, kind: 'sku', apiVersion: 1, name: `item-${i}`, price: (i % 997) / 10, tags: ['a', 'b'] });
    rows.push(row);
    size += row.length + 1;
  }
  writeFileSync(join(work, 'input-repo/data/catalog-export.json'), `[${rows.join(',')}]`);
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const report = (args: string[]) => pytuner(['report', '-f', 'input-repo', ...args], { cwd: work });

describe('pytuner report over a realistic repository', () => {
  it('exits 0 (1 with --fail-on warning), never 2: every file is valid, whatever it holds', () => {
    expect(statSync(join(work, 'input-repo/data/catalog-export.json')).size).toBeGreaterThanOrEqual(4 * 1024 * 1024);
    const run = report(['-o', 'json']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(report(['--fail-on', 'warning']).status).toBe(1);
  });

  it('counts the files that hold no Kubernetes object as skipped, by reason', () => {
    const doc = reportDocumentSchema.parse(JSON.parse(report(['-o', 'json']).stdout));
    expect(doc.errors).toEqual([]);
    expect(doc.summary.skippedFiles).toEqual({
      // docs/empty.yaml, docs/comments-only.yml
      empty: 2,
      // k8s/overlays/prod/replicas-patch.json
      'json-patch': 1,
      // k8s/overlays/prod/rollout-patch.yaml: a partial Deployment the overlay's kustomization names as a patch
      'kustomize-patch': 1,
      // data/catalog-export.json (generated, 4 MB)
      'not-an-object': 1,
      // package.json, tsconfig.json (JSONC), mkdocs.yml (!!python/name), infra/queues.yaml (!Ref, !GetAtt),
      // docs/compose.override.yaml (!reset), charts/web/Chart.yaml, charts/web/values.yaml,
      // k8s/overlays/prod/resources-patch.yaml (strategic-merge partial without apiVersion)
      'not-kubernetes': 8,
      // data/events.json (NDJSON)
      'not-yaml': 1,
      // charts/web/templates/deployment.yaml
      template: 1,
    });
    // The two kustomization.yaml files are Kubernetes-style objects of a kind pytuner does not read.
    expect(doc.summary.skipped).toEqual({ 'kustomize.config.k8s.io/v1beta1/Kustomization': 2 });
    // catalog, search, orders, reports; 25 files: 15 skipped, 6 manifests, 2 Dockerfiles, 2 requirements.txt.
    expect(doc.summary).toMatchObject({ workloads: 4, objects: 6, files: 25, errors: 0 });
  });

  it('reports exactly the findings an expert expects', () => {
    const doc = reportDocumentSchema.parse(JSON.parse(report(['-o', 'json']).stdout));
    const found = doc.findings.map((f) => [f.severity, f.rule, `${f.target.kind} ${f.target.namespace}/${f.target.name}`, f.target.file]);
    expect(found).toEqual([
      // 1 worker on a 2-vCPU limit: one GIL-bound process, half the CPU idle. The Deployment's flow sequences, closed
      // at their keys' indentation, are read (the command and port come from them).
      ['warning', 'gunicorn.workers-vs-cpu', 'Deployment shop/catalog', 'input-repo/k8s/base/deployment.yaml'],
      // uvicorn --workers 4 (its process manager's socket lacks TCP_NODELAY); `replicas: ${REPLICAS}` does not drop it.
      ['warning', 'uvicorn.workers', 'Deployment shop/search', 'input-repo/k8s/envsubst/deployment.yaml'],
      // The agent is installed from requirements.txt (g++ is the Alpine toolchain, so no alpine-build finding), and the
      // un-annotated KSA has no grant among the inputs.
      ['critical', 'profiler.iam-role', 'Deployment analytics/reports', 'input-repo/services/reports/deployment.yaml'],
      // The same agent on python:3.12-alpine: the Cloud Profiler Python agent does not support Python above 3.11.
      ['warning', 'profiler.python-version', 'Deployment analytics/reports', 'input-repo/services/reports/deployment.yaml'],
      // services/orders: 1 × 8 slots = containerConcurrency 8, --timeout 0, --preload, 1 vCPU: nothing to tune, and
      // its stale ENV ENABLE_PROFILER=1 is overridden by DISABLE_PROFILER=1 in the manifest: no profiler finding.
    ]);
    const iam = doc.findings.find((f) => f.rule === 'profiler.iam-role');
    expect(iam?.message).toContain('if the cluster uses GKE Workload Identity Federation');
    expect(iam?.evidence.map((e) => [e.source, e.file, e.line])).toContainEqual(['requirements', 'input-repo/services/reports/requirements.txt', 3]);
  });

  it('keeps -o markdown under GitHub’s comment limit for a generated tree of 200 findings, and says how many were cut', () => {
    const tree = join(work, 'big-tree');
    mkdirSync(tree, { recursive: true });
    for (let i = 0; i < 100; i++) {
      const name = `svc-${String(i).padStart(3, '0')}`;
      writeFileSync(
        join(tree, `${name}.yaml`),
        [
          'apiVersion: apps/v1',
          'kind: Deployment',
          `metadata: {name: ${name}, namespace: shop}`,
          'spec:',
          '  template:',
          '    spec:',
          '      containers:',
          '        - name: web',
          `          image: ghcr.io/example-shop/${name}:1.0.0`,
          '          command: ["gunicorn", "--workers", "1", "--threads", "4", "--preload", "app:app"]',
          '          resources: {limits: {cpu: "2"}}',
          '        - name: api',
          `          image: ghcr.io/example-shop/${name}-api:1.0.0`,
          '          args: ["uvicorn", "api:app", "--workers", "4"]',
          '',
        ].join('\n'),
      );
    }
    const json = reportDocumentSchema.parse(JSON.parse(pytuner(['report', '-f', tree, '-o', 'json']).stdout));
    expect(json.findings).toHaveLength(200);
    const markdown = pytuner(['report', '-f', tree, '-o', 'markdown']);
    expect(markdown.status).toBe(0);
    expect(markdown.stdout.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    const rows = markdown.stdout.split('\n').filter((line) => /^\| (critical|warning|info) \|/.test(line)).length;
    const details = markdown.stdout.match(/<details>/g)?.length ?? 0;
    expect(rows).toBe(200);
    expect(details).toBeGreaterThan(0);
    expect(markdown.stdout).toContain(`the details of ${200 - details} findings are not shown`);
  });
});
