/**
 * @module One edit per string that several findings rewrite in different places: two flags of one `sh -c` string
 * (`--workers` and `--timeout` in `exec gunicorn --workers 2 --timeout 30 app`), two flags of one Dockerfile `CMD`,
 * the version and the variant of one `FROM` image, flags of one `gcloud run deploy` command line. Each write says which
 * characters of the string as read it rewrites (`TextSpan`): an args element's or a source line's change through its
 * location, a deploy command's edit through its flags. Where the spans do not overlap, the first finding's fix carries
 * the one edit with every span applied and the others say it is theirs too. Overlapping spans (two values for one
 * flag) are left as they are: the fix planner names them as a conflict. Pure.
 */
import type { AnyChange, Location, TextSpan } from '../model/change.ts';
import { applySpans, applyUnorderedSpans } from '../model/change.ts';
import type { Finding, Fix, JsonPatchOp, SourceEdit } from '../model/finding.ts';
import type { ContainerFacts, Workload } from '../model/workload.ts';
import { mergeFragments, replaceListElement } from '../rules/fixes.ts';

/** A finding's change with the span it rewrites in one string. */
interface SpanWrite {
  finding: Finding;
  span: TextSpan;
}

type ArgsLocation = Extract<Location, { kind: 'args' }>;

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

/** One finding's writes of one line: their spans of the line as read, the env vars the flags among them set, its edit. */
interface LineWrite {
  finding: Finding;
  spans: TextSpan[];
  envVars: string[];
  edit?: SourceEdit;
}

/** The writes of one line, in report order; `flags`: the line of a `gcloud run deploy` command, whose flags come in any order. */
interface SharedLine {
  file: string;
  line: number;
  flags: boolean;
  writes: LineWrite[];
}

/**
 * Each line that findings write: a Dockerfile, Procfile or gunicorn.conf.py line through their changes' source spans,
 * a `gcloud run deploy` command line through the flags of their edits (the changes there are of the service's fields).
 */
function linesWritten(findings: readonly Finding[]): Map<string, SharedLine> {
  const lines = new Map<string, SharedLine>();
  const add = (file: string, line: number, flags: boolean, write: LineWrite): void => {
    const key = `${file}\u0000${line}`;
    const shared = lines.get(key) ?? { file, line, flags, writes: [] };
    lines.set(key, shared);
    const own = shared.writes.find((w) => w.finding === write.finding && w.edit === undefined && write.edit === undefined);
    if (own === undefined) shared.writes.push(write);
    else own.spans.push(...write.spans);
  };
  for (const finding of findings) {
    if ((finding.fix?.edits?.length ?? 0) === 0) continue;
    for (const edit of finding.fix?.edits ?? []) {
      if (edit.flags === undefined) continue;
      const envVars = edit.flags.flatMap((f) => (f.envVar === undefined || f.span.start !== f.span.end ? [] : [f.envVar]));
      add(edit.file, edit.line, true, { finding, spans: edit.flags.map((f) => f.span), envVars, edit });
    }
    for (const change of finding.changes ?? []) {
      const at = change.location;
      if (at.kind === 'source' && at.span !== undefined) add(at.file, at.line, false, { finding, spans: [at.span], envVars: [] });
    }
  }
  return lines;
}

/**
 * One edit of each line that several findings rewrite in different places: two flags of one Dockerfile `CMD`, the
 * version and the variant of one `FROM`, flags that findings add to or change in one `gcloud run deploy` command (apart,
 * each edit would rewrite the line with only its own change, so `--fix` applied neither). The first finding's fix
 * carries the combined edit. On a source line, overlapping spans are left as they are: the fix planner names them as a
 * conflict. On a command line, flags inserted at one place are written in report order (gcloud reads its flags in any
 * order), and a finding whose flags do not fit with those taken before (a second value of one env var) is deferred:
 * the next run reads the first one's value and adds to it.
 */
