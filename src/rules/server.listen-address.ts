/**
 * @module `server.listen-address`: the server listens where the platform does not send requests. Knative and Cloud Run
 * send them to the serving container's `$PORT` (its containerPort, 8080 by default) on the pod's address: a server on
 * loopback (the default of uvicorn, granian, hypercorn, daphne, litestar and FastMCP) or on another port is never
 * reached, and the revision never becomes ready. On Kubernetes a Service and the kubelet's probes reach the pod's IP,
 * never its loopback; a port other than the declared containerPort is legal there (a Service may target any port), so
 * only loopback is reported, and only where no other container of the pod could be the one forwarding to it.
 * @see docs/rules/server.listen-address.md
 */
import type { Evidence } from '../model/evidence.ts';
import type { Finding, Fix } from '../model/finding.ts';
import type { ServerConfig, ServerKind } from '../model/server.ts';
import type { ContainerFacts, Workload } from '../model/workload.ts';
import type { Rule } from './types.ts';
import { serverPlugin } from '../model/server/registry.ts';
import { isServing, platformName, targetOf, uniqueEvidence } from './facts.ts';
import { addEnv, fixFromChange } from './fixes.ts';
import { TERRAFORM_API_VERSION } from '../model/extract/terraform.ts';
import { PYTHON_LAUNCH_FIELD } from '../model/server/indirect.ts';

const ID = 'server.listen-address';

/**
 * Servers whose listen address pytuner reads with every source of it (command line, the env vars the server reads, its
 * defaults). Not uwsgi (its many socket options), not the development servers (`server.dev-server` replaces their
 * command), not streamlit or gradio (their address also comes from config files pytuner does not read).
 */
const KINDS: ReadonlySet<ServerKind> = new Set(['gunicorn', 'uvicorn', 'hypercorn', 'granian', 'waitress', 'daphne', 'litestar', 'functions-framework']);

/** Hosts that mean every interface: gunicorn's `:8000` (an empty host), waitress's `*`, IPv4 and IPv6 wildcards. */
const EVERY_INTERFACE = new Set(['', '0.0.0.0', '::', '*']);

export const listenAddress: Rule = {
  id: ID,
  severity: 'critical',
  summary: 'the server listens on loopback or on another port than $PORT, where the platform never sends requests',
  check: (inventory) => inventory.workloads.flatMap((workload) => workload.containers.flatMap((container) => checkContainer(workload, container))),
};

interface Listener {
  host: 'every' | 'loopback';
  port: number;
}

/**
 * One address as the servers write it (`127.0.0.1:8000`, `[::1]:8000`, `:8080`, `*:8080`, `tcp://0.0.0.0:80`), or
 * undefined for anything whose reachability is not certain: a unix socket, a file descriptor, a named or specific host.
 */
function listenerOf(address: string): Listener | undefined {
  const m = /^(?:tcp:\/\/)?(?:\[([^\]]*)\]|([^:[\]]*)):(\d+)$/.exec(address);
  if (m === null) return undefined;
  const host = (m[1] ?? m[2] ?? '').toLowerCase();
  const port = Number(m[3]);
  if (EVERY_INTERFACE.has(host)) return { host: 'every', port };
  if (host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host)) return { host: 'loopback', port };
  return undefined;
}

