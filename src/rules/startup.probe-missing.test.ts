import { describe, expect, it } from 'vitest';
import { deployment, inventory, knativeService } from '../../test/builders/index.ts';
import { PRELOAD_CAVEATS } from './preload.ts';
import { probeMissing } from './startup.probe-missing.ts';

const check = (...w: Parameters<typeof inventory>) => probeMissing.check(inventory(...w).build());

const TIMING = { periodSeconds: 2, failureThreshold: 60, timeoutSeconds: 1 };
const ASSUMED_BUDGET =
  'start-up budget 120 s (failureThreshold 60 × periodSeconds 2) rests on an assumed 120 s: start-up time is not measured here (with --prometheus, metrics.startup-probe-budget sizes it from the p99 start-up time)';
const NO_PATH =
  'no health path is known (no readiness or liveness httpGet probe, no pytuner.dev/health-path annotation), so pytuner writes no httpGet probe; annotate the workload with pytuner.dev/health-path: /healthz (a path that answers 200-399 once the app is imported) to get one';

/** The startupProbe a fix adds, from its JSON patch. */
function addedProbe(finding: { fix?: { jsonPatch?: Array<{ op: string; path: string; value?: unknown }> } } | undefined): unknown {
  return finding?.fix?.jsonPatch?.find((op) => op.op === 'add' && op.path.endsWith('/startupProbe'))?.value;
}

