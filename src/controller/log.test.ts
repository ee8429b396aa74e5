import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, targetLogger } from './log.ts';

describe('targetLogger', () => {
  it('writes one "name" key per line: the workload\'s', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    targetLogger(createLogger({ destination }), { kind: 'Service', namespace: 'shop', name: 'orders' }).info('reconciled');
    expect(lines).toHaveLength(1);
    const line = lines[0] as string;
    expect(line.match(/"name":/g)).toHaveLength(1);
    expect(JSON.parse(line)).toMatchObject({ logger: 'pytuner-controller', kind: 'Service', namespace: 'shop', name: 'orders', msg: 'reconciled', level: 'info' });
  });
});
