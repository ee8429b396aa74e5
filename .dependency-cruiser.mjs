/**
 * The layering of src/, checked by `npm run lint:layers` (part of `npm test`).
 *
 *   input (files, Prometheus) ─┐
 *   cli, controller,           ├─ I/O: may import anything below
 *   actuator/apply.ts ─────────┘
 *   parse → model → rules / recommender / solve → render → output, report.ts, actuator/{plan,managedFields,status}
 *   (the pure core, with api and importtime)
 *
 * The pure core may not reach, directly or through any chain of imports, a Node builtin that does I/O, a
 * client for the network or a logger, nor a module of the I/O layers: that is what lets the CLI and the
 * controller share it and its tests run on plain data. Only value imports count (tsPreCompilationDeps is
 * off): `import type` is erased and loads nothing. Globals (process, fetch, the clock, randomness) are
 * ESLint's part: see eslint.config.mjs.
 */

const PURE_CORE = [
  '^src/(parse|model|rules|recommender|solve|render|output|api|importtime|config)/',
  '^src/report[.]ts$',
  '^src/actuator/(plan|managedFields|status)[.]ts$',
];
const IO_MODULES = ['^src/(input|cli|controller)/', '^src/actuator/apply[.]ts$'];
// Builtins that touch files, sockets, processes, threads, the clock or randomness. `node:path`, `node:util`,
// `node:url` and the like are arithmetic on strings and stay allowed.
const IO_BUILTINS =
  '^(node:)?(fs|fs/promises|net|http|https|http2|child_process|cluster|dgram|dns|dns/promises|tls|tty|readline|repl|' +
  'worker_threads|process|os|perf_hooks|timers|timers/promises|inspector|module|v8|vm|async_hooks|sqlite|stream/web)$';
const IO_PACKAGES = 'node_modules/(@kubernetes/client-node|undici|pino|prom-client|commander)/';

/** Layers below `layer` in the direction input → parse → model → decide → render → output. */
const notBelow = (name, from, forbidden, comment) => ({
  name,
  comment,
  severity: 'error',
  from: { path: from, pathNot: '[.]test[.]ts$' },
  to: { path: forbidden },
});

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'pure-core-no-io-builtin',
      comment: 'The pure core reaches a Node builtin that does I/O (directly or through another module).',
      severity: 'error',
      from: { path: PURE_CORE, pathNot: '[.]test[.]ts$' },
      to: { path: IO_BUILTINS, reachable: true },
    },
    {
      name: 'pure-core-no-io-package',
      comment: 'The pure core reaches a Kubernetes or HTTP client, a logger, a metrics registry or the CLI parser.',
      severity: 'error',
      from: { path: PURE_CORE, pathNot: '[.]test[.]ts$' },
      to: { path: IO_PACKAGES, reachable: true },
    },
    {
      name: 'pure-core-no-io-module',
      comment: 'The pure core reaches a module of the I/O layers (input, cli, controller, actuator/apply).',
      severity: 'error',
      from: { path: PURE_CORE, pathNot: '[.]test[.]ts$' },
      to: { path: IO_MODULES, reachable: true },
    },
    notBelow(
      'parse-is-text-to-data',
      '^src/parse/',
      '^src/(?!parse/)',
      'src/parse turns text into data; it knows nothing of the model, rules or outputs built on it.',
    ),
    notBelow(
      'model-below-decisions',
      '^src/model/',
      ['^src/(input|rules|recommender|solve|render|output|actuator|controller|cli|importtime)/', '^src/report[.]ts$'],
      'src/model holds typed facts; it is read by rules and the recommender, never the other way round.',
    ),
    notBelow(
      'decisions-below-renderers',
      '^src/(rules|recommender|solve)/',
      ['^src/(output|actuator|controller|cli)/', '^src/report[.]ts$'],
      'Rules, the recommender and the solver decide; outputs and the actuator act on what they decide.',
    ),
    notBelow(
      'renderers-below-outputs',
      '^src/render/',
      ['^src/(output|actuator|controller|cli)/', '^src/report[.]ts$'],
      'Renderers turn changes into patches and edits; outputs and the actuator use them, not the reverse.',
    ),
    notBelow(
      'api-is-schemas',
      '^src/api/',
      '^src/(?!api/|parse/)',
      'src/api holds the CRD schemas; the controller and actuator read them, they read nothing of ours but parse.',
    ),
    notBelow(
      'input-below-entry-points',
      '^src/input/',
      '^src/(cli|controller|actuator)/',
      'src/input reads files and Prometheus; it is used by the CLI and the controller, never the other way round.',
    ),
    {
      name: 'no-circular',
      comment: 'A cycle of value imports: the modules load in an order that depends on who imports first.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    exclude: { path: '[.]test[.]ts$' },
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: false,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'node', 'default'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
