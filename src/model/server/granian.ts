/**
 * @module granian's effective settings. Its CLI is click with `auto_envvar_prefix='GRANIAN'` (`granian/cli.py`
 * `entrypoint`), so every option can also come from `GRANIAN_<OPTION>`; the command line wins. It does not read
 * `WEB_CONCURRENCY`. Defaults are those of granian 2.x (`granian/cli.py`, `granian/server/common.py`).
 * @see https://github.com/emmett-framework/granian/blob/master/granian/cli.py
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
import type { Scope } from './words.ts';
import { nonBlank, parseCount } from './words.ts';

type Key = 'interface' | 'workers' | 'blockingThreads' | 'runtimeThreads' | 'backlog' | 'backpressure' | 'host' | 'port' | 'reload' | 'exit' | 'other';

const DEFAULT = 'granian default';

const OPTIONS: readonly OptionSpec<Key>[] = [
  { key: 'interface', names: ['--interface'], arity: 'value' },
  { key: 'workers', names: ['--workers'], arity: 'value' },
  { key: 'blockingThreads', names: ['--blocking-threads'], arity: 'value' },
  { key: 'runtimeThreads', names: ['--runtime-threads', '--threads'], arity: 'value' },
  { key: 'backlog', names: ['--backlog'], arity: 'value' },
  { key: 'backpressure', names: ['--backpressure'], arity: 'value' },
  { key: 'host', names: ['--host'], arity: 'value' },
  { key: 'port', names: ['--port'], arity: 'value' },
  { key: 'reload', names: ['--reload'], arity: 'flag' },
  { key: 'reload', names: ['--no-reload'], arity: 'flag', flagValue: false },
  { key: 'exit', names: ['--help', '--version'], arity: 'flag' },
  {
    key: 'other',
    arity: 'flag',
    names: [
      '--ws', '--no-ws', '--http1-keep-alive', '--no-http1-keep-alive', '--http1-pipeline-flush', '--no-http1-pipeline-flush',
      '--http2-adaptive-window', '--no-http2-adaptive-window', '--log', '--no-log', '--access-log', '--no-access-log',
      '--ssl-client-verify', '--no-ssl-client-verify', '--respawn-failed-workers', '--no-respawn-failed-workers', '--factory',
      '--no-factory', '--reload-ignore-worker-failure', '--no-reload-ignore-worker-failure',
    ],
  },
  {
    key: 'other',
    arity: 'value',
    names: [
      '--http', '--blocking-threads-idle-timeout', '--runtime-blocking-threads', '--runtime-mode', '--threading-mode', '--loop',
      '--task-impl', '--http1-buffer-size', '--http1-header-read-timeout', '--http2-initial-connection-window-size',
      '--http2-initial-stream-window-size', '--http2-keep-alive-interval', '--http2-keep-alive-timeout',
      '--http2-max-concurrent-streams', '--http2-max-frame-size', '--http2-max-headers-size', '--http2-max-send-buffer-size',
      '--log-level', '--log-config', '--access-log-fmt', '--ssl-certificate', '--ssl-keyfile', '--ssl-keyfile-password', '--ssl-ca',
      '--ssl-crl', '--url-path-prefix', '--respawn-interval', '--workers-lifetime', '--workers-kill-timeout', '--working-dir',
      '--env-files', '--static-path-route', '--static-path-mount', '--static-path-expires', '--reload-paths', '--reload-ignore-dirs',
      '--reload-ignore-patterns', '--reload-ignore-paths', '--reload-tick', '--process-name', '--pid-file',
    ],
  },
];

/** `GRANIAN_<OPTION>` for the options pytuner reads (click: the option name upper-cased, `-` as `_`). */
const ENV: ReadonlyArray<readonly [Key, string]> = [
  ['interface', 'GRANIAN_INTERFACE'],
  ['workers', 'GRANIAN_WORKERS'],
  ['blockingThreads', 'GRANIAN_BLOCKING_THREADS'],
  ['runtimeThreads', 'GRANIAN_RUNTIME_THREADS'],
  ['backlog', 'GRANIAN_BACKLOG'],
  ['backpressure', 'GRANIAN_BACKPRESSURE'],
  ['host', 'GRANIAN_HOST'],
  ['port', 'GRANIAN_PORT'],
  ['reload', 'GRANIAN_RELOAD'],
];

/** `granian/server/common.py`: backlog defaults to 1024 (at least 128). */
const DEFAULT_BACKLOG = 1024;