describe('startup.probe-missing', () => {
  describe('with a known health path and a reachable port: an httpGet startupProbe', () => {
    it('takes the path from the pytuner.dev/health-path annotation and the port from the declared containerPort', () => {
      const [finding, ...rest] = check(
        knativeService('api')
          .annotation('pytuner.dev/health-path', '/healthz')
          .container((c) => c.port(9000).gunicorn()),
      );
      expect(rest).toEqual([]);
      expect(finding).toMatchObject({
        rule: 'startup.probe-missing',
        severity: 'warning',
        message:
          "gunicorn binds its port before it imports the app (no --preload) and only Knative's implicit TCP readiness probe checks it: the instance takes requests before the app can serve them; add an httpGet startupProbe on /healthz or --preload",
        recommended: { startupProbe: 'httpGet /healthz port 9000', ...TIMING },
      });
      const probe = { httpGet: { path: '/healthz', port: 9000 }, ...TIMING };
      expect(finding!.fix).toEqual({
        jsonPatch: [{ op: 'add', path: '/spec/template/spec/containers/0/startupProbe', value: probe }],
        notes: [
          'path /healthz from the pytuner.dev/health-path annotation; port 9000 is the declared containerPort (api.yaml spec.template.spec.containers[0].ports[0].containerPort)',
          ASSUMED_BUDGET,
          'or start gunicorn with --preload, which imports the app before binding (see startup.heavy-init for its caveats)',
          'Knative accepts startupProbe from v1.15 (knative/serving#15309); the port is explicit because Knative does not fill in startupProbe ports',
        ],
      });
      expect(finding!.evidence.map((e) => e.field)).toContain('metadata.annotations["pytuner.dev/health-path"]');
    });

    it("takes the path from the container's own liveness probe, and on Knative writes the port explicitly ($PORT)", () => {
      const [finding] = check(knativeService('api').container((c) => c.probe('livenessProbe', 'httpGet', { path: '/livez' }).gunicorn()));
      expect(addedProbe(finding)).toEqual({ httpGet: { path: '/livez', port: 8080 }, ...TIMING });
      expect(finding!.fix!.notes![0]).toBe("path /livez from the container's livenessProbe (api.yaml spec.template.spec.containers[0].livenessProbe); port 8080 is Knative's container port ($PORT)");
    });

    it("prefers the readiness probe's path to the liveness probe's and to the annotation (Cloud Run, where readiness does not gate traffic)", () => {
      const [finding] = check(
        knativeService('api')
          .cloudRun()
          .annotation('pytuner.dev/health-path', '/annotated')
          .container((c) => c.probe('readinessProbe', 'httpGet', { path: '/ready' }).probe('livenessProbe', 'httpGet', { path: '/live' }).gunicorn()),
      );
      expect(addedProbe(finding)).toEqual({ httpGet: { path: '/ready', port: 8080 }, ...TIMING });
    });

    it('keeps the start-up budget an explicit TCP startup probe states, and warns that server-side apply merges probe fields', () => {
      const [finding] = check(
        knativeService('api')
          .annotation('pytuner.dev/health-path', '/healthz')
          .cloudRun()
          .container((c) => c.probe('startupProbe', 'tcpSocket', { port: 8080, periodSeconds: 10, failureThreshold: 18 }).gunicorn()),
      );
      expect(finding!.message).toContain('only a TCP startup probe checks it');
      expect(addedProbe(finding)).toEqual({ httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 2, failureThreshold: 90, timeoutSeconds: 1 });
      expect(finding!.fix!.notes).toContain('start-up budget 180 s (failureThreshold 90 × periodSeconds 2) rests on the 180 s the current startupProbe allows (api.yaml spec.template.spec.containers[0].startupProbe)');
      // Knative gets the JSON patch only (atomic containers list), so no note about merging probe fields by apply.
      expect(finding!.fix!.notes).not.toContain('server-side apply merges probe fields: remove the old startupProbe handler in the same change, or apply the JSON patch, which replaces the probe');
    });

    it("caps a stated budget at Cloud Run's 240 s", () => {
      const [finding] = check(
        knativeService('api')
          .annotation('pytuner.dev/health-path', '/healthz')
          .cloudRun()
          .container((c) => c.probe('startupProbe', 'tcpSocket', { port: 8080, periodSeconds: 60, failureThreshold: 10 }).gunicorn()),
      );
      expect(addedProbe(finding)).toMatchObject({ periodSeconds: 2, failureThreshold: 120 });
    });

    it('on a Deployment with no containerPort, probes the port gunicorn binds for the pod network', () => {
      const [finding] = check(deployment('web').annotation('pytuner.dev/health-path', '/healthz').container((c) => c.gunicorn({ bind: '0.0.0.0:8000' })));
      expect(addedProbe(finding)).toEqual({ httpGet: { path: '/healthz', port: 8000 }, ...TIMING });
      expect(finding!.fix!.notes![0]).toMatch(/^path \/healthz from the pytuner.dev\/health-path annotation; port 8000 is the port gunicorn binds for the pod network/);
    });

    it('behind nginx (gunicorn on 127.0.0.1:8000): probes the containerPort nginx declares, never the loopback port', () => {
      const sameContainer = check(
        deployment('web')
          .annotation('pytuner.dev/health-path', '/healthz')
          .container((c) => c.port(8080).gunicorn({ bind: '127.0.0.1:8000' })),
      );
      expect(addedProbe(sameContainer[0])).toEqual({ httpGet: { path: '/healthz', port: 8080 }, ...TIMING });
      const sidecar = check(
        deployment('web')
          .annotation('pytuner.dev/health-path', '/healthz')
          .container((c) => c.named('nginx').port(8080))
          .container((c) => c.named('app').gunicorn({ bind: '127.0.0.1:8000' })),
      );
      expect(addedProbe(sidecar[0])).toEqual({ httpGet: { path: '/healthz', port: 8080 }, ...TIMING });
      expect(sidecar[0]!.fix!.notes![0]).toContain("port 8080 is container nginx's declared port, which fronts gunicorn");
    });
  });

  describe('without a known health path, or without a reachable port: --preload, never a guessed httpGet', () => {
    it("on Cloud Run: --preload through GUNICORN_CMD_ARGS, which makes the implicit TCP startup probe mean 'imported'", () => {
      const [finding] = check(knativeService('api').cloudRun().container((c) => c.gunicorn()));
      expect(finding).toMatchObject({
        message:
          "gunicorn binds its port before it imports the app (no --preload) and only Cloud Run's implicit TCP startup probe checks it: the instance takes requests before the app can serve them; no health path is known (pytuner.dev/health-path), so start gunicorn with --preload",
        current: { preload: false, startupProbe: 'tcpSocket (implicit)', readinessProbe: null },
        recommended: { preload: true },
      });
      expect(finding!.fix!.jsonPatch).toEqual([{ op: 'add', path: '/spec/template/spec/containers/0/env', value: [{ name: 'GUNICORN_CMD_ARGS', value: '--preload' }] }]);
      expect(addedProbe(finding)).toBeUndefined();
      expect(finding!.fix!.notes).toEqual([NO_PATH, ...PRELOAD_CAVEATS]);
    });

    it('ignores an annotation that is not a path', () => {
      const [finding] = check(knativeService('api').annotation('pytuner.dev/health-path', 'healthz').container((c) => c.gunicorn()));
      expect(addedProbe(finding)).toBeUndefined();
      expect(finding!.recommended).toEqual({ preload: true });
    });

    it('on a Deployment with no probes: --preload and a tcpSocket startupProbe with the start-up budget, on the reachable port', () => {
      const [finding] = check(deployment('web').container((c) => c.port(8000).gunicorn({ bind: '0.0.0.0:8000' })));
      expect(finding!.recommended).toEqual({ preload: true, startupProbe: 'tcpSocket port 8000', ...TIMING });
      expect(finding!.fix!.jsonPatch).toEqual([
        { op: 'add', path: '/spec/template/spec/containers/0/env', value: [{ name: 'GUNICORN_CMD_ARGS', value: '--preload' }] },
        { op: 'add', path: '/spec/template/spec/containers/0/startupProbe', value: { tcpSocket: { port: 8000 }, ...TIMING } },
      ]);
      expect(finding!.fix!.applyFragment).toEqual({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'default' },
        spec: { template: { spec: { containers: [{ name: 'app', env: [{ name: 'GUNICORN_CMD_ARGS', value: '--preload' }], startupProbe: { tcpSocket: { port: 8000 }, ...TIMING } }] } } },
      });
      expect(finding!.fix!.notes).toContain(ASSUMED_BUDGET);
      expect(finding!.fix!.notes![0]).toBe(NO_PATH);
    });

    it('with a health path but gunicorn bound to loopback and no other port: no httpGet, says why', () => {
      const [finding] = check(
        deployment('web')
          .annotation('pytuner.dev/health-path', '/healthz')
          .container((c) => c.port(8000).gunicorn({ bind: '127.0.0.1:8000' })),
      );
      expect(finding!.message).toMatch(/no port the kubelet can reach serves it, so start gunicorn with --preload$/);
      expect(addedProbe(finding)).toBeUndefined();
      expect(finding!.fix!.notes![0]).toBe(
        'path /healthz from the pytuner.dev/health-path annotation, but gunicorn listens on 127.0.0.1:8000 only, which the kubelet cannot reach, and no other container port fronts it, so pytuner writes no httpGet probe',
      );
      expect(finding!.fix!.notes).toContain('nothing probes the pod, so it is Ready at container start even with --preload: declare the container port (or a health path) to get a startup probe');
    });

    it("on Knative, a loopback bind on Knative's port ($PORT 8080) is unreachable too", () => {
      const [finding] = check(knativeService('api').annotation('pytuner.dev/health-path', '/healthz').container((c) => c.gunicorn({ bind: 'localhost:8080' })));
      expect(addedProbe(finding)).toBeUndefined();
      expect(finding!.recommended).toEqual({ preload: true });
    });

    it('a unix socket bind with nothing in front: no probe port', () => {
      const [finding] = check(deployment('web').annotation('pytuner.dev/health-path', '/healthz').container((c) => c.gunicorn({ bind: 'unix:/run/gunicorn.sock' })));
      expect(addedProbe(finding)).toBeUndefined();
      expect(finding!.fix!.notes![0]).toContain('gunicorn listens on unix:/run/gunicorn.sock only');
    });

    it('no fix at all when GUNICORN_CMD_ARGS comes from a Secret (cannot be extended)', () => {
      const [finding] = check(deployment('web').container((c) => c.envFromSecret('GUNICORN_CMD_ARGS').gunicorn()));
      expect(finding!.fix).toBeUndefined();
      expect(finding!.recommended.preload).toBe(true);
    });
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
