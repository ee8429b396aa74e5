/**
 * @module The `json` format: the documented, versioned report (`docs/report-schema.md`). Every optional
 * field of the model is written as `null` (never left out) so consumers see one shape; keys come in a fixed
 * order, 2-space indent, trailing newline, so the output diffs cleanly between runs.
 */
import type { Evidence } from '../model/evidence.ts';
import type { Finding, Fix, InputError } from '../model/finding.ts';
import type { Report } from '../report.ts';
import type { ReportDocument } from './reportSchema.ts';
import { sortedEntries } from './describe.ts';

/** Renders a report as the version-1 JSON document. */
export function formatJson(report: Report): string {
  return [...formatJsonChunks(report)].join('');
}

/**
 * formatJsonChunks yields the text of `formatJson` a finding at a time, byte for byte the same. Why: 10,000 manifests
 * make an 87 MB report; written whole it is held three times at once (the document, the string, the bytes written).
 */
export function* formatJsonChunks(report: Report): Generator<string> {
  const document = toReportDocument({ ...report, findings: [] });
  yield `{\n  "version": ${JSON.stringify(document.version)},\n  "findings": `;
  if (report.findings.length === 0) yield '[]';
  else {
    for (let start = 0; start < report.findings.length; start += FINDINGS_PER_CHUNK) {
      yield `${start === 0 ? '[\n    ' : ',\n    '}${findingsText(report.findings.slice(start, start + FINDINGS_PER_CHUNK))}`;
    }
    yield '\n  ]';
  }
  // The fields after `findings`, in the document's order and at its depth: `{\n  "errors": …\n}` less its opening brace.
  const afterFindings = { errors: document.errors, notes: document.notes, summary: document.summary };
  yield `,${JSON.stringify(afterFindings, null, 2).slice(1)}\n`;
}

/**
 * Findings written by one `JSON.stringify`: about 64 KiB of text for a report's typical findings, one write's worth.
 * One call per finding cost a call, two slices and a concatenation each, and left the writer a rope to flatten.
 */
const FINDINGS_PER_CHUNK = 32;

/** Findings at the depth of the report's findings array, nested two arrays deep: the text `JSON.stringify` gives there. */
const NESTED_PREFIX = '[\n  [\n    ';
const NESTED_SUFFIX = '\n  ]\n]';

/**
 * findingsText writes findings as they stand in the report's `findings` (indented 4 spaces, `,\n    ` between them).
 * Why nested arrays: one `JSON.stringify` then writes the indentation, where re-indenting a finding's own text copied
 * all 94 MB once more.
 */
function findingsText(findings: readonly Finding[]): string {
  const nested = JSON.stringify([findings.map(findingDocument)], null, 2);
  return nested.slice(NESTED_PREFIX.length, nested.length - NESTED_SUFFIX.length);
}

/** The report as the plain JSON document (fixed key order, nulls for absent fields). */
export function toReportDocument(report: Report): ReportDocument {
  return {
    version: report.version,
    findings: report.findings.map(findingDocument),
    errors: report.errors.map(errorDocument),
    notes: report.notes ?? [],
    summary: {
      files: report.summary.files,
      objects: report.summary.objects,
      workloads: report.summary.workloads,
      images: report.summary.images,
      skipped: Object.fromEntries(sortedEntries(report.summary.skipped)),
      skippedFiles: Object.fromEntries(sortedEntries(report.summary.skippedFiles)),
      findings: {
        critical: report.summary.findings.critical,
        warning: report.summary.findings.warning,
        info: report.summary.findings.info,
      },
      errors: report.summary.errors,
    },
  };
}

function findingDocument(finding: Finding): ReportDocument['findings'][number] {
  const { target } = finding;
  const patch = finding.fix?.jsonPatch ?? [];
  return {
    rule: finding.rule,
    severity: finding.severity,
    target: {
      kind: target.kind,
      namespace: target.namespace ?? null,
      name: target.name,
      container: target.container ?? null,
      apiVersion: target.apiVersion ?? null,
      file: target.file ?? null,
      line: target.line ?? null,
    },
    message: finding.message,
    current: finding.current,
    recommended: finding.recommended,
    patch: patch.length === 0 ? null : patch.map((op) => (op.op === 'remove' ? { op: op.op, path: op.path } : { op: op.op, path: op.path, value: op.value })),
    evidence: finding.evidence.map(evidenceDocument),
    fix: finding.fix === undefined ? null : fixDocument(finding.fix),
  };
}

function evidenceDocument(evidence: Evidence): ReportDocument['findings'][number]['evidence'][number] {
  return {
    source: evidence.source,
    file: evidence.file ?? null,
    line: evidence.line ?? null,
    field: evidence.field,
    text: evidence.text ?? null,
  };
}

function fixDocument(fix: Fix): NonNullable<ReportDocument['findings'][number]['fix']> {
  return {
    applyFragment: fix.applyFragment ?? null,
    edits: (fix.edits ?? []).map((edit) => ({ file: edit.file, line: edit.line, before: edit.before, after: edit.after })),
    create: fix.create ?? [],
    commands: fix.commands ?? [],
    notes: fix.notes ?? [],
  };
}

function errorDocument(error: InputError): ReportDocument['errors'][number] {
  return {
    file: error.file ?? null,
    line: error.line ?? null,
    object: error.object ?? null,
    field: error.field ?? null,
    message: error.message,
  };
}
