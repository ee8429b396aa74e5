/**
 * @module Test-only appliers for the three kinds of fix a finding carries, so fixture tests can prove a fix applies to
 * the object as read and makes its finding go away: an RFC 6902 JSON Patch (add, replace, remove, test; no dependency in
 * the project provides one), a server-side-apply style merge of an apply fragment, and line edits of source texts.
 * Each throws with the pointer or line that did not match, rather than guessing.
 */
import type { JsonPatchOp, SourceEdit } from '../../src/model/finding.ts';

type Json = unknown;

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`JSON pointer must start with '/': ${pointer}`);
  return pointer.slice(1).split('/').map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function arrayIndex(segment: string, length: number, forAdd: boolean, pointer: string): number {
  if (forAdd && segment === '-') return length;
  if (!/^(0|[1-9]\d*)$/.test(segment)) throw new Error(`${pointer}: ${segment} is not an array index`);
  const i = Number(segment);
  if (i > length || (!forAdd && i === length)) throw new Error(`${pointer}: index ${i} out of range (length ${length})`);
  return i;
}

/** The parent container of the pointer's last segment; every step must exist (RFC 6902 §4.1). */
function parentOf(doc: Json, pointer: string): { parent: Json; key: string } {
  const path = parsePointer(pointer);
  if (path.length === 0) throw new Error('patching the whole document is not supported');
  let node = doc;
  for (const segment of path.slice(0, -1)) {
    if (Array.isArray(node)) node = node[arrayIndex(segment, node.length, false, pointer)];
    else if (isObject(node) && segment in node) node = node[segment];
    else throw new Error(`${pointer}: ${segment} does not exist`);
  }
  return { parent: node, key: path.at(-1)! };
}

function get(doc: Json, pointer: string): Json {
  const { parent, key } = parentOf(doc, pointer);
  if (Array.isArray(parent)) return parent[arrayIndex(key, parent.length, false, pointer)];
  if (isObject(parent) && key in parent) return parent[key];
  throw new Error(`${pointer} does not exist`);
}

/** Applies a JSON Patch in place. A failing `test` or a missing path throws. */
export function applyJsonPatch(doc: Json, ops: readonly JsonPatchOp[]): void {
  for (const op of ops) {
    if (op.op === 'test') {
      const actual = get(doc, op.path);
      if (JSON.stringify(actual) !== JSON.stringify(op.value)) throw new Error(`test ${op.path}: expected ${JSON.stringify(op.value)}, found ${JSON.stringify(actual)}`);
      continue;
    }
    const { parent, key } = parentOf(doc, op.path);
    if (Array.isArray(parent)) {
      const i = arrayIndex(key, parent.length, op.op === 'add', op.path);
      if (op.op === 'add') parent.splice(i, 0, structuredClone(op.value));
      else if (op.op === 'replace') parent[i] = structuredClone(op.value);
      else parent.splice(i, 1);
    } else if (isObject(parent)) {
      if (op.op !== 'add' && !(key in parent)) throw new Error(`${op.op} ${op.path}: ${key} does not exist`);
      if (op.op === 'remove') delete parent[key];
      else parent[key] = structuredClone(op.value);
    } else {
      throw new Error(`${op.path}: parent is not an object or array`);
    }
  }
}

/**
 * Merges an apply fragment into an object as server-side apply would for the fields pytuner writes: maps recursively,
 * lists of named entries (containers, env) by name, anything else replaced. `atomicLists` names the fields whose list
 * the target's schema declares atomic (`x-kubernetes-list-type: atomic`): Knative's `containers`, whose fragment then
 * replaces the whole list, exactly as the API server does (and so drops an image the fragment does not repeat).
 */
export function mergeApplyFragment(target: Record<string, Json>, fragment: Record<string, Json>, atomicLists: ReadonlySet<string> = new Set()): void {
  for (const [key, value] of Object.entries(fragment)) {
    const existing = target[key];
    if (isObject(existing) && isObject(value)) mergeApplyFragment(existing, value, atomicLists);
    else if (Array.isArray(existing) && Array.isArray(value) && !atomicLists.has(key) && value.every((e) => isObject(e) && typeof e.name === 'string')) {
      for (const entry of value as Array<Record<string, Json>>) {
        const match = existing.find((e) => isObject(e) && e.name === entry.name);
        if (isObject(match)) mergeApplyFragment(match, entry, atomicLists);
        else existing.push(structuredClone(entry));
      }
    } else target[key] = structuredClone(value);
  }
}

/** The atomic lists of an object's schema that fixes can touch: Knative Services' `containers`. */
export function atomicListsOf(object: Record<string, Json>): ReadonlySet<string> {
  return new Set(object.apiVersion === 'serving.knative.dev/v1' ? ['containers'] : []);
}

/** Applies line edits to a text; each edit's `before` must match the lines it names. Edits apply bottom-up. */
export function applySourceEdits(text: string, file: string, edits: readonly SourceEdit[]): string {
  const lines = text.split('\n');
  for (const edit of [...edits].filter((e) => e.file === file).sort((a, b) => b.line - a.line)) {
    const before = edit.before.split('\n');
    const found = lines.slice(edit.line - 1, edit.line - 1 + before.length);
    if (found.join('\n') !== edit.before) throw new Error(`${file}:${edit.line}: expected ${JSON.stringify(edit.before)}, found ${JSON.stringify(found.join('\n'))}`);
    lines.splice(edit.line - 1, before.length, ...edit.after.split('\n'));
  }
  return lines.join('\n');
}
