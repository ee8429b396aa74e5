import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fnv1a32, ownsNamespace, SINGLE_SHARD, shardLabel, shardLeaseName, shardOf, shardProblem } from './shard.ts';

describe('fnv1a32', () => {
  it('matches the published FNV-1a 32-bit test vectors', () => {
    // From the FNV reference test suite (fnv_test.c, "FNV-1a 32 bit"): "", "a", "foobar".
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('hashes UTF-8 bytes, not UTF-16 code units', () => {
    // Computed independently with Python over 'café'.encode('utf-8').
    expect(fnv1a32('café')).toBe(0xa82b5049);
  });
});

describe('shardOf', () => {
  it('assigns fixed namespaces to fixed shards (a change here reshuffles every installation)', () => {
    expect([shardOf('default', 3), shardOf('kube-system', 3), shardOf('shop', 3), shardOf('a', 3)]).toEqual([0, 2, 2, 1]);
  });

  it('gives every namespace exactly one owner among the shards', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 63 }), fc.integer({ min: 1, max: 16 }), (namespace, total) => {
        const owners = Array.from({ length: total }, (_, index) => index).filter((index) => ownsNamespace({ index, total }, namespace));
        expect(owners).toEqual([shardOf(namespace, total)]);
      }),
    );
  });

  it('spreads many namespaces evenly over three shards', () => {
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[shardOf(`team-${i}`, 3)]!++;
    for (const count of counts) expect(count).toBeGreaterThan(900);
  });
});

describe('ownsNamespace', () => {
  it('owns everything as the single shard', () => {
    expect(ownsNamespace(SINGLE_SHARD, 'kube-system')).toBe(true);
    expect(ownsNamespace(SINGLE_SHARD, 'shop')).toBe(true);
  });

  it('owns only its own namespaces as one of several', () => {
    expect(ownsNamespace({ index: 2, total: 3 }, 'shop')).toBe(true);
    expect(ownsNamespace({ index: 0, total: 3 }, 'shop')).toBe(false);
    expect(ownsNamespace({ index: 1, total: 3 }, 'shop')).toBe(false);
  });
});

describe('shardLeaseName', () => {
  it('keeps the base name for one shard and suffixes the index for several', () => {
    expect(shardLeaseName('pytuner-controller', SINGLE_SHARD)).toBe('pytuner-controller');
    expect(shardLeaseName('pytuner-controller', { index: 2, total: 3 })).toBe('pytuner-controller-shard-2');
  });
});

describe('shardProblem', () => {
  it('accepts an index below the total', () => {
    expect(shardProblem({ index: 0, total: 1 })).toBeUndefined();
    expect(shardProblem({ index: 2, total: 3 })).toBeUndefined();
  });

  it('names the flag and the range for an index out of range or a bad total', () => {
    expect(shardProblem({ index: 3, total: 3 })).toBe('--shard must be a whole number from 0 to 2 (--total-shards 3), got 3');
    expect(shardProblem({ index: -1, total: 3 })).toBe('--shard must be a whole number from 0 to 2 (--total-shards 3), got -1');
    expect(shardProblem({ index: 0, total: 0 })).toBe('--total-shards must be a whole number >= 1, got 0');
  });
});

describe('shardLabel', () => {
  it('names a shard as index/total', () => {
    expect(shardLabel({ index: 1, total: 3 })).toBe('1/3');
  });
});
