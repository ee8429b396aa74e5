/**
 * @module gunicorn's effective settings. Precedence, low to high, as `gunicorn/app/base.py` `load_config` applies
 * them: defaults (workers from `WEB_CONCURRENCY`) < config file (`-c`, else `./gunicorn.conf.py`) <
 * `GUNICORN_CMD_ARGS` < command line.
 * @see https://docs.gunicorn.org/en/stable/settings.html
 */
import type { Evidence, Setting } from '../evidence.ts';
import { byDefault, explicit, unknown } from '../evidence.ts';
import type { GunicornConf } from '../image.ts';
import type { ConcurrencyModel, ServerConfig } from '../server.ts';
import type { ServerInvocation } from './argv.ts';
import { serverArgv } from './argv.ts';
import type { OptionHit, OptionSpec, Scan } from './options.ts';
import { addressesSetting } from './bind.ts';
import { envHit, hitEvidence, lastHit, located, scanOptions, unreadEvidence, valueSetting } from './options.ts';
import type { ServerPlugin } from './plugin.ts';
import { shellWords } from './shell.ts';
import type { Scope } from './words.ts';
import { literalWord, nonBlank, parseCount, processEnv, resolveWord } from './words.ts';

type Key =
  | 'workers' | 'threads' | 'timeout' | 'preload' | 'workerClass' | 'bind' | 'workerConnections' | 'keepAlive'
  | 'config' | 'paste' | 'exit' | 'other';

const DEFAULT = 'gunicorn default';

// Options gunicorn 23 declares in `gunicorn/config.py`; those pytuner does not read are listed so their values
// are not taken for arguments. `--check-config`, `--print-config`, `--help` and `--version` exit without serving.
const OPTIONS: readonly OptionSpec<Key>[] = [
  { key: 'workers', names: ['-w', '--workers'], arity: 'value' },
  { key: 'threads', names: ['--threads'], arity: 'value' },
  { key: 'timeout', names: ['-t', '--timeout'], arity: 'value' },
  { key: 'preload', names: ['--preload'], arity: 'flag' },
  { key: 'workerClass', names: ['-k', '--worker-class'], arity: 'value' },
  { key: 'bind', names: ['-b', '--bind'], arity: 'value' },
  { key: 'workerConnections', names: ['--worker-connections'], arity: 'value' },
  { key: 'keepAlive', names: ['--keep-alive'], arity: 'value' },
  { key: 'config', names: ['-c', '--config'], arity: 'value' },
  { key: 'paste', names: ['--paste', '--paster'], arity: 'value' },
  { key: 'exit', names: ['-h', '--help', '-v', '--version', '--check-config', '--print-config'], arity: 'flag' },
  {
    key: 'other',
    arity: 'flag',
    names: [
      '--reload', '--spew', '--no-sendfile', '--reuse-port', '-D', '--daemon', '--initgroups', '--disable-redirect-access-to-syslog',
      '--capture-output', '--log-syslog', '-R', '--enable-stdio-inheritance', '--enable-backlog-metric', '--proxy-protocol',
      '--suppress-ragged-eofs', '--do-handshake-on-connect', '--permit-obsolete-folding', '--strip-header-spaces',
      '--permit-unconventional-http-method', '--permit-unconventional-http-version', '--casefold-http-method', '--no-control-socket',
    ],
  },
  {
    key: 'other',
    arity: 'value',
    names: [
      '--backlog', '--max-requests', '--max-requests-jitter', '--graceful-timeout', '--limit-request-line',
      '--limit-request-fields', '--limit-request-field_size', '--reload-engine', '--reload-extra-file', '--chdir', '-e', '--env',
      '-p', '--pid', '--worker-tmp-dir', '-u', '--user', '-g', '--group', '-m', '--umask', '--forwarded-allow-ips',
      '--access-logfile', '--access-logformat', '--error-logfile', '--log-file', '--log-level', '--logger-class', '--log-config',
      '--log-config-json', '--log-syslog-to', '--log-syslog-prefix', '--log-syslog-facility', '--statsd-host', '--dogstatsd-tags',
      '--statsd-prefix', '-n', '--name', '--pythonpath', '--proxy-allow-from', '--protocol', '--uwsgi-allow-from', '--keyfile',
      '--certfile', '--ssl-version', '--cert-reqs', '--ca-certs', '--ciphers', '--http-protocols', '--http2-cleartext',
      '--http2-max-concurrent-streams', '--http2-initial-window-size', '--http2-max-frame-size', '--http2-max-header-list-size',
      '--paste-global', '--forwarder-headers', '--header-map', '--asgi-loop', '--asgi-lifespan', '--asgi-disconnect-grace-period',
      '--http-parser', '--root-path', '--dirty-app', '--dirty-workers', '--dirty-timeout', '--dirty-threads',
      '--dirty-graceful-timeout', '--control-socket', '--control-socket-mode',
    ],
  },
];

