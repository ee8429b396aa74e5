/**
 * @module An env var written inside the env list a `gcloud run deploy` command already has (`--set-env-vars` or
 * `--update-env-vars`), as the raw text of the command's lines. gcloud takes at most one of `--set-env-vars`,
 * `--env-vars-file`, `--clear-env-vars` and `--update-env-vars`/`--remove-env-vars`
 * (https://cloud.google.com/sdk/gcloud/reference/run/deploy): a command that sets its env with the first two must get
 * the change inside that list or file, never an `--update-env-vars` beside it. The list keeps its other vars, its
 * delimiter (`,` or gcloud's `^DELIM^` form) and its quoting. Pure.
 */
import type { TextSpan } from '../model/change.ts';

/** Where an env var is written: the span of a line that writes it, `as-is` when it has that value already. */
export type EnvListEdit = { line: number; span: TextSpan } | 'as-is';

/** The list flag of a command's env, and what a change of it is: an edit, or why there is none. */
export type EnvListPlacement =
  | { kind: 'edit'; edit: EnvListEdit }
  | { kind: 'exclusive'; flag: string; note?: string }
  | { kind: 'none' };

const LIST_FLAG = /(?<![\w-])(--set-env-vars|--update-env-vars)(=|\s+|$)/;
const FILE_FLAG = /(?<![\w-])--env-vars-file(?:=|\s+)(['"]?)([^\s'"]+)\1/;

/** The value of a list flag as written: its text span on a line, and the quote around it (`"`, `'` or none). */
interface ListValue {
  line: number;
  start: number;
  end: number;
  quote: string;
  /** The value is a YAML block list item of its own (`- --set-env-vars=A=1`, or `- A=1` after `- --set-env-vars`). */
  yamlItem: boolean;
  /** Where the shell word that holds the value starts (the flag's start for `--set-env-vars=A=1`). */
  wordStart: number;
}

/**
 * Where `name=value` goes in the command's env list: the item of `name` rewritten, or the item appended to the list
 * (a `--set-env-vars` one; an `--update-env-vars` one only when it is the command's sole env flag). `exclusive` when the
 * command sets its env with a flag no `--update-env-vars` may join and the value cannot be written in it (a file, a
 * value the list's quoting or delimiter cannot hold); `none` when the command has no env list.
 */
export function envListPlacement(lines: ReadonlyArray<{ line: number; text: string }>, name: string, value: string): EnvListPlacement {
  for (const { text } of lines) {
    const file = FILE_FLAG.exec(text);
    if (file !== null) return { kind: 'exclusive', flag: '--env-vars-file', note: file[2] as string };
    if (/(?<![\w-])--clear-env-vars(?![\w-])/.test(text)) return { kind: 'exclusive', flag: '--clear-env-vars' };
  }
  const input = actionEnvInput(lines, name, value);
  if (input !== undefined) return input === 'unwritable' ? { kind: 'exclusive', flag: 'env_vars' } : { kind: 'edit', edit: input };
  const lists = listValues(lines);
  const setList = lists.find((l) => l.flag === '--set-env-vars');
  for (const list of lists) {
    const edit = itemEdit(lines, list.value, name, value, list === (setList ?? lists[0]));
    if (edit !== undefined) return { kind: 'edit', edit };
  }
  return setList === undefined ? { kind: 'none' } : { kind: 'exclusive', flag: '--set-env-vars' };
}

/** The env list flags the command writes, each with its value's place. */
function listValues(lines: ReadonlyArray<{ line: number; text: string }>): Array<{ flag: string; value: ListValue }> {
  const out: Array<{ flag: string; value: ListValue }> = [];
  lines.forEach(({ line, text }, i) => {
    const found = LIST_FLAG.exec(text);
    if (found === null) return;
    const flag = found[1] as string;
    const before = text.slice(0, found.index);
    const after = found.index + found[0].length;
    if (found[2] === '' || after >= text.trimEnd().length) {
      // `- --set-env-vars` with its value the next item of a YAML block list.
      const next = lines[i + 1];
      const item = next === undefined || !/^\s*-\s+$/.test(before) ? null : /^(\s*-\s+)(['"]?)(.*?)\2\s*$/.exec(next.text);
      if (item !== null && next !== undefined) out.push({ flag, value: { line: next.line, start: (item[1] as string).length + (item[2] as string).length, end: (item[1] as string).length + (item[2] as string).length + (item[3] as string).length, quote: item[2] as string, yamlItem: item[2] === '', wordStart: 0 } });
      return;
    }
    // The quote opens before the flag (`'--set-env-vars=A=1'`, `"--set-env-vars A=1"`) or after it (`--set-env-vars="A=1"`).
    const outer = /['"]$/.exec(before)?.[0];
    const inner = outer === undefined && /^['"]/.test(text.slice(after)) ? text[after] : undefined;
    const quote = outer ?? inner ?? '';
    const start = after + (inner === undefined ? 0 : 1);
    const end = quote === '' ? endOfWord(text, start) : closingQuote(text, start, quote);
    if (end === undefined) return;
    const wordStart = found[2] === '=' ? found.index : start;
    out.push({ flag, value: { line, start, end, quote, yamlItem: quote === '' && /^\s*-\s+$/.test(before), wordStart } });
  });
  return out;
}

function endOfWord(text: string, start: number): number {
  const space = text.slice(start).search(/\s/);
  return space < 0 ? text.length : start + space;
}

function closingQuote(text: string, start: number, quote: string): number | undefined {
  for (let i = start; i < text.length; i++) {
    if (quote === '"' && text[i] === '\\') i++;
    else if (text[i] === quote) return i;
  }
  return undefined;
}

/**
 * The edit of one list's text that writes `name=value`: its item's value replaced, or (when `append`) the item added
 * at the list's end. Undefined when the list cannot take it: escapes or expansions in the raw text, a value its quoting
 * or delimiter cannot hold.
 */
function itemEdit(lines: ReadonlyArray<{ line: number; text: string }>, at: ListValue, name: string, value: string, append: boolean): EnvListEdit | undefined {
  const text = lines.find((l) => l.line === at.line)?.text ?? '';
  const raw = text.slice(at.start, at.end);
  if (/[\\`]/.test(raw) || (at.quote === '' && /['"]/.test(raw))) return undefined;
  const prefix = /^\^([^^]+)\^/.exec(raw);
  const delimiter = prefix === null ? ',' : (prefix[1] as string);
  if (value.includes(delimiter)) return undefined;
  const bodyStart = at.start + (prefix === null ? 0 : prefix[0].length);
  let span: TextSpan | undefined;
  let offset = bodyStart;
  for (const item of text.slice(bodyStart, at.end).split(delimiter)) {
    if (item.startsWith(`${name}=`)) {
      const start = offset + name.length + 1;
      if (text.slice(start, offset + item.length) === value) return 'as-is';
      span = { start, end: offset + item.length, text: value };
      break;
    }
    offset += item.length + delimiter.length;
  }
  if (span === undefined && !append) return undefined;
  span ??= { start: at.end, end: at.end, text: at.end === bodyStart ? `${name}=${value}` : `${delimiter}${name}=${value}` };
  if (writable(value, at)) return { line: at.line, span };
  const quoted = quotedWord(text, at, span);
  return quoted === undefined ? undefined : { line: at.line, span: quoted };
}

/** A bare shell word with the edit, in single quotes: when quoting changes nothing else in it (no `$` expansion). */
function quotedWord(text: string, at: ListValue, span: TextSpan): TextSpan | undefined {
  const word = text.slice(at.wordStart, at.end);
  if (at.quote !== '' || at.yamlItem || span.text.includes("'") || word.includes('$')) return undefined;
  // Not inside a quoted string (a YAML one around several words), nor in the deploy-cloudrun action's `flags:`, which it splits itself.
  const before = text.slice(0, at.wordStart);
  if (/^\s*flags:/.test(text) || (before.split("'").length - 1) % 2 === 1 || (before.split('"').length - 1) % 2 === 1) return undefined;
  const edited = text.slice(at.wordStart, span.start) + span.text + text.slice(span.end, at.end);
  return { start: at.wordStart, end: at.end, text: `'${edited}'` };
}

/** The value can stand in the list's text as it is quoted: a shell word, a YAML scalar, a quoted string of either. */
function writable(value: string, at: ListValue): boolean {
  // A quoted string may sit inside another one (a shell script in a YAML string): no quote or backslash of either kind.
  if (at.quote === '"') return !/["'\\$`]/.test(value);
  if (at.quote === "'") return !/['"\\]/.test(value);
  if (at.yamlItem) return /^[\w@%+=:,./^ -]*$/.test(value) && !/ #|: /.test(value);
  return /^[\w@%+=:,./^-]*$/.test(value);
}

/**
 * The deploy-cloudrun action's `env_vars:` input (`KEY=VALUE` pairs, comma- or newline-separated) with `name=value`:
 * its pair rewritten, or one added (a line of a block value, an item of a one-line list). Undefined when the step has
 * no such input; `unwritable` when the value cannot stand in it (a comma or backslash, which the action splits at or
 * unescapes).
 */
function actionEnvInput(lines: ReadonlyArray<{ line: number; text: string }>, name: string, value: string): EnvListEdit | 'unwritable' | undefined {
  const at = lines.findIndex((l) => /^\s*env_vars:/.test(l.text));
  if (at < 0) return undefined;
  const { line, text } = lines[at]!;
  if (/[,\\\n]/.test(value) || value !== value.trim()) return 'unwritable';
  const inline = /^(\s*env_vars:\s*)(['"]?)(.*?)\2\s*$/.exec(text)!;
  const [, key, quote, raw] = inline as unknown as [string, string, string, string];
  if (!/^[|>]/.test(raw)) {
    const start = key.length + quote.length;
    const list: ListValue = { line, start, end: start + raw.length, quote, yamlItem: quote === '', wordStart: start };
    return itemEdit(lines, list, name, value, true) ?? 'unwritable';
  }
  // A block value: the lines indented past the key, one pair each.
  const indent = key.length - key.trimStart().length;
  const block: Array<{ line: number; text: string }> = [];
  for (const next of lines.slice(at + 1)) {
    if (next.text.trim() !== '' && next.text.length - next.text.trimStart().length <= indent) break;
    if (next.text.trim() !== '') block.push(next);
  }
  const own = block.find((b) => b.text.trimStart().startsWith(`${name}=`));
  if (own !== undefined) {
    const start = own.text.indexOf('=') + 1;
    const end = own.text.trimEnd().length;
    if (own.text.slice(start, end).includes(',')) return 'unwritable';
    return own.text.slice(start, end) === value ? 'as-is' : { line: own.line, span: { start, end, text: value } };
  }
  const last = block.at(-1);
  if (last === undefined) return 'unwritable';
  const lead = last.text.slice(0, last.text.length - last.text.trimStart().length);
  return { line: last.line, span: { start: last.text.length, end: last.text.length, text: `\n${lead}${name}=${value}` } };
}
