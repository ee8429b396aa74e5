import { describe, expect, it } from 'vitest';
import { byDefault, explicit, unknown } from '../evidence.ts';
import type { ServerRow } from '../../../test/support/serverRows.ts';
import { cmd, DOCKERFILE, envVar, expectServerConfig } from '../../../test/support/serverRows.ts';
import { detectServer } from './detect.ts';

const DEFAULT = 'uvicorn default';
const ONE_LOOP = byDefault(1, 'uvicorn runs one event loop per worker');

describe('uvicorn', () => {
  const rows: ServerRow[] = [
    {
      name: 'uvicorn app:app: one worker on 127.0.0.1:8000',
      argv: ['uvicorn', 'app:app'],
      expected: {
        kind: 'uvicorn',
        model: 'async',
        argv: ['uvicorn', 'app:app'],
        workers: byDefault(1, DEFAULT),
        threads: ONE_LOOP,
        bind: byDefault('127.0.0.1:8000', DEFAULT),
        keepAlive: byDefault(5, DEFAULT),
        connectionLimit: undefined,
        unreadConfig: [],
      },
    },
    { name: '--workers 4', argv: ['uvicorn', 'main:app', '--workers', '4'], expected: { model: 'async', workers: explicit(4, cmd('--workers', '--workers 4')) } },
    { name: '--workers=4', argv: ['uvicorn', '--workers=4', 'main:app'], expected: { workers: explicit(4, cmd('--workers', '--workers=4')) } },
    { name: '--workers abc', argv: ['uvicorn', 'main:app', '--workers', 'abc'], expected: { workers: unknown(cmd('--workers', '--workers abc')) } },
    { name: 'WEB_CONCURRENCY', argv: ['uvicorn', 'main:app'], env: { WEB_CONCURRENCY: '3' }, expected: { workers: explicit(3, envVar(0, 'WEB_CONCURRENCY', 'WEB_CONCURRENCY=3'), 'WEB_CONCURRENCY') } },
    { name: '--workers beats WEB_CONCURRENCY', argv: ['uvicorn', 'main:app', '--workers', '2'], env: { WEB_CONCURRENCY: '3' }, expected: { workers: explicit(2, cmd('--workers', '--workers 2')) } },
    { name: 'UVICORN_WORKERS', argv: ['uvicorn', 'main:app'], env: { UVICORN_WORKERS: '5', WEB_CONCURRENCY: '3' }, expected: { workers: explicit(5, envVar(0, 'UVICORN_WORKERS', 'UVICORN_WORKERS=5'), 'UVICORN_WORKERS') } },
    { name: '--workers beats UVICORN_WORKERS', argv: ['uvicorn', 'main:app', '--workers', '2'], env: { UVICORN_WORKERS: '5' }, expected: { workers: explicit(2, cmd('--workers', '--workers 2')) } },
    {
      name: '--reload runs one process, as a development server',
      argv: ['uvicorn', 'main:app', '--reload', '--workers', '4'],
      expected: { workers: explicit(1, cmd('--reload', '--reload')), development: cmd('--reload', '--reload') },
    },
    { name: 'no --reload: not a development server', argv: ['uvicorn', 'main:app'], expected: { development: undefined } },
    { name: '--limit-concurrency 100', argv: ['uvicorn', 'main:app', '--limit-concurrency', '100'], expected: { connectionLimit: explicit(100, cmd('--limit-concurrency', '--limit-concurrency 100')) } },
    { name: '--timeout-keep-alive 75', argv: ['uvicorn', 'main:app', '--timeout-keep-alive', '75'], expected: { keepAlive: explicit(75, cmd('--timeout-keep-alive', '--timeout-keep-alive 75')) } },
    { name: '--host 0.0.0.0', argv: ['uvicorn', 'main:app', '--host', '0.0.0.0'], expected: { bind: explicit('0.0.0.0:8000', cmd('--host', '--host 0.0.0.0')) } },
    {
      name: 'the Cloud Run guide: uvicorn --port $PORT --host 0.0.0.0 main:app',
      argv: ['/bin/sh', '-c', 'uvicorn --port $PORT --host 0.0.0.0 main:app'],
      env: { PORT: '8080' },
      expected: { argv: ['uvicorn', '--port', '8080', '--host', '0.0.0.0', 'main:app'], bind: explicit('0.0.0.0:8080', cmd('--port', '--host 0.0.0.0 --port $PORT'), 'PORT') },
    },
    { name: '--port $PORT without PORT', argv: ['/bin/sh', '-c', 'uvicorn --port $PORT main:app'], expected: { bind: { ...unknown(cmd('--port', '--port $PORT')), viaEnv: 'PORT' } } },
    { name: '--host ::', argv: ['uvicorn', 'main:app', '--host', '::', '--port', '8080'], expected: { bind: explicit('[::]:8080', cmd('--port', '--host :: --port 8080')) } },
    { name: '--uds', argv: ['uvicorn', 'main:app', '--uds', '/tmp/uvicorn.sock'], expected: { bind: explicit('unix:/tmp/uvicorn.sock', cmd('--uds', '--uds /tmp/uvicorn.sock')) } },
    { name: '--env-file is unread', argv: ['uvicorn', 'main:app', '--env-file', '.env'], expected: { unreadConfig: [cmd('--env-file', '--env-file .env')] } },
    { name: 'unknown options take no value', argv: ['uvicorn', '--proxy-headers', 'main:app', '--workers', '2'], expected: { workers: explicit(2, cmd('--workers', '--workers 2')) } },
  ];
  it.each(rows)('$name', (row) => expectServerConfig(row, 'uvicorn'));

  it.each([['--help'], ['--version']])('uvicorn %s does not serve', (flag) => {
    expect(detectServer(['uvicorn', flag], new Map(), DOCKERFILE)).toBeUndefined();
  });
});

