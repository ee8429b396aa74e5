/**
 * @module Modules a request path may not need, imported at start-up anyway: test frameworks, WebSocket and HTTP
 * client libraries, heavy numeric libraries, pkg_resources, development tools. Each entry says why; a flag names
 * who imported the module (the tree shows the *first* importer only: later importers find it in sys.modules) and
 * suggests deferring the import to the function that needs it.
 *
 * Sources: the start-up advice of Cloud Run's Python guide ("reduce start-up tasks") and Denis Makogon's
 * "Solving Python cold start issues" (PyCon UK 2019): a Sanic hello-world spent 0.3 s of its start-up importing
 * `websockets` (95 ms of it `http.client`), `aiofiles` and `sanic.testing` it never used; "if it's hard to stay away
 * from redundant imports - delay them!"
 */
import type { ImportNode } from './parse.ts';
import { walkImports } from './parse.ts';

/** Why a module is in the list. */
export type DeferrableCategory = 'test-framework' | 'websocket' | 'http-client' | 'numeric' | 'packaging' | 'dev-tool';

/** One kind of module that a service's request path may not need at start-up. */
export interface DeferrableModule {
  /**
   * `name` matches that module and its submodules (`pytest` matches `pytest`, `pytest.fixtures`); `*.name` matches a
   * submodule called `name` of any package (`*.testing` matches `sanic.testing`, `numpy.testing`).
   */
  match: string;
  category: DeferrableCategory;
  /** Why a request path may not need it, in one sentence. */
  reason: string;
  /** Flag it only when its import took at least this long (cumulative, ms); 0 flags it whatever it cost. */
  minCumulativeMs: number;
}

/**
 * Heavy means 20 ms or more: under a 0.1 CPU quota (the talk's "10% of a single core … should be enough to see if
 * your application will survive") 20 ms of import CPU becomes about 0.2 s of cold start.
 */
export const HEAVY_IMPORT_MS = 20;

const TEST_REASON = 'test code: the request path never runs it';
const HTTP_CLIENT_REASON = 'an HTTP client: only a request that calls another service needs it (in the talk, http.client alone cost 95 ms of start-up)';
const NUMERIC_REASON = 'a large compiled library: only the endpoints that compute with it need it, and instances that never serve them pay for it at every cold start';
const DEV_REASON = 'a development tool (debugger, linter, formatter, coverage, profiler UI): not needed to serve requests';

