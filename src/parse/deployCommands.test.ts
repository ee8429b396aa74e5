import { describe, expect, it } from 'vitest';
import { isDeployScript, isWorkflowFile, readScript, readWorkflow } from './deployCommands.ts';

const workflowDeploys = (file: string, text: string) => readWorkflow(file, text).deploys;

const lines = (...text: string[]) => `${text.join('\n')}\n`;

describe('which files are read for deploy commands', () => {
  it('knows workflows by path and scripts by name', () => {
    expect(isWorkflowFile('repo/.github/workflows/deploy.yml')).toBe(true);
    expect(isWorkflowFile('.github/workflows/ci.yaml')).toBe(true);
    expect(isWorkflowFile('repo/.github/dependabot.yml')).toBe(false);
    expect(isWorkflowFile('repo/workflows/deploy.yml')).toBe(false);
    expect(['deploy.sh', 'Makefile', 'GNUmakefile'].map(isDeployScript)).toEqual([true, true, true]);
    expect(['deploy.py', 'Makefile.am', 'sh'].map(isDeployScript)).toEqual([false, false, false]);
  });
});

describe('workflowDeploys', () => {
  const workflow = lines(
    'on: push', //                                          1
    'env:', //                                              2
    '  REGION: us-central1', //                             3
    '  SERVICE: api', //                                    4
    'jobs:', //                                             5
    '  deploy:', //                                         6
    '    runs-on: ubuntu-latest', //                        7
    '    defaults:', //                                     8
    '      run:', //                                        9
    '        working-directory: services', //              10
    '    steps:', //                                       11
    '      - uses: actions/checkout@v4', //                 12
    '      - run: |', //                                    13
    '          echo ${{ github.sha }}', //                  14
    '          gcloud run deploy $SERVICE --source ./api \\', // 15
    '            --concurrency 8 --region "${{ env.REGION }}" \\', // 16
    '            --set-env-vars "THREADS=${{ vars.THREADS }}"', // 17
    '      - uses: google-github-actions/deploy-cloudrun@v2', // 18
    '        with:', //                                     19
    '          service: ${{ env.SERVICE }}-2', //           20
    '          image: gcr.io/p/api:${{ github.sha }}', //   21
    '          env_vars: |', //                             22
    '            MODE=fast', //                             23
    '            A=1,B=2', //                               24
    '          flags: --cpu=2 --timeout=60', //             25
  );

  it('reads `run:` texts, resolving env vars with a literal value, and the deploy-cloudrun action`s inputs', () => {
    const [run, action, ...rest] = workflowDeploys('repo/.github/workflows/deploy.yml', workflow);
    expect(rest).toEqual([]);
    expect(run).toMatchObject({ service: 'api', source: 'repo/services/api', file: 'repo/.github/workflows/deploy.yml', line: 15, field: 'jobs.deploy.steps[1].run' });
    expect(run?.settings.concurrency).toEqual({ value: 8, text: '--concurrency 8' });
    // An expression pytuner cannot evaluate stays as written, and the value is unknown.
    expect(run?.settings.env).toEqual([{ name: 'THREADS', value: undefined, text: '--set-env-vars THREADS=${{ vars.THREADS }}' }]);
    expect(run?.lines?.map((l) => l.line)).toEqual([15, 16, 17]);
    expect(action).toMatchObject({ service: 'api-2', image: 'gcr.io/p/api:${{ github.sha }}', line: 19, field: 'jobs.deploy.steps[2].with' });
    expect(action?.settings.env.map((e) => `${e.name}=${e.value}`)).toEqual(['MODE=fast', 'A=1', 'B=2']);
    expect(action?.settings.cpu?.value).toBe(2);
    expect(action?.settings.timeoutSeconds?.value).toBe(60);
    expect(action?.lines?.map((l) => l.line)).toEqual([19, 20, 21, 22, 23, 24, 25]);
  });

  it('yields nothing for a workflow without a deploy, or one that does not parse', () => {
    expect(workflowDeploys('.github/workflows/ci.yml', lines('on: push', 'jobs:', '  test:', '    steps:', '      - run: npm test'))).toEqual([]);
    expect(workflowDeploys('.github/workflows/ci.yml', 'jobs: [gcloud run deploy\n')).toEqual([]);
    expect(workflowDeploys('.github/workflows/ci.yml', lines('jobs:', '  a: 3', '  b:', '    steps:', '      - run: gcloud run deploy x --image=i'))).toHaveLength(1);
  });
});

