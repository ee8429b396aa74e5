import { describe, expect, it } from 'vitest';
import type { LoadedInputs, SourceText } from '../../parse/types.ts';
import { parseManifests } from '../../parse/manifests.ts';
import { loadPaths } from '../../input/files.ts';
import type { ContainerFacts, Workload } from '../workload.ts';
import { buildInventory } from './inventory.ts';

/** LoadedInputs from texts, as files.ts would produce them. */
function loaded(manifests: Record<string, string>, sources: SourceText[] = []): LoadedInputs {
  const out: LoadedInputs = { documents: [], sources, errors: [], files: 0 };
  for (const [file, text] of Object.entries(manifests)) {
    const parsed = parseManifests(file, text);
    expect(parsed.errors).toEqual([]);
    out.documents.push(...parsed.documents);
    out.files++;
  }
  return out;
}

const dockerfile = (file: string, ...lines: string[]): SourceText => ({ kind: 'Dockerfile', file, text: `${lines.join('\n')}\n` });
const procfile = (file: string, text: string): SourceText => ({ kind: 'Procfile', file, text });
const conf = (file: string, text: string): SourceText => ({ kind: 'gunicorn.conf.py', file, text });

function ksvc(name: string, opts: { labels?: string[]; annotations?: string[]; templateAnnotations?: string[]; spec?: string[]; container?: string[] } = {}): string {
  const block = (indent: string, key: string, lines?: string[]) => (lines === undefined ? [] : [`${indent}${key}:`, ...lines.map((l) => `${indent}  ${l}`)]);
  return [
    'apiVersion: serving.knative.dev/v1',
    'kind: Service',
    'metadata:',
    `  name: ${name}`,
    ...block('  ', 'labels', opts.labels),
    ...block('  ', 'annotations', opts.annotations),
    'spec:',
    '  template:',
    ...(opts.templateAnnotations === undefined ? [] : ['    metadata:', ...block('      ', 'annotations', opts.templateAnnotations)]),
    '    spec:',
    ...(opts.spec ?? []).map((l) => `      ${l}`),
    '      containers:',
    `        - image: ${name}:1`,
    ...(opts.container ?? []).map((l) => `          ${l}`),
    '',
  ].join('\n');
}

function only(workloads: Workload[]): Workload {
  expect(workloads).toHaveLength(1);
  return workloads[0] as Workload;
}

function serving(workload: Workload): ContainerFacts {
  return workload.containers[0] as ContainerFacts;
}

const envValues = (c: ContainerFacts) => Object.fromEntries([...c.env].map(([k, v]) => [k, v.value]));

