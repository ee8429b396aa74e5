/**
 * @module `--emit-patches DIR`: the fixes of a report as files, planned as pure data (the CLI writes them).
 *
 * Layout (paths relative to DIR; `<ns>/` is left out for objects without a namespace):
 * - `<ns>/<kind>-<name>.patch.json`: the merged RFC 6902 patch of all findings on one object, for
 *   `kubectl patch --type=json --patch-file` or a kustomize `patches:` entry with a `target`.
 * - `<ns>/<kind>-<name>.apply.yaml`: the merged server-side apply fragment of the same findings.
 * - `<ns>/<kind>-<name>.<rule>.patch.json` / `.apply.yaml`: a finding that conflicts with an earlier one on the
 *   same object, on its own; apply it only after reviewing both (its ops assume the original object).
 * - `<ns>/<kind>-<name>.yaml`: a new object to create (e.g. a Config Connector IAMPolicyMember).
 * - `source.patch`: Dockerfile / Procfile / gunicorn.conf.py edits as one zero-context unified diff.
 * - `commands.sh`: shell commands with the same effect as the created objects (for review; pytuner runs nothing).
 * - `README.txt`: what each file is, how to apply it, the notes of every finding and any conflicts.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Finding, SourceEdit, Target } from '../model/finding.ts';
import type { Report } from '../report.ts';
import { compareCodeUnits, fileLocation, isRecord, opsJson, targetLabel } from './describe.ts';
import { editLineCount, unifiedDiff } from './diff.ts';
import { toYaml } from './markdown.ts';
import type { MergeConflict } from './merge.ts';
import { mergeObjectFixes } from './merge.ts';

/** One file to write under the `--emit-patches` directory. `path` is relative, with `/` separators. */
export interface PatchFile {
  path: string;
  content: string;
}

/** Files for `--emit-patches`, sorted by path, README.txt included. Deterministic for a given report. */
export function planPatchFiles(report: Report): PatchFile[] {
  const readme = new Readme();
  const files: PatchFile[] = [];
  const names = new UniqueNames();
  for (const group of objectGroups(report.findings)) files.push(...objectFiles(group, names, readme));
  files.push(...createdObjectFiles(report.findings, names, readme));
  files.push(...sourceEditFiles(report.findings, readme));
  files.push(...commandFiles(report.findings, readme));
  readme.notes(report.findings);
  files.push({ path: 'README.txt', content: readme.render() });
  return files.sort((a, b) => compareCodeUnits(a.path, b.path));
}

/** Findings whose fix changes an existing object, grouped by object, in report order. */
function objectGroups(findings: readonly Finding[]): Finding[][] {
  const groups = new Map<string, Finding[]>();
  for (const finding of findings) {
    const fix = finding.fix;
    if ((fix?.jsonPatch?.length ?? 0) === 0 && fix?.applyFragment === undefined) continue;
    const t = finding.target;
    const key = JSON.stringify([t.apiVersion, t.kind, t.namespace, t.name, t.file]);
    groups.set(key, [...(groups.get(key) ?? []), finding]);
  }
  return [...groups.values()];
}

function objectFiles(group: readonly Finding[], names: UniqueNames, readme: Readme): PatchFile[] {
  const target = (group[0] as Finding).target;
  const base = names.claim(objectBase(target.namespace, target.kind, target.name));
  const result = mergeObjectFixes(group);
  const files: PatchFile[] = [];
  const rules = result.merged.map((f) => f.rule);
  if (result.jsonPatch.length > 0) {
    files.push({ path: `${base}.patch.json`, content: `${opsJson(result.jsonPatch)}\n` });
    readme.patch(`${base}.patch.json`, target, rules);
  }
  // A fragment that carries only part of the merged change (Knative container fields have none) would lead a user who
  // applies just it to miss the rest: then the JSON patch is the one way to apply this object's fixes.
  const partial = result.merged.some((f) => (f.fix?.jsonPatch?.length ?? 0) > 0 && f.fix?.applyFragment === undefined);
  if (result.applyFragment !== undefined && !partial) {
    files.push({ path: `${base}.apply.yaml`, content: fragmentYaml(result.applyFragment, target, rules) });
    readme.apply(`${base}.apply.yaml`, target, rules);
  }
  for (const conflict of result.conflicts) files.push(...conflictFiles(base, conflict, readme));
  return files;
}

