/**
 * @module Flask's development server (Werkzeug `run_simple`): `flask run`, `python -m flask run`, and a script that
 * calls `app.run(...)`. One process, a thread per request (`threaded=True` since Flask 1.0), no worker options:
 * Flask's own docs say "do not use the development server when deploying to production".
 * @see https://flask.palletsprojects.com/en/stable/deploying/
 * @see https://flask.palletsprojects.com/en/stable/api/#flask.Flask.run
 */
import type { Evidence, Setting } from '../evidence.ts';
import { byDefault } from '../evidence.ts';
import type { ServerConfig } from '../server.ts';
import type { ServerInvocation } from './argv.ts';
import { serverArgv } from './argv.ts';
import { hostPortSetting } from './bind.ts';
import type { OptionHit, OptionSpec } from './options.ts';
import { envHit, lastHit, located, scanOptions, unreadEvidence } from './options.ts';
import type { ServerPlugin } from './plugin.ts';

type Key = 'host' | 'port' | 'exit' | 'other';

const OPTIONS: readonly OptionSpec<Key>[] = [
  { key: 'host', names: ['-h', '--host'], arity: 'value' },
  { key: 'port', names: ['-p', '--port'], arity: 'value' },
  { key: 'exit', names: ['--help'], arity: 'flag' },
  { key: 'other', names: ['--reload', '--no-reload', '--debugger', '--no-debugger', '--with-threads', '--without-threads'], arity: 'flag' },
  { key: 'other', names: ['--cert', '--key', '--extra-files', '--exclude-patterns'], arity: 'value' },
];

/** `flask run` reads `FLASK_RUN_<OPTION>` (click `auto_envvar_prefix="FLASK"` on the `run` command). */
const ENV: ReadonlyArray<readonly [Key, string]> = [
  ['host', 'FLASK_RUN_HOST'],
  ['port', 'FLASK_RUN_PORT'],
];

/** Flask's development server. */
export const flaskDevPlugin: ServerPlugin<'flask-dev'> = {
  kind: 'flask-dev',
  title: "Flask's development server",
  role: 'development',
  detection: { programs: [], modules: [], subcommands: [{ program: 'flask', subcommand: 'run', programOptionsWithValue: ['--app', '-A', '-e', '--env-file'] }] },
  concurrency: {
    processes: 'always 1',
    threads: 'a new thread per request, unbounded (threaded=True)',
    eventLoop: 'never',
    freeThreaded: 'its threads run Python in parallel; it is still a development server',
  },
  knobs: {},
  sources: ['https://flask.palletsprojects.com/en/stable/deploying/', 'pallets/flask src/flask/cli.py run_command (3.x)'],
  read: flaskDevConfig,
};

function flaskDevConfig(server: ServerInvocation, evidence: Evidence): ServerConfig | undefined {
  const { scope } = server;
  const commandLine = scanOptions(server.args, OPTIONS, scope, evidence, { shortClusters: true });
  if (lastHit(commandLine.hits, 'exit') !== undefined) return undefined;
  const fromEnv = ENV.map(([key, name]) => envHit(key, name, scope)).filter((h): h is OptionHit<Key> => h !== undefined);
  const hits = [...fromEnv, ...commandLine.hits];
  const host = lastHit(hits, 'host');
  const port = lastHit(hits, 'port');
  const bind: Setting<string> =
    host === undefined && port === undefined ? byDefault('127.0.0.1:5000', 'flask run default') : hostPortSetting(host, port, { host: '127.0.0.1', port: 5000 }, evidence, scope);
  return devServer('flask-dev', server, evidence, bind, [...server.unread, ...unreadEvidence(commandLine, evidence)]);
}

/** A development server's config: one process, no slot count, marked as development where its command was read. */
export function devServer(kind: 'flask-dev' | 'django-runserver', server: ServerInvocation, evidence: Evidence, bind: Setting<string>, unreadConfig: Evidence[]): ServerConfig {
  return {
    kind,
    argv: serverArgv(server),
    evidence,
    model: 'async',
    workers: byDefault(1, 'a development server runs one process'),
    threads: byDefault(1, 'a development server starts a thread per request'),
    bind,
    unreadConfig,
    // A Python launch call (`app.run(debug=True)`) is its own evidence; else the command that starts the server.
    development: evidence.field.startsWith('python ') ? evidence : located(evidence, server.launcher === 'server' ? 'command' : server.launcher, server.launcher === 'server' ? serverArgv(server).join(' ') : server.launcher),
  };
}
