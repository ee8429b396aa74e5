import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatImportTimeJson, formatImportTimeTable } from './format.ts';
import { parseImportTime } from './parse.ts';
import type { ImportTimeRun } from './report.ts';
import { buildImportTimeReport, heaviestImports } from './report.ts';
import { importTimeReportSchema } from './schema.ts';

const SAMPLE = readFileSync(join(import.meta.dirname, '../../test/fixtures/importtime/flask-app.python3.11.stderr.txt'), 'utf8');
const COMMAND = ['/usr/bin/python3', '-c', 'import main'];

function run(overrides: Partial<ImportTimeRun> = {}): ImportTimeRun {
  return { command: COMMAND, tree: parseImportTime(SAMPLE).tree, exit: { code: 0, signal: null }, wallMs: 251.4567, cpuMs: 230, quota: null, ...overrides };
}

describe('buildImportTimeReport', () => {
  it('reports the sum of self times in ms, the tree, and no budget verdict without a budget', () => {
    const report = importTimeReportSchema.parse(buildImportTimeReport(run(), { top: 3, budgetMs: null }));
    expect(report.totalMs).toBe(116.428);
    expect(report.imports).toBe(326);
    expect(report.wallMs).toBe(251.457);
    expect(report.overBudget).toBeNull();
    expect(report.tree.map((n) => n.name)).toEqual(['_frozen_importlib_external', 'zipimport', 'encodings', 'encodings.utf_8', '_signal', 'io', 'site', 'main']);
    expect(report.flags.map((f) => f.module)).toEqual(['unittest.mock', 'http.client', 'werkzeug.test']);
    expect(report.quota).toBeNull();
    expect(report.notes).toEqual([]);
  });

  it('compares the total with the budget: over only when strictly greater', () => {
    expect(buildImportTimeReport(run(), { top: 3, budgetMs: 116.427 }).overBudget).toBe(true);
    expect(buildImportTimeReport(run(), { top: 3, budgetMs: 116.428 }).overBudget).toBe(false);
  });

  it('lists the heaviest imports by cumulative and by self time', () => {
    const heaviest = heaviestImports(parseImportTime(SAMPLE).tree.roots, 3);
    expect(heaviest.byCumulative.map((h) => [h.name, h.cumulativeUs, h.importedBy, h.depth])).toEqual([
      ['main', 111_314, null, 0],
      ['flask', 58_556, 'main', 1],
      ['flask.json', 39_085, 'flask', 2],
    ]);
    expect(heaviest.bySelf.map((h) => [h.name, h.selfUs])).toEqual([
      ['_ssl', 2_993],
      ['logging', 2_667],
      ['ssl', 2_257],
    ]);
  });

  it('estimates the wall time under a quota it could not enforce, and says it is an estimate', () => {
    const report = buildImportTimeReport(run({ wallMs: 200, cpuMs: 150, quota: { cpu: 0.1, memoryBytes: null, method: 'estimate', cgroups: [], usage: null, reason: 'cannot set up a cgroup-v1 cgroup: EACCES' } }), { top: 1, budgetMs: null });
    expect(report.quota).toEqual({
      cpu: 0.1,
      memory: null,
      enforced: false,
      method: 'estimate',
      cgroups: [],
      periodUs: 100_000,
      wallMs: 1550,
      throttledPeriods: null,
      periods: null,
      throttledMs: null,
      memoryPeakBytes: null,
      memoryLimitHit: null,
      oomKilled: null,
      note: 'estimate, not enforced (cannot set up a cgroup-v1 cgroup: EACCES): wallMs = CPU time / 0.1 + time spent waiting, from a run without the quota; a lower bound, since throttling itself adds CPU time',
    });
    expect(formatImportTimeTable(report)).toContain('Under 0.1 CPU (ESTIMATE, not enforced): wall about 1.55 s or more for 150 ms of CPU\n');
  });

  it('reports a measured cgroup run with throttling and memory', () => {
    const usage = { cpuUs: 165_650.524, periods: 16, throttledPeriods: 15, throttledUs: 1_241_200.422, memoryPeakBytes: 22_650_880, memoryLimitHits: 0, oomKills: 0 };
    const report = buildImportTimeReport(
      run({ wallMs: 1532.7, cpuMs: 165.650524, quota: { cpu: 0.1, memoryBytes: 134_217_728, method: 'cgroup-v1', cgroups: ['/sys/fs/cgroup/cpu/p'], usage, reason: null } }),
      { top: 1, budgetMs: null },
    );
    expect(report.quota).toMatchObject({ enforced: true, wallMs: 1532.7, throttledPeriods: 15, periods: 16, throttledMs: 1241.2, memoryPeakBytes: 22_650_880, memoryLimitHit: false, oomKilled: false });
    const table = formatImportTimeTable(report);
    expect(table).toContain('Under 0.1 CPU and 128 MiB of memory (cgroup-v1, enforced): wall 1.53 s for 166 ms of CPU\n');
    expect(table).toContain('  throttled in 15 of 16 CFS periods of 100 ms, 1.24 s in all\n');
    expect(table).toContain('  memory peak 21.6 MiB, limit not reached, no OOM kill\n');
    expect(report.notes).toEqual(['the import times were measured under the 0.1 CPU quota: Python times imports with a wall clock, so they include the time spent throttled']);
  });

  it('counts the memory limit as hit when the OOM killer struck or the peak reached it, even with failcnt 0 (kernel 6.x, v1)', () => {
    const usage = { cpuUs: 40_000, periods: 1, throttledPeriods: 0, throttledUs: 0, memoryPeakBytes: 16_777_216, memoryLimitHits: 0, oomKills: 1 };
    const quota = { cpu: 1, memoryBytes: 16_777_216, method: 'cgroup-v1' as const, cgroups: [], usage, reason: null };
    const report = buildImportTimeReport(run({ exit: { code: null, signal: 'SIGKILL' }, quota }), { top: 1, budgetMs: null });
    expect(report.quota).toMatchObject({ memoryLimitHit: true, oomKilled: true });
    expect(formatImportTimeTable(report)).toContain('  memory peak 16 MiB, limit reached, KILLED by the OOM killer\n');
    const calm = buildImportTimeReport(run({ quota: { ...quota, usage: { ...usage, memoryPeakBytes: 9_000_000, oomKills: 0 } } }), { top: 1, budgetMs: null });
    expect(calm.quota?.memoryLimitHit).toBe(false);
  });

  it('notes a command that printed no import times, and one that started several interpreters', () => {
    const empty = buildImportTimeReport(run({ tree: parseImportTime('hi\n').tree }), { top: 3, budgetMs: 10 });
    expect(empty.totalMs).toBe(0);
    expect(empty.notes[0]).toMatch(/^the command printed no import times/);
    const header = 'import time: self [us] | cumulative | imported package\n';
    const twice = buildImportTimeReport(run({ tree: parseImportTime(`${header}import time:         1 |          1 | a\n${header}`).tree }), { top: 3, budgetMs: null });
    expect(twice.notes).toEqual(['2 Python interpreters printed import times (the command started other Python processes): the totals add them all, and imports of concurrent processes may be nested wrongly']);
  });
});