describe('buildInventory: platform and defaults', () => {
  it.each([
    [{ labels: ['cloud.googleapis.com/location: us-central1'] }, 'cloudrun'],
    [{ annotations: ['run.googleapis.com/ingress: all'] }, 'cloudrun'],
    [{ templateAnnotations: ['run.googleapis.com/cpu-throttling: "false"'] }, 'cloudrun'],
    [{ templateAnnotations: ['autoscaling.knative.dev/maxScale: "3"'] }, 'knative'],
    [{}, 'knative'],
  ])('a Service with %j runs on %s', (opts, platform) => {
    const { inventory } = buildInventory(loaded({ 'svc.yaml': ksvc('api', opts) }), []);
    expect(only(inventory.workloads).platform).toBe(platform);
  });

  it('records an unset containerConcurrency with the field and the line where it would go', () => {
    const workload = only(buildInventory(loaded({ 'svc.yaml': ksvc('api') }), []).inventory.workloads);
    expect(workload.containerConcurrency).toEqual({ value: undefined, evidence: { source: 'manifest', file: 'svc.yaml', line: 7, field: 'spec.template.spec.containerConcurrency' }, isDefault: false });
  });

  it('reads containerConcurrency, timeoutSeconds and serviceAccountName with their lines', () => {
    const text = ksvc('api', { spec: ['containerConcurrency: 10', 'timeoutSeconds: 30', 'serviceAccountName: sa@p.iam.gserviceaccount.com'] });
    const workload = only(buildInventory(loaded({ 'svc.yaml': text }), []).inventory.workloads);
    expect(workload.containerConcurrency).toEqual({ value: 10, evidence: { source: 'manifest', file: 'svc.yaml', line: 8, field: 'spec.template.spec.containerConcurrency', text: '10' }, isDefault: false });
    expect(workload.timeoutSeconds?.value).toBe(30);
    expect(workload.serviceAccountName?.value).toBe('sa@p.iam.gserviceaccount.com');
    expect(workload.serviceAccountName?.evidence.line).toBe(10);
    expect(workload.podSpecPointer).toBe('/spec/template/spec');
    expect(workload.ref).toEqual({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'api', file: 'svc.yaml', line: 1, docIndex: 0 });
  });

  it('defaults timeoutSeconds to 300, and reads Knative 0 as that default', () => {
    const unset = only(buildInventory(loaded({ 'svc.yaml': ksvc('api') }), []).inventory.workloads);
    expect(unset.timeoutSeconds).toMatchObject({ value: 300, isDefault: true, evidence: { source: 'default' } });
    const zero = only(buildInventory(loaded({ 'svc.yaml': ksvc('api', { spec: ['timeoutSeconds: 0'] }) }), []).inventory.workloads);
    expect(zero.timeoutSeconds).toMatchObject({ value: 300, isDefault: true, evidence: { source: 'manifest', line: 8, text: '0' } });
  });

  it('gives Cloud Run 1 vCPU when no limit is set; Knative gets none', () => {
    const cloudrun = only(buildInventory(loaded({ 'svc.yaml': ksvc('api', { labels: ['cloud.googleapis.com/location: x'] }) }), []).inventory.workloads);
    expect(serving(cloudrun).cpu).toEqual({ value: 1, evidence: { source: 'default', field: 'Cloud Run default CPU limit (1 vCPU)' }, isDefault: true });
    const knative = only(buildInventory(loaded({ 'svc.yaml': ksvc('api') }), []).inventory.workloads);
    expect(serving(knative).cpu).toBeUndefined();
  });

  it('reads the CPU limit, else the request, as vCPU', () => {
    const limit = ksvc('api', { container: ['resources: {limits: {cpu: 500m}, requests: {cpu: 250m}}'] });
    expect(serving(only(buildInventory(loaded({ 'svc.yaml': limit }), []).inventory.workloads)).cpu).toEqual({
      value: 0.5,
      evidence: { source: 'manifest', file: 'svc.yaml', line: 10, field: 'spec.template.spec.containers[0].resources.limits.cpu', text: '500m' },
      isDefault: false,
    });
    const request = ksvc('api', { container: ['resources: {requests: {cpu: 2}}'] });
    expect(serving(only(buildInventory(loaded({ 'svc.yaml': request }), []).inventory.workloads)).cpu?.value).toBe(2);
  });

  it('defaults the Knative port to 8080 and sets PORT in the serving container', () => {
    const c = serving(only(buildInventory(loaded({ 'svc.yaml': ksvc('api') }), []).inventory.workloads));
    expect(c.port).toEqual({ value: 8080, evidence: { source: 'default', field: 'Knative/Cloud Run default container port ($PORT)' }, isDefault: true });
    expect(c.env.get('PORT')).toEqual({ name: 'PORT', value: '8080', fromRef: false, evidence: { source: 'default', field: 'PORT, set by Knative/Cloud Run to the container port' } });
  });

  it('takes the first containerPort, and PORT follows it', () => {
    const c = serving(only(buildInventory(loaded({ 'svc.yaml': ksvc('api', { container: ['ports: [{containerPort: 5000}, {containerPort: 6000}]'] }) }), []).inventory.workloads));
    expect(c.port).toMatchObject({ value: 5000, isDefault: false, evidence: { line: 10, field: 'spec.template.spec.containers[0].ports[0].containerPort' } });
    expect(c.env.get('PORT')?.value).toBe('5000');
  });

  it('adds Cloud Run\'s implicit TCP startup probe and Knative\'s implicit TCP readiness probe', () => {
    const cloudrun = serving(only(buildInventory(loaded({ 'svc.yaml': ksvc('api', { labels: ['cloud.googleapis.com/location: x'] }) }), []).inventory.workloads));
    expect(cloudrun.startupProbe).toMatchObject({ handler: 'tcpSocket', port: 8080, periodSeconds: 240, failureThreshold: 1, implicit: true, evidence: { source: 'default' } });
    expect(cloudrun.readinessProbe).toBeUndefined();
    const knative = serving(only(buildInventory(loaded({ 'svc.yaml': ksvc('api') }), []).inventory.workloads));
    expect(knative.readinessProbe).toMatchObject({ handler: 'tcpSocket', port: 8080, implicit: true });
    expect(knative.startupProbe).toBeUndefined();
  });

  it('reads declared probes and adds no implicit one in their place', () => {
    const text = ksvc('api', {
      labels: ['cloud.googleapis.com/location: x'],
      container: ['startupProbe:', '  httpGet: {path: /ready, port: 8080}', '  periodSeconds: 2', '  failureThreshold: 60', 'livenessProbe: {grpc: {port: 9000}}'],
    });
    const c = serving(only(buildInventory(loaded({ 'svc.yaml': text }), []).inventory.workloads));
    expect(c.startupProbe).toEqual({
      handler: 'httpGet',
      path: '/ready',
      port: 8080,
      periodSeconds: 2,
      failureThreshold: 60,
      implicit: false,
      evidence: { source: 'manifest', file: 'svc.yaml', line: 12, field: 'spec.template.spec.containers[0].startupProbe' },
    });
    expect(c.livenessProbe).toMatchObject({ handler: 'grpc', port: 9000, implicit: false });
  });

  it('reads a Deployment as kubernetes, with no platform defaults', () => {
    const text = ['apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: web, namespace: shop}', 'spec:', '  template:', '    spec:', '      containers:', '        - name: web', '          image: web:1'].join('\n');
    const workload = only(buildInventory(loaded({ 'd.yaml': text }), []).inventory.workloads);
    expect(workload.platform).toBe('kubernetes');
    expect(workload.containerConcurrency).toBeUndefined();
    expect(workload.timeoutSeconds).toBeUndefined();
    const c = serving(workload);
    expect([c.name, c.cpu, c.port, c.startupProbe, c.readinessProbe, c.env.size]).toEqual(['web', undefined, undefined, undefined, undefined, 0]);
  });

  it('names unnamed containers as Knative does', () => {
    const one = only(buildInventory(loaded({ 'svc.yaml': ksvc('api') }), []).inventory.workloads);
    expect(serving(one).name).toBe('user-container');
  });
});

