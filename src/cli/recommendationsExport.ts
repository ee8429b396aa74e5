/**
 * @module The work of `pytuner recommendations export` (see recommendations.ts for what it does): reading the
 * TuningRecommendations, writing their patches, and applying them to a GitOps checkout.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { GROUP, VERSION } from '../api/v1alpha1/common.ts';
import { TUNING_RECOMMENDATION_KIND, TUNING_RECOMMENDATION_PLURAL, TuningRecommendation } from '../api/v1alpha1/tuningRecommendation.ts';
import type { JsonPatchOp } from '../model/finding.ts';
import { patchYamlObject, yamlObjects, type YamlObjectLocation } from '../render/yamlDocumentPatch.ts';
import { plural } from '../rules/facts.ts';
import { EXIT_INPUT, EXIT_INTERNAL, EXIT_OK } from './exitCodes.ts';
import { readText, type TextFile } from './fix.ts';
import type { CliIo } from './io.ts';
import type { ExportOptions } from './recommendations.ts';

/** One workload's fix, as read from its TuningRecommendation. */
interface WorkloadFix {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  ops: JsonPatchOp[];
  rules: string[];
  unfixed: string[];
}

const JsonPatch = z.array(z.object({ op: z.enum(['add', 'remove', 'replace', 'move', 'copy', 'test']), path: z.string(), value: z.unknown().optional(), from: z.string().optional() }).loose());

/** Runs the export; returns the exit code. */
export async function exportRecommendations(options: ExportOptions, io: CliIo): Promise<number> {
  const say = (line: string): void => void io.stderr.write(`pytuner: ${line}\n`);
  if ((options.dir === undefined) === (options.fix === undefined)) {
    say('error: give -d/--dir DIR (write the patches) or --fix DIR (apply them to a checkout), one of them');
    return EXIT_INPUT;
  }
  if (options.allNamespaces === true && (options.namespace ?? []).length > 0) {
    say('error: give -n/--namespace or -A/--all-namespaces, not both');
    return EXIT_INPUT;
  }
  const read = await readFixes(options, say);
  if (typeof read === 'number') return read;
  const { fixes, partial } = read;
  for (const fix of fixes) for (const line of fix.unfixed) say(`not in the patch of ${describe(fix)}: ${line}`);
  const withOps = fixes.filter((f) => f.ops.length > 0);
  if (withOps.length === 0) {
    say('no TuningRecommendation carries a patch');
    return partial ? EXIT_INPUT : EXIT_OK;
  }
  const code = options.dir !== undefined ? await writePatches(options.dir, withOps, say) : await fixCheckout(options.fix as string, withOps, say);
  return Math.max(code, partial ? EXIT_INPUT : EXIT_OK);
}

