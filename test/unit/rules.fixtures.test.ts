/**
 * Fixture-driven rule tests, Polaris style: `test/fixtures/rules/<rule-id>/{fail,pass}*` (a YAML file, or a directory
 * with manifests and Dockerfiles) run through the real pipeline (`loadPaths` + `analyse`). A fail fixture must yield at
 * least one finding of its rule, a pass fixture none. For fail fixtures the fixes are then applied — the JSON patches,
 * and separately the apply fragments, to the documents as read, the line edits to the source texts, the created objects
 * added — and the rule must no longer fire, except where a finding has no fix it can apply.
 * A meta-test keeps rules, fixture directories and doc pages in step.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LoadedInputs, ParsedDocument } from '../../src/parse/types.ts';
import { loadPaths } from '../../src/input/files.ts';
import type { Finding } from '../../src/model/finding.ts';
import { analyse } from '../../src/report.ts';
import { RULES } from '../../src/rules/index.ts';
import { METRIC_FINDINGS } from '../../src/recommender/catalogue.ts';
import { applyJsonPatch, applySourceEdits, atomicListsOf, mergeApplyFragment } from '../builders/applyFix.ts';

const root = resolve(import.meta.dirname, '../..');
const FIXTURES = 'test/fixtures/rules';
const DOCS = 'docs/rules';

/** Fixture entries of a rule, `fail*` and `pass*`, in name order. */
function fixtures(id: string): string[] {
  const dir = join(root, FIXTURES, id);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => /^(pass|fail)/.test(name))
    .sort();
}

/** Findings whose fix does not remove them: no JSON patch, edit or object to create, or a recipe in notes only. */
function remainsAfterFix(finding: Finding): boolean {
  const fix = finding.fix;
  const actionable = fix !== undefined && (fix.jsonPatch !== undefined || fix.edits !== undefined || fix.create !== undefined);
  // profiler.alpine-build gives the build stage as a recipe in notes: only its ca-certificates part is an edit.
  const recipeOnly = finding.rule === 'profiler.alpine-build' && finding.current['build-base'] === false;
  return !actionable || recipeOnly;
}

function documentOf(loaded: LoadedInputs, finding: Finding): ParsedDocument {
  const { target } = finding;
  const doc = loaded.documents.find((d) => {
    const o = d.object as { kind?: string; metadata?: { name?: string; namespace?: string } };
    return d.file === target.file && o.kind === target.kind && o.metadata?.name === target.name;
  });
  if (doc === undefined) throw new Error(`no document for ${target.kind} ${target.name} in ${target.file}`);
  return doc;
}

/**
 * Server-side apply targets the live object, where Knative's webhook has named unnamed containers: `user-container`,
 * or `user-container-<n>` when there are several (pkg/apis/serving/v1/revision_defaults.go `applyDefaultContainerNames`).
 */
function defaultKnativeContainerNames(object: Record<string, unknown>): void {
  if (object.apiVersion !== 'serving.knative.dev/v1') return;
  const containers = ((object.spec as { template?: { spec?: { containers?: Array<{ name?: string }> } } }).template?.spec?.containers ?? []);
  let suffix = 0;
  for (const c of containers) {
    if (c.name !== undefined && c.name !== '') continue;
    c.name = containers.length === 1 ? 'user-container' : `user-container-${suffix++}`;
  }
}

/** The inputs with every fix of these findings applied; `objects` chooses JSON patches or apply fragments. */
function withFixes(loaded: LoadedInputs, findings: readonly Finding[], objects: 'jsonPatch' | 'applyFragment'): LoadedInputs {
  const fixed = structuredClone(loaded);
  for (const finding of findings) {
    const fix = finding.fix;
    if (fix === undefined) continue;
    if (objects === 'jsonPatch' && fix.jsonPatch !== undefined) applyJsonPatch(documentOf(fixed, finding).object, fix.jsonPatch);
    if (objects === 'applyFragment' && fix.applyFragment !== undefined) {
      const object = documentOf(fixed, finding).object as Record<string, unknown>;
      defaultKnativeContainerNames(object);
      mergeApplyFragment(object, fix.applyFragment, atomicListsOf(object));
    }
    for (const source of fixed.sources) source.text = applySourceEdits(source.text, source.file, fix.edits ?? []);
    for (const object of fix.create ?? []) fixed.documents.push({ file: 'created-by-fix.yaml', line: 1, docIndex: fixed.documents.length, object: structuredClone(object) });
  }
  return fixed;
}

/** What a fix must never lose: each container's image and ports, and every element of its command and args (values may change). */
/** `withImage` false for image.slim-base, whose fix of a manifest's `image: python:X` is to change the image. */
function containerEssentials(loaded: LoadedInputs, withImage = true): unknown[] {
  return loaded.documents.flatMap((doc) => {
    const containers = (doc.object as { spec?: { template?: { spec?: { containers?: Array<Record<string, unknown>> } } } }).spec?.template?.spec?.containers ?? [];
    return containers.map((c) => [doc.file, withImage ? c.image : undefined, c.ports, (c.command as unknown[] | undefined)?.length, (c.args as unknown[] | undefined)?.length]);
  });
}

