/**
 * @module The production bundle: `src/cli/main.ts` and everything it imports (node_modules included) as ES modules
 * in `dist/bundle/` (`pytuner.js` plus chunks that load on demand), built with esbuild. The container image runs
 * nothing else (see scripts/runtime-files.ts and the Dockerfile). Why: one parse of a few files instead of resolving
 * and reading ~1,900 modules, and the heaviest packages cut to what pytuner uses (SUBSETS).
 *
 * Also the controller's startup snapshot script (bundleSnapshot, SNAPSHOT_SCRIPT).
 *
 *   node scripts/bundle.ts                 # writes dist/bundle/ and dist/snapshot/pytuner.cjs
 *   node scripts/bundle.ts --outdir <dir>  # elsewhere (the snapshot script in <dir>/../snapshot/)
 */
import { rm } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build, type BuildOptions, type BuildResult, type Metafile, type Plugin } from 'esbuild';

/** The repository root. */
export const REPO_ROOT = resolve(import.meta.dirname, '..');

/**
 * Where the bundle goes, relative to the repository root (and to /app in the image). Two levels deep, like
 * `dist/cli/`, so `src/cli/package.ts` finds package.json and docs/rules two directories up from the bundle too.
 */
export const BUNDLE_DIR = 'dist/bundle';

/** The entry file of the bundle, relative to its directory. */
export const BUNDLE_ENTRY = 'pytuner.js';

/**
 * The script the controller's V8 startup snapshot is built from (src/cli/snapshot.ts bundled into one CommonJS file,
 * as `node --build-snapshot` takes it), relative to the repository root. Beside the bundle's directory, not in it:
 * the image's runtime holds the blob built from it, not the script.
 */
export const SNAPSHOT_SCRIPT = 'dist/snapshot/pytuner.cjs';

/** Options of `bundle`. */
export interface BundleOptions {
  /** Output directory (emptied first). Default: `<repo>/dist/bundle`. */
  outdir?: string;
  /** false: build in memory only (the guard test reads the metafile). Default true. */
  write?: boolean;
}

/** A package whose index the bundle replaces with a file listing only what is used (see scripts/bundle-subsets/). */
interface Subset {
  /** The specifier, exactly: `import … from '<package>'` (deep imports are left alone); a relative one with `importedFrom`. */
  package: string;
  file: string;
  /** Only for imports from these files or directories (paths relative to the repository root; default: every importer). */
  importedFrom?: readonly string[];
}

/** The subsets; each file's header says what it drops and what that saves. */
export const SUBSETS: readonly Subset[] = [
  // Before client-node.ts: the first subset whose importers match is used.
  { package: '@kubernetes/client-node', file: 'client-node-config.ts', importedFrom: ['src/input/kubeHttp.ts', 'src/controller/main.ts'] },
  { package: '@kubernetes/client-node', file: 'client-node.ts' },
  { package: './gen/index.js', file: 'client-node-gen.js', importedFrom: ['node_modules/@kubernetes/client-node/dist/config.js'] },
  { package: 'socks-proxy-agent', file: 'client-node-proxies.js', importedFrom: ['node_modules/@kubernetes/client-node/dist/config.js'] },
  { package: 'socks', file: 'client-node-proxies.js', importedFrom: ['node_modules/@kubernetes/client-node/dist/config.js'] },
  { package: 'hpagent', file: 'client-node-proxies.js', importedFrom: ['node_modules/@kubernetes/client-node/dist/config.js'] },
  { package: 'undici', file: 'undici.js', importedFrom: ['node_modules/@kubernetes/client-node/', 'src/input/kubeHttp.ts'] },
  { package: 'prom-client', file: 'prom-client.js' },
];

const subsets: Plugin = {
  name: 'subsets',
  setup(pluginBuild) {
    for (const subset of SUBSETS) {
      const filter = new RegExp(`^${subset.package.replace(/[/.]/g, '\\$&')}$`);
      pluginBuild.onResolve({ filter }, (args) => {
        if (subset.importedFrom !== undefined && !subset.importedFrom.some((path) => args.importer.startsWith(join(REPO_ROOT, path)))) return undefined;
        return { path: join(REPO_ROOT, 'scripts', 'bundle-subsets', subset.file) };
      });
    }
  },
};

/**
 * ES imports of Node.js builtins become `process.getBuiltinModule(…)`, read as CommonJS (names are looked up when used).
 * Why: an ES import of a builtin builds its ES module facade, which reads every export, getters included, and
 * node:http's lazy WebSocket, CloseEvent and MessageEvent getters load Node's own copy of undici. Measured on Node
 * 24.21 (median of 11 whole processes): `import 'node:http'` 76 ms of CPU and 58 MB of RSS, `require('node:http')` or
 * `process.getBuiltinModule('node:http')` 33 ms and 45 MB, `node -e 1` 30 ms and 42 MB. Dynamic imports are left as
 * they are: they run after ready, if at all. test/unit/startup-budget.test.ts fails if an ES import of a builtin
 * comes back on the start-up path.
 */
