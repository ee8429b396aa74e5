/**
 * @module The `markdown` format, for pull-request comments (GitHub-flavoured): the summary, a table of
 * findings, then one collapsed `<details>` block per finding with its evidence and every part of its fix.
 * Text from the inputs is escaped, so a `|` or a backtick in a message cannot break the table.
 */
import { dump } from 'js-yaml';
import type { Finding, InputError } from '../model/finding.ts';
import type { Report } from '../report.ts';
import { bySeverity, errorText, evidenceLocation, fileLocation, opsJson, summaryLines, targetLabel, valueLine } from './describe.ts';
import { unifiedDiff } from './diff.ts';

/** Renders a report as a GitHub-flavoured Markdown document. */
export function formatMarkdown(report: Report): string {
  const sections = ['## pytuner report', summaryLines(report.summary).map(escapeText).join('<br>\n')];
  const findings = bySeverity(report.findings);
  if (findings.length === 0) sections.push('No findings.');
  else sections.push(findingsTable(findings), '### Details', ...findings.map(findingDetails));
  if (report.errors.length > 0) sections.push('### Input errors', 'These files or objects were not analysed.', errorsTable(report.errors));
  if ((report.notes ?? []).length > 0) sections.push('### Notes', (report.notes ?? []).map((note) => `- ${escapeText(note)}`).join('\n'));
  return `${sections.join('\n\n')}\n`;
}

function findingsTable(findings: readonly Finding[]): string {
  const rows = findings.map((f) =>
    row([f.severity, code(f.rule), code(targetLabel(f.target)), escapeText(f.message), escapeText(valueLine(f.current, f.recommended))]),
  );
  return [row(['Severity', 'Rule', 'Target', 'Message', 'Change']), row(['---', '---', '---', '---', '---']), ...rows].join('\n');
}

function errorsTable(errors: readonly InputError[]): string {
  const rows = errors.map((e) => row([code(fileLocation(e.file, e.line)), escapeText(errorText(e))]));
  return [row(['File', 'Error']), row(['---', '---']), ...rows].join('\n');
}

function findingDetails(finding: Finding): string {
  const summary = `<b>${finding.severity}</b> <code>${escapeHtml(finding.rule)}</code> on <code>${escapeHtml(targetLabel(finding.target))}</code>`;
  const parts = [`<details>\n<summary>${summary}</summary>`, escapeText(finding.message)];
  if (finding.evidence.length > 0) parts.push(`Evidence:\n\n${finding.evidence.map((e) => `- ${evidenceItem(e.text, evidenceLocation(e))}`).join('\n')}`);
  const fix = finding.fix;
  if (fix?.jsonPatch !== undefined && fix.jsonPatch.length > 0) parts.push(`JSON Patch (RFC 6902):\n\n${fenced('json', opsJson(fix.jsonPatch))}`);
  if (fix?.applyFragment !== undefined) parts.push(`Server-side apply fragment:\n\n${fenced('yaml', toYaml(fix.applyFragment))}`);
  if (fix?.edits !== undefined && fix.edits.length > 0) parts.push(`Source edits:\n\n${fenced('diff', unifiedDiff(fix.edits))}`);
  for (const object of fix?.create ?? []) parts.push(`Create:\n\n${fenced('yaml', toYaml(object))}`);
  if (fix?.commands !== undefined && fix.commands.length > 0) parts.push(`Commands (review before running):\n\n${fenced('sh', fix.commands.join('\n'))}`);
  if (fix?.notes !== undefined && fix.notes.length > 0) parts.push(`Notes:\n\n${fix.notes.map((n) => `- ${escapeText(n)}`).join('\n')}`);
  parts.push('</details>');
  return parts.join('\n\n');
}

function evidenceItem(text: string | undefined, location: string): string {
  return text === undefined ? escapeText(location) : `${escapeText(location)}: ${code(text)}`;
}

/** YAML for a manifest in a comment: block style, no line folding, no anchors. */
export function toYaml(object: unknown): string {
  return dump(object, { lineWidth: -1, noRefs: true });
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/**
 * Escapes text for a Markdown paragraph or table cell: backslash-escapes the characters that start inline
 * formatting or end a cell (`\ ` * _ [ ] | ~`), turns `<`, `>`, `&` into entities so input cannot inject HTML,
 * and newlines into `<br>` so a cell stays on one row.
 */
export function escapeText(text: string): string {
  return escapeHtml(text)
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`)
    .replace(/\r?\n/g, '<br>');
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A code span. Inside a table, GitHub splits cells before parsing code spans, so `|` is still escaped;
 * a backtick in the text is handled by a longer backtick fence (CommonMark code spans).
 */
export function code(text: string): string {
  const flat = text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
  const fence = '`'.repeat(longestBacktickRun(flat) + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** A fenced code block whose fence is longer than any backtick run inside, so the content cannot close it. */
function fenced(language: string, content: string): string {
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(content) + 1));
  return `${fence}${language}\n${content.replace(/\n$/, '')}\n${fence}`;
}

function longestBacktickRun(text: string): number {
  return Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
}
