/**
 * @module What `pytuner report --fix` will change, from a report's findings: per object, one JSON Patch made of the
 * ops of all its findings; per source file, the line edits; and what cannot be fixed in place. Two findings whose
 * ops touch the same path with different values (or one inside a value the other writes), or whose line edits
 * overlap, are both left unfixed and named: choosing one would be a guess (the solver that makes a workload's
 * fixes agree is what should decide). Pure.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Finding, JsonPatchOp, SourceEdit, Target } from '../model/finding.ts';

/** The JSON Patch of one object (one document, or one `kind: List` item), from every finding on it that agrees. */
export interface ObjectFix {
  target: Target;
  /** Ops in apply order: the `test`s (against the object as read), then changes in finding order, then list removals highest index first. */
  ops: JsonPatchOp[];
  findings: Finding[];
}

/** The line edits of one source file (Dockerfile, Procfile, gunicorn.conf.py). */
export interface FileEdits {
  file: string;
  /** Each edit once, with the findings that want it. */
  edits: { edit: SourceEdit; findings: Finding[] }[];
}

/** Findings left unfixed because their fixes disagree, and where. */
export interface FixConflict {
  findings: Finding[];
  /** A JSON pointer, or `file:line` for line edits. */
  where: string;
}

export interface FixPlan {
  objects: ObjectFix[];
  files: FileEdits[];
  conflicts: FixConflict[];
  /** Findings whose fix only creates objects or runs commands: nothing in the inputs to edit. */
  notInPlace: Finding[];
}

/** Plans the in-place fixes of `findings` (in report order). */
// eslint-disable-next-line complexity -- one guard per kind of fix (object patch, source edit, create-only) and per conflict kind, each reported
export function planFixes(findings: readonly Finding[]): FixPlan {
  const conflicts: FixConflict[] = [];
  const excluded = new Set<Finding>();
  const byObject = new Map<string, Finding[]>();
  const withEdits: Finding[] = [];
  const notInPlace: Finding[] = [];
  for (const finding of findings) {
    const fix = finding.fix;
    if (fix === undefined) continue;
    const patch = fix.jsonPatch ?? [];
    const edits = fix.edits ?? [];
    if (patch.length === 0 && edits.length === 0) {
      if ((fix.create?.length ?? 0) > 0 || (fix.commands?.length ?? 0) > 0) notInPlace.push(finding);
      continue;
    }
    if (patch.length > 0) {
      const key = objectKey(finding.target);
      byObject.set(key, [...(byObject.get(key) ?? []), finding]);
    }
    if (edits.length > 0) withEdits.push(finding);
  }
  for (const group of byObject.values()) conflicts.push(...patchConflicts(group, excluded));
  conflicts.push(...editConflicts(withEdits, excluded));
  const objects: ObjectFix[] = [];
  for (const group of byObject.values()) {
    const agreed = group.filter((f) => !excluded.has(f));
    if (agreed.length > 0) objects.push({ target: (agreed[0] as Finding).target, ops: orderedOps(agreed), findings: agreed });
  }
  const files = new Map<string, FileEdits>();
  for (const finding of withEdits) {
    if (excluded.has(finding)) continue;
    for (const edit of finding.fix?.edits ?? []) {
      const entry = files.get(edit.file) ?? { file: edit.file, edits: [] };
      files.set(edit.file, entry);
      const same = entry.edits.find((e) => isDeepStrictEqual(e.edit, edit));
      if (same === undefined) entry.edits.push({ edit, findings: [finding] });
      else if (!same.findings.includes(finding)) same.findings.push(finding);
    }
  }
  return { objects, files: [...files.values()], conflicts, notInPlace };
}

/** One object of one file: file, start line, and its identity (a file may hold several objects). */
export function objectKey(target: Target): string {
  return [target.file, target.line ?? 0, target.apiVersion ?? '', target.kind, target.namespace ?? '', target.name].join('\u0000');
}

function patchConflicts(group: readonly Finding[], excluded: Set<Finding>): FixConflict[] {
  const conflicts: FixConflict[] = [];
  group.forEach((a, i) => {
    for (const b of group.slice(i + 1)) {
      const where = firstClash(a.fix?.jsonPatch ?? [], b.fix?.jsonPatch ?? []);
      if (where === undefined) continue;
      excluded.add(a);
      excluded.add(b);
      conflicts.push({ findings: [a, b], where });
    }
  });
  return conflicts;
}

