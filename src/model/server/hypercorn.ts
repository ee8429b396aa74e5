/**
 * @module hypercorn's effective settings. Options on the command line override its `-c` config (TOML, `file:` or
 * `python:`), which pytuner does not read (`hypercorn/__main__.py` applies each argument that is not its sentinel).
 * @see https://hypercorn.readthedocs.io/en/latest/how_to_guides/configuring.html
 */
import type { Evidence } from '../evidence.ts';
import { byDefault } from '../evidence.ts';
import type { ServerConfig } from '../server.ts';
import type { ServerInvocation } from './argv.ts';
import { serverArgv } from './argv.ts';
import { addressesSetting } from './bind.ts';
import type { OptionSpec } from './options.ts';
import { hitEvidence, lastHit, lastSetting, scanOptions, unreadEvidence } from './options.ts';
import type { ServerPlugin } from './plugin.ts';
import { nonBlank, parseCount } from './words.ts';

type Key = 'workers' | 'workerClass' | 'bind' | 'keepAlive' | 'config' | 'exit' | 'other';

const DEFAULT = 'hypercorn default';

const OPTIONS: readonly OptionSpec<Key>[] = [
  { key: 'workers', names: ['-w', '--workers'], arity: 'value' },
  { key: 'workerClass', names: ['-k', '--worker-class'], arity: 'value' },
  { key: 'bind', names: ['-b', '--bind'], arity: 'value' },
  { key: 'keepAlive', names: ['--keep-alive'], arity: 'value' },
  { key: 'config', names: ['-c', '--config'], arity: 'value' },
  { key: 'exit', names: ['-h', '--help'], arity: 'flag' },
  {
    key: 'other',
    arity: 'value',
    names: [
      '--access-log', '--access-logfile', '--access-logformat', '--backlog', '--ca-certs', '--certfile', '--cert-reqs', '--ciphers',
      '--error-log', '--error-logfile', '--log-file', '--graceful-timeout', '--read-timeout', '--max-requests',
      '--max-requests-jitter', '-g', '--group', '--keyfile', '--keyfile-password', '--insecure-bind', '--log-config',
      '--log-level', '-p', '--pid', '--quic-bind', '--root-path', '--server-name', '--statsd-host', '--statsd-prefix', '-m',
      '--umask', '-u', '--user', '--verify-mode', '--websocket-ping-interval',
    ],
  },
];

/** hypercorn: event-loop workers. */
export const hypercornPlugin: ServerPlugin<'hypercorn'> = {
  kind: 'hypercorn',
  title: 'hypercorn',
  role: 'production',
  detection: { programs: ['hypercorn'], modules: ['hypercorn'] },
  concurrency: {
    processes: '--workers (default 1)',
    threads: 'none: one event loop per worker (asyncio, uvloop or trio)',
    eventLoop: 'always',
    freeThreaded: 'no change: one event loop per process',
  },
  knobs: {
    workers: {
      flag: { long: '--workers', short: '-w' },
      confKey: 'workers',
      anchor: 'hypercorn',
      env: [],
      default: { value: 1, source: 'hypercorn/config.py Config.workers = 1 (0.17)' },
    },
  },
  sources: ['https://hypercorn.readthedocs.io/en/latest/how_to_guides/configuring.html', 'pgjones/hypercorn src/hypercorn/config.py (0.17)'],
  read: hypercornConfig,
};

/** The hypercorn configuration of a `hypercorn` command line; every worker class (asyncio, uvloop, trio) is an event loop. */
function hypercornConfig(server: ServerInvocation, evidence: Evidence): ServerConfig | undefined {
  const { scope } = server;
  const commandLine = scanOptions(server.args, OPTIONS, scope, evidence, { shortClusters: true });
  const { hits } = commandLine;
  if (lastHit(hits, 'exit') !== undefined) return undefined;
  const binds = hits.filter((h) => h.key === 'bind');
  const configs = hits.filter((h) => h.key === 'config');
  return {
    kind: 'hypercorn',
    argv: serverArgv(server),
    evidence,
    model: 'async',
    workers: lastSetting(hits, 'workers', evidence, scope, parseCount) ?? byDefault(1, DEFAULT),
    threads: byDefault(1, 'hypercorn runs one event loop per worker'),
    workerClass: lastSetting(hits, 'workerClass', evidence, scope, nonBlank) ?? byDefault('asyncio', DEFAULT),
    keepAlive: lastSetting(hits, 'keepAlive', evidence, scope, parseCount) ?? byDefault(5, DEFAULT),
    bind: binds.length > 0 ? addressesSetting(binds, evidence, scope) : byDefault('127.0.0.1:8000', DEFAULT),
    unreadConfig: [...server.unread, ...unreadEvidence(commandLine, evidence), ...configs.map((h) => hitEvidence(h, evidence))],
  };
}
