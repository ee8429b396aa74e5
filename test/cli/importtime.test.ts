/**
 * `pytuner importtime` on real Python: Debian's /usr/bin/python3 (3.11) with python3-flask, on the fixture app
 * test/fixtures/importtime/app. The cgroup tests need what this repository's CI machine has: root and writable
 * cgroup v1 hierarchies at /sys/fs/cgroup/{cpu,cpuacct,memory}.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { estimateWallMs } from '../../src/importtime/quota.ts';
import type { ImportTimeReport, ImportTreeNode } from '../../src/importtime/schema.ts';
import { importTimeReportSchema } from '../../src/importtime/schema.ts';
import { parseImportTime } from '../../src/importtime/parse.ts';
import { BIN, pytuner, ROOT } from './run.ts';

const APP = join(ROOT, 'test/fixtures/importtime/app');
const PYTHON = '/usr/bin/python3';
const IMPORT_MAIN = ['--', PYTHON, '-c', 'import main'];
/** No __pycache__ written into the fixture directory. */
const ENV = { PYTHONDONTWRITEBYTECODE: '1' };

function report(stdout: string): ImportTimeReport {
  return importTimeReportSchema.parse(JSON.parse(stdout));
}

function* nodes(tree: readonly ImportTreeNode[]): Generator<ImportTreeNode> {
  for (const node of tree) {
    yield node;
    yield* nodes(node.children);
  }
}

/** The tree without its times: which module imported which, in order. */
type Shape = { name: string; children: Shape[] };
function shape(tree: readonly { name: string; children: readonly ImportTreeNode[] }[]): Shape[] {
  return tree.map((node) => ({ name: node.name, children: shape(node.children) }));
}

describe('pytuner importtime on a Flask app', () => {
  it('reports the tree Python printed: totalMs is the sum of the self times, and the modules and nesting match a raw capture', () => {
    const run = pytuner(['importtime', '-o', 'json', ...IMPORT_MAIN], { cwd: APP, env: ENV });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const json = report(run.stdout);
    const all = [...nodes(json.tree)];
    const selfUs = all.reduce((sum, node) => sum + node.selfUs, 0);
    expect(json.totalMs).toBe(selfUs / 1000);
    expect(json.imports).toBe(all.length);
    expect(json.exit).toEqual({ code: 0, signal: null });
    expect(json.command).toEqual([PYTHON, '-c', 'import main']);

    // The same command run without pytuner: timings differ between runs, the modules and who imported them do not.
    const raw = spawnSync(PYTHON, ['-c', 'import main'], { cwd: APP, encoding: 'utf8', env: { ...process.env, ...ENV, PYTHONPROFILEIMPORTTIME: '1' } });
    expect(raw.status).toBe(0);
    const rawTree = parseImportTime(raw.stderr).tree;
    expect(shape(json.tree)).toEqual(shape(rawTree.roots));
    expect(json.imports).toBe(rawTree.imports);
    expect(json.imports).toBeGreaterThan(250);
    expect(all.map((n) => n.name)).toContain('flask');

    expect(json.flags.map((f) => f.module).sort()).toEqual(['http.client', 'unittest.mock', 'werkzeug.test']);
    expect(json.flags.find((f) => f.module === 'http.client')).toMatchObject({ category: 'http-client', importedBy: 'main', chain: ['main', 'http.client'] });
    expect(json.heaviest.byCumulative[0]?.name).toBe('main');
    expect(json.heaviest.byCumulative).toHaveLength(10);
    expect(json.wallMs).toBeGreaterThan(0);
    expect(json.cpuMs).not.toBeNull();
    expect(json.quota).toBeNull();
  });

  it('prints a table with the total, the heaviest imports and the flags', () => {
    const run = pytuner(['importtime', '--top', '3', ...IMPORT_MAIN], { cwd: APP, env: ENV });
    expect(run.status).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^Import time \d+\.\d ms in \d+ imports \(sum of self times, as Python reports them\)$/);
    expect(lines[1]).toMatch(/^Command: \/usr\/bin\/python3 -c 'import main': exit 0, wall (\d+ ms|\d+\.\d\d s), CPU (\d+ ms|\d+\.\d\d s)$/);
    expect(lines[3]).toBe('Heaviest imports by cumulative time (the module and what it imported)');
    expect(lines[5]).toMatch(/^ +\d+\.\d ms +\d+\.\d ms {2}main +\(the command\)$/);
    expect(run.stdout).toContain('Imported at start-up, may not be needed to serve requests (3):\n');
    expect(run.stdout).toContain('via main > unittest.mock\n');
  });

  it('exits 1 over --budget-ms and says by how much', () => {
    const run = pytuner(['importtime', '--budget-ms', '1', '-o', 'json', ...IMPORT_MAIN], { cwd: APP, env: ENV });
    expect(run.status).toBe(1);
    const json = report(run.stdout);
    expect(json).toMatchObject({ budgetMs: 1, overBudget: true });
    expect(run.stderr).toBe(`pytuner: import time ${json.totalMs.toFixed(1)} ms is over the budget of 1 ms\n`);
  });

  it('exits 0 within the budget', () => {
    const run = pytuner(['importtime', '--budget-ms', '60000', '-o', 'json', ...IMPORT_MAIN], { cwd: APP, env: ENV });
    expect(run.status).toBe(0);
    expect(report(run.stdout).overBudget).toBe(false);
  });
});

