/**
 * @module The `table` format: what a person reads in a terminal. Findings are grouped by the file of their target
 * (a heading line per file, files in report order), and within a file one aligned row per finding (severity, rule,
 * target, message), critical first, with indented detail lines for the value change, the evidence and the fix; then
 * the input errors and a summary line. Fits in `width` columns by wrapping.
 */
import { styleText } from 'node:util';
import type { Finding, InputError, Severity } from '../model/finding.ts';
import type { Report } from '../report.ts';
import { plural } from '../rules/facts.ts';
import {
  byFile,
  bySeverity,
  errorText,
  evidenceLocation,
  fileLocation,
  fixSummary,
  summaryLines,
  targetLabel,
  valueLine,
} from './describe.ts';

/** Options of the table format. */
export interface TableOptions {
  /** ANSI colours (the CLI decides: stdout is a TTY and NO_COLOR unset, or FORCE_COLOR). Defaults to false. */
  color?: boolean;
  /** Line width to wrap at. Defaults to 120. */
  width?: number;
}

const GAP = '  ';
/** Below this many columns for the message, the message moves to its own line under the row. */
const MIN_MESSAGE_WIDTH = 40;
const HEADERS = { severity: 'SEVERITY', rule: 'RULE', target: 'TARGET', message: 'MESSAGE' } as const;
const SEVERITY_STYLE: Record<Severity, Parameters<typeof styleText>[0]> = {
  critical: ['red', 'bold'],
  warning: 'yellow',
  info: 'cyan',
};

type Paint = (format: Parameters<typeof styleText>[0], text: string) => string;

/** Renders a report as an aligned, wrapped text table with a summary line. */
export function formatTable(report: Report, options: TableOptions = {}): string {
  const width = options.width ?? 120;
  const paint: Paint = options.color === true ? (format, text) => styleText(format, text, { validateStream: false }) : (_format, text) => text;
  const blocks: string[] = [];
  if (report.findings.length === 0) blocks.push('No findings.');
  else blocks.push(findingsTable(report.findings, width, paint));
  if (report.errors.length > 0) blocks.push(errorList(report.errors, width, paint));
  if ((report.notes ?? []).length > 0) blocks.push([paint('bold', 'Notes:'), ...(report.notes ?? []).map((note) => wrap(`- ${note}`, width, 0, 2).join('\n'))].join('\n'));
  blocks.push(summaryLines(report.summary).flatMap((line) => wrap(line, width, 0, 2)).join('\n'));
  return `${blocks.join('\n\n')}\n`;
}

interface Columns {
  severity: number;
  rule: number;
  target: number;
  /** Column where the message starts, or undefined when messages go on their own line. */
  message: number | undefined;
}

function findingsTable(findings: readonly Finding[], width: number, paint: Paint): string {
  const columns = columnWidths(findings, width);
  const header = [pad(HEADERS.severity, columns.severity), pad(HEADERS.rule, columns.rule), columns.message === undefined ? HEADERS.target : pad(HEADERS.target, columns.target)];
  if (columns.message !== undefined) header.push(HEADERS.message);
  const groups = byFile(findings).map(({ file, findings: inFile }) => {
    const heading = wrap(`${file} (${plural(inFile.length, 'finding')})`, width, 0, 2).map((line) => paint('underline', line));
    return [heading.join('\n'), ...bySeverity(inFile).map((finding) => findingRow(finding, columns, width, paint))].join('\n\n');
  });
  return [paint('bold', header.join(GAP).trimEnd()), ...groups].join('\n\n');
}


function columnWidths(findings: readonly Finding[], width: number): Columns {
  const severity = Math.max(HEADERS.severity.length, ...findings.map((f) => f.severity.length));
  const rule = Math.max(HEADERS.rule.length, ...findings.map((f) => f.rule.length));
  const target = Math.max(HEADERS.target.length, ...findings.map((f) => targetLabel(f.target).length));
  const messageColumn = severity + rule + target + 3 * GAP.length;
  return { severity, rule, target, message: width - messageColumn >= MIN_MESSAGE_WIDTH ? messageColumn : undefined };
}

function findingRow(finding: Finding, columns: Columns, width: number, paint: Paint): string {
  const severity = paint(SEVERITY_STYLE[finding.severity], pad(finding.severity, columns.severity));
  const detailIndent = columns.severity + GAP.length;
  const lines: string[] = [];
  if (columns.message === undefined) {
    const target = targetLabel(finding.target);
    const row = [pad(finding.severity, columns.severity), pad(finding.rule, columns.rule), target].join(GAP);
    // On a narrow terminal the target moves under the rule rather than running past the edge.
    if (row.length <= width) lines.push([severity, pad(finding.rule, columns.rule), target].join(GAP));
    else lines.push([severity, finding.rule].join(GAP), ' '.repeat(detailIndent) + target);
    lines.push(...wrap(finding.message, width, detailIndent, detailIndent));
  } else {
    const message = wrap(finding.message, width, columns.message, columns.message);
    const first = [severity, pad(finding.rule, columns.rule), pad(targetLabel(finding.target), columns.target), (message[0] ?? '').trimStart()].join(GAP);
    lines.push(first, ...message.slice(1));
  }
  for (const [label, text] of details(finding)) {
    const prefix = { painted: paint('dim', `${label}:`), width: label.length + 1 };
    lines.push(...wrap(text, width, detailIndent, detailIndent + prefix.width + 1, prefix));
  }
  return lines.map((line) => line.trimEnd()).join('\n');
}

/** The detail lines under a row: value change, evidence, fix. Empty parts are left out. */
function details(finding: Finding): [string, string][] {
  const out: [string, string][] = [];
  const values = valueLine(finding.current, finding.recommended);
  if (values !== '') out.push([Object.keys(finding.recommended).length > 0 ? 'change' : 'current', values]);
  if (finding.evidence.length > 0) out.push(['evidence', finding.evidence.map(evidenceLocation).join('; ')]);
  const fix = fixSummary(finding.fix);
  if (fix.length > 0) out.push(['fix', fix.join(', ')]);
  return out;
}

function errorList(errors: readonly InputError[], width: number, paint: Paint): string {
  const lines = errors.map((error) => {
    const where = `${fileLocation(error.file, error.line)}:`;
    return wrap(errorText(error), width, 2, 4, { painted: paint('red', where), width: where.length }).join('\n');
  });
  return [paint('bold', 'Input errors (these files or objects were not analysed):'), ...lines].join('\n');
}

function pad(text: string, width: number): string {
  return text.padEnd(width);
}

/** A label put before wrapped text, never broken: `painted` may hold ANSI codes, `width` is its width in columns. */
interface Prefix {
  painted: string;
  width: number;
}

/**
 * Word-wraps `text` to `width` columns after an optional unbreakable `prefix`: the first line is indented by
 * `firstIndent`, the others by `restIndent`. A word longer than a line stays whole rather than being cut.
 */
function wrap(text: string, width: number, firstIndent: number, restIndent: number, prefix?: Prefix): string[] {
  const lines: string[] = [];
  let line = ' '.repeat(firstIndent) + (prefix?.painted ?? '');
  let visible = firstIndent + (prefix?.width ?? 0);
  let lineHasWord = prefix !== undefined;
  for (const word of text.split(' ')) {
    if (lineHasWord && visible + 1 + word.length > width) {
      lines.push(line);
      line = ' '.repeat(restIndent) + word;
      visible = restIndent + word.length;
    } else {
      line += (lineHasWord ? ' ' : '') + word;
      visible += (lineHasWord ? 1 : 0) + word.length;
    }
    lineHasWord = true;
  }
  lines.push(line);
  return lines;
}
