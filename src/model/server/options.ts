/**
 * @module Reading a server's options from its words: `--workers 4`, `--workers=4`, `-w4`, `-w 4`, and
 * option words held in an env var. Each server module gives its option table; this module knows no server.
 */
import type { Evidence, Setting } from '../evidence.ts';
import { explicit, unknown } from '../evidence.ts';
import type { EnvOrigin, Scope, Word } from './words.ts';
import { displayWord, dropLeading, isBareRef, leadingText, literalWord, processEnv, resolveWord } from './words.ts';

/** One option of a server: its spellings, and whether it takes a value. */
export interface OptionSpec<K extends string> {
  key: K;
  names: readonly string[];
  arity: 'value' | 'flag';
  /** What a flag sets: true, or false for a `--no-...` spelling. */
  flagValue?: boolean;
}

/** An option as found: the spelling used, its value word (absent for a bare flag, or when the value is missing), and its text. */
export interface OptionHit<K extends string> {
  key: K;
  flag: string;
  value?: Word;
  text: string;
  /** Set when the option was not written on the command line but came from an env var. */
  origin?: EnvOrigin;
  flagValue?: boolean;
  /** A value option written without its value (`--workers` at the end): the server would refuse to start. */
  missingValue?: boolean;
  /** Where the option was read when not on the command line or in env: a config file's line (`processes = 4` in uwsgi.ini). */
  at?: Evidence;
}

/** Options, the remaining arguments, and `$VAR` arguments whose words pytuner cannot see. */
export interface Scan<K extends string> {
  hits: OptionHit<K>[];
  positionals: Word[];
  unread: Word[];
}

/** How a server's parser reads its argv. */
export interface ScanStyle {
  /** Python's `getopt.getopt` (waitress) stops at the first argument that is not an option. */
  stopAtPositional?: boolean;
  /** argparse and getopt read `-Dw4` as `-D -w 4`. */
  shortClusters?: boolean;
}

/** Each server's option table by spelling, built once per table: a report scans the options of every container. */
const SPECS_BY_NAME = new WeakMap<readonly OptionSpec<string>[], ReadonlyMap<string, OptionSpec<string>>>();

function specsByName<K extends string>(specs: readonly OptionSpec<K>[]): ReadonlyMap<string, OptionSpec<K>> {
  let byName = SPECS_BY_NAME.get(specs);
  if (byName === undefined) {
    byName = new Map(specs.flatMap((spec) => spec.names.map((name) => [name, spec] as const)));
    SPECS_BY_NAME.set(specs, byName);
  }
  return byName as ReadonlyMap<string, OptionSpec<K>>;
}

/**
 * Reads options from words. An option the table does not know is skipped without a value, so a known option
 * after it is never taken for its value. An unquoted `$OPTS` in an argument position is word-split like the shell
 * does, and its options carry the env var as their origin; when its value is unknown it is reported as unread.
 */
export function scanOptions<K extends string>(
  args: readonly Word[],
  specs: readonly OptionSpec<K>[],
  scope: Scope,
  base: Evidence,
  style: ScanStyle = {},
): Scan<K> {
  const byName = specsByName(specs);
  const queue = [...args];
  const scan: Scan<K> = { hits: [], positionals: [], unread: [] };
  let onlyPositionals = false;
  for (let i = 0; i < queue.length; i++) {
    const word = queue[i] as Word;
    const lead = leadingText(word);
    const whole = word.parts.length === 1;
    const takeValue = (): Word | undefined => {
      const next = queue[i + 1];
      if (next === undefined || looksLikeOption(next)) return undefined;
      i += 1;
      return next;
    };
    if (onlyPositionals) scan.positionals.push(word);
    else if (whole && lead === '--') onlyPositionals = true;
    else if (lead.startsWith('--')) readLong(word, byName, takeValue, scan);
    else if (looksLikeOption(word)) readShort(word, byName, takeValue, scan, style);
    else if (isBareRef(word)) {
      // The words spliced in are literal, so they are never split again.
      const spliced = splitEnvArgs(word, scope, base);
      if (spliced !== undefined && (spliced.length > 1 || spliced.some(looksLikeOption))) {
        queue.splice(i + 1, 0, ...spliced);
        continue;
      }
      // An empty value expands to no word at all.
      if (spliced === undefined) scan.unread.push(word);
      else if (spliced.length === 1) scan.positionals.push(word);
      onlyPositionals ||= style.stopAtPositional === true && spliced?.length !== 0;
    } else {
      scan.positionals.push(word);
      onlyPositionals ||= style.stopAtPositional === true;
    }
  }
  return scan;
}

