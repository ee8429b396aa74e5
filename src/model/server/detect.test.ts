import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Evidence, Setting, SourceKind } from '../evidence.ts';
import type { GunicornConf } from '../image.ts';
import type { ServerConfig } from '../server.ts';
import type { DetectEnv } from './detect.ts';
import { DOCKERFILE, sh } from '../../../test/support/serverRows.ts';
import { detectServer, shellWords } from './detect.ts';

describe('commands that are not a Python server pytuner tunes', () => {
  const commands: Array<[string, string[]]> = [
    ['nginx', ['nginx', '-g', 'daemon off;']],
    ['node server.js', ['node', 'server.js']],
    ['java -jar', ['java', '-jar', 'app.jar']],
    ['python app.py', ['python', 'app.py']],
    ['python3 -u main.py', ['python3', '-u', 'main.py']],
    ['python -c', ['python', '-c', 'import gunicorn']],
    ['sh -c python app.py', sh('python app.py')],
    ['echo gunicorn', sh('echo gunicorn')],
    ['an empty command line', []],
    ['sh alone', ['sh']],
    ['sh -c without a script', ['sh', '-c']],
    ['a shell error (bad substitution)', sh('exec gunicorn -w ${} app')],
    ['an unreadable program', sh('exec $(which gunicorn) app')],
    ['a program from an unset env var', sh('exec $SERVER app')],
    ['an entrypoint script alone', ['/docker-entrypoint.sh']],
    ['poetry install', ['poetry', 'install']],
    ['flask db upgrade', ['flask', 'db', 'upgrade']],
    ['manage.py migrate', ['python', 'manage.py', 'migrate']],
    ['streamlit hello', ['streamlit', 'hello']],
    ['newrelic-admin generate-config', ['newrelic-admin', 'generate-config', 'key', 'newrelic.ini']],
    ['a server in each branch of an if', sh('if [ "$DEBUG" ]; then exec gunicorn --reload app; else exec gunicorn -w 4 app; fi')],
    ['a server in each branch of ||', sh('exec gunicorn -w 4 app || exec uvicorn app')],
    ['env -S', ['env', '-S', 'gunicorn -w 4 app']],
    ['python -m gunicorn without a module', ['python', '-m']],
  ];
  it.each(commands)('%s', (_, argv) => {
    expect(detectServer(argv, new Map(), DOCKERFILE)).toBeUndefined();
  });
});

describe('a script that branches', () => {
  it('reads the server every branch starts alike (as root or under s6-setuidgid, as s6 run scripts do)', () => {
    const script = sh('if [ -n "$NON_ROOT" ]; then exec granian --interface asgi --workers 2 app:app; else exec s6-setuidgid app granian --interface asgi --workers 2 app:app; fi');
    const found = detectServer(script, new Map(), DOCKERFILE);
    expect(found?.kind).toBe('granian');
    expect(found?.workers.value).toBe(2);
  });

  it('reads none when the branches start it with different arguments', () => {
    expect(detectServer(sh('if [ -n "$A" ]; then exec granian --workers 2 app:app; else exec granian --workers 4 app:app; fi'), new Map(), DOCKERFILE)).toBeUndefined();
  });
});

const KINDS = ['gunicorn', 'uvicorn', 'uwsgi', 'waitress', 'hypercorn', 'granian', 'functions-framework', 'daphne', 'litestar', 'flask-dev', 'django-runserver', 'streamlit', 'gradio'];
const MODELS = ['sync', 'threaded', 'async'];
const SETTINGS = ['workers', 'threads', 'workerClass', 'timeout', 'keepAlive', 'preload', 'bind', 'lazyApps', 'pyCallOsAfterFork', 'master', 'enableThreads', 'connectionLimit'] as const;

function expectEvidence(evidence: Evidence): void {
  expect(['manifest', 'Dockerfile', 'Procfile', 'gunicorn.conf.py', 'build-context', 'default', 'metrics']).toContain(evidence.source);
  expect(typeof evidence.field).toBe('string');
}

/** A ServerConfig is well formed when every setting has evidence and every number is a count, never NaN. */
function expectWellFormed(config: ServerConfig): void {
  expect(KINDS).toContain(config.kind);
  expect(MODELS).toContain(config.model);
  expect(config.argv.every((arg) => typeof arg === 'string')).toBe(true);
  expect(config.workers).toBeDefined();
  expect(config.threads).toBeDefined();
  for (const key of SETTINGS) {
    const setting = config[key] as Setting<unknown> | undefined;
    if (setting === undefined) continue;
    expectEvidence(setting.evidence);
    expect(typeof setting.isDefault).toBe('boolean');
    if (typeof setting.value === 'number') expect(Number.isSafeInteger(setting.value) && setting.value >= 0).toBe(true);
    else if (setting.value !== undefined) expect(['string', 'boolean']).toContain(typeof setting.value);
  }
  config.unreadConfig.forEach(expectEvidence);
}

