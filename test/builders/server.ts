/**
 * @module Server configurations as the detector would report them, described by what a test cares about:
 * a number written on the command line, read from an env var, assigned in gunicorn.conf.py, left to the default,
 * or unknowable. The builder writes the matching command line so fixes can find the flags.
 */
import type { Evidence, Setting } from '../../src/model/evidence.ts';
import { byDefault, explicit, unknown } from '../../src/model/evidence.ts';
import type { ConcurrencyModel, ServerConfig, ServerKind } from '../../src/model/server.ts';

/**
 * How a test states a setting: `4` (on the command line), `{ env: 'THREADS', value: 8 }` (`--threads $THREADS`),
 * `{ conf: 4 }` (gunicorn.conf.py), `{ unknown: true }` (`$(nproc)`); omitted = the server's default.
 */
export type Knob<T> = T | { env: string; value: T } | { conf: T } | { unknown: true };

/** Where the server's command line is written. */
export type CommandSource = 'args' | 'Dockerfile';

export interface GunicornOptions {
  workers?: Knob<number>;
  threads?: Knob<number>;
  timeout?: Knob<number>;
  preload?: Knob<boolean>;
  /** `--bind` address(es), space-separated when repeated; `:8080` when omitted. */
  bind?: string;
  /** `-k`: `sync` (default), `gthread`, `uvicorn.workers.UvicornWorker`, `gevent`. */
  workerClass?: string;
  /** Config files the detector could not read (`-c python:conf`). */
  unreadConfig?: string[];
  from?: CommandSource;
}

export interface UwsgiOptions {
  processes?: Knob<number>;
  threads?: Knob<number>;
  lazyApps?: boolean;
  pyCallOsAfterFork?: boolean;
  master?: boolean;
  harakiri?: Knob<number>;
  unreadConfig?: string[];
  from?: CommandSource;
}

export interface UvicornOptions {
  workers?: Knob<number>;
  from?: CommandSource;
}

export interface WaitressOptions {
  threads?: Knob<number>;
  from?: CommandSource;
}

/** What the container builder tells the server builder: where the command line sits, and env vars it must add. */
export interface CommandContext {
  /** Evidence of the command line (manifest args or Dockerfile CMD). */
  evidence: Evidence;
  /** Declares an env var the command reads (`--threads $THREADS`) and returns its evidence. */
  envVar: (name: string, value: string) => Evidence;
  /** Evidence of a gunicorn.conf.py assignment. */
  confLine: (text: string) => Evidence;
}

/** A server ready to be built once the container knows where its command line lives. */
export interface ServerDraft {
  kind: ServerKind;
  argv: string[];
  from: CommandSource;
  build: (ctx: CommandContext) => ServerConfig;
}

/** The ServerConfig fields a builder chooses; `draft` adds the kind, the argv and the command line's evidence. */
type ServerSettings = Omit<ServerConfig, 'kind' | 'argv' | 'evidence'>;

/** A draft that builds `kind` running `argv`, with `settings` once the container says where the command line is. */
function draft(kind: ServerKind, argv: string[], from: CommandSource | undefined, settings: (ctx: CommandContext) => ServerSettings): ServerDraft {
  return { kind, argv, from: from ?? 'args', build: (ctx) => ({ kind, argv, evidence: ctx.evidence, ...settings(ctx) }) };
}

function isEnv<T>(k: Knob<T>): k is { env: string; value: T } {
  return typeof k === 'object' && k !== null && 'env' in k;
}
function isConf<T>(k: Knob<T>): k is { conf: T } {
  return typeof k === 'object' && k !== null && 'conf' in k;
}
function isUnknown<T>(k: Knob<T>): k is { unknown: true } {
  return typeof k === 'object' && k !== null && 'unknown' in k;
}

/** The argv words for one option: `--workers 4`, `--workers $WORKERS`, nothing for defaults, conf values and WEB_CONCURRENCY. */
function words<T>(flag: string, knob: Knob<T> | undefined, implicitEnv?: string): string[] {
  if (knob === undefined || isConf(knob)) return [];
  if (isUnknown(knob)) return [flag, '$(nproc)'];
  if (isEnv(knob)) return knob.env === implicitEnv ? [] : [flag, `$${knob.env}`];
  if (typeof knob === 'boolean') return knob ? [flag] : [];
  return [flag, String(knob)];
}

function setting<T>(flag: string, confKey: string, knob: Knob<T> | undefined, fallback: T, ctx: CommandContext): Setting<T> {
  if (knob === undefined) return byDefault(fallback, `${flag} default`);
  if (isUnknown(knob)) return unknown({ ...ctx.evidence, field: flag, text: `${flag} $(nproc)` });
  if (isEnv(knob)) return explicit(knob.value, ctx.envVar(knob.env, String(knob.value)), knob.env);
  if (isConf(knob)) return explicit(knob.conf, ctx.confLine(`${confKey} = ${pyLiteral(knob.conf)}`));
  return explicit(knob, { ...ctx.evidence, field: flag, text: typeof knob === 'boolean' ? flag : `${flag} ${String(knob)}` });
}

function pyLiteral(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return String(value);
}

