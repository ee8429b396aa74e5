/**
 * @module The Python servers under test, on loopback: Debian's gunicorn 20.1 (sync or gthread workers, or uvicorn's
 * UvicornWorker) and uvicorn 0.17, run as `/usr/bin/python3 -m <server>` so the system's packages are used whatever
 * python3 is first on PATH. Started through the test harness's server group (log file, SIGTERM then SIGKILL,
 * killed with the lab even when it dies), ready when /healthz answers.
 */
import { join } from 'node:path';
import { createServerGroup, exitedError, freeLoopbackPorts, pollUntil } from '../../test/integration/harness/processes.ts';
import type { LabConfig } from './search.ts';
import { commandLine, readAllProcStats } from './procstat.ts';
import { joinCgroupScript } from './knative/cadvisor.ts';

/** The Python the lab runs: Debian's, with python3-gunicorn, python3-flask and python3-uvicorn. */
export const PYTHON = '/usr/bin/python3';

/** The directory holding wsgi.py, asgi.py and burn.py. */
export const APP_DIR = join(import.meta.dirname, 'app');

/** Which server runs the app: gunicorn with its own workers (WSGI), gunicorn with UvicornWorker, or uvicorn (ASGI). */
export type ServerKind = 'gunicorn' | 'gunicorn-uvicorn' | 'uvicorn';

/** The command line of a server with `config`'s workers and threads on 127.0.0.1:`port`. */
export function serverArgs(kind: ServerKind, config: Pick<LabConfig, 'workers' | 'threads'>, port: number, appDir: string = APP_DIR): string[] {
  if (kind === 'uvicorn') {
    return ['-m', 'uvicorn', '--host', '127.0.0.1', '--port', String(port), '--workers', String(config.workers), '--app-dir', appDir, '--no-access-log', '--log-level', 'warning', '--lifespan', 'on', 'asgi:app'];
  }
  // --timeout 120: a request queued behind many others must not get its worker killed (gunicorn's default is 30 s).
  const common = ['-m', 'gunicorn', '--bind', `127.0.0.1:${port}`, '--workers', String(config.workers), '--chdir', appDir, '--timeout', '120', '--graceful-timeout', '2', '--log-level', 'warning'];
  if (kind === 'gunicorn-uvicorn') return [...common, '--worker-class', 'uvicorn.workers.UvicornWorker', 'asgi:app'];
  return [...common, '--threads', String(Math.max(1, config.threads)), 'wsgi:app'];
}

/** A server that answers. */
export interface RunningServer {
  kind: ServerKind;
  config: Pick<LabConfig, 'workers' | 'threads'>;
  /** http://127.0.0.1:<port> */
  url: string;
  /** The server's first process (gunicorn's master, uvicorn's supervisor or only process): the root of its CPU accounting. */
  pid: number;
  /** Seconds from spawn to the first answer of /healthz. */
  startupSeconds: number;
  stop(): Promise<void>;
}

/**
 * Starts a server and waits until /healthz answers 200 (at most `timeoutMs`), on `port` (the Knative path: the user
 * port the revision's queue-proxy forwards to) or a free one.
 */
export async function startServer(kind: ServerKind, config: Pick<LabConfig, 'workers' | 'threads'>, options: { timeoutMs?: number; port?: number; cgroup?: readonly string[] } = {}): Promise<RunningServer> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const port = options.port ?? ((await freeLoopbackPorts(1)) as [number])[0];
  const group = await createServerGroup('pytuner-lab-');
  const started = performance.now();
  try {
    const process_ = group.start(kind, ...inCgroup(options.cgroup, PYTHON, serverArgs(kind, config, port)));
    const url = `http://127.0.0.1:${port}`;
    await pollUntil(`${kind} on port ${port} to answer /healthz`, () => healthy(url), { timeoutMs, intervalMs: 50, abortIf: () => exitedError(process_) });
    const startupSeconds = (performance.now() - started) / 1000;
    const pid = serverPid(port);
    return { kind, config, url, pid, startupSeconds, stop: group.stop };
  } catch (err) {
    await group.stop();
    throw err;
  }
}

/**
 * The command that runs `command` inside the cgroup directories given (the Knative path: the pod's container cgroup,
 * which the lab's cAdvisor reads), through a shell that joins them and execs it: same pid, children included.
 */
export function inCgroup(cgroup: readonly string[] | undefined, command: string, args: string[]): [string, string[]] {
  return cgroup === undefined || cgroup.length === 0 ? [command, args] : ['/bin/sh', ['-c', joinCgroupScript(cgroup), 'sh', command, ...args]];
}

async function healthy(url: string): Promise<true | undefined> {
  const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
  await response.arrayBuffer();
  return response.ok ? true : undefined;
}

/** The lab's child process whose command line names the port: the server (setpriv execs it, so it is a direct child). */
function serverPid(port: number): number {
  const children = readAllProcStats().filter((p) => p.ppid === process.pid);
  const match = children.find((p) => {
    const cmd = commandLine(p.pid);
    return cmd.includes(`127.0.0.1:${port}`) || cmd.includes(`--port ${port}`);
  });
  if (match === undefined) throw new Error(`no child process of the lab serves port ${port}`);
  return match.pid;
}
