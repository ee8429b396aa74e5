import { describe, expect, it } from 'vitest';
import { deployment, inventory, knativeService } from '../../test/builders/index.ts';
import { probeMissing } from './startup.probe-missing.ts';

const check = (...w: Parameters<typeof inventory>) => probeMissing.check(inventory(...w).build());

const PROBE = { httpGet: { path: '/', port: 8080 }, periodSeconds: 2, failureThreshold: 60, timeoutSeconds: 1 };

describe('startup.probe-missing', () => {
  it("reports Cloud Run's implicit TCP startup probe in front of gunicorn without --preload and adds an httpGet startupProbe", () => {
    const [finding, ...rest] = check(knativeService('api').cloudRun().container((c) => c.gunicorn()));
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      rule: 'startup.probe-missing',
      severity: 'warning',
      message:
        "gunicorn binds its port before it imports the app (no --preload) and only Cloud Run's implicit TCP startup probe checks it: the instance takes requests before the app can serve them; add an httpGet startupProbe or --preload",
      current: { preload: false, startupProbe: 'tcpSocket (implicit)', readinessProbe: null },
      recommended: { startupProbe: 'httpGet / port 8080', periodSeconds: 2, failureThreshold: 60, timeoutSeconds: 1 },
    });
    expect(finding!.fix).toEqual({
      jsonPatch: [{ op: 'add', path: '/spec/template/spec/containers/0/startupProbe', value: PROBE }],
      notes: [
        'or start gunicorn with --preload, which imports the app before binding (see startup.heavy-init for its caveats)',
        'the probe calls / and needs a 200-399 answer once the app is imported; annotate the workload with pytuner.dev/health-path: /healthz to use another path',
      ],
    });
  });

  it('uses the pytuner.dev/health-path annotation and the declared port', () => {
    const [finding] = check(
      knativeService('api')
        .annotation('pytuner.dev/health-path', '/healthz')
        .container((c) => c.port(9000).gunicorn()),
    );
    expect(finding!.message).toContain("only Knative's implicit TCP readiness probe checks it");
    expect(finding!.fix!.jsonPatch).toEqual([{ op: 'add', path: '/spec/template/spec/containers/0/startupProbe', value: { ...PROBE, httpGet: { path: '/healthz', port: 9000 } } }]);
    expect(finding!.fix!.notes).toEqual([
      'or start gunicorn with --preload, which imports the app before binding (see startup.heavy-init for its caveats)',
      'Knative accepts startupProbe from v1.15 (knative/serving#15309)',
    ]);
  });

  it('reports an explicit TCP startup probe and warns that server-side apply merges probe fields', () => {
    const [finding] = check(deployment('api').container((c) => c.probe('startupProbe', 'tcpSocket', { port: 8080 }).gunicorn()));
    expect(finding!.message).toContain('only a TCP startup probe checks it');
    expect(finding!.fix!.notes).toContain(
      'server-side apply merges probe fields: remove the old startupProbe handler in the same change, or apply the JSON patch, which replaces the probe',
    );
  });

  it('reports a Deployment with no probes, taking the port from --bind', () => {
    const [finding] = check(deployment('web').container((c) => c.gunicorn()));
    expect(finding!.message).toBe(
      'gunicorn binds its port before it imports the app (no --preload) and no startup or readiness probe checks it: the pod takes requests before the app can serve them; add an httpGet startupProbe or --preload',
    );
    expect(finding!.fix!.jsonPatch).toEqual([{ op: 'add', path: '/spec/template/spec/containers/0/startupProbe', value: PROBE }]);
  });

  it('stays silent with --preload, an HTTP startup probe, an HTTP readiness probe off Cloud Run, or another server', () => {
    expect(check(knativeService('a').cloudRun().container((c) => c.gunicorn({ preload: true })))).toEqual([]);
    expect(check(knativeService('b').cloudRun().container((c) => c.probe('startupProbe', 'httpGet', { path: '/', port: 8080 }).gunicorn()))).toEqual([]);
    expect(check(knativeService('c').container((c) => c.probe('readinessProbe', 'httpGet', { path: '/' }).gunicorn()))).toEqual([]);
    expect(check(deployment('d').container((c) => c.probe('readinessProbe', 'exec').gunicorn()))).toEqual([]);
    expect(check(knativeService('e').cloudRun().container((c) => c.uvicorn()))).toEqual([]);
  });

  it('still reports Cloud Run with only an HTTP readiness probe (Cloud Run gates traffic on the startup probe)', () => {
    expect(check(knativeService('a').cloudRun().container((c) => c.probe('readinessProbe', 'httpGet', { path: '/' }).gunicorn()))).toHaveLength(1);
  });
});
