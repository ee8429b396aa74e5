/**
 * @module Short text renderings shared by the human-readable formats (table, markdown, patch README):
 * a target label, an evidence location, a value change, a fix summary. Pure string functions.
 */
import type { Evidence } from '../model/evidence.ts';
import type { Finding, Fix, InputError, Severity, Target, Values } from '../model/finding.ts';
import { SEVERITIES } from '../model/finding.ts';
import type { Summary } from '../report.ts';
import { plural } from '../rules/facts.ts';

/** Severities from the most to the least severe: the order reports list them in. */
const SEVERITIES_DESCENDING: readonly Severity[] = [...SEVERITIES].reverse();

/** `Kind ns/name[container]`, the way kubectl users name an object; namespace and container only when known. */
export function targetLabel(target: Target): string {
  const name = target.namespace === undefined ? target.name : `${target.namespace}/${target.name}`;
  const container = target.container === undefined ? '' : `[${target.container}]`;
  return `${target.kind} ${name}${container}`;
}

/** Where an object without a file was read: the live API server (`report --cluster`). */
export const API_SERVER = 'API server';

/** Where a Cloud Run service read with `report --cloudrun` came from. */
const CLOUD_RUN_API = 'Cloud Run Admin API';

/** `file:line`, or `file` when the line is unknown; `API server` for an object read from it (it has no file). */
export function fileLocation(file: string | undefined, line: number | undefined): string {
  if (file === undefined) return API_SERVER;
  return line === undefined ? file : `${file}:${line}`;
}

/** Where a fact came from: `service.yaml:14 spec.template.spec.containerConcurrency`, or `startupProbe (default)` for a fact no file set. */
export function evidenceLocation(evidence: Evidence): string {
  if (evidence.file === undefined) return /default/i.test(evidence.field) ? evidence.field : `${evidence.field} (${evidence.source})`;
  return `${fileLocation(evidence.file, evidence.line)} ${evidence.field}`;
}

/** A value as a reader expects it: numbers and plain words bare, strings with spaces quoted, null as `unset`. */
function formatValue(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return 'unset';
  if (typeof value !== 'string') return String(value);
  return value === '' || /\s|^unset$/.test(value) ? JSON.stringify(value) : value;
}

/** A finding's values as text: settings it changes, and current values it reports only as context. */
interface ValueText {
  /** `setting: current → recommended`, for every setting `recommended` changes. */
  changes: string[];
  /** `setting: current`, for settings reported but not changed (e.g. the worker count behind a concurrency limit). */
  context: string[];
}

/** Splits a finding's values into changes and context, in the finding's key order. A recommended value equal to the current one is context. */
function valueText(current: Values, recommended: Values): ValueText {
  const changed = (key: string) => key in recommended && !(key in current && current[key] === recommended[key]);
  const changes = Object.keys(recommended)
    .filter(changed)
    .map((key) => `${key}: ${formatValue(current[key])} → ${formatValue(recommended[key])}`);
  const context = Object.keys(current)
    .filter((key) => !changed(key))
    .map((key) => `${key}: ${formatValue(current[key])}`);
  return { changes, context };
}

/** One line for a finding's values: `containerConcurrency: 80 → 8 (with workers: 2, threads: 4)`, or just the context. */
export function valueLine(current: Values, recommended: Values): string {
  const { changes, context } = valueText(current, recommended);
  if (changes.length === 0) return context.join(', ');
  return context.length === 0 ? changes.join('; ') : `${changes.join('; ')} (with ${context.join(', ')})`;
}

/** What a fix contains, in a few words: `JSON patch (2 ops), apply fragment, edit Dockerfile:22, create IAMPolicyMember x, 1 command`. */
export function fixSummary(fix: Fix | undefined): string[] {
  if (fix === undefined) return [];
  const parts: string[] = [];
  const ops = fix.jsonPatch?.length ?? 0;
  if (ops > 0) parts.push(`JSON patch (${plural(ops, 'op')})`);
  if (fix.applyFragment !== undefined) parts.push('apply fragment');
  for (const edit of fix.edits ?? []) parts.push(`edit ${fileLocation(edit.file, edit.line)}`);
  for (const object of fix.create ?? []) parts.push(`create ${objectName(object)}`);
  const commands = fix.commands?.length ?? 0;
  if (commands > 0) parts.push(plural(commands, 'command'));
  return parts;
}

