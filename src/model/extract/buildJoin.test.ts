import { describe, expect, it } from 'vitest';
import type { LoadedInputs, SourceText } from '../../parse/types.ts';
import { parseManifests } from '../../parse/manifests.ts';
import type { Workload } from '../workload.ts';
import { buildInventory } from './inventory.ts';

/** Joins through build configs (`how: 'build'`), on plain data as files.ts would hand it over. */

function loaded(manifests: Record<string, string>, sources: SourceText[]): LoadedInputs {
  const out: LoadedInputs = { documents: [], sources, errors: [], files: 0 };
  for (const [file, text] of Object.entries(manifests)) {
    const parsed = parseManifests(file, text);
    expect(parsed.errors).toEqual([]);
    out.documents.push(...parsed.documents);
  }
  return out;
}

const lines = (...text: string[]) => `${text.join('\n')}\n`;
const dockerfile = (file: string, cmd: string): SourceText => ({ kind: 'Dockerfile', file, text: lines('FROM python:3.12-slim', 'ENV PORT=8050', `CMD ${cmd}`) });
const cloudbuild = (file: string, ...steps: string[]): SourceText => ({ kind: 'build-config', file, text: lines('steps:', ...steps) });
const dockerStep = (args: string) => ['- name: gcr.io/cloud-builders/docker', `  args: [${args}]`].join('\n');

function deployment(name: string, image: string, annotations: string[] = []): string {
  return lines(
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    `  name: ${name}`,
    ...(annotations.length === 0 ? [] : ['  annotations:', ...annotations.map((a) => `    ${a}`)]),
    'spec:',
    '  template:',
    '    spec:',
    '      containers:',
    '      - name: main',
    `        image: ${image}`,
  );
}

const sourcesOf = (workload: Workload | undefined) => workload?.containers[0]?.sources;
const byName = (workloads: Workload[], name: string) => workloads.find((w) => w.ref.name === name);

