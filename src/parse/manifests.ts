/**
 * @module Multi-document YAML (and JSON) text → ParsedDocuments with start lines and a line for every field.
 * Pure: `files.ts` hands it the text. One broken document does not lose the others in the same file.
 */
import { LineCounter, isAlias, isMap, isNode, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { InputError } from '../model/finding.ts';
import type { FieldLines, ParsedDocument } from './types.ts';
import { appendFieldPath, fieldLine } from './fieldPath.ts';
import type { PathSegment } from './fieldPath.ts';
import { parseYamlEvents } from './yamlEvents.ts';
import type { LinedDocument } from './yamlEvents.ts';

/**
 * Why a file that a directory walk found was not read as manifests. Such files are counted by reason in the report's
 * summary, not reported as errors: a repository holds JSON data, editor configs and templates beside its manifests.
 */
export const SKIP_REASONS = {
  empty: 'empty or only comments',
  template: 'a Helm or Go template ({{ … }})',
  'json-patch': 'a JSON patch (kustomize patchesJson6902)',
  'kustomize-patch': 'a patch a kustomization in the walk names (partial objects merged into a base)',
  'not-an-object': 'a list or a scalar, not an object (data files)',
  'not-kubernetes': 'no apiVersion and kind (package.json, tsconfig.json, CloudFormation, Compose, patch partials)',
  'not-yaml': 'neither YAML nor JSON (JSONC, NDJSON) and not a Kubernetes object',
  binary: 'a binary file',
} as const;

/** A key of SKIP_REASONS. */
export type SkipReason = keyof typeof SKIP_REASONS;

/** What one file holds: its documents and errors, or, for a file found by a walk, why it was skipped. */
export interface ParsedManifests {
  documents: ParsedDocument[];
  errors: InputError[];
  skipped?: SkipReason;
}

/** How a file was reached: `walked` when a directory walk found it, where a file that is no manifest is skipped. */
export interface ParseOptions {
  walked?: boolean;
}

/**
 * parseManifests reads every document of one file; `kind: List` and `*List` objects expand to their items.
 * A file named explicitly must hold manifests: anything else is an error. A file found by a walk is skipped,
 * with a reason, unless it holds a Kubernetes object (a mapping with `apiVersion` and `kind`) or a document that
 * looks like one and cannot be parsed; only then are its errors reported.
 */
export function parseManifests(file: string, text: string, options: ParseOptions = {}): ParsedManifests {
  if (options.walked !== true) {
    const stream = readStream(file, text);
    const template = stream.syntaxErrors.length > 0 ? templateError(file, text) : undefined;
    const syntaxErrors = template === undefined ? stream.syntaxErrors.map((e) => e.error) : [template];
    const errors = [...syntaxErrors, ...stream.shapeErrors].sort(byLine);
    if (stream.rawDocuments === 0 && errors.length === 0) errors.push({ file, message: 'empty file: no documents' });
    return { documents: stream.documents, errors };
  }
  const early = sniffManifest(text, true) ?? (looksLikeKubernetes(text) && !isJsonOfAnotherKind(text) ? undefined : 'not-kubernetes');
  if (early !== undefined) return { documents: [], errors: [], skipped: early };
  const stream = readStream(file, text);
  const kubernetes = stream.documents.some((d) => isKubernetesObject(d.object));
  const syntaxErrors = stream.syntaxErrors.filter((e) => e.looksKubernetes).map((e) => e.error);
  if (!kubernetes && syntaxErrors.length === 0) {
    const onlySyntaxErrors = stream.documents.length === 0 && stream.shapeErrors.length === 0 && stream.syntaxErrors.length > 0;
    const onlyNonMappings = stream.documents.length === 0 && stream.shapeErrors.length > 0;
    return { documents: [], errors: [], skipped: onlySyntaxErrors ? 'not-yaml' : onlyNonMappings ? 'not-an-object' : 'not-kubernetes' };
  }
  return { documents: stream.documents, errors: [...syntaxErrors, ...(kubernetes ? stream.shapeErrors : [])].sort(byLine) };
}

const byLine = (a: InputError, b: InputError): number => (a.line ?? 0) - (b.line ?? 0);

/**
 * A file named explicitly that does not parse because it is a Helm or Go template: one error saying so, at its first
 * template action, instead of the YAML parser's complaint about what the action did to the syntax.
 */
function templateError(file: string, text: string): InputError | undefined {
  const action = TEMPLATE_ACTION.exec(text);
  if (action === null) return undefined;
  const line = text.slice(0, action.index + action[0].length).split('\n').length;
  return { file, line, message: 'a Helm or Go template ({{ … }}), not a manifest: render it first (helm template CHART | pytuner report -f -)' };
}

/** The largest head of a file `sniffManifest` needs to decide on lists and JSON patches. */
export const SNIFF_BYTES = 64 * 1024;

/** A Go template action at a line's start or as a value, on a line that is not a comment (`# Source: {{ … }}` is text). */
const TEMPLATE_ACTION = /^(?!\s*#)(?:\s*(?:-\s+)?\{\{|[^#\n]*?:\s+\{\{)/m;
/** A `---` line after the first: a later document may be an object even when the first is a list. */
const LATER_DOCUMENT = /\n---(?:[ \t\r]|$)/m;
const JSON_PATCH_OP = /^[\s[{,-]*"?op"?\s*:\s*["']?(?:add|remove|replace|move|copy|test)\b/m;

/**
 * sniffManifest decides from the first bytes of a walked file (`complete` when they are the whole file) whether it
 * can hold no Kubernetes object, without parsing it: a 4 MB JSON data array is skipped from its first `[`.
 * A Go template action outside quotes and comments (`{{- if …}}`, `name: {{ .Release.Name }}`) marks a Helm template.
 * A list first is decided by the parser when another document follows it (`- a\n---\napiVersion: v1…`).
 */
export function sniffManifest(head: string, complete: boolean): SkipReason | undefined {
  const first = firstContent(head);
  if (first === undefined) return complete ? 'empty' : undefined;
  if (first.startsWith('[') || /^-(\s|$)/.test(first)) {
    if (LATER_DOCUMENT.test(head.slice(head.indexOf(first)))) return undefined;
    return JSON_PATCH_OP.test(head) ? 'json-patch' : 'not-an-object';
  }
  if (isNdjson(head)) return 'not-yaml';
  // Without `{{` no action can match: most files skip the pattern's scan of every line.
  if (head.includes('{{') && TEMPLATE_ACTION.test(head)) return 'template';
  return undefined;
}

/** NDJSON: its first two content lines are each a whole JSON object; pretty-printed JSON never starts that way. */
function isNdjson(head: string): boolean {
  let seen = 0;
  for (const raw of linesOf(head)) {
    const line = raw.trim();
    if (line === '') continue;
    if (!(line.startsWith('{') && line.endsWith('}'))) return false;
    if (++seen === 2) return true;
  }
  return false;
}

/** firstContent returns the first line holding content: not blank, a comment, a `---` marker or a `%` directive. */
function firstContent(text: string): string | undefined {
  for (const raw of linesOf(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('%') || line === '---' || line === '...') continue;
    return line.startsWith('--- ') ? line.slice(4).trim() : line;
  }
  return undefined;
}

/** The lines of `text`, as `text.split('\n')` gives them, one at a time: a sniff reads a few lines of a whole file. */
function* linesOf(text: string): Generator<string> {
  for (let start = 0; start <= text.length; ) {
    const newline = text.indexOf('\n', start);
    const end = newline < 0 ? text.length : newline;
    yield text.slice(start, end);
    start = end + 1;
  }
}

/** looksLikeKubernetes: the text has `apiVersion` and `kind` keys somewhere (YAML or JSON). */
function looksLikeKubernetes(text: string): boolean {
  return /(?:^|[\s{,])["']?apiVersion["']?\s*:/m.test(text) && /(?:^|[\s{,])["']?kind["']?\s*:/m.test(text);
}

/**
 * isJsonOfAnotherKind: the text is one JSON object without top-level `apiVersion` and `kind` (a data file whose
 * records have a `kind` field). JSON.parse decides it at a fraction of what the YAML parser with lines costs.
 */
function isJsonOfAnotherKind(text: string): boolean {
  if (!firstContent(text)?.startsWith('{')) return false;
  try {
    return !isKubernetesObject(JSON.parse(text));
  } catch {
    return false;
  }
}

function isKubernetesObject(value: unknown): boolean {
  return isMapping(value) && typeof value['apiVersion'] === 'string' && typeof value['kind'] === 'string';
}

/** A stream's documents, with its syntax errors (each marked when its text looks like a Kubernetes object) and shape errors. */
interface Stream {
  documents: ParsedDocument[];
  syntaxErrors: Array<{ error: InputError; looksKubernetes: boolean }>;
  shapeErrors: InputError[];
  rawDocuments: number;
}

function readStream(file: string, text: string): Stream {
  const documents: ParsedDocument[] = [];
  const syntaxErrors: Stream['syntaxErrors'] = [];
  const errors: InputError[] = [];
  let docIndex = 0;
  let rawDocuments = 0;
  for (const chunk of splitDocuments(text)) {
    let parsed: LinedDocument[];
    try {
      parsed = parseYamlEvents(chunk.text, chunk.firstLine) ?? parseChunk(chunk.text, chunk.firstLine);
    } catch (err) {
      syntaxErrors.push({ error: yamlError(file, chunk, err), looksKubernetes: looksLikeKubernetes(chunk.text) });
      docIndex++;
      rawDocuments++;
      continue;
    }
    for (const doc of parsed) {
      if (doc.value === null || doc.value === undefined) continue;
      rawDocuments++;
      const line = doc.line;
      if (!isMapping(doc.value)) {
        errors.push({ file, line, message: `document is not a mapping (got ${describeValue(doc.value)})` });
        docIndex++;
        continue;
      }
      if (isList(doc.value)) {
        const items = doc.value['items'];
        const listLines = packFieldLines(doc.entries);
        if (items !== undefined && items !== null && !Array.isArray(items)) {
          errors.push({ file, line: fieldLine(listLines, 'items') ?? line, object: String(doc.value['kind']), field: 'items', message: `expected a list of objects, got ${describeValue(items)}` });
          docIndex++;
          continue;
        }
        (Array.isArray(items) ? items : []).forEach((item, i) => {
          const itemPath = `items[${i}]`;
          const itemLine = fieldLine(listLines, itemPath) ?? line;
          if (!isMapping(item)) {
            errors.push({ file, line: itemLine, field: itemPath, message: `List item is not a mapping (got ${describeValue(item)})` });
          } else {
            documents.push({ file, line: itemLine, docIndex, object: item, fieldLines: packFieldLines(entriesBelow(doc.entries, itemPath)) });
          }
          docIndex++;
        });
        continue;
      }
      documents.push({ file, line, docIndex, object: doc.value, fieldLines: packFieldLines(doc.entries) });
      docIndex++;
    }
  }
  return { documents, syntaxErrors, shapeErrors: errors, rawDocuments };
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
 * yamlError reports the parser's reason at its line. An error found at the end of input (an unclosed `[`) is marked
 * past the document, on the next `---`; it is moved back to the document's last written line.
 */
function yamlError(file: string, chunk: Chunk, err: unknown): InputError {
  if (err instanceof ChunkSyntaxError) {
    const lastWritten = chunk.firstLine + chunk.text.trimEnd().split('\n').length - 1;
    return { file, line: Math.min(chunk.firstLine + err.line, lastWritten), message: `YAML syntax error: ${err.message}` };
  }
  return { file, line: chunk.firstLine, message: `YAML error: ${err instanceof Error ? err.message : String(err)}` };
}

// ---- splitting a stream into independently parsed pieces ----

interface Chunk {
  text: string;
  /** 1-based line of the chunk's first line in the file. */
  firstLine: number;
}

/**
 * splitDocuments cuts the stream before each `---` line. YAML forbids a `---` at column 0 inside any
 * document content (it always starts a new document, even inside a block scalar), so the cut never splits
 * a document, and a syntax error in one piece leaves the others readable. `%` directives just above a `---`
 * stay with the document they introduce.
 */
function splitDocuments(text: string): Chunk[] {
  // Line starts as offsets, cut where `text.split(/(?<=\n)/)` cuts (after each newline, none at the very end): a
  // file of one document, nearly every file, is then its own chunk, not split into lines and joined again.
  const lineStarts: number[] = [0];
  for (let newline = text.indexOf('\n'); newline >= 0 && newline + 1 < text.length; newline = text.indexOf('\n', newline + 1)) lineStarts.push(newline + 1);
  const lineText = (i: number): string => text.slice(lineStarts[i], lineStarts[i + 1] ?? text.length);
  const starts: number[] = [0];
  for (let i = 1; i < lineStarts.length; i++) {
    if (!isDocumentStart(text, lineStarts[i] as number)) continue;
    let start = i;
    for (let j = i - 1; j > (starts.at(-1) as number); j--) {
      const line = lineText(j).trim();
      if (line.startsWith('%')) start = j;
      else if (line !== '' && !line.startsWith('#')) break;
    }
    starts.push(start);
  }
  return starts.map((start, k) => {
    const next = starts[k + 1];
    return { text: text.slice(lineStarts[start], next === undefined ? text.length : lineStarts[next]), firstLine: start + 1 };
  });
}

/** A line starting at `at` is a `---` marker: `---` then a blank, a line end or the end of the text. */
function isDocumentStart(text: string, at: number): boolean {
  if (!text.startsWith('---', at)) return false;
  const after = text.charCodeAt(at + 3);
  return Number.isNaN(after) || after === 0x20 || after === 0x09 || after === 0x0d || after === 0x0a;
}

// ---- YAML nodes → values plus a line for every node ----

/** A node's 0-based line within its chunk, and its children by key or index. */
interface LocatedNode {
  line: number;
  children?: Map<PathSegment, LocatedNode>;
}

/** A syntax error the `yaml` parser reported, with its 0-based line in the chunk. */
class ChunkSyntaxError extends Error {
  readonly line: number;
  constructor(message: string, line: number) {
    super(message);
    this.line = line;
  }
}

/**
 * Nodes a document may expand to through aliases. YAML aliases share nodes, so `[*a, *a]` nested a few dozen times
 * is a few hundred bytes that expands to billions of nodes for any code that walks it (go-yaml rejects such
 * "excessive aliasing" too). 1,000,000 is far above any manifest written by hand.
 */
const MAX_EXPANDED_NODES = 1_000_000;

/**
 * Options of the `yaml` parser. YAML 1.2 core schema plus merge keys (`<<: *base`), which kubectl's go-yaml accepts.
 * `yaml` is as lenient as Kubernetes tooling where the spec is strict without ambiguity: a flow sequence whose
 * closing `]` sits at its key's indentation loads (js-yaml rejected it; go-yaml, kubectl and PyYAML accept it).
 * Tags it does not know (`!Ref`, `!reset`, `!!python/name:x`) load as the untagged value with a warning, which is
 * ignored; standard tags (`!!binary`, `!!str`, `!!timestamp`) resolve. Aliases are shared, not copied, so the
 * alias-count guard is off and `expandedSize` bounds what a walk of the value costs.
 */
const PARSE_OPTIONS = { merge: true, prettyErrors: false, uniqueKeys: true } as const;

/**
 * parseChunk parses one piece with `yaml`, and builds values and the line map from the same nodes: the pieces the
 * fast path (`yamlEvents.ts`) leaves to it, and every syntax error's message and line.
 */
function parseChunk(text: string, firstLine: number): LinedDocument[] {
  const lineCounter = new LineCounter();
  const lineOf = (offset: number): number => lineCounter.linePos(offset).line - 1;
  const documents: LinedDocument[] = [];
  for (const doc of parseAllDocuments(text, { ...PARSE_OPTIONS, lineCounter })) {
    const [error] = doc.errors;
    if (error !== undefined) throw new ChunkSyntaxError(error.message, lineOf(error.pos[0]));
    const value: unknown = doc.toJS({ maxAliasCount: -1 });
    if (expandedSize(value, MAX_EXPANDED_NODES) > MAX_EXPANDED_NODES) throw new Error(`document expands to more than ${MAX_EXPANDED_NODES} nodes through YAML aliases`);
    const root = locate(doc.contents, lineOf) ?? { line: 0 };
    documents.push({ value, line: firstLine + root.line, entries: fieldLineEntries(root, firstLine) });
  }
  return documents;
}

/** expandedSize counts the nodes a walk of `value` visits (shared nodes once per path), stopping past `limit`. */
function expandedSize(value: unknown, limit: number): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && count <= limit) {
    const node = stack.pop();
    count++;
    // `!!binary` loads as bytes: one value, not one node per byte.
    if (typeof node === 'object' && node !== null && !ArrayBuffer.isView(node)) stack.push(...Object.values(node));
  }
  return count;
}

/** locate gives a node and its children their lines; a mapping value takes the line of its key. */
function locate(node: unknown, lineOf: (offset: number) => number): LocatedNode | undefined {
  if (!isNode(node)) return undefined;
  const line = node.range === undefined || node.range === null ? 0 : Math.max(0, lineOf(node.range[0]));
  if (isMap(node)) {
    const children = new Map<PathSegment, LocatedNode>();
    for (const pair of node.items) {
      const key = pair.key;
      const name = isScalar(key) ? String(key.value) : isAlias(key) ? '*' : '?';
      const keyLine = locate(key, lineOf)?.line ?? line;
      const child = locate(pair.value, lineOf) ?? { line: keyLine };
      child.line = keyLine;
      children.set(name, child);
    }
    return { line, children };
  }
  if (isSeq(node)) {
    const children = new Map<PathSegment, LocatedNode>();
    node.items.forEach((item, index) => children.set(index, locate(item, lineOf) ?? { line }));
    return { line, children };
  }
  return { line };
}

/** fieldLineEntries flattens a node's subtree into `path\tline` entries (dotted paths, 1-based file lines), parents first. */
function fieldLineEntries(root: LocatedNode, firstLine: number): string[] {
  const entries: string[] = [];
  const walk = (node: LocatedNode, path: string): void => {
    for (const [segment, child] of node.children ?? []) {
      const childPath = appendFieldPath(path, segment);
      entries.push(`${childPath}\t${firstLine + child.line}`);
      walk(child, childPath);
    }
  };
  walk(root, '');
  return entries;
}

/** The entries below `path` (a List item's fields), with paths relative to it: `items[0].metadata` → `metadata`. */
function entriesBelow(entries: readonly string[], path: string): string[] {
  const below: string[] = [];
  for (const entry of entries) {
    if (!entry.startsWith(path)) continue;
    const next = entry[path.length];
    if (next === '.') below.push(entry.slice(path.length + 1));
    else if (next === '[') below.push(entry.slice(path.length));
  }
  return below;
}

/**
 * packFieldLines keeps a document's entries as one `\npath\tline` string. Why not a Map: the report holds every
 * document's lines until its findings are written, and a Map of 30 path strings costs about 260 bytes an entry (80 MB
 * for 13,333 objects, measured by bench/report-scale.ts), the string about 50 (read by `fieldLine`). A path never holds
 * a newline or a tab (`formatFieldPath` quotes unusual keys as JSON).
 */
function packFieldLines(entries: readonly string[]): FieldLines {
  return { packed: `\n${entries.join('\n')}\n` };
}