function looksLikeOption(word: Word): boolean {
  const lead = leadingText(word);
  return lead.length > 1 && lead.startsWith('-') && !/^-\d/.test(lead);
}

function readLong<K extends string>(word: Word, byName: ReadonlyMap<string, OptionSpec<K>>, takeValue: () => Word | undefined, scan: Scan<K>): void {
  const lead = leadingText(word);
  const eq = lead.indexOf('=');
  if (eq === -1 && word.parts.length > 1) return;
  const flag = eq === -1 ? lead : lead.slice(0, eq);
  const spec = byName.get(flag);
  if (spec === undefined) return;
  const inline = eq === -1 ? undefined : dropLeading(word, eq + 1);
  if (spec.arity === 'flag') {
    scan.hits.push(hit(spec, flag, inline, displayWord(word), word.origin));
    return;
  }
  const value = inline ?? takeValue();
  const text = inline !== undefined || value === undefined ? displayWord(word) : `${displayWord(word)} ${displayWord(value)}`;
  scan.hits.push(hit(spec, flag, value, text, word.origin));
}

function readShort<K extends string>(
  word: Word,
  byName: ReadonlyMap<string, OptionSpec<K>>,
  takeValue: () => Word | undefined,
  scan: Scan<K>,
  style: ScanStyle,
): void {
  const lead = leadingText(word);
  for (let pos = 1; pos < lead.length; pos++) {
    const flag = `-${lead.charAt(pos)}`;
    const spec = byName.get(flag);
    if (spec === undefined) return;
    if (spec.arity === 'flag') {
      scan.hits.push(hit(spec, flag, undefined, displayWord(word), word.origin));
      if (style.shortClusters !== true) return;
      continue;
    }
    const rest = dropLeading(word, pos + 1);
    const attached = rest.parts.length > 0 ? (leadingText(rest).startsWith('=') ? dropLeading(rest, 1) : rest) : undefined;
    const value = attached ?? takeValue();
    const text = attached !== undefined || value === undefined ? displayWord(word) : `${displayWord(word)} ${displayWord(value)}`;
    scan.hits.push(hit(spec, flag, value, text, word.origin));
    return;
  }
}

function hit<K extends string>(
  spec: OptionSpec<K>,
  flag: string,
  value: Word | undefined,
  text: string,
  origin: EnvOrigin | undefined,
): OptionHit<K> {
  const found: OptionHit<K> = { key: spec.key, flag, text };
  if (value !== undefined) found.value = value;
  if (origin !== undefined) found.origin = origin;
  if (spec.arity === 'flag') found.flagValue = spec.flagValue ?? true;
  else if (value === undefined) found.missingValue = true;
  return found;
}

/**
 * The words of an unquoted `$OPTS`: the shell splits its value at blanks (no quote removal: quotes inside a
 * variable are literal). Undefined when the value is unknown.
 */
function splitEnvArgs(word: Word, scope: Scope, base: Evidence): Word[] | undefined {
  const ref = word.parts[0];
  if (ref?.kind !== 'ref') return undefined;
  const value = resolveWord(word, scope).text;
  if (value === undefined) return undefined;
  const origin = { name: ref.name, evidence: scope.get(ref.name)?.evidence ?? base };
  return value
    .split(/[ \t\n]+/)
    .filter((piece) => piece !== '')
    .map((piece) => literalWord(piece, origin));
}

/**
 * An option a server reads from its environment (`WEB_CONCURRENCY`, `UVICORN_WORKERS`, `UWSGI_PROCESSES`), as a
 * hit whose value is a reference to that variable, so the setting names it as its knob.
 */