describe('buildInventory: env, commands and servers', () => {
  it('overlays manifest env on the image ENV, keeps manifest indexes, and lets the platform set PORT', () => {
    const text = ksvc('api', { container: ['env:', '  - {name: THREADS, value: "16"}', '  - {name: TOKEN, valueFrom: {secretKeyRef: {name: s, key: k}}}', '  - {name: EMPTY}'] });
    const { inventory } = buildInventory(loaded({ 'app/svc.yaml': text }, [dockerfile('app/Dockerfile', 'FROM python:3.12', 'ENV THREADS=8 WORKERS=2 PORT=5000', 'CMD ["gunicorn", "app:app"]')]), []);
    const c = serving(only(inventory.workloads));
    expect(envValues(c)).toEqual({ THREADS: '16', WORKERS: '2', PORT: '8080', TOKEN: undefined, EMPTY: '' });
    expect(c.env.get('THREADS')).toEqual({ name: 'THREADS', value: '16', fromRef: false, index: 0, evidence: { source: 'manifest', file: 'app/svc.yaml', line: 11, field: 'spec.template.spec.containers[0].env[0]', text: 'THREADS=16' } });
    expect(c.env.get('TOKEN')).toMatchObject({ fromRef: true, index: 1 });
    expect(c.env.get('WORKERS')).toMatchObject({ fromRef: false, evidence: { source: 'Dockerfile', file: 'app/Dockerfile', line: 2 } });
    expect(c.env.get('WORKERS')?.index).toBeUndefined();
  });

  it('detects the server from the Dockerfile CMD, with its env and the gunicorn.conf.py it loads', () => {
    const { inventory, errors } = buildInventory(
      loaded({ 'app/svc.yaml': ksvc('api') }, [
        dockerfile('app/Dockerfile', 'FROM python:3.12', 'ENV THREADS=8', 'CMD exec gunicorn --bind :$PORT --workers 1 --threads $THREADS main:app'),
        conf('app/gunicorn.conf.py', 'timeout = 0\n'),
      ]),
      [],
    );
    expect(errors).toEqual([]);
    const c = serving(only(inventory.workloads));
    expect(c.server?.kind).toBe('gunicorn');
    expect(c.server?.evidence).toMatchObject({ source: 'Dockerfile', file: 'app/Dockerfile', line: 3, field: 'CMD' });
    expect(c.server?.workers.value).toBe(1);
    expect(c.server?.threads.value).toBe(8);
    expect(c.server?.timeout?.value).toBe(0);
    expect(c.dockerfile?.gunicornConf?.file).toBe('app/gunicorn.conf.py');
    expect(c.sources).toEqual([
      { file: 'app/Dockerfile', kind: 'Dockerfile', how: 'directory' },
      { file: 'app/gunicorn.conf.py', kind: 'gunicorn.conf.py', how: 'directory' },
    ]);
  });

  it('lets the manifest command replace the image command', () => {
    const text = ksvc('api', { container: ['command: ["uvicorn", "main:app", "--workers", "3"]'] });
    const { inventory } = buildInventory(loaded({ 'app/svc.yaml': text }, [dockerfile('app/Dockerfile', 'FROM python:3.12', 'CMD ["gunicorn", "app:app"]')]), []);
    const c = serving(only(inventory.workloads));
    expect(c.server?.kind).toBe('uvicorn');
    expect(c.server?.workers.value).toBe(3);
    expect(c.server?.evidence).toMatchObject({ source: 'manifest', line: 10, field: 'spec.template.spec.containers[0].command' });
  });

  it('runs the Procfile web entry when a buildpacks app has no Dockerfile', () => {
    const { inventory } = buildInventory(loaded({ 'app/svc.yaml': ksvc('api') }, [procfile('app/Procfile', 'web: gunicorn --threads 8 main:app\n')]), []);
    const c = serving(only(inventory.workloads));
    expect(c.server?.kind).toBe('gunicorn');
    expect(c.server?.threads.value).toBe(8);
    expect(c.server?.evidence).toMatchObject({ source: 'Procfile', file: 'app/Procfile', line: 1 });
    expect(c.dockerfile).toMatchObject({ file: 'app/Procfile', procfileWeb: { command: 'gunicorn --threads 8 main:app' } });
    expect(c.sources).toEqual([{ file: 'app/Procfile', kind: 'Procfile', how: 'directory' }]);
  });

  it('detects no server without a command or a joined source', () => {
    const c = serving(only(buildInventory(loaded({ 'svc.yaml': ksvc('api') }), []).inventory.workloads));
    expect(c.server).toBeUndefined();
    expect(c.dockerfile).toBeUndefined();
    expect(c.sources).toEqual([]);
  });
});

