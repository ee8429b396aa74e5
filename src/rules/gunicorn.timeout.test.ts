import { describe, expect, it } from 'vitest';
import { deployment, inventory, knativeService } from '../../test/builders/index.ts';
import { gunicornTimeout } from './gunicorn.timeout.ts';

const check = (...w: Parameters<typeof inventory>) => gunicornTimeout.check(inventory(...w).build());

describe('gunicorn.timeout', () => {
  it('warns of the default 30 s on Cloud Run and adds --timeout 0 through GUNICORN_CMD_ARGS', () => {
    const [finding, ...rest] = check(knativeService('api').cloudRun().container((c) => c.gunicorn()));
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      rule: 'gunicorn.timeout',
      severity: 'warning',
      message:
        "gunicorn --timeout 30 (default) kills a sync worker whose request runs past 30 s, while Cloud Run's timeoutSeconds 300 (default) allows more: longer requests end in 502 and WORKER TIMEOUT; set --timeout 0",
      current: { timeout: 30, timeoutSeconds: 300 },
      recommended: { timeout: 0 },
    });
    expect(finding!.fix).toEqual({
      jsonPatch: [{ op: 'add', path: '/spec/template/spec/containers/0/env', value: [{ name: 'GUNICORN_CMD_ARGS', value: '--timeout 0' }] }],
    });
  });

  it('appends to an existing GUNICORN_CMD_ARGS', () => {
    const [finding] = check(knativeService('api').container((c) => c.env('GUNICORN_CMD_ARGS', '--access-logfile -').gunicorn()));
    expect(finding!.fix!.jsonPatch).toEqual([
      { op: 'test', path: '/spec/template/spec/containers/0/env/0/name', value: 'GUNICORN_CMD_ARGS' },
      { op: 'replace', path: '/spec/template/spec/containers/0/env/0/value', value: '--access-logfile - --timeout 0' },
    ]);
  });

  it('replaces a literal --timeout in the args, and changes the flag inside GUNICORN_CMD_ARGS when it is set there', () => {
    const [args] = check(knativeService('api').timeoutSeconds(900).container((c) => c.gunicorn({ timeout: 120 })));
    expect(args!.message).toBe(
      "gunicorn --timeout 120 kills a sync worker whose request runs past 120 s, while Knative's timeoutSeconds 900 allows more: longer requests end in 502 and WORKER TIMEOUT; set --timeout 0",
    );
    expect(args!.fix!.jsonPatch).toEqual([
      { op: 'test', path: '/spec/template/spec/containers/0/args/4', value: '120' },
      { op: 'replace', path: '/spec/template/spec/containers/0/args/4', value: '0' },
    ]);
    const [env] = check(knativeService('api').container((c) => c.env('GUNICORN_CMD_ARGS', '--timeout=60 --preload').gunicorn({ timeout: { env: 'GUNICORN_CMD_ARGS', value: 60 } })));
    expect(env!.fix!.jsonPatch!.at(-1)).toEqual({ op: 'replace', path: '/spec/template/spec/containers/0/env/0/value', value: '--timeout=0 --preload' });
  });

  it('is info for non-sync workers and for timeouts at or above timeoutSeconds', () => {
    const [gthread] = check(knativeService('a').cloudRun().container((c) => c.gunicorn({ threads: 8 })));
    expect(gthread!.severity).toBe('info');
    expect(gthread!.message).toBe(
      "gunicorn --timeout 30 (default) restarts a gthread worker whose main loop is silent for 30 s, while Cloud Run's timeoutSeconds 300 (default) already bounds requests; set --timeout 0",
    );
    const [long] = check(knativeService('b').cloudRun().container((c) => c.gunicorn({ timeout: 600 })));
    expect(long!.severity).toBe('info');
    expect(long!.message).toBe("gunicorn --timeout 600 never ends a request before Cloud Run's timeoutSeconds 300 (default) does; set --timeout 0 so the platform alone governs");
  });

  it('edits the Dockerfile CMD when the timeout is written there', () => {
    const [finding] = check(knativeService('api').cloudRun().container((c) => c.gunicorn({ timeout: 30, from: 'Dockerfile' })));
    expect(finding!.fix).toEqual({
      edits: [
        {
          file: 'Dockerfile',
          line: 2,
          before: 'CMD ["gunicorn","--bind",":8080","--timeout","30","main:app"]',
          after: 'CMD ["gunicorn","--bind",":8080","--timeout","0","main:app"]',
        },
      ],
    });
  });

  it('stays silent with --timeout 0, on Deployments, for unknown values and other servers', () => {
    expect(check(knativeService('a').cloudRun().container((c) => c.gunicorn({ timeout: 0 })))).toEqual([]);
    expect(check(deployment('b').container((c) => c.gunicorn()))).toEqual([]);
    expect(check(knativeService('c').container((c) => c.gunicorn({ timeout: { unknown: true } })))).toEqual([]);
    expect(check(knativeService('d').container((c) => c.uvicorn()))).toEqual([]);
  });
});

describe('gunicorn.timeout worker class', () => {
  it('calls sync gunicorn with --threads > 1 gthread, as gunicorn does', () => {
    const [finding] = gunicornTimeout.check(inventory(knativeService('a').container((c) => c.gunicorn({ threads: 4, workerClass: 'sync' }))).build());
    expect(finding!.message).toMatch(/^gunicorn --timeout 30 \(default\) restarts a gthread worker/);
    const [uv] = gunicornTimeout.check(inventory(knativeService('b').container((c) => c.gunicorn({ workerClass: 'uvicorn.workers.UvicornWorker' }))).build());
    expect(uv!.message).toMatch(/restarts a uvicorn\.workers\.UvicornWorker worker/);
  });
});