describe('joining through build configs', () => {
  it('joins a Deployment to the Dockerfile a sibling directory builds its image from, with a variable for the project and the tag ignored', () => {
    const input = loaded({ 'kubernetes/application.yaml': deployment('fastdash', 'us-central1-docker.pkg.dev/PROJECT_ID/models/fastdash:latest') }, [
      dockerfile('client-app/Dockerfile', 'exec gunicorn wsgi:server --bind "0.0.0.0:${PORT}"'),
      cloudbuild('client-app/cloudbuild.yaml', dockerStep('buildx, build, --tag, "us-central1-docker.pkg.dev/${PROJECT_ID}/models/fastdash:v2", .')),
    ]);
    const { inventory, errors, notes } = buildInventory(input, []);
    expect(errors).toEqual([]);
    expect(notes).toEqual([]);
    // The Dockerfile is the Deployment's: no Cloud Run source deploy is assumed for it.
    expect(inventory.workloads.map((w) => `${w.ref.kind} ${w.ref.name} ${w.platform}`)).toEqual(['Deployment fastdash kubernetes']);
    const container = inventory.workloads[0]?.containers[0];
    expect(container?.sources).toEqual([{ file: 'client-app/Dockerfile', kind: 'Dockerfile', how: 'build' }]);
    expect(container?.server?.kind).toBe('gunicorn');
    expect(container?.server?.evidence).toMatchObject({ source: 'Dockerfile', file: 'client-app/Dockerfile' });
  });

  it('joins each container to the Dockerfile of its own image, through dir: and -f', () => {
    const input = loaded({ 'deploy/k8s.yaml': `${deployment('api', 'gcr.io/acme/api:1')}---\n${deployment('web', 'gcr.io/acme/web:1')}` }, [
      dockerfile('services/api/docker/Dockerfile.prod', 'gunicorn api:app'),
      dockerfile('services/web/Dockerfile', 'gunicorn web:app'),
      cloudbuild('cloudbuild.yaml', '- name: gcr.io/cloud-builders/docker', '  dir: services/api', "  args: ['build', '-t', 'gcr.io/$PROJECT_ID/api', '-f', 'docker/Dockerfile.prod', '.']", dockerStep("build, -t, 'gcr.io/$PROJECT_ID/web:$SHORT_SHA', services/web")),
    ]);
    const { inventory } = buildInventory(input, []);
    expect(sourcesOf(byName(inventory.workloads, 'api'))).toEqual([{ file: 'services/api/docker/Dockerfile.prod', kind: 'Dockerfile', how: 'build' }]);
    expect(sourcesOf(byName(inventory.workloads, 'web'))).toEqual([{ file: 'services/web/Dockerfile', kind: 'Dockerfile', how: 'build' }]);
  });

  it('joins through a Skaffold Config, which is read and not counted as a kind pytuner does not read', () => {
    const skaffold = lines('apiVersion: skaffold/v4beta11', 'kind: Config', 'build:', '  artifacts:', '  - image: frontend', '    context: src/frontend', '    docker: {dockerfile: Dockerfile.dev}');
    const input = loaded({ 'skaffold.yaml': skaffold, 'k8s/frontend.yaml': deployment('frontend', 'frontend') }, [dockerfile('src/frontend/Dockerfile.dev', 'gunicorn app:app')]);
    const { inventory, skipped, errors } = buildInventory(input, []);
    expect(errors).toEqual([]);
    expect(skipped).toEqual({});
    expect(sourcesOf(byName(inventory.workloads, 'frontend'))).toEqual([{ file: 'src/frontend/Dockerfile.dev', kind: 'Dockerfile', how: 'build' }]);
  });

  it('joins nothing when the image is built from two Dockerfiles, and says why in a note', () => {
    const input = loaded({ 'k8s/api.yaml': deployment('api', 'gcr.io/acme/api:1') }, [
      dockerfile('a/Dockerfile', 'gunicorn a:app'),
      dockerfile('b/Dockerfile', 'gunicorn b:app'),
      cloudbuild('a/cloudbuild.yaml', dockerStep("build, -t, 'gcr.io/$PROJECT_ID/api', .")),
      cloudbuild('b/cloudbuild.yaml', dockerStep("build, -t, 'gcr.io/${PROJECT_ID}/api', .")),
    ]);
    const { inventory, notes } = buildInventory(input, []);
    expect(sourcesOf(byName(inventory.workloads, 'api'))).toEqual([]);
    expect(notes).toEqual([expect.stringContaining('Deployment api: image gcr.io/acme/api:1 is built from several Dockerfiles (a/Dockerfile (a/cloudbuild.yaml:2), b/Dockerfile (b/cloudbuild.yaml:2))')]);
  });

  it('does not join an image that only resembles the built one (another project path depth, another name)', () => {
    // Named unlike the source directory, so the name join stays out of it.
    const input = loaded({ 'k8s/api.yaml': `${deployment('backend', 'gcr.io/acme/team/api:1')}---\n${deployment('worker', 'gcr.io/acme/api-worker:1')}` }, [
      dockerfile('api/Dockerfile', 'gunicorn a:app'),
      cloudbuild('api/cloudbuild.yaml', dockerStep("build, -t, 'gcr.io/$PROJECT_ID/api', .")),
    ]);
    const { inventory } = buildInventory(input, []);
    expect(inventory.workloads.flatMap((w) => w.containers.flatMap((c) => c.sources))).toEqual([]);
  });

  it('lets a --source flag and a pytuner.dev/source annotation win over a build config', () => {
    const input = loaded(
      {
        'k8s/api.yaml': deployment('api', 'gcr.io/acme/api:1'),
        'k8s/web.yaml': deployment('web', 'gcr.io/acme/web:1', ['pytuner.dev/source: ../other/Dockerfile']),
      },
      [
        dockerfile('api/Dockerfile', 'gunicorn a:app'),
        dockerfile('web/Dockerfile', 'gunicorn w:app'),
        dockerfile('other/Dockerfile', 'gunicorn o:app'),
        dockerfile('flagged/Dockerfile', 'gunicorn f:app'),
        cloudbuild('cloudbuild.yaml', dockerStep("build, -t, 'gcr.io/$PROJECT_ID/api', api"), dockerStep("build, -t, 'gcr.io/$PROJECT_ID/web', web")),
      ],
    );
    const { inventory } = buildInventory(input, [{ match: 'gcr.io/acme/api', path: 'flagged/Dockerfile' }]);
    expect(sourcesOf(byName(inventory.workloads, 'api'))).toEqual([{ file: 'flagged/Dockerfile', kind: 'Dockerfile', how: 'flag' }]);
    expect(sourcesOf(byName(inventory.workloads, 'web'))).toEqual([{ file: 'other/Dockerfile', kind: 'Dockerfile', how: 'annotation' }]);
  });

  it('wins over the directory join: a build config names the Dockerfile of the image, not the one beside the manifest', () => {
    const input = loaded({ 'app/k8s.yaml': deployment('app', 'gcr.io/acme/app:1') }, [
      dockerfile('app/Dockerfile', 'gunicorn dev:app'),
      dockerfile('app/src/Dockerfile', 'gunicorn prod:app'),
      cloudbuild('app/cloudbuild.yaml', dockerStep("build, -t, 'gcr.io/$PROJECT_ID/app', src")),
    ]);
    const { inventory } = buildInventory(input, []);
    expect(sourcesOf(byName(inventory.workloads, 'app'))).toEqual([{ file: 'app/src/Dockerfile', kind: 'Dockerfile', how: 'build' }]);
  });
});

