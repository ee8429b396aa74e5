/**
 * @module One edit per string that several findings rewrite in different places: two flags of one `sh -c` string
 * (`--workers` and `--timeout` in `exec gunicorn --workers 2 --timeout 30 app`), two flags of one Dockerfile `CMD`,
 * the version and the variant of one `FROM` image. Each change's location says which characters of the string as
 * read it rewrites (`TextSpan`); where the spans do not overlap, the first finding's fix carries the one edit with
 * every span applied and the others say it is theirs too. Overlapping spans (two values for one flag) are left as
 * they are: the fix planner names them as a conflict. Pure.
 */
import type { AnyChange, Location, TextSpan } from '../model/change.ts';
import { applySpans } from '../model/change.ts';
import type { Finding, Fix, JsonPatchOp, SourceEdit } from '../model/finding.ts';
import type { ContainerFacts, Inventory, Workload } from '../model/workload.ts';
import { mergeFragments, replaceListElement } from '../rules/fixes.ts';

/** A finding's change with the span it rewrites in one string. */
interface SpanWrite {
  finding: Finding;
  span: TextSpan;
}

type ArgsLocation = Extract<Location, { kind: 'args' }>;
type SourceLocation = Extract<Location, { kind: 'source' }>;

/** Groups span writes by the string they rewrite, keeping only strings that two or more findings rewrite. */
function sharedStrings<L extends Location>(findings: readonly Finding[], located: (change: AnyChange) => L | undefined, key: (at: L) => string): Map<string, { at: L; writes: SpanWrite[] }> {
  const groups = new Map<string, { at: L; writes: SpanWrite[] }>();
  for (const finding of findings) {
    for (const change of finding.changes ?? []) {
      const at = located(change);
      const span = at === undefined ? undefined : (at as { span?: TextSpan }).span;
      if (at === undefined || span === undefined) continue;
      const group = groups.get(key(at)) ?? { at, writes: [] };
      group.writes.push({ finding, span });
      groups.set(key(at), group);
    }
  }
  // One finding, or findings that all write the same (one Dockerfile shared by two workloads): nothing to combine.
  for (const [k, group] of groups) {
    const spans = new Set(group.writes.map((w) => `${w.span.start}:${w.span.end}:${w.span.text}`));
    if (new Set(group.writes.map((w) => w.finding)).size < 2 || spans.size < 2) groups.delete(k);
  }
  return groups;
}

/** The findings of `writes` in report order, once each: the first carries the combined edit. */
function carrierAndRest(writes: readonly SpanWrite[]): [Finding, Finding[]] {
  const [carrier, ...rest] = [...new Set(writes.map((w) => w.finding))];
  return [carrier!, rest];
}

function note(finding: Finding, text: string): string[] {
  return [...(finding.fix?.notes ?? []), text];
}

/** One replace of each `command`/`args` element that several findings of this container rewrite. */
export function combineArgsEdits(workload: Workload, container: ContainerFacts, findings: readonly Finding[]): void {
  const patched = findings.filter((f) => (f.fix?.jsonPatch?.length ?? 0) > 0);
  const located = (change: AnyChange): ArgsLocation | undefined =>
    change.location.kind === 'args' && change.target.container === container.name ? change.location : undefined;
  for (const { at, writes } of sharedStrings(patched, located, (l) => `${l.list}/${l.index}`).values()) {
    const before = container[at.list]?.[at.index];
    const after = before === undefined ? undefined : applySpans(before, writes.map((w) => w.span));
    if (after === undefined) continue;
    const pointer = `${workload.podSpecPointer}/containers/${container.index}/${at.list}/${at.index}`;
    const rendered = replaceListElement(workload, container, at.list, at.index, after);
    const [carrier, rest] = carrierAndRest(writes);
    const involved = [carrier, ...rest];
    const others = (f: Finding): JsonPatchOp[] => (f.fix?.jsonPatch ?? []).filter((op) => op.path !== pointer);
    const fix: Fix = { ...carrier.fix, jsonPatch: [...others(carrier), ...rendered.jsonPatch] };
    fix.notes = note(carrier, `one edit of ${at.list}[${at.index}] for ${involved.map((f) => f.rule).join(', ')}: apart, each would replace the string with only its own change`);
    const fragments = involved.map((f) => f.fix?.applyFragment);
    // The combined element comes last: `command`/`args` are atomic lists, the later value wins.
    if (fragments.every((f) => f !== undefined) && rendered.applyFragment !== undefined) fix.applyFragment = [...fragments, rendered.applyFragment].reduce((a, b) => mergeFragments(a, b));
    else delete fix.applyFragment;
    fix.alsoFixes = [...(carrier.fix?.alsoFixes ?? []), ...rest];
    carrier.fix = fix;
    for (const other of rest) {
      const { jsonPatch: _patch, applyFragment: _fragment, ...kept } = other.fix ?? {};
      const remaining = others(other);
      other.fix = { ...kept, notes: note(other, `its change of ${at.list}[${at.index}] is written by the fix of ${carrier.rule}, in one edit of the string`) };
      if (remaining.length > 0) other.fix.jsonPatch = remaining;
    }
  }
}

