/**
 * @module Builds the `pytuner importtime` report from one run: the import tree, the heaviest imports, the deferrable
 * ones, the budget verdict and the run under a CPU quota (measured in a cgroup, or estimated).
 */
import type { CgroupUsage, QuotaMethod } from './cgroup.ts';
import type { DeferrableImport } from './deferrable.ts';
import { findDeferrableImports } from './deferrable.ts';
import type { ImportNode, ImportTree } from './parse.ts';
import { walkImports } from './parse.ts';
import { CFS_PERIOD_US, estimateWallMs, formatBytes } from './quota.ts';
import type { HeavyImport, ImportTimeReport, ImportTreeNode, QuotaReport } from './schema.ts';

/** How the limits of a run were applied. */
export interface QuotaRun {
  cpu: number | null;
  memoryBytes: number | null;
  method: QuotaMethod;
  /** Child cgroup directories the command ran in (empty for an estimate). */
  cgroups: string[];
  /** What the kernel counted in the cgroup; null for an estimate. */
  usage: CgroupUsage | null;
  /** Why the limits could not be enforced (estimate only). */
  reason: string | null;
}

/** What one run of the command produced. */
export interface ImportTimeRun {
  command: string[];
  tree: ImportTree;
  exit: { code: number | null; signal: string | null };
  wallMs: number;
  cpuMs: number | null;
  quota: QuotaRun | null;
}

/** How much to show and what to check. */
export interface ImportTimeReportOptions {
  /** How many heaviest imports to list, by each measure. */
  top: number;
  budgetMs: number | null;
}

/** Builds the report document (the `-o json` output, and what the table shows). */
export function buildImportTimeReport(run: ImportTimeRun, options: ImportTimeReportOptions): ImportTimeReport {
  const totalMs = run.tree.totalSelfUs / 1000;
  return {
    version: 1,
    command: run.command,
    exit: run.exit,
    totalMs,
    imports: run.tree.imports,
    interpreters: run.tree.interpreters,
    wallMs: roundMs(run.wallMs),
    cpuMs: run.cpuMs === null ? null : roundMs(run.cpuMs),
    budgetMs: options.budgetMs,
    overBudget: options.budgetMs === null ? null : totalMs > options.budgetMs,
    heaviest: heaviestImports(run.tree.roots, options.top),
    flags: findDeferrableImports(run.tree.roots).map(flagJson),
    quota: run.quota === null ? null : quotaReport(run.quota, run),
    notes: runNotes(run),
    tree: run.tree.roots.map(treeJson),
  };
}

/** The `top` imports with the largest cumulative time, and with the largest self time (ties: first printed first). */
export function heaviestImports(roots: readonly ImportNode[], top: number): { byCumulative: HeavyImport[]; bySelf: HeavyImport[] } {
  const all: HeavyImport[] = [];
  for (const { node, chain } of walkImports(roots)) {
    all.push({ name: node.name, selfUs: node.selfUs, cumulativeUs: node.cumulativeUs, importedBy: chain.length > 1 ? (chain.at(-2) as string) : null, depth: chain.length - 1 });
  }
  return {
    byCumulative: [...all].sort((a, b) => b.cumulativeUs - a.cumulativeUs).slice(0, top),
    bySelf: [...all].sort((a, b) => b.selfUs - a.selfUs).slice(0, top),
  };
}

function flagJson(flag: DeferrableImport): ImportTimeReport['flags'][number] {
  return {
    module: flag.module,
    category: flag.category,
    matched: flag.matched,
    reason: flag.reason,
    suggestion: flag.suggestion,
    selfUs: flag.selfUs,
    cumulativeUs: flag.cumulativeUs,
    importedBy: flag.importedBy,
    chain: flag.chain,
  };
}

function treeJson(node: ImportNode): ImportTreeNode {
  return { name: node.name, selfUs: node.selfUs, cumulativeUs: node.cumulativeUs, children: node.children.map(treeJson) };
}