/** granian: a Rust HTTP server running Python workers; WSGI apps on a blocking thread pool, ASGI/RSGI on an event loop. */
export const granianPlugin: ServerPlugin<'granian'> = {
  kind: 'granian',
  title: 'granian',
  role: 'production',
  detection: { programs: ['granian'], modules: ['granian'] },
  concurrency: {
    processes: '--workers (default 1; GRANIAN_WORKERS; WEB_CONCURRENCY is not read)',
    threads: 'WSGI: --blocking-threads per worker (default --backpressure // 2, i.e. 512 with the default backlog and 1 worker); ASGI/RSGI: one event loop, --runtime-threads Rust threads for I/O',
    eventLoop: 'by worker class',
    freeThreaded: 'on a free-threaded build granian runs workers as threads of one process',
  },
  knobs: {
    workers: {
      flag: { long: '--workers' },
      anchor: 'granian',
      env: ['GRANIAN_WORKERS'],
      whenUnset: { env: 'GRANIAN_WORKERS' },
      default: { value: 1, source: 'granian/cli.py: --workers default=1 (2.x)' },
    },
    threads: {
      flag: { long: '--blocking-threads' },
      anchor: 'granian',
      env: ['GRANIAN_BLOCKING_THREADS'],
      whenUnset: { env: 'GRANIAN_BLOCKING_THREADS' },
      default: { value: 'backpressure // 2 (WSGI), 1 otherwise', source: 'granian/server/common.py: blocking_threads = max(1, backpressure // 2 if WSGI else 1) (2.x)' },
    },
  },
  sources: ['emmett-framework/granian granian/cli.py, granian/server/common.py (2.x)', 'https://github.com/emmett-framework/granian#options'],
  read: granianConfig,
};

function granianConfig(server: ServerInvocation, evidence: Evidence): ServerConfig | undefined {
  const { scope } = server;
  const commandLine = scanOptions(server.args, OPTIONS, scope, evidence);
  if (lastHit(commandLine.hits, 'exit') !== undefined) return undefined;
  const fromEnv = ENV.map(([key, name]) => envHit(key, name, scope)).filter((h): h is OptionHit<Key> => h !== undefined);
  const hits = [...fromEnv, ...commandLine.hits];
  const count = (key: Key): Setting<number> | undefined => lastSetting(hits, key, evidence, scope, parseCount);
  const iface = lastSetting(hits, 'interface', evidence, scope, (text) => nonBlank(text.toLowerCase())) ?? byDefault('rsgi', DEFAULT);
  const workers = count('workers') ?? byDefault(1, DEFAULT);
  const backpressure = count('backpressure') ?? defaultBackpressure(count('backlog'), workers);
  const wsgi = iface.value === 'wsgi';
  const config: ServerConfig = {
    kind: 'granian',
    argv: serverArgv(server),
    evidence,
    // An unknown interface may be WSGI or not: without a slot count, nothing is derived from it.
    model: wsgi ? 'threaded' : 'async',
    workers,
    threads: wsgi ? (count('blockingThreads') ?? defaultBlockingThreads(backpressure)) : byDefault(1, 'granian ASGI/RSGI: one event loop per worker'),
    workerClass: iface,
    connectionLimit: backpressure,
    bind: bind(hits, evidence, scope),
    unreadConfig: [...server.unread, ...unreadEvidence(commandLine, evidence)],
  };
  const reload = lastHit(hits, 'reload');
  const reloading = reload === undefined ? undefined : flagSetting(reload, evidence, scope, clickBool);
  if (reloading?.value === true) config.development = reloading.evidence;
  return config;
}

/** `backpressure = backlog // workers` when not given (`granian/server/common.py`). */
function defaultBackpressure(backlog: Setting<number> | undefined, workers: Setting<number>): Setting<number> {
  const log = backlog?.value ?? (backlog === undefined ? DEFAULT_BACKLOG : undefined);
  const field = 'granian default: --backpressure = --backlog // --workers';
  if (log === undefined || workers.value === undefined || workers.value < 1) return { value: undefined, evidence: { source: 'default', field }, isDefault: true };
  return byDefault(Math.max(1, Math.floor(Math.max(128, log) / workers.value)), `${field} (${Math.max(128, log)} // ${workers.value})`);
}

/** WSGI: `blocking_threads = max(1, backpressure // 2)` when not given (`granian/server/common.py`, 2.x). */
function defaultBlockingThreads(backpressure: Setting<number>): Setting<number> {
  const field = 'granian default (WSGI): --blocking-threads = --backpressure // 2';
  if (backpressure.value === undefined) return { value: undefined, evidence: { source: 'default', field }, isDefault: true };
  return byDefault(Math.max(1, Math.floor(backpressure.value / 2)), field);
}

/** `--host:--port`, default 127.0.0.1:8000 (`granian/cli.py`). */
function bind(hits: readonly OptionHit<Key>[], evidence: Evidence, scope: Scope): Setting<string> {
  const host = lastHit(hits, 'host');
  const port = lastHit(hits, 'port');
  if (host === undefined && port === undefined) return byDefault('127.0.0.1:8000', DEFAULT);
  return hostPortSetting(host, port, { host: '127.0.0.1', port: 8000 }, evidence, scope);
}
