/**
 * @module Reads `.tf` text into plain HCL data (`parse/hcl.ts`) with tree-sitter's Terraform grammar (the
 * `@tree-sitter-grammars/tree-sitter-hcl` package's WebAssembly build, run by `web-tree-sitter`). It lives in the
 * input layer because the grammar is loaded from a file; both are imported only when a `.tf` file is read, so a report
 * without Terraform never loads them. A file with a syntax error is an input error naming its first bad line.
 */
import { createRequire } from 'node:module';
import type { Node as SyntaxNode, Parser as TreeSitterParser } from 'web-tree-sitter';
import type { InputError } from '../model/finding.ts';
import type { HclBlock, HclFile, HclItem, HclRange, HclValue } from '../parse/hcl.ts';

let parser: Promise<TreeSitterParser> | undefined;

async function loadParser(): Promise<TreeSitterParser> {
  const { Language, Parser } = await import('web-tree-sitter');
  await Parser.init();
  const grammar = createRequire(import.meta.url).resolve('@tree-sitter-grammars/tree-sitter-hcl/tree-sitter-terraform.wasm');
  const created = new Parser();
  created.setLanguage(await Language.load(grammar));
  return created;
}

/** Parses one `.tf` file's text (line ends already `\n`); a syntax error gives an InputError instead. */
export async function readHcl(file: string, text: string): Promise<{ hcl: HclFile } | { error: InputError }> {
  parser ??= loadParser();
  const tree = (await parser).parse(text);
  if (tree === null) return { error: { file, message: 'the HCL parser returned nothing for this file' } };
  try {
    const root = tree.rootNode;
    if (root.hasError) {
      const bad = firstError(root);
      return { error: { file, line: (bad?.startPosition.row ?? 0) + 1, message: 'not valid HCL (Terraform) syntax here; the file is not read' } };
    }
    const body = root.namedChildren.find((n) => n?.type === 'body');
    return { hcl: { file, text, body: body === undefined || body === null ? [] : items(body) } };
  } finally {
    tree.delete();
  }
}

function firstError(node: SyntaxNode): SyntaxNode | undefined {
  if (node.isError || node.isMissing) return node;
  for (const child of node.children) {
    if (child?.hasError === true || child?.isError === true || child?.isMissing === true) return firstError(child);
  }
  return undefined;
}

function named(node: SyntaxNode): SyntaxNode[] {
  return node.namedChildren.filter((n): n is SyntaxNode => n !== null);
}

function rangeOf(node: SyntaxNode): HclRange {
  return { start: node.startIndex, end: node.endIndex, line: node.startPosition.row + 1 };
}

function items(body: SyntaxNode): HclItem[] {
  const out: HclItem[] = [];
  for (const child of named(body)) {
    if (child.type === 'attribute') {
      const [name, expression] = named(child);
      if (name !== undefined && expression !== undefined) out.push({ type: 'attribute', name: name.text, value: value(expression), range: rangeOf(child) });
    } else if (child.type === 'block') out.push(block(child));
  }
  return out;
}

function block(node: SyntaxNode): HclBlock {
  const children = named(node);
  const labels = children.slice(1).filter((n) => n.type === 'string_lit' || n.type === 'identifier').map((n) => (n.type === 'identifier' ? n.text : stringOf(n)));
  const start = children.find((n) => n.type === 'block_start');
  const end = children.find((n) => n.type === 'block_end');
  const body = children.find((n) => n.type === 'body');
  return {
    type: 'block',
    name: children[0]?.text ?? '',
    labels,
    body: body === undefined ? [] : items(body),
    range: rangeOf(node),
    open: start?.endIndex ?? node.startIndex,
    close: end?.startIndex ?? node.endIndex,
  };
}

/** An `expression` node as a literal value, or as an expression pytuner does not evaluate. */
function value(expression: SyntaxNode): HclValue {
  const range = rangeOf(expression);
  const unevaluated: HclValue = { kind: 'expression', text: expression.text, range };
  const inner = named(expression)[0];
  if (inner === undefined || named(expression).length !== 1) return unevaluated;
  if (inner.type === 'literal_value') {
    const lit = named(inner)[0];
    if (lit?.type === 'numeric_lit') return { kind: 'number', value: Number(lit.text), range };
    if (lit?.type === 'bool_lit') return { kind: 'bool', value: lit.text === 'true', range };
    if (lit?.type === 'null_lit') return { kind: 'null', range };
    if (lit?.type === 'string_lit') return { kind: 'string', value: stringOf(lit), range };
    return unevaluated;
  }
  if (inner.type === 'template_expr') {
    const quoted = named(inner)[0];
    const parts = quoted === undefined ? [] : named(quoted).filter((n) => n.type !== 'quoted_template_start' && n.type !== 'quoted_template_end');
    if (quoted?.type === 'quoted_template' && parts.every((p) => p.type === 'template_literal')) return { kind: 'string', value: parts.map((p) => unescape(p.text)).join(''), range };
    return unevaluated;
  }
  if (inner.type === 'collection_value') return collection(named(inner)[0], range) ?? unevaluated;
  return unevaluated;
}

function collection(node: SyntaxNode | undefined, range: HclRange): HclValue | undefined {
  if (node?.type === 'tuple') return { kind: 'tuple', items: named(node).filter((n) => n.type === 'expression').map(value), range };
  if (node?.type !== 'object') return undefined;
  const entries: { key: string; value: HclValue }[] = [];
  for (const elem of named(node).filter((n) => n.type === 'object_elem')) {
    const key = elem.childForFieldName('key');
    const val = elem.childForFieldName('val');
    if (key === null || val === null) return undefined;
    const keyValue = objectKey(key);
    if (keyValue === undefined) return undefined;
    entries.push({ key: keyValue, value: value(val) });
  }
  return { kind: 'object', entries, range };
}

/** An object key: a bare name (`cpu = ...`) or a literal string (`"run.googleapis.com/x" = ...`); else not known. */
function objectKey(key: SyntaxNode): string | undefined {
  const inner = named(key)[0];
  if (inner?.type === 'variable_expr' && named(key).length === 1) return inner.text;
  const literal = value(key);
  return literal.kind === 'string' ? literal.value : undefined;
}

function stringOf(stringLit: SyntaxNode): string {
  return named(stringLit).filter((n) => n.type === 'template_literal').map((n) => unescape(n.text)).join('');
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

/** HCL's string escapes (`\n`, `\"`, `\uNNNN`, and `$${` / `%%{` for a literal `${` / `%{`). */
function unescape(raw: string): string {
  return raw
    .replace(/\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)/g, (_m, e: string) => (e.length > 1 ? String.fromCodePoint(parseInt(e.slice(1), 16)) : (ESCAPES[e] ?? `\\${e}`)))
    .replace(/\$\$\{/g, '${')
    .replace(/%%\{/g, '%{');
}