function quotaReport(quota: QuotaRun, run: ImportTimeRun): QuotaReport {
  const enforced = quota.method !== 'estimate';
  const usage = quota.usage;
  return {
    cpu: quota.cpu,
    memory: quota.memoryBytes,
    enforced,
    method: quota.method,
    cgroups: quota.cgroups,
    periodUs: CFS_PERIOD_US,
    wallMs: roundMs(enforced || quota.cpu === null || run.cpuMs === null ? run.wallMs : estimateWallMs({ wallMs: run.wallMs, cpuMs: run.cpuMs }, quota.cpu)),
    throttledPeriods: usage?.throttledPeriods ?? null,
    periods: usage?.periods ?? null,
    throttledMs: usage?.throttledUs == null ? null : roundMs(usage.throttledUs / 1000),
    memoryPeakBytes: usage?.memoryPeakBytes ?? null,
    memoryLimitHit: memoryLimitHit(quota.memoryBytes, usage),
    oomKilled: usage?.oomKills == null ? null : usage.oomKills > 0,
    note: quotaNote(quota, run),
  };
}

/**
 * Whether the memory limit was reached: the kernel counted a failed charge, killed a process, or saw the peak at
 * the limit (a v1 cgroup on kernel 6.x can OOM-kill with memory.failcnt still 0, its peak equal to the limit).
 */
function memoryLimitHit(limitBytes: number | null, usage: CgroupUsage | null): boolean | null {
  if (limitBytes === null || usage === null) return null;
  const signs = [usage.memoryLimitHits, usage.oomKills, usage.memoryPeakBytes === null ? null : usage.memoryPeakBytes >= limitBytes ? 1 : 0];
  if (signs.every((sign) => sign === null)) return null;
  return signs.some((sign) => sign !== null && sign > 0);
}

function limitsText(quota: QuotaRun): string {
  const parts: string[] = [];
  if (quota.cpu !== null) parts.push(`${quota.cpu} CPU`);
  if (quota.memoryBytes !== null) parts.push(`${formatBytes(quota.memoryBytes)} of memory`);
  return parts.join(' and ');
}

function quotaNote(quota: QuotaRun, run: ImportTimeRun): string {
  if (quota.method !== 'estimate') {
    return `enforced: the command ran in a ${quota.method === 'cgroup-v1' ? 'cgroup v1' : 'cgroup v2'} child cgroup limited to ${limitsText(quota)} (CFS period ${CFS_PERIOD_US / 1000} ms); wallMs is measured`;
  }
  const why = quota.reason ?? 'the limits could not be applied';
  if (quota.cpu === null) return `not enforced (${why}): the memory limit is not checked`;
  if (run.cpuMs === null) return `not enforced (${why}), and the CPU time is unknown: wallMs is the unconstrained wall time`;
  const memory = quota.memoryBytes === null ? '' : '; the memory limit is not checked';
  return `estimate, not enforced (${why}): wallMs = CPU time / ${quota.cpu} + time spent waiting, from a run without the quota; a lower bound, since throttling itself adds CPU time${memory}`;
}

function runNotes(run: ImportTimeRun): string[] {
  const notes: string[] = [];
  if (run.tree.imports === 0) {
    notes.push('the command printed no import times: it is not a Python 3.7+ command, or it runs Python with -E or -I (which ignore PYTHONPROFILEIMPORTTIME) through a wrapper pytuner cannot add -X importtime to');
  }
  if (run.quota !== null && run.quota.method !== 'estimate' && run.quota.cpu !== null) {
    notes.push(`the import times were measured under the ${run.quota.cpu} CPU quota: Python times imports with a wall clock, so they include the time spent throttled`);
  }
  if (run.tree.interpreters > 1) {
    notes.push(`${run.tree.interpreters} Python interpreters printed import times (the command started other Python processes): the totals add them all, and imports of concurrent processes may be nested wrongly`);
  }
  if (run.tree.orphans > 0) {
    notes.push(`${run.tree.orphans} imports never finished their parent's import (the process stopped while importing): they are listed at the top level`);
  }
  return notes;
}

function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
