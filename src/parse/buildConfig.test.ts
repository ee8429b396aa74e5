import { describe, expect, it } from 'vitest';
import { cloudBuildImages, commandBuilds, isCloudBuildConfig, isSkaffoldConfig, skaffoldImages } from './buildConfig.ts';
import { parseManifests } from './manifests.ts';

const lines = (...text: string[]) => `${text.join('\n')}\n`;

/** The (image, context, dockerfile) triples a Cloud Build config yields, with no errors. */
function built(file: string, text: string, root = '.'): Array<[string, string, string]> {
  const read = cloudBuildImages(file, text, root);
  expect(read.errors).toEqual([]);
  return read.images.map((i) => [i.image, i.context, i.dockerfile]);
}

describe('isCloudBuildConfig', () => {
  it.each([
    ['cloudbuild.yaml', true],
    ['cloudbuild.yml', true],
    ['cloudbuild.json', true],
    ['api.cloudbuild.yaml', true],
    ['cloudbuild-dev.yaml', false],
    ['mycloudbuild.yaml', false],
    ['cloudbuild.yaml.bak', false],
  ])('%s: %s', (name, expected) => {
    expect(isCloudBuildConfig(name)).toBe(expected);
  });
});

describe('cloudBuildImages', () => {
  it('reads a docker builder step: buildx build --tag IMAGE CONTEXT, relative to the source root it is submitted from', () => {
    const text = lines('steps:', '- name: gcr.io/cloud-builders/docker', '  args:', '  - buildx', '  - build', '  - --tag', '  - us-central1-docker.pkg.dev/${PROJECT_ID}/models/fastdash:latest', '  - "."');
    // `cd ai-ml/client-app && gcloud builds submit`: the config's directory is the source root.
    const read = cloudBuildImages('ai-ml/client-app/cloudbuild.yaml', text, 'ai-ml/client-app');
    expect(read.images).toEqual([
      {
        image: 'us-central1-docker.pkg.dev/${PROJECT_ID}/models/fastdash:latest',
        context: 'ai-ml/client-app',
        dockerfile: 'ai-ml/client-app/Dockerfile',
        file: 'ai-ml/client-app/cloudbuild.yaml',
        line: 2,
        field: 'steps[0]',
      },
    ]);
  });

  it('takes dir: and the context relative to the source root, not to a config in a subfolder (a trigger builds the repository)', () => {
    const text = lines('steps:', '- name: gcr.io/cloud-builders/docker', '  args: [build, -t, gcr.io/$PROJECT_ID/advance, app]', '- name: gcr.io/cloud-builders/docker', '  dir: api', '  args: [build, -t, gcr.io/$PROJECT_ID/api, .]');
    expect(built('test/advance.cloudbuild.yaml', text)).toEqual([
      ['gcr.io/$PROJECT_ID/advance', 'app', 'app/Dockerfile'],
      ['gcr.io/$PROJECT_ID/api', 'api', 'api/Dockerfile'],
    ]);
    expect(built('repo/test/advance.cloudbuild.yaml', text, 'repo').map(([, , dockerfile]) => dockerfile)).toEqual(['repo/app/Dockerfile', 'repo/api/Dockerfile']);
  });

  it('joins dir:, -f and -t (each tag an image), and --tag= and --file=', () => {
    const text = lines(
      'steps:',
      "- name: 'gcr.io/cloud-builders/docker'",
      '  dir: services/api',
      "  args: ['build', '--build-arg', 'V=1', '-t', 'gcr.io/$PROJECT_ID/api:$SHORT_SHA', '-t', 'gcr.io/$PROJECT_ID/api:latest', '-f', 'docker/Dockerfile.prod', '.']",
      '- name: gcr.io/cloud-builders/docker',
      "  args: ['build', '--tag=gcr.io/p/web', '--file=web/Containerfile', '--no-cache', 'web']",
      '- name: gcr.io/cloud-builders/docker',
      "  args: ['push', 'gcr.io/p/web']",
    );
    expect(built('cloudbuild.yaml', text)).toEqual([
      ['gcr.io/$PROJECT_ID/api:$SHORT_SHA', 'services/api', 'services/api/docker/Dockerfile.prod'],
      ['gcr.io/$PROJECT_ID/api:latest', 'services/api', 'services/api/docker/Dockerfile.prod'],
      ['gcr.io/p/web', 'web', 'web/Containerfile'],
    ]);
  });

  it('reads docker build and gcloud builds submit inside bash -c and script: texts, with line continuations', () => {
    const text = lines(
      'steps:',
      '- name: gcr.io/cloud-builders/docker',
      '  entrypoint: bash',
      '  args:',
      '  - -c',
      '  - |',
      '    docker build \\',
      '      -t "europe-docker.pkg.dev/${PROJECT_ID}/apps/${_SERVICE}:${SHORT_SHA}" ./app && docker push x',
      '- name: gcr.io/google.com/cloudsdktool/cloud-sdk',
      '  script: |',
      '    gcloud builds submit --tag gcr.io/$PROJECT_ID/worker worker',
      '    gcloud run deploy worker --image gcr.io/$PROJECT_ID/worker',
    );
    // Submitted from deploy/ (`cd deploy && gcloud builds submit`).
    expect(built('deploy/cloudbuild.yaml', text, 'deploy')).toEqual([
      ['europe-docker.pkg.dev/${PROJECT_ID}/apps/${_SERVICE}:${SHORT_SHA}', 'deploy/app', 'deploy/app/Dockerfile'],
      ['gcr.io/${PROJECT_ID}/worker', 'deploy/worker', 'deploy/worker/Dockerfile'],
    ]);
  });

  it('replaces a user substitution by its default from substitutions:, and keeps the others as written', () => {
    const text = lines(
      'substitutions:',
      '  _IMAGE: "REGION-docker.pkg.dev/PROJECT_ID/ray-tpu/serve-qwen-tpu:v1"',
      'steps:',
      '  - name: gcr.io/cloud-builders/docker',
      '    args: ["build", "-t", "${_IMAGE}", "-t", "gcr.io/$PROJECT_ID/${_OTHER}", "."]',
    );
    expect(built('serve/cloudbuild.yaml', text).map(([image]) => image)).toEqual(['REGION-docker.pkg.dev/PROJECT_ID/ray-tpu/serve-qwen-tpu:v1', 'gcr.io/$PROJECT_ID/${_OTHER}']);
  });

  it('reads a cloud-sdk step without entrypoint whose args name the program (`name: google/cloud-sdk`, `args: [gcloud, run, deploy, ...]`)', () => {
    const text = lines(
      'steps:',
      '  - name: google/cloud-sdk',
      '    args: [',
      '        "gcloud",',
      '        "run",',
      '        "deploy",',
      '        "cloudrun-fastapi",',
      '        "--image=us-central1-docker.pkg.dev/${PROJECT_ID}/${PROJECT_ID}/cloudrun-fastapi:${SHORT_SHA}",',
      '        "--allow-unauthenticated",',
      '      ]',
      '  - name: gcr.io/google.com/cloudsdktool/cloud-sdk',
      '    args: ["bash", "-c", "gcloud run deploy worker --source worker"]',
      '  - name: gcr.io/google.com/cloudsdktool/cloud-sdk',
      '    args: ["run", "deploy", "api", "--source", "api"]',
    );
    const read = cloudBuildImages('cloudbuild.yaml', text, '.');
    expect(read.deploys?.map((d) => [d.service, d.field])).toEqual([
      ['cloudrun-fastapi', 'steps[0].args'],
      ['worker', 'steps[1].args[2]'],
      ['api', 'steps[2].args'],
    ]);
  });

  it("keeps a substitution whose default is empty (`_SERVICE_NAME: ''`, filled by the submitting script's --substitutions)", () => {
    const text = lines(
      'steps:',
      "  - name: 'gcr.io/google.com/cloudsdktool/cloud-sdk'",
      '    entrypoint: gcloud',
      "    args: ['run', 'deploy', '${_SERVICE_NAME}', '--image=${_REGION}-docker.pkg.dev/${PROJECT_ID}/${_REPO_NAME}/${_SERVICE_NAME}:latest']",
      'substitutions:',
      "  _REGION: ''",
      "  _SERVICE_NAME: ''",
    );
    const [deploy] = cloudBuildImages('cloudbuild.yaml', text, '.').deploys ?? [];
    expect([deploy?.service, deploy?.image]).toEqual(['${_SERVICE_NAME}', '${_REGION}-docker.pkg.dev/${PROJECT_ID}/${_REPO_NAME}/${_SERVICE_NAME}:latest']);
  });

  it('reads a gcloud builder step and a kaniko step, and a JSON config', () => {
    const json = JSON.stringify({
      steps: [
        { name: 'gcr.io/cloud-builders/gcloud', args: ['builds', 'submit', '--tag', 'gcr.io/p/a', 'a'] },
        { name: 'gcr.io/kaniko-project/executor:latest', args: ['--destination=gcr.io/p/b', '--context=dir:///workspace/b', '--dockerfile=Dockerfile.k'] },
        { name: 'gcr.io/cloud-builders/docker', args: ['run', 'gcr.io/p/a', 'pytest'] },
      ],
    });
    expect(built('cloudbuild.json', json)).toEqual([
      ['gcr.io/p/a', 'a', 'a/Dockerfile'],
      ['gcr.io/p/b', 'b', 'b/Dockerfile.k'],
    ]);
  });

  it('names the file and field when steps are not a list of steps, and reads nothing', () => {
    const read = cloudBuildImages('cloudbuild.yaml', lines('steps:', '  name: docker'), '.');
    expect(read.images).toEqual([]);
    expect(read.errors).toEqual([expect.objectContaining({ file: 'cloudbuild.yaml', field: 'steps', line: 1 })]);
    expect(read.errors[0]?.message).toMatch(/^not a Cloud Build config/);
  });
});

