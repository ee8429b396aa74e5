import { describe, expect, it } from 'vitest';
import { applyJsonPatch, parsePointer } from './jsonPatch.ts';

describe('applyJsonPatch', () => {
  it('applies add, replace, remove and test in order without touching the input', () => {
    const input = { a: { b: [1, 2] }, 'c/d': 1 };
    const outcome = applyJsonPatch(input, [
      { op: 'test', path: '/c~1d', value: 1 },
      { op: 'add', path: '/a/b/-', value: 3 },
      { op: 'add', path: '/a/b/0', value: 0 },
      { op: 'remove', path: '/a/b/1' },
      { op: 'replace', path: '/c~1d', value: 2 },
      { op: 'add', path: '/m/n', value: true },
    ]);
    expect(outcome).toEqual({ ok: true, value: { a: { b: [0, 2, 3] }, 'c/d': 2, m: { n: true } } });
    expect(input).toEqual({ a: { b: [1, 2] }, 'c/d': 1 });
  });

  it('refuses on a failed test, a missing target, a list index out of range or a leading zero', () => {
    expect(applyJsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }])).toEqual({ ok: false, reason: 'test /a: expected 2, found 1' });
    expect(applyJsonPatch({ a: 1 }, [{ op: 'remove', path: '/b' }]).ok).toBe(false);
    expect(applyJsonPatch({ a: [1] }, [{ op: 'replace', path: '/a/1', value: 2 }]).ok).toBe(false);
    expect(applyJsonPatch({ a: [1, 2] }, [{ op: 'replace', path: '/a/01', value: 2 }]).ok).toBe(false);
    expect(applyJsonPatch({ a: [] }, [{ op: 'add', path: '/a/0/b', value: 2 }]).ok).toBe(false);
  });

  it('parses RFC 6901 pointers', () => {
    expect(parsePointer('/a~1b/~0c/0')).toEqual(['a/b', '~c', '0']);
    expect(parsePointer('')).toEqual([]);
    expect(parsePointer('a')).toBeUndefined();
  });
});
