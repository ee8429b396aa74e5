import { describe, expect, it } from 'vitest';
import { deployment, inventory, knativeService } from '../../test/builders/index.ts';
import { gunicornTimeout } from './gunicorn.timeout.ts';
import { workersVsCpu } from './gunicorn.workers-vs-cpu.ts';

const timeout = (...w: Parameters<typeof inventory>) => gunicornTimeout.check(inventory(...w).build());
const workers = (...w: Parameters<typeof inventory>) => workersVsCpu.check(inventory(...w).build());

describe('uWSGI harakiri (gunicorn.timeout)', () => {
  it('warns of harakiri below Cloud Run timeoutSeconds and raises the flag to it', () => {
    const [finding, ...rest] = timeout(knativeService('api').cloudRun().container((c) => c.uwsgi({ processes: 2, harakiri: 20 })));
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      rule: 'gunicorn.timeout',
      severity: 'warning',
      current: { harakiri: 20, timeoutSeconds: 300 },
      recommended: { harakiri: 300 },
    });
    expect(finding!.message).toMatch(/^uWSGI harakiri 20 kills a worker whose request runs past 20 s, while Cloud Run's timeoutSeconds 300 \(default\) allows more/);
    expect(finding!.fix!.jsonPatch).toEqual([
      { op: 'test', path: '/spec/template/spec/containers/0/args/6', value: '20' },
      { op: 'replace', path: '/spec/template/spec/containers/0/args/6', value: '300' },
    ]);
    expect(finding!.changes).toEqual([
      expect.objectContaining({ setting: 'workerTimeout', from: 20, to: 300, location: expect.objectContaining({ kind: 'args', container: 'app' }) }),
    ]);
  });

  it('uses the written timeoutSeconds, and writes UWSGI_HARAKIRI where harakiri came from it', () => {
    const [finding] = timeout(knativeService('api').timeoutSeconds(60).container((c) => c.env('UWSGI_HARAKIRI', '15').uwsgi({ harakiri: { env: 'UWSGI_HARAKIRI', value: 15 } })));
    expect(finding!.recommended).toEqual({ harakiri: 60 });
    expect(finding!.fix!.jsonPatch!.at(-1)).toEqual({ op: 'replace', path: '/spec/template/spec/containers/0/env/0/value', value: '60' });
  });

  it('is silent for harakiri at or above timeoutSeconds, for no harakiri, and off Knative/Cloud Run', () => {
    expect(timeout(knativeService('a').timeoutSeconds(60).container((c) => c.uwsgi({ harakiri: 60 })))).toEqual([]);
    expect(timeout(knativeService('a').cloudRun().container((c) => c.uwsgi({ harakiri: 600 })))).toEqual([]);
    expect(timeout(knativeService('a').cloudRun().container((c) => c.uwsgi({ processes: 4 })))).toEqual([]);
    expect(timeout(deployment('a').container((c) => c.uwsgi({ harakiri: 5 })))).toEqual([]);
  });
});

describe('uWSGI processes (gunicorn.workers-vs-cpu)', () => {
  it('warns of fewer processes than vCPU and edits --processes', () => {
    const [finding, ...rest] = workers(deployment('web').container((c) => c.cpu(4).uwsgi({ processes: 1, threads: 4 })));
    expect(rest).toEqual([]);
    expect(finding!.severity).toBe('warning');
    expect(finding!.message).toMatch(/^uWSGI runs 1 worker on 4 vCPU: .*; set processes to 4$/);
    expect(finding!.fix!.jsonPatch).toEqual([
      { op: 'test', path: '/spec/template/spec/containers/0/args/4', value: '1' },
      { op: 'replace', path: '/spec/template/spec/containers/0/args/4', value: '4' },
    ]);
  });

  it("sets UWSGI_PROCESSES when only uWSGI's default of 1 applies", () => {
    const [finding] = workers(deployment('web').container((c) => c.cpu(2).uwsgi()));
    expect(finding!.current).toEqual({ workers: 1, vCPU: 2 });
    expect(finding!.fix!.jsonPatch).toEqual([{ op: 'add', path: '/spec/template/spec/containers/0/env', value: [{ name: 'UWSGI_PROCESSES', value: '2' }] }]);
    expect(finding!.changes).toEqual([expect.objectContaining({ setting: 'workers', to: 2, location: { kind: 'env', container: 'app', name: 'UWSGI_PROCESSES' } })]);
  });

  it('is silent when processes match vCPU', () => {
    expect(workers(deployment('web').container((c) => c.cpu(2).uwsgi({ processes: 2 })))).toEqual([]);
  });
});