describe('buildInventory: joining sources', () => {
  const two = { 'deploy/a.yaml': ksvc('a'), 'deploy/b.yaml': ksvc('b') };
  const src = [dockerfile('src/a/Dockerfile', 'FROM python:3.12', 'CMD ["gunicorn", "a:app"]')];

  it('joins by --source image, with or without tag, to the container running that image', () => {
    for (const match of ['a', 'a:1']) {
      const { inventory, errors } = buildInventory(loaded(two, src), [{ match, path: 'src/a' }]);
      expect(errors).toEqual([]);
      const [a, b] = inventory.workloads;
      expect(serving(a as Workload).sources).toEqual([{ file: 'src/a/Dockerfile', kind: 'Dockerfile', how: 'flag' }]);
      expect(serving(b as Workload).sources).toEqual([]);
      expect(inventory.standaloneImages).toEqual([]);
    }
  });

  it('joins a directory named as a workload, its _ spelt - as object names must be (home_app/ runs as home-app)', () => {
    const manifests = { 'k8s/apps.yaml': `${ksvc('home-app')}---\n${ksvc('images-app')}` };
    const sources = [
      dockerfile('home_app/Dockerfile', 'FROM python:3.13-slim', 'CMD exec gunicorn --bind :$PORT --workers 2 home_app:app'),
      dockerfile('images_app/Dockerfile', 'FROM python:3.13-slim', 'CMD exec gunicorn --bind :$PORT --workers 3 images_app:app'),
    ];
    const { inventory } = buildInventory(loaded(manifests, sources), []);
    expect(inventory.workloads.map((w) => [w.ref.name, serving(w).sources])).toEqual([
      ['home-app', [{ file: 'home_app/Dockerfile', kind: 'Dockerfile', how: 'name' }]],
      ['images-app', [{ file: 'images_app/Dockerfile', kind: 'Dockerfile', how: 'name' }]],
    ]);
    expect(inventory.standaloneImages).toEqual([]);
  });

  it('joins by --source workload name, to a Dockerfile named as a file', () => {
    const { inventory } = buildInventory(loaded(two, src), [{ match: 'b', path: './src/a/Dockerfile' }]);
    expect(serving(inventory.workloads[1] as Workload).sources).toEqual([{ file: 'src/a/Dockerfile', kind: 'Dockerfile', how: 'flag' }]);
    expect(serving(inventory.workloads[1] as Workload).server?.kind).toBe('gunicorn');
  });

  it('reports a --source whose path holds nothing read, or whose match finds nothing', () => {
    const { errors } = buildInventory(loaded(two, src), [
      { match: 'a', path: 'src/missing' },
      { match: 'zzz', path: 'src/a' },
    ]);
    expect(errors).toEqual([
      { file: 'src/missing', message: '--source a=src/missing: no Dockerfile, Procfile or gunicorn.conf.py was read at src/missing' },
      { file: 'src/a', message: '--source zzz=src/a: no workload is named zzz and no container runs that image' },
    ]);
  });

  it('joins by the pytuner.dev/source annotation, relative to the manifest', () => {
    const text = ksvc('a', { templateAnnotations: ['pytuner.dev/source: ../src/a'] });
    const { inventory, errors } = buildInventory(loaded({ 'deploy/a.yaml': text, 'deploy/b.yaml': ksvc('b') }, src), []);
    expect(errors).toEqual([]);
    expect(serving(inventory.workloads[0] as Workload).sources).toEqual([{ file: 'src/a/Dockerfile', kind: 'Dockerfile', how: 'annotation' }]);
  });

  it('reports an annotation pointing where nothing was read', () => {
    const text = ksvc('a', { annotations: ['pytuner.dev/source: ../elsewhere'] });
    const { errors } = buildInventory(loaded({ 'deploy/a.yaml': text }), []);
    expect(errors).toEqual([
      { file: 'deploy/a.yaml', line: 6, object: 'Service a', field: 'metadata.annotations["pytuner.dev/source"]', message: 'no Dockerfile, Procfile or gunicorn.conf.py was read at elsewhere (pass it with --source or -f)' },
    ]);
  });

  it('joins a directory holding one workload and one Dockerfile, also from a subdirectory', () => {
    const { inventory } = buildInventory(loaded({ 'app/k8s/svc.yaml': ksvc('api') }, [dockerfile('app/Dockerfile', 'FROM python:3.12')]), []);
    expect(serving(only(inventory.workloads)).sources).toEqual([{ file: 'app/Dockerfile', kind: 'Dockerfile', how: 'directory' }]);
  });

  it('does not join a directory holding two workloads or two Dockerfiles; those Dockerfiles stand alone', () => {
    const twoWorkloads = buildInventory(loaded({ 'app/a.yaml': ksvc('a'), 'app/b.yaml': ksvc('b') }, [dockerfile('app/Dockerfile', 'FROM python:3.12')]), []);
    expect(twoWorkloads.inventory.workloads.map((w) => serving(w).sources)).toEqual([[], []]);
    expect(twoWorkloads.inventory.standaloneImages.map((i) => i.file)).toEqual(['app/Dockerfile']);
    const twoDockerfiles = buildInventory(loaded({ 'app/a.yaml': ksvc('a') }, [dockerfile('app/Dockerfile', 'FROM python:3.12'), dockerfile('app/Dockerfile.dev', 'FROM python:3.12')]), []);
    expect(serving(only(twoDockerfiles.inventory.workloads)).sources).toEqual([]);
    expect(twoDockerfiles.inventory.standaloneImages.map((i) => i.file)).toEqual(['app/Dockerfile', 'app/Dockerfile.dev']);
  });

  it('prefers the flag over the annotation and the directory', () => {
    const text = ksvc('a', { annotations: ['pytuner.dev/source: ../other'] });
    const { inventory, errors } = buildInventory(
      loaded({ 'app/a.yaml': text }, [dockerfile('app/Dockerfile', 'FROM python:3.12'), dockerfile('other/Dockerfile', 'FROM python:3.12'), dockerfile('flag/Dockerfile', 'FROM python:3.12')]),
      [{ match: 'a', path: 'flag' }],
    );
    expect(errors).toEqual([]);
    expect(serving(only(inventory.workloads)).sources).toEqual([{ file: 'flag/Dockerfile', kind: 'Dockerfile', how: 'flag' }]);
    expect(inventory.standaloneImages.map((i) => i.file)).toEqual(['app/Dockerfile', 'other/Dockerfile']);
  });

  it('picks Dockerfile among several when a flag names the directory', () => {
    const { inventory } = buildInventory(loaded({ 'k/a.yaml': ksvc('a') }, [dockerfile('app/Dockerfile.dev', 'FROM python:3.12'), dockerfile('app/Dockerfile', 'FROM python:3.12')]), [{ match: 'a', path: 'app/' }]);
    expect(serving(only(inventory.workloads)).sources.map((s) => s.file)).toEqual(['app/Dockerfile']);
  });

  it('checks unclaimed Dockerfiles and Procfile-only apps on their own, with their servers', () => {
    const { inventory } = buildInventory(
      loaded({}, [
        dockerfile('lonely/Dockerfile', 'FROM python:3.12', 'CMD ["gunicorn", "--threads", "4", "app:app"]'),
        procfile('bp/Procfile', 'web: uvicorn main:app --workers 2\n'),
        conf('confonly/gunicorn.conf.py', 'workers = 2\n'),
      ]),
      [],
    );
    expect(inventory.standaloneImages.map((i) => [i.file, i.server?.kind])).toEqual([['lonely/Dockerfile', 'gunicorn']]);
    expect(inventory.standaloneImages[0]?.server?.threads.value).toBe(4);
    // A buildpacks Procfile no manifest claims is what `gcloud run deploy --source` deploys.
    const [bp] = inventory.workloads;
    expect([bp?.ref.kind, bp?.ref.name, bp?.ref.file, bp?.platform, bp?.containers[0]?.server?.kind]).toEqual(['Service', 'bp', 'bp/Procfile', 'cloudrun', 'uvicorn']);
    expect(bp?.assumed?.why).toMatch(/buildpacks Procfile: assumed a Cloud Run source deploy/);
  });
});

