/**
 * @module The files of the container image's runtime stage, in one list that the Dockerfile's COPY lines and the
 * tests share (test/integration/chart-image.test.ts checks each COPY against RUNTIME_COPIES, then assembles the same
 * set into a temporary directory and runs the controller from it). What is not listed is not in the image: no
 * node_modules, no sources, no TypeScript.
 *
 *   node scripts/runtime-files.ts <dir>   # bundle, assemble into <dir>, build its snapshot, warm its compile cache (as the image does)
 */
import { spawnSync } from 'node:child_process';
import { chown, cp, mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { BUNDLE_DIR, BUNDLE_ENTRY, REPO_ROOT, SNAPSHOT_SCRIPT, bundle, bundleSnapshot } from './bundle.ts';

/** One COPY of the runtime stage: a path of the build stage (the repository after `npm ci` and the bundle) and its
 * place under the application root. A trailing `/` marks a directory. */
export interface RuntimeCopy {
  from: string;
  to: string;
}

/** The application root in the image. */
export const APP_ROOT = '/app';

/**
 * The runtime file set. package.json is there for `"type": "module"` (the bundle is ES modules) and `pytuner
 * --version`; docs/rules for `pytuner explain`; the bundle for everything else.
 */
export const RUNTIME_COPIES: readonly RuntimeCopy[] = [
  { from: 'package.json', to: 'package.json' },
  { from: `${BUNDLE_DIR}/`, to: `${BUNDLE_DIR}/` },
  { from: 'docs/rules/', to: 'docs/rules/' },
];

/** Node's compile cache (NODE_COMPILE_CACHE) under the application root, built by warm-compile-cache.ts. */
export const COMPILE_CACHE_DIR = 'node-compile-cache';

/** The script the image's compile-cache stage runs, relative to the repository root. */
export const WARM_SCRIPT = 'scripts/warm-compile-cache.ts';

/** The entry point of the ES module bundle, relative to the application root. */
export const RUNTIME_ENTRY = `${BUNDLE_DIR}/${BUNDLE_ENTRY}`;

/**
 * The controller's V8 startup snapshot, relative to the application root, built by buildSnapshot from SNAPSHOT_SCRIPT
 * (src/cli/snapshot.ts): the image starts every command from it (`controller` runs in it, the others in the bundle).
 */
export const SNAPSHOT_BLOB = 'dist/snapshot/pytuner.blob';

/** The image's heap flags: V8's old space half the container's memory limit, its young generation 8 MB semi-spaces
 * (the Dockerfile says why). */
export const IMAGE_HEAP_FLAGS: readonly string[] = ['--max-old-space-size-percentage=50', '--max-semi-space-size=8'];

/**
 * The runtime's command line after the node binary (the Dockerfile's ENTRYPOINT, with the application root at
 * `appRoot`); pytuner's arguments follow it: the heap flags, the startup snapshot, then `--` (without a script, Node
 * would take `--version` or `--help` as its own).
 */
export function runtimeNodeArgs(appRoot: string): string[] {
  return [...IMAGE_HEAP_FLAGS, '--snapshot-blob', join(appRoot, SNAPSHOT_BLOB), '--'];
}

/**
 * assembleRuntime builds the runtime file set into `target`, as the image's build stage does: the bundle and the
 * snapshot script are built there (scripts/bundle.ts), every other entry is copied from the repository. The blob is
 * buildSnapshot's, which also removes the script.
 */
export async function assembleRuntime(target: string): Promise<void> {
  await bundleSnapshot(join(target, SNAPSHOT_SCRIPT));
  for (const copy of RUNTIME_COPIES) {
    const destination = join(target, copy.to);
    if (copy.from === `${BUNDLE_DIR}/`) {
      await bundle({ outdir: destination });
      continue;
    }
    await mkdir(dirname(destination), { recursive: true });
    await cp(join(REPO_ROOT, copy.from), destination, { recursive: true });
  }
}

/** Who warms the compile cache, and for which command: Node names the cache's sub-directory after the user
 * (`v24.21.0-x64-<flags>-<uid>`), so only the user that wrote it finds it, and V8 rejects a cache written by a process
 * that did not start from the same snapshot. */
export interface WarmOptions {
  node?: string;
  /** Run as this user and group (the image's 65532); default: this process's. */
  uid?: number;
  gid?: number;
  /** The node options of the command the cache is for: runtimeNodeArgs(appRoot), as the image runs (build the snapshot
   * first); default none, for `node <appRoot>/dist/bundle/pytuner.js`. */
  nodeArgs?: readonly string[];
  /** Default: <appRoot>/node-compile-cache. */
  cacheDir?: string;
}

/**
 * warmCompileCache runs warm-compile-cache.ts on the runtime in `appRoot`, as the image's compile-cache stage does, and
 * returns the cache directory. The cache holds absolute paths and the user's id: build it where, and as whom, the
 * runtime will run.
 */
export async function warmCompileCache(appRoot: string, options: WarmOptions = {}): Promise<string> {
  const cacheDir = options.cacheDir ?? join(appRoot, COMPILE_CACHE_DIR);
  await mkdir(cacheDir, { recursive: true });
  if (options.uid !== undefined) await chown(cacheDir, options.uid, options.gid ?? options.uid);
  const result = spawnSync(options.node ?? process.execPath, [join(REPO_ROOT, WARM_SCRIPT), join(appRoot, RUNTIME_ENTRY), ...(options.nodeArgs ?? [])], {
    env: { ...process.env, NODE_COMPILE_CACHE: cacheDir },
    encoding: 'utf8',
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid ?? options.uid }),
  });
  if (result.status !== 0) throw new Error(`${WARM_SCRIPT} ${appRoot} failed (${result.status ?? result.signal}): ${result.stderr}`);
  return cacheDir;
}

/**
 * buildSnapshot builds the startup snapshot of the runtime in `appRoot` from its snapshot script, as the image's
 * compile-cache stage does, then removes the script (the image's runtime has the blob only) and returns the blob's
 * path. Build it with the Node that will run it: Node refuses a blob another version wrote.
 */
export async function buildSnapshot(appRoot: string, options: { node?: string } = {}): Promise<string> {
  const blob = join(appRoot, SNAPSHOT_BLOB);
  const script = join(appRoot, SNAPSHOT_SCRIPT);
  const result = spawnSync(options.node ?? process.execPath, ['--snapshot-blob', blob, '--build-snapshot', script], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`node --build-snapshot ${script} failed (${result.status ?? result.signal}): ${result.stderr.slice(-2000)}`);
  await rm(script);
  return blob;
}

if (import.meta.main) {
  const target = process.argv[2];
  if (target === undefined) {
    process.stderr.write('usage: node scripts/runtime-files.ts <dir>\n');
    process.exit(2);
  }
  const appRoot = resolve(target);
  await assembleRuntime(appRoot);
  await buildSnapshot(appRoot);
  const cacheDir = await warmCompileCache(appRoot, { nodeArgs: runtimeNodeArgs(appRoot) });
  process.stdout.write(`runtime in ${appRoot}: run NODE_COMPILE_CACHE=${cacheDir} node ${runtimeNodeArgs(appRoot).join(' ')} controller\n`);
}
