/**
 * @module Building blocks for fixes, shared by every rule: RFC 6902 JSON Patch operations against the object
 * as read, the matching server-side-apply fragment (only the changed fields; containers and env entries keyed by
 * `name`, as SSA merges them), and line edits for Dockerfiles, Procfiles and gunicorn.conf.py. Pure functions.
 *
 * Knative Services (and Cloud Run's Knative API) get no apply fragment for a change inside a container. Their CRD
 * makes `containers` an atomic list, so a fragment naming one container would make its applier own, and replace,
 * the whole list: refused by the real Knative webhook for the missing image, and on an API server without the
 * webhook it silently drops image, args and ports (test/integration/actuator.test.ts). The only complete fragment
 * would repeat the whole container, and then pytuner would own every field of it and fight every later deploy.
 * So those changes are JSON Patches only, guarded by `test` ops, as the controller writes them.
 */
import type { Evidence, Setting } from '../model/evidence.ts';
import type { Fix, JsonPatchOp, SourceEdit } from '../model/finding.ts';
import type { ImageFacts, SourceLine } from '../model/image.ts';
import type { ContainerFacts, Workload } from '../model/workload.ts';
import type { Location, TextSpan } from '../model/change.ts';
import { applySpans } from '../model/change.ts';
import { writtenConcurrency } from './facts.ts';
import { TERRAFORM_API_VERSION } from '../model/extract/terraform.ts';

/** One change to one object, in both forms a user can apply, with caveats. */
export interface ObjectChange {
  jsonPatch: JsonPatchOp[];
  /** Absent where server-side apply cannot express the change without owning more than it (Knative containers). */
  applyFragment?: Record<string, unknown>;
  notes: string[];
}

