import { describe, expect, it } from 'vitest';
import { EMPTY_REPORT, FIXTURE_REPORT } from '../../test/golden/report-fixture.ts';
import type { Report } from '../report.ts';
import { concurrencyLevels } from '../recommender/curves.ts';
import { formatHtml } from './html.ts';

describe('html format', () => {
  const html = formatHtml(FIXTURE_REPORT);

  it('is one document with nothing to fetch', () => {
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|src=|url\(/i);
  });

  it('has a summary row and a section per object with findings', () => {
    const objects = new Set(FIXTURE_REPORT.findings.map((f) => `${f.target.kind}/${f.target.namespace ?? ''}/${f.target.name}`));
    for (const key of objects) {
      expect(html).toContain(`<tr data-workload="${key}">`);
      expect(html).toContain(`<section id="w`);
    }
    expect(html.match(/<section /g)?.length).toBe(objects.size);
    expect(html.match(/<div class="finding"/g)?.length).toBe(FIXTURE_REPORT.findings.length);
  });

  it('escapes what the inputs wrote', () => {
    const [first] = FIXTURE_REPORT.findings;
    const report: Report = { ...FIXTURE_REPORT, findings: [{ ...first!, message: 'a <script>alert(1)</script> & "b"' }] };
    const page = formatHtml(report);
    expect(page).toContain('a &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;b&quot;');
    expect(page).not.toContain('<script>');
  });

  it('says so when there is nothing to report, and shows notes', () => {
    const page = formatHtml({ ...EMPTY_REPORT, notes: ['Knative Services (serving.knative.dev/v1) were not read'] });
    expect(page).toContain('<p>No findings.</p>');
    expect(page).toContain('<li>Knative Services (serving.knative.dev/v1) were not read</li>');
  });
});

describe('concurrencyLevels', () => {
  it('is every integer up to 80, then 80 log-spaced integers from 1 to the maximum', () => {
    expect(concurrencyLevels(5)).toEqual([1, 2, 3, 4, 5]);
    const wide = concurrencyLevels(1000);
    expect(wide[0]).toBe(1);
    expect(wide.at(-1)).toBe(1000);
    expect(wide.length).toBeLessThanOrEqual(80);
    expect(wide.every((v, i) => i === 0 || v > wide[i - 1]!)).toBe(true);
  });
});
