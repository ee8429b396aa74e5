// The controller's V8 startup snapshot (src/cli/snapshot.ts), built as the image builds it (scripts/runtime-files.ts)
// and started with the image's command, without an API server: `controller` runs from it with this process's pid and
// arguments, not the builder's; other commands reach the bundle; the blob keeps nothing of the environment it was
// built in. test/integration/chart-image.test.ts starts it against the real API server until /readyz is 200.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SNAPSHOT_BLOB, assembleRuntime, buildSnapshot, runtimeNodeArgs } from '../../scripts/runtime-files.ts';
import { ROOT } from './run.ts';

/** Values the builder's environment carries: a module that kept one at load would carry it into every controller. */
const BUILD_ENV = { KUBECONFIG: '/builder-kubeconfig-5d1e', POD_NAMESPACE: 'builder-namespace-5d1e', DEBUG: 'builder-debug-5d1e', PYTUNER_DEBUG: 'builder-5d1e' };

let app: string;

beforeAll(async () => {
  app = await mkdtemp(join(tmpdir(), 'pytuner-snapshot-'));
  await assembleRuntime(app);
  for (const [name, value] of Object.entries(BUILD_ENV)) vi.stubEnv(name, value);
  await buildSnapshot(app);
  vi.unstubAllEnvs();
}, 120_000);

afterAll(() => rm(app, { recursive: true, force: true }));

function start(args: string[]) {
  return spawnSync(process.execPath, [...runtimeNodeArgs(app), ...args], { cwd: app, env: { NODE_ENV: 'production' }, encoding: 'utf8', timeout: 20_000 });
}

describe('the startup snapshot', () => {
  it('runs `controller` in this process: its own pid in the log, its own flags (a kubeconfig that is not there)', () => {
    const missing = join(app, 'no-such-kubeconfig');
    const run = start(['controller', '--kubeconfig', missing, '--log-level', 'info']);
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toContain(`pytuner: cannot load the kubeconfig ${missing}: ENOENT`);
    const starting = run.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg: string; pid: number; time: string })
      .find((entry) => entry.msg === 'controller starting');
    expect(starting?.pid).toBe(run.pid);
  });

  it('answers --help of `controller` from the snapshot and hands other commands to the bundle', async () => {
    const help = start(['controller', '--help']);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: pytuner controller \[options\]/);
    const version = start(['--version']);
    const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout, version.stderr).toBe(`${manifest.version}\n`);
    const explain = start(['explain', 'concurrency.unbounded']);
    expect(explain.status, explain.stderr).toBe(0);
    expect(explain.stdout.split('\n')[0]).toBe('# concurrency.unbounded');
  });

  it('holds none of the values in the environment it was built in', async () => {
    const blob = await readFile(join(app, SNAPSHOT_BLOB));
    expect(blob.length).toBeGreaterThan(1_000_000);
    expect(Object.values(BUILD_ENV).filter((value) => blob.includes(value))).toEqual([]);
  });
});
