import { describe, expect, it } from 'vitest';
import { childCpuTicks } from './procStat.ts';
import { cpuQuotaUs, estimateWallMs, formatBytes, parseCpuQuota, parseMemoryLimit } from './quota.ts';

describe('parseCpuQuota', () => {
  it.each([
    ['0.1', 0.1],
    ['100m', 0.1],
    ['10m', 0.01],
    ['2', 2],
    ['1.5', 1.5],
  ] as const)('%s is %s CPU', (text, cpu) => {
    expect(parseCpuQuota(text)).toBe(cpu);
  });

  it.each(['0', '0.005', '5m', '-1', 'a tenth', ''])('refuses %j (below the kernel minimum of 1 ms per 100 ms, or not a number)', (text) => {
    expect(parseCpuQuota(text)).toBeUndefined();
  });

  it('gives µs per 100 ms period', () => {
    expect(cpuQuotaUs(0.1)).toBe(10_000);
    expect(cpuQuotaUs(0.01)).toBe(1_000);
    expect(cpuQuotaUs(2)).toBe(200_000);
  });
});

describe('parseMemoryLimit', () => {
  it.each([
    ['128Mi', 134_217_728],
    ['128M', 128_000_000],
    ['1Gi', 1_073_741_824],
    ['1048576', 1_048_576],
  ] as const)('%s is %s bytes', (text, bytes) => {
    expect(parseMemoryLimit(text)).toBe(bytes);
  });

  it.each(['128m', '512Ki', '1.5', 'lots', ''])('refuses %j (milli-bytes, under 1 MiB, or not a quantity)', (text) => {
    expect(parseMemoryLimit(text)).toBeUndefined();
  });

  it('prints bytes for a person', () => {
    expect(formatBytes(134_217_728)).toBe('128 MiB');
    expect(formatBytes(128_000_000)).toBe('122.1 MiB');
    expect(formatBytes(1_073_741_824)).toBe('1 GiB');
    expect(formatBytes(512)).toBe('512 B');
  });
});

describe('estimateWallMs', () => {
  it('stretches the CPU time by the quota and adds the time spent waiting', () => {
    expect(estimateWallMs({ wallMs: 150, cpuMs: 150 }, 0.1)).toBe(1500);
    expect(estimateWallMs({ wallMs: 200, cpuMs: 150 }, 0.1)).toBe(1550);
  });

  it('never gives less than the measured wall time (a quota above what a single thread uses)', () => {
    expect(estimateWallMs({ wallMs: 200, cpuMs: 150 }, 2)).toBe(200);
    expect(estimateWallMs({ wallMs: 100, cpuMs: 180 }, 1)).toBe(180);
  });
});

describe('childCpuTicks', () => {
  it('adds cutime and cstime (fields 16 and 17), even when the command name has spaces and parentheses', () => {
    const stat = '21343 (my (odd) node) S 21340 21340 14451 0 -1 4194304 97 0 0 0 40 7 15 3 20 0 1 0 345667 3133440 406 18446744073709551615';
    expect(childCpuTicks(stat)).toBe(18);
  });

  it('is undefined for text that is not a stat line', () => {
    expect(childCpuTicks('nothing here')).toBeUndefined();
  });
});
