// The container image, without Docker: the Dockerfile's COPY lines must be the runtime file set of
// scripts/runtime-files.ts, and that file set, built into a temporary directory (bundle, package.json, rule docs,
// compile cache warmed and startup snapshot built as the image's compile-cache stage does), must run the controller,
// from the snapshot, with the image's command and production settings:
// NODE_ENV=production, read-only files, no node_modules, the image's non-root user when the tests run as root, and
// the chart's ServiceAccount token against the real API server, until /readyz answers 200.
import { spawn, spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { parseDockerfile } from '../../src/parse/dockerfile.ts';
import { APP_ROOT, COMPILE_CACHE_DIR, RUNTIME_COPIES, RUNTIME_ENTRY, SNAPSHOT_BLOB, WARM_SCRIPT, assembleRuntime, buildSnapshot, runtimeNodeArgs, warmCompileCache } from '../../scripts/runtime-files.ts';
import { SNAPSHOT_SCRIPT } from '../../scripts/bundle.ts';
import { uniqueNamespace } from './harness/kube.ts';
import { repoRoot } from './harness/paths.ts';
import { HELM_BUILD_TIMEOUT_MS, helmBinary, install, kubeconfigFile, scratchDir, serviceAccountKubeConfig, uninstall, uniqueRelease } from './chart.support.ts';

beforeAll(() => helmBinary().then(() => undefined), HELM_BUILD_TIMEOUT_MS);

/** The distroless image's nonroot user, which the chart's pod runs as. */
const IMAGE_USER = 65532;

/** One stage of the Dockerfile: its FROM line and its instructions (keyword and the rest of the line). */
interface Stage {
  from: string;
  instructions: Array<{ keyword: string; args: string }>;
}

/** The stages of our own Dockerfile, which keeps each instruction on one line (checked here too). */
function stagesOf(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    expect(line.endsWith('\\'), `continuation lines are not expected: ${line}`).toBe(false);
    const [keyword = '', ...rest] = line.split(' ');
    if (keyword === 'FROM') stages.push({ from: rest.join(' '), instructions: [] });
    else stages.at(-1)?.instructions.push({ keyword, args: rest.join(' ') });
  }
  return stages;
}

function copies(stage: Stage, from: string): Array<{ from: string; to: string }> {
  return stage.instructions
    .filter((i) => i.keyword === 'COPY' && i.args.startsWith(`--from=${from} `))
    .map((i) => {
      const [, source = '', destination = ''] = i.args.split(' ');
      return { from: source, to: destination };
    });
}