/** One edit of each Dockerfile/Procfile line that several findings rewrite in different places. */
export function combineLineEdits(findings: readonly Finding[]): void {
  const edited = findings.filter((f) => (f.fix?.edits?.length ?? 0) > 0);
  const located = (change: AnyChange): SourceLocation | undefined => (change.location.kind === 'source' ? change.location : undefined);
  for (const { at, writes } of sharedStrings(edited, located, (l) => `${l.file}\u0000${l.line}`).values()) {
    const onLine = (edit: SourceEdit): boolean => edit.file === at.file && edit.line === at.line;
    const read = writes.flatMap((w) => w.finding.fix?.edits ?? []).find(onLine);
    const after = read === undefined ? undefined : applySpans(read.before, writes.map((w) => w.span));
    if (read === undefined || after === undefined) continue;
    const [carrier, rest] = carrierAndRest(writes);
    const involved = [carrier, ...rest];
    const others = (f: Finding): SourceEdit[] => (f.fix?.edits ?? []).filter((edit) => !onLine(edit));
    carrier.fix = {
      ...carrier.fix,
      edits: [...others(carrier), { file: at.file, line: at.line, before: read.before, after }],
      notes: note(carrier, `one edit of ${at.file}:${at.line} for ${involved.map((f) => f.rule).join(', ')}: apart, each would rewrite the line with only its own change`),
      alsoFixes: [...(carrier.fix?.alsoFixes ?? []), ...rest],
    };
    for (const other of rest) {
      const { edits: _edits, ...kept } = other.fix ?? {};
      const remaining = others(other);
      other.fix = { ...kept, notes: note(other, `its change of ${at.file}:${at.line} is written by the fix of ${carrier.rule}, in one edit of the line`) };
      if (remaining.length > 0) other.fix.edits = remaining;
    }
  }
}

/** What an edit changes in the line it read: the characters `[start, end)` of `before` and the text written there. */
function changedSpan(edit: SourceEdit): TextSpan {
  const { before, after } = edit;
  let prefix = 0;
  while (prefix < before.length && prefix < after.length && before[prefix] === after[prefix]) prefix++;
  let suffix = 0;
  while (suffix < before.length - prefix && suffix < after.length - prefix && before.at(-1 - suffix) === after.at(-1 - suffix)) suffix++;
  return { start: prefix, end: before.length - suffix, text: after.slice(prefix, after.length - suffix) };
}

