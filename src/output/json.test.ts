import { describe, expect, it } from 'vitest';
import { EMPTY_REPORT, FIXTURE_REPORT } from '../../test/golden/report-fixture.ts';
import { formatJson, formatJsonChunks, toReportDocument } from './json.ts';
import { reportDocumentSchema, reportJsonSchema } from './reportSchema.ts';

describe('json format', () => {
  it('writes a document the strict schema accepts, for a full and an empty report', () => {
    for (const report of [FIXTURE_REPORT, EMPTY_REPORT]) {
      const parsed = reportDocumentSchema.safeParse(JSON.parse(formatJson(report)));
      expect(parsed.error).toBeUndefined();
    }
  });

  it('written 32 findings at a time, is byte for byte the whole document stringified with a 2-space indent', () => {
    // 70 findings: two chunks of 32 and one of 6, so the text across a chunk's boundary is checked too.
    const many = { ...FIXTURE_REPORT, findings: Array.from({ length: 70 }, (_, i) => FIXTURE_REPORT.findings[i % FIXTURE_REPORT.findings.length]!) };
    for (const [report, findingChunks] of [[FIXTURE_REPORT, 1], [EMPTY_REPORT, 0], [many, 3]] as const) {
      const chunks = [...formatJsonChunks(report)];
      expect(chunks.length).toBe(findingChunks + 3);
      expect(chunks.join('')).toBe(`${JSON.stringify(toReportDocument(report), null, 2)}\n`);
    }
  });

  it('keeps a fixed key order, nulls for absent fields, 2-space indent and a trailing newline', () => {
    const text = formatJson(FIXTURE_REPORT);
    const doc = JSON.parse(text);
    expect(Object.keys(doc)).toEqual(['version', 'findings', 'errors', 'notes', 'summary']);
    expect(Object.keys(doc.findings[0])).toEqual(['rule', 'severity', 'target', 'message', 'current', 'recommended', 'patch', 'evidence', 'fix']);
    expect(Object.keys(doc.findings[0].target)).toEqual(['kind', 'namespace', 'name', 'container', 'apiVersion', 'file', 'line']);
    expect(doc.findings[0].target.namespace).toBeNull();
    expect(doc.findings[5].fix).toBeNull();
    expect(doc.findings[0].patch).toBeNull();
    expect(doc.errors[0]).toEqual({ file: 'examples/broken.yaml', line: 7, object: null, field: null, message: 'bad indentation of a mapping entry' });
    expect(Object.keys(doc.summary.skipped)).toEqual(['apps/v1/StatefulSet', 'v1/ConfigMap']);
    expect(Object.keys(doc.summary.findings)).toEqual(['critical', 'warning', 'info']);
    expect(text.startsWith('{\n  "version": 1,\n')).toBe(true);
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('moves the JSON patch to `patch` and keeps it out of `fix`', () => {
    const doc = JSON.parse(formatJson(FIXTURE_REPORT));
    const concurrency = doc.findings[1];
    expect(concurrency.patch).toEqual([
      { op: 'test', path: '/spec/template/spec/containerConcurrency', value: 80 },
      { op: 'replace', path: '/spec/template/spec/containerConcurrency', value: 8 },
    ]);
    expect(Object.keys(concurrency.fix)).toEqual(['applyFragment', 'edits', 'create', 'commands', 'notes']);
  });

  it('rejects a document with a field the schema does not document', () => {
    const doc = JSON.parse(formatJson(EMPTY_REPORT));
    expect(reportDocumentSchema.safeParse({ ...doc, extra: 1 }).success).toBe(false);
    expect(reportDocumentSchema.safeParse({ ...doc, version: 2 }).success).toBe(false);
  });
});

describe('docs/report-schema.json', () => {
  it('is the JSON Schema generated from the zod schema (regenerate with `vitest run --project unit -u src/output/json`)', async () => {
    await expect(`${JSON.stringify(reportJsonSchema(), null, 2)}\n`).toMatchFileSnapshot('../../docs/report-schema.json');
  });
});
