/**
 * @module Shell text (`sh -c "..."`, a Procfile entry) split into words and commands with shell-quote.
 * Variable references are kept as references (see `words.ts`) so a setting can be traced to its env var.
 */
import { parse } from 'shell-quote';
import type { ParseEntry } from 'shell-quote';
import type { DetectEnv, Part, Word } from './words.ts';
import { displayWord, expandedText, leadingText, mergeParts, refPart, scopeFromEnv } from './words.ts';

/** A shell word, or a control/redirection operator (`&&`, `;`, `|`, `>`). Lines end with a `;`. */
type Token = { word: Word } | { op: string };

/** The simple commands of a script, in order; `branching` when some may not run (`if`, `case`, `||`). */
export interface ShellScript {
  commands: Word[][];
  branching: boolean;
}

// shell-quote's env callback may return text only, and reads `$PORT` and `${PORT}` alike. Each reference
// becomes a private-use marker holding its index, decoded afterwards into a `ref` part; markers in the
// input are removed first so they cannot be forged.
const MARK_OPEN = '\uE000';
const MARK_CLOSE = '\uE001';
const MARKER = /\uE000(\d+)\uE001/g;
const MARK_CHARS = /[\uE000\uE001]/g;
const BACKTICKS = /`[^`]*`?/g;
const BARE_DOLLAR = '$';
const REDIRECTIONS = new Set(['>', '>>', '<', '>&', '<&', '&>', '&>>', '>|', '<>', '<<<', '<<', '<<-']);
const RESERVED = new Set(['if', 'then', 'else', 'elif', 'do', 'while', 'until', '!', '{', 'time', 'case']);
const BRANCHING = new Set(['if', 'elif', 'else', 'while', 'until', 'case']);

/**
 * Splits shell text into words, shell-quote based. References stay resolvable: `$PORT`, `${T:-8}` are kept as
 * written unless `env` gives the variable a literal value. Operators come out as their text (`&&`, `|`), a newline
 * as `;`, `$(...)` as one word; comments are dropped. Text the shell would reject (`${}`) gives no words.
 */
export function shellWords(text: string, env?: DetectEnv): string[] {
  const tokens = shellTokens(text);
  if (tokens === undefined) return [];
  const scope = env === undefined ? undefined : scopeFromEnv(env);
  return tokens.map((token) => {
    if ('op' in token) return token.op;
    return scope === undefined ? displayWord(token.word) : expandedText(token.word, scope);
  });
}

/** The simple commands of shell text, without redirections, or undefined when the shell would reject the text. */
export function shellScript(text: string): ShellScript | undefined {
  const tokens = shellTokens(text);
  return tokens === undefined ? undefined : scriptOf(tokens);
}

/** Splits tokens at control operators into simple commands, dropping redirections and their targets. */
function scriptOf(tokens: readonly Token[]): ShellScript {
  const commands: Word[][] = [];
  let current: Word[] = [];
  let branching = false;
  let skipNext = false;
  for (const token of tokens) {
    if ('word' in token) {
      if (!skipNext) current.push(token.word);
      skipNext = false;
      continue;
    }
    skipNext = REDIRECTIONS.has(token.op);
    if (skipNext) {
      // `2>&1` reaches here as the word `2` before `>&`: a file descriptor, not an argument.
      const last = current.at(-1);
      if (last !== undefined && last.parts.length === 1 && /^\d+$/.test(leadingText(last))) current.pop();
      continue;
    }
    if (token.op === '||') branching = true;
    commands.push(current);
    current = [];
  }
  commands.push(current);
  const simple = commands.map(withoutReserved);
  return {
    commands: simple.map((c) => c.words).filter((c) => c.length > 0),
    branching: branching || simple.some((c) => c.branching),
  };
}

function withoutReserved(words: Word[]): { words: Word[]; branching: boolean } {
  let i = 0;
  let branching = false;
  for (; i < words.length; i++) {
    const word = words[i];
    const text = word?.parts.length === 1 && word.parts[0]?.kind === 'text' ? word.parts[0].text : undefined;
    if (text === undefined || !RESERVED.has(text)) break;
    branching ||= BRANCHING.has(text);
  }
  return { words: words.slice(i), branching };
}

/**
 * Tokens by the exact shell text they were split from. Why: real repositories and generated trees repeat the same
 * command lines (`exec gunicorn ... -b :$PORT app:app` in every Knative Service), and splitting one again allocated
 * the most of the server detection. The tokens are shared, so nothing downstream may change them (none does: words
 * are read, and new arrays are built from them). Bounded, as the controller lives long: cleared when full.
 */
const tokensByText = new Map<string, readonly Token[] | undefined>();
const TOKEN_CACHE_ENTRIES = 4096;

/** Tokens of shell text, line by line, or undefined when shell-quote finds a bad substitution. */
function shellTokens(text: string): readonly Token[] | undefined {
  if (tokensByText.has(text)) return tokensByText.get(text);
  const tokens = splitTokens(text);
  if (tokensByText.size >= TOKEN_CACHE_ENTRIES) tokensByText.clear();
  tokensByText.set(text, tokens);
  return tokens;
}

function splitTokens(text: string): Token[] | undefined {
  const tokens: Token[] = [];
  for (const line of shellLines(text.replace(MARK_CHARS, ''))) {
    const lineTokens = tokensOfLine(line);
    if (lineTokens === undefined) return undefined;
    if (lineTokens.length === 0) continue;
    if (tokens.length > 0) tokens.push({ op: ';' });
    tokens.push(...lineTokens);
  }
  return tokens;
}

/**
 * Splits text at newlines outside quotes (shell-quote reads a newline as a blank, and a comment as the rest of
 * the whole text), drops comments, joins backslash-newline continuations, and escapes a `#` inside a word, which
 * bash keeps but shell-quote would read as a comment.
 */
