/**
 * @module Merging the fixes of several findings on one object, without conflicting operations: the JSON
 * patches (RFC 6902) and the server-side apply fragments. A finding is merged whole or not at all; one
 * that conflicts with an earlier finding (in report order) is left out and named, never half-applied.
 *
 * JSON patch ordering. Every rule writes its ops against the original object, so merged ops must not see
 * each other's effects on array indices: `test` ops go first (they check the original), then the adds and
 * replaces in finding order (appends with `/-` and replaces at an index do not move other elements), then
 * removals of array elements, highest index first (a removal moves only the elements after it). An insert
 * at an array index would move elements other findings point at, so it conflicts with any other finding
 * that addresses the same array by index. Two findings that add the same list or map (e.g. both create
 * `env` on a container that had none) get one op with the values merged; lists of objects merge by `name`
 * (containers, env) or `containerPort` (ports), as server-side apply does. Two ops on the same path with
 * different values, or one op inside a value another finding replaces, are conflicts.
 *
 * One value is merged below the field level: an env var whose name ends in `_ARGS` (GUNICORN_CMD_ARGS holds
 * gunicorn flags, read with shlex). Two findings that each append flags to the same original value (one adds
 * `--timeout 0`, the other `--preload`) get both: see `mergeArgWords` for when that is safe.
 */
import { isDeepStrictEqual } from 'node:util';
import { parse as parseShellWords, quote as quoteShellWords } from 'shell-quote';
import type { Finding, JsonPatchOp } from '../model/finding.ts';
import { compareCodeUnits, isRecord } from './describe.ts';

/** A finding left out of a merge, and why. */
export interface MergeConflict {
  finding: Finding;
  /** The rule of the earlier finding it collides with (the same rule when two targets of one rule collide). */
  with: string;
  /** JSON pointer (patch) or dotted field path (fragment) where they collide. */
  path: string;
}

/** The merged JSON patch and apply fragment of one object. */
export interface MergedObjectFix {
  /** Ops in apply order; empty when no merged finding had a JSON patch. */
  jsonPatch: JsonPatchOp[];
  /** Deep merge of the findings' fragments; undefined when none had one. */
  applyFragment: Record<string, unknown> | undefined;
  /** Findings whose patch and fragment were merged, in report order. */
  merged: Finding[];
  conflicts: MergeConflict[];
}

/** An op with the finding that wrote it: `owner` is the finding's position, `rule` names it in conflicts. */
interface OwnedOp {
  op: JsonPatchOp;
  owner: number;
  rule: string;
}

interface PatchState {
  tests: OwnedOp[];
  changes: OwnedOp[];
  removals: OwnedOp[];
}

type Outcome<T> = { ok: true; value: T } | { ok: false; with: string; path: string };

/** Merges the JSON patches and apply fragments of findings on one object (see the module comment for the rules). */
export function mergeObjectFixes(findings: readonly Finding[]): MergedObjectFix {
  let patch: PatchState = { tests: [], changes: [], removals: [] };
  let fragment: { value: Record<string, unknown>; owners: string[] } | undefined;
  const merged: Finding[] = [];
  const conflicts: MergeConflict[] = [];
  for (const [owner, finding] of findings.entries()) {
    const nextPatch = addFindingOps(patch, finding.fix?.jsonPatch ?? [], owner, finding.rule);
    if (!nextPatch.ok) {
      conflicts.push({ finding, with: nextPatch.with, path: nextPatch.path });
      continue;
    }
    const own = finding.fix?.applyFragment;
    let nextFragment = fragment;
    if (own !== undefined) {
      const outcome: MergeOutcome = fragment === undefined ? { ok: true, value: own } : mergeValues(fragment.value, own);
      if (!outcome.ok || !isRecord(outcome.value)) {
        conflicts.push({ finding, with: fragment?.owners.join(', ') ?? finding.rule, path: outcome.ok ? '(root)' : outcome.path });
        continue;
      }
      nextFragment = { value: outcome.value, owners: [...(fragment?.owners ?? []), finding.rule] };
    }
    patch = nextPatch.value;
    fragment = nextFragment;
    merged.push(finding);
  }
  return { jsonPatch: orderedOps(patch), applyFragment: fragment?.value, merged, conflicts };
}