/** `Kind name` of a manifest given as a plain object (for `create`), tolerating missing fields. */
function objectName(object: Record<string, unknown>): string {
  const kind = typeof object['kind'] === 'string' ? object['kind'] : 'object';
  const metadata = object['metadata'];
  const name = isRecord(metadata) && typeof metadata['name'] === 'string' ? metadata['name'] : '(unnamed)';
  return `${kind} ${name}`;
}

/** Findings ordered by severity (critical first), keeping the report's order (file, object, container, rule) within one severity. */
export function bySeverity(findings: readonly Finding[]): Finding[] {
  return SEVERITIES_DESCENDING.flatMap((severity) => findings.filter((f) => f.severity === severity));
}

/** Findings grouped by the file of their target, files in order of first appearance (the report is sorted by file). */
export function byFile(findings: readonly Finding[]): { file: string; findings: Finding[] }[] {
  const groups = new Map<string, Finding[]>();
  for (const finding of findings) {
    const file = finding.target.file ?? (finding.target.apiVersion === 'run.googleapis.com/v2' ? CLOUD_RUN_API : API_SERVER);
    const group = groups.get(file);
    if (group === undefined) groups.set(file, [finding]);
    else group.push(finding);
  }
  return [...groups].map(([file, inFile]) => ({ file, findings: inFile }));
}

/** `1 critical, 2 warning, 0 info` from the summary counts, most severe first. */
function severityCounts(counts: Record<Severity, number>): string {
  return SEVERITIES_DESCENDING.map((s) => `${counts[s]} ${s}`).join(', ');
}

/** Skipped kinds in a stable order: `2 v1/ConfigMap, 1 apps/v1/StatefulSet` (by kind name). */
function skippedList(skipped: Record<string, number>): string {
  return sortedEntries(skipped)
    .map(([kind, count]) => `${count} ${kind}`)
    .join(', ');
}

/** Object entries sorted by key (code-unit order, so the result does not depend on the locale). */
export function sortedEntries<T>(record: Record<string, T>): [string, T][] {
  return Object.entries(record).sort(([a], [b]) => compareCodeUnits(a, b));
}

/** Orders strings by UTF-16 code units, not `localeCompare`, so output is the same on every machine. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Narrows `unknown` to a plain object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The summary as two sentences: what was read (`Read 6 files: 7 objects, 2 workloads.`) and what came of it
 * (`6 findings (2 critical, 3 warning, 1 info), 2 input errors, 3 skipped objects (…).`).
 */
export function summaryLines(summary: Summary): [string, string] {
  const findings = SEVERITIES.reduce((n, s) => n + summary.findings[s], 0);
  const skipped = Object.values(summary.skipped).reduce((n, c) => n + c, 0);
  const skippedFiles = Object.values(summary.skippedFiles).reduce((n, c) => n + c, 0);
  const read = [plural(summary.objects, 'object'), plural(summary.workloads, 'workload')];
  const dockerfiles = summary.images - summary.procfiles;
  if (dockerfiles > 0) read.push(plural(dockerfiles, 'standalone Dockerfile'));
  if (summary.procfiles > 0) read.push(plural(summary.procfiles, 'standalone Procfile'));
  if (skippedFiles > 0) read.push(`${plural(skippedFiles, 'file')} skipped as no manifest (${skippedList(summary.skippedFiles)})`);
  const outcome = [`${plural(findings, 'finding')} (${severityCounts(summary.findings)})`, plural(summary.errors, 'input error')];
  if (skipped > 0) outcome.push(`${plural(skipped, 'skipped object')} of kinds pytuner does not read (${skippedList(summary.skipped)})`);
  return [`Read ${plural(summary.files, 'file')}: ${read.join(', ')}.`, `${outcome.join(', ')}.`];
}

/** `Service api, spec.template.spec: message`: the object and field first when the reader knows them. */
export function errorText(error: InputError): string {
  const about = [error.object, error.field].filter((part) => part !== undefined && part !== '').join(', ');
  return about === '' ? error.message : `${about}: ${error.message}`;
}

/** A JSON Patch as a JSON array with one op per line: valid JSON for kubectl, and easy to read and diff. */
export function opsJson(ops: readonly unknown[]): string {
  if (ops.length === 0) return '[]';
  return `[\n${ops.map((op) => `  ${JSON.stringify(op)}`).join(',\n')}\n]`;
}
