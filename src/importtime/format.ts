/**
 * @module The two outputs of `pytuner importtime`: a text report for a person (`table`) and the JSON document.
 */
import { quote } from 'shell-quote';
import { formatBytes } from './quota.ts';
import type { HeavyImport, ImportTimeReport, QuotaReport } from './schema.ts';

/** The output formats of `pytuner importtime`. */
export const IMPORTTIME_FORMATS = ['table', 'json'] as const;
/** One of IMPORTTIME_FORMATS. */
export type ImportTimeFormat = (typeof IMPORTTIME_FORMATS)[number];

/** The report as JSON: 2-space indent, a final newline. */
export function formatImportTimeJson(report: ImportTimeReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** The report as text: totals, the heaviest imports by cumulative and by self time, the flags, the quota run. */
export function formatImportTimeTable(report: ImportTimeReport): string {
  const blocks = [headline(report)];
  if (report.imports > 0) {
    blocks.push(heavyTable('Heaviest imports by cumulative time (the module and what it imported)', report.heaviest.byCumulative, 'cumulative'));
    blocks.push(heavyTable('Heaviest imports by self time (the module\'s own code)', report.heaviest.bySelf, 'self'));
    blocks.push(flagList(report.flags));
  }
  if (report.quota !== null) blocks.push(quotaLines(report.quota, report.cpuMs));
  if (report.notes.length > 0) blocks.push(report.notes.map((note) => `Note: ${note}.`).join('\n'));
  return `${blocks.join('\n\n')}\n`;
}

function headline(report: ImportTimeReport): string {
  const cpu = report.cpuMs === null ? '' : `, CPU ${duration(report.cpuMs)}`;
  const lines = [
    `Import time ${ms(report.totalMs)} in ${report.imports} imports (sum of self times, as Python reports them)`,
    `Command: ${quote(report.command)}: ${exitText(report.exit)}, wall ${duration(report.wallMs)}${cpu}`,
  ];
  if (report.budgetMs !== null) {
    const overBy = report.totalMs - report.budgetMs;
    lines.push(report.overBudget === true ? `Budget ${ms(report.budgetMs)}: OVER by ${ms(overBy)}` : `Budget ${ms(report.budgetMs)}: within (${ms(-overBy)} to spare)`);
  }
  return lines.join('\n');
}

/** `exit 0`, `exit 1`, `killed by SIGKILL`. */
export function exitText(exit: ImportTimeReport['exit']): string {
  if (exit.signal !== null) return `killed by ${exit.signal}`;
  return `exit ${exit.code ?? '?'}`;
}

function heavyTable(title: string, rows: readonly HeavyImport[], by: 'cumulative' | 'self'): string {
  const first = by === 'cumulative' ? 'CUMULATIVE' : 'SELF';
  const second = by === 'cumulative' ? 'SELF' : 'CUMULATIVE';
  const cells = rows.map((row) => {
    const [a, b] = by === 'cumulative' ? [row.cumulativeUs, row.selfUs] : [row.selfUs, row.cumulativeUs];
    return [ms(a / 1000), ms(b / 1000), row.name, row.importedBy ?? '(the command)'];
  });
  const header = [first, second, 'MODULE', 'IMPORTED BY'];
  const widths = header.map((h, column) => Math.max(h.length, ...cells.map((cell) => (cell[column] as string).length)));
  const line = (cell: string[]) =>
    cell
      .map((text, column) => (column < 2 ? text.padStart(widths[column] as number) : text.padEnd(widths[column] as number)))
      .join('  ')
      .trimEnd();
  return [title, `  ${line(header)}`, ...cells.map((cell) => `  ${line(cell)}`)].join('\n');
}

function flagList(flags: ImportTimeReport['flags']): string {
  if (flags.length === 0) return 'No start-up import found that a request path may not need (test frameworks, WebSocket and HTTP clients, heavy numeric libraries, pkg_resources, dev tools).';
  const lines = [`Imported at start-up, may not be needed to serve requests (${flags.length}):`];
  for (const flag of flags) {
    lines.push(`  ${ms(flag.cumulativeUs / 1000)}  ${flag.module}  [${flag.category}]  via ${flag.chain.join(' > ')}`);
    lines.push(`      why: ${flag.reason}`);
    lines.push(`      defer: ${flag.suggestion}`);
  }
  return lines.join('\n');
}

function quotaLines(quota: QuotaReport, cpuMs: number | null): string {
  const limits = [quota.cpu === null ? undefined : `${quota.cpu} CPU`, quota.memory === null ? undefined : `${formatBytes(quota.memory)} of memory`].filter((x) => x !== undefined).join(' and ');
  const lines = [
    quota.enforced
      ? `Under ${limits} (${quota.method}, enforced): wall ${duration(quota.wallMs)}${cpuMs === null ? '' : ` for ${duration(cpuMs)} of CPU`}`
      : `Under ${limits} (ESTIMATE, not enforced): wall about ${duration(quota.wallMs)} or more${cpuMs === null ? '' : ` for ${duration(cpuMs)} of CPU`}`,
  ];
  if (quota.throttledPeriods !== null && quota.periods !== null) {
    lines.push(`  throttled in ${quota.throttledPeriods} of ${quota.periods} CFS periods of ${quota.periodUs / 1000} ms${quota.throttledMs === null ? '' : `, ${duration(quota.throttledMs)} in all`}`);
  }
  if (quota.memory !== null && quota.enforced) {
    const peak = quota.memoryPeakBytes === null ? 'peak unknown' : `peak ${formatBytes(quota.memoryPeakBytes)}`;
    const hit = quota.memoryLimitHit === null ? '' : quota.memoryLimitHit ? ', limit reached' : ', limit not reached';
    const oom = quota.oomKilled === null ? '' : quota.oomKilled ? ', KILLED by the OOM killer' : ', no OOM kill';
    lines.push(`  memory ${peak}${hit}${oom}`);
  }
  lines.push(`  ${quota.note}`);
  return lines.join('\n');
}

/** `12.3 ms` (one decimal). */
function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

/** `812 ms`, `1.53 s`. */
function duration(msValue: number): string {
  return msValue >= 1000 ? `${(msValue / 1000).toFixed(2)} s` : `${Math.round(msValue)} ms`;
}