function conflictFiles(base: string, conflict: MergeConflict, readme: Readme): PatchFile[] {
  const { finding } = conflict;
  const own = `${base}.${safeSegment(finding.rule)}`;
  const files: PatchFile[] = [];
  const ops = finding.fix?.jsonPatch ?? [];
  if (ops.length > 0) files.push({ path: `${own}.patch.json`, content: `${opsJson(ops)}\n` });
  const fragment = finding.fix?.applyFragment;
  if (fragment !== undefined) files.push({ path: `${own}.apply.yaml`, content: fragmentYaml(fragment, finding.target, [finding.rule]) });
  readme.conflict(conflict, files.map((f) => f.path));
  return files;
}

function fragmentYaml(fragment: Record<string, unknown>, target: Target, rules: readonly string[]): string {
  const header = [
    `# Server-side apply fragment for ${objectLabel(target)}.`,
    `# Findings: ${rules.join(', ')}.`,
  ];
  return `${header.join('\n')}\n${toYaml(fragment)}`;
}

/** Objects to create, one file each; the same object wanted by two findings is written once. */
function createdObjectFiles(findings: readonly Finding[], names: UniqueNames, readme: Readme): PatchFile[] {
  const files: PatchFile[] = [];
  const written: { object: Record<string, unknown>; path: string }[] = [];
  for (const finding of findings) {
    for (const object of finding.fix?.create ?? []) {
      const same = written.find((w) => isDeepStrictEqual(w.object, object));
      if (same !== undefined) {
        readme.created(same.path, finding);
        continue;
      }
      const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
      const namespace = stringOr(metadata['namespace'], finding.target.namespace);
      const kind = stringOr(object['kind'], undefined) ?? 'object';
      const name = stringOr(metadata['name'], undefined) ?? 'unnamed';
      const path = `${names.claim(objectBase(namespace, kind, name))}.yaml`;
      files.push({ path, content: toYaml(object) });
      written.push({ object, path });
      readme.created(path, finding);
    }
  }
  return files;
}

/** All source edits as one diff. An edit overlapping an earlier, different edit of the same lines is left out and named. */
function sourceEditFiles(findings: readonly Finding[], readme: Readme): PatchFile[] {
  const accepted: { edit: SourceEdit; finding: Finding }[] = [];
  for (const finding of findings) {
    for (const edit of finding.fix?.edits ?? []) {
      if (accepted.some((a) => isDeepStrictEqual(a.edit, edit))) continue;
      const clash = accepted.find((a) => a.edit.file === edit.file && linesOverlap(a.edit, edit));
      if (clash === undefined) accepted.push({ edit, finding });
      else readme.editConflict(finding, edit, clash.finding);
    }
  }
  if (accepted.length === 0) return [];
  readme.sourcePatch([...new Set(accepted.map((a) => a.edit.file))], [...new Set(accepted.map((a) => a.finding.rule))]);
  return [{ path: 'source.patch', content: unifiedDiff(accepted.map((a) => a.edit)) }];
}

function linesOverlap(a: SourceEdit, b: SourceEdit): boolean {
  const aEnd = a.line + Math.max(1, editLineCount(a)) - 1;
  const bEnd = b.line + Math.max(1, editLineCount(b)) - 1;
  return a.line <= bEnd && b.line <= aEnd;
}

