import { describe, expect, it } from 'vitest';
import type { PytunerAnswer } from './pytuner.ts';
import type { PytunerRun, RatedSetting, ScenarioResult } from './results.ts';
import { bestOfShape, capacityRows, isNoisy, markdownTable, ms, tableRows, textTable } from './results.ts';

const outcome = (throughput: number, p95: number, spread = 0.02) => ({ throughput, p95, errorRate: 0, repetitions: 3, throughputSpread: spread, p95Spread: spread });
const rated = (name: string, config: RatedSetting['config'], throughput: number, p95: number, score: number, ratio: number, spread = 0.02): RatedSetting => ({ name, config, outcome: outcome(throughput, p95, spread), score, ratio });

function answer(confidence: string): PytunerAnswer {
  return { containerConcurrency: { value: 40, target: 2, changed: true }, workers: { value: 2, target: 2, changed: true }, threads: { value: 1, target: 1, changed: true }, confidence, messages: [], withheld: [], derivations: [] };
}

function scenario(overrides: Partial<ScenarioResult> = {}): ScenarioResult {
  const oracle = rated('candidate', { workers: 2, threads: 1, concurrency: 2 }, 62.5, 0.045, 62.5, 1);
  return {
    scenario: 'cpu-bound',
    summary: 's',
    objectiveSeconds: 0.0497,
    baseline: { p95s: [0.033], meanLatency: 0.031, p50: 0.031, p95: 0.033, cpuSecondsPerRequest: 0.031 },
    day: [],
    pytuner: [
      { buckets: 'Knative: real queue-proxy, autoscaler, Prometheus', answer: answer('high'), config: oracle.config, firstStep: { workers: 2, threads: 1, concurrency: 40 }, withheld: false, rated: { ...oracle, name: 'pytuner (Knative)' }, shapeAtEdge: { concurrency: 2, throughput: 61, ratio: 0.976 } },
      { buckets: 'Cloud Run backfill, knative buckets', answer: answer('high'), config: { workers: 2, threads: 1, concurrency: 1 }, withheld: false, rated: rated('pytuner (Cloud Run backfill, knative buckets)', { workers: 2, threads: 1, concurrency: 1 }, 31.2, 0.03, 31.2, 0.5) },
      { buckets: 'Cloud Run backfill, exponential buckets', answer: answer('medium'), config: { workers: 3, threads: 1, concurrency: 3 }, withheld: false, rated: rated('pytuner (exponential buckets)', { workers: 3, threads: 1, concurrency: 3 }, 60, 0.06, 0, 0) },
    ],
    sweep: { results: [], points: [], cutShort: false },
    oracle,
    defaults: [rated('Cloud Run 80, gunicorn 1×8', { workers: 1, threads: 8, concurrency: 80 }, 30, 2.6, 0, 0), rated('cc 8, gunicorn 1×8', { workers: 1, threads: 8, concurrency: 8 }, 31, 0.27, 0, 0)],
    repeated: [],
    capacity: [
      { name: 'cc 1', config: { workers: 1, threads: 8, concurrency: 1 }, instances: 40, p95: 0.048, meanLatency: 0.03, runs: 3 },
      { name: 'cc 80', config: { workers: 1, threads: 8, concurrency: 80 }, p95: 9, meanLatency: 5, runs: 12 },
      { name: 'pytuner', config: { workers: 2, threads: 1, concurrency: 2 }, instances: 21, p95: 0.049, meanLatency: 0.035, runs: 4 },
    ],
    calibration: { cpuSeconds: 0.0312, ioSeconds: 0.0004, cv: 0.05, vcpus: 2 },
    calibrationChecks: [],
    backgroundCores: 0.1,
    seconds: 100,
    notes: [],
    ...overrides,
  };
}

