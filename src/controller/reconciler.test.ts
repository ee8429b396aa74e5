import { describe, expect, it } from 'vitest';
import { forbiddenRetryMs } from './reconciler.ts';

describe('forbiddenRetryMs', () => {
  it('retries a refused write after 2 s, doubling each time it is refused again, never later than 30 s or the resync', () => {
    const resync = 600_000;
    expect([1, 2, 3, 4, 5].map((streak) => forbiddenRetryMs(streak, resync))).toEqual([2_000, 4_000, 8_000, 16_000, 30_000]);
    // However long it has been refused, a grant is found within 30 s.
    expect(forbiddenRetryMs(9, resync)).toBe(30_000);
    expect(forbiddenRetryMs(1_000, resync)).toBe(30_000);
    expect(forbiddenRetryMs(1, 1_000)).toBe(1_000);
  });
});