describe('Dockerfile', () => {
  it('copies into the runtime exactly the files scripts/runtime-files.ts lists, and runs the bundle as nonroot', async () => {
    const text = await readFile(join(repoRoot, 'Dockerfile'), 'utf8');
    const stages = stagesOf(text);
    expect(stages.map((s) => s.from)).toEqual(['${BUILD_IMAGE} AS build', '${RUNTIME_IMAGE} AS compile-cache', '${RUNTIME_IMAGE}']);
    const [, cacheStage, runtime] = stages as [Stage, Stage, Stage];

    const expected = RUNTIME_COPIES.map((c) => ({ from: `/src/${c.from}`, to: `${APP_ROOT}/${c.to}` }));
    expect(copies(runtime, 'build')).toEqual(expected);
    expect(copies(runtime, 'compile-cache')).toEqual([
      { from: '/home/nonroot/node-compile-cache/', to: `${APP_ROOT}/${COMPILE_CACHE_DIR}/` },
      { from: `${APP_ROOT}/${SNAPSHOT_BLOB}`, to: `${APP_ROOT}/${SNAPSHOT_BLOB}` },
    ]);
    expect(runtime.instructions.filter((i) => i.keyword === 'COPY')).toHaveLength(RUNTIME_COPIES.length + 2);

    // The cache stage warms the same bundle at the same paths, as the same user, with the same script.
    const bundleCopies = expected.filter((c) => c.to === `${APP_ROOT}/package.json` || c.to === `${APP_ROOT}/${RUNTIME_ENTRY.replace(/[^/]+$/, '')}`);
    expect(copies(cacheStage, 'build')).toEqual([
      ...bundleCopies,
      { from: `/src/${WARM_SCRIPT}`, to: `/home/nonroot/${basename(WARM_SCRIPT)}` },
      { from: `/src/${SNAPSHOT_SCRIPT}`, to: `${APP_ROOT}/${SNAPSHOT_SCRIPT}` },
    ]);
    // The snapshot by the runtime's own Node from the script the build stage bundled, where the runtime reads it; then
    // the compile cache as the image user, through the runtime's own command (scripts/runtime-files.ts does the same).
    const runs = cacheStage.instructions.filter((i) => i.keyword === 'RUN' || i.keyword === 'USER');
    const exec = (argv: string[]) => ({ keyword: 'RUN', args: JSON.stringify(argv).replaceAll(',', ', ') });
    expect(runs).toEqual([
      { keyword: 'USER', args: '0:0' },
      exec(['/nodejs/bin/node', '--snapshot-blob', `${APP_ROOT}/${SNAPSHOT_BLOB}`, '--build-snapshot', `${APP_ROOT}/${SNAPSHOT_SCRIPT}`]),
      { keyword: 'USER', args: `${IMAGE_USER}:${IMAGE_USER}` },
      exec(['/nodejs/bin/node', `/home/nonroot/${basename(WARM_SCRIPT)}`, `${APP_ROOT}/${RUNTIME_ENTRY}`, ...runtimeNodeArgs(APP_ROOT)]),
    ]);

    // pytuner's own Dockerfile reader, on pytuner's own Dockerfile: the final stage's image config.
    const { image, errors } = parseDockerfile('Dockerfile', text);
    expect(errors).toEqual([]);
    expect(image.base).toMatchObject({ repository: 'gcr.io/distroless/nodejs24-debian13', tag: 'nonroot' });
    // The command the runtime file set is run with below (and by bench/startup.ts): V8's old space half the
    // container's memory limit, its young generation 8 MB semi-spaces, the startup snapshot.
    expect(image.entrypoint?.argv).toEqual(['/nodejs/bin/node', ...runtimeNodeArgs(APP_ROOT)]);
    expect(runtimeNodeArgs(APP_ROOT)).toEqual(['--max-old-space-size-percentage=50', '--max-semi-space-size=8', '--snapshot-blob', `${APP_ROOT}/${SNAPSHOT_BLOB}`, '--']);
    expect(image.cmd?.argv).toEqual(['controller']);
    expect(image.env.get('NODE_ENV')?.value).toBe('production');
    expect(image.env.get('NODE_COMPILE_CACHE')?.value).toBe(`${APP_ROOT}/${COMPILE_CACHE_DIR}`);
    expect(runtime.instructions).toContainEqual({ keyword: 'USER', args: `${IMAGE_USER}:${IMAGE_USER}` });

    // The build context keeps what the build stage copies and nothing it does not need.
    const ignored = (await readFile(join(repoRoot, '.dockerignore'), 'utf8')).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(ignored).toEqual(['**/node_modules', 'dist', 'coverage', '.git', '.ci', '*.log', '**/__pycache__', 'test', 'bench', 'examples', 'charts']);
  });
});

