/**
 * @module Command-line words that may hold environment references, and their expansion.
 * A word keeps `$THREADS` as a reference until a setting needs its value, so the setting can say
 * which env var is the knob (`viaEnv`) or that the value is unknown, instead of guessing.
 */
import type { Evidence, SourceKind } from '../evidence.ts';

/** Environment as the detector sees it: name → literal value (undefined = set from a ref pytuner cannot read) with evidence. */
export type DetectEnv = ReadonlyMap<string, { value?: string; evidence: Evidence }>;

/** One piece of a word: literal text, an env reference, or something only running a shell could tell. */
export type Part =
  | { kind: 'text'; text: string }
  /**
   * `$NAME`, `${NAME}`, `${NAME:-fallback}`, `${NAME-fallback}` (`=` forms alike: `fallbackOperator`), or the
   * kubelet's `$(NAME)`. `emptyIsUnset` is the `:` of `:-`: bash uses the fallback for an empty value too.
   */
  | { kind: 'ref'; name: string; fallback?: string; fallbackOperator?: '-' | '='; emptyIsUnset: boolean; form: RefForm }
  /** `$(nproc)`, `` `nproc` ``, `$1`, `${X/a/b}`: pytuner never runs a command line, so these stay unknown. */
  | { kind: 'opaque'; text: string };

/** How a reference is written: `$NAME`, `${NAME}`, or `$(NAME)` (kubelet and uWSGI). */
export type RefForm = 'plain' | 'braced' | 'parens';

/** Where words that did not come from the command line itself came from (`GUNICORN_CMD_ARGS`, an unquoted `$OPTS`). */
export interface EnvOrigin {
  name: string;
  evidence: Evidence;
}

/** A shell word: its parts, and the env var it was split from when it was not written on the command line. */
export interface Word {
  parts: readonly Part[];
  origin?: EnvOrigin;
}

/**
 * A variable visible to the command: from the container env (`viaEnv` is its own name) or assigned by the
 * script (`viaEnv` is the container var its value came from, if any). Only exported variables reach the server's env.
 */
export interface ScopeVar {
  value?: string;
  evidence: Evidence;
  exported: boolean;
  viaEnv?: string;
}

/** Variables by name, as the shell sees them at one point of a script. */
export type Scope = ReadonlyMap<string, ScopeVar>;

