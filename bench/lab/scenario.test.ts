import { describe, expect, it } from 'vitest';
import { BUCKET_LAYOUTS, outcomeOf } from './scenario.ts';

describe('outcomeOf', () => {
  it('medians of the repetitions, their spread and the pooled error rate', () => {
    const runs = [
      { throughput: 100, p95: 0.05, requests: 200, errorRate: 0 },
      { throughput: 90, p95: 0.06, requests: 180, errorRate: 0.01 },
      { throughput: 120, p95: 0.055, requests: 240, errorRate: 0 },
    ];
    expect(outcomeOf(runs)).toEqual({ throughput: 100, p95: 0.055, errorRate: 1.8 / 620, repetitions: 3, throughputSpread: 0.2, p95Spread: expect.closeTo(0.0909, 3) });
  });
});

describe('BUCKET_LAYOUTS', () => {
  it("Knative's documented layout first (the table's), then the fine one reaching beyond the wrk timeout", () => {
    expect(BUCKET_LAYOUTS.map((b) => b.name)).toEqual(['knative', 'exponential']);
    expect(BUCKET_LAYOUTS[0].bounds.slice(0, 8)).toEqual([0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15]);
    expect(BUCKET_LAYOUTS[1].bounds.at(-1)).toBeGreaterThan(10);
  });
});
