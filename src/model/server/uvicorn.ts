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
import { envHit, flagSetting, hitEvidence, lastHit, lastSetting, scanOptions, unreadEvidence, valueSetting } from './options.ts';
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

/** The uvicorn configuration of `uvicorn ...` or `fastapi run ...`. */
export function uvicornConfig(server: ServerInvocation, evidence: Evidence): ServerConfig | undefined {
  const { scope } = server;
  const fastapi = server.launcher === 'fastapi';
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
    workers: workers(hits, evidence, scope),
    threads: byDefault(1, 'uvicorn runs one event loop per worker'),
    keepAlive: lastSetting(hits, 'keepAlive', evidence, scope, parseCount) ?? byDefault(5, 'uvicorn default'),
    bind: bind(hits, evidence, scope, fastapi),
    unreadConfig,
  };
  const limit = lastSetting(hits, 'limitConcurrency', evidence, scope, parseCount);
  if (limit !== undefined) config.connectionLimit = limit;
  return config;
}

/** `--workers`, else `WEB_CONCURRENCY`, else 1; `--reload` runs one process whatever `--workers` says. */
function workers(hits: readonly OptionHit<Key>[], evidence: Evidence, scope: Scope): Setting<number> {
  const reload = lastHit(hits, 'reload');
  if (reload !== undefined) {
    const reloading = flagSetting(reload, evidence, scope, clickBool);
    if (reloading.value === true) return explicit(1, reloading.evidence, reloading.viaEnv);
  }
  const found = lastHit(hits, 'workers') ?? envHit<Key>('workers', 'WEB_CONCURRENCY', scope);
  return found === undefined ? byDefault(1, 'uvicorn default') : valueSetting(found, evidence, scope, parseCount);
}

/** `--uds`, `--fd`, else `--host:--port` (uvicorn defaults 127.0.0.1:8000; `fastapi run` 0.0.0.0:8000). */
function bind(hits: readonly OptionHit<Key>[], evidence: Evidence, scope: Scope, fastapi: boolean): Setting<string> {
  const socket = lastHit(hits, 'uds') ?? lastHit(hits, 'fd');
  if (socket !== undefined) return valueSetting(socket, evidence, scope, (text) => (socket.key === 'uds' ? `unix:${text}` : `fd://${text}`));
  const host = lastHit(hits, 'host');
  const port = lastHit(hits, 'port');
  const defaults = { host: fastapi ? '0.0.0.0' : '127.0.0.1', port: 8000 };
  if (host === undefined && port === undefined) {
    return byDefault(`${defaults.host}:${defaults.port}`, fastapi ? 'fastapi run default' : 'uvicorn default');
  }
  return hostPortSetting(host, port, defaults, evidence, scope);
}

/** click's BOOL type, as `UVICORN_RELOAD` is read. */
function clickBool(text: string): boolean | undefined {
  const word = text.trim().toLowerCase();
  if (['1', 'true', 't', 'yes', 'y', 'on'].includes(word)) return true;
  if (['0', 'false', 'f', 'no', 'n', 'off', ''].includes(word)) return false;
  return undefined;
}