function shellLines(text: string): string[] {
  const lines: string[] = [];
  let line = '';
  let quote: "'" | '"' | "$'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (quote === "'") {
      line += c;
      if (c === "'") quote = undefined;
    } else if (c === '\\') {
      const next = text.charAt(i + 1);
      if (next !== '\n') line += c + next;
      i += 1;
    } else if (quote !== undefined) {
      line += c;
      if (c === quote.at(-1)) quote = undefined;
    } else if (c === "'" || c === '"') {
      quote = line.endsWith('$') && c === "'" ? "$'" : c;
      line += c;
    } else if (c === '\n') {
      lines.push(line);
      line = '';
    } else if (c === '#') {
      if (line === '' || /[\s;&|()]$/.test(line)) i = skipToNewline(text, i) - 1;
      else line += '\\#';
    } else {
      line += c;
    }
  }
  lines.push(line);
  return lines;
}

function skipToNewline(text: string, from: number): number {
  const end = text.indexOf('\n', from);
  return end === -1 ? text.length : end;
}

function tokensOfLine(line: string): Token[] | undefined {
  const keys: string[] = [];
  let entries: ParseEntry[];
  try {
    entries = parse(line, (key: string) => {
      keys.push(key);
      return `${MARK_OPEN}${keys.length - 1}${MARK_CLOSE}`;
    });
  } catch {
    // shell-quote throws "Bad substitution" for `${}` and an unclosed `${`, as bash refuses to run them.
    return undefined;
  }
  return tokensOfEntries(entries, keys);
}

function tokensOfEntries(entries: readonly ParseEntry[], keys: readonly string[]): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    if (entry === undefined) break;
    if (typeof entry === 'string') {
      tokens.push({ word: decodeWord(entry, keys) });
      continue;
    }
    if ('comment' in entry) break;
    // shell-quote's types list fewer operators than it emits (`>(`, `&>`, `<<<`).
    const op: string = entry.op;
    if (op === 'glob') {
      tokens.push({ word: decodeWord((entry as { pattern: string }).pattern, keys) });
    } else if (op === '(' && endsWithBareDollar(tokens.at(-1))) {
      i = substitution(entries, i, keys, tokens);
    } else if (op === '<(' || op === '>(') {
      const inner = balanced(entries, i, keys);
      tokens.push({ word: { parts: [{ kind: 'opaque', text: `${op}${inner.text})` }] } });
      i = inner.end;
    } else {
      tokens.push({ op });
    }
  }
  return tokens.map(literalDollars);
}

