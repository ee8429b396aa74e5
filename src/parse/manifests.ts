/**
 * @module Multi-document YAML (and JSON) text → ParsedDocuments with start lines and a line for every field.
 * Pure: `files.ts` hands it the text. One broken document does not lose the others in the same file.
 */
import { CORE_SCHEMA, EVENT_ID, YAMLException, constructFromEvents, getScalarValue, mergeTag, parseEvents } from 'js-yaml';
import type { Event } from 'js-yaml';
import type { InputError } from '../model/finding.ts';
import type { ParsedDocument } from './types.ts';
import { formatFieldPath } from './fieldPath.ts';
import type { PathSegment } from './fieldPath.ts';

/**
 * YAML 1.2 core schema plus merge keys (`<<: *base`): kubectl's YAML reader (go-yaml) accepts merge keys,
 * so manifests that use them must load here too.
 */
const SCHEMA = CORE_SCHEMA.withTags(mergeTag);

/** parseManifests reads every document of one file; `kind: List` and `*List` objects expand to their items. */
export function parseManifests(file: string, text: string): { documents: ParsedDocument[]; errors: InputError[] } {
  const documents: ParsedDocument[] = [];
  const errors: InputError[] = [];
  let docIndex = 0;
  let rawDocuments = 0;
  for (const chunk of splitDocuments(text)) {
    let parsed: LocatedDocument[];
    try {
      parsed = parseChunk(chunk.text);
    } catch (err) {
      errors.push(yamlError(file, chunk, err));
      docIndex++;
      rawDocuments++;
      continue;
    }
    for (const doc of parsed) {
      if (doc.value === null || doc.value === undefined) continue;
      rawDocuments++;
      const line = chunk.firstLine + doc.root.line;
      if (!isMapping(doc.value)) {
        errors.push({ file, line, message: `document is not a mapping (got ${describeValue(doc.value)})` });
        docIndex++;
        continue;
      }
      if (isList(doc.value)) {
        const items = doc.value['items'];
        const itemNodes = doc.root.children?.get('items')?.children;
        if (items !== undefined && items !== null && !Array.isArray(items)) {
          errors.push({ file, line: chunk.firstLine + (doc.root.children?.get('items')?.line ?? doc.root.line), object: String(doc.value['kind']), field: 'items', message: `expected a list of objects, got ${describeValue(items)}` });
          docIndex++;
          continue;
        }
        (Array.isArray(items) ? items : []).forEach((item, i) => {
          const node = itemNodes?.get(i);
          const itemLine = chunk.firstLine + (node?.line ?? doc.root.line);
          if (!isMapping(item)) {
            errors.push({ file, line: itemLine, field: `items[${i}]`, message: `List item is not a mapping (got ${describeValue(item)})` });
          } else {
            documents.push({ file, line: itemLine, docIndex, object: item, fieldLines: fieldLinesOf(node, chunk.firstLine) });
          }
          docIndex++;
        });
        continue;
      }
      documents.push({ file, line, docIndex, object: doc.value, fieldLines: fieldLinesOf(doc.root, chunk.firstLine) });
      docIndex++;
    }
  }
  if (rawDocuments === 0 && errors.length === 0) errors.push({ file, message: 'empty file: no documents' });
  return { documents, errors };
}

/** A `kind: List` (apiVersion v1) or any `<Kind>List` carrying `items`, as `kubectl get -o yaml` writes them. */
function isList(value: Record<string, unknown>): boolean {
  const kind = value['kind'];
  if (kind === 'List') return true;
  return typeof kind === 'string' && kind.endsWith('List') && Array.isArray(value['items']);
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** describeValue names a value's YAML type for an error message. */
function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `the ${typeof value} ${String(value)}`;
}

/**
 * yamlError reports js-yaml's reason at its mark. An error found at the end of input (an unclosed `[`) is marked
 * past the document, on the next `---`; it is moved back to the document's last written line.
 */
function yamlError(file: string, chunk: Chunk, err: unknown): InputError {
  if (err instanceof YAMLException) {
    const lastWritten = chunk.firstLine + chunk.text.trimEnd().split('\n').length - 1;
    const line = err.mark === undefined ? undefined : Math.min(chunk.firstLine + err.mark.line, lastWritten);
    return line === undefined ? { file, message: `YAML syntax error: ${err.reason}` } : { file, line, message: `YAML syntax error: ${err.reason}` };
  }
  return { file, line: chunk.firstLine, message: `YAML error: ${err instanceof Error ? err.message : String(err)}` };
}

// ---- splitting a stream into independently parsed pieces ----

interface Chunk {
  text: string;
  /** 1-based line of the chunk's first line in the file. */
  firstLine: number;
}

const DOCUMENT_START = /^---(?:[ \t\r\n]|$)/;

/**
 * splitDocuments cuts the stream before each `---` line. YAML forbids a `---` at column 0 inside any
 * document content (it always starts a new document, even inside a block scalar), so the cut never splits
 * a document, and a syntax error in one piece leaves the others readable. `%` directives just above a `---`
 * stay with the document they introduce.
 */
function splitDocuments(text: string): Chunk[] {
  const lines = text.split(/(?<=\n)/);
  const starts: number[] = [0];
  for (let i = 1; i < lines.length; i++) {
    if (!DOCUMENT_START.test(lines[i] as string)) continue;
    let start = i;
    for (let j = i - 1; j > (starts.at(-1) as number); j--) {
      const line = (lines[j] as string).trim();
      if (line.startsWith('%')) start = j;
      else if (line !== '' && !line.startsWith('#')) break;
    }
    starts.push(start);
  }
  return starts.map((start, k) => ({ text: lines.slice(start, starts[k + 1] ?? lines.length).join(''), firstLine: start + 1 }));
}

