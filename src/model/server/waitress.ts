/**
 * @module waitress's effective settings, from `waitress-serve [options] app:app` or `python -m waitress`.
 * waitress is one process with a thread pool (`threads`, default 4). Its runner reads options with
 * `getopt.getopt` (`waitress/adjustments.py` `parse_args`), which stops at the first argument that is not an option.
 * @see https://docs.pylonsproject.org/projects/waitress/en/stable/runner.html
 */
import type { Evidence, Setting } from '../evidence.ts';
import { byDefault } from '../evidence.ts';
import type { ServerConfig } from '../server.ts';
import type { ServerInvocation } from './argv.ts';
import { serverArgv } from './argv.ts';
import type { OptionHit, OptionSpec } from './options.ts';
import { addressesSetting, hostPortSetting } from './bind.ts';
import { lastHit, lastSetting, scanOptions, unreadEvidence, valueSetting } from './options.ts';
import type { ServerPlugin } from './plugin.ts';
import type { Scope } from './words.ts';
import { parseCount } from './words.ts';

type Key = 'threads' | 'host' | 'port' | 'listen' | 'unixSocket' | 'connectionLimit' | 'exit' | 'other';

const DEFAULT = 'waitress default';

const OPTIONS: readonly OptionSpec<Key>[] = [
  { key: 'threads', names: ['--threads'], arity: 'value' },
  { key: 'host', names: ['--host'], arity: 'value' },
  { key: 'port', names: ['--port'], arity: 'value' },
  { key: 'listen', names: ['--listen'], arity: 'value' },
  { key: 'unixSocket', names: ['--unix-socket'], arity: 'value' },
  { key: 'connectionLimit', names: ['--connection-limit'], arity: 'value' },
  { key: 'exit', names: ['--help'], arity: 'flag' },
  {
    key: 'other',
    arity: 'value',
    names: [
      '--app', '--trusted-proxy', '--trusted-proxy-count', '--trusted-proxy-headers', '--url-scheme', '--url-prefix', '--backlog',
      '--recv-bytes', '--send-bytes', '--outbuf-overflow', '--outbuf-high-watermark', '--inbuf-overflow', '--cleanup-interval',
      '--channel-timeout', '--max-request-header-size', '--max-request-body-size', '--ident', '--asyncore-loop-timeout',
      '--unix-socket-perms', '--channel-request-lookahead', '--server-name',
    ],
  },
];

/** waitress: one process, a thread pool. */
export const waitressPlugin: ServerPlugin<'waitress'> = {
  kind: 'waitress',
  title: 'waitress',
  role: 'production',
  detection: { programs: ['waitress-serve'], modules: ['waitress'] },
  concurrency: {
    processes: 'always 1',
    threads: '--threads (default 4)',
    eventLoop: 'never',
    freeThreaded: 'its threads run Python in parallel',
  },
  knobs: {
    threads: {
      flag: { long: '--threads' },
      confKey: 'threads',
      anchor: 'waitress-serve',
      env: [],
      default: { value: 4, source: 'waitress/adjustments.py Adjustments.threads = 4 (3.0)' },
    },
  },
  sources: ['https://docs.pylonsproject.org/projects/waitress/en/stable/runner.html', 'Pylons/waitress src/waitress/adjustments.py (3.0)'],
  read: waitressConfig,
};

/** The waitress configuration of a `waitress-serve` command line. */
function waitressConfig(server: ServerInvocation, evidence: Evidence): ServerConfig | undefined {
  const { scope } = server;
  const commandLine = scanOptions(server.args, OPTIONS, scope, evidence, { stopAtPositional: true });
  const { hits } = commandLine;
  if (lastHit(hits, 'exit') !== undefined) return undefined;
  return {
    kind: 'waitress',
    argv: serverArgv(server),
    evidence,
    model: 'threaded',
    workers: byDefault(1, 'waitress runs one process'),
    threads: lastSetting(hits, 'threads', evidence, scope, parseCount) ?? byDefault(4, DEFAULT),
    connectionLimit: lastSetting(hits, 'connectionLimit', evidence, scope, parseCount) ?? byDefault(100, DEFAULT),
    bind: bind(hits, evidence, scope),
    unreadConfig: [...server.unread, ...unreadEvidence(commandLine, evidence)],
  };
}

/** `--listen` (repeatable), `--unix-socket`, else `--host:--port` (default 0.0.0.0:8080). */
function bind(hits: readonly OptionHit<Key>[], evidence: Evidence, scope: Scope): Setting<string> {
  const listens = hits.filter((h) => h.key === 'listen');
  if (listens.length > 0) return addressesSetting(listens, evidence, scope);
  const unixSocket = lastHit(hits, 'unixSocket');
  if (unixSocket !== undefined) return valueSetting(unixSocket, evidence, scope, (text) => `unix:${text}`);
  const host = lastHit(hits, 'host');
  const port = lastHit(hits, 'port');
  if (host === undefined && port === undefined) return byDefault('0.0.0.0:8080', DEFAULT);
  return hostPortSetting(host, port, { host: '0.0.0.0', port: 8080 }, evidence, scope);
}
