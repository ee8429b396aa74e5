import { describe, expect, it } from 'vitest';
import type { Evidence } from '../evidence.ts';
import type { DetectEnv } from './detect.ts';
import { shellWords } from './detect.ts';
import { shellScript } from './shell.ts';
import { displayWord } from './words.ts';

const AT: Evidence = { source: 'manifest', file: 'service.yaml', line: 20, field: 'env' };

function env(vars: Record<string, string | undefined>): DetectEnv {
  return new Map(Object.entries(vars).map(([name, value]) => [name, value === undefined ? { evidence: AT } : { value, evidence: AT }]));
}

describe('shellWords', () => {
  const rows: Array<[string, string, DetectEnv | undefined, string[]]> = [
    ['plain words', 'gunicorn -w 4 main:app', undefined, ['gunicorn', '-w', '4', 'main:app']],
    ['$PORT is kept', 'gunicorn --bind :$PORT main:app', undefined, ['gunicorn', '--bind', ':$PORT', 'main:app']],
    ['$PORT is expanded from env', 'gunicorn --bind :$PORT main:app', env({ PORT: '8080' }), ['gunicorn', '--bind', ':8080', 'main:app']],
    ['a variable set from a ref is kept', '--threads $T', env({ T: undefined }), ['--threads', '$T']],
    ['${T:-8} is kept', '--threads ${T:-8}', undefined, ['--threads', '${T:-8}']],
    ['${T:-8} with T unset', '--threads ${T:-8}', env({}), ['--threads', '8']],
    ['${T:-8} with T=2', '--threads ${T:-8}', env({ T: '2' }), ['--threads', '2']],
    ['${T:=8} is kept', '--threads ${T:=8}', undefined, ['--threads', '${T:=8}']],
    ['${PORT}x keeps its braces', '${PORT}x', undefined, ['${PORT}x']],
    ['quotes', `'a b' "c $D" e\\ f`, undefined, ['a b', 'c $D', 'e f']],
    ['single quotes do not expand', `'$PORT'`, env({ PORT: '8080' }), ['$PORT']],
    ['operators', 'a && b; c | d || e &', undefined, ['a', '&&', 'b', ';', 'c', '|', 'd', '||', 'e', '&']],
    ['command substitution is one word', 'gunicorn -w $(nproc) app', undefined, ['gunicorn', '-w', '$(nproc)', 'app']],
    ['arithmetic is one word', 'gunicorn -w $((2 * $(nproc) + 1)) app', undefined, ['gunicorn', '-w', '$((2 * $(nproc) + 1))', 'app']],
    ['backquotes stay', 'gunicorn -w `nproc` app', undefined, ['gunicorn', '-w', '`nproc`', 'app']],
    ['newlines separate commands, comments are dropped', 'a # first\nb', undefined, ['a', ';', 'b']],
    ['a backslash-newline continues the line', 'a \\\n  b', undefined, ['a', 'b']],
    ['a newline inside quotes is kept', '"a\nb" c', undefined, ['a\nb', 'c']],
    ['# inside a word is not a comment', 'a#b c', undefined, ['a#b', 'c']],
    ['a bad substitution gives no words', 'a ${} b', undefined, []],
    ['an unclosed ${ gives no words', 'a ${B', undefined, []],
    ['marker characters in the input are dropped', 'a\uE0000\uE001b', undefined, ['a0b']],
  ];
  it.each(rows)('%s', (_, text, vars, words) => {
    expect(shellWords(text, vars)).toEqual(words);
  });
});

describe('shellScript', () => {
  it('splits commands and drops redirections', () => {
    const script = shellScript('python manage.py migrate >/dev/null 2>&1 && exec gunicorn app < /dev/null');
    expect(script?.commands.map((c) => c.map(displayWord))).toEqual([
      ['python', 'manage.py', 'migrate'],
      ['exec', 'gunicorn', 'app'],
    ]);
    expect(script?.branching).toBe(false);
  });

  it('gives the same commands for the same text again (its tokens are shared, and reading them changes none)', () => {
    const text = 'python manage.py migrate >/dev/null 2>&1 && exec gunicorn app';
    const first = shellScript(text);
    first?.commands[0]?.pop();
    expect(first?.commands.map((c) => c.map(displayWord))).toEqual([['python', 'manage.py'], ['exec', 'gunicorn', 'app']]);
    expect(shellScript(text)?.commands.map((c) => c.map(displayWord))).toEqual([
      ['python', 'manage.py', 'migrate'],
      ['exec', 'gunicorn', 'app'],
    ]);
  });

  it('marks branches and drops reserved words', () => {
    const script = shellScript('if [ -n "$X" ]; then exec a; else exec b; fi');
    expect(script?.commands.map((c) => c.map(displayWord))).toEqual([['[', '-n', '$X', ']'], ['exec', 'a'], ['exec', 'b'], ['fi']]);
    expect(script?.branching).toBe(true);
  });
});