/**
 * `worker_connections` caps the greenlets of gevent/eventlet and the connections of gunicorn's native `asgi` worker,
 * which ignores `--threads` (`gunicorn/workers/gasgi.py` `ASGIWorker.check_config`: "ASGI worker does not use threads
 * configuration. Use worker_connections instead.").
 */
const CONNECTION_WORKER = /gevent|eventlet|^asgi$|ASGIWorker$/i;

/** Settings of one source layer, by key. */
type Layer = Partial<Record<Key, Setting<unknown>>>;

/** gunicorn: detection, concurrency model, writable settings; defaults from `gunicorn/config.py` (23.0). */
export const gunicornPlugin: ServerPlugin<'gunicorn'> = {
  kind: 'gunicorn',
  title: 'gunicorn',
  role: 'production',
  // Debian's python3-gunicorn installs `gunicorn3`.
  detection: { programs: ['gunicorn', 'gunicorn3'], modules: ['gunicorn', 'gunicorn.app.wsgiapp'] },
  concurrency: {
    processes: '--workers (default $WEB_CONCURRENCY, else 1)',
    threads: '--threads (default 1; sync with threads > 1 runs as gthread)',
    eventLoop: 'by worker class',
    freeThreaded: 'gthread threads run Python in parallel; workers are still processes',
  },
  knobs: {
    workers: {
      flag: { long: '--workers', short: '-w' },
      confKey: 'workers',
      anchor: 'gunicorn',
      env: ['WEB_CONCURRENCY', 'GUNICORN_CMD_ARGS'],
      whenUnset: { env: 'WEB_CONCURRENCY' },
      default: { value: 1, source: 'gunicorn/config.py Workers: default = int(os.environ.get("WEB_CONCURRENCY", 1))' },
    },
    threads: {
      flag: { long: '--threads' },
      confKey: 'threads',
      anchor: 'gunicorn',
      env: ['GUNICORN_CMD_ARGS'],
      // GUNICORN_CMD_ARGS holds extra command-line words; a --threads on the command line would win.
      whenUnset: { envWords: 'GUNICORN_CMD_ARGS', words: (value) => `--threads ${value}` },
      default: { value: 1, source: 'gunicorn/config.py Threads: default = 1' },
    },
  },
  sources: ['https://docs.gunicorn.org/en/stable/settings.html', 'benoitc/gunicorn gunicorn/config.py, gunicorn/app/base.py (23.0), gunicorn/workers/gasgi.py (main, the native asgi worker)'],
  read: gunicornConfig,
};

