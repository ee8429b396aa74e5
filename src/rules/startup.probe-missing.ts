/**
 * @module `startup.probe-missing`: gunicorn without `--preload` binds its port before the app is imported, so a TCP
 * probe (or none) calls the container ready while it cannot serve. The Cloud Run Python guide: "by default, gunicorn
 * spawns workers and listens on the port at start, even before evaluating the application code. In that case you need
 * to configure custom startup probes".
 *
 * A probe pytuner writes must be able to pass, so every value comes from evidence: the path from the container's own
 * readiness/liveness httpGet probe or the `pytuner.dev/health-path` annotation (never a guessed `/`, which answers
 * 404, or 400 under Django's ALLOWED_HOSTS), the port from a container port the kubelet can reach (never a loopback
 * bind). Without a known path the fix is `--preload` (gunicorn then binds only after the import, so a TCP check means
 * "imported"), with a TCP startup probe where nothing else would hold traffic.
 * @see docs/rules/startup.probe-missing.md
 */
import type { Evidence } from '../model/evidence.ts';
import type { Finding, Fix, Values } from '../model/finding.ts';
import type { ContainerFacts, ProbeFacts, Workload } from '../model/workload.ts';
import type { Rule } from './types.ts';
import { platformName, targetOf, uniqueEvidence, workloadAnnotation } from './facts.ts';
import { addStartupProbe, fixFromChange, mergeFragments, where } from './fixes.ts';
import { PRELOAD_CAVEATS, preloadChange, preloadFix } from './preload.ts';
import type { AnyChange } from '../model/change.ts';
import { changeTarget, propose } from './changes.ts';

const ID = 'startup.probe-missing';

/** Annotation naming the path an HTTP probe should call, e.g. `/healthz`: it must answer 200–399 once the app is imported. */
export const HEALTH_PATH_ANNOTATION = 'pytuner.dev/health-path';

/** Probe period and timeout pytuner writes; the failure threshold follows from the start-up budget. */
const PERIOD_SECONDS = 2;
const TIMEOUT_SECONDS = 1;

/**
 * The start-up budget assumed when nothing states one: 120 s to import the app, within Cloud Run's limit of
 * periodSeconds × failureThreshold ≤ 240 s (https://cloud.google.com/run/docs/configuring/healthchecks).
 */
const ASSUMED_STARTUP_SECONDS = 120;
const CLOUD_RUN_MAX_STARTUP_SECONDS = 240;


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

/** A value with the evidence it rests on, and that evidence said in words for the finding's notes. */
interface Known<T> {
  value: T;
  evidence: Evidence;
  /** `from the readinessProbe (service.yaml, spec...)`: where the value comes from, for people. */
  basis: string;
}

/** The health path, or why there is none. */
type PathOutcome = Known<string> | { value: undefined };

/** The port, or why the kubelet cannot reach any. */
type PortOutcome = Known<number> | { value: undefined; reason: string };

/** The start-up budget in seconds, stated by the manifest or assumed. */
type Budget = { seconds: number; basis: string; evidence?: Evidence };

