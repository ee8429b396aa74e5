/**
 * The chart passes its values to `pytuner controller` as flags (charts/pytuner/templates/deployment.yaml), so a chart
 * default that differs from the code's would silently override it. This test holds the two to one source:
 * src/config/controller.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { CONTROLLER_DEFAULTS, formatDuration } from '../../src/config/controller.ts';
import { parseDuration } from '../../src/parse/duration.ts';

interface ChartValues {
  shards: number;
  controller: Record<string, unknown>;
}

const values = load(readFileSync(join(import.meta.dirname, '..', '..', 'charts', 'pytuner', 'values.yaml'), 'utf8')) as ChartValues;

describe("the chart's defaults", () => {
  it.each([
    ['resync', 'resyncMs'],
    ['leaseDuration', 'leaseDurationMs'],
    ['renewDeadline', 'renewDeadlineMs'],
    ['retryPeriod', 'retryPeriodMs'],
    ['shutdownTimeout', 'shutdownTimeoutMs'],
  ] as const)('controller.%s is the code default %s', (key, setting) => {
    const text = values.controller[key];
    expect(typeof text).toBe('string');
    expect(parseDuration(text as string)).toBe(CONTROLLER_DEFAULTS[setting]);
  });

  it.each([
    ['workers', 'workers'],
    ['metricsPort', 'metricsPort'],
    ['logLevel', 'logLevel'],
  ] as const)('controller.%s is the code default %s', (key, setting) => {
    expect(values.controller[key]).toBe(CONTROLLER_DEFAULTS[setting]);
  });

  it('shards is the code default of --total-shards', () => {
    expect(values.shards).toBe(CONTROLLER_DEFAULTS.totalShards);
  });
});

describe("the chart's duration pattern (values.schema.json)", () => {
  const schema = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'charts', 'pytuner', 'values.schema.json'), 'utf8')) as { definitions: { duration: { pattern: string } } };
  const chartPattern = new RegExp(schema.definitions.duration.pattern);

  it.each(['300ms', '90s', '10m', '1h30m', '1.5h', '7d', '2w', '1d12h', '0s', '1 hour', '1y', '7D', '', '-1h', '5'])('agrees with parseDuration on %j', (text) => {
    expect(chartPattern.test(text)).toBe(parseDuration(text) !== undefined);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [300, '300ms'],
    [2_000, '2s'],
    [90_000, '1m30s'],
    [600_000, '10m'],
    [5_400_000, '1h30m'],
  ])('%d ms is %s, which parseDuration reads back', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});