/** The list, most specific first: a module takes the first entry that matches. */
export const DEFERRABLE_MODULES: readonly DeferrableModule[] = [
  { match: 'pytest', category: 'test-framework', reason: `pytest, ${TEST_REASON}`, minCumulativeMs: 0 },
  { match: '_pytest', category: 'test-framework', reason: `pytest's implementation, ${TEST_REASON}`, minCumulativeMs: 0 },
  { match: 'unittest', category: 'test-framework', reason: `the unittest framework (unittest.mock also imports asyncio), ${TEST_REASON}`, minCumulativeMs: 0 },
  { match: 'mock', category: 'test-framework', reason: `the mock backport, ${TEST_REASON}`, minCumulativeMs: 0 },
  { match: 'doctest', category: 'test-framework', reason: `doctest, ${TEST_REASON}`, minCumulativeMs: 0 },
  { match: 'nose', category: 'test-framework', reason: `nose, ${TEST_REASON}`, minCumulativeMs: 0 },
  { match: 'hypothesis', category: 'test-framework', reason: `Hypothesis (property-based testing), ${TEST_REASON}`, minCumulativeMs: 0 },
  { match: 'faker', category: 'test-framework', reason: `Faker (fake test data), ${TEST_REASON}`, minCumulativeMs: 0 },
  { match: 'responses', category: 'test-framework', reason: `responses (mocks requests), ${TEST_REASON}`, minCumulativeMs: 0 },
  { match: 'freezegun', category: 'test-framework', reason: `freezegun (fakes the clock), ${TEST_REASON}`, minCumulativeMs: 0 },
  { match: '*.test', category: 'test-framework', reason: `a package's test helpers (test client, fixtures), ${TEST_REASON}`, minCumulativeMs: 0 },
  { match: '*.testing', category: 'test-framework', reason: `a package's test helpers (sanic.testing in the talk), ${TEST_REASON}`, minCumulativeMs: 0 },
  { match: '*.conftest', category: 'test-framework', reason: `pytest fixtures, ${TEST_REASON}`, minCumulativeMs: 0 },
  { match: 'websockets', category: 'websocket', reason: 'a WebSocket implementation: only a service that speaks WebSocket needs it (the talk\'s Sanic app spent 0.3 s importing it unused)', minCumulativeMs: 0 },
  { match: 'wsproto', category: 'websocket', reason: 'a WebSocket protocol implementation: only a service that speaks WebSocket needs it', minCumulativeMs: 0 },
  { match: 'websocket', category: 'websocket', reason: 'a WebSocket client: only a request that opens a WebSocket connection needs it', minCumulativeMs: 0 },
  { match: 'http.client', category: 'http-client', reason: HTTP_CLIENT_REASON, minCumulativeMs: 0 },
  { match: 'urllib.request', category: 'http-client', reason: HTTP_CLIENT_REASON, minCumulativeMs: 0 },
  { match: 'urllib3', category: 'http-client', reason: HTTP_CLIENT_REASON, minCumulativeMs: 0 },
  { match: 'requests', category: 'http-client', reason: HTTP_CLIENT_REASON, minCumulativeMs: 0 },
  { match: 'httpx', category: 'http-client', reason: HTTP_CLIENT_REASON, minCumulativeMs: 0 },
  { match: 'pandas', category: 'numeric', reason: NUMERIC_REASON, minCumulativeMs: HEAVY_IMPORT_MS },
  { match: 'numpy', category: 'numeric', reason: NUMERIC_REASON, minCumulativeMs: HEAVY_IMPORT_MS },
  { match: 'scipy', category: 'numeric', reason: NUMERIC_REASON, minCumulativeMs: HEAVY_IMPORT_MS },
  { match: 'matplotlib', category: 'numeric', reason: `${NUMERIC_REASON}; it may also build its font cache on first import`, minCumulativeMs: HEAVY_IMPORT_MS },
  { match: 'sklearn', category: 'numeric', reason: NUMERIC_REASON, minCumulativeMs: HEAVY_IMPORT_MS },
  { match: 'torch', category: 'numeric', reason: NUMERIC_REASON, minCumulativeMs: HEAVY_IMPORT_MS },
  { match: 'tensorflow', category: 'numeric', reason: NUMERIC_REASON, minCumulativeMs: HEAVY_IMPORT_MS },
  { match: 'pkg_resources', category: 'packaging', reason: 'pkg_resources reads the metadata of every installed distribution when imported; importlib.metadata answers the same questions on demand', minCumulativeMs: 0 },
  { match: 'setuptools', category: 'packaging', reason: 'a build tool: serving requests does not need it', minCumulativeMs: 0 },
  { match: 'IPython', category: 'dev-tool', reason: DEV_REASON, minCumulativeMs: 0 },
  { match: 'ipdb', category: 'dev-tool', reason: DEV_REASON, minCumulativeMs: 0 },
  { match: 'pdb', category: 'dev-tool', reason: DEV_REASON, minCumulativeMs: 0 },
  { match: 'debugpy', category: 'dev-tool', reason: DEV_REASON, minCumulativeMs: 0 },
  { match: 'pydevd', category: 'dev-tool', reason: DEV_REASON, minCumulativeMs: 0 },
  { match: 'black', category: 'dev-tool', reason: DEV_REASON, minCumulativeMs: 0 },
  { match: 'mypy', category: 'dev-tool', reason: DEV_REASON, minCumulativeMs: 0 },
  { match: 'pylint', category: 'dev-tool', reason: DEV_REASON, minCumulativeMs: 0 },
  { match: 'flake8', category: 'dev-tool', reason: DEV_REASON, minCumulativeMs: 0 },
  { match: 'coverage', category: 'dev-tool', reason: DEV_REASON, minCumulativeMs: 0 },
  { match: 'watchdog', category: 'dev-tool', reason: 'a file watcher for auto-reload in development: a deployed instance never reloads', minCumulativeMs: 0 },
];

