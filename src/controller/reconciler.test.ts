import { describe, expect, it } from 'vitest';
import { forbiddenRetryMs } from './reconciler.ts';

describe('forbiddenRetryMs', () => {
  it('retries a refused write after 2 s, doubling each time it is refused again, never later than the resync', () => {
    const resync = 600_000;
    expect([1, 2, 3, 4, 5].map((streak) => forbiddenRetryMs(streak, resync))).toEqual([2_000, 4_000, 8_000, 16_000, 32_000]);
    expect(forbiddenRetryMs(9, resync)).toBe(512_000);
    expect(forbiddenRetryMs(10, resync)).toBe(resync);
    expect(forbiddenRetryMs(1_000, resync)).toBe(resync);
    expect(forbiddenRetryMs(1, 1_000)).toBe(1_000);
  });
});