describe('the runtime file set', () => {
  it('runs the controller read-only, as the image user, with the chart\'s ServiceAccount, until /readyz is 200', async () => {
    const runAs = process.getuid?.() === 0 ? { uid: IMAGE_USER, gid: IMAGE_USER } : undefined;
    const app = await runtimeDir();
    await assembleRuntime(app);
    await buildSnapshot(app);
    const cacheDir = await warmCompileCache(app, { ...runAs, nodeArgs: runtimeNodeArgs(app) });
    await makeReadOnly(app);

    // Only the listed files: the bundle, package.json, the rule docs, the compile cache, the snapshot (not its script);
    // no node_modules anywhere up.
    const files = await listFiles(app);
    expect(files.filter((f) => !/^(package\.json|dist\/bundle\/[\w-]+\.js(\.map)?|docs\/rules\/[\w.-]+\.md|node-compile-cache\/.+)$/.test(f))).toEqual([SNAPSHOT_BLOB]);
    expect(files.filter((f) => f.startsWith('dist/bundle/') && f.endsWith('.js')).length).toBeGreaterThan(5);
    for (let directory = app; directory !== dirname(directory); directory = dirname(directory)) expect(existsSync(join(directory, 'node_modules')), directory).toBe(false);
    if (runAs !== undefined) expect((await stat(join(app, RUNTIME_ENTRY))).uid).not.toBe(IMAGE_USER);

    const namespace = await uniqueNamespace('chart-image');
    const release = uniqueRelease('img');
    const installed = await install(release, namespace, { controller: { watchNamespace: namespace } });
    expect(installed.code).toBe(0);
    onTestFinished(() => uninstall(release, namespace).then(() => undefined));
    const kubeconfig = await kubeconfigFile(await serviceAccountKubeConfig(namespace, `${release}-pytuner`), 0o644);
    await chmod(dirname(kubeconfig), 0o755);

    const port = await freePort();
    // A container's environment: what the image sets, nothing of this process's.
    const env = { NODE_ENV: 'production', NODE_COMPILE_CACHE: join(app, COMPILE_CACHE_DIR), NODE_DEBUG_NATIVE: 'COMPILE_CACHE' };
    // The image's command (the Dockerfile test above checks its ENTRYPOINT is this), so a flag this Node refuses or a
    // snapshot it cannot start from fails here as it would in the container.
    const args = [...runtimeNodeArgs(app), 'controller', '--kubeconfig', kubeconfig, `--metrics-port=${port}`, `--namespace=${namespace}`, '--leader-elect', `--lease-namespace=${namespace}`, `--lease-name=${release}-pytuner`];
    const child = spawn(process.execPath, args, { cwd: app, env, stdio: ['ignore', 'ignore', 'pipe'], ...(runAs ?? {}) });
    // 'close', not 'exit': stderr may still hold the last log lines when the process has exited.
    const exited = new Promise<number | string>((resolve) => child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown')));
    onTestFinished(() => void child.kill('SIGKILL'));
    const stderr: string[] = [];
    createInterface({ input: child.stderr }).on('line', (line) => stderr.push(line));

    await vi.waitFor(async () => {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(response.status, stderr.slice(-5).join('\n')).toBe(200);
    }, { timeout: 30_000, interval: 100 });
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('pytuner_process_resident_memory_bytes');
    await vi.waitFor(async () => expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toContain('pytuner_leader 1'), { timeout: 20_000, interval: 100 });

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const logs = stderr.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; level: string });
    expect(logs.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
    expect(logs.map((l) => l.msg)).toContain('became leader');
    // It ran from the snapshot: no file of the bundle was compiled, where the bundle's start compiles (and, with the
    // cache, takes) its entry and six chunks or more (the next test sees those lines for --version).
    expect(stderr.filter((l) => l.startsWith('[compile cache]') && l.includes('file://'))).toEqual([]);
    expect(cacheDir).toBe(join(app, COMPILE_CACHE_DIR));
  });

  it('answers pytuner --version and pytuner explain with the image\'s command, through the bundle and its compile cache', async () => {
    const app = await runtimeDir();
    await assembleRuntime(app);
    await buildSnapshot(app);
    const cacheDir = await warmCompileCache(app, { nodeArgs: runtimeNodeArgs(app) });
    await makeReadOnly(app);
    const env = { NODE_ENV: 'production', NODE_COMPILE_CACHE: cacheDir, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' };
    // --version after the image's `--`: Node would print its own version were it taken as Node's option.
    const version = spawnSync(process.execPath, [...runtimeNodeArgs(app), '--version'], { cwd: app, env, encoding: 'utf8' });
    const manifest = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout, version.stderr).toBe(`${manifest.version}\n`);
    // The snapshot hands other commands to the bundle, whose compile cache (built like the image's) is taken.
    const cacheLines = version.stderr.split('\n').filter((l) => l.startsWith('[compile cache]'));
    expect(cacheLines.filter((l) => /rejected|mismatch/i.test(l))).toEqual([]);
    expect(cacheLines.some((l) => l.includes(`for ESM file://${join(app, RUNTIME_ENTRY)} was accepted`))).toBe(true);
    const explain = spawnSync(process.execPath, [...runtimeNodeArgs(app), 'explain', 'concurrency.unbounded'], { cwd: app, env, encoding: 'utf8' });
    expect(explain.status, explain.stderr).toBe(0);
    expect(explain.stdout.split('\n')[0]).toBe('# concurrency.unbounded');
  });
});

/** An empty directory for a runtime file set, readable by the image user, removed (read-only as it is) after the test. */
async function runtimeDir(): Promise<string> {
  const app = await mkdtemp(join(await scratchDir(), 'runtime-'));
  await chmod(dirname(app), 0o755);
  await chmod(app, 0o755);
  onTestFinished(async () => {
    for (const e of await readdir(app, { recursive: true, withFileTypes: true })) if (e.isDirectory()) await chmod(join(e.parentPath, e.name), 0o755);
    await chmod(app, 0o755);
    await rm(app, { recursive: true, force: true });
  });
  return app;
}

async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(root, join(e.parentPath, e.name))).sort();
}

/** chmod a-w on every file and directory: the image's files are read-only at run time (readOnlyRootFilesystem). */
async function makeReadOnly(root: string): Promise<void> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  for (const e of entries) await chmod(join(e.parentPath, e.name), e.isDirectory() ? 0o555 : 0o444);
  await chmod(root, 0o555);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
