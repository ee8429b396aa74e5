import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { processClock } from './log.ts';

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
