import { describe, expect, it } from 'vitest';
import { escapePointerSegment, mergeFragments, replaceFlagValue } from './fixes.ts';

const WORKERS = { long: '--workers', short: '-w' };
const TIMEOUT = { long: '--timeout', short: '-t' };

describe('replaceFlagValue', () => {
  it('rewrites every spelling of a flag in shell and exec-form text', () => {
    expect(replaceFlagValue('gunicorn --workers 4 app', WORKERS, '2')).toBe('gunicorn --workers 2 app');
    expect(replaceFlagValue('gunicorn --workers=4 app', WORKERS, '2')).toBe('gunicorn --workers=2 app');
    expect(replaceFlagValue('gunicorn -w 4 app', WORKERS, '2')).toBe('gunicorn -w 2 app');
    expect(replaceFlagValue('gunicorn -w4 app', WORKERS, '2')).toBe('gunicorn -w2 app');
    expect(replaceFlagValue('CMD ["gunicorn", "-t", "30", "app"]', TIMEOUT, '0')).toBe('CMD ["gunicorn", "-t", "0", "app"]');
    expect(replaceFlagValue("CMD ['gunicorn','--timeout','30']", TIMEOUT, '0')).toBe("CMD ['gunicorn','--timeout','0']");
  });

  it('changes the last occurrence only, after the given offset', () => {
    expect(replaceFlagValue('gunicorn -w 1 -w 3 app', WORKERS, '2')).toBe('gunicorn -w 1 -w 2 app');
    const text = 'uwsgi -w main && gunicorn -w 4 app';
    expect(replaceFlagValue(text, WORKERS, '2', text.indexOf('gunicorn'))).toBe('uwsgi -w main && gunicorn -w 2 app');
  });

  it('does not take other flags for it', () => {
    expect(replaceFlagValue('gunicorn --worker-class gthread --worker-connections 10 app', WORKERS, '2')).toBeUndefined();
    expect(replaceFlagValue('gunicorn --timeout-keep-alive 5 app', TIMEOUT, '0')).toBeUndefined();
    expect(replaceFlagValue('gunicorn -wsgi app', WORKERS, '2')).toBeUndefined();
  });
});

describe('mergeFragments', () => {
  it('merges maps and named lists by name, and replaces anything else', () => {
    const a = { spec: { containers: [{ name: 'app', env: [{ name: 'A', value: '1' }] }], args: ['x'] } };
    const b = { spec: { containers: [{ name: 'app', env: [{ name: 'B', value: '2' }] }, { name: 'side', image: 'i' }], args: ['y'] } };
    expect(mergeFragments(a, b)).toEqual({
      spec: { containers: [{ name: 'app', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }, { name: 'side', image: 'i' }], args: ['y'] },
    });
  });
});

describe('escapePointerSegment', () => {
  it('escapes ~ and / as RFC 6901 says', () => {
    expect(escapePointerSegment('run.googleapis.com/cpu-throttling')).toBe('run.googleapis.com~1cpu-throttling');
    expect(escapePointerSegment('a~b/c')).toBe('a~0b~1c');
  });
});
