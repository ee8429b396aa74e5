/**
 * @module The report formats, registered explicitly by name (`-o table|json|markdown|sarif|html`), and the
 * `--emit-patches` planner. Each format is a pure function from a Report to the text written to stdout.
 */
import type { Report } from '../report.ts';
import { formatHtml } from './html.ts';
import { formatJson, formatJsonChunks } from './json.ts';
import { formatMarkdown } from './markdown.ts';
import type { SarifOptions } from './sarif.ts';
import { formatSarif } from './sarif.ts';
import type { TableOptions } from './table.ts';
import { formatTable } from './table.ts';

export type { PatchFile } from './patches.ts';
export { planPatchFiles } from './patches.ts';

/** Options any format may read; each format uses only its own and ignores the rest. */
export type FormatOptions = TableOptions & SarifOptions;

/** A report format: a pure function from a report to text (ending in a newline). */
export type Formatter = (report: Report, options: FormatOptions) => string;

/** Format names, in the order `--help` lists them. */
export const OUTPUT_FORMATS = ['table', 'json', 'markdown', 'sarif', 'html'] as const;

/** A format name. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Every format, by the name `-o` takes. */
export const FORMATTERS: Readonly<Record<OutputFormat, Formatter>> = {
  table: formatTable,
  json: (report) => formatJson(report),
  markdown: (report) => formatMarkdown(report),
  sarif: formatSarif,
  html: (report) => formatHtml(report),
};

/**
 * Formats whose text can be written a piece at a time (the concatenation is the formatter's text): a big report need
 * not be held whole in memory before it is written.
 */
export const CHUNKED_FORMATTERS: Readonly<Partial<Record<OutputFormat, (report: Report) => Iterable<string>>>> = {
  json: formatJsonChunks,
};
