import { describe, expect, it } from 'vitest';
import { deployment, inventory, knativeService } from '../../test/builders/index.ts';
import { workersVsCpu } from './gunicorn.workers-vs-cpu.ts';

const check = (...w: Parameters<typeof inventory>) => workersVsCpu.check(inventory(...w).build());

describe('gunicorn.workers-vs-cpu', () => {
  it('warns of a vCPU hotspot and replaces the -w value in the manifest args', () => {
    const [finding, ...rest] = check(deployment('web').inNamespace('prod').container((c) => c.cpu(4).args('gunicorn', '-w', '1', '--threads', '8', 'main:app').gunicorn({ workers: 1, threads: 8 })));
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      rule: 'gunicorn.workers-vs-cpu',
      severity: 'warning',
      target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'prod', name: 'web', container: 'app' },
      message: 'gunicorn runs 1 worker on 4 vCPU: each worker is one GIL-bound process, so at most 1 of 4 vCPU work (25% average CPU at full load, a vCPU hotspot); set workers to 4',
      current: { workers: 1, vCPU: 4 },
      recommended: { workers: 4 },
    });
    expect(finding!.fix).toEqual({
      jsonPatch: [
        { op: 'test', path: '/spec/template/spec/containers/0/args/2', value: '1' },
        { op: 'replace', path: '/spec/template/spec/containers/0/args/2', value: '4' },
      ],
      applyFragment: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'prod' },
        spec: { template: { spec: { containers: [{ name: 'app', args: ['gunicorn', '-w', '4', '--threads', '8', 'main:app'] }] } } },
      },
    });
  });

  it('rewrites --workers=N, -wN and shell strings in place', () => {
    const fixOf = (...args: string[]) => check(deployment('w').container((c) => c.cpu(2).args(...args).gunicorn({ workers: 1 })))[0]!.fix!.jsonPatch!.at(-1);
    expect(fixOf('gunicorn', '--workers=1', 'app')).toEqual({ op: 'replace', path: '/spec/template/spec/containers/0/args/1', value: '--workers=2' });
    expect(fixOf('gunicorn', '-w1', 'app')).toEqual({ op: 'replace', path: '/spec/template/spec/containers/0/args/1', value: '-w2' });
    expect(fixOf('sh', '-c', 'exec gunicorn --bind :$PORT -w 1 main:app')).toEqual({ op: 'replace', path: '/spec/template/spec/containers/0/args/2', value: 'exec gunicorn --bind :$PORT -w 2 main:app' });
  });

  it('adds WEB_CONCURRENCY when nothing sets the workers', () => {
    const [finding] = check(knativeService('api').cloudRun().container((c) => c.cpu(2).env('A', 'b').gunicorn({ threads: 8 })));
    expect(finding!.message).toBe(
      'gunicorn runs 1 worker (default) on 2 vCPU: each worker is one GIL-bound process, so at most 1 of 2 vCPU work (50% average CPU at full load, a vCPU hotspot); set workers to 2',
    );
    expect(finding!.fix!.jsonPatch).toEqual([{ op: 'add', path: '/spec/template/spec/containers/0/env/-', value: { name: 'WEB_CONCURRENCY', value: '2' } }]);
    expect(finding!.fix!.applyFragment).toBeUndefined();
  });

  it('patches WEB_CONCURRENCY where the workers come from it', () => {
    const [finding] = check(deployment('w').container((c) => c.cpu(3).env('WEB_CONCURRENCY', '1').gunicorn({ workers: { env: 'WEB_CONCURRENCY', value: 1 } })));
    expect(finding!.message).toContain('gunicorn runs 1 worker (from $WEB_CONCURRENCY) on 3 vCPU');
    expect(finding!.fix!.jsonPatch).toEqual([
      { op: 'test', path: '/spec/template/spec/containers/0/env/0/name', value: 'WEB_CONCURRENCY' },
      { op: 'replace', path: '/spec/template/spec/containers/0/env/0/value', value: '3' },
    ]);
  });

  it('edits the Dockerfile CMD or the gunicorn.conf.py line when the workers are set there, with no JSON patch', () => {
    const [cmd] = check(deployment('w').container((c) => c.cpu(2).gunicorn({ workers: 1, from: 'Dockerfile' })));
    expect(cmd!.fix).toEqual({
      edits: [
        {
          file: 'Dockerfile',
          line: 2,
          before: 'CMD ["gunicorn","--bind",":8080","--workers","1","main:app"]',
          after: 'CMD ["gunicorn","--bind",":8080","--workers","2","main:app"]',
        },
      ],
    });
    const [conf] = check(deployment('w').container((c) => c.cpu(2).gunicorn({ workers: { conf: 5 } })));
    expect(conf!.severity).toBe('info');
    expect(conf!.fix).toEqual({ edits: [{ file: 'gunicorn.conf.py', line: 1, before: 'workers = 5', after: 'workers = 2' }] });
  });

  it('is info when workers exceed vCPU, rounding fractional CPU up', () => {
    const [finding] = check(deployment('w').container((c) => c.cpu(0.5).gunicorn({ workers: 4 })));
    expect(finding).toMatchObject({
      severity: 'info',
      message: 'gunicorn runs 4 workers on 1 vCPU (cpu 0.5, rounded up): 3 processes more than vCPU, each holding its own copy of the app in memory, compete for the CPU; set workers to 1',
      current: { workers: 4, vCPU: 1 },
    });
  });

  it('reports one level lower, with a note, when an unread config file may set the workers', () => {
    const [finding] = check(deployment('w').container((c) => c.cpu(2).gunicorn({ unreadConfig: ['python:settings'] })));
    expect(finding!.severity).toBe('info');
    expect(finding!.fix!.notes).toEqual(['pytuner did not read python:settings; if it sets workers, this finding does not apply']);
  });

  it('stays silent when workers equal vCPU, CPU or workers are unknown, or the server is not gunicorn', () => {
    expect(check(deployment('a').container((c) => c.cpu(2).gunicorn({ workers: 2 })))).toEqual([]);
    expect(check(deployment('b').container((c) => c.gunicorn({ workers: 2 })))).toEqual([]);
    expect(check(deployment('c').container((c) => c.cpu(2).gunicorn({ workers: { unknown: true } })))).toEqual([]);
    expect(check(deployment('d').container((c) => c.cpu(2).uvicorn({ workers: 1 })))).toEqual([]);
    expect(check(knativeService('e').cloudRun().container((c) => c.gunicorn({ threads: 8 })))).toEqual([]);
  });
});
