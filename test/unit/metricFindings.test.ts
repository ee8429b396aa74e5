/**
 * The metrics findings (src/recommender/catalogue.ts) are not Rules — they need measured load, so fixture directories
 * of manifests cannot exercise them (src/recommender/findings.test.ts does) — but each has a doc page in the rules'
 * template, is listed in docs/rules/README.md, and its id is not taken by a rule.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { METRIC_FINDINGS } from '../../src/recommender/catalogue.ts';
import { RULES } from '../../src/rules/index.ts';

const root = resolve(import.meta.dirname, '../..');

describe('metrics finding catalogue', () => {
  it.each(METRIC_FINDINGS.map((f) => [f.id]))('%s has a doc page with every section', (id) => {
    const doc = readFileSync(join(root, 'docs/rules', `${id}.md`), 'utf8');
    expect(doc.split('\n')[0]).toBe(`# ${id}`);
    for (const section of ['## What it checks', '## Why', '## How to fix', '## Sources', '## Silencing']) expect(doc, `${id}.md lacks ${section}`).toContain(`\n${section}\n`);
    expect(doc).toContain(`pytuner.dev/ignore: "${id}"`);
    expect(doc).toMatch(/https:\/\//);
  });

  it('lists every metrics finding in docs/rules/README.md', () => {
    const index = readFileSync(join(root, 'docs/rules/README.md'), 'utf8');
    for (const { id } of METRIC_FINDINGS) expect(index).toContain(`[${id}](${id}.md)`);
  });

  it('uses ids no rule uses, all under metrics.', () => {
    const ruleIds = new Set(RULES.map((r) => r.id));
    for (const { id } of METRIC_FINDINGS) {
      expect(ruleIds.has(id)).toBe(false);
      expect(id).toMatch(/^metrics\.[a-z-]+$/);
    }
    expect(new Set(METRIC_FINDINGS.map((f) => f.id)).size).toBe(METRIC_FINDINGS.length);
  });
});
