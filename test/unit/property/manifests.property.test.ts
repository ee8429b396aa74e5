// Hostile manifests through the loader (src/parse/manifests.ts) and the whole report pipeline (src/report.ts): random
// text, the repo's own manifests mutated byte by byte, and Knative Services and Deployments whose fields hold values
// of any type. The report never throws; every error names the file, and an error about an object names its field
// and a line inside the file; no finding reports a number that is neither in the input nor a documented default.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { dump } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { SKIP_REASONS, parseManifests } from '../../../src/parse/manifests.ts';
import type { ParsedDocument } from '../../../src/parse/types.ts';
import type { Finding } from '../../../src/model/finding.ts';
import { analyse, type Report } from '../../../src/report.ts';
import { hostileNumber, hostileString, hostileValue, RUNS } from './arbitraries.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');

/** Every YAML manifest under the given repo directories (examples and the rules' fixtures). */
function manifestsUnder(...dirs: string[]): { file: string; text: string }[] {
  const found: { file: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.ya?ml$/.test(name)) found.push({ file: relative(ROOT, path), text: readFileSync(path, 'utf8') });
    }
  };
  for (const dir of dirs) walk(join(ROOT, dir));
  return found;
}

const SEEDS = manifestsUnder('examples', 'test/fixtures/rules', 'test/fixtures/input');

/** Tokens that YAML gives meaning to, spliced into manifests. */
const YAML_TOKENS = ['\n', ': ', '- ', '[', ']', '{', '}', '&a ', '*a', '<<: *a', '!!binary ', '!!python/object ', '--- ', '...\n', '? ', '|', '>', '"', "'", '#', '%YAML 1.1\n', '\t', 'kind: List\nitems: 3\n', '0x1F', '.inf', '.nan', '~'];

