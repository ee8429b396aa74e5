import { describe, expect, it } from 'vitest';
import { shouldColor } from './color.ts';

describe('shouldColor', () => {
  it('follows the terminal unless NO_COLOR or FORCE_COLOR says otherwise', () => {
    expect(shouldColor({}, true)).toBe(true);
    expect(shouldColor({}, false)).toBe(false);
    expect(shouldColor({ NO_COLOR: '1' }, true)).toBe(false);
    expect(shouldColor({ NO_COLOR: '' }, true)).toBe(true);
    expect(shouldColor({ FORCE_COLOR: '1' }, false)).toBe(true);
    expect(shouldColor({ FORCE_COLOR: '0' }, true)).toBe(false);
    expect(shouldColor({ FORCE_COLOR: '1', NO_COLOR: '1' }, false)).toBe(true);
  });
});
