import { describe, expect, it } from 'vitest';
import { byDefault, explicit } from '../evidence.ts';
import type { ServerRow } from '../../../test/support/serverRows.ts';
import { cmd, DOCKERFILE, envVar, expectServerConfig } from '../../../test/support/serverRows.ts';
import { detectServer } from './detect.ts';

const DEFAULT = 'granian default';

describe('granian', () => {
  const rows: ServerRow[] = [
    {
      name: 'granian app:app: RSGI, one worker on an event loop, 127.0.0.1:8000',
      argv: ['granian', 'app:app'],
      expected: {
        kind: 'granian',
        model: 'async',
        workers: byDefault(1, DEFAULT),
        workerClass: byDefault('rsgi', DEFAULT),
        bind: byDefault('127.0.0.1:8000', DEFAULT),
        connectionLimit: byDefault(1024, 'granian default: --backpressure = --backlog // --workers (1024 // 1)'),
      },
    },
    {
      name: '--interface wsgi: 512 blocking threads per worker by default',
      argv: ['granian', '--interface', 'wsgi', 'app:app'],
      expected: { model: 'threaded', threads: byDefault(512, 'granian default (WSGI): --blocking-threads = --backpressure // 2') },
    },
    {
      name: '--interface wsgi --workers 4: backpressure 256, 128 threads each',
      argv: ['granian', '--interface', 'wsgi', '--workers', '4', 'app:app'],
      expected: {
        workers: explicit(4, cmd('--workers', '--workers 4')),
        connectionLimit: byDefault(256, 'granian default: --backpressure = --backlog // --workers (1024 // 4)'),
        threads: byDefault(128, 'granian default (WSGI): --blocking-threads = --backpressure // 2'),
      },
    },
    {
      name: '--blocking-threads 8 --backpressure 16',
      argv: ['granian', '--interface', 'wsgi', '--blocking-threads', '8', '--backpressure', '16', 'app:app'],
      expected: { threads: explicit(8, cmd('--blocking-threads', '--blocking-threads 8')), connectionLimit: explicit(16, cmd('--backpressure', '--backpressure 16')) },
    },
    {
      name: 'GRANIAN_* env sets every option',
      argv: ['granian', 'app:app'],
      env: { GRANIAN_INTERFACE: 'wsgi', GRANIAN_WORKERS: '2', GRANIAN_BLOCKING_THREADS: '4' },
      expected: {
        model: 'threaded',
        workers: explicit(2, envVar(1, 'GRANIAN_WORKERS', 'GRANIAN_WORKERS=2'), 'GRANIAN_WORKERS'),
        threads: explicit(4, envVar(2, 'GRANIAN_BLOCKING_THREADS', 'GRANIAN_BLOCKING_THREADS=4'), 'GRANIAN_BLOCKING_THREADS'),
      },
    },
    { name: 'the command line beats GRANIAN_WORKERS', argv: ['granian', '--workers', '3', 'app:app'], env: { GRANIAN_WORKERS: '2' }, expected: { workers: explicit(3, cmd('--workers', '--workers 3')) } },
    { name: 'WEB_CONCURRENCY is not read', argv: ['granian', 'app:app'], env: { WEB_CONCURRENCY: '4' }, expected: { workers: byDefault(1, DEFAULT) } },
    { name: '--reload is development', argv: ['granian', '--reload', 'app:app'], expected: { development: cmd('--reload', '--reload') } },
    { name: 'python -m granian, --host/--port', argv: ['python', '-m', 'granian', '--host', '0.0.0.0', '--port', '8080', 'app:app'], expected: { kind: 'granian', bind: explicit('0.0.0.0:8080', cmd('--port', '--host 0.0.0.0 --port 8080')) } },
  ];
  it.each(rows)('$name', (row) => expectServerConfig(row, 'granian'));

  it('granian --help does not serve', () => {
    expect(detectServer(['granian', '--help'], new Map(), DOCKERFILE)).toBeUndefined();
  });
});