describe('skaffoldImages', () => {
  const doc = (file: string, text: string) => {
    const parsed = parseManifests(file, text);
    expect(parsed.errors).toEqual([]);
    return parsed.documents[0] as (typeof parsed.documents)[number];
  };

  it('reads v2 artifacts with context and docker.dockerfile, relative to the config, and profiles; a ko artifact builds no Dockerfile', () => {
    const text = lines(
      'apiVersion: skaffold/v2beta29',
      'kind: Config',
      'build:',
      '  artifacts:',
      '  - image: frontend',
      '    context: src/frontend',
      '  - image: gcr.io/p/api',
      '    context: src/api',
      '    docker:',
      '      dockerfile: deploy/Dockerfile',
      '  - image: echo-grpc',
      '    ko: {fromImage: gcr.io/distroless/static:nonroot}',
      'profiles:',
      '- name: gcb',
      '  build:',
      '    artifacts:',
      '    - image: worker',
    );
    const read = skaffoldImages(doc('app/skaffold.yaml', text));
    expect(read.errors).toEqual([]);
    expect(read.images).toEqual([
      { image: 'frontend', context: 'app/src/frontend', dockerfile: 'app/src/frontend/Dockerfile', file: 'app/skaffold.yaml', line: 5, field: 'build.artifacts[0]' },
      { image: 'gcr.io/p/api', context: 'app/src/api', dockerfile: 'app/src/api/deploy/Dockerfile', file: 'app/skaffold.yaml', line: 7, field: 'build.artifacts[1]' },
      { image: 'worker', context: 'app', dockerfile: 'app/Dockerfile', file: 'app/skaffold.yaml', line: 17, field: 'profiles[0].build.artifacts[0]' },
    ]);
  });

  it('reads a v4 config and recognises Skaffold Configs of any schema version, nothing else', () => {
    const text = lines('apiVersion: skaffold/v4beta11', 'kind: Config', 'metadata: {name: t5}', 'build:', '  artifacts:', '  - image: fastdash', '    context: client-app', 'manifests:', '  rawYaml: [kubernetes/*.yaml]');
    const d = doc('skaffold.yaml', text);
    expect(isSkaffoldConfig(d.object)).toBe(true);
    expect(isSkaffoldConfig({ apiVersion: 'apps/v1', kind: 'Config' })).toBe(false);
    expect(isSkaffoldConfig({ apiVersion: 'skaffold/v4beta11', kind: 'Deployment' })).toBe(false);
    expect(skaffoldImages(d).images.map((i) => [i.image, i.context, i.dockerfile])).toEqual([['fastdash', 'client-app', 'client-app/Dockerfile']]);
  });

  it('names the field of an artifact without an image', () => {
    const read = skaffoldImages(doc('skaffold.yaml', lines('apiVersion: skaffold/v4beta11', 'kind: Config', 'build:', '  artifacts:', '  - context: app')));
    expect(read.images).toEqual([]);
    expect(read.errors).toEqual([expect.objectContaining({ file: 'skaffold.yaml', field: 'build.artifacts[0].image', line: 5 })]);
  });
});