describe('formats', () => {
  const report = buildImportTimeReport(run(), { top: 2, budgetMs: 100 });

  it('writes JSON that parses back to the same report', () => {
    const text = formatImportTimeJson(report);
    expect(text.endsWith('}\n')).toBe(true);
    expect(importTimeReportSchema.parse(JSON.parse(text))).toEqual(report);
  });

  it('writes a table: totals, command, budget, heaviest, flags', () => {
    const table = formatImportTimeTable(report);
    expect(table.split('\n').slice(0, 13)).toEqual([
      'Import time 116.4 ms in 326 imports (sum of self times, as Python reports them)',
      "Command: /usr/bin/python3 -c 'import main': exit 0, wall 251 ms, CPU 230 ms",
      'Budget 100.0 ms: OVER by 16.4 ms',
      '',
      'Heaviest imports by cumulative time (the module and what it imported)',
      '  CUMULATIVE    SELF  MODULE  IMPORTED BY',
      '    111.3 ms  1.9 ms  main    (the command)',
      '     58.6 ms  0.2 ms  flask   main',
      '',
      "Heaviest imports by self time (the module's own code)",
      '    SELF  CUMULATIVE  MODULE   IMPORTED BY',
      '  3.0 ms      3.0 ms  _ssl     ssl',
      '  2.7 ms      3.3 ms  logging  concurrent.futures._base',
    ]);
    expect(table).toContain('Imported at start-up, may not be needed to serve requests (3):\n  27.6 ms  unittest.mock  [test-framework]  via main > unittest.mock\n');
  });
});
