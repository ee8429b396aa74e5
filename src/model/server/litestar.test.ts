import { describe, it } from 'vitest';
import { byDefault, explicit } from '../evidence.ts';
import type { ServerRow } from '../../../test/support/serverRows.ts';
import { cmd, envVar, expectServerConfig } from '../../../test/support/serverRows.ts';

describe('litestar run', () => {
  const rows: ServerRow[] = [
    { name: 'litestar run', argv: ['litestar', 'run'], expected: { kind: 'litestar', model: 'async', workers: byDefault(1, 'litestar run default'), bind: byDefault('127.0.0.1:8000', 'litestar run default') } },
    { name: 'litestar --app main:app run -W 4', argv: ['litestar', '--app', 'main:app', 'run', '-W', '4', '--host', '0.0.0.0'], expected: { workers: explicit(4, cmd('-W', '-W 4')) } },
    { name: 'WEB_CONCURRENCY', argv: ['litestar', 'run'], env: { WEB_CONCURRENCY: '3' }, expected: { workers: explicit(3, envVar(0, 'WEB_CONCURRENCY', 'WEB_CONCURRENCY=3'), 'WEB_CONCURRENCY') } },
    {
      name: 'LITESTAR_WEB_CONCURRENCY wins over WEB_CONCURRENCY',
      argv: ['litestar', 'run'],
      env: { WEB_CONCURRENCY: '3', LITESTAR_WEB_CONCURRENCY: '2' },
      expected: { workers: explicit(2, envVar(1, 'LITESTAR_WEB_CONCURRENCY', 'LITESTAR_WEB_CONCURRENCY=2'), 'LITESTAR_WEB_CONCURRENCY') },
    },
    { name: '--reload: one process, development', argv: ['litestar', 'run', '--reload', '--wc', '4'], expected: { workers: explicit(1, cmd('--reload', '--reload')), development: cmd('--reload', '--reload') } },
  ];
  it.each(rows)('$name', (row) => expectServerConfig(row, 'litestar'));
});
