import { describe, expect, it } from 'vitest';
import { inventory, knativeService } from '../../test/builders/index.ts';
import { threadsMismatch } from './concurrency.threads-mismatch.ts';

const check = (...w: Parameters<typeof inventory>) => threadsMismatch.check(inventory(...w).build());

describe('concurrency.threads-mismatch', () => {
  it('is critical when Cloud Run admits 80 requests into 8 slots, and sets containerConcurrency to 8', () => {
    const [finding, ...rest] = check(knativeService('api').cloudRun().container((c) => c.gunicorn({ workers: 1, threads: 8 })));
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      rule: 'concurrency.threads-mismatch',
      severity: 'critical',
      target: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', namespace: '123456789012', name: 'api', container: 'app', file: 'api.yaml', line: 1 },
      message:
        'containerConcurrency unset (Cloud Run default 80) admits 80 requests but gunicorn serves 8 at a time (1 worker × 8 threads): 72 wait in its backlog; set containerConcurrency to 8',
      current: { containerConcurrency: 80, workers: 1, threads: 8, requestSlots: 8 },
      recommended: { containerConcurrency: 8 },
    });
    expect(finding!.fix).toEqual({
      jsonPatch: [{ op: 'add', path: '/spec/template/spec/containerConcurrency', value: 8 }],
      applyFragment: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'api', namespace: '123456789012' }, spec: { template: { spec: { containerConcurrency: 8 } } } },
    });
    expect(finding!.evidence.map((e) => e.field)).toEqual(['spec.template.spec.containerConcurrency', '--workers', '--threads']);
  });

  it('is a warning below 4× the slots and guards the replaced value with a test op', () => {
    const [finding] = check(knativeService('api').cloudRun().concurrency(20).container((c) => c.gunicorn({ workers: 2, threads: 4 })));
    expect(finding!.severity).toBe('warning');
    expect(finding!.message).toBe('containerConcurrency 20 admits 20 requests but gunicorn serves 8 at a time (2 workers × 4 threads): 12 wait in its backlog; set containerConcurrency to 8');
    expect(finding!.fix!.jsonPatch).toEqual([
      { op: 'test', path: '/spec/template/spec/containerConcurrency', value: 20 },
      { op: 'replace', path: '/spec/template/spec/containerConcurrency', value: 8 },
    ]);
  });

  it('is info when concurrency is below the slots', () => {
    const [finding] = check(knativeService('api').concurrency(4).container((c) => c.gunicorn({ workers: 1, threads: 8 })));
    expect(finding).toMatchObject({
      severity: 'info',
      message: 'containerConcurrency 4 admits 4 requests but gunicorn has 8 request slots (1 worker × 8 threads): 4 stay idle; set containerConcurrency to 8',
      recommended: { containerConcurrency: 8 },
    });
  });

  it('counts sync gunicorn workers, uWSGI processes × threads and waitress threads', () => {
    const sync = check(knativeService('a').concurrency(10).container((c) => c.gunicorn({ workers: 3 })));
    const uw = check(knativeService('b').concurrency(10).container((c) => c.uwsgi({ processes: 2, threads: 4 })));
    const wt = check(knativeService('c').concurrency(10).container((c) => c.waitress({ threads: 6 })));
    expect(sync[0]!.message).toContain('gunicorn serves 3 at a time (3 workers, sync)');
    expect(uw[0]!.message).toContain('uwsgi serves 8 at a time (2 processes × 4 threads)');
    expect(wt[0]!.message).toContain('waitress serves 6 at a time (6 threads)');
  });

  it('offers THREADS = ceil(concurrency / workers) as the alternative when threads come from $THREADS', () => {
    const [finding] = check(knativeService('api').cloudRun().container((c) => c.env('THREADS', '8').gunicorn({ workers: 3, threads: { env: 'THREADS', value: 8 } })));
    expect(finding!.recommended).toEqual({ containerConcurrency: 24, THREADS: 27 });
    expect(finding!.message).toMatch(/set containerConcurrency to 24 or THREADS to 27$/);
    expect(finding!.fix!.jsonPatch).toEqual([{ op: 'add', path: '/spec/template/spec/containerConcurrency', value: 24 }]);
    expect(finding!.fix!.notes).toEqual([
      'alternative, instead of this fix: keep containerConcurrency unset (Cloud Run default 80) and set THREADS=27 (api.yaml spec.template.spec.containers[0].env[0]), JSON patch [{"op":"test","path":"/spec/template/spec/containers/0/env/0/name","value":"THREADS"},{"op":"replace","path":"/spec/template/spec/containers/0/env/0/value","value":"27"}]; apply one of the two, not both',
    ]);
  });

  it('stays silent when concurrency equals the slots, for async servers, unknown slots, Deployments and unlimited Knative', () => {
    expect(check(knativeService('a').concurrency(8).container((c) => c.gunicorn({ workers: 1, threads: 8 })))).toEqual([]);
    expect(check(knativeService('b').cloudRun().container((c) => c.uvicorn({ workers: 2 })))).toEqual([]);
    expect(check(knativeService('c').cloudRun().container((c) => c.gunicorn({ workers: 2, workerClass: 'uvicorn.workers.UvicornWorker' })))).toEqual([]);
    expect(check(knativeService('d').cloudRun().container((c) => c.gunicorn({ workers: { unknown: true }, threads: 8 })))).toEqual([]);
    expect(check(knativeService('e').container((c) => c.gunicorn({ workers: 1, threads: 8 })))).toEqual([]);
    expect(check(knativeService('f').concurrency(0).container((c) => c.gunicorn({ workers: 1, threads: 8 })))).toEqual([]);
  });

  it('treats containerConcurrency 0 on Cloud Run as 80', () => {
    const [finding] = check(knativeService('api').cloudRun().concurrency(0).container((c) => c.gunicorn({ workers: 1, threads: 8 })));
    expect(finding!.message).toMatch(/^containerConcurrency 0 \(Cloud Run default 80\) admits 80/);
    expect(finding!.fix!.jsonPatch).toEqual([
      { op: 'test', path: '/spec/template/spec/containerConcurrency', value: 0 },
      { op: 'replace', path: '/spec/template/spec/containerConcurrency', value: 8 },
    ]);
  });

  it('notes that Cloud Run needs containerConcurrency 1 below 1 vCPU', () => {
    const [finding] = check(knativeService('api').cloudRun().container((c) => c.cpu(0.5).gunicorn({ workers: 1, threads: 4 })));
    expect(finding!.fix!.notes).toEqual(['Cloud Run requires containerConcurrency 1 below 1 vCPU (cpu 0.5): raise cpu to 1 or serve one request at a time']);
  });
});
