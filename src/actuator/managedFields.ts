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
