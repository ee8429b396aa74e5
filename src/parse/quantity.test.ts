import { describe, expect, it } from 'vitest';
import { parseCpuQuantity } from './quantity.ts';

describe('parseCpuQuantity', () => {
  it.each([
    ['500m', 0.5],
    ['100m', 0.1],
    ['1000m', 1],
    ['250m', 0.25],
    ['2', 2],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['0', 0],
    ['1k', 1000],
    ['2e0', 2],
    ['5e-1', 0.5],
    ['1Ki', 1024],
    ['500000u', 0.5],
    [' 4 ', 4],
  ] as const)('%s is %s vCPU', (quantity, vcpu) => {
    expect(parseCpuQuantity(quantity)).toBe(vcpu);
  });

  it('reads YAML numbers', () => {
    expect(parseCpuQuantity(1)).toBe(1);
    expect(parseCpuQuantity(0.25)).toBe(0.25);
  });

  it.each(['two', '', '-1', '1.2.3', '500 m', '1mi', 'm'])('rejects %j', (quantity) => {
    expect(parseCpuQuantity(quantity)).toBeUndefined();
  });

  it('rejects negative and non-finite numbers', () => {
    expect(parseCpuQuantity(-1)).toBeUndefined();
    expect(parseCpuQuantity(Number.POSITIVE_INFINITY)).toBeUndefined();
  });
});
