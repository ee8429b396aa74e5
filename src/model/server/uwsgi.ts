/**
 * @module uWSGI's effective settings. uWSGI reads `UWSGI_<OPTION>` env vars first and the command line after
 * (`core/uwsgi.c`: `parse_sys_envs(environ)` then `uwsgi_commandline_config()`), so the command line wins.
 * A bare argument ending in `.ini`/`.xml`/`.yaml`/`.yml`/`.json`/`.js` is a config file, like `--ini`.
 * @see https://uwsgi-docs.readthedocs.io/en/latest/Options.html
 */
import type { Evidence, Setting } from '../evidence.ts';
import { byDefault, explicit } from '../evidence.ts';
import type { ConcurrencyModel, ServerConfig } from '../server.ts';
import type { ServerInvocation } from './argv.ts';
import { serverArgv } from './argv.ts';
import type { OptionHit, OptionSpec } from './options.ts';
import { envHit, flagSetting, hitEvidence, lastHit, lastSetting, located, scanOptions, unknownVia, unreadEvidence, valueSetting } from './options.ts';
import type { ServerPlugin } from './plugin.ts';
import type { Part, Scope } from './words.ts';
import { displayWord, expandedText, literalWord, parseCount, resolveWord } from './words.ts';

type Key =
  | 'processes' | 'threads' | 'lazyApps' | 'pyCallOsAfterFork' | 'master' | 'enableThreads' | 'http' | 'socket'
  | 'config' | 'harakiri' | 'asyncCores' | 'exit' | 'other';

const DEFAULT = 'uwsgi default';

// From `core/uwsgi.c`, `plugins/http/http.c`, `plugins/python/python_plugin.c`, `plugins/gevent/gevent.c`.
// `-w` is `--module` and `-c` is `--cgi-mode` in uWSGI, not workers and config.
const OPTIONS: readonly OptionSpec<Key>[] = [
  { key: 'processes', names: ['-p', '--processes', '--workers'], arity: 'value' },
  { key: 'threads', names: ['--threads'], arity: 'value' },
  { key: 'lazyApps', names: ['--lazy-apps', '--lazy'], arity: 'flag' },
  { key: 'pyCallOsAfterFork', names: ['--py-call-osafterfork'], arity: 'flag' },
  { key: 'master', names: ['-M', '--master'], arity: 'flag' },
  { key: 'enableThreads', names: ['-T', '--enable-threads'], arity: 'flag' },
  { key: 'http', names: ['--http', '--http-socket', '--https', '--http11-socket', '--https-socket'], arity: 'value' },
  { key: 'socket', names: ['-s', '--socket', '--uwsgi-socket'], arity: 'value' },
  {
    key: 'config',
    names: [
      '--ini', '--yaml', '--yml', '-y', '--json', '--js', '-j', '--xml', '--xmlconfig', '-x', '--config', '--ini-paste',
      '--ini-paste-logged', '--include',
    ],
    arity: 'value',
  },
  { key: 'harakiri', names: ['-t', '--harakiri'], arity: 'value' },
  { key: 'asyncCores', names: ['--gevent', '--async'], arity: 'value' },
  { key: 'exit', names: ['-h', '--help', '--usage', '--version'], arity: 'flag' },
  {
    key: 'other',
    arity: 'value',
    names: [
      '-w', '--module', '--wsgi', '--wsgi-file', '--file', '--callable', '--chdir', '-H', '--home', '--virtualenv', '--venv',
      '--pyhome', '--mount', '-b', '--buffer-size', '-l', '--listen', '-R', '--max-requests', '--uid', '--gid', '--static-map',
      '--env', '--pythonpath', '--python-path', '--pp', '--plugin', '--plugins', '--cheaper', '--logto', '--logformat',
      '--log-format', '-z', '--socket-timeout', '-S', '--set', '-d', '--daemonize', '--stats', '--offload-threads',
      '--http-timeout', '--max-fd', '--reload-on-rss', '--limit-as', '--touch-reload', '--procname-prefix', '--master-fifo',
      '-Q', '--spooler', '-A', '--sharedarea', '-v', '--max-vars', '--max-worker-lifetime', '--reload-mercy',
      '--worker-reload-mercy', '--post-buffering', '--add-header', '--route', '--check-static', '--static-index', '--pidfile',
    ],
  },
];

/** `UWSGI_<OPTION>`: the option name upper-cased, `-` as `_` (`core/utils.c` `env_to_arg`). */
const ENV: ReadonlyArray<readonly [Key, string]> = [
  ['processes', 'UWSGI_PROCESSES'],
  ['processes', 'UWSGI_WORKERS'],
  ['threads', 'UWSGI_THREADS'],
  ['lazyApps', 'UWSGI_LAZY_APPS'],
  ['lazyApps', 'UWSGI_LAZY'],
  ['pyCallOsAfterFork', 'UWSGI_PY_CALL_OSAFTERFORK'],
  ['master', 'UWSGI_MASTER'],
  ['enableThreads', 'UWSGI_ENABLE_THREADS'],
  ['http', 'UWSGI_HTTP'],
  ['http', 'UWSGI_HTTP_SOCKET'],
  ['socket', 'UWSGI_SOCKET'],
  ['config', 'UWSGI_INI'],
  ['config', 'UWSGI_YAML'],
  ['config', 'UWSGI_YML'],
  ['config', 'UWSGI_JSON'],
  ['config', 'UWSGI_XML'],
  ['config', 'UWSGI_CONFIG'],
  ['harakiri', 'UWSGI_HARAKIRI'],
  ['asyncCores', 'UWSGI_GEVENT'],
  ['asyncCores', 'UWSGI_ASYNC'],
];

