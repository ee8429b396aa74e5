import { describe, expect, it } from 'vitest';
import { EMPTY_REPORT, FIXTURE_REPORT } from '../../test/golden/report-fixture.ts';
import type { Report } from '../report.ts';
import { GITHUB_COMMENT_LIMIT, code, escapeText, formatMarkdown } from './markdown.ts';

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

  it('has one table row per finding, each with four cells, in one table per file named above it', () => {
    const text = formatMarkdown(FIXTURE_REPORT);
    const rows = text.split('\n').filter((line) => /^\| (critical|warning|info) \|/.test(line));
    expect(rows).toHaveLength(6);
    for (const row of rows) expect(row.replace(/\\\|/g, '').split('|')).toHaveLength(6);
    const files = [...new Set(FIXTURE_REPORT.findings.map((f) => f.target.file))];
    for (const file of files) expect(text).toContain(`\n\n\`${file}\`\n\n| Severity | Rule | Target | Change |\n`);
  });

  it('with 204 findings, stays under the comment limit by cutting details, then rows, and says how many were cut', () => {
    const many: Report = {
      ...FIXTURE_REPORT,
      findings: Array.from({ length: 34 }, (_, i) => FIXTURE_REPORT.findings.map((f) => ({ ...f, target: { ...f.target, file: `svc/${String(i).padStart(3, '0')}.yaml` } }))).flat(),
    };
    const text = formatMarkdown(many);
    expect(text.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    const details = text.match(/<details>/g)?.length ?? 0;
    expect(details).toBeGreaterThan(0);
    expect(text).toContain(`the details of ${204 - details} findings are not shown`);
    const tiny = formatMarkdown(many, { maxLength: 3000 });
    expect(tiny.length).toBeLessThanOrEqual(3000);
    // Rows of findings and of the 2 input errors: every line of a table but its header and separator.
    const rows = tiny.split('\n').filter((line) => line.startsWith('| ') && !/^\| (Severity|File|---) \|/.test(line)).length;
    expect(tiny).toContain(`${206 - rows} table rows and the details of 204 findings are not shown`);
  });

  it('writes one details block per finding and says when there are no findings', () => {
    expect(formatMarkdown(FIXTURE_REPORT).match(/<details>/g)).toHaveLength(6);
    expect(formatMarkdown(EMPTY_REPORT)).toBe(
      '## pytuner report\n\nRead 1 file: 1 object, 1 workload.<br>\n0 findings (0 critical, 0 warning, 0 info), 0 input errors.\n\nNo findings.\n',
    );
  });
});