function checkContainer(workload: Workload, container: ContainerFacts): Finding[] {
  const server = container.server;
  if (server?.kind !== 'gunicorn') return [];
  if (server.preload !== undefined && server.preload.value !== false) return []; // --preload, or unknown
  if (appIsChecked(workload, container)) return [];
  const path = healthPath(workload, container);
  const port = reachablePort(workload, container);
  const budget = startupBudget(workload, container);
  const evidence: Evidence[] = [server.evidence];
  if (server.preload !== undefined) evidence.push(server.preload.evidence);
  for (const probe of [container.startupProbe, container.readinessProbe]) if (probe !== undefined) evidence.push(probe.evidence);
  if (path.value !== undefined) evidence.push(path.evidence);
  // The port and budget back a probe pytuner writes; a bind the kubelet cannot reach is why it writes none.
  const writesProbe = port.value !== undefined && (path.value !== undefined || needsTcpProbe(workload, container));
  if (writesProbe) evidence.push(port.evidence);
  if (writesProbe && budget.evidence !== undefined) evidence.push(budget.evidence);
  if (port.value === undefined && server.bind !== undefined) evidence.push(server.bind.evidence);
  const finding: Finding = {
    rule: ID,
    severity: 'warning',
    target: targetOf(workload, container),
    message: `gunicorn binds its port before it imports the app (no --preload) and ${probesNow(workload, container)}: the ${unit(workload)} takes requests before the app can serve them; ${advice(path, port)}`,
    current: { preload: false, startupProbe: describe(container.startupProbe), readinessProbe: describe(container.readinessProbe) },
    recommended: {},
    evidence: uniqueEvidence(evidence),
  };
  if (path.value !== undefined && port.value !== undefined) {
    const timing = timingFor(budget);
    const probe = { httpGet: { path: path.value, port: port.value }, ...timing };
    finding.recommended = { startupProbe: `httpGet ${path.value} port ${port.value}`, ...timing };
    finding.changes = [
      propose('startupProbe', undefined, { handler: 'httpGet', path: path.value, port: port.value, ...timing }, {
        target: changeTarget(workload, container),
        rule: ID,
        location: { kind: 'container', container: container.name, field: 'startupProbe' },
      }),
    ];
    finding.fix = fixFromChange(addStartupProbe(workload, container, probe), [
      `path ${path.value} ${path.basis}; port ${port.value} ${port.basis}`,
      budgetNote(budget, timing),
      'or start gunicorn with --preload, which imports the app before binding (see startup.heavy-init for its caveats)',
      ...platformNotes(workload),
    ]);
    return [finding];
  }
  const withPreload = preloadAndTcpProbe(workload, container, path, port, budget);
  finding.recommended = withPreload.recommended;
  finding.changes = withPreload.changes;
  if (withPreload.fix !== undefined) finding.fix = withPreload.fix;
  return [finding];
}

/**
 * No httpGet probe can be written: `--preload` makes gunicorn bind after the import. Knative's readiness probe and
 * Cloud Run's startup probe are TCP checks the platform runs anyway; a Deployment with neither a startup nor a
 * readiness probe is Ready as soon as the container starts, so it also gets a TCP startup probe with a budget.
 */
function preloadAndTcpProbe(workload: Workload, container: ContainerFacts, path: PathOutcome, port: PortOutcome, budget: Budget): { recommended: Values; changes: AnyChange[]; fix?: Fix } {
  const why = [whyNoHttpProbe(path, port), ...PRELOAD_CAVEATS];
  const needsProbe = needsTcpProbe(workload, container);
  if (!needsProbe || port.value === undefined) {
    if (needsProbe) why.push('nothing probes the pod, so it is Ready at container start even with --preload: declare the container port (or a health path) to get a startup probe');
    const fix = preloadFix(workload, container, why);
    return { recommended: { preload: true }, changes: [preloadChange(workload, container, ID, fix)], ...(fix === undefined ? {} : { fix }) };
  }
  const timing = timingFor(budget);
  const probe = { tcpSocket: { port: port.value }, ...timing };
  const preload = preloadFix(workload, container, []);
  const recommended: Values = { preload: true, startupProbe: `tcpSocket port ${port.value}`, ...timing };
  const probeProposal = propose('startupProbe', undefined, { handler: 'tcpSocket', port: port.value, ...timing }, {
    target: changeTarget(workload, container),
    rule: ID,
    location: preload === undefined ? { kind: 'unwritable', why: 'a TCP probe without --preload calls the pod ready before the app is imported' } : { kind: 'container', container: container.name, field: 'startupProbe' },
  });
  const changes = [preloadChange(workload, container, ID, preload), probeProposal];
  if (preload === undefined) return { recommended, changes };
  const probeChange = addStartupProbe(workload, container, probe);
  const notes = [...why, `port ${port.value} ${port.basis}`, budgetNote(budget, timing), ...probeChange.notes];
  const fix: Fix = { ...preload, notes };
  // --preload lands in env (a patch) or in gunicorn.conf.py (an edit): the probe is a patch either way.
  fix.jsonPatch = [...(preload.jsonPatch ?? []), ...probeChange.jsonPatch];
  // A fragment only where both changes have one (Knative container fields have none: a partial fragment misleads).
  if (preload.applyFragment !== undefined && probeChange.applyFragment !== undefined) fix.applyFragment = mergeFragments(preload.applyFragment, probeChange.applyFragment);
  else if (preload.jsonPatch === undefined && probeChange.applyFragment !== undefined) fix.applyFragment = probeChange.applyFragment;
  else delete fix.applyFragment;
  return { recommended, changes, fix };
}