/** Escapes one JSON Pointer segment (RFC 6901: `~` → `~0`, `/` → `~1`). */
export function escapePointerSegment(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

function segments(pointer: string): string[] {
  return pointer.split('/').slice(1).map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function containerPointer(workload: Workload, container: ContainerFacts): string {
  return `${workload.podSpecPointer}/containers/${container.index}`;
}

/** `/spec/template/spec` → `/spec/template/metadata`. */
function templateMetadataPointer(workload: Workload): string {
  return `${workload.podSpecPointer.replace(/\/spec$/, '')}/metadata`;
}

/** The skeleton every apply fragment starts from: apiVersion, kind, metadata name/namespace. */
function fragmentBase(workload: Workload): Record<string, unknown> {
  const { ref } = workload;
  const metadata: Record<string, unknown> = { name: ref.name };
  if (ref.namespace !== undefined) metadata.namespace = ref.namespace;
  return { apiVersion: ref.apiVersion, kind: ref.kind, metadata };
}

/** A fragment holding `value` at `pointer` (objects created along the way). */
function fragmentAt(workload: Workload, pointer: string, value: unknown): Record<string, unknown> {
  const path = segments(pointer);
  let nested: unknown = value;
  for (const key of [...path].reverse()) nested = { [key]: nested };
  return mergeFragments(fragmentBase(workload), nested as Record<string, unknown>);
}

/**
 * A fragment with one container entry (by name) holding `fields`; `undefined` on Knative, whose `containers` list is
 * atomic (see the module comment).
 */
function containerFragment(workload: Workload, container: ContainerFacts, fields: Record<string, unknown>): Record<string, unknown> | undefined {
  if (hasAtomicContainers(workload)) return undefined;
  return fragmentAt(workload, `${workload.podSpecPointer}/containers`, [{ name: container.name, ...fields }]);
}

/** Knative's CRD (`x-kubernetes-list-type: atomic` on `containers`); Deployments merge containers by name. */
export function hasAtomicContainers(workload: Workload): boolean {
  return workload.platform !== 'kubernetes';
}


/**
 * Merges apply fragments the way server-side apply merges the fields pytuner writes: maps recursively, lists of
 * objects with a `name` (containers, env) by name, anything else replaced by the later value.
 */
export function mergeFragments(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const existing = out[key];
    if (isRecord(existing) && isRecord(value)) out[key] = mergeFragments(existing, value);
    else if (isNamedList(existing) && isNamedList(value)) out[key] = mergeNamedLists(existing, value);
    else out[key] = value;
  }
  return out;
}

function mergeNamedLists(a: Record<string, unknown>[], b: Record<string, unknown>[]): Record<string, unknown>[] {
  const out = [...a];
  for (const entry of b) {
    const i = out.findIndex((e) => e.name === entry.name);
    if (i === -1) out.push(entry);
    else out[i] = mergeFragments(out[i] as Record<string, unknown>, entry);
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isNamedList(v: unknown): v is Record<string, unknown>[] {
  return Array.isArray(v) && v.every((e) => isRecord(e) && typeof e.name === 'string');
}

function objectChange(jsonPatch: JsonPatchOp[], applyFragment: Record<string, unknown> | undefined, notes: string[]): ObjectChange {
  return applyFragment === undefined ? { jsonPatch, notes } : { jsonPatch, applyFragment, notes };
}

/** A Fix from an object change, with more notes where the rule has caveats. */
export function fixFromChange(change: ObjectChange, notes: readonly string[] = []): Fix {
  const all = [...change.notes, ...notes];
  const fix: Fix = { jsonPatch: change.jsonPatch };
  if (change.applyFragment !== undefined) fix.applyFragment = change.applyFragment;
  if (all.length > 0) fix.notes = all;
  return fix;
}

/** Sets `spec.template.spec.containerConcurrency` (replace with a `test` guard when present, add when unset). */
export function setContainerConcurrency(workload: Workload, value: number): ObjectChange {
  const pointer = `${workload.podSpecPointer}/containerConcurrency`;
  const current = writtenConcurrency(workload);
  const jsonPatch: JsonPatchOp[] =
    current === undefined
      ? [{ op: 'add', path: pointer, value }]
      : [
          { op: 'test', path: pointer, value: current },
          { op: 'replace', path: pointer, value },
        ];
  return { jsonPatch, applyFragment: fragmentAt(workload, pointer, value), notes: [] };
}

/** True when the container has an `env` list in the manifest (some entry carries its manifest index). */
function hasManifestEnv(container: ContainerFacts): boolean {
  return [...container.env.values()].some((e) => e.index !== undefined);
}

/**
 * Sets an env var in the manifest: replaces the value of an existing entry (guarded by a `test` of its name),
 * or appends an entry. An entry that only comes from the image's `ENV` is overridden by the new manifest entry.
 */
export function setEnv(workload: Workload, container: ContainerFacts, name: string, value: string): ObjectChange {
  const base = `${containerPointer(workload, container)}/env`;
  const existing = container.env.get(name);
  const notes: string[] = [];
  let jsonPatch: JsonPatchOp[];
  if (existing?.index !== undefined) {
    const entry = `${base}/${existing.index}`;
    jsonPatch = existing.fromRef
      ? [
          { op: 'test', path: `${entry}/name`, value: name },
          { op: 'replace', path: entry, value: { name, value } },
        ]
      : [
          { op: 'test', path: `${entry}/name`, value: name },
          { op: 'replace', path: `${entry}/value`, value },
        ];
    if (existing.fromRef) notes.push(`${name} is read from a Secret or ConfigMap (valueFrom); this fix replaces the reference with a literal`);
  } else {
    jsonPatch = hasManifestEnv(container) ? [{ op: 'add', path: `${base}/-`, value: { name, value } }] : [{ op: 'add', path: base, value: [{ name, value }] }];
    if (existing !== undefined) notes.push(overrideNote(workload, name, existing.evidence));
  }
  return objectChange(jsonPatch, containerFragment(workload, container, { env: [{ name, value }] }), notes);
}

/**
 * Adds env vars the container has nowhere yet (not in the manifest, not from the image) in one change: appended to the
 * manifest's `env`, or one new `env` list holding them all, so that two of them do not each create the list.
 */
export function addEnv(workload: Workload, container: ContainerFacts, entries: ReadonlyArray<{ name: string; value: string }>): ObjectChange {
  const base = `${containerPointer(workload, container)}/env`;
  const env = entries.map(({ name, value }) => ({ name, value }));
  const jsonPatch: JsonPatchOp[] = hasManifestEnv(container) ? env.map((value) => ({ op: 'add', path: `${base}/-`, value })) : [{ op: 'add', path: base, value: env }];
  return objectChange(jsonPatch, containerFragment(workload, container, { env }), []);
}

/**
 * What a new env entry does to the value the workload has from elsewhere, named by what holds the entry: a `gcloud run
 * deploy` command (which the fix edits), a manifest, a Terraform resource, or a service with neither.
 */
function overrideNote(workload: Workload, name: string, existing: Evidence): string {
  const at = where(existing);
  if (existing.source === 'deploy-command') return `${name} is changed where the gcloud run deploy command sets it (${at})`;
  const from = existing.source === 'Dockerfile' ? `from the image (${at})` : `(${at})`;
  if (workload.deployedBy !== undefined) return `the gcloud run deploy command's env var overrides ${name} ${from} for this service only`;
  if (workload.assumed !== undefined || workload.cloudRun !== undefined) return `the service's env var overrides ${name} ${from} for this service only`;
  const entry = workload.ref.apiVersion === TERRAFORM_API_VERSION ? `the Terraform resource's env entry` : 'the manifest entry';
  return `${entry} overrides ${name} ${from} for this workload only`;
}

/**
 * Appends words to a space-separated env var such as `GUNICORN_CMD_ARGS` (an existing value is kept in front).
 * `undefined` when the current value comes from a Secret or ConfigMap and so cannot be extended.
 */
export function appendEnvWords(workload: Workload, container: ContainerFacts, name: string, words: string): ObjectChange | undefined {
  const existing = container.env.get(name);
  if (existing?.fromRef === true) return undefined;
  const current = existing?.value?.trim() ?? '';
  return setEnv(workload, container, name, current === '' ? words : `${current} ${words}`);
}

/** Replaces one element of a container's `command` or `args` (guarded by a `test` of the old element). */
export function replaceListElement(workload: Workload, container: ContainerFacts, list: 'command' | 'args', index: number, after: string): ObjectChange {
  const values = container[list] ?? [];
  const pointer = `${containerPointer(workload, container)}/${list}/${index}`;
  const jsonPatch: JsonPatchOp[] = [
    { op: 'test', path: pointer, value: values[index] },
    { op: 'replace', path: pointer, value: after },
  ];
  const replaced = values.map((v, i) => (i === index ? after : v));
  // command and args are atomic lists for server-side apply: the fragment carries the whole new list.
  return objectChange(jsonPatch, containerFragment(workload, container, { [list]: replaced }), []);
}

/** Adds (or replaces) a container's `startupProbe`. */
export function addStartupProbe(workload: Workload, container: ContainerFacts, probe: Record<string, unknown>): ObjectChange {
  const pointer = `${containerPointer(workload, container)}/startupProbe`;
  const notes: string[] = [];
  if (container.startupProbe !== undefined && !container.startupProbe.implicit && !hasAtomicContainers(workload)) {
    notes.push('server-side apply merges probe fields: remove the old startupProbe handler in the same change, or apply the JSON patch, which replaces the probe');
  }
  return objectChange([{ op: 'add', path: pointer, value: probe }], containerFragment(workload, container, { startupProbe: probe }), notes);
}

/** Sets an annotation of the pod/revision template (`spec.template.metadata.annotations`). */
export function setTemplateAnnotation(workload: Workload, key: string, value: string): ObjectChange {
  return setAnnotation(workload, 'template', key, value);
}

/**
 * Sets an annotation on the object itself (`metadata.annotations`) or on its pod/revision template: replace with a
 * `test` guard when present, add otherwise.
 */
export function setAnnotation(workload: Workload, scope: 'object' | 'template', key: string, value: string): ObjectChange {
  const metadata = scope === 'object' ? '/metadata' : templateMetadataPointer(workload);
  const existing = scope === 'object' ? workload.annotations : workload.templateAnnotations;
  const annotations = `${metadata}/annotations`;
  const pointer = `${annotations}/${escapePointerSegment(key)}`;
  const current = existing[key];
  const notes: string[] = [];
  let jsonPatch: JsonPatchOp[];
  if (current !== undefined) {
    jsonPatch = [
      { op: 'test', path: pointer, value: current },
      { op: 'replace', path: pointer, value },
    ];
  } else if (Object.keys(existing).length > 0) {
    jsonPatch = [{ op: 'add', path: pointer, value }];
  } else {
    jsonPatch = [{ op: 'add', path: annotations, value: { [key]: value } }];
    if (scope === 'template') notes.push('the JSON patch assumes spec.template.metadata exists; the apply fragment does not');
  }
  return { jsonPatch, applyFragment: fragmentAt(workload, annotations, { [key]: value }), notes };
}

/** A command-line flag with its long and (optional) short spelling, e.g. `--workers` / `-w`. */
export interface FlagSpec {
  long: string;
  short?: string;
}

/** Where a flag's value sits in a container's `command`/`args`, the element that replaces it, and the span it rewrites. */
interface ListEdit {
  list: 'command' | 'args';
  index: number;
  after: string;
  span: TextSpan;
}

/**
 * Finds the last occurrence of a flag in a container's `command` + `args` (the last one wins, as in argparse) and
 * returns the element to replace: `--workers 4` (the value element), `--workers=4`, `-w4`, or a shell string
 * (`sh -c "exec gunicorn -w 4 app"`) after `anchor`, the server's name.
 */
function findFlagInContainer(container: ContainerFacts, flag: FlagSpec, value: string, anchor: string): ListEdit | undefined {
  const items = [
    ...(container.command ?? []).map((text, index) => ({ list: 'command' as const, index, text })),
    ...(container.args ?? []).map((text, index) => ({ list: 'args' as const, index, text })),
  ];
  for (let k = items.length - 1; k >= 0; k--) {
    const item = items[k]!;
    const at = flagValueIn(item.text, items[k + 1], flag, anchor);
    if (at === undefined) continue;
    const edited = at === 'next' ? items[k + 1]! : item;
    const span: TextSpan = at === 'next' ? { start: 0, end: edited.text.length, text: value } : { ...at, text: value };
    return { list: edited.list, index: edited.index, after: applySpans(edited.text, [span])!, span };
  }
  return undefined;
}

/**
 * Where a flag's value is in one element: the next element (`--workers`, `4`), after `=` (`--workers=4`), after a
 * short flag (`-w4`), or inside a shell string after `anchor` (`sh -c "exec gunicorn -w 4 app"`).
 */
function flagValueIn(text: string, next: { text: string } | undefined, flag: FlagSpec, anchor: string): { start: number; end: number } | 'next' | undefined {
  if (text === flag.long || text === flag.short) return next === undefined ? undefined : 'next';
  if (text.startsWith(`${flag.long}=`)) return { start: flag.long.length + 1, end: text.length };
  if (flag.short !== undefined && text.startsWith(flag.short) && !text.startsWith('--') && /^[\d$]/.test(text.slice(flag.short.length))) {
    return { start: flag.short.length, end: text.length };
  }
  if (/\s/.test(text)) {
    const at = anchorEnd(text, anchor);
    return at === undefined ? undefined : flagValueSpan(text, flag, at);
  }
  return undefined;
}

function anchorEnd(text: string, anchor: string): number | undefined {
  const m = new RegExp(`(^|[\\s"'/\\[,])${escapeRegExp(anchor)}(?=$|[\\s"',\\]])`).exec(text);
  return m === null ? undefined : m.index + m[0].length;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Replaces the value of the last occurrence of a flag in a line of shell or exec-form text, at or after `from`:
 * `--timeout 30`, `--timeout=30`, `-t 30`, `-t30`, `"--timeout", "30"`. `undefined` when the flag is not there.
 */
export function replaceFlagValue(text: string, flag: FlagSpec, value: string, from = 0): string | undefined {
  const span = flagValueSpan(text, flag, from);
  return span === undefined ? undefined : applySpans(text, [{ ...span, text: value }]);
}

/** The characters of the last occurrence of a flag's value in `text`, at or after `from` (see `replaceFlagValue`). */
function flagValueSpan(text: string, flag: FlagSpec, from: number): { start: number; end: number } | undefined {
  const spellings = [`${escapeRegExp(flag.long)}(?:=|\\s+|["']\\s*,\\s*["'])`];
  if (flag.short !== undefined) spellings.push(`${escapeRegExp(flag.short)}(?:\\s+|["']\\s*,\\s*["']|(?=[\\d$]))`);
  const re = new RegExp(`(?<![\\w-])(?:${spellings.join('|')})(?<value>[^\\s"',\\]]+)`, 'gd');
  let last: { start: number; end: number } | undefined;
  for (const m of text.slice(from).matchAll(re)) {
    const span = m.indices?.groups?.value;
    if (span !== undefined) last = { start: span[0] + from, end: span[1] + from };
  }
  return last;
}

/** The source line evidence points at: from the image's kept lines, else the evidence text when it has a line. */
export function sourceLineOf(image: ImageFacts | undefined, evidence: Evidence): SourceLine | undefined {
  if (evidence.file === undefined || evidence.line === undefined) return undefined;
  const kept = image?.lines.find((l) => l.file === evidence.file && l.line === evidence.line);
  if (kept !== undefined) return kept;
  return evidence.text === undefined || evidence.text.includes('\n') ? undefined : { file: evidence.file, line: evidence.line, text: evidence.text };
}

/**
 * A line edit that changes a flag's value in the command a Dockerfile (`CMD`/`ENTRYPOINT`) or Procfile line runs,
 * after the server's name (`anchor`). A Dockerfile instruction continued over several lines is one source line whose
 * text holds them all, so the edit replaces the whole instruction. `undefined` when the line or the flag is not found.
 */
function editFlagInSource(image: ImageFacts | undefined, evidence: Evidence, flag: FlagSpec, value: string, anchor: string): { edit: SourceEdit; span: TextSpan } | undefined {
  const line = sourceLineOf(image, evidence);
  if (line === undefined) return undefined;
  const from = anchorEnd(line.text, anchor);
  const at = from === undefined ? undefined : flagValueSpan(line.text, flag, from);
  if (at === undefined) return undefined;
  const span: TextSpan = { ...at, text: value };
  return { edit: { file: line.file, line: line.line, before: line.text, after: applySpans(line.text, [span])! }, span };
}

/** A line edit of a `gunicorn.conf.py` assignment (`workers = 4` → `workers = 2`), keeping a trailing comment. */
export function editConfAssignment(image: ImageFacts | undefined, evidence: Evidence, key: string, value: string): SourceEdit | undefined {
  const line = sourceLineOf(image, evidence);
  if (line === undefined) return undefined;
  const m = new RegExp(`^(\\s*${escapeRegExp(key)}\\s*=\\s*)(.*?)(\\s*#.*)?$`).exec(line.text);
  if (m === null) return undefined;
  return { file: line.file, line: line.line, before: line.text, after: `${m[1]}${value}${m[3] ?? ''}` };
}

/** How to change one server setting (`--workers`, `--timeout`) wherever it was set. */
export interface ServerKnob {
  flag: FlagSpec;
  /** The `gunicorn.conf.py` name of the setting. */
  confKey: string;
  /** The server's executable name, found before the flag in shell text. */
  anchor: string;
  /** The change when nothing sets it (the server's default is in force); `undefined` = no fix. */
  whenUnset: () => ObjectChange | undefined;
  /** The env var `whenUnset` writes (WEB_CONCURRENCY, GUNICORN_CMD_ARGS), for the change's location. */
  unsetEnv?: string;
  /** The words `whenUnset` appends to `unsetEnv` when that is an env var of options (`--threads 4`). */
  unsetWords?: string;
}

/** A server setting's fix and where it writes; an unwritable location (and no fix) says why pytuner cannot write it. */
export type ServerSettingWrite = { fix: Fix; location: Location } | { fix: undefined; location: Extract<Location, { kind: 'unwritable' }> };

function unwritable(why: string): Extract<Location, { kind: 'unwritable' }> {
  return { kind: 'unwritable', why };
}

/**
 * A server setting's fix and where it writes: the env var it is read from (`--threads $THREADS`, `WEB_CONCURRENCY`),
 * the manifest `command`/`args` element, the Dockerfile/Procfile line, or the gunicorn.conf.py assignment;
 * `knob.whenUnset` when only the default applies. An unwritable location, and no fix, when pytuner cannot write it.
 */
export function serverSettingWrite(workload: Workload, container: ContainerFacts, setting: Setting<unknown>, knob: ServerKnob, value: string): ServerSettingWrite {
  const envName = envKnob(setting);
  if (envName !== undefined) {
    const env = container.env.get(envName);
    if (env === undefined || env.fromRef) return { fix: undefined, location: unwritable(`${envName} is read from a Secret or ConfigMap, or set where pytuner cannot see it`) };
    // GUNICORN_CMD_ARGS="--timeout 30 --preload" holds flags: change the flag's value inside it, keep the rest. The
    // span lets the solver write several findings' flags of one var in one value.
    const at = env.value === undefined ? undefined : flagValueSpan(env.value, knob.flag, 0);
    const span: TextSpan | undefined = at === undefined ? undefined : { ...at, text: value };
    const written = span === undefined ? value : applySpans(env.value!, [span])!;
    const location: Location = { kind: 'env', container: container.name, name: envName };
    if (span !== undefined) location.span = span;
    return { fix: fixFromChange(setEnv(workload, container, envName, written)), location };
  }
  if (setting.isDefault) {
    const change = knob.whenUnset();
    if (change === undefined || knob.unsetEnv === undefined) return { fix: undefined, location: unwritable(`no env var sets ${knob.flag.long} when the command line leaves it out`) };
    const location: Location = { kind: 'env', container: container.name, name: knob.unsetEnv };
    if (knob.unsetWords !== undefined) location.words = knob.unsetWords;
    return { fix: fixFromChange(change), location };
  }
  const { evidence } = setting;
  if (evidence.source === 'manifest') {
    const edit = findFlagInContainer(container, knob.flag, value, knob.anchor);
    if (edit === undefined) return { fix: undefined, location: unwritable(`${knob.flag.long} is not a plain flag of the container's command or args`) };
    const location: Location = { kind: 'args', container: container.name, list: edit.list, index: edit.index, span: edit.span };
    return { fix: fixFromChange(replaceListElement(workload, container, edit.list, edit.index, edit.after)), location };
  }
  if (evidence.source === 'gunicorn.conf.py') {
    const edit = editConfAssignment(container.dockerfile, evidence, knob.confKey, value);
    if (edit === undefined) return { fix: undefined, location: unwritable(`${knob.flag.long} is set in ${where(evidence)}, which pytuner did not read or cannot edit`) };
    return { fix: { edits: [edit] }, location: { kind: 'source', file: edit.file, line: edit.line } };
  }
  const flagEdit = editFlagInSource(container.dockerfile, evidence, knob.flag, value, knob.anchor);
  if (flagEdit === undefined) return { fix: undefined, location: unwritable(`${knob.flag.long} is set in ${where(evidence)}, which pytuner did not read or cannot edit`) };
  const { edit, span } = flagEdit;
  return { fix: { edits: [edit] }, location: { kind: 'source', file: edit.file, line: edit.line, span } };
}

/**
 * The env var a setting was read from: `viaEnv` (`--threads $THREADS`), or an option found inside an env var of
 * option words, whose evidence field the detector writes as `env GUNICORN_CMD_ARGS`.
 */
function envKnob(setting: Setting<unknown>): string | undefined {
  return setting.viaEnv ?? /^env ([A-Za-z_][A-Za-z0-9_]*)$/.exec(setting.evidence.field)?.[1];
}

/** `Dockerfile:12` or the field, for notes. */
export function where(evidence: Evidence): string {
  if (evidence.file === undefined) return evidence.field;
  return evidence.line === undefined ? `${evidence.file} ${evidence.field}` : `${evidence.file}:${evidence.line}`;
}