describe('a Cloud Build deploy whose service name is a substitution', () => {
  const gunicorn = (file: string): SourceText => ({ kind: 'Dockerfile', file, text: lines('FROM python:3.12-slim', 'CMD exec gunicorn --bind :$PORT main:app') });
  const steps = [
    dockerStep('"build", "-t", "gcr.io/$PROJECT_ID/api:$SHORT_SHA", "."'),
    '- name: gcr.io/google.com/cloudsdktool/cloud-sdk',
    '  entrypoint: gcloud',
    '  args: ["run", "deploy", "${_SERVICE_NAME}", "--image=gcr.io/$PROJECT_ID/api:$SHORT_SHA"]',
  ];

  it('takes the name from the `substitutions:` default when the config gives one', () => {
    const built = buildInventory(loaded({}, [gunicorn('Dockerfile'), cloudbuild('cloudbuild.yaml', ...steps, 'substitutions:', '  _SERVICE_NAME: shop-api')]), []);
    expect(built.inventory.workloads.map((w) => w.ref.name)).toEqual(['shop-api']);
    expect(built.notes.filter((n) => n.includes('service name'))).toEqual([]);
  });

  it('keeps the name as written without one, and says so', () => {
    const built = buildInventory(loaded({}, [gunicorn('Dockerfile'), cloudbuild('cloudbuild.yaml', ...steps)]), []);
    expect(built.inventory.workloads.map((w) => w.ref.name)).toEqual(['${_SERVICE_NAME}']);
    expect(built.notes).toContain(
      'cloudbuild.yaml:6: the service name ${_SERVICE_NAME} of `gcloud run deploy` holds a variable pytuner cannot resolve; the findings name the service as written: give it a default in the config\'s `substitutions:` block to name the service',
    );
  });
});

/** A GitHub workflow that runs `build` and then `deploy` on its IMAGE variable, in one job or in two. */
function imageWorkflow(build: string, deploy: string, oneJob = true): SourceText {
  return {
    kind: 'workflow',
    file: '.github/workflows/deploy.yml',
    text: lines('on: push', 'env:', '  IMAGE: us-docker.pkg.dev/p/r/api:${{ github.sha }}', 'jobs:', '  build:', '    steps:', `      - run: ${build}`, ...(oneJob ? [] : ['  deploy:', '    steps:']), `      - run: ${deploy}`),
  };
}