describe('cloudBuildImages: gcloud run deploy steps', () => {
  it('reads a gcloud builder`s args, a cloud-sdk step, and a bash -c text, with substitution defaults applied', () => {
    const text = lines(
      'steps:', //                                                    1
      '  - name: gcr.io/cloud-builders/gcloud', //                    2
      '    args:', //                                                 3
      '      - run', //                                               4
      '      - deploy', //                                            5
      '      - ${_SERVICE}', //                                       6
      '      - --image=${_REPO}/api:${SHORT_SHA}', //                 7
      '      - --concurrency=${_CONCURRENCY}', //                     8
      '  - name: gcr.io/google.com/cloudsdktool/cloud-sdk:slim', //   9
      '    args: [run, deploy, worker, --source, ., --cpu, "2"]', //  10
      '    dir: worker', //                                           11
      '  - name: gcr.io/google.com/cloudsdktool/cloud-sdk', //        12
      '    entrypoint: bash', //                                      13
      '    args:', //                                                 14
      '      - -c', //                                                15
      '      - |', //                                                 16
      '        set -e', //                                            17
      '        gcloud run deploy batch --image "$_REPO/batch" \\', // 18
      '          --no-cpu-throttling', //                             19
      'substitutions:',
      '  _REPO: us-docker.pkg.dev/p/r',
      '  _SERVICE: api',
    );
    const read = cloudBuildImages('deploy/cloudbuild.yaml', text, '.');
    expect(read.errors).toEqual([]);
    const [api, worker, batch, ...rest] = read.deploys ?? [];
    expect(rest).toEqual([]);
    expect(api).toMatchObject({ service: 'api', image: 'us-docker.pkg.dev/p/r/api:${SHORT_SHA}', file: 'deploy/cloudbuild.yaml', line: 3, field: 'steps[0].args' });
    // A substitution without a default stays: the value is unknown.
    expect(api?.settings.concurrency).toEqual({ value: undefined, text: '--concurrency=${_CONCURRENCY}' });
    expect(api?.lines?.map((l) => l.line)).toEqual([3, 4, 5, 6, 7, 8]);
    // `--source worker` is the source root's worker/, not deploy/worker beside the config.
    expect(worker).toMatchObject({ service: 'worker', source: 'worker', line: 10, settings: { cpu: { value: 2, text: '--cpu 2' } } });
    expect(batch).toMatchObject({ service: 'batch', image: 'us-docker.pkg.dev/p/r/batch', line: 18, field: 'steps[2].args[1]', settings: { cpuThrottling: { value: false } } });
    expect(batch?.lines?.map((l) => l.line)).toEqual([18, 19]);
  });
});

