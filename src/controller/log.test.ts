import { availableParallelism } from 'node:os';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, processClock, targetLogger } from './log.ts';

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

describe('processClock', () => {
  it('gives the time since the process started and its CPU time, both in milliseconds', () => {
    const clock = processClock();
    // Node's time origin is the process start, as process.uptime() counts it (seconds).
    expect(Math.abs(clock.sinceStartMs - process.uptime() * 1000)).toBeLessThan(1000);
    // A test process has run code by now, and no process uses more CPU than its threads could since it started.
    expect(clock.cpuMs).toBeGreaterThan(0);
    expect(clock.cpuMs).toBeLessThanOrEqual(clock.sinceStartMs * Math.max(availableParallelism(), 8));
    expect(Number.isInteger(clock.sinceStartMs) && Number.isInteger(clock.cpuMs)).toBe(true);
  });
});