/** `$(nproc)` and `$((...))` reach here as a word ending in a lone `$`, then `(`: the word gets one opaque part. */
function substitution(entries: readonly ParseEntry[], open: number, keys: readonly string[], tokens: Token[]): number {
  const inner = balanced(entries, open, keys);
  const last = tokens.pop() as { word: Word };
  const parts: Part[] = [...last.word.parts.slice(0, -1), { kind: 'opaque', text: `$(${inner.text})` }];
  tokens.push({ word: { parts: mergeParts(parts) } });
  return inner.end;
}

/** The entries between `entries[open]` (an opening parenthesis) and its match, as text, and the index of the match. */
function balanced(entries: readonly ParseEntry[], open: number, keys: readonly string[]): { text: string; end: number } {
  let depth = 1;
  const inner: string[] = [];
  let i = open + 1;
  for (; i < entries.length && depth > 0; i++) {
    const entry = entries[i];
    if (entry === undefined || typeof entry === 'string') {
      inner.push(displayWord(decodeWord(entry ?? '', keys)));
      continue;
    }
    if ('comment' in entry) break;
    const op: string = entry.op;
    if (op === '(' || op === '<(' || op === '>(') depth += 1;
    if (op === ')') depth -= 1;
    if (depth > 0) inner.push(op === 'glob' ? (entry as { pattern: string }).pattern : op);
  }
  return { text: joinPieces(inner), end: i - 1 };
}

/** Joins the pieces of a substitution as it is usually written: `$((2 * $(nproc) + 1))`. */
function joinPieces(pieces: readonly string[]): string {
  let text = '';
  for (const [i, piece] of pieces.entries()) {
    const previous = pieces[i - 1];
    const tight = previous === undefined || previous.endsWith('(') || previous === BARE_DOLLAR || piece === ')';
    text += tight ? piece : ` ${piece}`;
  }
  return text;
}

function endsWithBareDollar(token: Token | undefined): boolean {
  if (token === undefined || !('word' in token)) return false;
  const last = token.word.parts.at(-1);
  return last?.kind === 'opaque' && last.text === BARE_DOLLAR;
}

/** A lone `$` that did not start `$(` is the character itself. */
function literalDollars(token: Token): Token {
  if (!('word' in token) || !token.word.parts.some((p) => p.kind === 'opaque' && p.text === BARE_DOLLAR)) return token;
  const parts = token.word.parts.map((p): Part => (p.kind === 'opaque' && p.text === BARE_DOLLAR ? { kind: 'text', text: '$' } : p));
  return { word: { parts: mergeParts(parts) } };
}

function decodeWord(text: string, keys: readonly string[]): Word {
  const parts: Part[] = [];
  let last = 0;
  for (const m of text.matchAll(MARKER)) {
    parts.push(...textParts(text.slice(last, m.index)));
    parts.push(keyPart(keys[Number(m[1])] ?? ''));
    last = m.index + m[0].length;
  }
  parts.push(...textParts(text.slice(last)));
  return { parts: mergeParts(parts) };
}

/** What followed `$` as shell-quote reports it: `''` for a `$` before `(` or at the end, `PORT`, `T:-8`, `1`, `#X`. */
function keyPart(key: string): Part {
  if (key === '') return { kind: 'opaque', text: BARE_DOLLAR };
  if (/^(\d+|[*@#?$!-])$/.test(key)) return { kind: 'opaque', text: `$${key}` };
  return refPart(key, !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key));
}

/** Backquoted command substitution is left in words by shell-quote; it needs a shell to run, so it is opaque. */
function textParts(text: string): Part[] {
  const parts: Part[] = [];
  let last = 0;
  for (const m of text.matchAll(BACKTICKS)) {
    parts.push({ kind: 'text', text: text.slice(last, m.index) }, { kind: 'opaque', text: m[0] });
    last = m.index + m[0].length;
  }
  parts.push({ kind: 'text', text: text.slice(last) });
  return parts;
}
