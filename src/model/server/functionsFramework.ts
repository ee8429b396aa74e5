/**
 * @module Google's Functions Framework for Python: `functions-framework --target NAME` serves one function with
 * gunicorn inside (`_http/gunicorn.py` `GunicornApplication`), sized only by env: `WORKERS` (default 1) and
 * `THREADS` (default `4 × os.cpu_count()`, the host's CPUs). `--debug` (or `DEBUG`) serves with Flask's development
 * server instead (`_http/__init__.py` `HTTPServer`); `--gateway asgi` with uvicorn workers.
 * @see https://github.com/GoogleCloudPlatform/functions-framework-python/blob/main/src/functions_framework/_http/gunicorn.py
 */
import type { Evidence, Setting } from '../evidence.ts';
import { byDefault } from '../evidence.ts';
import type { ServerConfig } from '../server.ts';
import type { ServerInvocation } from './argv.ts';
import { serverArgv } from './argv.ts';
import { hostPortSetting } from './bind.ts';
import type { OptionHit, OptionSpec } from './options.ts';
import { clickBool, envHit, flagSetting, lastHit, lastSetting, scanOptions, unreadEvidence } from './options.ts';
import type { ServerPlugin } from './plugin.ts';
import { nonBlank, parseCount } from './words.ts';

type Key = 'host' | 'port' | 'debug' | 'gateway' | 'exit' | 'other';

const OPTIONS: readonly OptionSpec<Key>[] = [
  { key: 'host', names: ['--host'], arity: 'value' },
  { key: 'port', names: ['--port'], arity: 'value' },
  { key: 'debug', names: ['--debug'], arity: 'flag' },
  { key: 'gateway', names: ['--gateway'], arity: 'value' },
  { key: 'exit', names: ['--help'], arity: 'flag' },
  { key: 'other', names: ['--target', '--source', '--signature-type'], arity: 'value' },
];

/** The click `envvar`s of `_cli.py`: each option also reads its env var; the command line wins. */
const ENV: ReadonlyArray<readonly [Key, string]> = [
  ['host', 'HOST'],
  ['port', 'PORT'],
  ['debug', 'DEBUG'],
  ['gateway', 'GATEWAY'],
];

const THREADS_DEFAULT = 'functions-framework default: THREADS = 4 × os.cpu_count()';

/** Functions Framework: gunicorn gthread sized by `WORKERS` × `THREADS`. */
export const functionsFrameworkPlugin: ServerPlugin<'functions-framework'> = {
  kind: 'functions-framework',
  title: 'Functions Framework',
  role: 'production',
  detection: { programs: ['functions-framework', 'functions_framework', 'functions-framework-python'], modules: ['functions_framework'] },
  concurrency: {
    processes: 'WORKERS (default 1)',
    threads: 'THREADS (default 4 × os.cpu_count(): the host CPUs, not the container quota)',
    eventLoop: 'never',
    freeThreaded: 'gthread threads run Python in parallel',
  },
  knobs: {
    workers: { anchor: 'functions-framework', env: ['WORKERS'], whenUnset: { env: 'WORKERS' }, default: { value: 1, source: '_http/gunicorn.py: "workers": int(os.environ.get("WORKERS", 1))' } },
    threads: {
      anchor: 'functions-framework',
      env: ['THREADS'],
      whenUnset: { env: 'THREADS' },
      default: { value: '4 × os.cpu_count()', source: '_http/gunicorn.py: threads = int(os.environ.get("THREADS", (os.cpu_count() or 1) * 4))' },
    },
  },
  sources: ['GoogleCloudPlatform/functions-framework-python src/functions_framework/_cli.py, _http/__init__.py, _http/gunicorn.py (3.x)'],
  read: functionsFrameworkConfig,
};

function functionsFrameworkConfig(server: ServerInvocation, evidence: Evidence): ServerConfig | undefined {
  const { scope } = server;
  const commandLine = scanOptions(server.args, OPTIONS, scope, evidence);
  if (lastHit(commandLine.hits, 'exit') !== undefined) return undefined;
  const fromEnv = ENV.map(([key, name]) => envHit(key, name, scope)).filter((h): h is OptionHit<Key> => h !== undefined);
  const hits = [...fromEnv, ...commandLine.hits];
  const debugHit = lastHit(hits, 'debug');
  const debug = debugHit === undefined ? undefined : flagSetting(debugHit, evidence, scope, clickBool);
  const gateway = lastSetting(hits, 'gateway', evidence, scope, nonBlank) ?? byDefault('wsgi', 'functions-framework default');
  const workersHit = envHit<'workers'>('workers', 'WORKERS', scope);
  const workers: Setting<number> = workersHit === undefined ? byDefault(1, 'functions-framework default: WORKERS = 1') : lastSetting([workersHit], 'workers', evidence, scope, parseCount)!;
  const threadsHit = envHit<'threads'>('threads', 'THREADS', scope);
  const cpuThreads: Evidence = { source: 'default', field: THREADS_DEFAULT };
  const threads: Setting<number> =
    threadsHit === undefined ? { value: undefined, evidence: cpuThreads, isDefault: true, viaEnv: 'THREADS' } : lastSetting([threadsHit], 'threads', evidence, scope, parseCount)!;
  const config: ServerConfig = {
    kind: 'functions-framework',
    argv: serverArgv(server),
    evidence,
    model: debug?.value === true || gateway.value !== 'wsgi' ? 'async' : 'threaded',
    workers: debug?.value === true ? byDefault(1, "Flask's development server runs one process") : workers,
    threads,
    workerClass: gateway,
    // _http/gunicorn.py: timeout = CLOUD_RUN_TIMEOUT_SECONDS, default 0 (no worker timeout).
    timeout: byDefault(0, 'functions-framework default: CLOUD_RUN_TIMEOUT_SECONDS = 0'),
    bind: bindOf(hits, evidence, scope),
    unreadConfig: [...server.unread, ...unreadEvidence(commandLine, evidence)],
  };
  if (debug?.value === true) config.development = debug.evidence;
  if (threadsHit === undefined && debug?.value !== true) config.cpuCountDefaults = [cpuThreads];
  return config;
}

/** `--host` (default 0.0.0.0, env HOST) and `--port` (default 8080, env PORT). */
function bindOf(hits: readonly OptionHit<Key>[], evidence: Evidence, scope: Parameters<typeof hostPortSetting>[4]): Setting<string> {
  const host = lastHit(hits, 'host');
  const port = lastHit(hits, 'port');
  if (host === undefined && port === undefined) return byDefault('0.0.0.0:8080', 'functions-framework default');
  return hostPortSetting(host, port, { host: '0.0.0.0', port: 8080 }, evidence, scope);
}