function checkContainer(workload: Workload, container: ContainerFacts): Finding[] {
  const server = container.server;
  if (server === undefined || !KINDS.has(server.kind)) return [];
  const bind = server.bind;
  if (bind?.value === undefined || !addressKnown(workload, container, server) || proxyInContainer(container) !== undefined) return [];
  const listeners = bind.value.split(/\s+/).map(listenerOf);
  if (listeners.some((l) => l === undefined)) return [];
  const all = listeners as Listener[];
  const loopback = all.every((l) => l.host === 'loopback');
  const evidence: Evidence[] = [bind.evidence, server.evidence];
  let why: string;
  let port: number;
  if (isServing(workload)) {
    // Only the serving container has a port on Knative and Cloud Run; sidecars are reached by it, on loopback.
    const served = container.port;
    if (served?.value === undefined || all.some((l) => l.host === 'every' && l.port === served.value)) return [];
    evidence.push(served.evidence);
    port = served.value;
    why = `${platformName(workload)} sends requests to $PORT (${port}) on the container's address, so ${loopback ? 'a server on loopback' : `a server on port ${all.map((l) => l.port).join(', ')}`} is never reached and the revision never becomes ready ("failed to start and listen on the port defined by the PORT environment variable")`;
  } else {
    if (!loopback || !alone(workload, container, all)) return [];
    port = all[0]!.port;
    why = "a Service and the kubelet's probes reach the pod's IP, never its loopback, so no request reaches it";
  }
  const target = `0.0.0.0:${port}`;
  const title = server.evidence.field === PYTHON_LAUNCH_FIELD.fastmcp ? 'the FastMCP server (uvicorn)' : serverPlugin(server.kind).title;
  return [
    {
      rule: ID,
      severity: 'critical',
      target: targetOf(workload, container),
      message: `${title} listens on ${bind.value}${bind.isDefault ? ` (${bind.evidence.field})` : ''}: ${why}; listen on ${target}: ${advice(server, port, isServing(workload))}`,
      current: { bind: bind.value },
      recommended: { bind: target },
      evidence: uniqueEvidence(evidence),
      ...fixOf(workload, container, server, all, port),
    },
  ];
}

/** The env vars a server reads its address from when its command line gives neither (click's `envvar`s). */
const ADDRESS_ENV: Partial<Record<ServerKind, { host: string; port: string }>> = {
  uvicorn: { host: 'UVICORN_HOST', port: 'UVICORN_PORT' },
  granian: { host: 'GRANIAN_HOST', port: 'GRANIAN_PORT' },
  litestar: { host: 'LITESTAR_HOST', port: 'LITESTAR_PORT' },
};

/**
 * For a server on its default address that reads it from env vars (uvicorn, granian, litestar run), those env vars set
 * in the manifest: the command line stays as written. Elsewhere notes: the command to change is the user's to write.
 */
function fixOf(workload: Workload, container: ContainerFacts, server: ServerConfig, listeners: readonly Listener[], port: number): { fix?: Fix } {
  const notes = isServing(workload) ? [PORT_NOTE] : [];
  const names = ADDRESS_ENV[server.kind];
  // uvicorn.run() in a Python file and `fastapi run|dev` do not read UVICORN_*; a Terraform or live Cloud Run service is edited elsewhere.
  const readsEnv = names !== undefined && server.bind?.isDefault === true && !server.evidence.field.startsWith('python ') && !startedByFastapiCli(server);
  if (!readsEnv || workload.ref.apiVersion === TERRAFORM_API_VERSION || workload.cloudRun !== undefined) return notes.length === 0 ? {} : { fix: { notes } };
  const entries = [{ name: names.host, value: '0.0.0.0' }];
  if (listeners.some((l) => l.port !== port)) entries.push({ name: names.port, value: String(port) });
  return { fix: fixFromChange(addEnv(workload, container, entries)) };
}

/**
 * The env the server reads is all known: no `envFrom` (a ConfigMap may set `UVICORN_HOST`), no `--env-vars-file` or
 * `--flags-file` in the deploy command, no config file or sourced script pytuner did not read.
 */
function addressKnown(workload: Workload, container: ContainerFacts, server: ServerConfig): boolean {
  if (server.unreadConfig.length > 0 || container.envFrom !== undefined) return false;
  const commands = [workload.deployedBy, ...(workload.updatedBy ?? [])];
  return !commands.some((command) => command?.lines?.some((line) => /--(env-vars|flags)-file\b/.test(line.text)) === true);
}

