import { describe, expect, it } from 'vitest';
import { runDeployOf, withLines } from './gcloudRunDeploy.ts';

const at = { file: 'cloudbuild.yaml', line: 12, field: 'steps[2].args' };
const read = (argv: string[], cwd = '.') => runDeployOf(argv, cwd, at);

describe('runDeployOf', () => {
  it('reads --flag=value and --flag value alike, with the flag as written', () => {
    const deploy = read(['gcloud', 'run', 'deploy', 'api', '--image', 'gcr.io/p/api:1', '--concurrency=8', '--cpu', '2', '--memory=1Gi', '--timeout', '5m', '--port=8000', '--service-account', 'run@p.iam.gserviceaccount.com', '--execution-environment=gen2', '--min-instances', '1', '--max-instances=default']);
    expect(deploy).toMatchObject({ service: 'api', image: 'gcr.io/p/api:1', file: 'cloudbuild.yaml', line: 12, field: 'steps[2].args' });
    expect(deploy?.source).toBeUndefined();
    expect(deploy?.settings).toEqual({
      env: [],
      concurrency: { value: 8, text: '--concurrency=8' },
      cpu: { value: 2, text: '--cpu 2' },
      memory: { value: '1Gi', text: '--memory=1Gi' },
      timeoutSeconds: { value: 300, text: '--timeout 5m' },
      port: { value: 8000, text: '--port=8000' },
      serviceAccount: { value: 'run@p.iam.gserviceaccount.com', text: '--service-account run@p.iam.gserviceaccount.com' },
      executionEnvironment: { value: 'gen2', text: '--execution-environment=gen2' },
      minInstances: { value: 1, text: '--min-instances 1' },
      maxInstances: { value: 'default', text: '--max-instances=default' },
    });
  });

  it('reads switches, `--concurrency default`, fractional CPU and a timeout in seconds', () => {
    const deploy = read(['gcloud', 'run', 'deploy', 'api', '--no-cpu-throttling', '--cpu-boost', '--concurrency', 'default', '--cpu=500m', '--timeout=900']);
    expect(deploy?.settings).toMatchObject({
      cpuThrottling: { value: false, text: '--no-cpu-throttling' },
      cpuBoost: { value: true, text: '--cpu-boost' },
      concurrency: { value: 'default', text: '--concurrency default' },
      cpu: { value: 0.5 },
      timeoutSeconds: { value: 900 },
    });
  });

  it('joins --source to the working directory', () => {
    expect(read(['gcloud', 'run', 'deploy', 'web', '--source', './app'], 'services/web')?.source).toBe('services/web/app');
    expect(read(['gcloud', 'run', 'deploy', '--source=.'], 'api')).toMatchObject({ source: 'api' });
    expect(read(['gcloud', 'run', 'deploy', '--source=.'], 'api')?.service).toBeUndefined();
  });

  it('splits env vars at commas, or at the delimiter gcloud`s ^DELIM^ escape names; a later entry wins in order', () => {
    const deploy = read(['gcloud', 'run', 'deploy', 'api', '--set-env-vars=A=1,B=x=y', '--update-env-vars', '^;^TAGS=a,b;C=3']);
    expect(deploy?.settings.env).toEqual([
      { name: 'A', value: '1', text: '--set-env-vars=A=1,B=x=y' },
      { name: 'B', value: 'x=y', text: '--set-env-vars=A=1,B=x=y' },
      { name: 'TAGS', value: 'a,b', text: '--update-env-vars ^;^TAGS=a,b;C=3' },
      { name: 'C', value: '3', text: '--update-env-vars ^;^TAGS=a,b;C=3' },
    ]);
  });

  it('reads --command and --args as comma lists', () => {
    const deploy = read(['gcloud', 'run', 'deploy', 'api', '--command=gunicorn', '--args=--workers,2,--threads,4,main:app', '--args', '^:^-c:a,b']);
    expect(deploy?.settings.command).toEqual({ value: ['gunicorn'], text: '--command=gunicorn' });
    // The later --args wins, as gcloud's does.
    expect(deploy?.settings.args).toEqual({ value: ['-c', 'a,b'], text: '--args ^:^-c:a,b' });
  });

  it('keeps a value with a substitution left in it as text, with no value', () => {
    const deploy = read(['gcloud', 'run', 'deploy', '${_SERVICE}', '--concurrency=${_CONCURRENCY}', '--cpu', '$CPU', '--timeout=${{ vars.TIMEOUT }}', '--set-env-vars=THREADS=${_THREADS},MODE=fast', '--args=${ARGS}']);
    expect(deploy?.service).toBe('${_SERVICE}');
    expect(deploy?.settings.concurrency).toEqual({ value: undefined, text: '--concurrency=${_CONCURRENCY}' });
    expect(deploy?.settings.cpu).toEqual({ value: undefined, text: '--cpu $CPU' });
    expect(deploy?.settings.timeoutSeconds).toEqual({ value: undefined, text: '--timeout=${{ vars.TIMEOUT }}' });
    expect(deploy?.settings.args).toEqual({ value: undefined, text: '--args=${ARGS}' });
    expect(deploy?.settings.env.map((e) => [e.name, e.value])).toEqual([['THREADS', undefined], ['MODE', 'fast']]);
  });

  it('ignores flags it does not use, including ones that take a value', () => {
    const deploy = read(['gcloud', 'run', 'deploy', '--region', 'us-central1', 'api', '--platform=managed', '--no-allow-unauthenticated', '--labels', 'a=b', '--image=i']);
    expect(deploy).toMatchObject({ service: 'api', image: 'i', settings: { env: [] } });
    expect(Object.keys(deploy?.settings ?? {})).toEqual(['env']);
  });

  it('finds `run deploy` past global flags and a release track, and nothing in other commands', () => {
    expect(read(['gcloud', '--project', 'p', 'beta', 'run', 'deploy', 'api', '--image=i'])?.service).toBe('api');
    expect(read(['/usr/bin/gcloud', '--quiet', 'run', 'deploy', 'api', '--image=i'])?.service).toBe('api');
    expect(read(['gcloud', 'run', 'jobs', 'deploy', 'job', '--image=i'])).toBeUndefined();
    expect(read(['gcloud', 'run', 'services', 'describe', 'api'])).toBeUndefined();
    expect(read(['gcloud', 'run', 'services', 'update-traffic', 'api', '--to-latest'])).toBeUndefined();
    expect(read(['gcloud', 'builds', 'submit', '--tag', 'i'])).toBeUndefined();
    expect(read(['docker', 'run', 'deploy'])).toBeUndefined();
  });
});