describe('buildInventory: sources without a manifest', () => {
  const cloudRunSource = dockerfile('svc/Dockerfile', 'FROM python:3.12-slim', 'CMD exec gunicorn --bind :$PORT main:app');

  it('takes a Dockerfile serving on $PORT for a Cloud Run source deploy, with Cloud Run defaults', () => {
    const { inventory } = buildInventory(loaded({}, [cloudRunSource]), []);
    expect(inventory.standaloneImages).toEqual([]);
    const [svc] = inventory.workloads;
    const c = svc?.containers[0];
    expect([svc?.ref.name, svc?.platform, svc?.containerConcurrency?.value, svc?.timeoutSeconds?.value, c?.cpu?.value, c?.startupProbe?.handler, c?.startupProbe?.implicit]).toEqual([
      'svc', 'cloudrun', undefined, 300, 1, 'tcpSocket', true,
    ]);
    expect(c?.server?.bind?.value).toBe(':8080');
    expect(svc?.assumed).toMatchObject({ platform: 'cloudrun', evidence: { file: 'svc/Dockerfile', text: '$PORT' } });
  });

  it('files a source deploy under its Dockerfile when the Dockerfile sets the command beside a Procfile', () => {
    // `gcloud run deploy --source` builds the Dockerfile; the Procfile beside it is not what runs.
    const { inventory } = buildInventory(loaded({}, [cloudRunSource, procfile('svc/Procfile', 'web: gunicorn --bind :8080 main:app\n')]), []);
    const [svc] = inventory.workloads;
    expect([svc?.ref.file, svc?.assumed?.evidence.file, svc?.assumed?.evidence.source]).toEqual(['svc/Dockerfile', 'svc/Dockerfile', 'Dockerfile']);
  });

  it('follows --platform, and leaves an image with no $PORT alone without it', () => {
    const lonely = dockerfile('lonely/Dockerfile', 'FROM python:3.12', 'CMD ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]');
    expect(buildInventory(loaded({}, [lonely]), []).inventory.workloads).toEqual([]);
    const knative = buildInventory(loaded({}, [lonely]), [], { platform: 'knative' }).inventory.workloads[0];
    expect([knative?.platform, knative?.ref.kind, knative?.containers[0]?.cpu, knative?.assumed?.why]).toEqual([
      'knative', 'Service', undefined, 'no manifest claims lonely/Dockerfile; --platform knative says it runs on Knative',
    ]);
    const deployment = buildInventory(loaded({}, [lonely]), [], { platform: 'kubernetes' }).inventory.workloads[0];
    expect([deployment?.ref.kind, deployment?.containerConcurrency, deployment?.containers[0]?.env.has('PORT')]).toEqual(['Deployment', undefined, false]);
  });

  it('does not assume a service for a Dockerfile that starts no server pytuner knows', () => {
    const node = dockerfile('web/Dockerfile', 'FROM node:22', 'CMD node server.js --port $PORT');
    const { inventory } = buildInventory(loaded({}, [node]), []);
    expect([inventory.workloads.length, inventory.standaloneImages.length]).toEqual([0, 1]);
  });
});

