import { describe, expect, it } from 'vitest';
import { DURATION_PATTERN, parseDuration } from './duration.ts';

describe('parseDuration', () => {
  it.each([
    ['300ms', 300],
    ['1.5s', 1500],
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['7d', 604_800_000],
    ['2w', 1_209_600_000],
    ['1d12h', 129_600_000],
    ['0', 0],
    ['0s', 0],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['1 hour', '1y', '', '-1h', 'h', '1h ', '5', '7D'])('refuses %j, as the CRD pattern does', (text) => {
    expect(parseDuration(text)).toBeUndefined();
    expect(DURATION_PATTERN.test(text)).toBe(false);
  });
});
