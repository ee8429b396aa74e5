import { describe, expect, it } from 'vitest';
import { bucketCounts, countOf, median, meanOf, meetsObjective, quantile, ratioTo, relativeSpread, scoreAtObjective } from './stats.ts';

// 100 requests: 90 at 10 ms, 5 at 20 ms, 4 at 40 ms, 1 at 100 ms.
const RECORD = [
  { seconds: 0.01, count: 90 },
  { seconds: 0.02, count: 5 },
  { seconds: 0.04, count: 4 },
  { seconds: 0.1, count: 1 },
];

describe('quantile (nearest rank)', () => {
  it('p50 and p90 fall on the first value, p95 on the 95th request, p99 on the 99th', () => {
    expect(quantile(RECORD, 0.5)).toBe(0.01);
    expect(quantile(RECORD, 0.9)).toBe(0.01);
    expect(quantile(RECORD, 0.91)).toBe(0.02);
    expect(quantile(RECORD, 0.95)).toBe(0.02);
    expect(quantile(RECORD, 0.96)).toBe(0.04);
    expect(quantile(RECORD, 0.99)).toBe(0.04);
    expect(quantile(RECORD, 1)).toBe(0.1);
  });

  it('is undefined for an empty record', () => {
    expect(quantile([], 0.95)).toBeUndefined();
  });
});

describe('meanOf and countOf', () => {
  it('weights each latency by its count', () => {
    expect(countOf(RECORD)).toBe(100);
    expect(meanOf(RECORD)).toBeCloseTo((0.9 + 0.1 + 0.16 + 0.1) / 100, 12);
    expect(meanOf([])).toBeUndefined();
  });
});

describe('bucketCounts', () => {
  it('counts per bucket with le semantics, then +Inf', () => {
    expect(bucketCounts(RECORD, [0.01, 0.02, 0.05])).toEqual([90, 5, 4, 1]);
    expect(bucketCounts(RECORD, [0.005])).toEqual([0, 100]);
  });
});

describe('median and relativeSpread', () => {
  it('median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeUndefined();
  });

  it('spread is the largest distance from the median, relative to it', () => {
    expect(relativeSpread([100, 90, 120])).toBeCloseTo(0.2, 12);
    expect(relativeSpread([5])).toBe(0);
  });
});

describe('score at the objective', () => {
  it('is the throughput when p95 and errors are within limits, else 0', () => {
    expect(meetsObjective({ p95: 0.1, errorRate: 0 }, 0.1)).toBe(true);
    expect(scoreAtObjective({ throughput: 50, p95: 0.1, errorRate: 0 }, 0.1)).toBe(50);
    expect(scoreAtObjective({ throughput: 50, p95: 0.1001, errorRate: 0 }, 0.1)).toBe(0);
    expect(scoreAtObjective({ throughput: 50, p95: 0.05, errorRate: 0.002 }, 0.1)).toBe(0);
  });

  it('ratios are rounded to 3 digits, 0 without a best', () => {
    expect(ratioTo(2, 3)).toBe(0.667);
    expect(ratioTo(5, 0)).toBe(0);
  });
});
