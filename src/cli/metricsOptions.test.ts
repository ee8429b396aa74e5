import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import type { MetricsOptions } from './metricsOptions.ts';
import { collectWindow, metricsUsageError, parseDurationSeconds, parseTime, progressLine } from './metricsOptions.ts';

const base: MetricsOptions = { profile: 'auto', window: 7 * 86_400, step: 300, timeout: 30 };

describe('parseDurationSeconds', () => {
  it.each([
    ['300ms', 0.3],
    ['30s', 30],
    ['5m', 300],
    ['36h', 129_600],
    ['7d', 604_800],
    ['2w', 1_209_600],
    ['1h30m', 5400],
    ['1.5h', 5400],
  ])('%s is %d s', (text, seconds) => {
    expect(parseDurationSeconds(text)).toBe(seconds);
  });

  it.each(['', '5', '5 m', 'm', '-5m', '0s', '1y'])('rejects %j', (text) => {
    expect(() => parseDurationSeconds(text)).toThrow(InvalidArgumentError);
  });
});

describe('parseTime', () => {
  it('reads Unix seconds and RFC 3339', () => {
    expect(parseTime('1767225600')).toBe(1_767_225_600);
    expect(parseTime('2026-01-01T00:00:00Z')).toBe(1_767_225_600);
    expect(parseTime('2026-01-01T01:00:00+01:00')).toBe(1_767_225_600);
  });

  it.each(['yesterday', '2026-01-01', '2026-13-01T00:00:00Z'])('rejects %j', (text) => {
    expect(() => parseTime(text)).toThrow(InvalidArgumentError);
  });
});

describe('collectWindow', () => {
  it('ends at --end, or now rounded down to a step', () => {
    expect(collectWindow({ window: 3600, step: 300, end: 1_000_050 }, 0)).toEqual({ start: 996_450, end: 1_000_050, stepSeconds: 300 });
    expect(collectWindow({ window: 3600, step: 300 }, 1_000_050_123)).toEqual({ start: 996_300, end: 999_900, stepSeconds: 300 });
  });
});

describe('metricsUsageError', () => {
  it.each([
    [{}, false, "error: required option '-f, --file <path...>' not specified (or --prometheus with --namespace)"],
    [{ namespace: ['shop'] }, true, 'error: --namespace needs --prometheus'],
    [{ caFile: 'ca.pem' }, true, 'error: --ca-file needs --prometheus'],
    [{ prometheus: 'http://p:9090' }, false, 'error: --prometheus without -f needs --namespace (repeatable): the workloads are those seen in the metrics of these namespaces'],
    [{ prometheus: 'http://p:9090', namespace: ['shop'] }, true, 'error: --namespace is for reports without -f; with -f, the manifests say which workloads to read'],
    [{ prometheus: 'http://p:9090', bearerToken: 't', bearerTokenFile: 'f' }, true, 'error: give --bearer-token or --bearer-token-file, not both'],
    [{ prometheus: 'http://p:9090', window: 60, step: 300 }, true, 'error: --window (60 s) must be at least one --step (300 s)'],
    [{ prometheus: 'http://p:9090', window: 28 * 86_400, step: 60 }, true, 'error: --window / --step gives 40320 points per series; Prometheus answers at most 11000: use a larger --step (e.g. 4m)'],
  ] as const)('%j (files: %s) → %s', (options, hasFiles, message) => {
    expect(metricsUsageError({ ...base, ...options } as MetricsOptions, hasFiles)).toBe(message);
  });

  it('accepts -f with --prometheus, and --namespace without -f', () => {
    expect(metricsUsageError({ ...base, prometheus: 'http://p:9090' }, true)).toBeUndefined();
    expect(metricsUsageError({ ...base, prometheus: 'http://p:9090', namespace: ['a', 'b'] }, false)).toBeUndefined();
    expect(metricsUsageError(base, true)).toBeUndefined();
  });
});

describe('progressLine', () => {
  function stderr(isTTY: boolean) {
    const written: string[] = [];
    return { written, stream: { isTTY, write: (text: string) => written.push(text) } as unknown as NodeJS.WritableStream & { isTTY?: boolean } };
  }

  it('shows nothing during the first second, then rewrites one line, and clears it', () => {
    let now = 0;
    const err = stderr(true);
    const line = progressLine({ stderr: err.stream, now: () => now });
    line.update(1, 40);
    now = 1500;
    line.update(12, 40);
    line.done();
    expect(err.written).toEqual(['\r\x1b[Kpytuner: Prometheus queries 12/40', '\r\x1b[K']);
  });

  it('writes nothing when stderr is not a terminal', () => {
    let now = 0;
    const err = stderr(false);
    const line = progressLine({ stderr: err.stream, now: () => now });
    now = 5000;
    line.update(12, 40);
    line.done();
    expect(err.written).toEqual([]);
  });
});
