import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { classifyFile, loadPaths, loadReportInputs } from './files.ts';

const SA = (name: string) => `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${name}\n`;

let root: string;
let cwd: string;

/** Writes files under the temp root; the tests chdir there so paths stay relative, as a user types them. */
function tree(files: Record<string, string | Buffer>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

const names = (objects: unknown[]) => objects.map((o) => (o as { metadata: { name: string } }).metadata.name);

beforeEach(() => {
  cwd = process.cwd();
  root = mkdtempSync(join(tmpdir(), 'pytuner-files-'));
  process.chdir(root);
});

afterEach(() => {
  process.chdir(cwd);
  rmSync(root, { recursive: true, force: true });
});

describe('classifyFile', () => {
  it.each([
    ['svc.yaml', 'manifest'],
    ['svc.YML', 'manifest'],
    ['list.json', 'manifest'],
    ['Dockerfile', 'Dockerfile'],
    ['Dockerfile.prod', 'Dockerfile'],
    ['api.Dockerfile', 'Dockerfile'],
    ['Containerfile', 'Dockerfile'],
    ['Procfile', 'Procfile'],
    ['gunicorn.conf.py', 'gunicorn.conf.py'],
    ['prod.gunicorn.conf.py', 'gunicorn.conf.py'],
    ['gunicorn_conf.py', 'gunicorn.conf.py'],
    ['requirements.txt', 'requirements'],
    ['requirements-prod.txt', 'requirements'],
    ['pyproject.toml', 'requirements'],
    ['Pipfile', 'requirements'],
    ['cloudbuild.yaml', 'build-config'],
    ['api.cloudbuild.json', 'build-config'],
    ['cloudbuild-prod.yaml', 'cloudbuild-named'],
    ['cloudbuild_staging.yml', 'cloudbuild-named'],
  ])('%s is a %s', (name, kind) => {
    expect(classifyFile(name)).toBe(kind);
  });

  it.each(['main.py', 'gunicorn.py', 'README.md', 'Dockerfile.dockerignore', 'Procfile.dev'])('%s is ignored in a directory', (name) => {
    expect(classifyFile(name)).toBeUndefined();
  });
});

describe('loadPaths', () => {
  it('walks a directory in sorted order, with relative paths joined to the walk', async () => {
    tree({
      'deploy/b.yaml': SA('b'),
      'deploy/a.yml': SA('a'),
      'deploy/sub/c.json': JSON.stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'c' } }),
      'deploy/app/Dockerfile': 'FROM python:3.12\n',
      'deploy/app/Procfile': 'web: gunicorn app:app\n',
      'deploy/app/gunicorn.conf.py': 'workers = 2\n',
      'deploy/app/main.py': 'print("not an input")\n',
    });
    const loaded = await loadPaths(['deploy']);
    expect(loaded.errors).toEqual([]);
    expect(loaded.documents.map((d) => d.file)).toEqual(['deploy/a.yml', 'deploy/b.yaml', 'deploy/sub/c.json']);
    expect(names(loaded.documents.map((d) => d.object))).toEqual(['a', 'b', 'c']);
    expect(loaded.sources.map((s) => [s.kind, s.file])).toEqual([
      ['Dockerfile', 'deploy/app/Dockerfile'],
      ['Procfile', 'deploy/app/Procfile'],
      ['gunicorn.conf.py', 'deploy/app/gunicorn.conf.py'],
    ]);
    expect(loaded.sources[0]?.text).toBe('FROM python:3.12\n');
    expect(loaded.files).toBe(6);
  });

  it('skips node_modules, .git and hidden directories and files, but reads .github/workflows', async () => {
    tree({
      'repo/svc.yaml': SA('kept'),
      'repo/node_modules/pkg/x.yaml': SA('dependency'),
      'repo/.git/config.yaml': SA('git'),
      'repo/.github/workflows/ci.yaml': 'on: push\n',
      'repo/.hidden.yaml': SA('hidden'),
    });
    const loaded = await loadPaths(['repo']);
    expect(names(loaded.documents.map((d) => d.object))).toEqual(['kept']);
    // The workflow is read (it might run `gcloud run deploy`), and is neither a document nor an error.
    expect(loaded.files).toBe(2);
    expect(loaded.errors).toEqual([]);
  });

  it('does not loop on a symlink back up the tree, and reads a linked file once', async () => {
    tree({ 'k8s/svc.yaml': SA('svc') });
    symlinkSync('..', join(root, 'k8s', 'loop'));
    symlinkSync('svc.yaml', join(root, 'k8s', 'alias.yaml'));
    const loaded = await loadPaths(['k8s']);
    expect(loaded.errors).toEqual([]);
    expect(loaded.documents.map((d) => d.file)).toEqual(['k8s/alias.yaml']);
  });

  it('notes a directory given that holds nothing it reads (empty, only code, a symlink loop), and not one that does', async () => {
    tree({ 'src/main.py': 'print(1)\n', 'k8s/svc.yaml': SA('svc') });
    mkdirSync(join(root, 'empty'));
    mkdirSync(join(root, 'loop'));
    symlinkSync('loop', join(root, 'loop', 'loop'));
    const loaded = await loadPaths(['empty', 'src', 'loop', 'k8s']);
    expect(loaded.errors).toEqual([]);
    expect(loaded.notes).toEqual(['empty', 'src', 'loop'].map((dir) => `${dir}: no file pytuner reads was found in this directory (manifests, Dockerfiles, Procfiles, gunicorn.conf.py, Terraform, Cloud Build configs, workflows, deploy scripts)`));
    expect(loaded.documents).toHaveLength(1);
  });

  it('reports a dangling symlink that looks like an input, and ignores one that does not', async () => {
    tree({ 'k8s/svc.yaml': SA('svc') });
    symlinkSync('missing.yaml', join(root, 'k8s', 'gone.yaml'));
    symlinkSync('missing.txt', join(root, 'k8s', 'gone.txt'));
    const loaded = await loadPaths(['k8s']);
    expect(loaded.errors).toEqual([{ file: 'k8s/gone.yaml', message: 'cannot read: no such file or directory' }]);
    expect(loaded.documents).toHaveLength(1);
  });

  it('deduplicates paths given twice and files reached twice', async () => {
    tree({ 'k8s/svc.yaml': SA('svc'), 'k8s/Dockerfile': 'FROM python\n' });
    const loaded = await loadPaths(['k8s', './k8s/', 'k8s/svc.yaml', 'k8s/Dockerfile']);
    expect(loaded.documents).toHaveLength(1);
    expect(loaded.sources).toHaveLength(1);
    expect(loaded.files).toBe(2);
  });

  it('reads a file named explicitly with an unknown name as YAML', async () => {
    tree({ 'manifest.txt': SA('txt') });
    const loaded = await loadPaths(['manifest.txt']);
    expect(names(loaded.documents.map((d) => d.object))).toEqual(['txt']);
  });

  it('classifies an explicitly named Dockerfile, Procfile or config by name', async () => {
    tree({ 'app/Dockerfile.prod': 'FROM python\n', 'app/Procfile': 'web: x\n', 'app/gunicorn_conf.py': 'workers = 1\n' });
    const loaded = await loadPaths(['app/Dockerfile.prod', 'app/Procfile', 'app/gunicorn_conf.py']);
    expect(loaded.sources.map((s) => [s.kind, s.file])).toEqual([
      ['Dockerfile', 'app/Dockerfile.prod'],
      ['Procfile', 'app/Procfile'],
      ['gunicorn.conf.py', 'app/gunicorn_conf.py'],
    ]);
  });

  it('reports a missing path and carries on', async () => {
    tree({ 'svc.yaml': SA('svc') });
    const loaded = await loadPaths(['nope.yaml', 'svc.yaml']);
    expect(loaded.errors).toEqual([{ file: 'nope.yaml', message: 'cannot read: no such file or directory' }]);
    expect(loaded.documents).toHaveLength(1);
    expect(loaded.files).toBe(2);
  });

  it('reports a path that cannot be read (a file used as a directory)', async () => {
    tree({ 'svc.yaml': SA('svc') });
    const loaded = await loadPaths(['svc.yaml/inner.yaml']);
    expect(loaded.errors).toEqual([{ file: 'svc.yaml/inner.yaml', message: 'cannot read: not a directory' }]);
  });

  it('reports binary files named explicitly or of a source kind, and counts manifests found by a walk as skipped', async () => {
    tree({
      'bin/a.yaml': Buffer.from([0x61, 0x3a, 0x00, 0x31]),
      'bin/b.yaml': Buffer.from([0x61, 0x3a, 0x20, 0xff, 0xfe]),
      'bin/Dockerfile': Buffer.from([0x00, 0x01]),
      'bin/c.yaml': SA('fine'),
    });
    const loaded = await loadPaths(['bin']);
    expect(loaded.errors).toEqual([{ file: 'bin/Dockerfile', message: 'binary file, not a Dockerfile' }]);
    expect(loaded.skippedFiles).toEqual({ binary: 2 });
    expect(names(loaded.documents.map((d) => d.object))).toEqual(['fine']);
    expect(loaded.files).toBe(4);
    const named = await loadPaths(['bin/a.yaml', 'bin/b.yaml']);
    expect(named.errors).toEqual([
      { file: 'bin/a.yaml', message: 'binary file, not YAML' },
      { file: 'bin/b.yaml', message: 'binary file, not YAML' },
    ]);
  });

  it('reads requirements files, pyproject.toml and Pipfile only beside a Dockerfile', async () => {
    tree({
      'svc/Dockerfile': 'FROM python:3.12-slim\n',
      'svc/requirements-prod.txt': 'google-cloud-profiler\n',
      'svc/pyproject.toml': '[project]\n',
      'lib/requirements.txt': 'flask\n',
      'lib/Pipfile': '[packages]\n',
    });
    const loaded = await loadPaths(['.']);
    expect(loaded.sources.map((s) => [s.kind, s.file])).toEqual([
      ['Dockerfile', 'svc/Dockerfile'],
      ['requirements', 'svc/pyproject.toml'],
      ['requirements', 'svc/requirements-prod.txt'],
    ]);
  });

  it('reports an empty manifest named explicitly, and counts one found in a directory as skipped', async () => {
    tree({ 'empty/a.yaml': '', 'empty/b.yaml': SA('b'), 'named.yaml': '\n# comment only\n' });
    const loaded = await loadPaths(['empty', 'named.yaml']);
    expect(loaded.errors).toEqual([{ file: 'named.yaml', message: 'empty file: no documents' }]);
    expect(loaded.skippedFiles).toEqual({ empty: 1 });
    expect(loaded.documents).toHaveLength(1);
    expect(loaded.files).toBe(3);
  });

  it('counts the files of a repository that hold no Kubernetes object as skipped, by reason', async () => {
    tree({
      'repo/package.json': '{\n  "name": "web",\n  "version": "1.0.0"\n}\n',
      'repo/tsconfig.json': '{\n  // comments and trailing commas\n  "compilerOptions": {"strict": true,},\n}\n',
      'repo/data/events.json': '{"kind": "click", "apiVersion": 2}\n{"kind": "view", "apiVersion": 2}\n',
      'repo/data/rows.json': '[{"id": 1}, {"id": 2}]\n',
      'repo/k8s/patch.json': '[\n  {"op": "replace", "path": "/spec/replicas", "value": 3}\n]\n',
      'repo/k8s/patch.yaml': '- op: add\n  path: /metadata/labels/x\n  value: y\n',
      'repo/chart/templates/svc.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ include "web.fullname" . }}\n',
      'repo/cfn.yaml': 'Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Ref Name\n',
      'repo/img.json': Buffer.from([0x7b, 0x00, 0x01]),
      'repo/k8s/sa.yaml': SA('kept'),
      'repo/k8s/broken.yaml': 'apiVersion: v1\nkind: ServiceAccount\nmetadata: [oops\n',
    });
    const loaded = await loadPaths(['repo']);
    expect(names(loaded.documents.map((d) => d.object))).toEqual(['kept']);
    expect(loaded.errors).toEqual([{ file: 'repo/k8s/broken.yaml', line: 3, message: expect.stringMatching(/^YAML syntax error/) as string }]);
    expect(loaded.skippedFiles).toEqual({ 'not-kubernetes': 3, 'not-yaml': 1, 'not-an-object': 1, 'json-patch': 2, template: 1, binary: 1 });
    expect(loaded.files).toBe(11);
  });

  it('counts the patch files a kustomization names as skipped, even when they come first in the walk', async () => {
    const partial = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 3}\n';
    tree({
      'k8s/prod/a-replicas.yaml': partial,
      'k8s/prod/kustomization.yaml': 'resources: [../base]\npatchesStrategicMerge: [a-replicas.yaml]\npatches:\n  - path: ../common/cpu.yaml\n',
      'k8s/common/cpu.yaml': partial,
      'k8s/other/b-replicas.yaml': partial,
    });
    const loaded = await loadPaths(['k8s']);
    expect(loaded.skippedFiles).toEqual({ 'kustomize-patch': 2, 'not-kubernetes': 1 });
    expect(loaded.documents.map((d) => d.file)).toEqual(['k8s/other/b-replicas.yaml']);
  });

  it('still reports a file that is no manifest when it is named explicitly', async () => {
    tree({ 'rows.json': '[{"id": 1}]\n', 'events.json': '{"a": 1}\n{"b": 2}\n' });
    const loaded = await loadPaths(['rows.json', 'events.json']);
    expect(loaded.errors).toEqual([
      { file: 'rows.json', line: 1, message: 'document is not a mapping (got a list)' },
      { file: 'events.json', line: 2, message: expect.stringMatching(/^YAML syntax error/) as string },
    ]);
    expect(loaded.skippedFiles).toEqual({});
  });

  it('skips a large JSON data array found by a walk from its first bytes', async () => {
    const rows = Array.from({ length: 60_000 }, (_, i) => ({ id: i, kind: 'row', apiVersion: 'x', text: 'lorem ipsum dolor sit amet' }));
    tree({ 'big/data.json': JSON.stringify(rows), 'big/sa.yaml': SA('kept') });
    const loaded = await loadPaths(['big']);
    expect(names(loaded.documents.map((d) => d.object))).toEqual(['kept']);
    expect(loaded.skippedFiles).toEqual({ 'not-an-object': 1 });
    expect(loaded.errors).toEqual([]);
  });

  it('reads whole a walked manifest longer than its sniffed head, and one that ends exactly at the head', async () => {
    const long = 'x'.repeat(100_000);
    const exact = (size: number) => {
      const head = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: exact}\ndata: {text: ';
      return `${head}${'y'.repeat(size - head.length - 2)}}\n`;
    };
    tree({ 'big/a.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: long}\ndata: {text: ${long}}\n`, 'big/b.yaml': exact(64 * 1024), 'big/c.yaml': exact(64 * 1024 + 1) });
    const loaded = await loadPaths(['big']);
    expect(loaded.errors).toEqual([]);
    const texts = loaded.documents.map((d) => (d.object as { data: { text: string } }).data.text.length);
    expect(texts).toEqual([100_000, 64 * 1024 - 70, 64 * 1024 + 1 - 70]);
  });

  it('carries on past a bad file in a directory, with its line', async () => {
    tree({ 'k8s/1.yaml': SA('one'), 'k8s/2.yaml': 'apiVersion: v1\nkind: [\n', 'k8s/3.yaml': SA('three') });
    const loaded = await loadPaths(['k8s']);
    expect(names(loaded.documents.map((d) => d.object))).toEqual(['one', 'three']);
    expect(loaded.errors).toEqual([{ file: 'k8s/2.yaml', line: 2, message: expect.stringMatching(/^YAML syntax error/) as string }]);
  });

  it('reads - from stdin as YAML, once', async () => {
    const stdin = Readable.from([Buffer.from(SA('from-stdin')), Buffer.from('---\n'), Buffer.from(SA('second'))]);
    const loaded = await loadPaths(['-', '-'], { stdin });
    expect(loaded.documents.map((d) => [d.file, d.line, d.docIndex])).toEqual([
      ['-', 1, 0],
      ['-', 6, 1],
    ]);
    expect(names(loaded.documents.map((d) => d.object))).toEqual(['from-stdin', 'second']);
    expect(loaded.files).toBe(1);
  });

  it('reports empty stdin', async () => {
    const loaded = await loadPaths(['-'], { stdin: Readable.from([]) });
    expect(loaded.errors).toEqual([{ file: '-', message: 'empty file: no documents' }]);
  });

  it('drops a UTF-8 byte order mark', async () => {
    tree({ 'bom.yaml': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(SA('bom'))]) });
    const loaded = await loadPaths(['bom.yaml']);
    expect(loaded.errors).toEqual([]);
    expect(names(loaded.documents.map((d) => d.object))).toEqual(['bom']);
  });
});

