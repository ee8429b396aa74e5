// Fix idempotence, property-based: for generated Knative/Cloud Run Services and Deployments running gunicorn in every
// command-line form pytuner writes fixes for, the JSON patches of one report never disagree (no two ops on one path
// with different values), applying them all keeps every container's image and args, and a second report finds no
// finding that carries a patch. This is the promise the solver (src/solve) makes; the expectation is the absence of
// findings, not anything computed by pytuner.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Finding, JsonPatchOp } from '../../../src/model/finding.ts';
import type { LoadedInputs } from '../../../src/parse/types.ts';
import { analyse } from '../../../src/report.ts';
import { mergeObjectFixes } from '../../../src/output/merge.ts';
import { applyJsonPatch } from '../../builders/applyFix.ts';
import { RUNS } from './arbitraries.ts';

interface Shape {
  kind: 'knative' | 'cloudrun' | 'deployment';
  workers: number | undefined;
  threads: number | undefined;
  timeout: number | undefined;
  preload: boolean;
  cpu: number;
  containerConcurrency: number | undefined;
  /** How the command line is written: exec-form args, `sh -c "exec ..."`, or workers/threads through env vars. */
  form: 'args' | 'shell' | 'env';
}

const shapes = fc.record<Shape>({
  kind: fc.constantFrom('knative', 'cloudrun', 'deployment'),
  workers: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
  threads: fc.option(fc.integer({ min: 1, max: 16 }), { nil: undefined }),
  timeout: fc.option(fc.constantFrom(0, 30, 120), { nil: undefined }),
  preload: fc.boolean(),
  cpu: fc.integer({ min: 1, max: 4 }),
  containerConcurrency: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
  // 'shell': two flags in one `sh -c` string rewritten by two findings are one edit of the string (src/solve/strings.ts).
  form: fc.constantFrom('args', 'shell', 'env'),
});

function manifest(s: Shape): Record<string, unknown> {
  const words = ['gunicorn', '--bind', ':8080'];
  const env: { name: string; value: string }[] = [];
  if (s.workers !== undefined) {
    if (s.form === 'env') {
      words.push('--workers', '$(WEB_CONCURRENCY)');
      env.push({ name: 'WEB_CONCURRENCY', value: String(s.workers) });
    } else words.push('--workers', String(s.workers));
  }
  if (s.threads !== undefined) {
    if (s.form === 'env') {
      words.push('--threads', '$(THREADS)');
      env.push({ name: 'THREADS', value: String(s.threads) });
    } else words.push('--threads', String(s.threads));
  }
  if (s.timeout !== undefined) words.push('--timeout', String(s.timeout));
  if (s.preload) words.push('--preload');
  words.push('main:app');
  const container: Record<string, unknown> = {
    name: 'app',
    image: 'example.com/app:1',
    args: s.form === 'shell' ? ['sh', '-c', `exec ${words.join(' ').replaceAll('$(', '$').replaceAll(')', '')}`] : words,
    ports: [{ containerPort: 8080 }],
    resources: { limits: { cpu: String(s.cpu) } },
  };
  if (env.length > 0) container.env = env;
  const annotations = { 'pytuner.dev/health-path': '/healthz' };
  if (s.kind === 'deployment') {
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop', annotations },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [container] } } },
    };
  }
  const spec: Record<string, unknown> = { containers: [container] };
  if (s.containerConcurrency !== undefined) spec.containerConcurrency = s.containerConcurrency;
  const metadata: Record<string, unknown> = { name: 'web', namespace: 'shop', annotations };
  if (s.kind === 'cloudrun') metadata.labels = { 'cloud.googleapis.com/location': 'europe-west1' };
  return { apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata, spec: { template: { spec } } };
}

function inputs(object: Record<string, unknown>): LoadedInputs {
  return { documents: [{ file: 'service.yaml', line: 1, docIndex: 0, object }], sources: [], errors: [], files: 1 };
}

const patched = (findings: readonly Finding[]) => findings.filter((f) => (f.fix?.jsonPatch?.length ?? 0) > 0);

/** Paths two findings write with different values (`test` guards excluded: they read; appends with `/-` add, they do not overwrite). */
function disagreements(findings: readonly Finding[]): string[] {
  const written = new Map<string, string>();
  const out: string[] = [];
  for (const op of findings.flatMap((f) => f.fix?.jsonPatch ?? []).filter((o): o is Exclude<JsonPatchOp, { op: 'test' }> => o.op !== 'test' && !o.path.endsWith('/-'))) {
    const value = JSON.stringify('value' in op ? op.value : null);
    const seen = written.get(op.path);
    if (seen !== undefined && seen !== value) out.push(op.path);
    written.set(op.path, value);
  }
  return out;
}

describe('fix idempotence, property-based', () => {
  it('one report never writes one path twice with different values; after its patches a second report has nothing to patch', () => {
    fc.assert(
      fc.property(shapes, (shape) => {
        const object = manifest(shape);
        const first = analyse(inputs(object));
        expect(first.errors).toEqual([]);
        const findings = patched(first.findings);
        expect(disagreements(findings)).toEqual([]);
        const merged = mergeObjectFixes(findings);
        expect(merged.conflicts.map((c) => `${c.finding.rule} vs ${c.with} at ${c.path}`)).toEqual([]);
        const fixed = structuredClone(object);
        applyJsonPatch(fixed, merged.jsonPatch);
        const container = (fixed as { spec: { template: { spec: { containers: Record<string, unknown>[] } } } }).spec.template.spec.containers[0]!;
        expect([container.image, (container.args as unknown[]).length]).toEqual(['example.com/app:1', (manifest(shape) as typeof fixed & { spec: { template: { spec: { containers: { args: unknown[] }[] } } } }).spec.template.spec.containers[0]!.args.length]);
        const second = analyse(inputs(fixed));
        expect(second.errors).toEqual([]);
        // Raising workers from 1 makes startup.heavy-init true: the solver reports it in the first run, with its fix.
        const back = patched(second.findings);
        expect(back.map((f) => `${f.rule}: ${f.message}`)).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });
});