/** Programs that listen in front of a server in the same container (started by a script beside it, or as a daemon). */
const PROXY = /\b(nginx|openresty|caddy|envoy|haproxy|traefik|httpd|apache2|supervisord|socat)\b/;

/**
 * A reverse proxy or process manager the container may run beside the server (in its command, the image's build steps
 * or base image): it may be what listens on the platform's port, forwarding to the server on loopback.
 */
function proxyInContainer(container: ContainerFacts): string | undefined {
  const image = container.dockerfile;
  const texts = [
    ...(container.command ?? []),
    ...(container.args ?? []),
    ...(image?.entrypoint?.argv ?? []),
    ...(image?.cmd?.argv ?? []),
    ...(image?.runs.filter((run) => run.final).map((run) => run.text) ?? []),
    image?.base?.ref ?? '',
  ];
  return texts.map((text) => PROXY.exec(text)?.[1]).find((name) => name !== undefined);
}

/**
 * On Kubernetes, whether nothing else in the pod can serve for the server: it is the pod's only container, or a probe
 * of its own targets the port it holds on loopback (the kubelet probes the pod's IP, where no other container can bind that port).
 */
function alone(workload: Workload, container: ContainerFacts, listeners: readonly Listener[]): boolean {
  if (workload.containers.length === 1) return true;
  return [container.startupProbe, container.readinessProbe, container.livenessProbe].some(
    (probe) => probe !== undefined && !probe.implicit && probe.handler !== 'exec' && probe.handler !== 'none' && listeners.some((l) => l.port === probe.port),
  );
}

/** `fastapi run|dev`: uvicorn started by fastapi-cli, which does not read UVICORN_*. */
function startedByFastapiCli(server: ServerConfig): boolean {
  return server.argv.some((word) => /(^|\/)fastapi$/.test(word));
}

/** Said with every Knative and Cloud Run finding: the usual fix, `--port $PORT`, does nothing in an exec-form list. */
const PORT_NOTE = '$PORT expands only in a shell (a shell-form CMD, sh -c, a Procfile); in an exec-form CMD or a manifest args list write the port number';

/** What to change, in the server's own terms. */
function advice(server: ServerConfig, port: number, serving: boolean): string {
  const launch = server.evidence.field;
  const python = `host="0.0.0.0", port=int(os.environ.get("PORT", ${port}))`;
  if (launch === PYTHON_LAUNCH_FIELD.fastmcp) return `pass ${python} to mcp.run (or set FASTMCP_HOST=0.0.0.0 and FASTMCP_PORT=${port} in the container's env)`;
  if (launch === PYTHON_LAUNCH_FIELD.uvicorn) return `pass ${python} to uvicorn.run`;
  switch (server.kind) {
    case 'gunicorn':
      return serving ? `--bind 0.0.0.0:${port}, or no --bind (with PORT set, gunicorn binds 0.0.0.0:$PORT)` : `--bind 0.0.0.0:${port}`;
    case 'hypercorn':
      return `--bind 0.0.0.0:${port}`;
    case 'waitress':
      return `--listen=*:${port}`;
    case 'daphne':
      return `-b 0.0.0.0 -p ${port}`;
    case 'functions-framework':
      return `--host 0.0.0.0 --port ${port}, or neither (its defaults are 0.0.0.0 and $PORT, else 8080)`;
    case 'uvicorn':
      if (startedByFastapiCli(server)) return `--host 0.0.0.0 and no --port (fastapi run reads $PORT)`;
      return `--host 0.0.0.0 --port ${port} (or UVICORN_HOST and UVICORN_PORT in the container's env when the command gives neither)`;
    case 'granian':
      return `--host 0.0.0.0 --port ${port} (or GRANIAN_HOST and GRANIAN_PORT when the command gives neither)`;
    case 'litestar':
      return `--host 0.0.0.0 --port ${port} (or LITESTAR_HOST and LITESTAR_PORT when the command gives neither)`;
    default:
      return `listen on 0.0.0.0:${port}`;
  }
}
