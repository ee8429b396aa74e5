import { describe, expect, it } from 'vitest';
import { SharedValues, StringPool } from './interning.ts';

describe('StringPool', () => {
  it('gives back the value it was given with the same content, and leaves frozen and other objects alone', () => {
    const pool = new StringPool(2);
    const created = new Date('2026-12-07T00:00:00Z');
    const frozen = Object.freeze({ type: 'Ready' });
    const value = { kind: 'Service', labels: { app: 'orders' }, items: [{ type: 'Ready', status: 'True' }, 3, null, true, frozen], created, long: 'x'.repeat(300) };
    const before = structuredClone(value);
    const interned = pool.internStrings(value);
    expect(interned).toBe(value);
    expect(interned).toEqual(before);
    expect(interned.created).toBe(created);
    expect(interned.items[4]).toBe(frozen);
    expect(pool.internStrings('Ready')).toBe('Ready');
  });
});

describe('SharedValues', () => {
  it('gives equal values one frozen copy and unequal ones their own', () => {
    const shared = new SharedValues();
    const first = shared.shared([{ manager: 'kubectl', fieldsV1: { 'f:spec': { 'f:template': {} } } }]);
    const equal = shared.shared([{ manager: 'kubectl', fieldsV1: { 'f:spec': { 'f:template': {} } } }]);
    const other = shared.shared([{ manager: 'argocd-controller', fieldsV1: { 'f:spec': { 'f:template': {} } } }]);
    expect(equal).toBe(first);
    expect(other).not.toBe(first);
    expect(other).toEqual([{ manager: 'argocd-controller', fieldsV1: { 'f:spec': { 'f:template': {} } } }]);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first[0]!.fieldsV1['f:spec'])).toBe(true);
    expect(() => {
      (first as Array<{ manager: string }>)[0]!.manager = 'changed';
    }).toThrow(TypeError);
  });
});