describe('loadReportInputs', () => {
  const KSVC = (name: string, annotation = '') =>
    `apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: ${name}\n${annotation}spec:\n  template:\n    spec:\n      containers:\n      - image: app\n`;

  it('reads the --source paths for their source files only, not the manifests beside them', async () => {
    tree({
      'deploy/svc.yaml': KSVC('api'),
      'src/api/Dockerfile': 'FROM python:3.12-slim\n',
      'src/api/gunicorn.conf.py': 'workers = 2\n',
      'src/api/other.yaml': SA('not-in-the-report'),
    });
    const loaded = await loadReportInputs(['deploy'], [{ match: 'app', path: 'src/api' }]);
    expect(names(loaded.documents.map((d) => d.object))).toEqual(['api']);
    expect(loaded.sources.map((s) => [s.kind, s.file])).toEqual([
      ['Dockerfile', 'src/api/Dockerfile'],
      ['gunicorn.conf.py', 'src/api/gunicorn.conf.py'],
    ]);
    expect(loaded.errors).toEqual([]);
  });

  it('follows pytuner.dev/source annotations relative to the manifest, reading a file only once', async () => {
    tree({
      'deploy/svc.yaml': KSVC('api', '  annotations:\n    pytuner.dev/source: ../build/api.Dockerfile\n'),
      'build/api.Dockerfile': 'FROM python:3.12\n',
    });
    const loaded = await loadReportInputs(['deploy', 'build'], []);
    expect(loaded.sources.map((s) => s.file)).toEqual(['build/api.Dockerfile']);
    expect(loaded.files).toBe(2);
  });

  it('reports a --source path that does not exist and still reads the rest', async () => {
    tree({ 'svc.yaml': KSVC('api') });
    const loaded = await loadReportInputs(['svc.yaml'], [{ match: 'api', path: 'missing/Dockerfile' }]);
    expect(names(loaded.documents.map((d) => d.object))).toEqual(['api']);
    expect(loaded.errors).toEqual([{ file: 'missing/Dockerfile', message: 'cannot read: no such file or directory' }]);
  });
});