/** Probes that would have more than one handler (the API server accepts exactly one), as `<doc>:<container>.<probe>`. */
function probesWithSeveralHandlers(loaded: LoadedInputs): string[] {
  const out: string[] = [];
  for (const doc of loaded.documents) {
    const containers = (doc.object as { spec?: { template?: { spec?: { containers?: Array<Record<string, unknown>> } } } }).spec?.template?.spec?.containers ?? [];
    for (const c of containers) {
      for (const kind of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        const probe = c[kind] as Record<string, unknown> | undefined;
        const handlers = ['httpGet', 'tcpSocket', 'exec', 'grpc'].filter((h) => probe?.[h] !== undefined);
        if (handlers.length > 1) out.push(`${doc.file}:${String(c.name)}.${kind}`);
      }
    }
  }
  return out;
}

describe.each(RULES.map((rule) => [rule.id]))('%s fixtures', (id) => {
  it.each(fixtures(id).map((name) => [name]))('%s', async (name) => {
    const loaded = await loadPaths([join(FIXTURES, id, name)]);
    const report = analyse(loaded);
    expect(report.errors).toEqual([]);
    const findings = report.findings.filter((f) => f.rule === id);
    if (name.startsWith('pass')) {
      expect(findings, `${id} fired on ${name}`).toEqual([]);
      return;
    }
    expect(findings.length, `${id} passed unexpectedly on ${name}`).toBeGreaterThan(0);
    for (const f of findings) {
      expect(f.message, 'a finding message is one line without a trailing period').toMatch(/^[^\n]*[^.\n]$/);
      expect(f.evidence.length).toBeGreaterThan(0);
      expect(f.target.file).not.toBe('');
    }
    const remaining = findings.filter(remainsAfterFix).length;
    for (const objects of ['jsonPatch', 'applyFragment'] as const) {
      const fixed = withFixes(loaded, findings, objects);
      const mixed = probesWithSeveralHandlers(fixed);
      if (mixed.length > 0) {
        // Server-side apply merges probe fields, so a fragment cannot drop the old handler; the API server would
        // reject the result. The finding must say so, and only the JSON patch is held to closing it.
        expect(objects, `the JSON patch left ${mixed.join(', ')} with several handlers`).toBe('applyFragment');
        for (const f of findings) expect(f.fix?.notes?.join('\n')).toContain('server-side apply merges probe fields');
        continue;
      }
      const after = analyse(fixed);
      expect(after.errors, `${objects} produced invalid input`).toEqual([]);
      // A Knative container change has no fragment (its containers list is atomic): such findings stay after fragments.
      const unfixed = objects === 'applyFragment' ? findings.filter((f) => !remainsAfterFix(f) && f.fix?.applyFragment === undefined && f.fix?.jsonPatch !== undefined).length : 0;
      expect(after.findings.filter((f) => f.rule === id).length, `${id} still fires on ${name} after its ${objects} fixes`).toBe(remaining + unfixed);
      const withImage = id !== 'image.slim-base';
      expect(containerEssentials(fixed, withImage), `${objects} fixes lost a container's image, command, args or ports`).toEqual(containerEssentials(loaded, withImage));
    }
  });
});

describe('rule catalogue', () => {
  const ids = RULES.map((r) => r.id);

  it.each(ids.map((id) => [id]))('%s has a pass fixture, a fail fixture and a doc page with every section', (id) => {
    const names = fixtures(id);
    expect(names.some((n) => n.startsWith('pass')), `${FIXTURES}/${id} has no pass fixture`).toBe(true);
    expect(names.some((n) => n.startsWith('fail')), `${FIXTURES}/${id} has no fail fixture`).toBe(true);
    const doc = readFileSync(join(root, DOCS, `${id}.md`), 'utf8');
    expect(doc.split('\n')[0]).toBe(`# ${id}`);
    for (const section of ['## What it checks', '## Why', '## How to fix', '## Sources', '## Silencing']) expect(doc, `${id}.md lacks ${section}`).toContain(`\n${section}\n`);
    expect(doc).toContain(`pytuner.dev/ignore: "${id}"`);
    expect(doc).toMatch(/https:\/\//);
  });

  it('has no fixture directory or doc page for a rule that is not registered', () => {
    const dirs = readdirSync(join(root, FIXTURES));
    const docs = readdirSync(join(root, DOCS)).filter((f) => f !== 'README.md').map((f) => f.replace(/\.md$/, ''));
    // The metrics findings (src/recommender/catalogue.ts) have doc pages but no fixtures: test/unit/metricFindings.test.ts.
    const metricIds = METRIC_FINDINGS.map((f) => f.id);
    expect(dirs.filter((d) => !ids.includes(d))).toEqual([]);
    expect(docs.filter((d) => !ids.includes(d) && !metricIds.includes(d))).toEqual([]);
  });

  it('lists every rule in docs/rules/README.md with its page', () => {
    const index = readFileSync(join(root, DOCS, 'README.md'), 'utf8');
    for (const id of ids) expect(index).toContain(`[${id}](${id}.md)`);
  });
});
