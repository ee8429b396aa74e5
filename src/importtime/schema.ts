/**
 * @module The JSON document of `pytuner importtime -o json`, version 1, as a zod schema: the type the report is
 * built as, and what tests and consumers validate against. Objects are strict; times of single imports are integer
 * microseconds, as Python prints them; totals are milliseconds. docs/importtime.md describes every field.
 */
import { z } from 'zod';

/** A module's import in the tree: its own time, its time with its children, and the imports made while it ran. */
export interface ImportTreeNode {
  name: string;
  selfUs: number;
  cumulativeUs: number;
  children: ImportTreeNode[];
}

const importNode: z.ZodType<ImportTreeNode> = z.lazy(() =>
  z.strictObject({
    name: z.string().describe('Absolute module name (werkzeug.test).'),
    selfUs: z.number().int().min(0).describe('µs in the module itself, as Python printed it.'),
    cumulativeUs: z.number().int().min(0).describe('µs from the start to the end of its import, children included.'),
    children: z.array(importNode).describe('Imports made while it was imported, in the order they finished.'),
  }),
);

const heavyImport = z.strictObject({
  name: z.string(),
  selfUs: z.number().int().min(0),
  cumulativeUs: z.number().int().min(0),
  importedBy: z.string().nullable().describe('The module whose import imported it; null when the command itself did.'),
  depth: z.number().int().min(0).describe('0 for an import made by the command itself.'),
});

const flag = z.strictObject({
  module: z.string(),
  category: z.enum(['test-framework', 'websocket', 'http-client', 'numeric', 'packaging', 'dev-tool']),
  matched: z.string().describe('The list entry that matched: a module name (matching it and its submodules) or *.name.'),
  reason: z.string().describe('Why a request path may not need it.'),
  suggestion: z.string().describe('How to take it out of start-up, naming who imports it.'),
  selfUs: z.number().int().min(0),
  cumulativeUs: z.number().int().min(0),
  importedBy: z.string().nullable(),
  chain: z.array(z.string()).describe('Importers from the root down to the module itself.'),
});

const quota = z.strictObject({
  cpu: z.number().positive().nullable().describe('--cpu-quota in CPUs; null when only --memory was given.'),
  memory: z.number().int().positive().nullable().describe('--memory in bytes; null when not given.'),
  enforced: z.boolean().describe('true: the command ran in a cgroup with these limits; false: wallMs is an estimate.'),
  method: z.enum(['cgroup-v1', 'cgroup-v2', 'estimate']),
  cgroups: z.array(z.string()).describe('The child cgroup directories the command ran in (removed afterwards); empty for an estimate.'),
  periodUs: z.number().int().positive().describe('CFS period: the quota is cpu × periodUs per period.'),
  wallMs: z.number().min(0).describe('Wall time under the quota: measured when enforced, else estimated from the unconstrained run.'),
  throttledPeriods: z.number().int().min(0).nullable().describe('CFS periods in which the command was throttled (cgroup only).'),
  periods: z.number().int().min(0).nullable().describe('CFS periods in which it ran (cgroup only).'),
  throttledMs: z.number().min(0).nullable().describe('Total time it was throttled (cgroup only).'),
  memoryPeakBytes: z.number().int().min(0).nullable().describe('Peak memory of the cgroup (page cache included); null when unknown.'),
  memoryLimitHit: z.boolean().nullable().describe('The memory limit was reached at least once (the kernel reclaimed or killed); null when not enforced.'),
  oomKilled: z.boolean().nullable().describe('The OOM killer killed a process of the command; null when unknown.'),
  note: z.string().describe('One sentence: how the limits were applied, or why they could not be and what the estimate assumes.'),
});

/** The schema of `pytuner importtime -o json`. */
export const importTimeReportSchema = z.strictObject({
  version: z.literal(1),
  command: z.array(z.string()).describe('The command as given after --.'),
  exit: z
    .strictObject({ code: z.number().int().nullable(), signal: z.string().nullable() })
    .describe("The command's own exit: its status, or the signal that killed it."),
  totalMs: z.number().min(0).describe('Sum of the self times of every import line, in ms: the import time as Python reports it.'),
  imports: z.number().int().min(0).describe('Import lines (failed imports and repeats included).'),
  interpreters: z.number().int().min(0).describe('Python interpreters that printed import times (more than 1 when the command started others).'),
  wallMs: z.number().min(0).describe('Wall time of the command, measured from spawn to exit (under the quota when enforced).'),
  cpuMs: z.number().min(0).nullable().describe('CPU time (user + system) of the command and its children; null when unknown.'),
  budgetMs: z.number().min(0).nullable().describe('--budget-ms, or null.'),
  overBudget: z.boolean().nullable().describe('totalMs > budgetMs; null without --budget-ms.'),
  heaviest: z.strictObject({
    byCumulative: z.array(heavyImport).describe('The --top imports with the largest cumulative time.'),
    bySelf: z.array(heavyImport).describe('The --top imports with the largest self time.'),
  }),
  flags: z.array(flag).describe('Modules imported at start-up that a request path may not need, costliest first.'),
  quota: quota.nullable().describe('The run under --cpu-quota / --memory; null without them.'),
  notes: z.array(z.string()).describe('Caveats about this run (several interpreters, imports cut short, no import lines).'),
  tree: z.array(importNode).describe('The imports, as a forest: each root is an import the command made itself.'),
});

/** The JSON document of `pytuner importtime -o json`. */
export type ImportTimeReport = z.infer<typeof importTimeReportSchema>;
/** One of the heaviest imports. */
export type HeavyImport = z.infer<typeof heavyImport>;
/** The `quota` object of the report. */
export type QuotaReport = z.infer<typeof quota>;
