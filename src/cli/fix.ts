/**
 * @module `pytuner report --fix`: applies the fixes of a report to the input files in place, as a linter's `--fix`
 * does, so the diff can be reviewed and committed. Objects get their findings' JSON Patch (YAML edited as text by
 * `render/yamlDocumentPatch.ts`, keeping comments and formatting; JSON re-serialised with the file's indentation);
 * Dockerfiles, Procfiles and gunicorn.conf.py get their line edits. A file is written only when it changed, with its
 * line ends (CRLF) and byte-order mark as they were. What is not fixed, and why, goes to stderr.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import type { Finding, JsonPatchOp, SourceEdit, Target } from '../model/finding.ts';
import type { LoadedInputs } from '../parse/types.ts';
import { plural } from '../rules/facts.ts';
import type { Report } from '../report.ts';
import type { FixPlan, ObjectFix } from '../render/fixPlan.ts';
import { planFixes } from '../render/fixPlan.ts';
import type { PatchOutcome } from '../render/jsonPatch.ts';
import { applyJsonPatch } from '../render/jsonPatch.ts';
import { applySourceEdits } from '../render/sourceEdits.ts';
import type { YamlObjectLocation } from '../render/yamlDocumentPatch.ts';
import { patchYamlObject, yamlObjects } from '../render/yamlDocumentPatch.ts';

/** What `--fix` did: the findings fixed, the files written, and whether a write failed (exit code 3). */
export interface FixOutcome {
  fixed: Finding[];
  written: string[];
  writeFailed: boolean;
}

interface Stderr {
  write(text: string): unknown;
}

/** Applies every in-place fix of `report` (read from `loaded`) to the files, and says on stderr what it did. */
// eslint-disable-next-line complexity -- one branch per outcome of a file edit (refused, conflicting, written, failed), each reported; split when a new outcome is added
export async function fixInPlace(report: Report, loaded: LoadedInputs, stderr: Stderr): Promise<FixOutcome> {
  const plan = planFixes(report.findings);
  const say = (line: string): void => void stderr.write(`pytuner: --fix: ${line}\n`);
  const done = new Set<Finding>();
  const failed = new Set<Finding>();
  const written: string[] = [];
  let writeFailed = false;

  const save = async (file: string, original: TextFile, text: string): Promise<boolean> => {
    if (text === original.text) return true;
    try {
      await writeFile(file, original.encode(text));
      written.push(file);
      return true;
    } catch (error) {
      say(`cannot write ${file}: ${error instanceof Error ? error.message : String(error)}`);
      writeFailed = true;
      return false;
    }
  };

  // Only objects read from files can be fixed in place (report --cluster objects have no file).
  for (const [file, fixes] of groupBy(plan.objects.filter((o) => o.target.file !== undefined), (o) => o.target.file as string)) {
    const outcome = await patchManifestFile(file, fixes, loaded);
    for (const { fix, reason } of outcome.refused) {
      say(`not fixed: ${describeTarget(fix.target)} (${rulesOf(fix.findings)}): ${reason}`);
      for (const f of fix.findings) failed.add(f);
    }
    if (outcome.file !== undefined && (await save(file, outcome.file, outcome.text))) for (const fix of outcome.applied) for (const f of fix.findings) done.add(f);
    else for (const fix of outcome.applied) for (const f of fix.findings) failed.add(f);
  }

  for (const { file, edits } of plan.files) {
    const read = await readText(file);
    if (!read.ok) {
      say(`not fixed: ${file}: ${read.reason}`);
      for (const e of edits) for (const f of e.findings) failed.add(f);
      continue;
    }
    const outcome = applySourceEdits(read.value.text, edits.map((e) => e.edit));
    const findingsOf = (edit: SourceEdit) => edits.find((e) => e.edit === edit)?.findings ?? [];
    for (const { edit, reason } of outcome.skipped) {
      say(`not fixed: ${file}:${edit.line} (${rulesOf(findingsOf(edit))}): ${reason}`);
      for (const f of findingsOf(edit)) failed.add(f);
    }
    const ok = await save(file, read.value, outcome.text);
    for (const edit of outcome.applied) for (const f of findingsOf(edit)) (ok ? done : failed).add(f);
  }

  reportUnfixed(plan, say);
  // A finding whose change another's edit of the same string writes is fixed when that edit is written; the live Set
  // also visits the findings added here (an env write carried by a finding whose flag another's line edit carries).
  for (const carrier of done) for (const other of carrier.fix?.alsoFixes ?? []) (failed.has(carrier) ? failed : done).add(other);
  const fixed = report.findings.filter((f) => done.has(f) && !failed.has(f));
  const partly = report.findings.filter((f) => done.has(f) && failed.has(f));
  for (const f of partly) say(`partly fixed: ${f.rule} on ${describeTarget(f.target)}: some of its changes were not applied (see above)`);
  const files = written.length === 0 ? '' : `: ${written.join(', ')}`;
  say(fixed.length === 0 && written.length === 0 ? 'nothing fixed' : `fixed ${plural(fixed.length, 'finding')} in ${plural(written.length, 'file')}${files}`);
  return { fixed, written, writeFailed };
}

function reportUnfixed(plan: FixPlan, say: (line: string) => void): void {
  for (const conflict of plan.conflicts) {
    const [a, b] = conflict.findings as [Finding, Finding];
    const on = describeTarget(a.target) === describeTarget(b.target) ? describeTarget(a.target) : `${describeTarget(a.target)} and ${describeTarget(b.target)}`;
    say(`not fixed: ${a.rule} and ${b.rule} on ${on} change ${conflict.where} differently; apply one by hand, then run pytuner again`);
  }
  for (const finding of plan.notInPlace) {
    const what = (finding.fix?.create?.length ?? 0) > 0 ? 'creates objects' : 'runs commands';
    say(`not fixable in place: ${finding.rule} on ${describeTarget(finding.target)}: its fix ${what} (see --emit-patches)`);
  }
}

