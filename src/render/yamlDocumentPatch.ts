/**
 * @module RFC 6902 JSON Patch applied to one object of a YAML stream as a text edit, for `pytuner report --fix`:
 * only the bytes of the nodes an op touches change, so comments, key order, quoting, flow style, blank lines,
 * anchors and aliases elsewhere, document markers and the other documents stay exactly as written. The `yaml`
 * library's Document API finds each node and its source range; new values are rendered by the same library in the
 * file's own indentation. Each op is applied to the text and the text parsed again before the next op, so ops see
 * each other's effects as RFC 6902 says. The whole patch is refused (the text is left as it was) when a `test`
 * fails, a target is missing, an edit would change a node shared through an anchor, or the edited text does not
 * read back as the patched object. Pure: text in, text out. Line ends are `\n`: the caller converts CRLF.
 */
import { isDeepStrictEqual } from 'node:util';
import { isAlias, isCollection, isMap, isScalar, isSeq, parseAllDocuments, Scalar, stringify, visit } from 'yaml';
import type { Document, Node, Pair, ToStringOptions, YAMLMap, YAMLSeq } from 'yaml';
import type { JsonPatchOp } from '../model/finding.ts';
import type { PatchOutcome } from './jsonPatch.ts';
import { applyJsonPatch, arrayIndex, parsePointer } from './jsonPatch.ts';

/** Where an object is in a YAML stream: the document's position (0-based), and the item of a `kind: List`. */
export interface YamlObjectLocation {
  document: number;
  item?: number;
}

/** One object of a stream, as pytuner's manifest reader sees it (`kind: List` items are objects of their own). */
export interface LocatedYamlObject {
  location: YamlObjectLocation;
  /** 1-based line where the object's mapping starts (what `ParsedDocument.line` holds). */
  line: number;
  value: Record<string, unknown>;
}

/** `merge`: `<<: *base` is read as a merge key, as pytuner's reader (and kubectl's) reads it. */
const PARSE_OPTIONS = { merge: true, prettyErrors: false } as const;

function parseStream(text: string): Document.Parsed[] {
  const parsed = parseAllDocuments(text, PARSE_OPTIONS);
  return Array.isArray(parsed) ? parsed : [];
}

/**
 * Every object of a YAML stream that parses without errors: a document's top-level mapping, or each mapping item
 * of a `kind: List` / `<Kind>List` document (the same expansion as `parse/manifests.ts`).
 */
export function yamlObjects(text: string): LocatedYamlObject[] {
  const objects: LocatedYamlObject[] = [];
  parseStream(text).forEach((doc, document) => {
    if (doc.errors.length > 0 || !isMap(doc.contents)) return;
    const value = valueOf(doc);
    if (value === undefined) return;
    const items = doc.contents.get('items', true);
    if (isListObject(value) && isSeq(items)) {
      items.items.forEach((item, i) => {
        if (isMap(item)) objects.push({ location: { document, item: i }, line: lineOf(text, item.range?.[0] ?? 0), value: (value['items'] as Record<string, unknown>[])[i] as Record<string, unknown> });
      });
      return;
    }
    objects.push({ location: { document }, line: lineOf(text, doc.contents.range[0]), value });
  });
  return objects;
}

/**
 * The document as data; undefined when it expands through aliases beyond the library's limit (an alias bomb, which
 * pytuner's reader refuses too): such a document is not edited.
 */