const CONFIG_FILE = /\.(ini|xml|ya?ml|json|js)$/;
const ENV_PLACEHOLDER = /\$\(([^)]+)\)/;

/** uWSGI: processes × threads, options from the command line, `UWSGI_*` env and config files. */
export const uwsgiPlugin: ServerPlugin<'uwsgi'> = {
  kind: 'uwsgi',
  title: 'uWSGI',
  role: 'production',
  // Debian's uwsgi-plugin-python3 installs `uwsgi_python3`; `pyuwsgi` is the pip wheel's entry point.
  detection: { programs: ['uwsgi', 'uwsgi_python3', 'pyuwsgi'], modules: ['uwsgi', 'pyuwsgi'] },
  concurrency: {
    processes: '--processes / --workers (default 1)',
    threads: '--threads (default 1); --gevent N / --async N cores make it an event loop',
    eventLoop: 'by worker class',
    freeThreaded: 'threads run Python in parallel on a free-threaded build',
  },
  knobs: {
    workers: {
      flag: { long: '--processes', short: '-p' },
      confKey: 'processes',
      anchor: 'uwsgi',
      // uWSGI reads any option from UWSGI_<OPTION> (core/utils.c env_to_arg).
      env: ['UWSGI_PROCESSES', 'UWSGI_WORKERS'],
      whenUnset: { env: 'UWSGI_PROCESSES' },
      default: { value: 1, source: 'core/uwsgi.c: uwsgi.numproc = 1 unless --processes' },
    },
    threads: {
      flag: { long: '--threads' },
      confKey: 'threads',
      anchor: 'uwsgi',
      env: ['UWSGI_THREADS'],
      whenUnset: { env: 'UWSGI_THREADS' },
      default: { value: 1, source: 'core/uwsgi.c: uwsgi.threads = 1 unless --threads' },
    },
  },
  sources: ['https://uwsgi-docs.readthedocs.io/en/latest/Options.html', 'unbit/uwsgi core/uwsgi.c, core/utils.c (2.0)'],
  read: (server, evidence) => uwsgiConfig(server, evidence),
};

/** The uWSGI configuration a command line and its `UWSGI_*` env give. */
function uwsgiConfig(server: ServerInvocation, evidence: Evidence): ServerConfig | undefined {
  const { scope } = server;
  const commandLine = scanOptions(server.args, OPTIONS, scope, evidence, { shortClusters: true });
  if (lastHit(commandLine.hits, 'exit') !== undefined) return undefined;
  const fromEnv = ENV.map(([key, name]) => envHit(key, name, scope)).filter((h): h is OptionHit<Key> => h !== undefined);
  const unreadConfig = [...server.unread, ...unreadEvidence(commandLine, evidence)];
  // A config file's options apply where the file is named: later options override them (`core/uwsgi.c` parses
  // options in order, expanding `--ini` in place). A file pytuner did not read may set anything.
  const withFiles = commandLine.hits.flatMap((h) => {
    if (h.key !== 'config') return [h];
    const path = h.value === undefined ? undefined : resolveWord(h.value, scope).text;
    const read = path === undefined ? undefined : configFileHits(server, path);
    if (read === undefined) unreadConfig.push(hitEvidence(h, evidence));
    return read ?? [];
  });
  const positionalFiles = commandLine.positionals.filter((w) => CONFIG_FILE.test(expandedText(w, scope)));
  const fromPositionals = positionalFiles.flatMap((w) => {
    const read = configFileHits(server, expandedText(w, scope));
    if (read === undefined) unreadConfig.push(located(evidence, 'config file', displayWord(w)));
    return read ?? [];
  });
  for (const h of fromEnv.filter((e) => e.key === 'config')) unreadConfig.push(hitEvidence(h, evidence));
  const hits = [...fromEnv, ...fromPositionals, ...withFiles].map((h) => withEnvPlaceholder(h, scope));
  const count = (key: Key): Setting<number> | undefined => lastSetting(hits, key, evidence, scope, parseCount);
  const flag = (key: Key): Setting<boolean> => {
    const found = lastHit(hits, key);
    return found === undefined ? byDefault(false, DEFAULT) : flagSetting(found, evidence, scope, uwsgiTrue);
  };
  const threads = count('threads') ?? byDefault(1, DEFAULT);
  const lazyApps = flag('lazyApps');
  const asyncCores = lastHit(hits, 'asyncCores');
  const config: ServerConfig = {
    kind: 'uwsgi',
    argv: serverArgv(server),
    evidence,
    model: asyncCores !== undefined ? 'async' : threadedModel(threads),
    workers: count('processes') ?? byDefault(1, DEFAULT),
    threads,
    timeout: count('harakiri') ?? byDefault(0, 'uwsgi default: no harakiri'),
    preload: preload(lazyApps),
    lazyApps,
    pyCallOsAfterFork: flag('pyCallOsAfterFork'),
    master: flag('master'),
    enableThreads: enableThreads(hits, evidence, scope),
    unreadConfig,
  };
  const listener = lastHit(hits, 'http') ?? lastHit(hits, 'socket');
  if (listener !== undefined) config.bind = valueSetting(listener, evidence, scope, (text) => text);
  if (asyncCores !== undefined) config.connectionLimit = valueSetting(asyncCores, evidence, scope, parseCount);
  return config;
}