/** A word's value after expansion: `text` is undefined when any part cannot be known. */
export interface Resolved {
  text?: string;
  viaEnv?: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const BRACED_WITH_FALLBACK = /^([A-Za-z_][A-Za-z0-9_]*)(:?)([-=])([\s\S]*)$/;
const REF_IN_TEXT = /\$\{([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)|\$([0-9*@#?$!-])/g;
const KUBELET_REF = /\$\$|\$\(([^)]*)\)/g;

/** A word of plain text. */
export function literalWord(text: string, origin?: EnvOrigin): Word {
  return origin === undefined ? { parts: [{ kind: 'text', text }] } : { parts: [{ kind: 'text', text }], origin };
}

/**
 * The part for what followed `$` in a shell word: `key` is `PORT` for `$PORT`/`${PORT}`, `T:-8` for `${T:-8}`.
 * Anything beyond plain names and fallbacks (`${#X}`, `${X/a/b}`, `$1`) is opaque.
 */
export function refPart(key: string, braced: boolean): Part {
  if (NAME.test(key)) return { kind: 'ref', name: key, emptyIsUnset: false, form: braced ? 'braced' : 'plain' };
  const withFallback = braced ? BRACED_WITH_FALLBACK.exec(key) : null;
  if (withFallback !== null) {
    const [, name = '', colon, operator, fallback = ''] = withFallback;
    const fallbackOperator = operator === '=' ? '=' : '-';
    // A fallback that itself expands something would need a second round of shell expansion: keep it unknown.
    if (!/[$`]/.test(fallback)) return { kind: 'ref', name, fallback, fallbackOperator, emptyIsUnset: colon === ':', form: 'braced' };
  }
  return { kind: 'opaque', text: braced ? `\${${key}}` : `$${key}` };
}

/** Joins adjacent text parts, so a word of plain text is one part. */
export function mergeParts(parts: readonly Part[]): Part[] {
  const merged: Part[] = [];
  for (const part of parts) {
    const last = merged.at(-1);
    if (part.kind === 'text' && last?.kind === 'text') merged[merged.length - 1] = { kind: 'text', text: last.text + part.text };
    else if (part.kind !== 'text' || part.text !== '') merged.push(part);
  }
  return merged;
}

/** Splits text that a shell would expand (`:$PORT`, `${T:-8}`) into parts; `$` refs of other forms are opaque. */
function shellTextWord(text: string): Word {
  const parts: Part[] = [];
  let last = 0;
  for (const m of text.matchAll(REF_IN_TEXT)) {
    parts.push({ kind: 'text', text: text.slice(last, m.index) });
    if (m[1] !== undefined) parts.push(m[1] === '' ? { kind: 'opaque', text: '${}' } : refPart(m[1], true));
    else if (m[2] !== undefined) parts.push(refPart(m[2], false));
    else parts.push({ kind: 'opaque', text: m[0] });
    last = m.index + m[0].length;
  }
  parts.push({ kind: 'text', text: text.slice(last) });
  return { parts: mergeParts(parts) };
}

/**
 * Splits a manifest `command`/`args` item the way the kubelet expands it: `$(NAME)` is the container's
 * env var NAME when it is defined (else left as written), and `$$` is a literal `$`.
 */
function kubeletWord(text: string, env: DetectEnv): Word {
  // Most items reference nothing: one text part (none for ''), as the loop below would give, without its garbage.
  if (!text.includes('$')) return { parts: text === '' ? [] : [{ kind: 'text', text }] };
  const parts: Part[] = [];
  let last = 0;
  for (const m of text.matchAll(KUBELET_REF)) {
    parts.push({ kind: 'text', text: text.slice(last, m.index) });
    const name = m[1];
    if (name === undefined) parts.push({ kind: 'text', text: '$' });
    else if (env.has(name)) parts.push({ kind: 'ref', name, emptyIsUnset: false, form: 'parens' });
    else parts.push({ kind: 'text', text: m[0] });
    last = m.index + m[0].length;
  }
  parts.push({ kind: 'text', text: text.slice(last) });
  return { parts: mergeParts(parts) };
}

/**
 * The argv as words, by where it came from: the kubelet expands `$(VAR)` in manifest args (Cloud Run in `gcloud run
 * deploy --command/--args` alike); a Procfile entry is
 * shell text (split by `shellWords`, references kept); a Dockerfile exec-form CMD reaches the program as written
 * (no shell: gunicorn would get a literal `$THREADS`).
 */
export function argvWords(argv: readonly string[], source: SourceKind, env: DetectEnv): Word[] {
  if (source === 'manifest' || source === 'deploy-command') return argv.map((arg) => kubeletWord(arg, env));
  if (source === 'Procfile') return argv.map(shellTextWord);
  return argv.map((arg) => literalWord(arg));
}

/** The literal text a word starts with, up to its first reference. */
export function leadingText(word: Word): string {
  const first = word.parts[0];
  return first?.kind === 'text' ? first.text : '';
}

/** The word without its first `count` characters, which must lie within its leading text. */
export function dropLeading(word: Word, count: number): Word {
  const [first, ...rest] = word.parts;
  if (first?.kind !== 'text') return word;
  const parts = mergeParts([{ kind: 'text', text: first.text.slice(count) }, ...rest]);
  return word.origin === undefined ? { parts } : { parts, origin: word.origin };
}

/** True when the word is exactly one `$NAME` reference (an unquoted one is word-split by the shell). */
export function isBareRef(word: Word): boolean {
  return word.parts.length === 1 && word.parts[0]?.kind === 'ref';
}

/** The word as it would be written, for argv and evidence text. */
export function displayWord(word: Word): string {
  return word.parts.map((part, i) => displayPart(part, word.parts[i + 1])).join('');
}

function displayPart(part: Part, next: Part | undefined): string {
  if (part.kind === 'text' || part.kind === 'opaque') return part.text;
  if (part.fallback !== undefined) return `\${${part.name}${part.emptyIsUnset ? ':' : ''}${part.fallbackOperator ?? '-'}${part.fallback}}`;
  if (part.form === 'parens') return `$(${part.name})`;
  const followedByNameChar = next?.kind === 'text' && /^[A-Za-z0-9_]/.test(next.text);
  return part.form === 'braced' || followedByNameChar ? `\${${part.name}}` : `$${part.name}`;
}

/** The word with references whose values are known replaced by them: the argv as the server receives it, as far as known. */
export function expandedText(word: Word, scope: Scope): string {
  return word.parts
    .map((part, i) => {
      if (part.kind !== 'ref') return displayPart(part, word.parts[i + 1]);
      const value = refValue(part, scope).text;
      return value ?? displayPart(part, word.parts[i + 1]);
    })
    .join('');
}

/**
 * Expands a word against the variables in scope. A reference to a variable that is absent (with no
 * fallback) or set from a ref is unknown: pytuner never substitutes the shell's empty string for it.
 */
export function resolveWord(word: Word, scope: Scope): Resolved {
  let text: string | undefined = '';
  const via = new Set<string>();
  for (const part of word.parts) {
    const value = part.kind === 'text' ? { text: part.text } : part.kind === 'ref' ? refValue(part, scope) : {};
    if (value.viaEnv !== undefined) via.add(value.viaEnv);
    text = text === undefined || value.text === undefined ? undefined : text + value.text;
  }
  // One knob only: `$HOST:$PORT` has no single env var that sets the value.
  return resolved(text, via.size === 1 ? [...via][0] : undefined);
}

function resolved(text: string | undefined, viaEnv: string | undefined): Resolved {
  const result: Resolved = {};
  if (text !== undefined) result.text = text;
  if (viaEnv !== undefined) result.viaEnv = viaEnv;
  return result;
}

function refValue(part: Extract<Part, { kind: 'ref' }>, scope: Scope): Resolved {
  const found = scope.get(part.name);
  const viaEnv = found === undefined ? part.name : found.viaEnv;
  const unset = found === undefined || (part.emptyIsUnset && found.value === '');
  let text: string | undefined;
  if (unset && part.fallback !== undefined) text = part.fallback;
  else if (found !== undefined && !unset) text = found.value;
  return resolved(text, viaEnv);
}

/** The container env as the shell's initial variables: all exported, each its own knob. */
export function scopeFromEnv(env: DetectEnv): Map<string, ScopeVar> {
  const scope = new Map<string, ScopeVar>();
  for (const [name, { value, evidence }] of env) {
    scope.set(name, value === undefined ? { evidence, exported: true, viaEnv: name } : { value, evidence, exported: true, viaEnv: name });
  }
  return scope;
}

/** An exported variable of the server's environment (what `os.environ` holds), if set. */
export function processEnv(scope: Scope, name: string): ScopeVar | undefined {
  const found = scope.get(name);
  return found?.exported === true ? found : undefined;
}

/**
 * A decimal count as Python's `int()` and click's INT read it from a command line: digits, an optional `+`,
 * surrounding blanks. Anything else (`abc`, `2.5`, `$(nproc)`) is not a count.
 */
export function parseCount(text: string): number | undefined {
  const m = /^\s*\+?(\d+)\s*$/.exec(text);
  if (m === null) return undefined;
  const value = Number(m[1]);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** A name or address as given (trimmed), or undefined for a blank one, which the servers reject. */
export function nonBlank(text: string): string | undefined {
  return text.trim() === '' ? undefined : text.trim();
}
