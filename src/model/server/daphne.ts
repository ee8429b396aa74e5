/**
 * @module daphne, Django Channels' ASGI server: one Twisted process, an event loop, no worker or thread options
 * (`daphne/cli.py` `CommandLineInterface`). Scaling out is more processes or more instances.
 * @see https://github.com/django/daphne/blob/main/daphne/cli.py
 */
import type { Evidence, Setting } from '../evidence.ts';
import { byDefault } from '../evidence.ts';
import type { ServerConfig } from '../server.ts';
import type { ServerInvocation } from './argv.ts';
import { serverArgv } from './argv.ts';
import { hostPortSetting } from './bind.ts';
import type { OptionHit, OptionSpec } from './options.ts';
import { lastHit, scanOptions, unreadEvidence, valueSetting } from './options.ts';
import type { ServerPlugin } from './plugin.ts';
import type { Scope } from './words.ts';

type Key = 'host' | 'port' | 'unixSocket' | 'fd' | 'endpoint' | 'exit' | 'other';

const DEFAULT = 'daphne default';

const OPTIONS: readonly OptionSpec<Key>[] = [
  { key: 'host', names: ['-b', '--bind'], arity: 'value' },
  { key: 'port', names: ['-p', '--port'], arity: 'value' },
  { key: 'unixSocket', names: ['-u', '--unix-socket'], arity: 'value' },
  { key: 'fd', names: ['--fd'], arity: 'value' },
  { key: 'endpoint', names: ['-e', '--endpoint'], arity: 'value' },
  { key: 'exit', names: ['-h', '--help'], arity: 'flag' },
  { key: 'other', names: ['--proxy-headers', '--no-server-name'], arity: 'flag' },
  {
    key: 'other',
    arity: 'value',
    names: [
      '--websocket_timeout', '--websocket_connect_timeout', '-v', '--verbosity', '--access-log', '--log-fmt', '--ping-interval',
      '--ping-timeout', '--application-close-timeout', '--root-path', '--proxy-headers-host', '--proxy-headers-port', '-s',
      '--server-name', '--http-timeout',
    ],
  },
];

/** daphne: one process, one event loop. */
export const daphnePlugin: ServerPlugin<'daphne'> = {
  kind: 'daphne',
  title: 'daphne',
  role: 'production',
  detection: { programs: ['daphne'], modules: ['daphne'] },
  concurrency: {
    processes: 'always 1',
    threads: 'none: a Twisted event loop (sync Django views run in a thread pool through asgiref)',
    eventLoop: 'always',
    freeThreaded: 'no change: one event loop',
  },
  knobs: {},
  sources: ['django/daphne daphne/cli.py (4.x)'],
  read: daphneConfig,
};

function daphneConfig(server: ServerInvocation, evidence: Evidence): ServerConfig | undefined {
  const { scope } = server;
  const commandLine = scanOptions(server.args, OPTIONS, scope, evidence);
  const { hits } = commandLine;
  if (lastHit(hits, 'exit') !== undefined) return undefined;
  return {
    kind: 'daphne',
    argv: serverArgv(server),
    evidence,
    model: 'async',
    workers: byDefault(1, 'daphne runs one process'),
    threads: byDefault(1, 'daphne runs one event loop'),
    bind: bind(hits, evidence, scope),
    unreadConfig: [...server.unread, ...unreadEvidence(commandLine, evidence)],
  };
}

/** `-u`, `--fd`, `-e`, else `-b:-p` (default 127.0.0.1:8000, `daphne/cli.py`). */
function bind(hits: readonly OptionHit<Key>[], evidence: Evidence, scope: Scope): Setting<string> {
  const socket = lastHit(hits, 'unixSocket') ?? lastHit(hits, 'fd') ?? lastHit(hits, 'endpoint');
  if (socket !== undefined) return valueSetting(socket, evidence, scope, (text) => (socket.key === 'unixSocket' ? `unix:${text}` : text));
  const host = lastHit(hits, 'host');
  const port = lastHit(hits, 'port');
  if (host === undefined && port === undefined) return byDefault('127.0.0.1:8000', DEFAULT);
  return hostPortSetting(host, port, { host: '127.0.0.1', port: 8000 }, evidence, scope);
}