describe('tableRows', () => {
  it('one row per scenario: objective, oracle with its throughput, pytuner on the Knative path with its confidence, the backfilled day with both bucket layouts, the defaults', () => {
    const rows = tableRows([scenario()]);
    expect(rows[0]).toEqual(['scenario', 'objective p95', 'oracle (brute force)', "pytuner's setting", 'pytuner / oracle', "pytuner's shape at its measured edge / oracle", 'pytuner, Cloud Run backfill / oracle', 'pytuner, fine buckets / oracle', 'Cloud Run 80, gunicorn 1×8 / oracle', 'cc 8, gunicorn 1×8 / oracle']);
    expect(rows[1]).toEqual([
      'cpu-bound',
      '50 ms',
      '2 sync, cc 2 (62.5 req/s)',
      '2 sync, cc 2 [high]',
      '1.00',
      '0.98 (cc 2)',
      '0.50: 2 sync, cc 1 [high]',
      '0.00 (p95 60 ms, 1.21× the objective): 3 sync, cc 3 [medium]',
      '0.00 (p95 2.6 s, 52.31× the objective)',
      '0.00 (p95 270 ms, 5.43× the objective)',
    ]);
  });

  it("a column for Knative 1.18's queue-proxy (knative-legacy) when a scenario measured its day, 'not asked' in the others", () => {
    const base = scenario();
    const legacy: PytunerRun = { buckets: 'Knative 1.18, knative-legacy profile (v0.45.1): real queue-proxy, autoscaler, Prometheus', answer: answer('medium'), config: { workers: 2, threads: 1, concurrency: 4 }, withheld: false, rated: rated('pytuner (Knative 1.18)', { workers: 2, threads: 1, concurrency: 4 }, 58, 0.047, 58, 0.93) };
    const withLegacy = { ...base, pytuner: [base.pytuner[0]!, legacy, ...base.pytuner.slice(1)] };
    const rows = tableRows([withLegacy, { ...base, scenario: 'io-bound' }]);
    expect(rows[0]!.slice(5, 9)).toEqual(["pytuner's shape at its measured edge / oracle", 'pytuner, Knative 1.18 queue-proxy (knative-legacy) / oracle', 'pytuner, Cloud Run backfill / oracle', 'pytuner, fine buckets / oracle']);
    expect(rows[1]!.slice(6, 8)).toEqual(['0.93: 2 sync, cc 4 [medium]', '0.50: 2 sync, cc 1 [high]']);
    expect(rows[2]!.slice(6, 8)).toEqual(['not asked', '0.50: 2 sync, cc 1 [high]']);
  });

  it('marks a ratio ~ when the repetitions were noisy', () => {
    const base = scenario();
    const noisy: PytunerRun = { ...base.pytuner[0]!, rated: rated('pytuner', { workers: 3, threads: 1, concurrency: 3 }, 60, 0.049, 60, 0.96, 0.2) };
    expect(tableRows([{ ...base, pytuner: [noisy] }])[1]![4]).toBe('~0.96');
  });

  it('says so when nothing meets the objective, pytuner failed or withheld everything', () => {
    const { oracle: _oracle, ...rest } = scenario();
    const row = tableRows([{ ...rest, pytuner: [{ buckets: 'knative', error: 'boom', withheld: false }] }])[1]!;
    expect(row.slice(2, 7)).toEqual(['none meets the objective', 'failed', 'not measured', 'not swept', 'not asked']);
    const withheld: PytunerRun = { buckets: 'knative', config: { workers: 1, threads: 8, concurrency: 80 }, withheld: true };
    expect(tableRows([{ ...rest, pytuner: [withheld] }])[1]![3]).toBe('withheld (keeps 1 × 8 threads, cc 80)');
  });
});

describe('capacityRows', () => {
  it('instances per setting with their p95, and a fleet beyond the search limit', () => {
    expect(capacityRows([scenario()])[1]).toEqual(['cpu-bound', 'CPU 31.2 ms + I/O 0.4 ms, cv 0.05', '40 (p95 48 ms)', 'over 4000', '21 (p95 49 ms)']);
  });
});

describe('formatting', () => {
  it('markdown and text tables', () => {
    const rows = [['a', 'b|c'], ['1', '22']];
    expect(markdownTable(rows)).toBe('| a | b\\|c |\n| --- | --- |\n| 1 | 22 |');
    expect(textTable(rows)).toBe('a  b|c\n1  22');
  });

  it('ms and noise', () => {
    expect(ms(0.0497)).toBe('50 ms');
    expect(ms(2.6)).toBe('2.6 s');
    expect(isNoisy({ repetitions: 3, throughputSpread: 0.11, p95Spread: 0 })).toBe(true);
    expect(isNoisy({ repetitions: 3, throughputSpread: 0.05, p95Spread: 0.15 })).toBe(false);
    expect(isNoisy({ repetitions: 1, throughputSpread: 1, p95Spread: 1 })).toBe(false);
  });
});

describe('bestOfShape', () => {
  const point = (workers: number, rule: 'sync' | 'cover', concurrency: number, throughput: number, p95: number) => ({
    family: { workers, rule },
    serverThreads: rule === 'sync' ? 1 : 256,
    measurement: { config: { workers, threads: rule === 'sync' ? 1 : concurrency, concurrency }, seconds: 2, requests: 100, throughput, meanLatency: p95, p50: p95, p95, p99: p95, errors: { connect: 0, read: 0, write: 0, status: 0, timeout: 0 }, errorRate: 0, cpuSecondsPerRequest: 0.01, serverCores: 1, loadGeneratorCores: 0, backgroundCores: 0 },
  });
  const points = [point(2, 'cover', 8, 100, 0.05), point(2, 'cover', 12, 140, 0.07), point(2, 'cover', 16, 150, 0.09), point(2, 'sync', 8, 200, 0.05)];

  it('the best point of the same shape that met the objective at or below the concurrency', () => {
    expect(bestOfShape(points, { workers: 2, rule: 'cover' }, 20, 0.08)?.throughput).toBe(140);
    expect(bestOfShape(points, { workers: 2, rule: 'cover' }, 10, 0.08)?.throughput).toBe(100);
    expect(bestOfShape(points, { workers: 3, rule: 'cover' }, 20, 0.08)).toBeUndefined();
  });
});
