/**
 * @module uvicorn's effective settings, from `uvicorn app:app ...` or `fastapi run`. uvicorn's CLI is click with
 * `auto_envvar_prefix="UVICORN"`, so every option can also come from `UVICORN_<OPTION>`; the command line wins.
 * Without `--workers` (or `UVICORN_WORKERS`), `uvicorn/config.py` reads `WEB_CONCURRENCY`, else 1.
 * @see https://www.uvicorn.org/settings/
 */
import type { Evidence, Setting } from '../evidence.ts';
import { byDefault, explicit } from '../evidence.ts';
import type { ServerConfig } from '../server.ts';
import type { ServerInvocation } from './argv.ts';
import { serverArgv } from './argv.ts';
import type { OptionHit, OptionSpec } from './options.ts';
import { hostPortSetting } from './bind.ts';
import { clickBool, envHit, flagSetting, hitEvidence, lastHit, lastSetting, located, scanOptions, unreadEvidence, valueSetting } from './options.ts';
import type { ServerPlugin } from './plugin.ts';
import type { Scope } from './words.ts';
import { parseCount } from './words.ts';

type Key = 'workers' | 'host' | 'port' | 'uds' | 'fd' | 'reload' | 'limitConcurrency' | 'keepAlive' | 'envFile' | 'exit' | 'other';

const UVICORN_OPTIONS: readonly OptionSpec<Key>[] = [
  { key: 'workers', names: ['--workers'], arity: 'value' },
  { key: 'host', names: ['--host'], arity: 'value' },
  { key: 'port', names: ['--port'], arity: 'value' },
  { key: 'uds', names: ['--uds'], arity: 'value' },
  { key: 'fd', names: ['--fd'], arity: 'value' },
  { key: 'reload', names: ['--reload'], arity: 'flag' },
  { key: 'limitConcurrency', names: ['--limit-concurrency'], arity: 'value' },
  { key: 'keepAlive', names: ['--timeout-keep-alive'], arity: 'value' },
  { key: 'envFile', names: ['--env-file'], arity: 'value' },
  { key: 'exit', names: ['--help', '--version'], arity: 'flag' },
  {
    key: 'other',
    arity: 'value',
    names: [
      '--reload-dir', '--reload-include', '--reload-exclude', '--reload-delay', '--loop', '--http', '--ws', '--ws-max-size',
      '--ws-max-queue', '--ws-ping-interval', '--ws-ping-timeout', '--ws-per-message-deflate', '--lifespan', '--interface',
      '--log-config', '--log-level', '--forwarded-allow-ips', '--root-path', '--backlog', '--limit-max-requests',
      '--timeout-graceful-shutdown', '--ssl-keyfile', '--ssl-certfile', '--ssl-keyfile-password', '--ssl-version',
      '--ssl-cert-reqs', '--ssl-ca-certs', '--ssl-ciphers', '--header', '--app-dir', '--h11-max-incomplete-event-size',
    ],
  },
];

/** fastapi-cli's `run` options (`fastapi_cli/cli.py`): `--port` reads `$PORT`, the host defaults to 0.0.0.0. */
const FASTAPI_OPTIONS: readonly OptionSpec<Key>[] = [
  { key: 'workers', names: ['--workers'], arity: 'value' },
  { key: 'host', names: ['--host'], arity: 'value' },
  { key: 'port', names: ['--port'], arity: 'value' },
  { key: 'reload', names: ['--reload'], arity: 'flag' },
  { key: 'reload', names: ['--no-reload'], arity: 'flag', flagValue: false },
  { key: 'exit', names: ['--help'], arity: 'flag' },
  { key: 'other', names: ['--root-path', '--app', '--entrypoint', '--forwarded-allow-ips'], arity: 'value' },
];

/** The env vars uvicorn reads for an option (click `auto_envvar_prefix`), in the order they are applied. */
const UVICORN_ENV: ReadonlyArray<readonly [Key, string]> = [
  ['workers', 'UVICORN_WORKERS'],
  ['host', 'UVICORN_HOST'],
  ['port', 'UVICORN_PORT'],
  ['uds', 'UVICORN_UDS'],
  ['fd', 'UVICORN_FD'],
  ['reload', 'UVICORN_RELOAD'],
  ['limitConcurrency', 'UVICORN_LIMIT_CONCURRENCY'],
  ['keepAlive', 'UVICORN_TIMEOUT_KEEP_ALIVE'],
  ['envFile', 'UVICORN_ENV_FILE'],
];

/** uvicorn, also as started by `fastapi run` (fastapi-cli runs `uvicorn.run`). */
export const uvicornPlugin: ServerPlugin<'uvicorn'> = {
  kind: 'uvicorn',
  title: 'uvicorn',
  role: 'production',
  detection: { programs: ['uvicorn'], modules: ['uvicorn'], subcommands: [{ program: 'fastapi', subcommand: 'run' }, { program: 'fastapi', subcommand: 'dev' }] },
  concurrency: {
    processes: '--workers (default $WEB_CONCURRENCY, else 1; --reload forces 1)',
    threads: 'none: one asyncio event loop per worker (sync endpoints run in a thread pool of 40)',
    eventLoop: 'always',
    freeThreaded: 'no change: one event loop per process',
  },
  knobs: {
    workers: {
      flag: { long: '--workers' },
      confKey: 'workers',
      anchor: 'uvicorn',
      env: ['WEB_CONCURRENCY', 'UVICORN_WORKERS'],
      whenUnset: { env: 'WEB_CONCURRENCY' },
      default: { value: 1, source: 'uvicorn --help: "Defaults to the $WEB_CONCURRENCY environment variable if available, or 1" (uvicorn/main.py, 0.30)' },
    },
  },
  sources: ['https://www.uvicorn.org/settings/', 'encode/uvicorn uvicorn/main.py, uvicorn/config.py', 'fastapi/fastapi-cli src/fastapi_cli/cli.py'],
  read: uvicornConfig,
};

