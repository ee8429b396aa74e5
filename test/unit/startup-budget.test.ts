// The controller's start-up budget, without a clock: the JavaScript `pytuner controller` loads before it can be
// ready is what the bundle's metafile says the entry imports, statically and through the dynamic imports on the
// start-up path. A heavy import on that path (zod, the rules, the whole of undici or prom-client, client-node's
// index) fails here, where a timed test would only be flaky; bench/startup.ts measures the time itself.
// The image's controller runs from a startup snapshot that evaluates these same modules when it is built
// (src/cli/snapshot.ts), so the budget bounds the heap it restores too.
import { isBuiltin } from 'node:module';
import type { Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundle } from '../../scripts/bundle.ts';

/** Modules the controller imports dynamically before it is ready (the chunks they head are loaded at start-up). */
const LOADED_BEFORE_READY = ['src/cli/main.ts', 'src/cli/controllerOnly.ts', 'src/controller/main.ts', 'src/controller/log.ts'];

/** Modules imported dynamically that a controller start does not load before ready: other commands, and the reconciler (after the caches sync). */
// policyReportWriter.ts: only with --policy-reports, imported once the controller is configured.
const LOADED_LATER = ['src/cli/program.ts', 'src/controller/policyReportWriter.ts', 'src/controller/reconciler.ts'];

/**
 * Bytes of JavaScript loaded before ready: 1.28 MB (1,281,535 on 2026-12-07: minified, with the dependencies of
 * package-lock.json; bench/startup.ts measures the time it takes), 1.94 MB before client-node's API clients and model
 * classes moved after ready. The headroom is 4%: zod, undici's index, the rules or client-node's models exceed it.
 * Half of it (650 KB) is undici, read but not run before ready: its modules are evaluated on first use
 * (scripts/bundle-subsets/undici.js), after ready; the same holds for socks, ip-address, smart-buffer and hpagent
 * (client-node-proxies.js).
 */
const BUDGET_BYTES = 1_330_000;

/** Every package whose code is loaded before ready: adding one is a decision, made here. */
const PACKAGES_BEFORE_READY = [
  '@kubernetes/client-node',
  '@opentelemetry/api', // prom-client's process CPU metric asks for it (evaluated after ready, with the process metrics)
  '@pinojs/redact',
  'agent-base', // client-node's SOCKS proxy support, imported by its KubeConfig (evaluated only for a proxy-url)
  'atomic-sleep',
  'commander',
  'debug',
  'hpagent',
  'ip-address',
  'js-yaml', // the kubeconfig
  'jsonpath-plus', // client-node's exec and gcp auth providers
  'ms',
  'oauth4webapi', // client-node's OIDC auth provider
  'on-exit-leak-free',
  'openid-client',
  'pino',
  'pino-std-serializers',
  'prom-client',
  'quick-format-unescaped',
  'rfc4648',
  'safe-stable-stringify',
  'smart-buffer',
  'socks',
  'socks-proxy-agent',
  'sonic-boom',
  'thread-stream',
  'undici', // evaluated on first use (client-node's API clients, after ready), not at start-up
];

/** Inputs that must never be loaded before ready. */
const NEVER_BEFORE_READY = [
  /(^|\/)node_modules\/zod\//,
  /^src\/rules\//,
  /^src\/recommender\//,
  /^src\/model\/extract\//,
  // The input layer, but for the API server HTTP helpers the controller's informers use from the start.
  /^src\/input\/(?!kubeHttp\.ts$)/,
  /^src\/actuator\//,
  /(^|\/)node_modules\/undici\/index\.js$/,
  /(^|\/)node_modules\/prom-client\/index\.js$/,
  /(^|\/)node_modules\/@kubernetes\/client-node\/dist\/index\.js$/,
  // client-node's API clients and their model classes: the reconciler's and the actuator's, after ready.
  /(^|\/)node_modules\/@kubernetes\/client-node\/dist\/gen\/(apis|models|types)\//,
];

/** Optional requires in try/catch that esbuild leaves to run time (absent: the package falls back). */
const OPTIONAL_REQUIRES = ['supports-color'];

let metafile: Metafile;

beforeAll(async () => {
  metafile = (await bundle({ write: false })).metafile;
}, 60_000);

