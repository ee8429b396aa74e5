import { describe, expect, it } from 'vitest';
import { deployment, inventory, knativeService } from '../../test/builders/index.ts';
import { uvicornWorkers } from './uvicorn.workers.ts';

const check = (...w: Parameters<typeof inventory>) => uvicornWorkers.check(inventory(...w).build());

describe('uvicorn.workers', () => {
  it('warns of the delayed ACK of multi-process uvicorn and sets --workers to 1 in the args', () => {
    const [finding, ...rest] = check(deployment('api').inNamespace('shop').container((c) => c.cpu(4).uvicorn({ workers: 4 })));
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      rule: 'uvicorn.workers',
      severity: 'warning',
      target: { kind: 'Deployment', namespace: 'shop', name: 'api', container: 'app' },
      message:
        "uvicorn runs 4 workers: its process manager binds the socket without TCP_NODELAY, so each keep-alive response waits for the client's delayed ACK (about 40 ms on Linux; uvicorn#3149); " +
        'set workers to 1 and let the platform add instances, or keep 4 processes per instance with gunicorn -k uvicorn.workers.UvicornWorker -w 4 (gunicorn sets TCP_NODELAY on its listener)',
      current: { workers: 4 },
      recommended: { workers: 1 },
    });
    expect(finding!.fix!.jsonPatch).toEqual([
      { op: 'test', path: '/spec/template/spec/containers/0/args/6', value: '4' },
      { op: 'replace', path: '/spec/template/spec/containers/0/args/6', value: '1' },
    ]);
    expect(finding!.fix!.notes).toContain('or keep 4 processes per instance with gunicorn -k uvicorn.workers.UvicornWorker -w 4 (gunicorn sets TCP_NODELAY on its listener)');
  });

  it('patches WEB_CONCURRENCY where the workers come from it', () => {
    const [finding] = check(knativeService('api').container((c) => c.env('WEB_CONCURRENCY', '2').uvicorn({ workers: { env: 'WEB_CONCURRENCY', value: 2 } })));
    expect(finding!.message).toContain('uvicorn runs 2 workers (from $WEB_CONCURRENCY)');
    expect(finding!.fix!.jsonPatch).toEqual([
      { op: 'test', path: '/spec/template/spec/containers/0/env/0/name', value: 'WEB_CONCURRENCY' },
      { op: 'replace', path: '/spec/template/spec/containers/0/env/0/value', value: '1' },
    ]);
  });

  it('says nothing about one uvicorn worker, or about gunicorn running UvicornWorkers', () => {
    expect(check(deployment('a').container((c) => c.cpu(4).uvicorn()))).toEqual([]);
    expect(check(deployment('b').container((c) => c.cpu(4).uvicorn({ workers: 1 })))).toEqual([]);
    expect(check(deployment('c').container((c) => c.cpu(4).gunicorn({ workers: 4, workerClass: 'uvicorn.workers.UvicornWorker' })))).toEqual([]);
  });
});