/** A Deployment's container with neither a startup nor a readiness probe is Ready at start: only a probe holds traffic. */
function needsTcpProbe(workload: Workload, container: ContainerFacts): boolean {
  return workload.platform === 'kubernetes' && container.startupProbe === undefined && container.readinessProbe === undefined;
}

/**
 * The path an HTTP probe may call: one the container's own readiness or liveness httpGet probe already calls (it
 * answers once the app serves), else the `pytuner.dev/health-path` annotation.
 */
function healthPath(workload: Workload, container: ContainerFacts): PathOutcome {
  for (const [kind, probe] of [['readinessProbe', container.readinessProbe], ['livenessProbe', container.livenessProbe]] as const) {
    if (probe?.handler === 'httpGet' && !probe.implicit && probe.path !== undefined && probe.path !== '') {
      return { value: probe.path, evidence: probe.evidence, basis: `from the container's ${kind} (${where(probe.evidence)})` };
    }
  }
  const annotation = workloadAnnotation(workload, HEALTH_PATH_ANNOTATION);
  if (annotation !== undefined && annotation.value.startsWith('/')) {
    return { value: annotation.value, evidence: annotation.evidence, basis: `from the ${HEALTH_PATH_ANNOTATION} annotation` };
  }
  return { value: undefined };
}

/** One address gunicorn listens on: a TCP host and port, or a socket the kubelet cannot probe (unix:, fd://). */
type Address = { tcp: true; host: string; port: number | undefined; text: string } | { tcp: false; text: string };

