import { describe, expect, it } from 'vitest';
import type { Probe, RequestCost, ShapeFamily } from './search.ts';
import { DEFAULT_EDGE, configKey, configOf, describeConfig, edgeSearch, familyOfConfig, searchOrder, sweepFamilies, upperBound } from './search.ts';

/** A server that meets the objective up to `edge` in flight, serving `perRequest` req/s per request in flight. */
function threshold(edge: number, perRequest = 10) {
  const probed: number[] = [];
  const probe = async (c: number): Promise<Probe> => {
    probed.push(c);
    return c <= edge ? { meets: true, score: c * perRequest } : { meets: false, score: 0 };
  };
  return { probe, probed };
}

describe('edgeSearch', () => {
  it.each([
    [2, 4],
    [5, 4],
    [13, 4],
    [40, 4],
    [3, 30],
  ])('finds edge %i from a start of %i exactly at small values, within the resolution above', async (edge, start) => {
    const { probe } = threshold(edge);
    const result = await edgeSearch(probe, { ...DEFAULT_EDGE, start });
    expect(result.largestMeeting).toBeLessThanOrEqual(edge);
    expect(edge - result.largestMeeting).toBeLessThanOrEqual(Math.max(0, Math.floor(edge * DEFAULT_EDGE.resolution)));
    expect(result.smallestMissing).toBeGreaterThan(edge);
  });

  it('steps ×1.5 up from the start, then bisects: edge 13 from 4 probes 4 6 9 14 11 12 13', async () => {
    const { probe, probed } = threshold(13);
    const result = await edgeSearch(probe, { max: 256, stepFactor: 1.5, resolution: 0, start: 4 });
    expect(probed).toEqual([4, 6, 9, 14, 11, 12, 13]);
    expect(result).toEqual({ largestMeeting: 13, smallestMissing: 14, probed });
  });

  it('steps down when the start misses, and reports 1 when even 2 misses (1 is never probed)', async () => {
    const { probe, probed } = threshold(1);
    expect(await edgeSearch(probe, { ...DEFAULT_EDGE, start: 9 })).toEqual({ largestMeeting: 1, smallestMissing: 2, probed: [9, 6, 4, 3, 2] });
    expect(probed).not.toContain(1);
  });

  it('stops at max when everything meets', async () => {
    const { probe } = threshold(1000);
    expect(await edgeSearch(probe, { max: 20, stepFactor: 2, resolution: 0.15, start: 4 })).toEqual({ largestMeeting: 20, probed: [4, 8, 16, 20] });
  });
});

describe('configurations', () => {
  it('sets threads by rule: sync 1, cover = concurrency, split = concurrency / workers, async 0; gthread at least 2', () => {
    expect(configOf({ workers: 3, rule: 'sync' }, 7)).toEqual({ workers: 3, threads: 1, concurrency: 7 });
    expect(configOf({ workers: 2, rule: 'cover' }, 12)).toEqual({ workers: 2, threads: 12, concurrency: 12 });
    expect(configOf({ workers: 2, rule: 'cover' }, 1)).toEqual({ workers: 2, threads: 2, concurrency: 1 });
    expect(configOf({ workers: 2, rule: 'split' }, 13)).toEqual({ workers: 2, threads: 7, concurrency: 13 });
    expect(configOf({ workers: 4, rule: 'async' }, 40)).toEqual({ workers: 4, threads: 0, concurrency: 40 });
  });

  it('tells the family of a configuration', () => {
    expect(familyOfConfig({ workers: 2, threads: 0, concurrency: 40 })).toEqual({ workers: 2, rule: 'async' });
    expect(familyOfConfig({ workers: 4, threads: 1, concurrency: 4 })).toEqual({ workers: 4, rule: 'sync' });
    expect(familyOfConfig({ workers: 2, threads: 186, concurrency: 186 })).toEqual({ workers: 2, rule: 'cover' });
    expect(familyOfConfig({ workers: 2, threads: 68, concurrency: 135 })).toEqual({ workers: 2, rule: 'split' });
  });

  it('names and keys them', () => {
    expect(configKey({ workers: 2, threads: 12, concurrency: 12 })).toBe('2x12@12');
    expect(describeConfig({ workers: 2, threads: 12, concurrency: 12 })).toBe('2 × 12 threads, cc 12');
    expect(describeConfig({ workers: 3, threads: 1, concurrency: 3 })).toBe('3 sync, cc 3');
    expect(describeConfig({ workers: 1, threads: 0, concurrency: 40 })).toBe('1 worker (async), cc 40');
  });
});

describe('upper bounds and order', () => {
  const cost: RequestCost = { cpuSecondsPerRequest: 0.01, baselineLatency: 0.05, vcpus: 2 };

  it('GIL bound min(workers, vCPU) / CPU; sync also workers / latency', () => {
    expect(upperBound({ workers: 1, rule: 'cover' }, cost)).toBeCloseTo(100, 9);
    expect(upperBound({ workers: 4, rule: 'cover' }, cost)).toBeCloseTo(200, 9);
    expect(upperBound({ workers: 4, rule: 'sync' }, cost)).toBeCloseTo(80, 9);
  });

  it('searches the highest bound first, fewer workers first among equals', () => {
    const families: ShapeFamily[] = [{ workers: 4, rule: 'sync' }, { workers: 3, rule: 'cover' }, { workers: 1, rule: 'cover' }, { workers: 2, rule: 'cover' }];
    expect(searchOrder(families, cost)).toEqual([{ workers: 2, rule: 'cover' }, { workers: 3, rule: 'cover' }, { workers: 1, rule: 'cover' }, { workers: 4, rule: 'sync' }]);
  });
});

describe('sweepFamilies', () => {
  const cost: RequestCost = { cpuSecondsPerRequest: 0.01, baselineLatency: 0.05, vcpus: 2 };

  it('skips a family whose bound × 1.2 is below the best score, and starts each search at the previous edge', async () => {
    const starts: number[] = [];
    const results = await sweepFamilies(
      [{ workers: 2, rule: 'cover' }, { workers: 1, rule: 'sync' }],
      cost,
      async (family, c) => {
        if (family.rule === 'cover') return c <= 12 ? { meets: true, score: 150 } : { meets: false, score: 0 };
        starts.push(c);
        return { meets: false, score: 0 };
      },
      { ...DEFAULT_EDGE, firstStart: 4 },
    );
    expect(results[0]).toMatchObject({ family: { workers: 2, rule: 'cover' }, edge: { largestMeeting: 12 } });
    // 1 sync: bound min(1/0.01, 1/0.05) = 20 req/s, 24 with the allowance, below 150.
    expect(results[1]).toEqual({ family: { workers: 1, rule: 'sync' }, skipped: { family: { workers: 1, rule: 'sync' }, bound: 20, best: 150 } });
    expect(starts).toEqual([]);
  });

  it('stop() ends the sweep before the next family', async () => {
    let calls = 0;
    const results = await sweepFamilies(
      [{ workers: 1, rule: 'cover' }, { workers: 2, rule: 'cover' }],
      cost,
      async () => {
        calls++;
        return { meets: false, score: 0 };
      },
      { ...DEFAULT_EDGE, firstStart: 2, stop: () => calls > 0 },
    );
    expect(results).toHaveLength(1);
    expect(calls).toBe(1);
  });
});