/** A module imported at start-up that the request path may not need. */
export interface DeferrableImport {
  module: string;
  category: DeferrableCategory;
  reason: string;
  /** The list entry that matched (`*.test`, `http.client`). */
  matched: string;
  selfUs: number;
  cumulativeUs: number;
  /** The module whose import imported it first; null when the command itself did (`python -c "import pytest"`). */
  importedBy: string | null;
  /** The importers from the root down to the module itself. */
  chain: string[];
  /** What to do about it, naming the importer. */
  suggestion: string;
}

/** The list entry that matches `name`, if any. */
export function deferrableEntry(name: string, list: readonly DeferrableModule[] = DEFERRABLE_MODULES): DeferrableModule | undefined {
  return list.find((entry) => matches(entry.match, name));
}

function matches(pattern: string, name: string): boolean {
  if (pattern.startsWith('*.')) return name.endsWith(pattern.slice(1));
  return name === pattern || name.startsWith(`${pattern}.`);
}

/**
 * The deferrable modules of an import tree, costliest first. A module under one already flagged is not flagged
 * again: deferring the outer import defers it too (`unittest.mock` covers the `unittest` and `asyncio` it imports).
 */
export function findDeferrableImports(roots: readonly ImportNode[], list: readonly DeferrableModule[] = DEFERRABLE_MODULES): DeferrableImport[] {
  const found: DeferrableImport[] = [];
  const covered = new Set<ImportNode>();
  for (const { node, chain } of walkImports(roots)) {
    if (covered.has(node)) {
      for (const child of node.children) covered.add(child);
      continue;
    }
    const entry = deferrableEntry(node.name, list);
    if (entry === undefined || node.cumulativeUs < entry.minCumulativeMs * 1000) continue;
    for (const child of node.children) covered.add(child);
    const importedBy = chain.length > 1 ? (chain.at(-2) as string) : null;
    found.push({
      module: node.name,
      category: entry.category,
      reason: entry.reason,
      matched: entry.match,
      selfUs: node.selfUs,
      cumulativeUs: node.cumulativeUs,
      importedBy,
      chain,
      suggestion: deferSuggestion(chain),
    });
  }
  return found.sort((a, b) => b.cumulativeUs - a.cumulativeUs || compareText(a.module, b.module));
}

/** The top-level package of a dotted module name (`werkzeug` for `werkzeug.test`). */
export function topLevelPackage(name: string): string {
  const dot = name.indexOf('.');
  return dot === -1 ? name : name.slice(0, dot);
}

/**
 * What to do about a deferrable import, from its chain of importers (root first, the module last). What matters is
 * the import that brought it in from outside its own package: `main > http.client` is main's to defer, while in
 * `flask.globals > werkzeug.local > werkzeug > werkzeug.test` werkzeug imports its test module for itself and only
 * flask.globals' import of werkzeug.local decides whether it is loaded at start-up.
 */
export function deferSuggestion(chain: readonly string[]): string {
  const module = chain.at(-1) as string;
  if (chain.length <= 1) {
    return `the command imports ${module} itself: import it inside the function that uses it, or lazily (importlib.util.LazyLoader), so start-up does not pay for it`;
  }
  const ownPackage = topLevelPackage(module);
  const entry = chain.findLastIndex((name, index) => index < chain.length - 1 && topLevelPackage(name) !== ownPackage);
  if (entry === -1) {
    return `it comes with ${chain[0]} (${chain.join(' > ')}): the command imports ${chain[0]} itself; import it inside the function that uses it, or lazily, so start-up does not pay for ${module}`;
  }
  const importer = chain[entry] as string;
  if (entry === chain.length - 2) {
    return `${importer} imports it at start-up: if ${importer} is your code, move \`import ${module}\` into the function that uses it (or import it lazily); if it is a library's, import that library where it is used, or use a part of it that does not import ${module}`;
  }
  const carrier = chain[entry + 1] as string;
  return `it comes with ${carrier} (${chain.slice(entry + 1).join(' > ')}), so it leaves start-up only when ${carrier} does; ${importer} imports ${carrier} at start-up: if ${importer} is your code, move \`import ${carrier}\` into the function that uses it (or import it lazily); if it is a library's, import that library where it is used`;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
