/**
 * ESLint for src/, with type information (`npm run lint`, part of `npm test`). Few rules, each for a fault
 * the compiler does not see: a promise nobody awaits, a function too branchy to read, and, in the pure core,
 * a global that does I/O or reads the clock or randomness. Import layering is dependency-cruiser's job
 * (.dependency-cruiser.mjs), because it follows imports transitively.
 */
import tseslint from 'typescript-eslint';

// Same folders as PURE_CORE in .dependency-cruiser.mjs.
const PURE_CORE = [
  'src/parse/**/*.ts',
  'src/model/**/*.ts',
  'src/rules/**/*.ts',
  'src/recommender/**/*.ts',
  'src/solve/**/*.ts',
  'src/render/**/*.ts',
  'src/output/**/*.ts',
  'src/api/**/*.ts',
  'src/importtime/**/*.ts',
  'src/config/**/*.ts',
  'src/report.ts',
  'src/actuator/plan.ts',
  'src/actuator/managedFields.ts',
  'src/actuator/status.ts',
];

const INJECT = 'The pure core takes it as an argument (as RecommenderConfig.now and PlanInput.now do).';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**'] },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // 20 branch points: the tokenisers (Dockerfile, shell words, gunicorn.conf.py) sit just under it, since a
      // tokeniser's cases read best side by side; above it a function mixes several decisions and is split.
      complexity: ['error', 20],
      'max-depth': ['error', 4],
    },
  },
  {
    files: PURE_CORE,
    ignores: ['src/**/*.test.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        { name: 'process', message: `process reads the environment and the host, and loads builtins (process.getBuiltinModule). ${INJECT}` },
        { name: 'fetch', message: 'fetch is network I/O; it belongs in src/input.' },
        { name: 'XMLHttpRequest', message: 'Network I/O belongs in src/input.' },
        { name: 'WebSocket', message: 'Network I/O belongs in src/input.' },
        { name: 'setTimeout', message: `Timers belong to the controller. ${INJECT}` },
        { name: 'setInterval', message: `Timers belong to the controller. ${INJECT}` },
        { name: 'setImmediate', message: `Timers belong to the controller. ${INJECT}` },
        { name: 'performance', message: `performance reads the clock. ${INJECT}` },
        { name: 'crypto', message: `crypto draws randomness. ${INJECT}` },
        { name: 'require', message: 'Modules are imported, so dependency-cruiser sees them.' },
      ],
      // node:crypto is allowed for hashing (a pure function of its input: long recommendation names end in a hash);
      // what in it draws randomness is not.
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'node:crypto', importNames: ['randomBytes', 'randomUUID', 'randomInt', 'randomFillSync', 'getRandomValues', 'webcrypto'], message: `crypto randomness. ${INJECT}` }] },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: `Date.now() reads the clock. ${INJECT}` },
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: `new Date() reads the clock. ${INJECT}` },
        { selector: "CallExpression[callee.name='Date']", message: `Date() reads the clock. ${INJECT}` },
        { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: `Math.random() is randomness. ${INJECT}` },
        { selector: "MemberExpression[object.name='globalThis']", message: 'globalThis reaches the globals this config forbids.' },
        { selector: 'ImportExpression[source.type!="Literal"]', message: 'A computed import() hides its target from dependency-cruiser.' },
      ],
    },
  },
);