describe('pytuner importtime: the command and its output', () => {
  it('exits 2 with a clear message when the interpreter does not exist', () => {
    const run = pytuner(['importtime', '--', '/usr/bin/python9', '-c', 'import main'], { cwd: APP });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('pytuner: cannot start the command: /usr/bin/python9 does not exist or is not executable\n');
    const onPath = pytuner(['importtime', '--', 'python9.99', '-c', 'pass']);
    expect(onPath.status).toBe(2);
    expect(onPath.stderr).toBe('pytuner: cannot start the command: python9.99 was not found on PATH\n');
  });

  it('exits 2 without a command, or with one not after --, and says where it goes', () => {
    const missing = pytuner(['importtime']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("error: missing required argument 'command'");
    const noDashes = pytuner(['importtime', PYTHON, '-c', 'import json']);
    expect(noDashes.status).toBe(2);
    expect(noDashes.stderr).toBe(
      "pytuner: error: unknown option '-c'\n(put the Python command after --, e.g. pytuner importtime -o json -- python3 -c \"import main\"; run with --help for usage)\n",
    );
  });

  it('reports a command that fails, passes its traceback through, and exits 2', () => {
    const run = pytuner(['importtime', '-o', 'json', '--', PYTHON, '-c', 'import json; import no_such_module_here'], { env: ENV });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("ModuleNotFoundError: No module named 'no_such_module_here'\n");
    expect(run.stderr).toContain('pytuner: the command did not finish cleanly (exit 1): the import times are those of a failed start-up\n');
    expect(run.stderr).not.toContain('import time:');
    const json = report(run.stdout);
    expect(json.exit).toEqual({ code: 1, signal: null });
    expect([...nodes(json.tree)].map((n) => n.name)).toContain('json');
  });

  it("keeps stdout for the report: the command's stdout and other stderr lines go to stderr", () => {
    const run = pytuner(['importtime', '-o', 'json', '--', PYTHON, '-c', "import sys; print('to stdout', flush=True); print('to stderr', file=sys.stderr)"], { env: ENV });
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('to stdout\n');
    expect(run.stderr).toContain('to stderr\n');
    expect(report(run.stdout).exit.code).toBe(0);
  });

  it('profiles python -m through the environment variable (it works for any Python command)', () => {
    const run = pytuner(['importtime', '-o', 'json', '--', PYTHON, '-m', 'flask', '--version'], { cwd: APP, env: ENV });
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/^Python 3\.11\.\d+\nFlask 2\.2\.\d+\nWerkzeug 2\.2\.\d+\n$/);
    expect([...nodes(report(run.stdout).tree)].map((n) => n.name)).toContain('flask.cli');
  });

  it('exits 2 and says why when the command prints no import times', () => {
    const run = pytuner(['importtime', '--', '/bin/true']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^pytuner: the command printed no import times: /);
    expect(run.stdout).toContain('Import time 0.0 ms in 0 imports');
  });

  it('refuses a memory size in docker notation, with the quantity to write instead', () => {
    const run = pytuner(['importtime', '--memory', '128m', '--', PYTHON, '-c', 'pass']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('In a Kubernetes quantity "m" is not mega/giga (m is milli): write 128Mi.');
  });
});

describe('pytuner importtime --cpu-quota (root, cgroup v1 on the CI machine)', () => {
  it('runs under a real 0.1 CPU quota and 128Mi: wall time far above CPU time, throttled, memory measured, cgroup removed', () => {
    const run = pytuner(['importtime', '--cpu-quota', '0.1', '--memory', '128Mi', '-o', 'json', ...IMPORT_MAIN], { cwd: APP, env: ENV });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const json = report(run.stdout);
    const quota = json.quota;
    expect(quota).toMatchObject({ cpu: 0.1, memory: 134_217_728, enforced: true, method: 'cgroup-v1', memoryLimitHit: false, oomKilled: false });
    expect(quota?.note).toMatch(/^enforced: the command ran in a cgroup v1 child cgroup limited to 0\.1 CPU and 128 MiB of memory/);
    const cpuMs = json.cpuMs as number;
    // 10 ms of CPU per 100 ms period: about 10x; 5x leaves room for a start-up that waits on the disk.
    expect(json.wallMs).toBeGreaterThan(5 * cpuMs);
    expect(quota?.wallMs).toBe(json.wallMs);
    expect(quota?.throttledPeriods).toBeGreaterThan(0);
    expect(quota?.memoryPeakBytes).toBeGreaterThan(5 * 2 ** 20);
    expect(quota?.cgroups).toHaveLength(3);
    for (const directory of quota?.cgroups ?? []) {
      expect(directory).toMatch(/\/pytuner-importtime-\d+$/);
      expect(existsSync(directory)).toBe(false);
    }
  });

  it('reports an OOM kill under --memory and exits 2', () => {
    const run = pytuner(['importtime', '--cpu-quota', '1', '--memory', '16Mi', '-o', 'json', '--', PYTHON, '-c', 'block = bytearray(64 * 1024 * 1024)'], { env: ENV });
    expect(run.status).toBe(2);
    const json = report(run.stdout);
    expect(json.exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(json.quota).toMatchObject({ enforced: true, memoryLimitHit: true, oomKilled: true });
    expect(run.stderr).toBe('pytuner: the command did not finish cleanly (killed by SIGKILL by the OOM killer (the --memory limit was reached)): the import times are those of a failed start-up\n');
  });

  it('estimates, and says so, where it cannot make a cgroup (here: run as nobody)', () => {
    const args = ['importtime', '--cpu-quota', '0.1', '-o', 'json', '--', PYTHON, '-c', 'import json, email.parser, http.client'];
    const run = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, BIN, ...args], {
      cwd: '/',
      encoding: 'utf8',
      env: { ...process.env, ...ENV },
      timeout: 20_000,
    });
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/^pytuner: --cpu-quota\/--memory not enforced, the wall time is an estimate: cannot set up a cgroup-v1 cgroup: .*EACCES.*\(run as root with a writable \/sys\/fs\/cgroup, or in a delegated cgroup\)\n$/);
    const json = report(run.stdout);
    expect(json.quota).toMatchObject({ cpu: 0.1, enforced: false, method: 'estimate', cgroups: [], throttledPeriods: null, oomKilled: null });
    expect(json.quota?.note).toMatch(/^estimate, not enforced \(cannot set up a cgroup-v1 cgroup: .*\): wallMs = CPU time \/ 0\.1 \+ time spent waiting, from a run without the quota; a lower bound, since throttling itself adds CPU time$/);
    const cpuMs = json.cpuMs as number;
    expect(cpuMs).toBeGreaterThan(0);
    expect(json.quota?.wallMs).toBeCloseTo(estimateWallMs({ wallMs: json.wallMs, cpuMs }, 0.1), 1);
    expect(json.quota?.wallMs).toBeGreaterThanOrEqual(10 * cpuMs);
  });
});
