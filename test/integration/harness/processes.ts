// Child processes for the test environments (etcd, kube-apiserver, kube-controller-manager, prometheus):
// started with their output in a log file, stopped with SIGTERM then SIGKILL, and torn down when this
// process is interrupted or exits, so no server outlives the run that started it.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/** A server process whose stdout and stderr go to `logPath`. */
export interface ManagedProcess {
  readonly name: string;
  readonly logPath: string;
  /** Why the process is no longer running; undefined while it runs. */
  exitReason(): string | undefined;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL without waiting: for exit handlers, which cannot wait. */
  killNow(): void;
}

// util-linux's setpriv makes the kernel SIGKILL the server when the thread that spawned it ends: when this
// process dies, even by SIGKILL, where no exit handler runs. It execs the server, so the pid we track is the
// server's own. Without setpriv (not Linux), the exit and signal handlers below are all there is.
const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

function startProcess(name: string, command: string, args: string[], logPath: string, env?: NodeJS.ProcessEnv): ManagedProcess {
  const out = openSync(logPath, 'a');
  const [file, argv] = setpriv ? [setpriv, ['--pdeathsig', 'KILL', '--', command, ...args]] : [command, args];
  let child: ChildProcess;
  try {
    child = spawn(file, argv, { stdio: ['ignore', out, out], env: env ?? process.env });
  } finally {
    closeSync(out); // the child holds its own copy of the descriptor
  }
  let reason: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      reason ??= signal ? `was killed by ${signal}` : `exited with code ${code}`;
      resolve();
    });
    child.once('error', (err) => {
      reason ??= `could not be started: ${err.message}`;
      if (child.pid === undefined) resolve(); // no 'exit' follows a failed spawn
    });
  });

  async function stop(graceMs = 10_000): Promise<void> {
    if (reason !== undefined) return;
    child.kill('SIGTERM');
    const timer = new AbortController();
    const outcome = await Promise.race([exited.then(() => 'exited' as const), delay(graceMs, 'timeout' as const, { signal: timer.signal })]);
    timer.abort();
    if (outcome === 'timeout') {
      child.kill('SIGKILL');
      await exited;
    }
  }

  return {
    name,
    logPath,
    exitReason: () => reason,
    stop,
    killNow: () => {
      if (reason === undefined) child.kill('SIGKILL');
    },
  };
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

/** The last lines of a log file, for error messages; never throws. */
function logTail(logPath: string, lines = 25): string {
  try {
    return lastLines(readFileSync(logPath, 'utf8'), lines);
  } catch (err) {
    return `(could not read ${logPath}: ${(err as Error).message})`;
  }
}

/** If the server has exited, an error that says so with the end of its log: for `PollOptions.abortIf`. */
export function exitedError(server: ManagedProcess): Error | undefined {
  const reason = server.exitReason();
  if (reason === undefined) return undefined;
  // Quoted, because the log goes when the failed start removes the server group's directory.
  return new Error(`${server.name} ${reason} while starting. Last lines of its log:\n${logTail(server.logPath)}`);
}

/**
 * `count` distinct free TCP ports on 127.0.0.1. All are held open at once so they differ; another
 * process could still take one between this call and the server's bind, which is unlikely on loopback.
 */
export async function freeLoopbackPorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, listenOnAnyPort));
  const ports = servers.map((s) => {
    const address = s.address();
    if (address === null || typeof address === 'string') throw new Error('a loopback TCP server has no port');
    return address.port;
  });
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

function listenOnAnyPort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

export interface PollOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Says why further waiting is pointless (say, the server exited), to fail at once instead of at the timeout. */
  abortIf?: () => Error | undefined;
}

/**
 * Calls `attempt` until it returns a value other than undefined. An attempt that throws counts as not yet;
 * the timeout error quotes the last such failure, which is usually the useful part.
 */
