import { describe, expect, it } from 'vitest';
import { deployment, inventory, knativeService } from '../../test/builders/index.ts';
import { serviceName, validServiceName } from './profiler.service-name.ts';

const check = (...w: Parameters<typeof inventory>) => serviceName.check(inventory(...w).build());

describe('profiler.service-name', () => {
  it('reports a service name the agent rejects and patches the env value', () => {
    const [finding, ...rest] = check(knativeService('api').cloudRun().container((c) => c.env('GOOGLE_CLOUD_PROFILER_SERVICE', 'Checkout API').gunicorn()));
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      rule: 'profiler.service-name',
      severity: 'warning',
      target: { name: 'api', container: 'app' },
      message:
        'profiler service name "Checkout API" (GOOGLE_CLOUD_PROFILER_SERVICE) does not match ^[a-z0-9]([-a-z0-9_.]{0,253}[a-z0-9])?$: googlecloudprofiler.start raises ValueError and no profiles are sent; use "checkout-api"',
      current: { GOOGLE_CLOUD_PROFILER_SERVICE: 'Checkout API' },
      recommended: { GOOGLE_CLOUD_PROFILER_SERVICE: 'checkout-api' },
    });
    expect(finding!.fix!.jsonPatch).toEqual([
      { op: 'test', path: '/spec/template/spec/containers/0/env/0/name', value: 'GOOGLE_CLOUD_PROFILER_SERVICE' },
      { op: 'replace', path: '/spec/template/spec/containers/0/env/0/value', value: 'checkout-api' },
    ]);
  });

  it('reads PROFILER_SERVICE and the pytuner.dev/profiler-service annotation', () => {
    const [env] = check(deployment('w').container((c) => c.env('PROFILER_SERVICE', '-web-').gunicorn()));
    expect(env!.recommended).toEqual({ PROFILER_SERVICE: 'web' });
    const [annotation] = check(deployment('w').annotation('pytuner.dev/profiler-service', 'Web_Frontend').annotation('team', 'a').container((c) => c.gunicorn()));
    expect(annotation!.target.container).toBeUndefined();
    expect(annotation!.fix).toEqual({
      jsonPatch: [
        { op: 'test', path: '/metadata/annotations/pytuner.dev~1profiler-service', value: 'Web_Frontend' },
        { op: 'replace', path: '/metadata/annotations/pytuner.dev~1profiler-service', value: 'web_frontend' },
      ],
      applyFragment: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'w', namespace: 'default', annotations: { 'pytuner.dev/profiler-service': 'web_frontend' } } },
    });
  });

  it('accepts valid names, $(VAR) references, empty values and values from Secrets', () => {
    for (const value of ['checkout', 'a', 'img.proc_v2-svc', '$(SERVICE)', '']) {
      expect(check(deployment('w').container((c) => c.env('GOOGLE_CLOUD_PROFILER_SERVICE', value).gunicorn()))).toEqual([]);
    }
    expect(check(deployment('w').container((c) => c.envFromSecret('GOOGLE_CLOUD_PROFILER_SERVICE').gunicorn()))).toEqual([]);
  });

  it('derives the nearest valid name, falling back to the workload name', () => {
    expect(validServiceName('My.Service!', 'w')).toBe('my.service');
    expect(validServiceName('x'.repeat(300), 'w')).toHaveLength(255);
    expect(validServiceName('!!!', 'Web')).toBe('web');
  });
});
