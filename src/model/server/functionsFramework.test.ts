import { describe, expect, it } from 'vitest';
import { byDefault, explicit } from '../evidence.ts';
import type { ServerRow } from '../../../test/support/serverRows.ts';
import { cmd, DOCKERFILE, envVar, expectServerConfig } from '../../../test/support/serverRows.ts';
import { detectServer } from './detect.ts';

const CPU_THREADS = { source: 'default' as const, field: 'functions-framework default: THREADS = 4 × os.cpu_count()' };

describe('Functions Framework', () => {
  const rows: ServerRow[] = [
    {
      name: 'functions-framework --target hello: gunicorn gthread, THREADS from the host CPU count',
      argv: ['functions-framework', '--target', 'hello'],
      expected: {
        kind: 'functions-framework',
        model: 'threaded',
        workers: byDefault(1, 'functions-framework default: WORKERS = 1'),
        threads: { value: undefined, evidence: CPU_THREADS, isDefault: true, viaEnv: 'THREADS' },
        cpuCountDefaults: [CPU_THREADS],
        bind: byDefault('0.0.0.0:8080', 'functions-framework default'),
        development: undefined,
      },
    },
    {
      name: 'THREADS and WORKERS set',
      argv: ['functions-framework', '--target=hello'],
      env: { WORKERS: '2', THREADS: '8' },
      expected: {
        workers: explicit(2, envVar(0, 'WORKERS', 'WORKERS=2'), 'WORKERS'),
        threads: explicit(8, envVar(1, 'THREADS', 'THREADS=8'), 'THREADS'),
        cpuCountDefaults: undefined,
      },
    },
    { name: 'PORT sets the port', argv: ['functions-framework', '--target', 'hello'], env: { PORT: '9000' }, expected: { bind: explicit('0.0.0.0:9000', envVar(0, 'PORT', 'PORT=9000'), 'PORT') } },
    { name: '--debug serves with the Flask development server', argv: ['functions-framework', '--target', 'hello', '--debug'], expected: { model: 'async', development: cmd('--debug', '--debug') } },
    { name: 'python -m functions_framework', argv: ['python', '-m', 'functions_framework', '--target', 'hello'], expected: { kind: 'functions-framework' } },
    { name: '--gateway asgi: uvicorn workers, no slot count', argv: ['functions-framework', '--target', 'hello', '--gateway', 'asgi'], expected: { model: 'async' } },
  ];
  it.each(rows)('$name', (row) => expectServerConfig(row, 'functions-framework'));

  it('--help does not serve', () => {
    expect(detectServer(['functions-framework', '--help'], new Map(), DOCKERFILE)).toBeUndefined();
  });
});