function orderedOps(state: PatchState): JsonPatchOp[] {
  const removals = [...state.removals].sort((a, b) => compareRemovals(a.op.path, b.op.path));
  return [...state.tests, ...state.changes, ...removals].map((owned) => owned.op);
}

/** Removals of elements of one array: highest index first. Different arrays: by path, for a stable order. */
function compareRemovals(a: string, b: string): number {
  const pa = parentAndIndex(a);
  const pb = parentAndIndex(b);
  if (pa !== undefined && pb !== undefined && pa.parent === pb.parent) return pb.index - pa.index;
  return compareCodeUnits(a, b);
}

function addFindingOps(state: PatchState, ops: readonly JsonPatchOp[], owner: number, rule: string): Outcome<PatchState> {
  let next: PatchState = { tests: [...state.tests], changes: [...state.changes], removals: [...state.removals] };
  for (const op of ops) {
    const outcome = addOp(next, { op, owner, rule });
    if (!outcome.ok) return outcome;
    next = outcome.value;
  }
  return { ok: true, value: next };
}

function addOp(state: PatchState, owned: OwnedOp): Outcome<PatchState> {
  const { op } = owned;
  const others = [...state.tests, ...state.changes, ...state.removals].filter((o) => o.owner !== owned.owner);
  if (op.op === 'test') {
    const clash = others.find((o) => o.op.op === 'test' && o.op.path === op.path && !isDeepStrictEqual(o.op, op));
    if (clash !== undefined) return { ok: false, with: clash.rule, path: op.path };
    return { ok: true, value: { ...state, tests: state.tests.some((t) => isDeepStrictEqual(t.op, op)) ? state.tests : [...state.tests, owned] } };
  }
  const nonTests = others.filter((o) => o.op.op !== 'test');
  const duplicate = nonTests.find((o) => isDeepStrictEqual(o.op, op));
  if (duplicate !== undefined) return { ok: true, value: state };
  const shifting = shiftConflict(op, nonTests);
  if (shifting !== undefined) return { ok: false, with: shifting.rule, path: op.path };
  if (op.op === 'remove' && parentAndIndex(op.path) !== undefined) {
    const inside = nonTests.find((o) => isWithin(o.op.path, op.path) || isWithin(op.path, o.op.path));
    if (inside !== undefined) return { ok: false, with: inside.rule, path: op.path };
    return { ok: true, value: { ...state, removals: [...state.removals, owned] } };
  }
  return addChange(state, owned, nonTests);
}

/** An insert at an array index moves the elements other findings address by index, and the reverse. */
function shiftConflict(op: JsonPatchOp, others: readonly OwnedOp[]): OwnedOp | undefined {
  const inserts = (o: JsonPatchOp) => o.op === 'add' && parentAndIndex(o.path) !== undefined;
  return others.find((other) => {
    if (inserts(op)) return addressesArrayOf(other.op.path, op.path);
    if (inserts(other.op)) return addressesArrayOf(op.path, other.op.path);
    return false;
  });
}

/** True when `path` addresses, by index, an element of the array that `insertPath` inserts into. */
function addressesArrayOf(path: string, insertPath: string): boolean {
  const parent = parentAndIndex(insertPath)?.parent;
  if (parent === undefined || !path.startsWith(`${parent}/`)) return false;
  const next = path.slice(parent.length + 1).split('/')[0] ?? '';
  return /^\d+$/.test(next);
}