describe('readScript', () => {
  it('reads a shell script`s commands with the line each starts on, from the script`s directory', () => {
    const script = lines('#!/bin/sh', 'set -eu', 'IMAGE=gcr.io/p/api', 'gcloud builds submit --tag "$IMAGE" && \\', '  gcloud run deploy api --image "$IMAGE" \\', '    --cpu 4', 'echo done');
    const [deploy, ...rest] = readScript('ops/deploy.sh', script).deploys;
    expect(rest).toEqual([]);
    // `$IMAGE` is a shell variable pytuner does not track: it stays a reference.
    expect(deploy).toMatchObject({ service: 'api', image: '${IMAGE}', file: 'ops/deploy.sh', line: 4 });
    expect(deploy?.settings.cpu).toEqual({ value: 4, text: '--cpu 4' });
    expect(deploy?.lines?.map((l) => l.line)).toEqual([4, 5, 6]);
  });

  it('reads Makefile recipes, with make variables that have a literal value', () => {
    const makefile = lines('SERVICE := web', 'TAG ?= $(shell git rev-parse HEAD)', '', 'deploy:', '\t@gcloud run deploy $(SERVICE) --source . --concurrency=$(CONCURRENCY) --set-env-vars=TAG=$(TAG)', 'SERVICE2 = x');
    const [deploy, ...rest] = readScript('web/Makefile', makefile).deploys;
    expect(rest).toEqual([]);
    expect(deploy).toMatchObject({ service: 'web', source: 'web', line: 5 });
    expect(deploy?.settings.concurrency).toEqual({ value: undefined, text: '--concurrency=${CONCURRENCY}' });
    expect(deploy?.settings.env).toEqual([{ name: 'TAG', value: undefined, text: '--set-env-vars=TAG=${TAG}' }]);
  });

  it('reads nothing from a script that deploys nothing', () => {
    expect(readScript('entrypoint.sh', lines('#!/bin/sh', 'exec gunicorn app:app'))).toEqual({ deploys: [], builds: [] });
  });
});

describe('readWorkflow', () => {
  it('reads the images its run steps build, with the job step that builds them', () => {
    const text = lines('jobs:', '  ship:', '    steps:', '      - run: |', '          docker build -t "$IMAGE" -f api/Dockerfile api', '          gcloud run deploy api --image "$IMAGE"');
    expect(readWorkflow('.github/workflows/ship.yml', text).builds).toEqual([
      { image: '${IMAGE}', context: 'api', dockerfile: 'api/Dockerfile', file: '.github/workflows/ship.yml', field: 'jobs.ship.steps[0].run', line: 5 },
    ]);
  });

  it("reads a shell variable its run step assigns once before building, so a later step's deploy of that image joins", () => {
    const text = lines(
      'env:',
      '  REGION: europe-west1',
      '  SERVICE: shop',
      'jobs:',
      '  ship:',
      '    steps:',
      '      - run: |-',
      '          TAG="${{ env.REGION }}-docker.pkg.dev/p/apps/${{ env.SERVICE }}:${{ github.sha }}"',
      '          docker build --tag "${TAG}" .',
      '          OTHER=$(date +%s)',
      '          docker build -t "${OTHER}" web',
      '      - uses: google-github-actions/deploy-cloudrun@v2',
      '        with:',
      '          service: ${{ env.SERVICE }}',
      "          image: '${{ env.REGION }}-docker.pkg.dev/p/apps/${{ env.SERVICE }}:${{ github.sha }}'",
    );
    const read = readWorkflow('.github/workflows/ship.yml', text);
    // A value computed by a command substitution is not tracked: it stays a reference.
    expect(read.builds.map((b) => [b.image, b.context])).toEqual([
      ['europe-west1-docker.pkg.dev/p/apps/shop:${{ github.sha }}', '.'],
      ['${OTHER}', 'web'],
    ]);
    expect(read.deploys[0]?.image).toBe('europe-west1-docker.pkg.dev/p/apps/shop:${{ github.sha }}');
  });
});