const builtins: Plugin = {
  name: 'builtins',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^[a-z0-9_:/]+$/ }, (args) => {
      if (args.kind !== 'import-statement') return undefined;
      if (!isBuiltin(args.path)) return undefined;
      return { path: args.path.startsWith('node:') ? args.path : `node:${args.path}`, namespace: 'builtin' };
    });
    pluginBuild.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({ contents: `module.exports = process.getBuiltinModule(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

/**
 * CommonJS dependencies (pino, prom-client, undici…) call `require('node:…')`, which an ES module has no binding for;
 * esbuild's shim uses a `require` in scope when there is one. Every output file gets this line.
 */
const REQUIRE_SHIM = "import { createRequire as __pytunerCreateRequire } from 'node:module'; const require = __pytunerCreateRequire(import.meta.url);";

/** What the bundle and the snapshot's script are both built with. */
const SHARED: BuildOptions = {
  absWorkingDir: REPO_ROOT,
  bundle: true,
  platform: 'node',
  // package.json engines: node >= 22.19; the image runs Node 24.
  target: 'node22.19',
  // debug asks for supports-color in a try/catch and falls back without it. Whether esbuild finds it depends on
  // what dev tools hoist into node_modules (dependency-cruiser brings it), so it stays out: the image and the
  // start-up budget (test/unit/startup-budget.test.ts) must not depend on the dev dependencies.
  external: ['supports-color'],
  // Whitespace and syntax at least: 3.2 MB instead of 4.8 MB to read, hash (the compile cache checks the source) and
  // keep in memory, ~6 MB less resident at ready (bench/startup.ts).
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'eof',
  logLevel: 'warning',
};

/**
 * Builtins that Node 24 cannot keep in a startup snapshot (`node --build-snapshot` aborts in V8's
 * CheckGlobalAndEternalHandles once one is loaded): the snapshot's bundle gives their importers a stand-in that loads
 * them on first use (scripts/snapshot-deferred-builtin.js).
 */
const NOT_IN_SNAPSHOT = new Set(['node:http', 'node:https', 'node:http2', 'node:tls', 'node:sqlite']);

const deferredBuiltins: Plugin = {
  name: 'deferred-builtins',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^[a-z0-9_:/]+$/ }, (args) => {
      if (!isBuiltin(args.path)) return undefined;
      const name = args.path.startsWith('node:') ? args.path : `node:${args.path}`;
      return NOT_IN_SNAPSHOT.has(name) ? { path: name, namespace: 'deferred-builtin' } : undefined;
    });
    pluginBuild.onLoad({ filter: /.*/, namespace: 'deferred-builtin' }, (args) => {
      const keys = Object.keys(process.getBuiltinModule(args.path) as object);
      const helper = join(REPO_ROOT, 'scripts', 'snapshot-deferred-builtin.js');
      return { contents: `module.exports = require(${JSON.stringify(helper)}).deferredBuiltin(${JSON.stringify(args.path)}, ${JSON.stringify(keys)});`, loader: 'js', resolveDir: REPO_ROOT };
    });
  },
};

/**
 * bundleSnapshot bundles src/cli/snapshot.ts and everything it imports into the one CommonJS script a startup snapshot
 * is built from (`node --snapshot-blob <blob> --build-snapshot <script>`, scripts/runtime-files.ts). The same subsets
 * as the bundle; the builtins Node cannot snapshot deferred; the other builtins left to `require`, which a snapshot's
 * builder script has for builtins only.
 */
export async function bundleSnapshot(outfile = join(REPO_ROOT, SNAPSHOT_SCRIPT)): Promise<BuildResult & { metafile: Metafile }> {
  return build({
    ...SHARED,
    entryPoints: [join(REPO_ROOT, 'src', 'cli', 'snapshot.ts')],
    outfile,
    format: 'cjs',
    plugins: [subsets, deferredBuiltins],
    // Local names shortened too, unlike the bundle's: the snapshot holds the whole script's source (3.7 MB; 2.6 MB
    // shortened), and Node keeps the blob in memory besides the heap it restores. Measured on a controller start to
    // 'controller starting' (2026-12-08): 8 ms less CPU and 3 MB less RSS. keepNames gives functions and classes their
    // own names back (`.name`, which stack traces print), at a cost paid when the snapshot is built.
    minifyIdentifiers: true,
    keepNames: true,
    metafile: true,
  });
}

/** bundle builds the bundle and returns esbuild's result with its metafile (inputs and outputs, bytes, imports). */
export async function bundle(options: BundleOptions = {}): Promise<BuildResult & { metafile: Metafile }> {
  const outdir = options.outdir ?? join(REPO_ROOT, BUNDLE_DIR);
  const write = options.write ?? true;
  if (write) await rm(outdir, { recursive: true, force: true });
  return build({
    ...SHARED,
    entryPoints: { [BUNDLE_ENTRY.replace(/\.js$/, '')]: join(REPO_ROOT, 'src', 'cli', 'main.ts') },
    outdir,
    splitting: true,
    // Chunks beside the entry, not in a sub-directory: src/cli/package.ts finds the package root two levels up from
    // the module that asks (import.meta.url), whichever chunk that lands in.
    chunkNames: '[name]-[hash]',
    format: 'esm',
    banner: { js: REQUIRE_SHIM },
    plugins: [subsets, builtins],
    // Names stay (no minifyIdentifiers), so stack traces keep them, and the linked source maps (not read unless
    // NODE_OPTIONS=--enable-source-maps) give the lines.
    sourcemap: 'linked',
    metafile: true,
    write,
  });
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { outdir: { type: 'string' } } });
  const outdir = values.outdir === undefined ? join(REPO_ROOT, BUNDLE_DIR) : resolve(values.outdir);
  const [result] = await Promise.all([bundle({ outdir }), bundleSnapshot(resolve(outdir, relative(BUNDLE_DIR, SNAPSHOT_SCRIPT)))]);
  const scripts = Object.entries(result.metafile.outputs).filter(([path]) => path.endsWith('.js'));
  const bytes = scripts.reduce((sum, [, output]) => sum + output.bytes, 0);
  process.stdout.write(`wrote ${scripts.length} JavaScript files, ${(bytes / 1_048_576).toFixed(1)} MiB (and their source maps), to ${outdir}\n`);
}