/** Commands, each once, under a comment naming the finding that wants it. */
function commandFiles(findings: readonly Finding[], readme: Readme): PatchFile[] {
  const seen = new Set<string>();
  const blocks: string[] = [];
  for (const finding of findings) {
    const fresh = (finding.fix?.commands ?? []).filter((c) => !seen.has(c));
    if (fresh.length === 0) continue;
    for (const c of fresh) seen.add(c);
    blocks.push([`# ${finding.rule} on ${targetLabel(finding.target)}`, ...fresh].join('\n'));
  }
  if (blocks.length === 0) return [];
  readme.commands();
  const header = '# Commands suggested by pytuner, one block per finding. pytuner never runs them: review each before running it.';
  return [{ path: 'commands.sh', content: `${[header, ...blocks].join('\n\n')}\n` }];
}

/** `<ns>/<kind>-<name>`, each part made safe as one path segment. */
function objectBase(namespace: string | undefined, kind: string, name: string): string {
  const file = `${safeSegment(kind.toLowerCase())}-${safeSegment(name)}`;
  return namespace === undefined || namespace === '' ? file : `${safeSegment(namespace)}/${file}`;
}

/**
 * A name from the inputs as one path segment: characters outside `[A-Za-z0-9._-]` become `_`, and a leading
 * dot too, so `..` or `a/b` in a manifest can never write outside the patches directory.
 */
export function safeSegment(text: string): string {
  const safe = text.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\./, '_');
  return safe === '' ? '_' : safe;
}

function stringOr(value: unknown, fallback: string | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : fallback;
}

/** Hands out paths, adding `-2`, `-3` when two objects would share one (same kind and name in different API groups or files). */
class UniqueNames {
  readonly #taken = new Set<string>();
  claim(base: string): string {
    let candidate = base;
    for (let n = 2; this.#taken.has(candidate); n++) candidate = `${base}-${n}`;
    this.#taken.add(candidate);
    return candidate;
  }
}

/** `kind.group` as kubectl accepts it (`service.serving.knative.dev`, `deployment.apps`), so a Knative Service is not taken for a core one. */
export function kubectlResource(kind: string, apiVersion: string | undefined): string {
  const slash = apiVersion?.indexOf('/') ?? -1;
  const group = apiVersion !== undefined && slash > 0 ? apiVersion.slice(0, slash) : '';
  return group === '' ? kind.toLowerCase() : `${kind.toLowerCase()}.${group}`;
}

/** A kustomize `patches:` entry target for an object. */
function kustomizeTarget(target: Target): string {
  const slash = target.apiVersion?.indexOf('/') ?? -1;
  const parts: string[] = [];
  if (target.apiVersion !== undefined) {
    if (slash > 0) parts.push(`group: ${target.apiVersion.slice(0, slash)}`, `version: ${target.apiVersion.slice(slash + 1)}`);
    else parts.push(`version: ${target.apiVersion}`);
  }
  parts.push(`kind: ${target.kind}`, `name: ${yamlString(target.name)}`);
  if (target.namespace !== undefined) parts.push(`namespace: ${yamlString(target.namespace)}`);
  return `{${parts.join(', ')}}`;
}

/** A string as a YAML flow scalar: bare when it is a plain name, quoted when YAML would read it as something else (a Cloud Run namespace is a project number). */
function yamlString(text: string): string {
  return /^[A-Za-z][A-Za-z0-9._-]*$/.test(text) && !/^(true|false|null|yes|no|on|off|y|n)$/i.test(text) ? text : JSON.stringify(text);
}

function namespaceFlag(target: Target): string {
  return target.namespace === undefined ? '' : ` -n ${target.namespace}`;
}

/** Collects README.txt sections while files are planned; renders them in a fixed order. */
class Readme {
  readonly #patches: string[] = [];
  readonly #applies: string[] = [];
  readonly #created = new Map<string, string[]>();
  readonly #source: string[] = [];
  readonly #commands: string[] = [];
  readonly #conflicts: string[] = [];
  readonly #notes: string[] = [];