export function combineLineEdits(findings: readonly Finding[]): void {
  for (const shared of linesWritten(findings).values()) {
    const merged = shared.flags ? mergeFlagWrites(shared) : mergeSourceWrites(shared);
    if (merged === undefined) continue;
    const { file, line } = shared;
    const { taken, deferred, before, after } = merged;
    const [carrier, ...rest] = [...new Set(taken.map((w) => w.finding))] as [Finding, ...Finding[]];
    const onLine = (edit: SourceEdit): boolean => edit.file === file && edit.line === line;
    const at = `${file}:${line}`;
    const rules = [carrier, ...rest].map((f) => f.rule).join(', ');
    for (const { finding } of deferred) withoutLineEdit(finding, onLine, `its edit of the gcloud run deploy command at ${at} sets an env var that the fix of ${carrier.rule} sets too: apply that one, then run pytuner again`);
    if (rest.length === 0) continue;
    carrier.fix = {
      ...carrier.fix,
      edits: [...(carrier.fix?.edits ?? []).filter((edit) => !onLine(edit)), { file, line, before, after }],
      notes: note(carrier, shared.flags ? `one edit of the gcloud run deploy command at ${at} for ${rules}: apart, each would rewrite the line with only its own flag` : `one edit of ${at} for ${rules}: apart, each would rewrite the line with only its own change`),
      alsoFixes: [...(carrier.fix?.alsoFixes ?? []), ...rest],
    };
    const why = shared.flags ? `its flag on ${at} is written by the fix of ${carrier.rule}, in one edit of the gcloud run deploy command` : `its change of ${at} is written by the fix of ${carrier.rule}, in one edit of the line`;
    for (const other of rest) withoutLineEdit(other, onLine, why);
  }
}

interface MergedLine {
  taken: LineWrite[];
  deferred: LineWrite[];
  before: string;
  after: string;
}

/**
 * A source line's writes all in one edit, on the line as the first finding's edit of it read it; undefined when one
 * finding writes it, all write the same (one Dockerfile shared by two workloads), or two spans overlap.
 */
function mergeSourceWrites({ file, line, writes }: SharedLine): MergedLine | undefined {
  const spans = writes.flatMap((w) => w.spans);
  if (new Set(writes.map((w) => w.finding)).size < 2 || new Set(spans.map((s) => `${s.start}:${s.end}:${s.text}`)).size < 2) return undefined;
  const read = writes.flatMap((w) => w.finding.fix?.edits ?? []).find((edit) => edit.file === file && edit.line === line);
  const after = read === undefined ? undefined : applySpans(read.before, spans);
  return read === undefined || after === undefined ? undefined : { taken: [...writes], deferred: [], before: read.before, after };
}

/**
 * In report order, each finding's flags of a command line that fit with those taken so far, and the line with all of
 * them; undefined when the edits read the line differently, or nothing is to combine or defer.
 */
function mergeFlagWrites({ writes }: SharedLine): MergedLine | undefined {
  const before = (writes[0]?.edit as SourceEdit).before;
  if (writes.some((w) => w.edit?.before !== before)) return undefined;
  const taken: LineWrite[] = [];
  const deferred: LineWrite[] = [];
  let after = before;
  for (const write of writes) {
    const combined = taken.some((t) => t.edit?.after === write.edit?.after) ? after : withFlags(before, [...taken, write]);
    if (combined === undefined) deferred.push(write);
    else {
      taken.push(write);
      after = combined;
    }
  }
  if (taken.length === 0 || (deferred.length === 0 && new Set(taken.map((w) => w.edit?.after)).size < 2)) return undefined;
  return { taken, deferred, before, after };
}

/** `before` with the writes' flags; undefined where spans overlap or two of them add the same env var (the later would silently win). */
function withFlags(before: string, writes: readonly LineWrite[]): string | undefined {
  const envVars = writes.flatMap((w) => w.envVars);
  return new Set(envVars).size < envVars.length ? undefined : applyUnorderedSpans(before, writes.flatMap((w) => w.spans));
}

/** `finding`'s fix without its edit of the line, and with a note saying why. */
function withoutLineEdit(finding: Finding, onLine: (edit: SourceEdit) => boolean, why: string): void {
  const { edits, ...kept } = finding.fix ?? {};
  const remaining = (edits ?? []).filter((edit) => !onLine(edit));
  finding.fix = { ...kept, notes: note(finding, why) };
  if (remaining.length > 0) finding.fix.edits = remaining;
}