describe('fastapi run (uvicorn with fastapi-cli defaults)', () => {
  const rows: ServerRow[] = [
    { name: 'fastapi run main.py: 0.0.0.0:8000', argv: ['fastapi', 'run', 'main.py'], expected: { kind: 'uvicorn', model: 'async', workers: byDefault(1, DEFAULT), bind: byDefault('0.0.0.0:8000', 'fastapi run default') } },
    { name: 'PORT sets the port', argv: ['fastapi', 'run', 'main.py'], env: { PORT: '8080' }, expected: { bind: explicit('0.0.0.0:8080', envVar(0, 'PORT', 'PORT=8080'), 'PORT') } },
    { name: '--port 80 (the FastAPI docs Dockerfile)', argv: ['fastapi', 'run', 'app/main.py', '--port', '80'], expected: { bind: explicit('0.0.0.0:80', cmd('--port', '--port 80')) } },
    { name: '--workers 4', argv: ['fastapi', 'run', '--workers', '4', 'main.py'], expected: { workers: explicit(4, cmd('--workers', '--workers 4')) } },
    { name: '--no-reload keeps the workers', argv: ['fastapi', 'run', '--no-reload', '--workers', '4'], expected: { workers: explicit(4, cmd('--workers', '--workers 4')), development: undefined } },
  ];
  it.each(rows)('$name', (row) => expectServerConfig(row, 'uvicorn'));
});

describe('fastapi dev (uvicorn reloading, on 127.0.0.1)', () => {
  const DEV = cmd('fastapi dev', 'fastapi dev');
  const rows: ServerRow[] = [
    { name: 'fastapi dev main.py', argv: ['fastapi', 'dev', 'main.py'], expected: { workers: explicit(1, DEV), bind: byDefault('127.0.0.1:8000', 'fastapi dev default'), development: DEV } },
    { name: 'python -m fastapi dev', argv: ['python', '-m', 'fastapi', 'dev', 'main.py', '--host', '0.0.0.0'], expected: { development: DEV, bind: explicit('0.0.0.0:8000', cmd('--host', '--host 0.0.0.0')) } },
    { name: '--no-reload: still the dev command, workers as given', argv: ['fastapi', 'dev', '--no-reload', '--workers', '2'], expected: { development: DEV, workers: explicit(2, cmd('--workers', '--workers 2')) } },
  ];
  it.each(rows)('$name', (row) => expectServerConfig(row, 'uvicorn'));
});
