import { describe, expect, it } from 'vitest';
import { deployment, inventory, knativeService } from '../../test/builders/index.ts';
import { unbounded } from './concurrency.unbounded.ts';

const check = (...w: Parameters<typeof inventory>) => unbounded.check(inventory(...w).build());

describe('concurrency.unbounded', () => {
  it('reports unset Knative concurrency in front of gthread gunicorn, with the autoscaler target', () => {
    const [finding, ...rest] = check(knativeService('api').inNamespace('shop').container((c) => c.gunicorn({ workers: 2, threads: 4 })));
    expect(rest).toEqual([]);
    expect(finding!.changes).toEqual([
      {
        setting: 'containerConcurrency',
        target: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', namespace: 'shop', name: 'api', container: 'app' },
        from: 0,
        to: 8,
        rule: 'concurrency.unbounded',
        confidence: 1,
        location: { kind: 'field', pointer: '/spec/template/spec/containerConcurrency' },
      },
    ]);
    // The advice the message ends with, in parts: the solver re-aims its value without searching the message.
    expect(finding!.advice).toEqual({
      lead: 'containerConcurrency unset (Knative default 0 = unlimited) sends any number of requests to gunicorn, which serves 8 at a time (2 workers × 4 threads); the autoscaler aims at 70 in-flight requests per pod',
      setting: 'containerConcurrency',
      value: 8,
      tail: '',
    });
    expect({ ...finding, changes: undefined, advice: undefined }).toEqual({
      changes: undefined,
      advice: undefined,
      rule: 'concurrency.unbounded',
      severity: 'warning',
      target: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', namespace: 'shop', name: 'api', container: 'app', file: 'api.yaml', line: 1 },
      message:
        'containerConcurrency unset (Knative default 0 = unlimited) sends any number of requests to gunicorn, which serves 8 at a time (2 workers × 4 threads); the autoscaler aims at 70 in-flight requests per pod; set containerConcurrency to 8',
      current: { containerConcurrency: null, requestSlots: 8, autoscalerTarget: 70 },
      recommended: { containerConcurrency: 8 },
      evidence: [
        { source: 'manifest', file: 'api.yaml', field: 'spec.template.spec.containerConcurrency' },
        { source: 'manifest', file: 'api.yaml', field: '--workers', text: '--workers 2' },
        { source: 'manifest', file: 'api.yaml', field: '--threads', text: '--threads 4' },
      ],
      fix: {
        jsonPatch: [{ op: 'add', path: '/spec/template/spec/containerConcurrency', value: 8 }],
        applyFragment: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'api', namespace: 'shop' }, spec: { template: { spec: { containerConcurrency: 8 } } } },
        notes: ['a cluster can change the default in config-defaults container-concurrency; pytuner reads only the manifest'],
      },
    });
  });

  it('reads the autoscaling target annotations, and says nothing of them when scaling on rps', () => {
    const [a] = check(
      knativeService('a')
        .concurrency(0)
        .templateAnnotation('autoscaling.knative.dev/target', '10')
        .templateAnnotation('autoscaling.knative.dev/target-utilization-percentage', '80')
        .container((c) => c.gunicorn({ workers: 4 })),
    );
    expect(a!.message).toBe(
      'containerConcurrency 0 (unlimited on Knative) sends any number of requests to gunicorn, which serves 4 at a time (4 workers, sync); the autoscaler aims at 8 in-flight requests per pod; set containerConcurrency to 4',
    );
    expect(a!.fix!.jsonPatch).toEqual([
      { op: 'test', path: '/spec/template/spec/containerConcurrency', value: 0 },
      { op: 'replace', path: '/spec/template/spec/containerConcurrency', value: 4 },
    ]);
    const [b] = check(knativeService('b').templateAnnotation('autoscaling.knative.dev/metric', 'rps').container((c) => c.waitress({ threads: 4 })));
    expect(b!.message).toBe('containerConcurrency unset (Knative default 0 = unlimited) sends any number of requests to waitress, which serves 4 at a time (4 threads); set containerConcurrency to 4');
  });

  it('reports without a number or a fix when the slots are unknown', () => {
    const [finding] = check(knativeService('api').container((c) => c.gunicorn({ workers: { unknown: true } })));
    expect(finding!.message).toBe(
      'containerConcurrency unset (Knative default 0 = unlimited) sends any number of requests to gunicorn, whose request slots pytuner cannot count; the autoscaler aims at 70 in-flight requests per pod',
    );
    expect(finding!.recommended).toEqual({ containerConcurrency: null });
    expect(finding!.fix).toBeUndefined();
  });

  it('stays silent on Cloud Run, with a limit, for async servers and on Deployments', () => {
    expect(check(knativeService('a').cloudRun().container((c) => c.gunicorn()))).toEqual([]);
    expect(check(knativeService('b').concurrency(8).container((c) => c.gunicorn({ workers: 1, threads: 8 })))).toEqual([]);
    expect(check(knativeService('c').container((c) => c.uvicorn()))).toEqual([]);
    expect(check(deployment('d').container((c) => c.gunicorn()))).toEqual([]);
  });
});
