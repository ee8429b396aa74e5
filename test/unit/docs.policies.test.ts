/**
 * Every TuningPolicy a user can copy from the README, and the chart's default policy spec, must be one the CRD
 * accepts: the zod schema is the CRD's source (src/api/crdgen.ts), so parsing with it is the API server's verdict on
 * the schema's part (patterns, enums, required fields; CEL rules are checked in test/integration/crds.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll, load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { TuningPolicy, TuningPolicySpec } from '../../src/api/v1alpha1/tuningPolicy.ts';

const root = join(import.meta.dirname, '..', '..');

/** The YAML of each fenced block: a yaml block whole, heredoc bodies (`<<'YAML' … YAML`) in a shell block. */
function yamlSnippets(markdown: string): string[] {
  const snippets: string[] = [];
  for (const block of markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)) {
    const [, lang, body] = block as unknown as [string, string, string];
    if (lang === 'yaml' || lang === 'yml') snippets.push(body);
    for (const heredoc of body.matchAll(/<<-?'?(\w+)'?[^\n]*\n([\s\S]*?)^\s*\1$/gm)) snippets.push(heredoc[2] as string);
  }
  return snippets;
}

function readmePolicies(): Array<[string, unknown]> {
  const policies: Array<[string, unknown]> = [];
  for (const [i, snippet] of yamlSnippets(readFileSync(join(root, 'README.md'), 'utf8')).entries()) {
    for (const doc of loadAll(snippet)) {
      if (typeof doc === 'object' && doc !== null && (doc as { kind?: unknown }).kind === 'TuningPolicy') policies.push([`README.md snippet ${i + 1}`, doc]);
    }
  }
  return policies;
}

describe('TuningPolicies in the docs', () => {
  const policies = readmePolicies();

  it('finds the README examples', () => {
    // The by-hand control-plane example and the Helm example, at least.
    expect(policies.length).toBeGreaterThanOrEqual(2);
  });

  it.each(policies)('%s is accepted by the schema', (_where, raw) => {
    const policy = raw as { metadata?: Record<string, unknown> };
    // A snippet applied with `kubectl -n NS` may leave the namespace out; the schema wants the object as stored.
    const result = TuningPolicy.safeParse({ ...policy, metadata: { namespace: 'shop', ...policy.metadata } });
    expect(result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([]);
  });

  it('the schema refuses what it should (so the snippets above are really checked)', () => {
    const bad = { mode: 'Recommend', metrics: { prometheusUrl: 'http://prometheus:9090', profile: 'auto', window: '7 days' } };
    expect(TuningPolicySpec.safeParse(bad).success).toBe(false);
  });

  it("the chart's defaultPolicy.spec is accepted by the schema", () => {
    const values = load(readFileSync(join(root, 'charts', 'pytuner', 'values.yaml'), 'utf8')) as { defaultPolicy: { spec: unknown } };
    const result = TuningPolicySpec.safeParse(values.defaultPolicy.spec);
    expect(result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([]);
  });
});