/** gunicorn's `--bind` forms: `HOST`, `HOST:PORT`, `:PORT`, `[IPv6]:PORT`, `unix:PATH`, `fd://FD` (port 8000 when omitted). */
function parseAddress(text: string): Address {
  if (text.startsWith('unix:') || text.startsWith('fd://')) return { tcp: false, text };
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(text);
  if (m === null) return { tcp: true, host: text, port: undefined, text };
  return { tcp: true, host: (m[1] as string).replace(/^\[|\]$/g, ''), port: m[2] === undefined ? 8000 : Number(m[2]), text };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** Ports gunicorn listens on for the whole pod network, and the addresses the kubelet cannot reach. */
function bindFacts(container: ContainerFacts): { reachable: number[]; private: Address[] } | undefined {
  const bind = container.server?.bind?.value;
  if (bind === undefined) return undefined;
  const addresses = bind.split(/\s+/).filter((w) => w !== '').map(parseAddress);
  const reachable: number[] = [];
  const hidden: Address[] = [];
  for (const a of addresses) {
    if (a.tcp && !isLoopback(a.host) && a.port !== undefined) reachable.push(a.port);
    else if (!a.tcp || isLoopback(a.host)) hidden.push(a);
  }
  return { reachable, private: hidden };
}

/**
 * The port the kubelet probes (on the pod IP, so never a loopback bind): the container's port (declared, or Knative /
 * Cloud Run's $PORT) unless gunicorn binds that port on loopback only; else the port gunicorn binds for the pod
 * network; else another container's declared port (an nginx in front of gunicorn proxies the probe to it).
 */
// eslint-disable-next-line complexity -- one guard per source of a reachable port (declared containerPort, platform $PORT, non-loopback bind, fronting sidecar), in order of trust
function reachablePort(workload: Workload, container: ContainerFacts): PortOutcome {
  const binds = bindFacts(container);
  const hiddenPorts = new Set((binds?.private ?? []).flatMap((a) => (a.tcp && a.port !== undefined ? [a.port] : [])));
  const own = container.port;
  if (own?.value !== undefined) {
    const hidden = hiddenPorts.has(own.value) && !(binds?.reachable ?? []).includes(own.value);
    if (!hidden) return { value: own.value, evidence: own.evidence, basis: own.isDefault ? `is ${platformName(workload)}'s container port ($PORT)` : `is the declared containerPort (${where(own.evidence)})` };
  }
  const bound = binds?.reachable[0];
  if (bound !== undefined && own?.value === undefined && workload.platform === 'kubernetes') {
    const evidence = container.server?.bind?.evidence as Evidence;
    return { value: bound, evidence, basis: `is the port gunicorn binds for the pod network (${where(evidence)})` };
  }
  for (const other of workload.containers) {
    const port = other.port;
    if (other === container || port?.value === undefined || port.isDefault || hiddenPorts.has(port.value)) continue;
    return { value: port.value, evidence: port.evidence, basis: `is container ${other.name}'s declared port, which fronts gunicorn (${where(port.evidence)})` };
  }
  if (binds !== undefined && binds.private.length > 0) {
    const text = binds.private.map((a) => a.text).join(' ');
    return { value: undefined, reason: `gunicorn listens on ${text} only, which the kubelet cannot reach, and no other container port fronts it` };
  }
  return { value: undefined, reason: "no container port is declared and gunicorn's bind address is not known" };
}

/**
 * The start-up budget: the one the container's own startup probe states (periodSeconds × failureThreshold, kept when
 * pytuner replaces a TCP probe), else the assumed 120 s. Cloud Run refuses more than 240 s.
 */
function startupBudget(workload: Workload, container: ContainerFacts): Budget {
  const probe = container.startupProbe;
  if (probe !== undefined && !probe.implicit && (probe.periodSeconds !== undefined || probe.failureThreshold !== undefined)) {
    // core/v1 Probe defaults: periodSeconds 10, failureThreshold 3.
    const seconds = (probe.periodSeconds ?? 10) * (probe.failureThreshold ?? 3);
    const capped = workload.platform === 'cloudrun' ? Math.min(seconds, CLOUD_RUN_MAX_STARTUP_SECONDS) : seconds;
    return { seconds: Math.max(capped, PERIOD_SECONDS), basis: `the ${seconds} s the current startupProbe allows (${where(probe.evidence)})`, evidence: probe.evidence };
  }
  return { seconds: ASSUMED_STARTUP_SECONDS, basis: `an assumed ${ASSUMED_STARTUP_SECONDS} s: start-up time is not measured here (with --prometheus, metrics.startup-probe-budget sizes it from the p99 start-up time)` };
}

function timingFor(budget: Budget): { periodSeconds: number; failureThreshold: number; timeoutSeconds: number } {
  return { periodSeconds: PERIOD_SECONDS, failureThreshold: Math.ceil(budget.seconds / PERIOD_SECONDS), timeoutSeconds: TIMEOUT_SECONDS };
}

function budgetNote(budget: Budget, timing: { periodSeconds: number; failureThreshold: number }): string {
  return `start-up budget ${timing.periodSeconds * timing.failureThreshold} s (failureThreshold ${timing.failureThreshold} × periodSeconds ${timing.periodSeconds}) rests on ${budget.basis}`;
}

function whyNoHttpProbe(path: PathOutcome, port: PortOutcome): string {
  if (path.value === undefined || port.value !== undefined) {
    return `no health path is known (no readiness or liveness httpGet probe, no ${HEALTH_PATH_ANNOTATION} annotation), so pytuner writes no httpGet probe; annotate the workload with ${HEALTH_PATH_ANNOTATION}: /healthz (a path that answers 200-399 once the app is imported) to get one`;
  }
  return `path ${path.value} ${path.basis}, but ${port.reason}, so pytuner writes no httpGet probe`;
}

function advice(path: PathOutcome, port: PortOutcome): string {
  if (path.value !== undefined && port.value !== undefined) return `add an httpGet startupProbe on ${path.value} or --preload`;
  if (path.value === undefined) return `no health path is known (${HEALTH_PATH_ANNOTATION}), so start gunicorn with --preload`;
  return 'no port the kubelet can reach serves it, so start gunicorn with --preload';
}

function platformNotes(workload: Workload): string[] {
  return workload.platform === 'knative' ? ['Knative accepts startupProbe from v1.15 (knative/serving#15309); the port is explicit because Knative does not fill in startupProbe ports'] : [];
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