function valueOf(doc: Document.Parsed): Record<string, unknown> | undefined {
  try {
    return doc.toJS() as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Mirrors `parse/manifests.ts` `isList`. */
function isListObject(value: Record<string, unknown>): boolean {
  const kind = value['kind'];
  return kind === 'List' || (typeof kind === 'string' && kind.endsWith('List') && Array.isArray(value['items']));
}

/** Applies `ops` to the object at `location` and returns the whole new text, or why the patch was refused. */
export function patchYamlObject(text: string, location: YamlObjectLocation, ops: readonly JsonPatchOp[]): PatchOutcome<string> {
  const before = objectsByLocation(text);
  const original = before.get(locationKey(location));
  if (original === undefined) return { ok: false, reason: 'the object is no longer where it was read (the file changed, or the document has YAML errors)' };
  const expected = applyJsonPatch(original.value, ops);
  if (!expected.ok) return expected;
  let current = text;
  for (const op of ops) {
    if (op.op === 'test') continue;
    const edit = editFor(current, location, op);
    if (!edit.ok) return { ok: false, reason: `${op.op} ${op.path}: ${edit.reason}` };
    current = current.slice(0, edit.value.start) + edit.value.text + current.slice(edit.value.end);
  }
  const after = objectsByLocation(current);
  const patched = after.get(locationKey(location));
  if (patched === undefined || !isDeepStrictEqual(patched.value, expected.value)) {
    return { ok: false, reason: 'the edited text does not read back as the patched object; left unchanged (please report this as a pytuner bug)' };
  }
  for (const [key, other] of before) {
    if (key !== locationKey(location) && !isDeepStrictEqual(after.get(key)?.value, other.value)) {
      return { ok: false, reason: 'the edit would change another object of the file; left unchanged (please report this as a pytuner bug)' };
    }
  }
  return { ok: true, value: current };
}

function locationKey(location: YamlObjectLocation): string {
  return location.item === undefined ? `${location.document}` : `${location.document}/${location.item}`;
}

function objectsByLocation(text: string): Map<string, LocatedYamlObject> {
  return new Map(yamlObjects(text).map((o) => [locationKey(o.location), o]));
}

// ---- one op → one text edit ----

interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/** The parsed object and what an edit of it needs to know about its document. */
interface Context {
  text: string;
  root: YAMLMap;
  /** Anchors some alias of the document refers to: a node carrying one is shared, so it is never edited. */
  referencedAnchors: Set<string>;
  style: Style;
}

/** How the document is written, so inserted YAML looks like its neighbours. */
interface Style {
  indent: number;
  /** `key:\n  - a` (true) or `key:\n- a` (false, kubectl's style). */
  indentSeq: boolean;
  /** `{ a: 1 }` (true) or `{a: 1}`. */
  flowPadding: boolean;
  /** Strings that need quotes get single quotes when the document quotes more strings so. */
  singleQuote: boolean;
}

function contextOf(text: string, location: YamlObjectLocation): Context | undefined {
  const doc = parseStream(text)[location.document];
  if (doc === undefined || doc.errors.length > 0 || !isMap(doc.contents)) return undefined;
  let root: unknown = doc.contents;
  if (location.item !== undefined) {
    const items = doc.contents.get('items', true);
    root = isSeq(items) ? items.items[location.item] : undefined;
  }
  if (!isMap(root)) return undefined;
  const referencedAnchors = new Set<string>();
  visit(doc, {
    Alias(_, alias) {
      referencedAnchors.add(alias.source);
    },
  });
  return { text, root, referencedAnchors, style: styleOf(text, doc) };
}

// eslint-disable-next-line complexity -- one case per RFC 6902 op and YAML node kind (map, sequence, scalar, alias refused)
function editFor(text: string, location: YamlObjectLocation, op: Exclude<JsonPatchOp, { op: 'test' }>): PatchOutcome<TextEdit> {
  const context = contextOf(text, location);
  if (context === undefined) return { ok: false, reason: 'the object cannot be read after an earlier op' };
  const path = parsePointer(op.path);
  if (path === undefined || path.length === 0) return { ok: false, reason: 'pytuner edits fields, not a whole object' };
  // Walk to the deepest node that exists; an `add` creates the missing maps below it in one value.
  let node: YAMLMap | YAMLSeq = context.root;
  const shared = sharedNode(context, node);
  if (shared !== undefined) return { ok: false, reason: shared };
  for (let depth = 0; depth < path.length - 1; depth++) {
    const segment = path[depth] as string;
    const child = childOf(node, segment);
    if (!child.ok) return child;
    const next = child.value;
    if (next === undefined || (isScalar(next) && next.value === null)) {
      if (op.op !== 'add' || !isMap(node)) return { ok: false, reason: `nothing at /${path.slice(0, depth + 1).join('/')}` };
      if (path.slice(depth + 1, -1).some((s) => /^(\d+|-)$/.test(s))) return { ok: false, reason: 'cannot create a list on the way' };
      return setInMap(context, node, segment, nest(path.slice(depth + 1), op.value));
    }
    const refusal = sharedNode(context, next);
    if (refusal !== undefined) return { ok: false, reason: refusal };
    if (!isMap(next) && !isSeq(next)) return { ok: false, reason: `/${path.slice(0, depth + 1).join('/')} is not a map or a list` };
    node = next;
  }
  const last = path.at(-1) as string;
  if (isMap(node)) {
    if (op.op === 'remove') return removeFromMap(context, node, last);
    return setInMap(context, node, last, op.value);
  }
  if (op.op === 'add') return insertInSeq(context, node, last, op.value);
  const index = arrayIndex(last, node.items.length, false);
  if (index === undefined) return { ok: false, reason: `no item ${last}` };
  const item = node.items[index] as Node;
  const refusal = sharedNode(context, item);
  if (refusal !== undefined) return { ok: false, reason: refusal };
  return op.op === 'remove' ? removeFromSeq(context, node, index) : replaceSeqItem(context, node, item, op.value);
}

/** `['a', 'b']` and `v` → `{ a: { b: v } }`. */
function nest(path: readonly string[], value: unknown): unknown {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
}

/** Why a node may not be edited in place: an alias, or an anchor an alias refers to (the edit would change both). */
function sharedNode(context: Context, node: unknown): string | undefined {
  if (isAlias(node)) return `the path goes through the YAML alias *${node.source}; edit the anchored node by hand`;
  const anchor = (node as { anchor?: string } | undefined)?.anchor;
  if (anchor !== undefined && context.referencedAnchors.has(anchor)) return `the path goes through the node anchored &${anchor}, which an alias also uses; edit it by hand`;
  return undefined;
}

function childOf(node: YAMLMap | YAMLSeq, segment: string): PatchOutcome<Node | undefined> {
  if (isSeq(node)) {
    const index = arrayIndex(segment, node.items.length, false);
    return index === undefined ? { ok: false, reason: `no item ${segment}` } : { ok: true, value: node.items[index] as Node };
  }
  const pair = pairOf(node, segment);
  if (pair !== undefined) return { ok: true, value: (pair.value ?? undefined) as Node | undefined };
  if (hasMergeKey(node)) return { ok: false, reason: `${segment} may come from a merge key (<<); edit it by hand` };
  return { ok: true, value: undefined };
}

function pairOf(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((pair) => isScalar(pair.key) && String(pair.key.value) === key) as Pair | undefined;
}

function hasMergeKey(map: YAMLMap): boolean {
  return map.items.some((pair) => isScalar(pair.key) && (typeof pair.key.value === 'symbol' || pair.key.value === '<<'));
}

// ---- maps ----

function setInMap(context: Context, map: YAMLMap, key: string, value: unknown): PatchOutcome<TextEdit> {
  const pair = pairOf(map, key);
  if (pair !== undefined) {
    const old = pair.value as Node | null;
    const refusal = sharedNode(context, old);
    if (refusal !== undefined) return { ok: false, reason: refusal };
    if (isInlineScalar(old) && !isCollectionValue(value)) {
      const rendered = renderScalar(value, old, map.flow === true, context.style);
      if (!rendered.includes('\n')) return { ok: true, value: { start: old.range[0], end: old.range[1], text: rendered } };
    }
    if (map.flow === true) {
      const start = old?.range?.[0];
      if (start === undefined) return { ok: false, reason: `${key} has no value to replace` };
      return { ok: true, value: { start, end: (old as Node).range?.[1] as number, text: renderFlow(value, context.style) } };
    }
    return replaceBlockPair(context, pair, value);
  }
  return map.flow === true ? addToFlowMap(context, map, key, value) : addToBlockMap(context, map, key, value);
}

/** A scalar written on its key's line (not a `|`/`>` block scalar, not an empty value): replaced where it stands. */
function isInlineScalar(node: unknown): node is Scalar & { range: [number, number, number] } {
  return isScalar(node) && node.range != null && node.source !== '' && node.type !== Scalar.BLOCK_LITERAL && node.type !== Scalar.BLOCK_FOLDED;
}

function isCollectionValue(value: unknown): boolean {
  return typeof value === 'object' && value !== null;
}

/** Replaces a whole `key: value` of a block map (with what follows it on its lines) by the key and the new value. */
function replaceBlockPair(context: Context, pair: Pair, value: unknown): PatchOutcome<TextEdit> {
  const key = pair.key as Scalar;
  const start = key.range?.[0];
  if (start === undefined) return { ok: false, reason: 'the key has no position' };
  const end = (pair.value as Node | null)?.range?.[2] ?? key.range?.[2] ?? start;
  const keyText = context.text.slice(start, key.range?.[1]);
  const column = start - lineStart(context.text, start);
  const block = renderBlockPair(keyText, value, context.style);
  return { ok: true, value: fitEnd(context.text, { start, end, text: indentAfterFirst(block, column) }) };
}

function addToBlockMap(context: Context, map: YAMLMap, key: string, value: unknown): PatchOutcome<TextEdit> {
  const first = map.items[0]?.key as Node | undefined;
  const firstStart = first?.range?.[0];
  const end = map.range?.[2];
  if (firstStart === undefined || end === undefined) return { ok: false, reason: 'the map has no position' };
  const column = firstStart - lineStart(context.text, firstStart);
  const block = renderBlock({ [key]: value }, context.style);
  return { ok: true, value: insertLines(context.text, end, indentAll(block, column)) };
}

function addToFlowMap(context: Context, map: YAMLMap, key: string, value: unknown): PatchOutcome<TextEdit> {
  const entry = `${renderFlow(key, context.style)}: ${renderFlow(value, context.style)}`;
  const lastValue = (map.items.at(-1)?.value ?? map.items.at(-1)?.key) as Node | undefined;
  const at = lastValue?.range?.[1];
  if (at !== undefined) return { ok: true, value: { start: at, end: at, text: `, ${entry}` } };
  const open = map.range?.[0];
  if (open === undefined) return { ok: false, reason: 'the map has no position' };
  const pad = context.style.flowPadding ? ' ' : '';
  return { ok: true, value: { start: open, end: map.range?.[1] as number, text: `{${pad}${entry}${pad}}` } };
}

function removeFromMap(context: Context, map: YAMLMap, key: string): PatchOutcome<TextEdit> {
  const index = map.items.findIndex((pair) => isScalar(pair.key) && String(pair.key.value) === key);
  if (index === -1) return { ok: false, reason: hasMergeKey(map) ? `${key} may come from a merge key (<<); edit it by hand` : `no key ${key}` };
  const pair = map.items[index] as Pair;
  const refusal = sharedNode(context, pair.value);
  if (refusal !== undefined) return { ok: false, reason: refusal };
  return removeEntry(context, map, index, (pair.key as Node).range?.[0], (pair.value as Node | null)?.range ?? (pair.key as Node).range ?? undefined, map.flow === true);
}

// ---- lists ----

function insertInSeq(context: Context, seq: YAMLSeq, segment: string, value: unknown): PatchOutcome<TextEdit> {
  const index = arrayIndex(segment, seq.items.length, true);
  if (index === undefined) return { ok: false, reason: `no index ${segment} in a list of ${seq.items.length}` };
  if (seq.flow === true) {
    const rendered = renderFlow(value, context.style);
    const before = seq.items[index - 1] as Node | undefined;
    const at = before?.range?.[1];
    if (at !== undefined) return { ok: true, value: { start: at, end: at, text: `, ${rendered}` } };
    const next = (seq.items[index] as Node | undefined)?.range?.[0];
    if (next !== undefined) return { ok: true, value: { start: next, end: next, text: `${rendered}, ` } };
    const open = seq.range?.[0];
    if (open === undefined) return { ok: false, reason: 'the list has no position' };
    const pad = context.style.flowPadding ? ' ' : '';
    return { ok: true, value: { start: open, end: seq.range?.[1] as number, text: `[${pad}${rendered}${pad}]` } };
  }
  const seqStart = seq.range?.[0];
  if (seqStart === undefined) return { ok: false, reason: 'the list has no position' };
  const column = seqStart - lineStart(context.text, seqStart);
  const lines = indentAll(renderBlock([value], context.style), column);
  if (index === seq.items.length) return { ok: true, value: insertLines(context.text, seq.range?.[2] as number, lines) };
  const at = itemLineStart(context.text, seq.items[index] as Node);
  if (at === undefined) return { ok: false, reason: 'the item does not start its own line' };
  return { ok: true, value: { start: at, end: at, text: lines } };
}

function replaceSeqItem(context: Context, seq: YAMLSeq, item: Node, value: unknown): PatchOutcome<TextEdit> {
  const range = item.range;
  if (range == null) return { ok: false, reason: 'the item has no position' };
  const scalar = isInlineScalar(item) && !isCollectionValue(value);
  if (seq.flow === true) return { ok: true, value: { start: range[0], end: range[1], text: scalar ? renderScalar(value, item, true, context.style) : renderFlow(value, context.style) } };
  if (scalar) {
    const rendered = renderScalar(value, item, false, context.style);
    if (!rendered.includes('\n')) return { ok: true, value: { start: range[0], end: range[1], text: rendered } };
  }
  const column = range[0] - lineStart(context.text, range[0]);
  const block = indentAfterFirst(renderBlock(value, context.style), column);
  return { ok: true, value: fitEnd(context.text, { start: range[0], end: range[2], text: block }) };
}

function removeFromSeq(context: Context, seq: YAMLSeq, index: number): PatchOutcome<TextEdit> {
  const item = seq.items[index] as Node;
  if (seq.flow !== true) {
    if (seq.items.length === 1) return { ok: false, reason: 'removing the only item of a block list; edit it by hand' };
    const start = itemLineStart(context.text, item);
    if (start === undefined || item.range == null) return { ok: false, reason: 'the item does not start its own line' };
    const next = seq.items[index + 1] as Node | undefined;
    const end = next === undefined ? item.range[2] : itemLineStart(context.text, next);
    if (end === undefined) return { ok: false, reason: 'the next item does not start its own line' };
    return { ok: true, value: { start, end, text: '' } };
  }
  return removeEntry(context, seq, index, item.range?.[0], item.range ?? undefined, true);
}

/**
 * Removes entry `index` of a map or list. Flow: with the comma before it (or after it, for the first). Block map:
 * from its key to the next key (so the next key takes its place, also after `- `), or its lines when it is the last.
 */
function removeEntry(context: Context, node: YAMLMap | YAMLSeq, index: number, start: number | undefined, range: readonly number[] | undefined, flow: boolean): PatchOutcome<TextEdit> {
  if (start === undefined || range === undefined) return { ok: false, reason: 'the entry has no position' };
  const entryStart = (i: number): number | undefined => {
    const entry = node.items[i] as Pair | Node | undefined;
    return (isMap(node) ? ((entry as Pair | undefined)?.key as Node | undefined) : (entry as Node | undefined))?.range?.[0];
  };
  const entryEnd = (i: number): number | undefined => {
    const entry = node.items[i] as Pair | Node | undefined;
    const value = isMap(node) ? (((entry as Pair | undefined)?.value ?? (entry as Pair | undefined)?.key) as Node | undefined) : (entry as Node | undefined);
    return value?.range?.[1];
  };
  const count = node.items.length;
  if (flow) {
    const previousEnd = index > 0 ? entryEnd(index - 1) : undefined;
    if (previousEnd !== undefined) return { ok: true, value: { start: previousEnd, end: range[1] as number, text: '' } };
    const nextStart = index + 1 < count ? entryStart(index + 1) : undefined;
    return { ok: true, value: { start, end: nextStart ?? (range[1] as number), text: '' } };
  }
  if (index + 1 < count) {
    const nextStart = entryStart(index + 1);
    if (nextStart === undefined) return { ok: false, reason: 'the next key has no position' };
    return { ok: true, value: { start, end: nextStart, text: '' } };
  }
  const end = range[2] as number;
  if (count === 1) return { ok: true, value: fitEnd(context.text, { start, end, text: '{}\n' }) };
  const from = lineStart(context.text, start);
  if (context.text.slice(from, start).trim() !== '') return { ok: false, reason: 'the key does not start its own line' };
  return { ok: true, value: { start: from, end, text: '' } };
}

/** The start of the line of a block list item, when only indentation and `- ` precede it there. */
function itemLineStart(text: string, item: Node): number | undefined {
  const start = item.range?.[0];
  if (start === undefined) return undefined;
  const from = lineStart(text, start);
  return /^[ \t]*-[ \t]+$/.test(text.slice(from, start)) || /^[ \t]*-$/.test(text.slice(from, start)) ? from : undefined;
}

// ---- rendering ----

function styleOf(text: string, doc: Document.Parsed): Style {
  let indent: number | undefined;
  let indentSeq: boolean | undefined;
  let flowPadding: boolean | undefined;
  let quotes = 0;
  const columnOf = (offset: number): number => offset - lineStart(text, offset);
  visit(doc, {
    Pair(_, pair) {
      const keyStart = (pair.key as Node | null)?.range?.[0];
      const value = pair.value as Node | null;
      const valueStart = value?.range?.[0];
      if (keyStart === undefined || valueStart === undefined || !isCollection(value) || value.flow === true) return;
      if (lineOf(text, valueStart) === lineOf(text, keyStart)) return;
      if (isMap(value) && indent === undefined && columnOf(valueStart) > columnOf(keyStart)) indent = columnOf(valueStart) - columnOf(keyStart);
      if (isSeq(value) && indentSeq === undefined) indentSeq = columnOf(valueStart) > columnOf(keyStart);
    },
    Map(_, map) {
      if (map.flow === true && flowPadding === undefined && map.items.length > 0 && map.range != null) flowPadding = text[map.range[0] + 1] === ' ';
    },
    Seq(_, seq) {
      if (seq.flow === true && flowPadding === undefined && seq.items.length > 0 && seq.range != null) flowPadding = text[seq.range[0] + 1] === ' ';
    },
    Scalar(_, scalar) {
      if (scalar.type === Scalar.QUOTE_SINGLE) quotes++;
      else if (scalar.type === Scalar.QUOTE_DOUBLE) quotes--;
    },
  });
  return { indent: indent ?? 2, indentSeq: indentSeq ?? true, flowPadding: flowPadding ?? false, singleQuote: quotes > 0 };
}

function stringifyOptions(style: Style): ToStringOptions {
  return { indent: style.indent, indentSeq: style.indentSeq, flowCollectionPadding: style.flowPadding, singleQuote: style.singleQuote, lineWidth: 0, minContentWidth: 0 };
}

/** A value as block YAML (ends with a newline). */
function renderBlock(value: unknown, style: Style): string {
  return stringify(value, stringifyOptions(style));
}

/** `key: value` as block YAML, the key kept as written in the source (its quotes too). */
function renderBlockPair(keyText: string, value: unknown, style: Style): string {
  return `${keyText}${renderBlock({ k: value }, style).slice('k'.length)}`;
}

/** A value in flow style, for inside `{…}` or `[…]`, on one line. */
function renderFlow(value: unknown, style: Style): string {
  const text = stringify([value], { ...stringifyOptions(style), collectionStyle: 'flow', flowCollectionPadding: false }).trimEnd();
  return text.slice(1, -1);
}

/** A scalar replacing `old`: a string keeps the old quoting style when it was quoted. */
function renderScalar(value: unknown, old: Scalar, flow: boolean, style: Style): string {
  const quoted = typeof value === 'string' && (old.type === Scalar.QUOTE_SINGLE || old.type === Scalar.QUOTE_DOUBLE);
  // A quoted scalar stays quoted in flow style too (a quoted scalar is one line: lineWidth 0 folds nothing).
  if (flow && !quoted) return renderFlow(value, style);
  const scalar = new Scalar(value);
  if (quoted) scalar.type = old.type;
  return stringify(scalar, stringifyOptions(style)).replace(/\n$/, '');
}

function indentAll(block: string, column: number): string {
  const pad = ' '.repeat(column);
  return block.replace(/^(?=.)/gm, pad);
}

function indentAfterFirst(block: string, column: number): string {
  const pad = ' '.repeat(column);
  const newline = block.indexOf('\n');
  if (newline === -1) return block;
  return block.slice(0, newline + 1) + block.slice(newline + 1).replace(/^(?=.)/gm, pad);
}

/** Inserts whole lines at `at`: at a line start as they are, else (the last line has no newline) after a newline. */
function insertLines(text: string, at: number, lines: string): TextEdit {
  if (at === 0 || text[at - 1] === '\n') return { start: at, end: at, text: lines };
  return { start: at, end: at, text: `\n${lines.replace(/\n$/, '')}` };
}

/** A replacement ends with a newline exactly when the replaced text did (the last line of a file may have none). */
function fitEnd(text: string, edit: TextEdit): TextEdit {
  const replacedEndsLine = edit.end > edit.start && text[edit.end - 1] === '\n';
  const body = edit.text.replace(/\n$/, '');
  return { ...edit, text: replacedEndsLine ? `${body}\n` : body };
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}
