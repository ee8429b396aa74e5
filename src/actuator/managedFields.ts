/**
 * @module Who owns a field, from an object's `metadata.managedFields` (FieldsV1). Pure.
 *
 * FieldsV1 is a trie: `f:<name>` for a map field, `k:<json>` for a list element keyed by its merge keys
 * (`k:{"name":"app"}`), `v:<json>` for a set element, `i:<n>` for an index, and `.` for the element itself. A leaf
 * (`{}`) owns everything under it: an atomic list such as Knative's `containers` appears as `"f:containers": {}`,
 * so whoever applied the containers owns every env entry inside them.
 * @see https://kubernetes.io/docs/reference/using-api/server-side-apply/#field-management
 */

/** One entry of `metadata.managedFields` (metav1.ManagedFieldsEntry), as read from the API server. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update' | string;
  apiVersion?: string;
  time?: string | Date;
  fieldsType?: string;
  fieldsV1?: unknown;
  subresource?: string;
}

/** One step of a field path: a map field by name, or a list element by its merge keys (`{ name: 'app' }`). */
export type PathSegment = { field: string } | { key: Record<string, string> };

/** `{ field: name }`. */
export function field(name: string): PathSegment {
  return { field: name };
}

/** `{ key: { name } }`: a container or an env entry, which Kubernetes keys by name. */
export function named(name: string): PathSegment {
  return { key: { name } };
}

function isTrie(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The child of `node` for `segment`; element keys are compared as parsed JSON, not as text. */
function child(node: Record<string, unknown>, segment: PathSegment): unknown {
  if ('field' in segment) return node[`f:${segment.field}`];
  for (const [name, value] of Object.entries(node)) {
    if (!name.startsWith('k:')) continue;
    let key: unknown;
    try {
      key = JSON.parse(name.slice(2));
    } catch {
      continue; // a malformed key owns nothing pytuner can name
    }
    if (isTrie(key) && sameKey(key, segment.key)) return value;
  }
  return undefined;
}

function sameKey(a: Record<string, unknown>, b: Record<string, string>): boolean {
  const keys = Object.keys(b);
  return Object.keys(a).length === keys.length && keys.every((k) => a[k] === b[k]);
}

/**
 * ownsPath tells whether a FieldsV1 trie owns `path`: the path's node is present (leaf or subtree), or an ancestor on
 * the path is a leaf (an atomic list or map, owned whole).
 */
export function ownsPath(fieldsV1: unknown, path: readonly PathSegment[]): boolean {
  let node: unknown = fieldsV1;
  for (const segment of path) {
    if (!isTrie(node)) return false;
    if (Object.keys(node).length === 0 && node !== fieldsV1) return true; // atomic ancestor
    node = child(node, segment);
    if (node === undefined) return false;
  }
  return isTrie(node);
}

/**
 * fieldOwners lists the managers, other than `self`, that own `path` on the main resource (status-subresource
 * entries are ignored), in managedFields order without duplicates. `self` matches whatever the operation, so
 * pytuner's own JSON patches (operation Update) and applies (operation Apply) both count as pytuner's.
 */
export function fieldOwners(managedFields: readonly ManagedFieldsEntry[] | undefined, path: readonly PathSegment[], self: string): string[] {
  const owners: string[] = [];
  for (const entry of managedFields ?? []) {
    if (entry.subresource !== undefined && entry.subresource !== '') continue;
    const manager = entry.manager ?? '';
    if (manager === self || owners.includes(manager)) continue;
    if (ownsPath(entry.fieldsV1, path)) owners.push(manager);
  }
  return owners;
}

type Trie = Record<string, unknown>;

/** A copy of `trie` without the leaf at `fields` (`f:` names), parents left empty pruned; undefined when nothing is left. */
function withoutLeaf(trie: unknown, fields: readonly string[]): Trie | undefined {
  if (!isTrie(trie)) return undefined;
  const [first, ...rest] = fields;
  if (first === undefined) return undefined;
  const key = `f:${first}`;
  const copy: Trie = { ...trie };
  if (rest.length === 0) delete copy[key];
  else if (key in copy) {
    const child = withoutLeaf(copy[key], rest);
    if (child === undefined) delete copy[key];
    else copy[key] = child;
  }
  return Object.keys(copy).length === 0 ? undefined : copy;
}

/** A copy of `trie` owning the leaf at `fields` (`f:` names) whole. */
function withLeaf(trie: unknown, fields: readonly string[]): Trie {
  const copy: Trie = isTrie(trie) ? { ...trie } : {};
  const [first, ...rest] = fields;
  if (first === undefined) return copy;
  copy[`f:${first}`] = rest.length === 0 ? {} : withLeaf(copy[`f:${first}`], rest);
  return copy;
}

/** The same manager and operation on the main resource (an informer cache may keep no more of an entry than that). */
const sameEntry = (a: ManagedFieldsEntry, b: ManagedFieldsEntry) => a.manager === b.manager && a.operation === b.operation && (a.subresource ?? '') === (b.subresource ?? '');

/**
 * handBackOwnership returns managedFields `after` a write of `self` inside an atomic field (Knative's `containers`,
 * at `fields`), with that field owned again by the managers that owned it before (`owners`, their entries as read
 * before the write) and no longer by `self`. Any change inside an atomic list moves the whole list to the writer
 * (operation Update); left there, the next server-side apply of the list by its manager without force gets 409, and
 * the manager that declared the list no longer owns it. Setting managedFields explicitly is the API's way to move
 * ownership (kubectl's client-side → server-side apply upgrade does the same). An entry of `self` that owns nothing
 * else afterwards is dropped.
 */
export function handBackOwnership(
  after: readonly ManagedFieldsEntry[],
  owners: readonly ManagedFieldsEntry[],
  fields: readonly string[],
  self: string,
  /** apiVersion and time of an owner's entry that has to be re-added (the server drops an entry left owning nothing). */
  readded: { apiVersion: string; time: string },
): ManagedFieldsEntry[] {
  const result: ManagedFieldsEntry[] = [];
  for (const entry of after) {
    if (entry.manager === self && (entry.subresource ?? '') === '') {
      const fieldsV1 = withoutLeaf(entry.fieldsV1, fields);
      if (fieldsV1 !== undefined) result.push({ ...entry, fieldsV1 });
      continue;
    }
    result.push(owners.some((o) => sameEntry(o, entry)) ? { ...entry, fieldsV1: withLeaf(entry.fieldsV1, fields) } : entry);
  }
  for (const owner of owners) {
    if (result.some((e) => sameEntry(e, owner))) continue;
    const entry: ManagedFieldsEntry = { manager: owner.manager, operation: owner.operation, apiVersion: owner.apiVersion ?? readded.apiVersion, time: owner.time ?? readded.time, fieldsType: 'FieldsV1', fieldsV1: withLeaf({}, fields) };
    result.push(entry);
  }
  return result;
}
