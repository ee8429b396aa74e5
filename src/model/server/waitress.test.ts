import { describe, expect, it } from 'vitest';
import { byDefault, explicit, unknown } from '../evidence.ts';
import type { ServerRow } from '../../../test/support/serverRows.ts';
import { cmd, DOCKERFILE, expectServerConfig } from '../../../test/support/serverRows.ts';
import { detectServer } from './detect.ts';

const DEFAULT = 'waitress default';

describe('waitress', () => {
  const rows: ServerRow[] = [
    {
      name: 'waitress-serve app:app: one process, 4 threads, 0.0.0.0:8080',
      argv: ['waitress-serve', 'app:app'],
      expected: {
        kind: 'waitress',
        model: 'threaded',
        workers: byDefault(1, 'waitress runs one process'),
        threads: byDefault(4, DEFAULT),
        connectionLimit: byDefault(100, DEFAULT),
        bind: byDefault('0.0.0.0:8080', DEFAULT),
        unreadConfig: [],
      },
    },
    { name: '--threads=8', argv: ['waitress-serve', '--threads=8', 'app:app'], expected: { threads: explicit(8, cmd('--threads', '--threads=8')) } },
    { name: '--threads 6', argv: ['waitress-serve', '--threads', '6', 'app:app'], expected: { threads: explicit(6, cmd('--threads', '--threads 6')) } },
    { name: '--threads=x', argv: ['waitress-serve', '--threads=x', 'app:app'], expected: { threads: unknown(cmd('--threads', '--threads=x')) } },
    { name: 'options after the app are not read (getopt stops there)', argv: ['waitress-serve', 'app:app', '--threads=8'], expected: { threads: byDefault(4, DEFAULT) } },
    { name: '--connection-limit=200', argv: ['waitress-serve', '--connection-limit=200', 'app:app'], expected: { connectionLimit: explicit(200, cmd('--connection-limit', '--connection-limit=200')) } },
    { name: '--port=$PORT in sh -c', argv: ['/bin/sh', '-c', 'exec python -m waitress --port=$PORT app:app'], env: { PORT: '8080' }, expected: { bind: explicit('0.0.0.0:8080', cmd('--port', '--port=$PORT'), 'PORT') } },
    { name: '--host=127.0.0.1', argv: ['waitress-serve', '--host=127.0.0.1', 'app:app'], expected: { bind: explicit('127.0.0.1:8080', cmd('--host', '--host=127.0.0.1')) } },
    {
      name: '--listen twice',
      argv: ['waitress-serve', '--listen=0.0.0.0:8080', '--listen=[::]:8080', 'app:app'],
      expected: { bind: explicit('0.0.0.0:8080 [::]:8080', cmd('--listen', '--listen=0.0.0.0:8080 --listen=[::]:8080')) },
    },
    { name: '--unix-socket', argv: ['waitress-serve', '--unix-socket=/tmp/waitress.sock', 'app:app'], expected: { bind: explicit('unix:/tmp/waitress.sock', cmd('--unix-socket', '--unix-socket=/tmp/waitress.sock')) } },
  ];
  it.each(rows)('$name', (row) => expectServerConfig(row, 'waitress'));

  it('waitress-serve --help does not serve', () => {
    expect(detectServer(['waitress-serve', '--help'], new Map(), DOCKERFILE)).toBeUndefined();
  });
});