// ---- events → values plus a line for every node ----

/** A node's 0-based line within its chunk, and its children by key or index. */
interface LocatedNode {
  line: number;
  children?: Map<PathSegment, LocatedNode>;
}

interface LocatedDocument {
  value: unknown;
  root: LocatedNode;
}

interface Frame {
  node: LocatedNode;
  kind: 'document' | 'mapping' | 'sequence' | 'ignored';
  /** For a mapping: the key read, waiting for its value. */
  pendingKey?: { name: string; line: number };
  nextIndex: number;
  /** For a complex (non-scalar) key: the frame that waits for it. */
  keyOf?: Frame;
}

/**
 * Nodes a document may expand to through aliases. YAML aliases share nodes, so `[*a, *a]` nested a few dozen times
 * is a few hundred bytes that expands to billions of nodes for any code that walks it (go-yaml rejects such
 * "excessive aliasing" too). 1,000,000 is far above any manifest written by hand.
 */
const MAX_EXPANDED_NODES = 1_000_000;

/** parseChunk parses one piece with js-yaml's event parser, then builds values and the line map from the same events. */
function parseChunk(text: string): LocatedDocument[] {
  const events = parseEvents(text, {});
  const values = constructFromEvents(events, { source: text, schema: SCHEMA });
  for (const value of values) {
    if (expandedSize(value, MAX_EXPANDED_NODES) > MAX_EXPANDED_NODES) throw new Error(`document expands to more than ${MAX_EXPANDED_NODES} nodes through YAML aliases`);
  }
  const roots = locateNodes(events, text);
  return values.map((value, i) => ({ value, root: roots[i] ?? { line: 0 } }));
}

/** expandedSize counts the nodes a walk of `value` visits (shared nodes once per path), stopping past `limit`. */
function expandedSize(value: unknown, limit: number): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && count <= limit) {
    const node = stack.pop();
    count++;
    if (typeof node === 'object' && node !== null) stack.push(...Object.values(node));
  }
  return count;
}

// eslint-disable-next-line complexity -- one case per YAML event kind, as in the event stream it walks.
function locateNodes(events: Event[], source: string): LocatedNode[] {
  const lineStarts = lineStartOffsets(source);
  const lineOf = (offset: number): number => (offset < 0 ? -1 : upperBound(lineStarts, offset) - 1);
  const roots: LocatedNode[] = [];
  const stack: Frame[] = [];
  for (const event of events) {
    const top = stack.at(-1);
    switch (event.type) {
      case EVENT_ID.DOCUMENT: {
        const node: LocatedNode = { line: 0 };
        roots.push(node);
        stack.push({ node, kind: 'document', nextIndex: 0 });
        break;
      }
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE: {
        const node: LocatedNode = { line: lineOf(event.start), children: new Map() };
        const kind = event.type === EVENT_ID.MAPPING ? 'mapping' : 'sequence';
        if (top !== undefined && (top.kind === 'ignored' || (top.kind === 'mapping' && top.pendingKey === undefined))) {
          stack.push({ node, kind: 'ignored', nextIndex: 0, keyOf: top.kind === 'ignored' ? undefined : top });
        } else {
          attach(top, node);
          stack.push({ node, kind, nextIndex: 0 });
        }
        break;
      }
      case EVENT_ID.SCALAR:
      case EVENT_ID.ALIAS: {
        const offset = event.type === EVENT_ID.SCALAR ? event.valueStart : event.anchorStart;
        if (top?.kind === 'mapping' && top.pendingKey === undefined) {
          const name = event.type === EVENT_ID.SCALAR ? getScalarValue(source, event) : '*';
          top.pendingKey = { name, line: lineOf(offset) };
        } else if (top?.kind !== 'ignored') {
          attach(top, { line: lineOf(offset) });
        }
        break;
      }
      case EVENT_ID.POP: {
        const done = stack.pop();
        if (done?.keyOf !== undefined) done.keyOf.pendingKey = { name: '?', line: done.node.line };
        break;
      }
    }
  }
  return roots;
}

/** attach adds a finished node to its parent; a mapping value takes the line of its key. */
function attach(parent: Frame | undefined, node: LocatedNode): void {
  if (parent === undefined) return;
  if (parent.kind === 'document') {
    // A document that is only an empty node (`!tag` with no value) has no offset: it starts on the chunk's first line.
    parent.node.line = Math.max(0, node.line);
    parent.node.children = node.children;
    return;
  }
  if (parent.kind === 'sequence') {
    if (node.line < 0) node.line = parent.node.line;
    parent.node.children?.set(parent.nextIndex++, node);
    return;
  }
  if (parent.kind === 'mapping' && parent.pendingKey !== undefined) {
    node.line = parent.pendingKey.line;
    parent.node.children?.set(parent.pendingKey.name, node);
    parent.pendingKey = undefined;
  }
}

/** fieldLinesOf flattens a node's subtree into dotted paths → 1-based file lines. */
function fieldLinesOf(root: LocatedNode | undefined, firstLine: number): Map<string, number> {
  const lines = new Map<string, number>();
  const walk = (node: LocatedNode, path: PathSegment[]): void => {
    for (const [segment, child] of node.children ?? []) {
      const childPath = [...path, segment];
      lines.set(formatFieldPath(childPath), firstLine + child.line);
      walk(child, childPath);
    }
  };
  if (root !== undefined) walk(root, []);
  return lines;
}

function lineStartOffsets(source: string): number[] {
  const starts = [0];
  for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** upperBound returns the index of the first element greater than `value`. */
function upperBound(sorted: number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