const FRAGMENTS = [
  'gunicorn', 'uvicorn', 'uwsgi', 'waitress-serve', 'hypercorn', 'fastapi', 'run', 'python', '-m', 'sh', 'bash', '-c', '-lc', 'exec', 'env',
  'tini', 'dumb-init', 'poetry', 'uv', 'ddtrace-run', 'opentelemetry-instrument', 'newrelic-admin', 'run-program', '--', '-w', '-w4',
  '--workers', '--workers=', '--threads', '-k', 'gevent', 'sync', '-b', ':$PORT', '--ini', 'app.ini', '-c', '--processes', '--lazy-apps',
  '--listen', '--port', '4', '0', '-1', 'abc', '2.5', '$', '$T', '${T}', '${T:-8}', '${', '}', '$(', '$((', ')', '(', '`', '"', "'", '\\',
  '\n', ' ', '  ', '#', '&&', '||', ';', '|', '&', '>', '2>&1', '=', 'A=B', 'export', '.', 'source', 'if', 'then', 'fi', '\uE000', '\uE0011\uE001',
  '$(T)', '$$', '$1', '$@', '${#T}', "$'a\\'b'", 'main:app', '%k', '$(UWSGI_PROCS)',
];
const shellish = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 24 }).map((parts) => parts.join(''));
const word = fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom(...FRAGMENTS), shellish);
const source = fc.constantFrom<SourceKind>('manifest', 'Dockerfile', 'Procfile', 'gunicorn.conf.py', 'default', 'metrics');
const envArb: fc.Arbitrary<DetectEnv> = fc
  .dictionary(fc.constantFrom('T', 'PORT', 'WEB_CONCURRENCY', 'GUNICORN_CMD_ARGS', 'UVICORN_WORKERS', 'UWSGI_PROCESSES', 'UWSGI_LAZY_APPS', 'OPTS', 'UWSGI_PROCS', 'SERVER'), fc.option(word, { nil: undefined }))
  .map((vars) => new Map(Object.entries(vars).map(([name, value]) => [name, value === undefined ? { evidence: DOCKERFILE } : { value, evidence: DOCKERFILE }])));
const confArb: fc.Arbitrary<GunicornConf | undefined> = fc.option(
  fc
    .dictionary(fc.constantFrom('workers', 'threads', 'timeout', 'preload_app', 'worker_class', 'bind', 'worker_connections', 'keepalive'), fc.oneof(fc.string(), fc.double(), fc.integer(), fc.boolean(), fc.constant(undefined)))
    .map((settings) => ({
      file: 'gunicorn.conf.py',
      settings: new Map(Object.entries(settings).map(([name, value]) => [name, { value, evidence: { source: 'gunicorn.conf.py' as const, field: name } }])),
    })),
  { nil: undefined },
);

describe('detectServer never throws and returns undefined or a well-formed ServerConfig', () => {
  it('for arbitrary argv arrays', () => {
    fc.assert(
      fc.property(fc.array(word, { maxLength: 10 }), envArb, source, confArb, (argv, env, from, conf) => {
        const config = detectServer(argv, env, { ...DOCKERFILE, source: from }, conf);
        if (config !== undefined) expectWellFormed(config);
      }),
      { numRuns: 1500 },
    );
  });

  it('for arbitrary shell strings after sh -c, and server argv', () => {
    fc.assert(
      fc.property(fc.oneof(shellish, fc.string({ unit: 'binary' })), envArb, source, (script, env, from) => {
        const evidence = { ...DOCKERFILE, source: from };
        for (const argv of [sh(script), ['gunicorn', ...script.split(' ')], ['uwsgi', script], ['uvicorn', script]]) {
          const config = detectServer(argv, env, evidence);
          if (config !== undefined) expectWellFormed(config);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('shellWords never throws', () => {
    fc.assert(
      fc.property(fc.oneof(shellish, fc.string({ unit: 'binary' })), envArb, (text, env) => {
        expect(shellWords(text, env).every((w) => typeof w === 'string')).toBe(true);
      }),
      { numRuns: 1500 },
    );
  });
});