describe('runDeployOf: gcloud run services update', () => {
  it('reads the settings an update gives the service, marked as an update, past global flags and a release track', () => {
    const update = read(['gcloud', '--project', 'p', 'beta', 'run', 'services', 'update', 'api', '--region', 'us-central1', '--concurrency=8', '--cpu', '2', '--set-env-vars=MODE=fast']);
    expect(update).toMatchObject({ update: true, service: 'api', settings: { concurrency: { value: 8, text: '--concurrency=8' }, cpu: { value: 2, text: '--cpu 2' }, env: [{ name: 'MODE', value: 'fast', text: '--set-env-vars=MODE=fast' }] } });
    expect(read(['gcloud', 'run', 'deploy', 'api', '--image=i'])?.update).toBeUndefined();
  });

  it('takes no --source from an update, which has none', () => {
    expect(read(['gcloud', 'run', 'services', 'update', 'api', '--source', 'app'])?.source).toBeUndefined();
  });
});

describe('withLines', () => {
  it('keeps the lines the command is written on, numbered from 1', () => {
    const deploy = read(['gcloud', 'run', 'deploy', 'api']);
    expect(withLines(deploy!, 'a\nb\nc\nd\n', 2, 3).lines).toEqual([
      { line: 2, text: 'b' },
      { line: 3, text: 'c' },
    ]);
  });
});