  patch(path: string, target: Target, rules: readonly string[]): void {
    this.#patches.push(
      `  ${path}  ${objectLabel(target)} (${rules.join(', ')})`,
      `    kubectl patch ${kubectlResource(target.kind, target.apiVersion)} ${target.name}${namespaceFlag(target)} --type=json --patch-file ${path}`,
      `    kustomization.yaml: patches: [{path: ${path}, target: ${kustomizeTarget(target)}}]`,
    );
  }

  apply(path: string, target: Target, rules: readonly string[]): void {
    this.#applies.push(`  ${path}  ${objectLabel(target)} (${rules.join(', ')})`, `    kubectl apply --server-side --field-manager=pytuner -f ${path}`);
  }

  created(path: string, finding: Finding): void {
    this.#created.set(path, [...(this.#created.get(path) ?? []), `${finding.rule} on ${targetLabel(finding.target)}`]);
  }

  sourcePatch(files: readonly string[], rules: readonly string[]): void {
    this.#source.push(
      `  source.patch  edits ${files.join(', ')} (${rules.join(', ')})`,
      '    git apply -p0 --unidiff-zero source.patch    (or: patch -p0 < source.patch)',
    );
  }

  commands(): void {
    this.#commands.push('  commands.sh  the same changes as shell commands (e.g. gcloud); review, then run the ones you agree with');
  }

  conflict(conflict: MergeConflict, paths: readonly string[]): void {
    const where = paths.length === 0 ? '' : `; written on its own to ${paths.join(', ')}`;
    this.#conflicts.push(`  ${conflict.finding.rule} on ${targetLabel(conflict.finding.target)}: conflicts with ${conflict.with} at ${conflict.path}${where}`);
  }

  editConflict(finding: Finding, edit: SourceEdit, earlier: Finding): void {
    this.#conflicts.push(`  ${finding.rule}: its edit of ${fileLocation(edit.file, edit.line)} overlaps an edit by ${earlier.rule}; left out of source.patch (see -o json)`);
  }

  notes(findings: readonly Finding[]): void {
    for (const finding of findings) {
      for (const note of finding.fix?.notes ?? []) this.#notes.push(`  ${finding.rule} on ${targetLabel(finding.target)}: ${note.replace(/\n/g, '\n    ')}`);
    }
  }

  render(): string {
    const created = [...this.#created].flatMap(([path, by]) => [`  ${path}  (${by.join('; ')})`, `    kubectl apply -f ${path}`]);
    const sections: [string, string[]][] = [
      ['JSON patches (RFC 6902), all findings on one object merged into one file:', this.#patches],
      ['Server-side apply fragments: the same changes as minimal objects. On Cloud Run, copy the fields into the service YAML and run `gcloud run services replace`:', this.#applies],
      ['New objects to create:', created],
      ['Source edits (zero-context unified diff):', this.#source],
      ['Commands:', this.#commands],
      ['Conflicts: these findings change the same fields as an earlier one and were not merged. Apply one, re-run pytuner, then decide on the other:', this.#conflicts],
      ['Notes to read before applying:', this.#notes],
    ];
    const body = sections.filter(([, lines]) => lines.length > 0).map(([title, lines]) => [title, ...lines].join('\n'));
    const intro = [
      'Fixes written by `pytuner report --emit-patches`.',
      'Each was computed from the inputs as they were when pytuner ran, against the original objects: apply, then re-run pytuner.',
      'Paths are relative to this directory (in a kustomization, relative to the kustomization file).',
    ].join('\n');
    if (body.length === 0) return `${intro}\n\nNo fixes to write: the report has no findings with a fix.\n`;
    return `${[intro, ...body].join('\n\n')}\n`;
  }
}

/** The object part of a target (no container), with where it is defined. */
function objectLabel(target: Target): string {
  return `${targetLabel({ ...target, container: undefined })} (${fileLocation(target.file, target.line)})`;
}
