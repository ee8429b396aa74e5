/**
 * @module The `markdown` format, for pull-request comments (GitHub-flavoured): the summary, a compact table of
 * findings per file, the input errors, then one collapsed `<details>` block per finding with its message, evidence and
 * every part of its fix. The whole stays under GitHub's comment limit: details (then table rows) that do not fit are
 * cut, with a note saying how many. Text from the inputs is escaped, so a `|` or a backtick cannot break the table.
 */
import { dump } from 'js-yaml';
import type { Finding, InputError } from '../model/finding.ts';
import type { Report } from '../report.ts';
import { plural } from '../rules/facts.ts';
import { byFile, bySeverity, errorText, evidenceLocation, fileLocation, opsJson, summaryLines, targetLabel, valueLine } from './describe.ts';
import { unifiedDiff } from './diff.ts';

/** GitHub rejects an issue or pull-request comment longer than 65,536 characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

/** Options of the markdown format. */
export interface MarkdownOptions {
  /** Characters the document may not exceed. Defaults to GITHUB_COMMENT_LIMIT. */
  maxLength?: number;
}

/** Room kept for the note on what was cut, so adding it never crosses the limit. */
const NOTE_ROOM = 400;

/** Renders a report as a GitHub-flavoured Markdown document no longer than `maxLength`. */
export function formatMarkdown(report: Report, options: MarkdownOptions = {}): string {
  const budget = (options.maxLength ?? GITHUB_COMMENT_LIMIT) - NOTE_ROOM;
  const head = ['## pytuner report', summaryLines(report.summary).map(escapeText).join('<br>\n')];
  const findings = report.findings;
  if (findings.length === 0) head.push('No findings.');
  const out = new Budget(budget, head);
  let rowsCut = 0;
  for (const { file, findings: inFile } of byFile(findings)) {
    const rows = bySeverity(inFile).map(findingRow);
    const table = (n: number) => `${code(file)}\n\n${[row(['Severity', 'Rule', 'Target', 'Change']), row(['---', '---', '---', '---']), ...rows.slice(0, n)].join('\n')}`;
    let fitting = rows.length;
    while (fitting > 0 && !out.fits(table(fitting))) fitting--;
    if (fitting > 0) out.add(table(fitting));
    rowsCut += rows.length - fitting;
  }
  if (report.errors.length > 0) {
    const rows = report.errors.map(errorRow);
    const section = (n: number) => `### Input errors\n\nThese files or objects were not analysed.\n\n${[row(['File', 'Error']), row(['---', '---']), ...rows.slice(0, n)].join('\n')}`;
    let fitting = rows.length;
    while (fitting > 0 && !out.fits(section(fitting))) fitting--;
    if (fitting > 0) out.add(section(fitting));
    rowsCut += rows.length - fitting;
  }
  const notes = report.notes ?? [];
  if (notes.length > 0) {
    const section = `### Notes\n\n${notes.map((note) => `- ${escapeText(note)}`).join('\n')}`;
    if (out.fits(section)) out.add(section);
  }
  let detailsCut = 0;
  if (findings.length > 0) {
    const details = byFile(findings).flatMap((group) => bySeverity(group.findings)).map(findingDetails);
    if (out.fits('### Details')) out.add('### Details');
    for (const block of details) {
      if (out.fits(block)) out.add(block);
      else detailsCut++;
    }
  }
  const note = cutNote(rowsCut, detailsCut);
  if (note !== undefined) out.add(note); // within the NOTE_ROOM kept out of the budget
  return out.text();
}

/** Sections joined by blank lines, added only while the whole stays within the limit. */
class Budget {
  readonly #limit: number;
  readonly #sections: string[];
  #length: number;

  constructor(limit: number, sections: string[]) {
    this.#limit = limit;
    this.#sections = [...sections];
    this.#length = this.text().length;
  }

  fits(section: string): boolean {
    return this.#length + 2 + section.length <= this.#limit;
  }

  add(section: string): void {
    this.#sections.push(section);
    this.#length += 2 + section.length;
  }

  text(): string {
    return `${this.#sections.join('\n\n')}\n`;
  }
}

function cutNote(rowsCut: number, detailsCut: number): string | undefined {
  const parts: string[] = [];
  if (rowsCut > 0) parts.push(`${plural(rowsCut, 'table row')}`);
  if (detailsCut > 0) parts.push(`the details of ${plural(detailsCut, 'finding')}`);
  if (parts.length === 0) return undefined;
  return `> **Cut to fit GitHub's ${GITHUB_COMMENT_LIMIT.toLocaleString('en-US')}-character comment limit:** ${parts.join(' and ')} are not shown. \`pytuner report -o json\` or \`-o sarif\` has them all.`;
}

function findingRow(f: Finding): string {
  return row([f.severity, code(f.rule), code(targetLabel(f.target)), escapeText(valueLine(f.current, f.recommended))]);
}

function errorRow(e: InputError): string {
  return row([code(fileLocation(e.file, e.line)), escapeText(errorText(e))]);
}

function findingDetails(finding: Finding): string {
  const summary = `<b>${finding.severity}</b> <code>${escapeHtml(finding.rule)}</code> on <code>${escapeHtml(targetLabel(finding.target))}</code> in <code>${escapeHtml(fileLocation(finding.target.file, finding.target.line))}</code>`;
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
