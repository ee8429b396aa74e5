/**
 * @module gunicorn.conf.py, read as text and never executed: the module-level assignments gunicorn reads as settings.
 * A literal (`workers = 4`, `preload_app = True`, `bind = "0.0.0.0:8080"`) is a value; anything the file computes
 * (`multiprocessing.cpu_count() * 2 + 1`, `int(os.environ.get(...))`, f-strings, names) or sets only under a
 * condition (`if`, `try`, `for`) has value `undefined`, which callers report as unknown.
 */
import type { Evidence } from '../model/evidence.ts';
import type { GunicornConf } from '../model/image.ts';

type Value = string | number | boolean | undefined;

/** A logical statement: physical lines joined while brackets, triple-quoted strings or a backslash stay open. */
interface Statement {
  line: number;
  indent: number;
  text: string;
  multiline: boolean;
}

/** A block opened by a compound statement, by its indentation: `def`/`class` bodies run later, others run now but conditionally. */
interface Block {
  indent: number;
  local: boolean;
}

const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)\s*(?::[^=]*)?=(?!=)\s*(.*)$/s;
const AUGMENTED = /^([A-Za-z_][A-Za-z0-9_]*)\s*(?:\+|-|\*|\/\/|\/|%|\*\*|>>|<<|&|\^|\||@)=/;
const TUPLE_ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*)+)\s*,?\s*=(?!=)/;
const FUNCTION_OR_CLASS = /^(?:async\s+)?(?:def|class)\b/;
const COMPOUND = /^(?:if|elif|else|for|while|try|except|finally|with|match|case|async\s+(?:for|with))\b(?!\s*=).*:/s;

/** parseGunicornConf returns the file's top-level settings; the last assignment of a name wins. */
export function parseGunicornConf(file: string, text: string): GunicornConf {
  const settings: GunicornConf['settings'] = new Map();
  /** How many blocks deep each setting's recorded assignment is. */
  const depths = new Map<string, number>();
  const blocks: Block[] = [];
  for (const statement of statements(text)) {
    while (blocks.length > 0 && (blocks.at(-1) as Block).indent >= statement.indent) blocks.pop();
    const inFunction = blocks.some((b) => b.local);
    const head = statement.text.trim();
    // The text keeps its indentation: a fix replaces the line as the file has it (`    workers = 8` under an `if`).
    const evidence = (name: string): Evidence => ({ source: 'gunicorn.conf.py', file, line: statement.line, field: name, text: firstLine(statement.text.trimEnd()) });
    if (FUNCTION_OR_CLASS.test(head)) {
      blocks.push({ indent: statement.indent, local: true });
      continue;
    }
    if (COMPOUND.test(head)) {
      blocks.push({ indent: statement.indent, local: false });
      if (!inFunction) for (const name of inlineBodyTargets(head)) settings.set(name, { value: undefined, evidence: evidence(name) });
      continue;
    }
    if (inFunction) continue;
    const conditional = blocks.length > 0;
    for (const name of assignedNames(head)) settings.set(name, { value: undefined, evidence: evidence(name) });
    const assignment = ASSIGNMENT.exec(head);
    if (assignment === null) continue;
    const name = assignment[1] as string;
    // `workers = cpu_count() * 2 + 1` then, nested under it, `if workers > 8: workers = 8`: the nested assignment may
    // not run, so the value stays unknown and its evidence stays what the outer assignment computes.
    if (conditional && settings.get(name)?.value === undefined && (depths.get(name) ?? blocks.length) < blocks.length) continue;
    const value = conditional || statement.multiline ? undefined : literal(assignment[2] as string);
    settings.set(name, { value, evidence: evidence(name) });
    depths.set(name, blocks.length);
  }
  return { file, settings };
}

/** Names an augmented (`workers += 1`) or tuple (`workers, threads = 2, 4`) assignment sets to something computed. */
function assignedNames(head: string): string[] {
  const augmented = AUGMENTED.exec(head);
  if (augmented !== null) return [augmented[1] as string];
  const tuple = TUPLE_ASSIGNMENT.exec(head);
  return tuple === null ? [] : (tuple[1] as string).split(',').map((n) => n.trim());
}

/** For `if prod: workers = 8` on one line, the name assigned in the inline body. */
function inlineBodyTargets(head: string): string[] {
  const body = /:\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)/.exec(head);
  return body === null ? [] : [body[1] as string];
}

/** literal reads a Python literal: int, float, bool, or a plain (or raw) string; anything else is undefined. */
function literal(source: string): Value {
  const text = stripComment(source).trim();
  if (/^[+-]?\d+(?:_\d+)*$/.test(text)) return Number(text.replace(/_/g, ''));
  if (/^[+-]?(?:\d+\.\d*|\.\d+|\d+(?=[eE]))(?:[eE][+-]?\d+)?$/.test(text)) return Number(text);
  if (text === 'True') return true;
  if (text === 'False') return false;
  const string = /^([rRuU]?)(?:'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)")$/.exec(text);
  if (string === null) return undefined;
  const body = (string[2] ?? string[3]) as string;
  return /^[rR]$/.test(string[1] as string) ? body : unescapePython(body);
}

function unescapePython(body: string): string {
  const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
  return body.replace(/\\(.)/g, (all, ch: string) => escapes[ch] ?? all);
}

/** stripComment drops a trailing `# comment` that is outside string quotes. */
function stripComment(source: string): string {
  let quote: string | undefined;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (quote !== undefined) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === '#') {
      return source.slice(0, i);
    }
  }
  return source;
}

function firstLine(text: string): string {
  const newline = text.indexOf('\n');
  return newline === -1 ? text : `${text.slice(0, newline)} …`;
}

/**
 * statements groups physical lines into logical ones, tracking what Python's tokenizer tracks to know that a line
 * continues: open brackets, open triple-quoted strings and a trailing backslash. Blank and comment-only lines are skipped.
 */
// eslint-disable-next-line complexity -- a tokeniser: brackets, triple quotes and backslashes share one scan over the characters.
function statements(text: string): Statement[] {
  const out: Statement[] = [];
  const lines = text.split(/\r?\n/);
  let current: Statement | undefined;
  let depth = 0;
  let triple: string | undefined;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n] as string;
    if (current === undefined) {
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      current = { line: n + 1, indent: line.length - line.trimStart().length, text: line, multiline: false };
    } else {
      current.text += `\n${line}`;
      current.multiline = true;
    }
    let backslash = false;
    let quote: string | undefined;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i] as string;
      if (triple !== undefined) {
        if (ch === '\\') i++;
        else if (line.startsWith(triple, i)) {
          i += 2;
          triple = undefined;
        }
        continue;
      }
      if (quote !== undefined) {
        if (ch === '\\') i++;
        else if (ch === quote) quote = undefined;
        continue;
      }
      if (line.startsWith('"""', i) || line.startsWith("'''", i)) {
        triple = line.slice(i, i + 3);
        i += 2;
      } else if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '#') break;
      else if ('([{'.includes(ch)) depth++;
      else if (')]}'.includes(ch)) depth = Math.max(0, depth - 1);
      else if (ch === '\\' && line.slice(i + 1).trim() === '') backslash = true;
    }
    if (depth === 0 && triple === undefined && !backslash) {
      out.push(current);
      current = undefined;
    }
  }
  if (current !== undefined) out.push(current);
  return out;
}