const mutation = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...YAML_TOKENS), hostileString) }),
  fc.record({ op: fc.constant('duplicate-line' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('number' as const), at: fc.nat(), text: hostileNumber.map(String) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(text: string, m: Mutation): string {
  const at = text.length === 0 ? 0 : m.at % text.length;
  switch (m.op) {
    case 'delete':
      return text.slice(0, at) + text.slice(at + m.length);
    case 'insert':
      return text.slice(0, at) + m.text + text.slice(at);
    case 'duplicate-line': {
      const lines = text.split('\n');
      const i = m.at % lines.length;
      lines.splice(i, 0, lines[i] as string);
      return lines.join('\n');
    }
    case 'number': {
      // Replace the n-th number of the text: the values rules read are numbers.
      const numbers = [...text.matchAll(/\d+/g)];
      const hit = numbers[m.at % Math.max(1, numbers.length)];
      return hit === undefined ? text : text.slice(0, hit.index) + m.text + text.slice(hit.index + hit[0].length);
    }
  }
}

const mutatedManifest = fc.record({ seed: fc.constantFrom(...SEEDS), mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }) }).map(({ seed, mutations }) => ({
  file: seed.file,
  text: mutations.reduce(mutate, seed.text),
}));

const randomText = fc.oneof(fc.string({ maxLength: 300 }), fc.array(fc.constantFrom(...YAML_TOKENS, 'kind: Service', 'apiVersion: serving.knative.dev/v1', 'metadata:', '  name: x', 'spec:'), { maxLength: 30 }).map((t) => t.join('')));

/** A server command line whose settings are numbers of any kind, words, or things only a shell would know. */
const serverArgs = fc.array(
  fc.oneof(
    fc.constantFrom('gunicorn', 'uvicorn', 'uwsgi', 'waitress-serve', 'hypercorn', 'python', '-m', 'sh', '-c', 'main:app', '--bind', ':8080', '--workers', '-w', '--threads', '--timeout', '--processes', '--preload', '-k', 'gthread', 'uvicorn.workers.UvicornWorker', '$(nproc)', '$(WORKERS)', '${THREADS}', '--limit-concurrency'),
    hostileNumber.map(String),
    hostileString,
  ),
  { maxLength: 10 },
);

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(fc.oneof({ weight: 3, arbitrary: arb }, { weight: 1, arbitrary: hostileValue }), { nil: undefined });

const container = fc.record(
  {
    name: maybe(fc.constantFrom('app', 'user-container', 'sidecar')),
    image: maybe(fc.constantFrom('python:3.12-slim', 'europe-docker.pkg.dev/p/app:1')),
    command: maybe(serverArgs),
    args: maybe(serverArgs),
    env: maybe(fc.array(fc.record({ name: fc.constantFrom('THREADS', 'WEB_CONCURRENCY', 'PORT', 'GUNICORN_CMD_ARGS', 'WORKERS'), value: maybe(fc.oneof(hostileNumber.map(String), hostileString)) }), { maxLength: 3 })),
    resources: maybe(fc.record({ limits: fc.record({ cpu: maybe(fc.oneof(fc.constantFrom('500m', '1', '2', '4000m'), hostileNumber)) }), requests: fc.record({ cpu: maybe(hostileNumber) }) })),
    startupProbe: maybe(fc.record({ httpGet: fc.record({ path: fc.constant('/'), port: hostileNumber }), periodSeconds: hostileNumber, failureThreshold: hostileNumber })),
    ports: maybe(fc.array(fc.record({ containerPort: hostileNumber }), { maxLength: 2 })),
  },
  { requiredKeys: [] },
);

const podSpec = fc.record(
  { containerConcurrency: maybe(fc.integer({ min: -5, max: 2000 })), timeoutSeconds: maybe(fc.integer({ min: -5, max: 4000 })), serviceAccountName: maybe(fc.constant('api')), containers: maybe(fc.array(container, { maxLength: 3 })) },
  { requiredKeys: [] },
);

/** A Knative/Cloud Run Service or a Deployment; any field may hold anything. */
const workloadObject = fc
  .record({
    kind: fc.constantFrom('Service', 'Deployment'),
    name: maybe(fc.constantFrom('api', 'orders')),
    namespace: maybe(fc.constantFrom('shop', '123456789012')),
    annotations: maybe(fc.dictionary(fc.constantFrom('run.googleapis.com/cpu-throttling', 'autoscaling.knative.dev/target', 'pytuner.dev/source'), fc.oneof(hostileString, hostileNumber), { maxKeys: 2 })),
    labels: maybe(fc.dictionary(fc.constantFrom('cloud.googleapis.com/location', 'app'), hostileString, { maxKeys: 2 })),
    spec: podSpec,
  })
  .map(({ kind, name, namespace, annotations, labels, spec }) => ({
    apiVersion: kind === 'Service' ? 'serving.knative.dev/v1' : 'apps/v1',
    kind,
    metadata: { name, namespace, labels },
    spec: { template: { metadata: { annotations }, spec } },
  }));

/** Runs the report on one file's text; it must not throw. */
function reportOn(file: string, text: string): Report {
  const parsed = parseManifests(file, text);
  return analyse({ documents: parsed.documents, sources: [], errors: parsed.errors, files: 1 });
}

function expectErrorsNameTheirPlace(report: Report, file: string, lines: number): void {
  for (const error of report.errors) {
    expect(error.file).toBe(file);
    expect(error.message.trim()).not.toBe('');
    if (error.line !== undefined) {
      expect(Number.isInteger(error.line)).toBe(true);
      expect(error.line).toBeGreaterThanOrEqual(1);
      expect(error.line).toBeLessThanOrEqual(lines + 1);
    }
    if (error.object !== undefined) {
      expect(error.field, `${error.object}: ${error.message}`).toBeDefined();
      expect(error.line).toBeDefined();
    }
  }
}

/**
 * Values a rule computes from values it read (slots = workers × threads, the autoscaler's target = 70% of them):
 * their inputs are checked, not the product.
 */
const DERIVED = new Set(['requestSlots', 'autoscalerTarget', 'slots', 'budgetSeconds', 'cpus', 'workersPerCpu']);

/** The numbers written in a text, in every spelling a YAML reader turns into the same value. */
function numbersIn(text: string): Set<number> {
  const numbers = new Set<number>();
  for (const m of text.matchAll(/-?(?:0x[0-9a-f]+|\d+(?:\.\d+)?(?:e[-+]?\d+)?)/gi)) numbers.add(Number(m[0]));
  // A CPU quantity in millicores (`1500m`) is read as cores, and a vCPU count is the cores rounded up.
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)m\b/g)) numbers.add(Number(m[1]) / 1000);
  for (const n of [...numbers]) numbers.add(Math.ceil(n));
  return numbers;
}