function addChange(state: PatchState, owned: OwnedOp, others: readonly OwnedOp[]): Outcome<PatchState> {
  const { op } = owned;
  const key = changeKey(op);
  const samePath = others.find((o) => o.op.op !== 'remove' && changeKey(o.op) === key);
  if (samePath !== undefined) {
    const combined = combineSamePath(samePath.op, op, isArgsValuePath(op.path, state.tests));
    if (combined === undefined) return { ok: false, with: samePath.rule, path: op.path };
    const changes = state.changes.map((c) => (c === samePath ? { ...c, op: combined } : c));
    return { ok: true, value: { ...state, changes } };
  }
  // Appends of differently named items to one list (`env/-`) share a path but not a key: both go in.
  const overlap = others.find((o) => (o.op.path === op.path && !isNamedAppend(op)) || isWithin(o.op.path, op.path) || isWithin(op.path, o.op.path));
  if (overlap !== undefined) return { ok: false, with: overlap.rule, path: op.path };
  return { ok: true, value: { ...state, changes: [...state.changes, owned] } };
}

/** An append (`/-`) of an item with a `name`, such as an env var. */
function isNamedAppend(op: JsonPatchOp): boolean {
  return op.op !== 'remove' && op.path.endsWith('/-') && isRecord(op.value) && typeof op.value['name'] === 'string';
}

/** Appends of a named item are keyed by the name, so two findings appending the same env var meet. */
function changeKey(op: JsonPatchOp): string {
  if (isNamedAppend(op) && op.op !== 'remove' && isRecord(op.value)) return `${op.path}#${String(op.value['name'])}`;
  return `${op.op === 'remove' ? 'remove' : 'set'} ${op.path}`;
}

/**
 * Two adds/replaces of the same path: one op with both values merged, or undefined when they disagree.
 * `argsValue`: the path is the `value` of an `*_ARGS` env var, whose words may merge.
 */
function combineSamePath(first: JsonPatchOp, second: JsonPatchOp, argsValue: boolean): JsonPatchOp | undefined {
  if (first.op === 'remove' || second.op === 'remove' || first.op === 'test' || second.op === 'test') return undefined;
  if (argsValue && typeof first.value === 'string' && typeof second.value === 'string') {
    const words = mergeArgWords(first.value, second.value);
    return words === undefined ? undefined : { op: first.op, path: first.path, value: words };
  }
  const merged = mergeValues(first.value, second.value);
  return merged.ok ? { op: first.op, path: first.path, value: merged.value } : undefined;
}

/** `…/env/3/value` where a `test` op pins `…/env/3/name` to an `*_ARGS` name (rules guard env replaces so). */
function isArgsValuePath(path: string, tests: readonly OwnedOp[]): boolean {
  if (!path.endsWith('/value')) return false;
  const namePath = `${path.slice(0, -'/value'.length)}/name`;
  return tests.some((t) => t.op.op === 'test' && t.op.path === namePath && typeof t.op.value === 'string' && ARGS_ENV.test(t.op.value));
}

/** `a` is strictly inside `b` (JSON pointer segments). */
function isWithin(a: string, b: string): boolean {
  return a.startsWith(`${b}/`);
}

function parentAndIndex(path: string): { parent: string; index: number } | undefined {
  const slash = path.lastIndexOf('/');
  const last = path.slice(slash + 1);
  return /^\d+$/.test(last) ? { parent: path.slice(0, slash), index: Number(last) } : undefined;
}

/** List items are matched by these keys, in order, as server-side apply does for containers, env and ports. */
const LIST_MERGE_KEYS = ['name', 'containerPort'] as const;

/** The result of a deep merge: the merged value, or the dotted path of the first disagreement. */
export type MergeOutcome = { ok: true; value: unknown } | { ok: false; path: string };

/**
 * Deep merge: maps merge key by key, lists of objects merge by `name` (or `containerPort`), equal values
 * merge to themselves; anything else is a conflict at that path.
 */
export function mergeValues(a: unknown, b: unknown, path = ''): MergeOutcome {
  if (isDeepStrictEqual(a, b)) return { ok: true, value: a };
  if (isRecord(a) && isRecord(b)) return mergeRecords(a, b, path);
  if (Array.isArray(a) && Array.isArray(b)) return mergeLists(a, b, path);
  return { ok: false, path: path === '' ? '(root)' : path };
}