export async function pollUntil<T>(what: string, attempt: () => Promise<T | undefined>, options: PollOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastFailure = '';
  for (;;) {
    const aborted = options.abortIf?.();
    if (aborted) throw aborted;
    try {
      const value = await attempt();
      if (value !== undefined) return value;
      lastFailure = '';
    } catch (err) {
      lastFailure = (err as Error).message;
    }
    if (Date.now() >= deadline) {
      const last = lastFailure ? `; last attempt failed with: ${lastFailure}` : '';
      throw new Error(`timed out after ${options.timeoutMs / 1000} s waiting for ${what}${last}`);
    }
    await delay(options.intervalMs ?? 200);
  }
}

export interface ScriptOptions {
  env?: NodeJS.ProcessEnv;
  /** Pass the script's stderr through as it comes (a first build prints progress there); default true. */
  echoStderr?: boolean;
}

export interface ScriptResult {
  /** The last line of stdout: the scripts print their answer (a directory) there. */
  lastLine: string;
  /** The end of stderr. */
  stderrTail: string;
}

/** Runs a bash script of the repository; rejects, quoting the end of its stderr, if it fails. */
export function runScript(scriptPath: string, options: ScriptOptions = {}): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [scriptPath], { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderrTail = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (options.echoStderr ?? true) process.stderr.write(chunk);
      stderrTail = (stderrTail + chunk).slice(-4_000);
    });
    child.once('error', (err) => reject(new Error(`could not run ${scriptPath}: ${err.message}`)));
    child.once('close', (code) => {
      const lastLine = stdout.trimEnd().split('\n').at(-1) ?? '';
      if (code === 0 && lastLine !== '') resolve({ lastLine, stderrTail });
      else reject(new Error(`${scriptPath} failed (exit code ${code}): ${lastLines(stderrTail, 10) || 'no error output'}`));
    });
  });
}

/**
 * Servers that live in one temporary directory (their data and logs) and stop together: in reverse start
 * order, because later servers depend on earlier ones (kube-apiserver on etcd) while they shut down.
 */
export interface ServerGroup {
  readonly dir: string;
  /** Starts a server logging to <dir>/<name>.log, with `env` as its whole environment if given. */
  start(name: string, command: string, args: string[], env?: NodeJS.ProcessEnv): ManagedProcess;
  /** Stops every server and removes the directory; safe to call more than once. */
  stop(): Promise<void>;
}

export async function createServerGroup(prefix: string): Promise<ServerGroup> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const servers: ManagedProcess[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      for (const server of [...servers].reverse()) await server.stop();
      await rm(dir, { recursive: true, force: true, maxRetries: 3 });
      // Only now: should the process exit half-way through, the exit handler must still finish the job.
      unregister();
    })());
  const unregister = registerTeardown({
    stop,
    stopNow: () => {
      for (const server of servers) server.killNow();
      try {
        rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      } catch {
        // a server killed a moment ago may still be writing; an exit handler must not throw
      }
    },
  });
  return {
    dir,
    start(name, command, args, env) {
      const server = startProcess(name, command, args, join(dir, `${name}.log`), env);
      servers.push(server);
      return server;
    },
    stop,
  };
}

/** Something to stop when the process is interrupted or exits: a server group. */
interface Teardown {
  /** Graceful stop, used on SIGINT/SIGTERM. */
  stop(): Promise<void>;
  /** Synchronous last resort, used on 'exit', where nothing can be awaited. */
  stopNow(): void;
}

const teardowns = new Set<Teardown>();

/** Registers `teardown` for interruption and exit; returns the function that unregisters it. */
function registerTeardown(teardown: Teardown): () => void {
  installProcessHandlers();
  teardowns.add(teardown);
  return () => teardowns.delete(teardown);
}

let handlersInstalled = false;

function installProcessHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    for (const t of teardowns) t.stopNow();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stopAllOnSignal(signal));
}

async function stopAllOnSignal(signal: NodeJS.Signals): Promise<void> {
  // When something else (vitest, a script) listens for the signal too, it reports and decides how the
  // process ends; otherwise this handler does both, ending the process as the signal would have.
  const alone = process.listenerCount(signal) === 0;
  if (alone && teardowns.size > 0) process.stderr.write(`${signal}: stopping the test environment's servers\n`);
  await Promise.allSettled([...teardowns].map((t) => t.stop()));
  if (alone) process.kill(process.pid, signal);
}