/** The fixes of the TuningRecommendations in the chosen namespaces; an exit code when the cluster cannot be read. */
async function readFixes(options: ExportOptions, say: (line: string) => void): Promise<{ fixes: WorkloadFix[]; partial: boolean } | number> {
  const { ClusterError, readKind } = await import('../input/cluster.ts');
  let list;
  try {
    list = await readKind(
      {
        namespaces: options.namespace ?? [],
        allNamespaces: options.allNamespaces === true,
        ...(options.kubeconfig === undefined ? {} : { kubeconfig: options.kubeconfig }),
        ...(options.context === undefined ? {} : { context: options.context }),
      },
      { label: 'TuningRecommendations', group: GROUP, version: VERSION, kind: TUNING_RECOMMENDATION_KIND, plural: TUNING_RECOMMENDATION_PLURAL, workload: false },
    );
  } catch (error) {
    if (!(error instanceof ClusterError)) throw error;
    say(`error: ${error.message}`);
    return EXIT_INPUT;
  }
  for (const note of list.notes) say(note);
  let partial = list.partial;
  const fixes: WorkloadFix[] = [];
  for (const item of list.items) {
    const parsed = TuningRecommendation.safeParse(item);
    const name = `${String((item['metadata'] as { namespace?: unknown } | undefined)?.namespace)}/${String((item['metadata'] as { name?: unknown } | undefined)?.name)}`;
    if (!parsed.success) {
      say(`TuningRecommendation ${name} skipped: ${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      partial = true;
      continue;
    }
    const rec = parsed.data;
    const fix = rec.status?.fix;
    if (fix === undefined) continue;
    let ops: JsonPatchOp[];
    try {
      ops = JsonPatch.parse(JSON.parse(fix.jsonPatch)) as JsonPatchOp[];
    } catch {
      say(`TuningRecommendation ${name} skipped: status.fix.jsonPatch is not an RFC 6902 JSON Patch`);
      partial = true;
      continue;
    }
    const { targetRef } = rec.spec;
    fixes.push({ apiVersion: targetRef.apiVersion, kind: targetRef.kind, namespace: rec.metadata.namespace ?? 'default', name: targetRef.name, ops, rules: fix.rules, unfixed: fix.unfixed ?? [] });
  }
  return { fixes, partial };
}

function describe(fix: Pick<WorkloadFix, 'kind' | 'namespace' | 'name'>): string {
  return `${fix.kind} ${fix.namespace}/${fix.name}`;
}

async function writePatches(dir: string, fixes: readonly WorkloadFix[], say: (line: string) => void): Promise<number> {
  try {
    for (const fix of fixes) {
      const file = path.join(dir, fix.namespace, `${fix.kind.toLowerCase()}-${fix.name}.json`);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, `${JSON.stringify(fix.ops, null, 2)}\n`, 'utf8');
    }
  } catch (error) {
    say(`error: cannot write the patches under ${dir}: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT_INTERNAL;
  }
  say(`wrote ${plural(fixes.length, 'patch file')} under ${dir} (apply one with: kubectl patch <kind> <name> --type=json --patch-file <file>)`);
  return EXIT_OK;
}

/** One object of the checkout: its file, where it is in the file, and its identity. */
interface CheckoutObject {
  file: string;
  location: YamlObjectLocation;
  apiVersion: unknown;
  kind: unknown;
  namespace: unknown;
  name: unknown;
}

/** Directories a GitOps checkout has that hold no manifests of its own. */
const SKIPPED_DIRS = new Set(['.git', 'node_modules']);

async function yamlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && /\.ya?ml$/i.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .filter((file) => !path.relative(dir, file).split(path.sep).some((part) => SKIPPED_DIRS.has(part)))
    .sort();
}

/** The object `fix` is about: same identity, else the only one of that identity without a namespace. */
function match(fix: WorkloadFix, objects: readonly CheckoutObject[]): CheckoutObject | string {
  const same = objects.filter((o) => o.apiVersion === fix.apiVersion && o.kind === fix.kind && o.name === fix.name);
  const exact = same.filter((o) => o.namespace === fix.namespace);
  const candidates = exact.length > 0 ? exact : same.filter((o) => o.namespace === undefined);
  if (candidates.length === 1) return candidates[0] as CheckoutObject;
  if (candidates.length === 0) return `no ${fix.apiVersion} ${fix.kind} ${fix.name} in namespace ${fix.namespace} (or without a namespace) in the checkout`;
  return `${candidates.length} objects match (${candidates.map((c) => c.file).join(', ')}): edit the right one by hand`;
}

async function fixCheckout(dir: string, fixes: readonly WorkloadFix[], say: (line: string) => void): Promise<number> {
  let files: string[];
  try {
    files = await yamlFiles(dir);
  } catch (error) {
    say(`error: cannot read ${dir}: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT_INPUT;
  }
  const texts = new Map<string, { original: TextFile; text: string }>();
  const objects: CheckoutObject[] = [];
  for (const file of files) {
    const read = await readText(file);
    if (!read.ok) {
      say(`${file} skipped: ${read.reason}`);
      continue;
    }
    texts.set(file, { original: read.value, text: read.value.text });
    for (const { location, value } of yamlObjects(read.value.text)) {
      const metadata = (value['metadata'] ?? {}) as Record<string, unknown>;
      objects.push({ file, location, apiVersion: value['apiVersion'], kind: value['kind'], namespace: metadata['namespace'], name: metadata['name'] });
    }
  }
  let failed = false;
  let fixed = 0;
  for (const fix of fixes) {
    const found = match(fix, objects);
    if (typeof found === 'string') {
      say(`not fixed: ${describe(fix)} (${fix.rules.join(', ')}): ${found}`);
      failed = true;
      continue;
    }
    const entry = texts.get(found.file) as { original: TextFile; text: string };
    const patched = patchYamlObject(entry.text, found.location, fix.ops);
    if (!patched.ok) {
      say(`not fixed: ${describe(fix)} in ${found.file} (${fix.rules.join(', ')}): ${patched.reason}`);
      failed = true;
      continue;
    }
    entry.text = patched.value;
    fixed += 1;
    say(`fixed ${describe(fix)} in ${found.file}: ${fix.rules.join(', ')}`);
  }
  const written: string[] = [];
  for (const [file, { original, text }] of texts) {
    if (text === original.text) continue;
    try {
      await writeFile(file, original.encode(text));
      written.push(file);
    } catch (error) {
      say(`error: cannot write ${file}: ${error instanceof Error ? error.message : String(error)}`);
      return EXIT_INTERNAL;
    }
  }
  say(`fixed ${plural(fixed, 'workload')} in ${plural(written.length, 'file')}`);
  return failed ? EXIT_INPUT : EXIT_OK;
}
