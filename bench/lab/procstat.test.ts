import { describe, expect, it } from 'vitest';
import type { CpuReading } from './procstat.ts';
import { cpuBetween, descendants, parseMachineTicks, parseProcStat } from './procstat.ts';

// A gunicorn worker's /proc/<pid>/stat (Linux 6.1), fields 1–20 of 52: comm "(gunicorn: worker [wsgi:app])" has spaces and brackets.
const WORKER = '4242 (gunicorn: worker [wsgi:app]) S 4200 4200 4100 0 -1 4194624 2301 0 0 0 1234 56 7 8 20 0 3 0 9913 300000000 5000 18446744073709551615';

describe('parseProcStat', () => {
  it('reads pid, comm, ppid and the CPU ticks after a comm with spaces', () => {
    expect(parseProcStat(WORKER)).toEqual({ pid: 4242, comm: 'gunicorn: worker [wsgi:app]', ppid: 4200, utime: 1234, stime: 56, cutime: 7, cstime: 8 });
  });

  it('splits at the last parenthesis: a comm may contain ")"', () => {
    expect(parseProcStat('7 (a) b) R 1 7 7 0 -1 0 0 0 0 0 10 20 30 40 20 0 1 0 1 1 1 1')).toMatchObject({ comm: 'a) b', ppid: 1, utime: 10, stime: 20, cutime: 30, cstime: 40 });
  });

  it('rejects text that is not a stat line', () => {
    expect(parseProcStat('')).toBeUndefined();
    expect(parseProcStat('12 (x) S 1 2')).toBeUndefined();
  });
});

describe('parseMachineTicks', () => {
  it('sums the cpu line; busy is all but idle and iowait', () => {
    const text = 'cpu  100 5 50 800 40 3 2 0 0 0\ncpu0 50 2 25 400 20 1 1 0 0 0\nintr 1';
    expect(parseMachineTicks(text)).toEqual({ busy: 160, total: 1000 });
  });

  it('is undefined without a cpu line', () => {
    expect(parseMachineTicks('intr 1\n')).toBeUndefined();
  });
});

describe('descendants', () => {
  it('finds children and grandchildren, not siblings', () => {
    const tree = [
      { pid: 10, ppid: 1 },
      { pid: 11, ppid: 10 },
      { pid: 12, ppid: 10 },
      { pid: 13, ppid: 12 },
      { pid: 20, ppid: 1 },
    ];
    expect(descendants(10, tree).sort((a, b) => a - b)).toEqual([10, 11, 12, 13]);
    expect(descendants(20, tree)).toEqual([20]);
  });
});

describe('cpuBetween', () => {
  const reading = (at: number, server: number, self: number, waited: number, busy: number, total: number): CpuReading => ({ at, server, self, waitedChildren: waited, machine: { busy, total } });

  it('splits the machine busy time into server, load generator, this process and the rest', () => {
    // 2 s on 2 CPUs = 400 ticks at 100/s; 300 busy → 1.5 cores busy on average, 3 CPU seconds in all.
    const usage = cpuBetween(reading(10, 5, 1, 0, 1000, 10_000), reading(12, 6.6, 1.1, 0.3, 1300, 10_400), 2);
    expect(usage.seconds).toBe(2);
    expect(usage.serverCpuSeconds).toBeCloseTo(1.6, 9);
    expect(usage.loadGeneratorCpuSeconds).toBeCloseTo(0.3, 9);
    // 3 − 1.6 − 0.3 − 0.1 = 1.0 CPU second over 2 s.
    expect(usage.backgroundCores).toBeCloseTo(0.5, 9);
  });

  it('never reports negative background (tick rounding)', () => {
    expect(cpuBetween(reading(0, 0, 0, 0, 0, 100), reading(1, 1, 0, 0, 40, 200), 2).backgroundCores).toBe(0);
  });
});