function valueOf<T>(knob: Knob<T> | undefined, fallback: T): T | undefined {
  if (knob === undefined) return fallback;
  if (isUnknown(knob)) return undefined;
  if (isEnv(knob)) return knob.value;
  if (isConf(knob)) return knob.conf;
  return knob;
}

function unread(files: string[] | undefined, ctx: CommandContext): Evidence[] {
  return (files ?? []).map((file) => ({ ...ctx.evidence, field: '-c', text: file }));
}

function gunicornModel(workerClass: string | undefined, threads: number | undefined): ConcurrencyModel {
  if (workerClass === undefined || workerClass === 'sync') return threads !== undefined && threads > 1 ? 'threaded' : 'sync';
  return workerClass === 'gthread' ? 'threaded' : 'async';
}

/** gunicorn, by default sync with 1 worker, 1 thread, `--timeout 30`, no `--preload`. */
export function gunicorn(options: GunicornOptions = {}): ServerDraft {
  const argv = [
    'gunicorn',
    ...(options.bind ?? ':8080').split(' ').flatMap((address) => ['--bind', address]),
    ...words('--workers', options.workers, 'WEB_CONCURRENCY'),
    ...words('--threads', options.threads),
    ...words('--timeout', options.timeout),
    ...words('--preload', options.preload),
    ...(options.workerClass === undefined ? [] : ['--worker-class', options.workerClass]),
    ...(options.unreadConfig ?? []).flatMap((file) => ['-c', file]),
    'main:app',
  ];
  return draft('gunicorn', argv, options.from, (ctx) => {
    const settings: ServerSettings = {
      model: gunicornModel(options.workerClass, valueOf(options.threads, 1)),
      workers: setting('--workers', 'workers', options.workers, 1, ctx),
      threads: setting('--threads', 'threads', options.threads, 1, ctx),
      timeout: setting('--timeout', 'timeout', options.timeout, 30, ctx),
      preload: setting('--preload', 'preload_app', options.preload, false, ctx),
      bind: explicit(options.bind ?? ':8080', { ...ctx.evidence, field: '--bind', text: (options.bind ?? ':8080').split(' ').map((a) => `--bind ${a}`).join(' ') }),
      unreadConfig: unread(options.unreadConfig, ctx),
    };
    if (options.workerClass !== undefined) settings.workerClass = explicit(options.workerClass, { ...ctx.evidence, field: '--worker-class' });
    return settings;
  });
}

/** uWSGI, by default 1 process, 1 thread, no master, no lazy-apps, no py-call-osafterfork. */
export function uwsgi(options: UwsgiOptions = {}): ServerDraft {
  const argv = [
    'uwsgi',
    '--http',
    ':8080',
    ...words('--processes', options.processes),
    ...words('--threads', options.threads),
    ...words('--harakiri', options.harakiri),
    ...(options.master === true ? ['--master'] : []),
    ...(options.lazyApps === true ? ['--lazy-apps'] : []),
    ...(options.pyCallOsAfterFork === true ? ['--py-call-osafterfork'] : []),
    ...(options.unreadConfig ?? []).flatMap((file) => ['--ini', file]),
    '--module',
    'main:app',
  ];
  return draft('uwsgi', argv, options.from, (ctx) => {
    const threads = valueOf(options.threads, 1);
    const settings: ServerSettings = {
      model: threads !== undefined && threads > 1 ? 'threaded' : 'sync',
      workers: setting('--processes', 'processes', options.processes, 1, ctx),
      threads: setting('--threads', 'threads', options.threads, 1, ctx),
      timeout: setting('--harakiri', 'harakiri', options.harakiri, 0, ctx),
      unreadConfig: unread(options.unreadConfig, ctx),
    };
    if (options.master !== undefined) settings.master = explicit(options.master, { ...ctx.evidence, field: '--master' });
    if (options.lazyApps !== undefined) settings.lazyApps = explicit(options.lazyApps, { ...ctx.evidence, field: '--lazy-apps' });
    if (options.pyCallOsAfterFork !== undefined) settings.pyCallOsAfterFork = explicit(options.pyCallOsAfterFork, { ...ctx.evidence, field: '--py-call-osafterfork' });
    return settings;
  });
}

/** uvicorn: one event loop per worker, no fixed request slots. */
export function uvicorn(options: UvicornOptions = {}): ServerDraft {
  const argv = ['uvicorn', '--host', '0.0.0.0', '--port', '8080', ...words('--workers', options.workers), 'main:app'];
  return draft('uvicorn', argv, options.from, (ctx) => ({
    model: 'async',
    workers: setting('--workers', 'workers', options.workers, 1, ctx),
    threads: byDefault(1, 'uvicorn has no threads option'),
    unreadConfig: [],
  }));
}

/** waitress: one process with `--threads` (default 4). */
export function waitress(options: WaitressOptions = {}): ServerDraft {
  const argv = ['waitress-serve', '--port', '8080', ...words('--threads', options.threads), 'main:app'];
  return draft('waitress', argv, options.from, (ctx) => ({
    model: 'threaded',
    workers: byDefault(1, 'waitress runs one process'),
    threads: setting('--threads', 'threads', options.threads, 4, ctx),
    unreadConfig: [],
  }));
}
