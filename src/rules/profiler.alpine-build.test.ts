import { describe, expect, it } from 'vitest';
import { deployment, dockerfile, inventory, knativeService } from '../../test/builders/index.ts';
import { alpineBuild } from './profiler.alpine-build.ts';

describe('profiler.alpine-build', () => {
  it('reports python:alpine installing the profiler without build-base, with the two-stage recipe', () => {
    const image = dockerfile().from('python:3.12-alpine').run('pip install google-cloud-profiler').cmd('python app.py');
    const [finding, ...rest] = alpineBuild.check(inventory().standaloneImage(image).build());
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      rule: 'profiler.alpine-build',
      severity: 'warning',
      target: { kind: 'Dockerfile', name: 'Dockerfile', file: 'Dockerfile', line: 1 },
      message: 'Cloud Profiler on python:3.12-alpine: no stage installs build-base to compile its native agent',
      current: { base: 'python:3.12-alpine', 'build-base': false, 'ca-certificates': true },
      recommended: { 'build-base': true, 'ca-certificates': true },
    });
    expect(finding!.fix!.edits).toBeUndefined();
    expect(finding!.fix!.notes).toEqual([
      [
        'build the agent in a separate stage and install the wheel in the final one:',
        'FROM python:3.12-alpine AS profiler-wheels',
        'RUN apk add --no-cache build-base linux-headers',
        'RUN pip wheel --wheel-dir=/tmp/wheels google-cloud-profiler',
        'then, after the final FROM: COPY --from=profiler-wheels /tmp/wheels /tmp/wheels',
        'and RUN pip install --no-index --find-links=/tmp/wheels google-cloud-profiler',
      ].join('\n'),
    ]);
  });

  it('reports bare alpine without ca-certificates, and inserts the apk line after the final FROM', () => {
    const image = (d: ReturnType<typeof dockerfile>) =>
      d.from('python:3.12-alpine', 'builder').run('apk add --update --no-cache build-base').run('pip3 wheel --wheel-dir=/tmp/wheels google-cloud-profiler').from('alpine:3.20').run('apk add python3').cmd('python3 app.py');
    const [finding] = alpineBuild.check(inventory(deployment('w').container((c) => c.dockerfile(image).env('ENABLE_PROFILER', '1'))).build());
    expect(finding!.message).toBe('Cloud Profiler on alpine:3.20: the final image lacks ca-certificates, so its TLS calls fail with "x509: failed to load system roots"');
    expect(finding!.fix).toEqual({ edits: [{ file: 'Dockerfile', line: 4, before: 'FROM alpine:3.20', after: 'FROM alpine:3.20\nRUN apk add --no-cache ca-certificates' }] });
  });

  it('names both problems, and notes Alpine is documented for GKE only when the image runs on Cloud Run', () => {
    const [finding] = alpineBuild.check(
      inventory(knativeService('api').cloudRun().container((c) => c.dockerfile((d) => d.from('alpine:3.20').run('apk add py3-pip').run('pip3 install google-cloud-profiler').cmd('python3 app.py')).env('GOOGLE_CLOUD_PROFILER_SERVICE', 'api'))).build(),
    );
    expect(finding!.message).toBe(
      'Cloud Profiler on alpine:3.20: no stage installs build-base to compile its native agent, and the final image lacks ca-certificates, so its TLS calls fail with "x509: failed to load system roots"',
    );
    expect(finding!.fix!.notes!.at(-1)).toBe('Google documents the Python agent on Alpine for GKE only; on Cloud Run prefer a Debian-based python:*-slim image');
    expect(finding!.evidence.map((e) => e.field)).toEqual(['FROM', 'RUN', 'spec.template.spec.containers[0].env[0]']);
  });

  it('stays silent for the guide’s two-stage build, without a profiler, and on Debian images', () => {
    const guide = dockerfile()
      .from('python:3.7-alpine', 'builder')
      .run('apk add --update --no-cache build-base')
      .run('pip3 wheel --wheel-dir=/tmp/wheels google-cloud-profiler')
      .from('python:3.7-alpine')
      .run('pip3 install --no-index --find-links=/tmp/wheels google-cloud-profiler')
      .cmd('python3 -u bench.py');
    expect(alpineBuild.check(inventory().standaloneImage(guide).build())).toEqual([]);
    expect(alpineBuild.check(inventory().standaloneImage(dockerfile().from('python:3.12-alpine').cmd('python app.py')).build())).toEqual([]);
    expect(alpineBuild.check(inventory().standaloneImage(dockerfile().from('python:3.12-slim').run('pip install google-cloud-profiler')).build())).toEqual([]);
    const gccMusl = dockerfile().from('alpine:3.20').run('apk add --no-cache gcc musl-dev linux-headers python3-dev ca-certificates').run('pip install google-cloud-profiler');
    expect(alpineBuild.check(inventory().standaloneImage(gccMusl).build())).toEqual([]);
  });

  it('counts apk add g++ as a toolchain (it depends on gcc and musl-dev)', () => {
    const gpp = dockerfile().from('python:3.12-alpine').run('apk add --no-cache g++ linux-headers').run('pip install google-cloud-profiler');
    expect(alpineBuild.check(inventory().standaloneImage(gpp).build())).toEqual([]);
  });

  it('stays silent for a stale ENV ENABLE_PROFILER=1 with no agent installed, and when DISABLE_PROFILER is set', () => {
    expect(alpineBuild.check(inventory().standaloneImage(dockerfile().from('python:3.12-alpine').env('ENABLE_PROFILER', '1').run('pip install flask')).build())).toEqual([]);
    const disabled = dockerfile().from('python:3.12-alpine').env('DISABLE_PROFILER', '1').run('pip install google-cloud-profiler');
    expect(alpineBuild.check(inventory().standaloneImage(disabled).build())).toEqual([]);
  });
});
