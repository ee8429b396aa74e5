import { describe, expect, it } from 'vitest';
import { deployment, inventory, knativeService } from '../../test/builders/index.ts';
import { backgroundCpu } from './profiler.background-cpu.ts';

const check = (...w: Parameters<typeof inventory>) => backgroundCpu.check(inventory(...w).build());
const profiled = () => knativeService('api').cloudRun().container((c) => c.env('ENABLE_PROFILER', 'true').gunicorn());

describe('profiler.background-cpu', () => {
  it('reports the profiler with request-based billing and sets cpu-throttling to false', () => {
    const [finding, ...rest] = check(profiled().templateAnnotation('autoscaling.knative.dev/maxScale', '10'));
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      rule: 'profiler.background-cpu',
      severity: 'warning',
      target: { kind: 'Service', name: 'api' },
      message:
        "Cloud Profiler runs with CPU only during requests (run.googleapis.com/cpu-throttling unset (default 'true')): its background thread stalls between requests, so profiles are sparse or missing; set run.googleapis.com/cpu-throttling to 'false'",
      current: { 'run.googleapis.com/cpu-throttling': 'true' },
      recommended: { 'run.googleapis.com/cpu-throttling': 'false' },
    });
    expect(finding!.fix).toEqual({
      jsonPatch: [{ op: 'add', path: '/spec/template/metadata/annotations/run.googleapis.com~1cpu-throttling', value: 'false' }],
      applyFragment: {
        apiVersion: 'serving.knative.dev/v1',
        kind: 'Service',
        metadata: { name: 'api', namespace: '123456789012' },
        spec: { template: { metadata: { annotations: { 'run.googleapis.com/cpu-throttling': 'false' } } } },
      },
      notes: ['instance-based billing charges for the whole life of each instance, not only while it serves requests'],
    });
  });

  it("replaces an explicit 'true' and adds the annotations map when the template has none", () => {
    const [explicit] = check(profiled().templateAnnotation('run.googleapis.com/cpu-throttling', 'true'));
    expect(explicit!.fix!.jsonPatch).toEqual([
      { op: 'test', path: '/spec/template/metadata/annotations/run.googleapis.com~1cpu-throttling', value: 'true' },
      { op: 'replace', path: '/spec/template/metadata/annotations/run.googleapis.com~1cpu-throttling', value: 'false' },
    ]);
    const [bare] = check(profiled());
    expect(bare!.fix!.jsonPatch).toEqual([{ op: 'add', path: '/spec/template/metadata/annotations', value: { 'run.googleapis.com/cpu-throttling': 'false' } }]);
    expect(bare!.fix!.notes![0]).toBe('the JSON patch assumes spec.template.metadata exists; the apply fragment does not');
  });

  it('notes that CPU always allocated needs 1 vCPU', () => {
    const [finding] = check(knativeService('api').cloudRun().container((c) => c.cpu(0.5).env('ENABLE_PROFILER', 'true').gunicorn()));
    expect(finding!.fix!.notes).toContain("CPU always allocated needs at least 1 vCPU: raise container app's cpu from 0.5 to 1");
  });

  it("stays silent with cpu-throttling 'false', without a profiler, and off Cloud Run", () => {
    expect(check(profiled().templateAnnotation('run.googleapis.com/cpu-throttling', 'false'))).toEqual([]);
    expect(check(knativeService('a').cloudRun().container((c) => c.gunicorn()))).toEqual([]);
    expect(check(knativeService('b').container((c) => c.env('ENABLE_PROFILER', 'true').gunicorn()))).toEqual([]);
    expect(check(deployment('c').container((c) => c.env('ENABLE_PROFILER', 'true').gunicorn()))).toEqual([]);
  });
});