/** The gunicorn configuration a command line, its env and `conf` (the gunicorn.conf.py pytuner read, if any) give. */
function gunicornConfig(server: ServerInvocation, evidence: Evidence, conf?: GunicornConf): ServerConfig | undefined {
  const { scope } = server;
  const unreadConfig = [...server.unread];
  const commandLine = scanOptions(server.args, OPTIONS, scope, evidence, { shortClusters: true });
  if (lastHit(commandLine.hits, 'exit') !== undefined) return undefined;
  const fromEnv = cmdArgsFromEnv(scope, evidence, unreadConfig);
  unreadConfig.push(...unreadEvidence(commandLine, evidence), ...unreadEvidence(fromEnv, evidence));
  const file = configFile(lastHit(commandLine.hits, 'config') ?? lastHit(fromEnv.hits, 'config'), conf, scope, evidence, unreadConfig);
  for (const paste of [...fromEnv.hits, ...commandLine.hits].filter((h) => h.key === 'paste')) unreadConfig.push(hitEvidence(paste, evidence));

  const layers = [
    defaults(scope, evidence),
    file === undefined ? {} : confLayer(file),
    hitLayer(fromEnv.hits, evidence, scope),
    hitLayer(commandLine.hits, evidence, scope),
  ];
  const pick = <T>(key: Key): Setting<T> => layers.findLast((layer) => layer[key] !== undefined)?.[key] as Setting<T>;
  const workerClass = pick<string>('workerClass');
  const threads = pick<number>('threads');
  const model = concurrencyModel(workerClass, threads);
  const config: ServerConfig = {
    kind: 'gunicorn',
    argv: serverArgv(server),
    evidence,
    model,
    workers: pick('workers'),
    threads,
    workerClass,
    timeout: pick('timeout'),
    keepAlive: pick('keepAlive'),
    preload: pick('preload'),
    bind: pick('bind'),
    unreadConfig,
  };
  if (workerClass.value !== undefined && CONNECTION_WORKER.test(workerClass.value.replace(/^egg:gunicorn#/, ''))) config.connectionLimit = pick('workerConnections');
  return config;
}

/**
 * gunicorn runs `sync` with `threads > 1` as `gthread` (`Config.worker_class_str`), so `sync` with unknown threads is
 * `threaded`. The event-loop classes (gevent, eventlet, tornado, asgi, `uvicorn.workers.UvicornWorker`,
 * `uvicorn_worker.UvicornWorker`) have no fixed number of slots. A class pytuner cannot name (a custom `myapp.Worker`,
 * `-k $CLASS`) is reported as `async` too: no slot count can be derived for it, and one made up would give false findings.
 */
function concurrencyModel(workerClass: Setting<string>, threads: Setting<number>): ConcurrencyModel {
  const name = workerClass.value?.replace(/^egg:gunicorn#/, '');
  if (name === undefined) return 'async';
  if (name === 'sync' || name.endsWith('SyncWorker')) return threads.value !== undefined && threads.value <= 1 ? 'sync' : 'threaded';
  if (name === 'gthread' || name.endsWith('ThreadWorker')) return 'threaded';
  return 'async';
}

function defaults(scope: Scope, evidence: Evidence): Layer {
  const webConcurrency = envHit<Key>('workers', 'WEB_CONCURRENCY', scope);
  return {
    // gunicorn/config.py: `default = int(os.environ.get("WEB_CONCURRENCY", 1))`.
    workers: webConcurrency === undefined ? byDefault(1, DEFAULT) : valueSetting(webConcurrency, evidence, scope, parseCount),
    threads: byDefault(1, DEFAULT),
    timeout: byDefault(30, DEFAULT),
    keepAlive: byDefault(2, DEFAULT),
    preload: byDefault(false, DEFAULT),
    workerClass: byDefault('sync', DEFAULT),
    workerConnections: byDefault(1000, DEFAULT),
    bind: defaultBind(scope),
  };
}

/** gunicorn/config.py: the default bind is `0.0.0.0:$PORT` when PORT is set, else `127.0.0.1:8000`. */
function defaultBind(scope: Scope): Setting<string> {
  const port = processEnv(scope, 'PORT');
  if (port === undefined) {
    const field = 'gunicorn default: 0.0.0.0:$PORT when PORT is set, else 127.0.0.1:8000';
    return { value: undefined, evidence: { source: 'default', field }, isDefault: true, viaEnv: 'PORT' };
  }
  const evidence = located(port.evidence, 'env PORT', port.value === undefined ? 'PORT' : `PORT=${port.value}`);
  return { value: port.value === undefined ? undefined : `0.0.0.0:${port.value}`, evidence, isDefault: true, viaEnv: 'PORT' };
}

/** The options in `GUNICORN_CMD_ARGS`, split as gunicorn's `shlex.split` does: no variable expansion. */
function cmdArgsFromEnv(scope: Scope, evidence: Evidence, unreadConfig: Evidence[]): Scan<Key> {
  const variable = processEnv(scope, 'GUNICORN_CMD_ARGS');
  if (variable === undefined) return { hits: [], positionals: [], unread: [] };
  if (variable.value === undefined) {
    unreadConfig.push(located(variable.evidence, 'env GUNICORN_CMD_ARGS'));
    return { hits: [], positionals: [], unread: [] };
  }
  const origin = { name: 'GUNICORN_CMD_ARGS', evidence: variable.evidence };
  const words = shellWords(variable.value).map((text) => literalWord(text, origin));
  return scanOptions(words, OPTIONS, new Map(), evidence, { shortClusters: true });
}

/**
 * The config file gunicorn loads: `conf` when no `-c` names another file (gunicorn then reads `./gunicorn.conf.py`),
 * or when `-c` names the same file. Any other `-c`, and every `python:module`, is recorded as unread.
 */
function configFile(
  found: OptionHit<Key> | undefined,
  conf: GunicornConf | undefined,
  scope: Scope,
  base: Evidence,
  unreadConfig: Evidence[],
): GunicornConf | undefined {
  if (found === undefined) return conf;
  const path = found.value === undefined ? undefined : resolveWord(found.value, scope).text;
  if (path !== undefined && !path.startsWith('python:') && conf !== undefined && samePath(path.replace(/^file:/, ''), conf.file)) return conf;
  unreadConfig.push(hitEvidence(found, base));
  return undefined;
}

/** Paths name the same file when the shorter is a suffix of the longer by segments (`/app/gunicorn.conf.py`, `gunicorn.conf.py`). */
function samePath(a: string, b: string): boolean {
  const segments = (path: string): string[] => path.split('/').filter((s) => s !== '' && s !== '.');
  const [x, y] = [segments(a), segments(b)];
  const n = Math.min(x.length, y.length);
  return n > 0 && x.slice(-n).every((s, i) => s === y.slice(-n)[i]);
}

/** The settings gunicorn.conf.py assigns; a value the file computes is unknown. */
function confLayer(conf: GunicornConf): Layer {
  const read = <T>(name: string, parse: (value: string | number | boolean) => T | undefined): Setting<T> | undefined => {
    const entry = conf.settings.get(name);
    if (entry === undefined) return undefined;
    const value = entry.value === undefined ? undefined : parse(entry.value);
    return value === undefined ? unknown(entry.evidence) : explicit(value, entry.evidence);
  };
  const layer: Layer = {};
  const set = (key: Key, setting: Setting<unknown> | undefined): void => {
    if (setting !== undefined) layer[key] = setting;
  };
  set('workers', read('workers', confCount));
  set('threads', read('threads', confCount));
  set('timeout', read('timeout', confCount));
  set('keepAlive', read('keepalive', confCount));
  set('workerConnections', read('worker_connections', confCount));
  set('preload', read('preload_app', confBool));
  set('workerClass', read('worker_class', confString));
  set('bind', read('bind', confString));
  return layer;
}

function confCount(value: string | number | boolean): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  return typeof value === 'string' ? parseCount(value) : undefined;
}

/** gunicorn's `validate_bool`: a bool, or the strings true/false in any case. */
function confBool(value: string | number | boolean): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  const word = value.trim().toLowerCase();
  return word === 'true' ? true : word === 'false' ? false : undefined;
}

function confString(value: string | number | boolean): string | undefined {
  return typeof value === 'string' ? nonBlank(value) : undefined;
}

/** The settings options give (`GUNICORN_CMD_ARGS` or the command line); the last of an option wins, `-b` adds up. */
function hitLayer(hits: readonly OptionHit<Key>[], base: Evidence, scope: Scope): Layer {
  const layer: Layer = {};
  for (const key of ['workers', 'threads', 'timeout', 'keepAlive', 'workerConnections'] as const) {
    const found = lastHit(hits, key);
    if (found !== undefined) layer[key] = valueSetting(found, base, scope, parseCount);
  }
  const workerClass = lastHit(hits, 'workerClass');
  if (workerClass !== undefined) layer.workerClass = valueSetting(workerClass, base, scope, nonBlank);
  const preload = lastHit(hits, 'preload');
  if (preload !== undefined) layer.preload = explicit(true, hitEvidence(preload, base));
  const binds = hits.filter((h) => h.key === 'bind');
  if (binds.length > 0) layer.bind = addressesSetting(binds, base, scope);
  return layer;
}