/** The env vars an inserted text sets through gcloud's env-vars flags (`--update-env-vars=^@^A=1@B=2` → A, B). */
function envVarsSet(text: string): string[] {
  return [...text.matchAll(/-env-vars[= ]['"]?(?:\^(.)\^)?([^'",\]\s]+)/g)].flatMap((m) =>
    (m[2] as string).split(m[1] ?? ',').map((pair) => pair.slice(0, pair.indexOf('='))),
  );
}

/**
 * `before` with every span written; insertions at one place (flags added after `deploy` by different findings) are
 * written in report order, since gcloud reads its flags in any order. Undefined where spans overlap or two insertions
 * set the same env var (the later would silently win).
 */
function applyFlagSpans(before: string, spans: readonly TextSpan[]): string | undefined {
  const inserted = spans.filter((s) => s.start === s.end);
  const names = inserted.flatMap((s) => envVarsSet(s.text));
  if (new Set(names).size < names.length) return undefined;
  const byPlace = new Map<number, string>();
  for (const span of inserted) byPlace.set(span.start, (byPlace.get(span.start) ?? '') + span.text);
  const replaced = spans.filter((s) => s.start !== s.end);
  return applySpans(before, [...replaced, ...[...byPlace].map(([at, text]) => ({ start: at, end: at, text }))]);
}

type LineWrite = { edit: SourceEdit; finding: Finding };

/**
 * In report order, each write of one line that fits with those taken so far, and the line with all of them; one that
 * does not (a second value for one env var) is deferred: the next run reads the first one's value and adds to it.
 */
function mergeLineWrites(before: string, writes: readonly LineWrite[]): { taken: LineWrite[]; deferred: LineWrite[]; after: string } {
  const taken: LineWrite[] = [];
  const deferred: LineWrite[] = [];
  let after = before;
  for (const write of writes) {
    const combined = taken.some((t) => t.edit.after === write.edit.after) ? after : applyFlagSpans(before, [...taken, write].map((w) => changedSpan(w.edit)));
    if (combined === undefined) deferred.push(write);
    else {
      taken.push(write);
      after = combined;
    }
  }
  return { taken, deferred, after };
}

/** `finding`'s fix without its edit of the line, and with a note saying why. */
function withoutLineEdit(finding: Finding, onLine: (edit: SourceEdit) => boolean, why: string): void {
  const { edits, ...kept } = finding.fix ?? {};
  const remaining = (edits ?? []).filter((edit) => !onLine(edit));
  finding.fix = { ...kept, notes: note(finding, why) };
  if (remaining.length > 0) finding.fix.edits = remaining;
}

/**
 * One edit of each `gcloud run deploy` command line that several findings change: each finding adds or replaces its
 * own flags (`--concurrency=8`, `--update-env-vars=GUNICORN_CMD_ARGS=--preload`), and apart each edit would rewrite
 * the line with only its own flag, so `--fix` applied neither. The edits are compared with the line as read; the
 * first finding's fix carries the combined edit.
 */
export function combineDeployCommandEdits(inventory: Inventory, findings: readonly Finding[]): void {
  const commandLines = new Set(inventory.workloads.flatMap((w) => (w.deployedBy?.lines ?? []).map(({ line }) => `${w.deployedBy!.file}\u0000${line}`)));
  if (commandLines.size === 0) return;
  const byLine = new Map<string, LineWrite[]>();
  for (const finding of findings) {
    for (const edit of finding.fix?.edits ?? []) {
      const key = `${edit.file}\u0000${edit.line}`;
      if (commandLines.has(key)) byLine.set(key, [...(byLine.get(key) ?? []), { edit, finding }]);
    }
  }
  for (const writes of byLine.values()) {
    const read = writes[0]!.edit;
    if (writes.some((w) => w.edit.before !== read.before)) continue;
    const { taken, deferred, after } = mergeLineWrites(read.before, writes);
    if (taken.length === 0 || (deferred.length === 0 && new Set(taken.map((w) => w.edit.after)).size < 2)) continue;
    const [carrier, ...rest] = [...new Set(taken.map((w) => w.finding))] as [Finding, ...Finding[]];
    const at = `${read.file}:${read.line}`;
    const onLine = (edit: SourceEdit): boolean => edit.file === read.file && edit.line === read.line;
    for (const { finding } of deferred) withoutLineEdit(finding, onLine, `its edit of the gcloud run deploy command at ${at} sets an env var that the fix of ${carrier.rule} sets too: apply that one, then run pytuner again`);
    if (rest.length === 0) continue;
    const rules = [carrier, ...rest].map((f) => f.rule).join(', ');
    carrier.fix = {
      ...carrier.fix,
      edits: [...(carrier.fix?.edits ?? []).filter((edit) => !onLine(edit)), { file: read.file, line: read.line, before: read.before, after }],
      notes: note(carrier, `one edit of the gcloud run deploy command at ${at} for ${rules}: apart, each would rewrite the line with only its own flag`),
      alsoFixes: [...(carrier.fix?.alsoFixes ?? []), ...rest],
    };
    for (const other of rest) withoutLineEdit(other, onLine, `its flag on ${at} is written by the fix of ${carrier.rule}, in one edit of the gcloud run deploy command`);
  }
}