describe('buildInventory: objects, errors and counts', () => {
  it('reports invalid objects, counts skipped kinds and carries on', () => {
    const text = [ksvc('ok'), '---', ksvc('bad', { spec: ['containerConcurrency: -1'] }), '---', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}', '---', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}', '---', 'name: not-k8s'].join('\n');
    const built = buildInventory(loaded({ 'all.yaml': text }), []);
    expect(built.inventory.workloads.map((w) => w.ref.name)).toEqual(['ok']);
    expect(built.errors.map((e) => [e.line, e.object, e.field, e.message])).toEqual([[19, 'Service bad', 'spec.template.spec.containerConcurrency', 'expected an integer 0..1000, got -1']]);
    expect(built.objects).toBe(5);
    expect(built.skipped).toEqual({ 'v1/ConfigMap': 2, '(no apiVersion/kind)': 1 });
  });

  it('reports Dockerfile and Procfile errors with the inventory errors', () => {
    const { errors } = buildInventory(loaded({}, [dockerfile('x/Dockerfile', 'FORM python'), procfile('y/Procfile', 'oops\n')]), []);
    expect(errors).toEqual([
      { file: 'x/Dockerfile', line: 1, message: 'unknown instruction FORM' },
      { file: 'x/Dockerfile', message: 'no FROM instruction' },
      { file: 'y/Procfile', line: 1, message: 'not a "type: command" line: oops' },
    ]);
  });
});