/** No finding's number is NaN or infinite, and every number it reports as current is in the input or a documented default. */
function expectNoInventedNumbers(findings: readonly Finding[], inputText: string): void {
  const written = numbersIn(inputText);
  for (const f of findings) {
    for (const [key, value] of [...Object.entries(f.current), ...Object.entries(f.recommended)]) {
      if (typeof value === 'number') expect(Number.isFinite(value), `${f.rule} ${key}=${value}`).toBe(true);
    }
    // A documented default is cited as evidence, or named in the message ("unset (Cloud Run default 80)").
    const backedByDefault = (value: number) => f.evidence.some((e) => e.source === 'default') || f.message.includes(`default ${value}`);
    for (const [key, value] of Object.entries(f.current)) {
      if (typeof value !== 'number' || DERIVED.has(key) || backedByDefault(value)) continue;
      expect(written.has(value), `${f.rule}: current ${key}=${value} is not in the input`).toBe(true);
    }
  }
}

/** A few hundred parses with line maps take seconds on a loaded 2-core machine: more than vitest's default 5 s. */
const PROPERTY_TIMEOUT_MS = 30_000;

describe('manifests, property-based', () => {
  it('random text: the report never throws and every error names the file', () => {
    fc.assert(
      fc.property(randomText, (text) => {
        const report = reportOn('random.yaml', text);
        expectErrorsNameTheirPlace(report, 'random.yaml', text.split('\n').length);
        expectNoInventedNumbers(report.findings, text);
      }),
      { seed: 1, numRuns: RUNS },
    );
  });

  it('random and mutated text found by a directory walk: skipped with a known reason, or read; never both, never a throw', () => {
    fc.assert(
      fc.property(fc.oneof(randomText, mutatedManifest.map((m) => m.text)), (text) => {
        const parsed = parseManifests('walked.yaml', text, { walked: true });
        if (parsed.skipped !== undefined) {
          expect(Object.keys(SKIP_REASONS)).toContain(parsed.skipped);
          expect(parsed.documents).toEqual([]);
          expect(parsed.errors).toEqual([]);
        }
        const report = analyse({ documents: parsed.documents, sources: [], errors: parsed.errors, files: 1 });
        expectErrorsNameTheirPlace(report, 'walked.yaml', text.split('\n').length);
      }),
      { seed: 4, numRuns: RUNS },
    );
  }, PROPERTY_TIMEOUT_MS);

  it("the repo's manifests, mutated: errors name file, object, field and a line; no finding invents a number", () => {
    let withErrors = 0;
    let withFindings = 0;
    fc.assert(
      fc.property(mutatedManifest, ({ file, text }) => {
        const report = reportOn(file, text);
        if (report.errors.length > 0) withErrors++;
        if (report.findings.length > 0) withFindings++;
        expectErrorsNameTheirPlace(report, file, text.split('\n').length);
        expectNoInventedNumbers(report.findings, text);
      }),
      { seed: 2, numRuns: RUNS },
    );
    // The mutations reach both outcomes: broken documents and documents that still yield findings.
    expect(withErrors).toBeGreaterThan(RUNS / 10);
    expect(withFindings).toBeGreaterThan(RUNS / 10);
  }, PROPERTY_TIMEOUT_MS);

  it('Knative Services and Deployments with any value in any field, as YAML and as API objects', () => {
    fc.assert(
      fc.property(workloadObject, (object) => {
        const text = dump(object, { skipInvalid: true });
        const report = reportOn('workload.yaml', text);
        expectErrorsNameTheirPlace(report, 'workload.yaml', text.split('\n').length);
        expectNoInventedNumbers(report.findings, text);

        // The controller hands the pipeline objects from its cache, with no text and no line map.
        const document: ParsedDocument = { file: 'cluster', line: 1, docIndex: 0, object };
        const fromCache = analyse({ documents: [document], sources: [], errors: [], files: 0 });
        for (const error of fromCache.errors) {
          expect(error.file).toBe('cluster');
          if (error.object !== undefined) expect(error.field).toBeDefined();
        }
        expectNoInventedNumbers(fromCache.findings, JSON.stringify(object));
      }),
      { seed: 3, numRuns: RUNS },
    );
  }, PROPERTY_TIMEOUT_MS);
});
