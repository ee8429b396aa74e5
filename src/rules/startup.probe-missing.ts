/**
 * @module `startup.probe-missing`: gunicorn without `--preload` binds its port before the app is imported, so a TCP
 * probe (or none) calls the container ready while it cannot serve. The Cloud Run Python guide: "by default, gunicorn
 * spawns workers and listens on the port at start, even before evaluating the application code. In that case you need
 * to configure custom startup probes".
 * @see docs/rules/startup.probe-missing.md
 */
import type { Evidence } from '../model/evidence.ts';
import type { Finding } from '../model/finding.ts';
import type { ContainerFacts, ProbeFacts, Workload } from '../model/workload.ts';
import type { Rule } from './types.ts';
import { platformName, targetOf, uniqueEvidence, workloadAnnotation } from './facts.ts';
import { addStartupProbe, fixFromChange } from './fixes.ts';
import { changeTarget, propose } from './changes.ts';

const ID = 'startup.probe-missing';

/** Annotation naming the path an HTTP probe should call, e.g. `/healthz`; `/` without it. */
export const HEALTH_PATH_ANNOTATION = 'pytuner.dev/health-path';

/**
 * Probe timing: every 2 s for up to 60 failures = 120 s to import the app, within Cloud Run's limit of
 * periodSeconds × failureThreshold ≤ 240 s (https://cloud.google.com/run/docs/configuring/healthchecks).
 */
export const STARTUP_PROBE_TIMING = { periodSeconds: 2, failureThreshold: 60, timeoutSeconds: 1 } as const;

/** `startup.probe-missing`: gunicorn without --preload and only a TCP probe, or none. */
export const probeMissing: Rule = {
  id: ID,
  severity: 'warning',
  summary: 'gunicorn without --preload is checked only by a TCP probe (or none): ready before the app is imported',
  check: (inventory) => inventory.workloads.flatMap((workload) => workload.containers.flatMap((container) => checkContainer(workload, container))),
};

/** An HTTP, gRPC or exec probe checks the app; a TCP probe only sees gunicorn's socket. */
function checksTheApp(probe: ProbeFacts | undefined): boolean {
  return probe !== undefined && probe.handler !== 'none' && probe.handler !== 'tcpSocket';
}

/**
 * Cloud Run gates traffic on the startup probe only (readiness probes are not part of its v1 YAML). Knative's
 * queue-proxy also holds traffic until a readiness probe passes, and on a Deployment either probe gates the Service.
 */
function appIsChecked(workload: Workload, container: ContainerFacts): boolean {
  if (checksTheApp(container.startupProbe)) return true;
  return workload.platform !== 'cloudrun' && checksTheApp(container.readinessProbe);
}

function checkContainer(workload: Workload, container: ContainerFacts): Finding[] {
  const server = container.server;
  if (server?.kind !== 'gunicorn') return [];
  if (server.preload !== undefined && server.preload.value !== false) return []; // --preload, or unknown
  if (appIsChecked(workload, container)) return [];
  const port = probePort(container);
  const path = workloadAnnotation(workload, HEALTH_PATH_ANNOTATION);
  const evidence: Evidence[] = [server.evidence];
  if (server.preload !== undefined) evidence.push(server.preload.evidence);
  for (const probe of [container.startupProbe, container.readinessProbe]) if (probe !== undefined) evidence.push(probe.evidence);
  if (path !== undefined) evidence.push(path.evidence);
  const finding: Finding = {
    rule: ID,
    severity: 'warning',
    target: targetOf(workload, container),
    message: `gunicorn binds its port before it imports the app (no --preload) and ${probesNow(workload, container)}: the ${unit(workload)} takes requests before the app can serve them; add an httpGet startupProbe or --preload`,
    current: { preload: false, startupProbe: describe(container.startupProbe), readinessProbe: describe(container.readinessProbe) },
    recommended: port === undefined ? { startupProbe: null } : { startupProbe: `httpGet ${path?.value ?? '/'} port ${port}`, ...STARTUP_PROBE_TIMING },
    evidence: uniqueEvidence(evidence),
  };
  if (port !== undefined) {
    const probe = { httpGet: { path: path?.value ?? '/', port }, ...STARTUP_PROBE_TIMING };
    finding.fix = fixFromChange(addStartupProbe(workload, container, probe), notes(workload, path === undefined));
    finding.changes = [
      propose('startupProbe', undefined, { handler: 'httpGet', path: probe.httpGet.path, port, ...STARTUP_PROBE_TIMING }, {
        target: changeTarget(workload, container),
        rule: ID,
        location: { kind: 'container', container: container.name, field: 'startupProbe' },
      }),
    ];
  }
  return [finding];
}

/** The port to probe, given explicitly: Knative does not rewrite startupProbe ports (unlike liveness). */
function probePort(container: ContainerFacts): number | undefined {
  const port = container.port?.value;
  if (port !== undefined) return port;
  const bind = container.server?.bind?.value;
  const m = bind === undefined ? null : /:(\d+)$/.exec(bind);
  return m === null ? undefined : Number(m[1]);
}

function probesNow(workload: Workload, container: ContainerFacts): string {
  const startup = container.startupProbe;
  if (startup?.implicit === true) return `only ${platformName(workload)}'s implicit TCP startup probe checks it`;
  if (startup?.handler === 'tcpSocket') return 'only a TCP startup probe checks it';
  const readiness = container.readinessProbe;
  if (readiness?.handler === 'tcpSocket' && workload.platform !== 'cloudrun') {
    return readiness.implicit ? `only ${platformName(workload)}'s implicit TCP readiness probe checks it` : 'only a TCP readiness probe checks it';
  }
  return 'no startup or readiness probe checks it';
}

function unit(workload: Workload): string {
  return workload.platform === 'kubernetes' ? 'pod' : 'instance';
}

function describe(probe: ProbeFacts | undefined): string | null {
  if (probe === undefined || probe.handler === 'none') return null;
  return probe.implicit ? `${probe.handler} (implicit)` : probe.handler;
}

function notes(workload: Workload, defaultPath: boolean): string[] {
  const out = ['or start gunicorn with --preload, which imports the app before binding (see startup.heavy-init for its caveats)'];
  if (defaultPath) out.push(`the probe calls / and needs a 200-399 answer once the app is imported; annotate the workload with ${HEALTH_PATH_ANNOTATION}: /healthz to use another path`);
  if (workload.platform === 'knative') out.push('Knative accepts startupProbe from v1.15 (knative/serving#15309)');
  return out;
}