describe('Cloud Build configs under other names', () => {
  const config = (image: string) => `steps:\n  - name: gcr.io/cloud-builders/docker\n    args: ['build', '-t', '${image}', '.']\n`;

  it('reads a file whose name holds cloudbuild as a Cloud Build config when its content is one (a steps list of builders)', async () => {
    tree({
      'cloudbuild-prod.yaml': config('gcr.io/p/prod'),
      'deploy/cloudbuild_staging.yml': config('gcr.io/p/staging'),
      'test/advance.cloudbuild.yaml': config('gcr.io/p/advance'),
    });
    const loaded = await loadPaths(['.']);
    expect(loaded.sources.map((s) => `${s.kind} ${s.file}`)).toEqual(['build-config cloudbuild-prod.yaml', 'build-config deploy/cloudbuild_staging.yml', 'build-config test/advance.cloudbuild.yaml']);
    expect(loaded.errors).toEqual([]);
  });

  it('reads such a file as what it is when its content is not a Cloud Build config: a manifest, or nothing', async () => {
    tree({
      'cloudbuild-sa.yaml': SA('builder'),
      // A list of step names, a Tekton-like object with steps of its own: neither is a Cloud Build config.
      'cloudbuild-notes.yaml': 'steps: [lint, test, deploy]\n',
      'cloudbuild-task.yaml': 'apiVersion: example.dev/v1\nkind: Task\nsteps:\n  - name: build\n',
    });
    const loaded = await loadPaths(['.']);
    expect(loaded.sources).toEqual([]);
    // Read as manifests: the ServiceAccount and the Task are objects (the Task with its own steps), the notes are skipped.
    expect(loaded.documents.map((d) => `${d.file} ${(d.object as { kind: string }).kind}`)).toEqual(['cloudbuild-sa.yaml ServiceAccount', 'cloudbuild-task.yaml Task']);
    expect(loaded.skippedFiles).toEqual({ 'not-kubernetes': 1 });
  });
});