function mergeRecords(a: Record<string, unknown>, b: Record<string, unknown>, path: string): MergeOutcome {
  const out: Record<string, unknown> = { ...a };
  const argsEnv = typeof a['name'] === 'string' && a['name'] === b['name'] && ARGS_ENV.test(a['name']);
  for (const [key, value] of Object.entries(b)) {
    if (!(key in out)) {
      out[key] = value;
      continue;
    }
    const current = out[key];
    if (argsEnv && key === 'value' && typeof current === 'string' && typeof value === 'string') {
      const words = mergeArgWords(current, value);
      if (words === undefined) return { ok: false, path: path === '' ? key : `${path}.${key}` };
      out[key] = words;
      continue;
    }
    const merged = mergeValues(out[key], value, path === '' ? key : `${path}.${key}`);
    if (!merged.ok) return merged;
    out[key] = merged.value;
  }
  return { ok: true, value: out };
}

function mergeLists(a: unknown[], b: unknown[], path: string): MergeOutcome {
  const key = LIST_MERGE_KEYS.find((k) => [...a, ...b].every((item) => isRecord(item) && (typeof item[k] === 'string' || typeof item[k] === 'number')));
  if (key === undefined) return { ok: false, path };
  const out = [...a] as Record<string, unknown>[];
  for (const item of b as Record<string, unknown>[]) {
    const at = out.findIndex((existing) => existing[key] === item[key]);
    if (at === -1) {
      out.push(item);
      continue;
    }
    const merged = mergeValues(out[at], item, `${path}[${key}=${String(item[key])}]`);
    if (!merged.ok) return merged;
    out[at] = merged.value as Record<string, unknown>;
  }
  return { ok: true, value: out };
}

/** Env vars that hold command-line flags for the server (GUNICORN_CMD_ARGS; gunicorn splits it with shlex). */
const ARGS_ENV = /_ARGS$/;

/**
 * Merges two edits of one flags string, each made from the same original: the words both share at the front
 * are the original (or what is left of it), and each rest must be whole flags appended (it starts with `-`).
 * Then the result is the first value followed by the second's appended flags, so
 * `--timeout 0` + `--preload` → `--timeout 0 --preload`, and `--workers 2 --timeout 0` + `--workers 2 --preload`
 * → `--workers 2 --timeout 0 --preload`. Undefined (a conflict) when either edit changed a word inside the
 * shared part (its rest starts with a value, not a flag), when both append the same flag, or when a value has
 * shell syntax other than words and quotes.
 */
export function mergeArgWords(a: string, b: string): string | undefined {
  if (a === b) return a;
  const wordsA = shellWords(a);
  const wordsB = shellWords(b);
  if (wordsA === undefined || wordsB === undefined) return undefined;
  let shared = 0;
  while (shared < wordsA.length && shared < wordsB.length && wordsA[shared] === wordsB[shared]) shared++;
  const restA = wordsA.slice(shared);
  const restB = wordsB.slice(shared);
  const startsWithFlag = (rest: string[]) => rest.length === 0 || (rest[0] as string).startsWith('-');
  if (!startsWithFlag(restA) || !startsWithFlag(restB)) return undefined;
  const flagsA = new Set(restA.filter((w) => w.startsWith('-')).map(flagName));
  if (restB.some((w) => w.startsWith('-') && flagsA.has(flagName(w)))) return undefined;
  if (restB.length === 0) return a;
  if (restA.length === 0) return b;
  return `${a.trimEnd()} ${quoteShellWords(restB)}`;
}

function shellWords(text: string): string[] | undefined {
  // `$THREADS` stays a word of its own (shell-quote would expand it to the empty string).
  const words = parseShellWords(text, (name) => `$${name}`);
  return words.every((w): w is string => typeof w === 'string') ? words : undefined;
}

/** `--timeout=0` → `--timeout`. */
function flagName(word: string): string {
  const eq = word.indexOf('=');
  return eq === -1 ? word : word.slice(0, eq);
}