// ---- manifests ----

interface ManifestOutcome {
  /** The file as read; undefined when it could not be. */
  file?: TextFile;
  text: string;
  applied: ObjectFix[];
  refused: { fix: ObjectFix; reason: string }[];
}

async function patchManifestFile(file: string, fixes: readonly ObjectFix[], loaded: LoadedInputs): Promise<ManifestOutcome> {
  const read = await readText(file);
  if (!read.ok) return { text: '', applied: [], refused: fixes.map((fix) => ({ fix, reason: read.reason })) };
  const refused: { fix: ObjectFix; reason: string }[] = [];
  const located: { fix: ObjectFix; location: YamlObjectLocation }[] = [];
  const objects = yamlObjects(read.value.text);
  for (const fix of fixes) {
    const location = locate(fix.target, objects, loaded);
    if (location.ok) located.push({ fix, location: location.value });
    else refused.push({ fix, reason: location.reason });
  }
  const applied: ObjectFix[] = [];
  let text = read.value.text;
  if (/\.json$/i.test(file)) {
    const patched = patchJson(text, located);
    if (!patched.ok) return { file: read.value, text, applied, refused: [...refused, ...located.map(({ fix }) => ({ fix, reason: patched.reason }))] };
    return { file: read.value, text: patched.value, applied: located.map((l) => l.fix), refused };
  }
  for (const { fix, location } of located) {
    const patched = patchYamlObject(text, location, fix.ops);
    if (patched.ok) {
      text = patched.value;
      applied.push(fix);
    } else refused.push({ fix, reason: patched.reason });
  }
  return { file: read.value, text, applied, refused };
}

/**
 * Finds the object a finding is about in the file as it is now: the document pytuner read at that line with that
 * identity, which must also read the same through the YAML library that edits it (so the patch means the same
 * thing to both). A `kind: List` item is one object, as the input layer counts it.
 */
function locate(target: Target, objects: ReturnType<typeof yamlObjects>, loaded: LoadedInputs): PatchOutcome<YamlObjectLocation> {
  const read = loaded.documents.filter((d) => d.file === target.file && d.line === target.line && isTarget(d.object, target));
  if (read.length !== 1) return { ok: false, reason: read.length === 0 ? 'the object was not read from this file' : 'several objects of this identity start on this line' };
  const object = (read[0] as { object: unknown }).object;
  const matches = objects.filter((o) => o.line === target.line && isDeepStrictEqual(o.value, object));
  if (matches.length === 1) return { ok: true, value: (matches[0] as { location: YamlObjectLocation }).location };
  return { ok: false, reason: matches.length === 0 ? 'the file changed since it was read, or the YAML library reads this document differently; edit it by hand' : 'several identical objects start on this line' };
}

function isTarget(object: unknown, target: Target): boolean {
  const o = object as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | null;
  return o?.kind === target.kind && o.metadata?.name === target.name && (target.apiVersion === undefined || o.apiVersion === target.apiVersion);
}

/** A JSON manifest: patched as data and written again with its own indentation (JSON has no comments to keep). */
function patchJson(text: string, located: readonly { fix: ObjectFix; location: YamlObjectLocation }[]): PatchOutcome<string> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not plain JSON (${error instanceof Error ? error.message : String(error)}); edit it by hand` };
  }
  const ops: JsonPatchOp[] = located.flatMap(({ fix, location }) => fix.ops.map((op) => (location.item === undefined ? op : { ...op, path: `/items/${location.item}${op.path}` })));
  const patched = applyJsonPatch(value, ops);
  if (!patched.ok) return patched;
  const indent = /^[{[][ \t]*\n([ \t]+)/.exec(text)?.[1];
  const body = indent === undefined ? JSON.stringify(patched.value) : JSON.stringify(patched.value, null, indent);
  return { ok: true, value: text.endsWith('\n') ? `${body}\n` : body };
}

// ---- text files as read and written back ----

/** A file's text with `\n` line ends, and how to turn edited text back into its bytes (CRLF, byte-order mark). */
export interface TextFile {
  text: string;
  encode(text: string): Buffer;
}

const BOM = '\uFEFF';

/** Reads a text file for an in-place edit: refused when it is not UTF-8 or mixes line ends. */
export async function readText(file: string): Promise<PatchOutcome<TextFile>> {
  let raw: string;
  try {
    raw = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(await readFile(file));
  } catch (error) {
    return { ok: false, reason: `cannot read: ${error instanceof Error ? error.message : String(error)}` };
  }
  const bom = raw.startsWith(BOM) ? BOM : '';
  const body = raw.slice(bom.length);
  const crlf = body.includes('\r\n');
  if (crlf && body.replaceAll('\r\n', '').includes('\n')) return { ok: false, reason: 'mixed line ends (CRLF and LF); make them one kind first' };
  const text = crlf ? body.replaceAll('\r\n', '\n') : body;
  return { ok: true, value: { text, encode: (edited) => Buffer.from(bom + (crlf ? edited.replaceAll('\n', '\r\n') : edited), 'utf8') } };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

function describeTarget(target: Target): string {
  const name = target.namespace === undefined ? target.name : `${target.namespace}/${target.name}`;
  const file = target.file ?? 'API server';
  const where = target.line === undefined ? file : `${file}:${target.line}`;
  return target.kind === 'Dockerfile' ? where : `${target.kind} ${name} (${where})`;
}

function rulesOf(findings: readonly Finding[]): string {
  return [...new Set(findings.map((f) => f.rule))].join(', ');
}
