import { describe, expect, it } from 'vitest';
import { closeMatches, formatRuleJson, formatRuleTable } from './rules.ts';

const RULES = [
  { id: 'concurrency.threads-mismatch', severity: 'critical', summary: 'containerConcurrency vs threads' },
  { id: 'gunicorn.timeout', severity: 'warning', summary: 'worker timeout' },
] as const;

describe('rule list', () => {
  it('aligns id, severity and summary', () => {
    expect(formatRuleTable(RULES)).toBe(
      'ID                            SEVERITY  SUMMARY\nconcurrency.threads-mismatch  critical  containerConcurrency vs threads\ngunicorn.timeout              warning   worker timeout\n',
    );
  });

  it('writes a versioned JSON list with doc paths', () => {
    expect(JSON.parse(formatRuleJson(RULES)).rules[1]).toEqual({ id: 'gunicorn.timeout', severity: 'warning', summary: 'worker timeout', docs: 'docs/rules/gunicorn.timeout.md' });
  });

  it('suggests ids containing the input or a few edits away, best first', () => {
    const ids = RULES.map((r) => r.id);
    expect(closeMatches('threads-mismatch', ids)).toEqual(['concurrency.threads-mismatch']);
    expect(closeMatches('gunicorn.timout', ids)).toEqual(['gunicorn.timeout']);
    expect(closeMatches('uwsgi', ids)).toEqual([]);
  });
});
