/**
 * @module The files of the container image's runtime stage, in one list that the Dockerfile's COPY lines and the
 * tests share (test/integration/chart-image.test.ts checks each COPY against RUNTIME_COPIES, then assembles the same
 * set into a temporary directory and runs the controller from it). What is not listed is not in the image: no
 * node_modules, no sources, no TypeScript.
 *
 *   node scripts/runtime-files.ts <dir>   # bundle, assemble into <dir>, warm its compile cache (as the image does)
 */
import { spawnSync } from 'node:child_process';
import { chown, cp, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { BUNDLE_DIR, BUNDLE_ENTRY, REPO_ROOT, bundle } from './bundle.ts';

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

/** The entry point of the runtime, relative to the application root. */
export const RUNTIME_ENTRY = `${BUNDLE_DIR}/${BUNDLE_ENTRY}`;

/**
 * assembleRuntime builds the runtime file set into `target`, as the image's build stage does: the bundle is built
 * there (scripts/bundle.ts), every other entry is copied from the repository.
 */
export async function assembleRuntime(target: string): Promise<void> {
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

/** Who warms the compile cache: Node names the cache's sub-directory after the user (`v24.21.0-x64-<flags>-<uid>`), so
 * only the user that wrote it finds it. */
export interface WarmOptions {
  node?: string;
  /** Run as this user and group (the image's 65532); default: this process's. */
  uid?: number;
  gid?: number;
}

/**
 * warmCompileCache runs warm-compile-cache.ts on the runtime in `appRoot`, as the image's compile-cache stage does, and
 * returns the cache directory. The cache holds absolute paths and the user's id: build it where, and as whom, the
 * runtime will run.
 */
export async function warmCompileCache(appRoot: string, options: WarmOptions = {}): Promise<string> {
  const cacheDir = join(appRoot, COMPILE_CACHE_DIR);
  await mkdir(cacheDir, { recursive: true });
  if (options.uid !== undefined) await chown(cacheDir, options.uid, options.gid ?? options.uid);
  const result = spawnSync(options.node ?? process.execPath, [join(REPO_ROOT, WARM_SCRIPT), join(appRoot, RUNTIME_ENTRY)], {
    env: { ...process.env, NODE_COMPILE_CACHE: cacheDir },
    encoding: 'utf8',
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid ?? options.uid }),
  });
  if (result.status !== 0) throw new Error(`${WARM_SCRIPT} ${appRoot} failed (${result.status ?? result.signal}): ${result.stderr}`);
  return cacheDir;
}

if (import.meta.main) {
  const target = process.argv[2];
  if (target === undefined) {
    process.stderr.write('usage: node scripts/runtime-files.ts <dir>\n');
    process.exit(2);
  }
  const appRoot = resolve(target);
  await assembleRuntime(appRoot);
  const cacheDir = await warmCompileCache(appRoot);
  process.stdout.write(`runtime in ${appRoot}: run NODE_COMPILE_CACHE=${cacheDir} node ${join(appRoot, RUNTIME_ENTRY)} controller\n`);
}
