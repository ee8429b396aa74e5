import { describe, it } from 'vitest';
import { byDefault, explicit } from '../evidence.ts';
import type { ServerRow } from '../../../test/support/serverRows.ts';
import { cmd, expectServerConfig } from '../../../test/support/serverRows.ts';

describe('daphne', () => {
  const rows: ServerRow[] = [
    {
      name: 'daphne app.asgi:application: one process, an event loop',
      argv: ['daphne', 'app.asgi:application'],
      expected: { kind: 'daphne', model: 'async', workers: byDefault(1, 'daphne runs one process'), bind: byDefault('127.0.0.1:8000', 'daphne default') },
    },
    { name: '-b 0.0.0.0 -p 8080', argv: ['daphne', '-b', '0.0.0.0', '-p', '8080', 'app.asgi:application'], expected: { bind: explicit('0.0.0.0:8080', cmd('-p', '-b 0.0.0.0 -p 8080')) } },
    { name: '-u socket', argv: ['daphne', '-u', '/tmp/d.sock', 'app.asgi:application'], expected: { bind: explicit('unix:/tmp/d.sock', cmd('-u', '-u /tmp/d.sock')) } },
  ];
  it.each(rows)('$name', (row) => expectServerConfig(row, 'daphne'));
});