describe('commandBuilds: pack build', () => {
  it('builds the image (and its --tag images) from the Procfile of --path, else of the working directory', () => {
    expect(commandBuilds(['pack', 'build', 'gcr.io/p/api', '--builder', 'gcr.io/buildpacks/builder:v1', '-p', 'services/api', '--tag', 'gcr.io/p/api:v2', '--publish'], 'ci')).toEqual([
      { image: 'gcr.io/p/api', context: 'ci/services/api', dockerfile: 'ci/services/api/Procfile' },
      { image: 'gcr.io/p/api:v2', context: 'ci/services/api', dockerfile: 'ci/services/api/Procfile' },
    ]);
    expect(commandBuilds(['pack', 'build', '--env', 'BP_X=1', 'web'], '.')).toEqual([{ image: 'web', context: '.', dockerfile: 'Procfile' }]);
  });

  it('builds nothing pytuner can read from an archive, a URL, or with no image named', () => {
    expect(commandBuilds(['pack', 'build', 'app', '--path', 'dist/app.jar'], '.')).toEqual([]);
    expect(commandBuilds(['pack', 'build', 'app', '--path', 'https://example.com/app.tgz'], '.')).toEqual([]);
    expect(commandBuilds(['pack', 'build', '--builder', 'b'], '.')).toEqual([]);
  });
});