/** The uvicorn configuration of `uvicorn ...`, `fastapi run ...` or `fastapi dev ...` (reload on, one process). */
function uvicornConfig(server: ServerInvocation, evidence: Evidence): ServerConfig | undefined {
  const { scope } = server;
  const fastapi = server.launcher.startsWith('fastapi ');
  // `fastapi dev` is uvicorn with reload on by default, on 127.0.0.1 (fastapi_cli/cli.py `dev`).
  const devLauncher = server.launcher === 'fastapi dev' ? located(evidence, 'fastapi dev', 'fastapi dev') : undefined;
  const commandLine = scanOptions(server.args, fastapi ? FASTAPI_OPTIONS : UVICORN_OPTIONS, scope, evidence);
  if (lastHit(commandLine.hits, 'exit') !== undefined) return undefined;
  const fromEnv = (fastapi ? [envHit<Key>('port', 'PORT', scope)] : UVICORN_ENV.map(([key, name]) => envHit(key, name, scope))).filter(
    (h): h is OptionHit<Key> => h !== undefined,
  );
  const hits = [...fromEnv, ...commandLine.hits];
  const envFiles = hits.filter((h) => h.key === 'envFile').map((h) => hitEvidence(h, evidence));
  const unreadConfig = [...server.unread, ...unreadEvidence(commandLine, evidence), ...envFiles];
  const config: ServerConfig = {
    kind: 'uvicorn',
    argv: serverArgv(server),
    evidence,
    model: 'async',
    workers: workers(hits, evidence, scope, devLauncher),
    threads: byDefault(1, 'uvicorn runs one event loop per worker'),
    keepAlive: lastSetting(hits, 'keepAlive', evidence, scope, parseCount) ?? byDefault(5, 'uvicorn default'),
    bind: bind(hits, evidence, scope, fastapi ? (devLauncher === undefined ? 'run' : 'dev') : undefined),
    unreadConfig,
  };
  const limit = lastSetting(hits, 'limitConcurrency', evidence, scope, parseCount);
  if (limit !== undefined) config.connectionLimit = limit;
  const reload = reloading(hits, evidence, scope);
  const development = devLauncher ?? (reload?.value === true ? reload.evidence : undefined);
  if (development !== undefined) config.development = development;
  return config;
}

/** `--reload` (or `UVICORN_RELOAD`) as a setting, when given. */
function reloading(hits: readonly OptionHit<Key>[], evidence: Evidence, scope: Scope): Setting<boolean> | undefined {
  const reload = lastHit(hits, 'reload');
  return reload === undefined ? undefined : flagSetting(reload, evidence, scope, clickBool);
}

/** `--workers`, else `WEB_CONCURRENCY`, else 1; `--reload` (and `fastapi dev` unless `--no-reload`) runs one process whatever `--workers` says. */
function workers(hits: readonly OptionHit<Key>[], evidence: Evidence, scope: Scope, devLauncher: Evidence | undefined): Setting<number> {
  const reload = reloading(hits, evidence, scope);
  if (reload?.value === true) return explicit(1, reload.evidence, reload.viaEnv);
  if (devLauncher !== undefined && reload === undefined) return explicit(1, devLauncher);
  const found = lastHit(hits, 'workers') ?? envHit<Key>('workers', 'WEB_CONCURRENCY', scope);
  return found === undefined ? byDefault(1, 'uvicorn default') : valueSetting(found, evidence, scope, parseCount);
}

/** `--uds`, `--fd`, else `--host:--port` (uvicorn and `fastapi dev` default 127.0.0.1:8000; `fastapi run` 0.0.0.0:8000). */
function bind(hits: readonly OptionHit<Key>[], evidence: Evidence, scope: Scope, fastapi: 'run' | 'dev' | undefined): Setting<string> {
  const socket = lastHit(hits, 'uds') ?? lastHit(hits, 'fd');
  if (socket !== undefined) return valueSetting(socket, evidence, scope, (text) => (socket.key === 'uds' ? `unix:${text}` : `fd://${text}`));
  const host = lastHit(hits, 'host');
  const port = lastHit(hits, 'port');
  const defaults = { host: fastapi === 'run' ? '0.0.0.0' : '127.0.0.1', port: 8000 };
  if (host === undefined && port === undefined) {
    return byDefault(`${defaults.host}:${defaults.port}`, fastapi === undefined ? 'uvicorn default' : `fastapi ${fastapi} default`);
  }
  return hostPortSetting(host, port, defaults, evidence, scope);
}