describe('buildInventory: the fixture tree', async () => {
  const input = await loadPaths(['test/fixtures/input']);
  const built = buildInventory(input, [{ match: 'us-docker.pkg.dev/shop/web', path: 'test/fixtures/input/gke-src' }]);
  const byName = (name: string) => built.inventory.workloads.find((w) => w.ref.name === name) as Workload;

  it('reads every file without errors', () => {
    expect(input.errors).toEqual([]);
    expect(built.errors).toEqual([]);
    expect(built.objects).toBe(8);
    expect(built.skipped).toEqual({ 'v1/ConfigMap': 1 });
    expect(built.inventory.workloads.map((w) => [w.ref.name, w.platform])).toEqual([
      ['api', 'cloudrun'],
      ['web', 'kubernetes'],
      ['hello', 'knative'],
      ['buildpacks', 'cloudrun'],
    ]);
  });

  it('extracts the Cloud Run service joined to its directory', () => {
    const api = byName('api');
    const c = serving(api);
    expect(api.ref).toMatchObject({ namespace: '123456789', file: 'test/fixtures/input/cloudrun-api/service.yaml', line: 2 });
    expect(api.containerConcurrency?.value).toBe(80);
    expect(c.cpu?.value).toBe(2);
    expect(envValues(c)).toEqual({ PYTHONUNBUFFERED: '1', THREADS: '4', DB_PASSWORD: undefined, PORT: '8080' });
    expect(c.server).toMatchObject({ kind: 'gunicorn', workers: { value: 1 }, threads: { value: 4, viaEnv: 'THREADS' }, timeout: { value: 0 }, preload: { value: true } });
    expect(c.sources.map((s) => [s.kind, s.how])).toEqual([
      ['Dockerfile', 'directory'],
      ['gunicorn.conf.py', 'directory'],
    ]);
    expect(c.startupProbe?.implicit).toBe(true);
  });

  it('extracts the Knative service joined by annotation, with its entrypoint and the platform PORT', () => {
    const hello = byName('hello');
    const [app, sidecar] = hello.containers as [ContainerFacts, ContainerFacts];
    expect(app.sources).toEqual([{ file: 'test/fixtures/input/src/hello/Dockerfile', kind: 'Dockerfile', how: 'annotation' }]);
    expect(app.dockerfile?.base).toMatchObject({ ref: 'python:3.11-alpine', repository: 'python' });
    expect(app.dockerfile?.runs.map((r) => [r.text, r.final])).toEqual([['apk add --no-cache build-base', true]]);
    expect(app.env.get('PORT')?.value).toBe('5000');
    expect(app.server).toMatchObject({ kind: 'uvicorn', argv: ['uvicorn', 'main:app', '--host', '0.0.0.0', '--port', '5000'] });
    expect(app.readinessProbe).toMatchObject({ handler: 'httpGet', path: '/healthz', periodSeconds: 5, implicit: false });
    expect([sidecar.name, sidecar.port, sidecar.env.has('PORT'), sidecar.readinessProbe]).toEqual(['sidecar', undefined, false, undefined]);
  });

  it('extracts the Deployment joined by flag, with args replacing the image CMD', () => {
    const c = serving(byName('web'));
    expect(c.sources).toEqual([{ file: 'test/fixtures/input/gke-src/Dockerfile', kind: 'Dockerfile', how: 'flag' }]);
    expect(c.cpu?.value).toBe(0.5);
    expect(c.server).toMatchObject({ kind: 'gunicorn', argv: ['gunicorn', '--workers', '4', 'shop.wsgi'], workers: { value: 4 }, evidence: { source: 'manifest', line: 14 } });
    expect(c.startupProbe).toMatchObject({ handler: 'tcpSocket', port: 8000, failureThreshold: 30, periodSeconds: 2 });
  });

  it('extracts service accounts and IAM grants', () => {
    expect(built.inventory.serviceAccounts).toEqual([
      { ref: { apiVersion: 'v1', kind: 'ServiceAccount', namespace: 'shop', name: 'web', file: 'test/fixtures/input/gke/workloads.yaml', line: 25, docIndex: 1 }, gcpServiceAccount: 'web@shop-prod.iam.gserviceaccount.com' },
    ]);
    expect(built.inventory.iamGrants.map((g) => [g.ref.name, g.role, g.member, g.resource])).toEqual([
      ['web-profiler', 'roles/cloudprofiler.agent', 'serviceAccount:web@shop-prod.iam.gserviceaccount.com', 'Project/shop-prod'],
      ['web-partial', 'roles/cloudtrace.agent', 'principal://iam.googleapis.com/projects/42/locations/global/workloadIdentityPools/shop-prod.svc.id.goog/subject/ns/shop/sa/web', 'Project/shop-prod'],
      ['web-partial', 'roles/cloudtrace.agent', 'serviceAccountRef:ops/other', 'Project/shop-prod'],
    ]);
  });

  it('checks the unclaimed Dockerfile on its own and takes the buildpacks Procfile for a Cloud Run source deploy', () => {
    expect(built.inventory.standaloneImages.map((i) => [i.file, i.server?.kind, i.base?.repository])).toEqual([['test/fixtures/input/lonely/Dockerfile', 'waitress', 'python']]);
    expect(byName('buildpacks').containers[0]?.server?.kind).toBe('gunicorn');
  });
});