function threadedModel(threads: Setting<number>): ConcurrencyModel {
  return threads.value !== undefined && threads.value <= 1 ? 'sync' : 'threaded';
}

/** Without `--lazy-apps` the master imports the app and forks the workers from it. */
function preload(lazyApps: Setting<boolean>): Setting<boolean> {
  if (lazyApps.isDefault) return byDefault(true, 'uwsgi default: the app is loaded before the workers fork');
  if (lazyApps.value === undefined) return unknownVia(lazyApps.evidence, lazyApps.viaEnv);
  return explicit(!lazyApps.value, lazyApps.evidence, lazyApps.viaEnv);
}

/** `--threads` and `--gevent` carry `UWSGI_OPT_THREADS` (`core/config.c`): giving either enables threads. */
function enableThreads(hits: readonly OptionHit<Key>[], evidence: Evidence, scope: Scope): Setting<boolean> {
  const implied = hits.findLast((h) => h.key === 'threads' || h.flag === '--gevent' || h.flag === 'UWSGI_GEVENT');
  const found = lastHit(hits, 'enableThreads');
  if (found !== undefined) {
    const setting = flagSetting(found, evidence, scope, uwsgiTrue);
    if (setting.value !== false || implied === undefined) return setting;
  }
  return implied === undefined ? byDefault(false, DEFAULT) : explicit(true, hitEvidence(implied, evidence));
}

/** `uwsgi_opt_true`: any value but false/off/no (any case) and 0 turns a flag on. */
function uwsgiTrue(text: string): boolean {
  return !/^(false|off|no)$/i.test(text) && text !== '0';
}

/** uWSGI expands `$(NAME)` in option values from its environment (the `$` config pass). */
function withEnvPlaceholder(found: OptionHit<Key>, scope: Scope): OptionHit<Key> {
  const text = found.value === undefined ? undefined : resolveWord(found.value, scope).text;
  if (text === undefined || !ENV_PLACEHOLDER.test(text)) return found;
  // `http-socket = :$(PORT)`: the text around a placeholder stays text.
  const parts = text.split(ENV_PLACEHOLDER).map((piece, i): Part => (i % 2 === 1 ? { kind: 'ref', name: piece, emptyIsUnset: false, form: 'parens' } : { kind: 'text', text: piece }));
  return { ...found, value: { parts: parts.filter((part) => part.kind !== 'text' || part.text !== '') } };
}

/**
 * The options of a uWSGI `.ini` (its `[uwsgi]` section) or `.yaml`/`.yml` (its `uwsgi:` mapping) config file from the
 * build context, each located at its line; undefined when pytuner did not read the file (or reads no such format).
 */
function configFileHits(server: ServerInvocation, path: string): OptionHit<Key>[] | undefined {
  const found = server.readFile?.(path);
  if (found === undefined || !/\.(ini|ya?ml)$/.test(found.file)) return undefined;
  const yaml = /\.ya?ml$/.test(found.file);
  const hits: OptionHit<Key>[] = [];
  let inSection = false;
  found.text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/\s+[#;].*$/, '');
    if (/^\s*([#;]|$)/.test(line)) return;
    const section = yaml ? /^(\S[^:]*):\s*$/.exec(line) : /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (section !== null) {
      inSection = section[1]?.trim() === 'uwsgi';
      return;
    }
    const pair = yaml ? /^\s+([A-Za-z0-9_-]+)\s*:\s*(.*)$/.exec(line) : /^\s*([A-Za-z0-9_-]+)\s*=\s*(.*)$/.exec(line);
    if (!inSection || pair === null) return;
    const key = pair[1] as string;
    const value = (pair[2] as string).trim().replace(/^(["'])(.*)\1$/, '$2');
    const at: Evidence = { source: 'build-context', file: found.file, line: i + 1, field: key, text: raw.trim() };
    const scanned = scanOptions([literalWord(`--${key}=${value}`)], OPTIONS, new Map(), at);
    for (const hit of scanned.hits) hits.push({ ...hit, at });
  });
  return hits;
}
