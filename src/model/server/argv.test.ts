import { describe, expect, it } from 'vitest';
import type { Evidence } from '../evidence.ts';
import type { ServerKind } from '../server.ts';
import { containerEnv, DOCKERFILE } from '../../../test/support/serverRows.ts';
import { detectServer } from './detect.ts';

const PROCFILE: Evidence = { source: 'Procfile', file: 'Procfile', line: 1, field: 'web' };
const MANIFEST: Evidence = { source: 'manifest', file: 'service.yaml', line: 30, field: 'spec.template.spec.containers[0].command' };

interface Form {
  name: string;
  argv: string[];
  source?: Evidence;
  env?: Record<string, string>;
  kind: ServerKind;
  /** The server's argv as ServerConfig reports it: from the program word, env references expanded where known. */
  serverArgv: string[];
  /** The workers the command line sets (and so proves its options were read), with the flag's evidence field. */
  workers: [number, string];
}

const GUNICORN = ['gunicorn', '-w', '3', 'main:app'];

describe('unwrapping a command line to the server', () => {
  const forms: Form[] = [
    { name: 'exec form', argv: GUNICORN, kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'sh -c', argv: ['sh', '-c', 'gunicorn -w 3 main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: '/bin/sh -c', argv: ['/bin/sh', '-c', 'gunicorn -w 3 main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'bash -c', argv: ['bash', '-c', 'gunicorn -w 3 main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: '/bin/bash -lc', argv: ['/bin/bash', '-lc', 'gunicorn -w 3 main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'bash -euo pipefail -c', argv: ['bash', '-euo', 'pipefail', '-c', 'gunicorn -w 3 main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'sh -c with exec', argv: ['/bin/sh', '-c', 'exec gunicorn -w 3 main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'leading exec in exec form', argv: ['exec', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'env A=B cmd', argv: ['env', 'PYTHONUNBUFFERED=1', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: '/usr/bin/env -i cmd', argv: ['/usr/bin/env', '-i', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'dumb-init', argv: ['dumb-init', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'dumb-init --single-child --', argv: ['/usr/bin/dumb-init', '--single-child', '--', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'tini --', argv: ['tini', '--', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: '/usr/bin/tini -g --', argv: ['/usr/bin/tini', '-g', '--', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'tini -e 143 --', argv: ['tini', '-e', '143', '--', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'gosu user', argv: ['gosu', 'app', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'python -m gunicorn', argv: ['python', '-m', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: ['python', '-m', 'gunicorn', '-w', '3', 'main:app'], workers: [3, '-w'] },
    { name: 'python3 -m gunicorn', argv: ['python3', '-m', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: ['python3', '-m', 'gunicorn', '-w', '3', 'main:app'], workers: [3, '-w'] },
    { name: 'python3.12 -m gunicorn', argv: ['python3.12', '-m', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: ['python3.12', '-m', 'gunicorn', '-w', '3', 'main:app'], workers: [3, '-w'] },
    { name: '/usr/local/bin/python -m gunicorn', argv: ['/usr/local/bin/python', '-m', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: ['/usr/local/bin/python', '-m', 'gunicorn', '-w', '3', 'main:app'], workers: [3, '-w'] },
    { name: 'python -u -m gunicorn', argv: ['python', '-u', '-m', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: ['python', '-u', '-m', 'gunicorn', '-w', '3', 'main:app'], workers: [3, '-w'] },
    { name: 'python -um gunicorn (grouped)', argv: ['python', '-um', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: ['python', '-um', 'gunicorn', '-w', '3', 'main:app'], workers: [3, '-w'] },
    { name: 'python -W ignore -m gunicorn', argv: ['python', '-W', 'ignore', '-m', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: ['python', '-W', 'ignore', '-m', 'gunicorn', '-w', '3', 'main:app'], workers: [3, '-w'] },
    { name: 'python /usr/local/bin/gunicorn', argv: ['python', '/usr/local/bin/gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: ['python', '/usr/local/bin/gunicorn', '-w', '3', 'main:app'], workers: [3, '-w'] },
    { name: 'python -m uvicorn', argv: ['python', '-m', 'uvicorn', 'main:app', '--workers', '3'], kind: 'uvicorn', serverArgv: ['python', '-m', 'uvicorn', 'main:app', '--workers', '3'], workers: [3, '--workers'] },
    { name: 'python -m waitress', argv: ['python', '-m', 'waitress', '--threads=3', 'main:app'], kind: 'waitress', serverArgv: ['python', '-m', 'waitress', '--threads=3', 'main:app'], workers: [1, 'waitress runs one process'] },
    { name: 'python -m hypercorn', argv: ['python', '-m', 'hypercorn', '-w', '3', 'main:app'], kind: 'hypercorn', serverArgv: ['python', '-m', 'hypercorn', '-w', '3', 'main:app'], workers: [3, '-w'] },
    { name: 'python -m uwsgi', argv: ['python', '-m', 'uwsgi', '--processes', '3'], kind: 'uwsgi', serverArgv: ['python', '-m', 'uwsgi', '--processes', '3'], workers: [3, '--processes'] },
    { name: '/usr/local/bin/gunicorn', argv: ['/usr/local/bin/gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: ['/usr/local/bin/gunicorn', '-w', '3', 'main:app'], workers: [3, '-w'] },
    { name: '/app/.venv/bin/gunicorn', argv: ['/app/.venv/bin/gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: ['/app/.venv/bin/gunicorn', '-w', '3', 'main:app'], workers: [3, '-w'] },
    { name: 'poetry run gunicorn', argv: ['poetry', 'run', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'poetry -C /app run gunicorn', argv: ['poetry', '-C', '/app', 'run', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'pipenv run gunicorn', argv: ['pipenv', 'run', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'uv run gunicorn', argv: ['uv', 'run', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'uv run --no-sync --with x gunicorn', argv: ['uv', 'run', '--no-sync', '--with', 'gunicorn', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'uv run -- gunicorn', argv: ['uv', 'run', '--', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'uv run -m gunicorn', argv: ['uv', 'run', '-m', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: ['uv', 'run', '-m', 'gunicorn', '-w', '3', 'main:app'], workers: [3, '-w'] },
    { name: 'uv run python -m gunicorn', argv: ['uv', 'run', 'python', '-m', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: ['python', '-m', 'gunicorn', '-w', '3', 'main:app'], workers: [3, '-w'] },
    { name: 'pdm run gunicorn', argv: ['pdm', 'run', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'newrelic-admin run-program', argv: ['newrelic-admin', 'run-program', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'newrelic-admin run-python -m gunicorn', argv: ['newrelic-admin', 'run-python', '-m', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: ['newrelic-admin', 'run-python', '-m', 'gunicorn', '-w', '3', 'main:app'], workers: [3, '-w'] },
    { name: 'ddtrace-run', argv: ['ddtrace-run', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    {
      name: 'opentelemetry-instrument with options',
      argv: ['opentelemetry-instrument', '--traces_exporter', 'console', '--metrics_exporter=none', 'gunicorn', '-w', '3', 'main:app'],
      kind: 'gunicorn',
      serverArgv: GUNICORN,
      workers: [3, '-w'],
    },
    { name: 'wrappers stacked', argv: ['tini', '--', 'ddtrace-run', 'poetry', 'run', 'python', '-m', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: ['python', '-m', 'gunicorn', '-w', '3', 'main:app'], workers: [3, '-w'] },
    { name: 'an entrypoint script passing CMD on', argv: ['/docker-entrypoint.sh', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'wait-for-it.sh host:port -- cmd', argv: ['./wait-for-it.sh', 'db:5432', '-t', '30', '--', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'sh script.sh passing CMD on', argv: ['sh', '/app/start.sh', 'gunicorn', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'migrate && exec gunicorn', argv: ['/bin/sh', '-c', 'python manage.py migrate && exec gunicorn -w 3 main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    {
      name: 'cd; collectstatic; migrate && gunicorn',
      argv: ['/bin/sh', '-c', 'cd /app; python manage.py collectstatic --noinput; python manage.py migrate && gunicorn -w 3 main:app'],
      kind: 'gunicorn',
      serverArgv: GUNICORN,
      workers: [3, '-w'],
    },
    { name: 'a check before the server', argv: ['sh', '-c', 'gunicorn --check-config main:app && exec gunicorn -w 3 main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'migrate || exit 1; exec gunicorn', argv: ['sh', '-c', 'python manage.py migrate || exit 1; exec gunicorn -w 3 main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'redirections and a pipe', argv: ['sh', '-c', 'exec gunicorn -w 3 main:app 2>&1 | tee /var/log/app.log'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'a subshell', argv: ['sh', '-c', '(cd /app && exec gunicorn -w 3 main:app)'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'a multi-line script with comments and continuations', argv: ['sh', '-c', '# start\nset -e\npython manage.py migrate # db\nexec gunicorn \\\n  -w 3 \\\n  main:app\n'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'an if without a second server', argv: ['sh', '-c', 'if [ -n "$MIGRATE" ]; then python manage.py migrate; fi; exec gunicorn -w 3 main:app'], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'sh -c inside sh -c', argv: ['sh', '-c', "bash -c 'exec gunicorn -w 3 main:app'"], kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'a # inside a word is not a comment', argv: ['sh', '-c', 'exec gunicorn --access-logformat a#b -w 3 main:app'], kind: 'gunicorn', serverArgv: ['gunicorn', '--access-logformat', 'a#b', '-w', '3', 'main:app'], workers: [3, '-w'] },
    { name: 'the program from an env var', argv: ['sh', '-c', 'exec $SERVER -w 3 main:app'], env: { SERVER: 'gunicorn' }, kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'Procfile split into words', argv: ['gunicorn', '--bind', ':$PORT', '-w', '3', 'main:app'], source: PROCFILE, env: { PORT: '8080' }, kind: 'gunicorn', serverArgv: ['gunicorn', '--bind', ':8080', '-w', '3', 'main:app'], workers: [3, '-w'] },
    { name: 'Procfile with &&', argv: ['python', 'manage.py', 'migrate', '&&', 'gunicorn', '-w', '3', 'main:app'], source: PROCFILE, kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'manifest command + args with $(VAR)', argv: ['gunicorn', '-w', '$(WORKERS)', 'main:app'], source: MANIFEST, env: { WORKERS: '3' }, kind: 'gunicorn', serverArgv: GUNICORN, workers: [3, '-w'] },
    { name: 'fastapi run', argv: ['fastapi', 'run', 'main.py', '--workers', '3'], kind: 'uvicorn', serverArgv: ['fastapi', 'run', 'main.py', '--workers', '3'], workers: [3, '--workers'] },
    { name: 'python -m fastapi run', argv: ['python', '-m', 'fastapi', 'run', '--workers', '3'], kind: 'uvicorn', serverArgv: ['python', '-m', 'fastapi', 'run', '--workers', '3'], workers: [3, '--workers'] },
    { name: 'waitress-serve', argv: ['waitress-serve', '--port=8080', 'main:app'], kind: 'waitress', serverArgv: ['waitress-serve', '--port=8080', 'main:app'], workers: [1, 'waitress runs one process'] },
    { name: 'gunicorn3 (Debian)', argv: ['gunicorn3', '-w', '3', 'main:app'], kind: 'gunicorn', serverArgv: ['gunicorn3', '-w', '3', 'main:app'], workers: [3, '-w'] },
    { name: 'pyuwsgi', argv: ['pyuwsgi', '--processes', '3'], kind: 'uwsgi', serverArgv: ['pyuwsgi', '--processes', '3'], workers: [3, '--processes'] },
  ];
  it.each(forms)('$name', ({ argv, source, env, kind, serverArgv, workers }) => {
    const config = detectServer(argv, containerEnv(env ?? {}), source ?? DOCKERFILE);
    expect(config?.kind).toBe(kind);
    expect(config?.argv).toEqual(serverArgv);
    expect([config?.workers.value, config?.workers.evidence.field]).toEqual(workers);
  });
});
