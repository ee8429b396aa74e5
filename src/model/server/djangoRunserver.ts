/**
 * @module Django's development server: `python manage.py runserver [addr:port]`, `django-admin runserver`. One
 * process, a thread per request; Django's docs: "DO NOT USE THIS SERVER IN A PRODUCTION SETTING".
 * @see https://docs.djangoproject.com/en/stable/ref/django-admin/#runserver
 */
import type { Evidence, Setting } from '../evidence.ts';
import { byDefault, explicit } from '../evidence.ts';
import type { ServerConfig } from '../server.ts';
import type { ServerInvocation } from './argv.ts';
import { devServer } from './flaskDev.ts';
import type { OptionSpec } from './options.ts';
import { lastHit, located, scanOptions, unreadEvidence } from './options.ts';
import type { ServerPlugin } from './plugin.ts';
import { displayWord, resolveWord } from './words.ts';

type Key = 'exit' | 'other';

const OPTIONS: readonly OptionSpec<Key>[] = [
  { key: 'exit', names: ['-h', '--help', '--version'], arity: 'flag' },
  { key: 'other', names: ['--ipv6', '-6', '--nothreading', '--noreload', '--nostatic', '--insecure', '--skip-checks', '--traceback', '--no-color', '--force-color'], arity: 'flag' },
  { key: 'other', names: ['--settings', '--pythonpath', '-v', '--verbosity'], arity: 'value' },
];

/** Django's `runserver`. */
export const djangoRunserverPlugin: ServerPlugin<'django-runserver'> = {
  kind: 'django-runserver',
  title: "Django's runserver",
  role: 'development',
  detection: {
    programs: [],
    modules: [],
    subcommands: [
      { program: 'manage.py', subcommand: 'runserver', programOptionsWithValue: ['--settings', '--pythonpath'] },
      { program: 'django-admin', subcommand: 'runserver', programOptionsWithValue: ['--settings', '--pythonpath'] },
    ],
  },
  concurrency: {
    processes: 'always 1 (plus the autoreloader parent)',
    threads: 'a new thread per request unless --nothreading',
    eventLoop: 'never',
    freeThreaded: 'no change: it is a development server',
  },
  knobs: {},
  sources: ['https://docs.djangoproject.com/en/stable/ref/django-admin/#runserver'],
  read: runserverConfig,
};

function runserverConfig(server: ServerInvocation, evidence: Evidence): ServerConfig | undefined {
  const { scope } = server;
  const commandLine = scanOptions(server.args, OPTIONS, scope, evidence);
  if (lastHit(commandLine.hits, 'exit') !== undefined) return undefined;
  const address = commandLine.positionals[0];
  let bind: Setting<string> = byDefault('127.0.0.1:8000', 'runserver default');
  if (address !== undefined) {
    const text = resolveWord(address, scope).text;
    const at = located(evidence, 'addrport', displayWord(address));
    // `runserver 8000`, `runserver 0.0.0.0:8000`, `runserver 0:8000`.
    if (text !== undefined) bind = explicit(/^\d+$/.test(text) ? `127.0.0.1:${text}` : text, at);
    else bind = { value: undefined, evidence: at, isDefault: false };
  }
  return devServer('django-runserver', server, evidence, bind, [...server.unread, ...unreadEvidence(commandLine, evidence)]);
}