/** The path where two findings' ops disagree, if they do. */
function firstClash(a: readonly JsonPatchOp[], b: readonly JsonPatchOp[]): string | undefined {
  for (const x of a) {
    for (const y of b) {
      if (isDeepStrictEqual(x, y)) continue;
      if (x.op === 'test' || y.op === 'test') {
        if (x.op === 'test' && y.op === 'test' && x.path === y.path) return x.path;
        continue;
      }
      if (x.path.endsWith('/-') && x.path === y.path) {
        // Two appends to one list add two items, unless both add an item of the same name (an env var twice).
        if (sameName(x, y)) return x.path;
        continue;
      }
      if (x.path === y.path || within(x.path, y.path) || within(y.path, x.path)) return x.path;
      if (shifts(x, y) || shifts(y, x)) return x.path;
    }
  }
  return undefined;
}

function sameName(x: JsonPatchOp, y: JsonPatchOp): boolean {
  const name = (op: JsonPatchOp): unknown => (op.op !== 'remove' && typeof op.value === 'object' && op.value !== null ? (op.value as Record<string, unknown>)['name'] : undefined);
  return name(x) !== undefined && name(x) === name(y);
}

function within(inner: string, outer: string): boolean {
  return inner.startsWith(`${outer}/`);
}

/**
 * An insert at a list index moves the items `other` addresses by index in the same list. (Removals do not: they are
 * applied last, highest index first, after every op that addresses the list as read.)
 */
function shifts(op: JsonPatchOp, other: JsonPatchOp): boolean {
  const slash = op.path.lastIndexOf('/');
  const last = op.path.slice(slash + 1);
  if (op.op !== 'add' || !/^\d+$/.test(last)) return false;
  const list = op.path.slice(0, slash);
  return other.path.startsWith(`${list}/`) && /^\d+$/.test(other.path.slice(list.length + 1).split('/')[0] ?? '');
}

function orderedOps(findings: readonly Finding[]): JsonPatchOp[] {
  return orderOps(findings.map((f) => f.fix?.jsonPatch ?? []));
}

/**
 * One object's patch from the op lists of several changes, each written against the object as read: every `test`
 * first, then the changes in order, then list removals highest index first; an op twice is kept once. The report's
 * fix planner and the actuator (src/render/kubernetesObject.ts) order a patch this way, so the same changes are the
 * same ops in both.
 */
export function orderOps(lists: readonly (readonly JsonPatchOp[])[]): JsonPatchOp[] {
  const tests: JsonPatchOp[] = [];
  const changes: JsonPatchOp[] = [];
  const removals: JsonPatchOp[] = [];
  const add = (list: JsonPatchOp[], op: JsonPatchOp): void => {
    if (!list.some((o) => isDeepStrictEqual(o, op))) list.push(op);
  };
  for (const ops of lists) {
    for (const op of ops) {
      if (op.op === 'test') add(tests, op);
      else if (op.op === 'remove' && /\/\d+$/.test(op.path)) add(removals, op);
      else add(changes, op);
    }
  }
  // Every op is written against the object as read: removing list items from the highest index keeps the others in place.
  removals.sort((x, y) => trailingIndex(y.path) - trailingIndex(x.path));
  return [...tests, ...changes, ...removals];
}

function trailingIndex(path: string): number {
  return Number(path.slice(path.lastIndexOf('/') + 1));
}

function editConflicts(findings: readonly Finding[], excluded: Set<Finding>): FixConflict[] {
  const conflicts: FixConflict[] = [];
  const all = findings.flatMap((finding) => (finding.fix?.edits ?? []).map((edit) => ({ edit, finding })));
  all.forEach((a, i) => {
    for (const b of all.slice(i + 1)) {
      if (a.finding === b.finding || a.edit.file !== b.edit.file || isDeepStrictEqual(a.edit, b.edit) || !overlaps(a.edit, b.edit)) continue;
      excluded.add(a.finding);
      excluded.add(b.finding);
      conflicts.push({ findings: [a.finding, b.finding], where: `${a.edit.file}:${a.edit.line}` });
    }
  });
  return conflicts;
}

function overlaps(a: SourceEdit, b: SourceEdit): boolean {
  const end = (e: SourceEdit): number => e.line + e.before.split('\n').length - 1;
  return a.line <= end(b) && b.line <= end(a);
}