export function envHit<K extends string>(key: K, name: string, scope: Scope): OptionHit<K> | undefined {
  const found = processEnv(scope, name);
  if (found === undefined) return undefined;
  return {
    key,
    flag: name,
    value: { parts: [{ kind: 'ref', name, emptyIsUnset: false, form: 'plain' }] },
    text: found.value === undefined ? name : `${name}=${found.value}`,
    origin: { name, evidence: found.evidence },
  };
}

/** The last hit for a key: servers let a later option override an earlier one. */
export function lastHit<K extends string>(hits: readonly OptionHit<K>[], key: K): OptionHit<K> | undefined {
  return hits.findLast((h) => h.key === key);
}

/**
 * Evidence for an option: the flag and its text, at the file and line of the command line, or of the env var
 * the option came from (`field: 'env GUNICORN_CMD_ARGS'`).
 */
export function hitEvidence<K extends string>(found: OptionHit<K>, base: Evidence): Evidence {
  if (found.at !== undefined) return found.at;
  const at = found.origin?.evidence ?? base;
  return located(at, found.origin === undefined ? found.flag : `env ${found.origin.name}`, found.text);
}

/** Evidence at `at`'s file and line with another field and text. */
export function located(at: Evidence, field: string, text?: string): Evidence {
  return {
    source: at.source,
    ...(at.file === undefined ? {} : { file: at.file }),
    ...(at.line === undefined ? {} : { line: at.line }),
    field,
    ...(text === undefined ? {} : { text }),
  };
}

/** A setting whose value cannot be known, naming the env var that would set it when there is one. */
export function unknownVia<T>(evidence: Evidence, viaEnv: string | undefined): Setting<T> {
  const setting = unknown<T>(evidence);
  return viaEnv === undefined ? setting : { ...setting, viaEnv };
}

/** The setting a value option gives: `read` turns the expanded text into a value, or undefined when the server would reject it. */
export function valueSetting<K extends string, T>(
  found: OptionHit<K>,
  base: Evidence,
  scope: Scope,
  read: (text: string) => T | undefined,
): Setting<T> {
  const evidence = hitEvidence(found, base);
  if (found.value === undefined) return unknown(evidence);
  const { text, viaEnv } = resolveWord(found.value, scope);
  const value = text === undefined ? undefined : read(text);
  return value === undefined ? unknownVia(evidence, viaEnv) : explicit(value, evidence, viaEnv);
}

/** The setting the last option for `key` gives, read by `read` (see `valueSetting`); undefined when no option sets it. */
export function lastSetting<K extends string, T>(
  hits: readonly OptionHit<K>[],
  key: K,
  base: Evidence,
  scope: Scope,
  read: (text: string) => T | undefined,
): Setting<T> | undefined {
  const found = lastHit(hits, key);
  return found === undefined ? undefined : valueSetting(found, base, scope, read);
}

/** The setting a flag gives: its own value when bare, else its written value read by `read`. */
export function flagSetting<K extends string>(
  found: OptionHit<K>,
  base: Evidence,
  scope: Scope,
  read: (text: string) => boolean | undefined,
): Setting<boolean> {
  if (found.value === undefined) return explicit(found.flagValue ?? true, hitEvidence(found, base));
  return valueSetting(found, base, scope, read);
}

/** Evidence for `$OPTS` arguments whose words pytuner cannot see: they may set anything, like an unread config file. */
export function unreadEvidence<K extends string>(scan: Scan<K>, base: Evidence): Evidence[] {
  return scan.unread.map((word) => {
    const ref = word.parts[0];
    return located(base, ref?.kind === 'ref' ? `env ${ref.name}` : 'argument', displayWord(word));
  });
}

/** click's BOOL type, as a click CLI reads a flag from its env var (`UVICORN_RELOAD`, `GRANIAN_RELOAD`). */
export function clickBool(text: string): boolean | undefined {
  const word = text.trim().toLowerCase();
  if (['1', 'true', 't', 'yes', 'y', 'on'].includes(word)) return true;
  if (['0', 'false', 'f', 'no', 'n', 'off', ''].includes(word)) return false;
  return undefined;
}
