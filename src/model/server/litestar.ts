/**
 * @module `litestar run`: Litestar's CLI starting uvicorn (`litestar/cli/commands/core.py` `run_command`), with
 * its own options: `-W/--wc/--web-concurrency/--workers` (env `LITESTAR_WEB_CONCURRENCY`, then `WEB_CONCURRENCY`,
 * default 1), `-H/--host` (`LITESTAR_HOST`, 127.0.0.1), `-p/--port` (`LITESTAR_PORT`, 8000), `-r/--reload`,
 * `-d/--debug`. The command line wins over env (click).
 * @see https://docs.litestar.dev/latest/usage/cli.html
 */
import type { Evidence, Setting } from '../evidence.ts';
import { byDefault, explicit } from '../evidence.ts';
import type { ServerConfig } from '../server.ts';
import type { ServerInvocation } from './argv.ts';
import { serverArgv } from './argv.ts';
import { hostPortSetting } from './bind.ts';
import type { OptionHit, OptionSpec } from './options.ts';
import { clickBool, envHit, flagSetting, lastHit, lastSetting, scanOptions, unreadEvidence } from './options.ts';
import type { ServerPlugin } from './plugin.ts';
import { parseCount } from './words.ts';

type Key = 'workers' | 'host' | 'port' | 'reload' | 'debug' | 'exit' | 'other';

const OPTIONS: readonly OptionSpec<Key>[] = [
  { key: 'workers', names: ['-W', '--wc', '--web-concurrency', '--workers'], arity: 'value' },
  { key: 'host', names: ['-H', '--host'], arity: 'value' },
  { key: 'port', names: ['-p', '--port'], arity: 'value' },
  { key: 'reload', names: ['-r', '--reload'], arity: 'flag' },
  { key: 'debug', names: ['-d', '--debug'], arity: 'flag' },
  { key: 'exit', names: ['--help'], arity: 'flag' },
  { key: 'other', names: ['-P', '--pdb', '--create-self-signed-cert'], arity: 'flag' },
  { key: 'other', names: ['--fd', '--uds', '-R', '--reload-dir', '-I', '--reload-include', '-E', '--reload-exclude', '--ssl-certfile', '--ssl-keyfile'], arity: 'value' },
];

/** In click's order: the first env var set wins, so the later entries here are read first. */
const ENV: ReadonlyArray<readonly [Key, string]> = [
  ['workers', 'WEB_CONCURRENCY'],
  ['workers', 'LITESTAR_WEB_CONCURRENCY'],
  ['host', 'LITESTAR_HOST'],
  ['port', 'LITESTAR_PORT'],
  ['reload', 'LITESTAR_RELOAD'],
  ['debug', 'LITESTAR_DEBUG'],
];

/** `litestar run`: uvicorn workers sized by `--web-concurrency`. */
export const litestarPlugin: ServerPlugin<'litestar'> = {
  kind: 'litestar',
  title: 'Litestar CLI (uvicorn)',
  role: 'production',
  detection: { programs: [], modules: [], subcommands: [{ program: 'litestar', subcommand: 'run', programOptionsWithValue: ['--app', '--app-dir'] }] },
  concurrency: {
    processes: '--web-concurrency (LITESTAR_WEB_CONCURRENCY, WEB_CONCURRENCY; default 1)',
    threads: 'none: one uvicorn event loop per worker',
    eventLoop: 'always',
    freeThreaded: 'no change: one event loop per process',
  },
  knobs: {
    workers: {
      flag: { long: '--web-concurrency', short: '-W' },
      anchor: 'litestar',
      env: ['WEB_CONCURRENCY', 'LITESTAR_WEB_CONCURRENCY'],
      whenUnset: { env: 'WEB_CONCURRENCY' },
      default: { value: 1, source: 'litestar/cli/commands/core.py: --web-concurrency default=1, envvar=["LITESTAR_WEB_CONCURRENCY", "WEB_CONCURRENCY"] (2.x)' },
    },
  },
  sources: ['litestar-org/litestar litestar/cli/commands/core.py (2.x)', 'https://docs.litestar.dev/latest/usage/cli.html'],
  read: litestarConfig,
};

function litestarConfig(server: ServerInvocation, evidence: Evidence): ServerConfig | undefined {
  const { scope } = server;
  const commandLine = scanOptions(server.args, OPTIONS, scope, evidence, { shortClusters: true });
  if (lastHit(commandLine.hits, 'exit') !== undefined) return undefined;
  const fromEnv = ENV.map(([key, name]) => envHit(key, name, scope)).filter((h): h is OptionHit<Key> => h !== undefined);
  const hits = [...fromEnv, ...commandLine.hits];
  const flag = (key: Key): Setting<boolean> | undefined => {
    const found = lastHit(hits, key);
    return found === undefined ? undefined : flagSetting(found, evidence, scope, clickBool);
  };
  const reload = flag('reload');
  const debug = flag('debug');
  const workers = lastSetting(hits, 'workers', evidence, scope, parseCount) ?? byDefault(1, 'litestar run default');
  const host = lastHit(hits, 'host');
  const port = lastHit(hits, 'port');
  const config: ServerConfig = {
    kind: 'litestar',
    argv: serverArgv(server),
    evidence,
    model: 'async',
    // uvicorn runs one process under --reload.
    workers: reload?.value === true ? explicit(1, reload.evidence) : workers,
    threads: byDefault(1, 'uvicorn runs one event loop per worker'),
    bind: host === undefined && port === undefined ? byDefault('127.0.0.1:8000', 'litestar run default') : hostPortSetting(host, port, { host: '127.0.0.1', port: 8000 }, evidence, scope),
    unreadConfig: [...server.unread, ...unreadEvidence(commandLine, evidence)],
  };
  const development = [reload, debug].find((s) => s?.value === true);
  if (development !== undefined) config.development = development.evidence;
  return config;
}
