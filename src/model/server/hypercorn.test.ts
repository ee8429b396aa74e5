import { describe, it } from 'vitest';
import { byDefault, explicit, unknown } from '../evidence.ts';
import type { ServerRow } from '../../../test/support/serverRows.ts';
import { cmd, expectServerConfig } from '../../../test/support/serverRows.ts';

const DEFAULT = 'hypercorn default';

describe('hypercorn', () => {
  const rows: ServerRow[] = [
    {
      name: 'hypercorn app:app: one asyncio worker on 127.0.0.1:8000',
      argv: ['hypercorn', 'app:app'],
      expected: {
        kind: 'hypercorn',
        model: 'async',
        workers: byDefault(1, DEFAULT),
        threads: byDefault(1, 'hypercorn runs one event loop per worker'),
        workerClass: byDefault('asyncio', DEFAULT),
        bind: byDefault('127.0.0.1:8000', DEFAULT),
        keepAlive: byDefault(5, DEFAULT),
        unreadConfig: [],
      },
    },
    {
      name: '-w 2 -k uvloop -b 0.0.0.0:8080',
      argv: ['hypercorn', '-w', '2', '-k', 'uvloop', '-b', '0.0.0.0:8080', 'app:app'],
      expected: {
        model: 'async',
        workers: explicit(2, cmd('-w', '-w 2')),
        workerClass: explicit('uvloop', cmd('-k', '-k uvloop')),
        bind: explicit('0.0.0.0:8080', cmd('-b', '-b 0.0.0.0:8080')),
      },
    },
    { name: '--workers 4 --worker-class trio', argv: ['hypercorn', '--workers', '4', '--worker-class', 'trio', 'app:app'], expected: { workers: explicit(4, cmd('--workers', '--workers 4')), workerClass: explicit('trio', cmd('--worker-class', '--worker-class trio')) } },
    { name: '--workers=x', argv: ['hypercorn', '--workers=x', 'app:app'], expected: { workers: unknown(cmd('--workers', '--workers=x')) } },
    { name: '--keep-alive 30', argv: ['hypercorn', '--keep-alive', '30', 'app:app'], expected: { keepAlive: explicit(30, cmd('--keep-alive', '--keep-alive 30')) } },
    { name: '-b :$PORT in sh -c', argv: ['sh', '-c', 'exec hypercorn -b 0.0.0.0:$PORT app:app'], env: { PORT: '8080' }, expected: { bind: explicit('0.0.0.0:8080', cmd('-b', '-b 0.0.0.0:$PORT'), 'PORT') } },
    { name: '-c config.toml is unread', argv: ['hypercorn', '-c', 'config.toml', 'app:app'], expected: { unreadConfig: [cmd('-c', '-c config.toml')] } },
    { name: '--config python:cfg is unread', argv: ['hypercorn', '--config', 'python:cfg', 'app:app'], expected: { unreadConfig: [cmd('--config', '--config python:cfg')] } },
  ];
  it.each(rows)('$name', (row) => expectServerConfig(row, 'hypercorn'));
});
