import { describe, expect, it } from 'vitest';
import { EMPTY_REPORT, FIXTURE_REPORT } from '../../test/golden/report-fixture.ts';
import { code, escapeText, formatMarkdown } from './markdown.ts';

describe('markdown format', () => {
  it('escapes cell breakers and inline formatting, and turns HTML into text', () => {
    expect(escapeText('a | b `c` *d* <script>&')).toBe('a \\| b \\`c\\` \\*d\\* &lt;script&gt;&amp;');
    expect(escapeText('two\nlines')).toBe('two<br>lines');
  });

  it('fences code spans past any backtick run and escapes pipes inside them', () => {
    expect(code('a|b')).toBe('`a\\|b`');
    // CommonMark strips one space on each side, so a span that ends in a backtick is padded on both.
    expect(code('run `x`')).toBe('`` run `x` ``');
  });

  it('has one table row per finding, each with five cells', () => {
    const rows = formatMarkdown(FIXTURE_REPORT)
      .split('\n')
      .filter((line) => /^\| (critical|warning|info) \|/.test(line));
    expect(rows).toHaveLength(6);
    for (const row of rows) expect(row.replace(/\\\|/g, '').split('|')).toHaveLength(7);
  });

  it('writes one details block per finding and says when there are no findings', () => {
    expect(formatMarkdown(FIXTURE_REPORT).match(/<details>/g)).toHaveLength(6);
    expect(formatMarkdown(EMPTY_REPORT)).toBe(
      '## pytuner report\n\nRead 1 file: 1 object, 1 workload.<br>\n0 findings (0 critical, 0 warning, 0 info), 0 input errors.\n\nNo findings.\n',
    );
  });
});