/** The outputs loaded from the entry up to ready: static imports always, dynamic ones into LOADED_BEFORE_READY. */
function startupClosure(): { files: string[]; deferred: Set<string> } {
  const outputs = metafile.outputs;
  const entry = Object.keys(outputs).find((path) => outputs[path]?.entryPoint === 'src/cli/main.ts');
  if (entry === undefined) throw new Error('no output for src/cli/main.ts');
  const seen = new Set([entry]);
  const deferred = new Set<string>();
  const queue = [entry];
  for (let path = queue.pop(); path !== undefined; path = queue.pop()) {
    for (const imported of outputs[path]?.imports ?? []) {
      if (imported.external) continue;
      const target = outputs[imported.path];
      if (target === undefined) throw new Error(`${path} imports ${imported.path}, which is not an output`);
      if (imported.kind === 'dynamic-import' && !LOADED_BEFORE_READY.includes(target.entryPoint ?? '')) {
        deferred.add(target.entryPoint ?? imported.path);
        continue;
      }
      if (!seen.has(imported.path)) {
        seen.add(imported.path);
        queue.push(imported.path);
      }
    }
  }
  return { files: [...seen], deferred };
}

function inputsOf(files: string[]): string[] {
  return files.flatMap((file) => Object.keys(metafile.outputs[file]?.inputs ?? {}));
}

function packageOf(input: string): string | undefined {
  return /node_modules\/((@[^/]+\/)?[^/]+)\//.exec(input)?.[1];
}

describe('what pytuner controller loads before it is ready', () => {
  it('stays under the byte budget', () => {
    const { files } = startupClosure();
    const bytes = files.reduce((sum, file) => sum + (metafile.outputs[file]?.bytes ?? 0), 0);
    expect(bytes).toBeLessThanOrEqual(BUDGET_BYTES);
    // Far below the budget means the budget is stale: lower it, so it keeps guarding.
    expect(bytes).toBeGreaterThan(BUDGET_BYTES * 0.8);
  });

  it('defers only the modules meant to load later, and loads only the listed packages', () => {
    const { files, deferred } = startupClosure();
    expect([...deferred].sort()).toEqual(LOADED_LATER);
    const packages = [...new Set(inputsOf(files).map(packageOf).filter((p) => p !== undefined))].sort();
    expect(packages).toEqual(PACKAGES_BEFORE_READY);
  });

  it('never loads zod, the rules, the actuator or whole package indexes before ready', () => {
    const inputs = inputsOf(startupClosure().files);
    expect(inputs.filter((input) => NEVER_BEFORE_READY.some((pattern) => pattern.test(input)))).toEqual([]);
    // No pattern is a typo: each matches an input of the whole bundle, but the two indexes SUBSETS keep out of it entirely.
    const everything = Object.keys(metafile.inputs);
    expect(NEVER_BEFORE_READY.filter((pattern) => !everything.some((input) => pattern.test(input)))).toEqual([
      /(^|\/)node_modules\/prom-client\/index\.js$/,
      /(^|\/)node_modules\/@kubernetes\/client-node\/dist\/index\.js$/,
    ]);
  });

  it('imports no Node.js builtin as an ES module before ready (scripts/bundle.ts reads them with getBuiltinModule)', () => {
    // An ES import of node:http alone costs 55 ms of CPU and 14 MB (its facade runs the lazy getters that load Node's
    // own undici); require() and process.getBuiltinModule() do not. Dynamic imports after ready may stay.
    const { files } = startupClosure();
    const esImports = files.flatMap((file) => (metafile.outputs[file]?.imports ?? []).filter((i) => i.external && i.kind === 'import-statement').map((i) => i.path));
    expect(esImports).toEqual([]);
    // The builtins still arrive: node:http (the operations endpoint) through its getBuiltinModule wrapper.
    expect(inputsOf(files)).toContain('builtin:node:http');
  });

  it('needs nothing at run time but Node.js builtins and its own files (the image has no node_modules)', () => {
    const externals = new Set(Object.values(metafile.outputs).flatMap((output) => output.imports.filter((i) => i.external).map((i) => i.path)));
    expect([...externals].filter((name) => !isBuiltin(name) && !OPTIONAL_REQUIRES.includes(name))).toEqual([]);
  });
});
