import { describe, expect, it } from 'vitest';
import { unifiedDiff } from './diff.ts';

describe('unifiedDiff', () => {
  it('writes zero-context hunks per file, shifting later hunks by the lines earlier ones added', () => {
    const diff = unifiedDiff([
      { file: 'Dockerfile', line: 9, before: 'CMD a', after: 'CMD b' },
      { file: 'Dockerfile', line: 3, before: 'ENV A=1', after: 'ENV A=1\nENV B=2' },
      { file: 'Procfile', line: 1, before: 'web: x', after: 'web: y' },
    ]);
    expect(diff).toBe(
      [
        '--- Dockerfile',
        '+++ Dockerfile',
        '@@ -3 +3,2 @@',
        '-ENV A=1',
        '+ENV A=1',
        '+ENV B=2',
        '@@ -9 +10 @@',
        '-CMD a',
        '+CMD b',
        '--- Procfile',
        '+++ Procfile',
        '@@ -1 +1 @@',
        '-web: x',
        '+web: y',
        '',
      ].join('\n'),
    );
  });

  it('writes a pure insertion and a pure deletion with a zero-length side', () => {
    expect(unifiedDiff([{ file: 'f', line: 4, before: '', after: 'new' }])).toBe('--- f\n+++ f\n@@ -3,0 +4 @@\n+new\n');
    expect(unifiedDiff([{ file: 'f', line: 4, before: 'old', after: '' }])).toBe('--- f\n+++ f\n@@ -4 +3,0 @@\n-old\n');
  });
});
