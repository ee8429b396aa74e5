import { describe, expect, it } from 'vitest';
import { SharedValues, StringPool } from './interning.ts';

describe('StringPool', () => {
  it('copies a JSON value with the same content, new objects and arrays, and keeps other objects as they are', () => {
    const pool = new StringPool(2);
    const created = new Date('2026-12-07T00:00:00Z');
    const value = { kind: 'Service', labels: { app: 'orders' }, items: [{ type: 'Ready', status: 'True' }, 3, null, true], created, long: 'x'.repeat(300) };
    const copy = pool.internedCopy(value);
    expect(copy).toEqual(value);
    expect(copy).not.toBe(value);
    expect(copy.labels).not.toBe(value.labels);
    expect(copy.items[0]).not.toBe(value.items[0]);
    expect(copy.created).toBe(created);
    expect(pool.internedCopy('Ready')).toBe('Ready');
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