describe('a workflow that builds an image into a variable and deploys that variable', () => {
  const gunicorn: SourceText = { kind: 'Dockerfile', file: 'api/Dockerfile', text: lines('FROM python:3.12-slim', 'CMD exec gunicorn --bind :$PORT main:app') };
  const workflow = (oneJob: boolean) => imageWorkflow('docker build -t "$IMAGE" api', 'gcloud run deploy shop-api --image "$IMAGE" --region us-central1', oneJob);

  it('links the deploy to the Dockerfile built with the same variable in the same job', () => {
    const built = buildInventory(loaded({}, [gunicorn, workflow(true)]), []);
    expect(built.inventory.workloads.map((w) => [w.ref.name, w.containers[0]?.dockerfile?.file])).toEqual([['shop-api', 'api/Dockerfile']]);
  });

  it('links a Cloud Build deploy of the substitution a step of the same config builds, with no default for it', () => {
    const config = cloudbuild(
      'cloudbuild.yaml',
      dockerStep('"build", "-t", "${_IMAGE}", "api"'),
      '- name: gcr.io/google.com/cloudsdktool/cloud-sdk',
      '  entrypoint: gcloud',
      '  args: ["run", "deploy", "shop-api", "--image", "${_IMAGE}"]',
    );
    const built = buildInventory(loaded({}, [gunicorn, config]), []);
    expect(built.inventory.workloads.map((w) => [w.ref.name, w.containers[0]?.dockerfile?.file])).toEqual([['shop-api', 'api/Dockerfile']]);
  });

  it('does not link a deploy in another job: the variable may hold another image there', () => {
    const built = buildInventory(loaded({}, [gunicorn, workflow(false)]), []);
    expect(built.inventory.workloads.map((w) => w.ref.name)).toEqual(['api']);
  });
});

describe('images pack build makes from a Procfile (Cloud Native Buildpacks)', () => {
  const procfile: SourceText = { kind: 'Procfile', file: 'api/Procfile', text: lines('web: gunicorn --bind :$PORT --workers 4 main:app') };
  const procfileOf = (workload: Workload | undefined) => workload?.containers[0]?.sources.map((s) => `${s.kind} ${s.file} ${s.how}`);

  it('links a workflow deploy of the variable a step of the same job builds with pack build --path', () => {
    const workflow = imageWorkflow('pack build "$IMAGE" --builder gcr.io/buildpacks/builder:v1 --path api --publish', 'gcloud run deploy orders --image "$IMAGE" --region us-central1');
    const { inventory } = buildInventory(loaded({}, [procfile, workflow]), []);
    // The deploy's service runs the Procfile's gunicorn; no Cloud Run service named after the directory is assumed.
    expect(inventory.workloads.map((w) => [w.ref.name, w.ref.file, w.containers[0]?.server?.evidence.file])).toEqual([['orders', '.github/workflows/deploy.yml', 'api/Procfile']]);
  });

  it('links a script deploy of the image the same script builds with pack build (its directory by default)', () => {
    const script: SourceText = { kind: 'deploy-script', file: 'api/deploy.sh', text: lines('#!/bin/sh', 'pack build gcr.io/p/api --builder paketobuildpacks/builder-jammy-base', 'gcloud run deploy orders --image gcr.io/p/api:latest --region us-central1') };
    const { inventory } = buildInventory(loaded({}, [procfile, script]), []);
    expect(inventory.workloads.map((w) => [w.ref.name, w.ref.file, w.containers[0]?.server?.evidence.file])).toEqual([['orders', 'api/deploy.sh', 'api/Procfile']]);
  });

  it('joins a Deployment running the image a Cloud Build pack step builds to that Procfile', () => {
    const config = cloudbuild('cloudbuild.yaml', '- name: gcr.io/k8s-skaffold/pack', '  entrypoint: pack', "  args: ['build', 'gcr.io/$PROJECT_ID/api', '--builder', 'gcr.io/buildpacks/builder:v1', '--path', 'api']");
    const { inventory } = buildInventory(loaded({ 'k8s/api.yaml': deployment('api', 'gcr.io/acme/api:1') }, [procfile, config]), []);
    expect(procfileOf(byName(inventory.workloads, 'api'))).toEqual(['Procfile api/Procfile build']);
    expect(byName(inventory.workloads, 'api')?.containers[0]?.server?.workers.value).toBe(4);
  });
});
