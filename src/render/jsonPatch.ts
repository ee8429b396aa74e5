/**
 * @module RFC 6902 JSON Patch on plain JSON values (a JSON manifest, and the expected result a YAML edit is checked
 * against), with RFC 6901 pointers. One extension, the one `pytuner report --fix` needs: `add` creates missing parent
 * maps, as a user editing the file would (`/spec/template/metadata/annotations/x` on a template without metadata).
 * Pure: values in, values out; the input is never modified.
 */
import { isDeepStrictEqual } from 'node:util';
import type { JsonPatchOp } from '../model/finding.ts';

/** A patch applied, or the first op that could not be and why (the whole patch is then refused). */
export type PatchOutcome<T> = { ok: true; value: T } | { ok: false; reason: string };

/** `/a/b~1c/0` → `['a', 'b/c', '0']`; undefined for a string that is not a pointer. */
export function parsePointer(pointer: string): string[] | undefined {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return undefined;
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** An array index segment: `0`, `12` (no leading zeros, RFC 6901), or `-` (past the end) when `allowEnd`. */
export function arrayIndex(segment: string, length: number, allowEnd: boolean): number | undefined {
  if (allowEnd && segment === '-') return length;
  if (!/^(0|[1-9]\d*)$/.test(segment)) return undefined;
  const index = Number(segment);
  return index < length || (allowEnd && index === length) ? index : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at `path`, or `{ found: false }`. */
export function valueAt(root: unknown, path: readonly string[]): { found: true; value: unknown } | { found: false } {
  let node = root;
  for (const segment of path) {
    if (Array.isArray(node)) {
      const i = arrayIndex(segment, node.length, false);
      if (i === undefined) return { found: false };
      node = node[i];
    } else if (isRecord(node) && Object.hasOwn(node, segment)) {
      node = node[segment];
    } else return { found: false };
  }
  return { found: true, value: node };
}

/** Applies `ops` in order to a copy of `root`. A failed `test` or an op whose target is missing refuses the whole patch. */
export function applyJsonPatch<T>(root: T, ops: readonly JsonPatchOp[]): PatchOutcome<T> {
  let value: unknown = structuredClone(root);
  for (const op of ops) {
    const outcome = applyOne(value, op);
    if (!outcome.ok) return outcome;
    value = outcome.value;
  }
  return { ok: true, value: value as T };
}

function applyOne(root: unknown, op: JsonPatchOp): PatchOutcome<unknown> {
  const path = parsePointer(op.path);
  if (path === undefined) return { ok: false, reason: `${op.path}: not a JSON pointer` };
  if (op.op === 'test') {
    const at = valueAt(root, path);
    if (!at.found) return { ok: false, reason: `test ${op.path}: nothing there` };
    return isDeepStrictEqual(at.value, op.value) ? { ok: true, value: root } : { ok: false, reason: `test ${op.path}: expected ${JSON.stringify(op.value)}, found ${JSON.stringify(at.value)}` };
  }
  if (path.length === 0) {
    if (op.op === 'remove') return { ok: false, reason: 'remove of the whole document' };
    return { ok: true, value: structuredClone(op.value) };
  }
  const parentPath = path.slice(0, -1);
  const last = path.at(-1) as string;
  let parent = valueAt(root, parentPath);
  if ((!parent.found || parent.value === null) && op.op === 'add') {
    const created = createParents(root, parentPath);
    if (!created.ok) return { ok: false, reason: `add ${op.path}: ${created.reason}` };
    parent = valueAt(root, parentPath);
  }
  if (!parent.found) return { ok: false, reason: `${op.op} ${op.path}: no parent there` };
  const container = parent.value;
  if (Array.isArray(container)) {
    const i = arrayIndex(last, container.length, op.op === 'add');
    if (i === undefined) return { ok: false, reason: `${op.op} ${op.path}: no index ${last} in a list of ${container.length}` };
    if (op.op === 'add') container.splice(i, 0, structuredClone(op.value));
    else if (op.op === 'replace') container[i] = structuredClone(op.value);
    else container.splice(i, 1);
    return { ok: true, value: root };
  }
  if (!isRecord(container)) return { ok: false, reason: `${op.op} ${op.path}: the parent is not a map or a list` };
  if (op.op !== 'add' && !Object.hasOwn(container, last)) return { ok: false, reason: `${op.op} ${op.path}: nothing there` };
  if (op.op === 'remove') delete container[last];
  else container[last] = structuredClone(op.value);
  return { ok: true, value: root };
}

/** Creates the missing maps of `path` (never lists: a list index cannot be invented); a `null` on the way becomes a map. */
function createParents(root: unknown, path: readonly string[]): PatchOutcome<unknown> {
  let node = root;
  for (const segment of path) {
    if (Array.isArray(node)) {
      const i = arrayIndex(segment, node.length, false);
      if (i === undefined) return { ok: false, reason: `no index ${segment} to create a map in` };
      node = node[i];
      continue;
    }
    if (!isRecord(node)) return { ok: false, reason: `${segment}: the parent is not a map` };
    const next = node[segment];
    if (next === undefined || next === null) node[segment] = {};
    node = node[segment];
  }
  return { ok: true, value: root };
}
