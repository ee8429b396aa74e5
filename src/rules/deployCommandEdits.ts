/**
 * @module Line edits that make a `gcloud run deploy` command (see `parse/gcloudRunDeploy.ts`) set flags: a flag it
 * writes gets its value replaced where it is written (`--concurrency=80` → `--concurrency=8`, `THREADS=4` inside
 * `--update-env-vars=...`); a flag it leaves out is added after `deploy` (a new list item in a Cloud Build `args:`
 * list, a word in shell text, a word of the deploy-cloudrun action's `flags:` input). What cannot be placed is
 * returned as a note naming the command's file and line. Pure.
 */
import type { TextSpan } from '../model/change.ts';
import { applyUnorderedSpans } from '../model/change.ts';
import type { EnvVarNote, FlagWrite, SourceEdit } from '../model/finding.ts';
import type { RunDeployCommand } from '../parse/gcloudRunDeploy.ts';
import { deployCommandName } from '../parse/gcloudRunDeploy.ts';
import { envListPlacement } from './deployEnvLists.ts';

/** A gcloud flag to set: `--concurrency` with `8`, `--update-env-vars` with `THREADS=4`, `--no-cpu-throttling` alone. */
export interface DeployFlagChange {
  name: string;
  value?: string;
}

/** A flag placed on one line of the command: the span of the line as read that it writes. */
type Placed = { line: number; span: TextSpan };

/** What `deployCommandEdits` makes: the edits, the notes for what no edit places, and which of those notes are about an env var. */
export interface DeployEdits {
  edits: SourceEdit[];
  notes: string[];
  envVarNotes: EnvVarNote[];
}

/**
 * The edits that make `deploy` set each flag, one per changed line, each with its flags' spans of the line as read
 * (so the solver can write several findings' flags in one edit of the line), and a note for each flag no edit places.
 */
export function deployCommandEdits(deploy: RunDeployCommand, changes: readonly DeployFlagChange[]): DeployEdits {
  const original = new Map((deploy.lines ?? []).map(({ line, text }) => [line, text]));
  const byLine = new Map<number, FlagWrite[]>();
  const notes: string[] = [];
  const envVarNotes: EnvVarNote[] = [];
  const note = (text: string, envVar: string | undefined) => {
    notes.push(text);
    if (envVar !== undefined) envVarNotes.push({ envVar, text });
  };
  for (const change of changes) {
    const written = flagText(change);
    // A flag written where its value cannot be replaced (`- --concurrency` with the value on the next item) is not added twice.
    const writtenElsewhere = [...original.values()].some((text) => new RegExp(`(?<![\\w-])${escape(change.name.replace(/^--no-/, '--'))}(?![\\w-])`).test(text));
    const envVar = envVarOf(change);
    const inList = envVar === undefined ? { kind: 'none' as const } : envListPlacement(deploy.lines ?? [], envVar, change.value!.slice(envVar.length + 1));
    if (inList.kind === 'exclusive') {
      note(exclusiveNote(deploy, inList, change.value!), envVar);
      continue;
    }
    const replaced = inList.kind === 'edit' ? inList.edit : replaceWritten(original, change);
    if (replaced === 'as-is') continue;
    const placed = replaced ?? (writtenElsewhere ? undefined : insertFlag(original, written));
    if (placed === undefined) {
      note(addNote(deploy, change, written, envVar !== undefined), envVar);
      continue;
    }
    const flag = { flag: change.name.replace(/^--no-/, '--'), span: placed.span };
    byLine.set(placed.line, [...(byLine.get(placed.line) ?? []), envVar === undefined ? flag : { ...flag, envVar }]);
  }
  const edits: SourceEdit[] = [];
  for (const [line, before] of original) {
    const flags = byLine.get(line);
    const after = flags === undefined ? undefined : applyUnorderedSpans(before, flags.map((f) => f.span));
    if (flags !== undefined && after !== undefined && after !== before) edits.push({ file: deploy.file, line, before, after, flags });
  }
  return { edits, notes, envVarNotes };
}

/**
 * `edits` (one finding's) with `change` in place of what they wrote for its flag: a value the solver changed after the
 * rule (containerConcurrency following the workers another finding sets) is written to the command, not to an object
 * no file holds.
 */
export function withDeployFlag(edits: readonly SourceEdit[], deploy: RunDeployCommand, change: DeployFlagChange): DeployEdits {
  const flag = change.name.replace(/^--no-/, '--');
  const placed = deployCommandEdits(deploy, [change]);
  const added = placed.edits[0];
  const out: SourceEdit[] = [];
  const lines = new Set((deploy.lines ?? []).map(({ line }) => line));
  for (const edit of edits) {
    // Another command's edit, in this file or another (a deploy and an update of one service in one script), stays.
    if (edit.flags === undefined || edit.file !== deploy.file || !lines.has(edit.line)) {
      out.push(edit);
      continue;
    }
    const flags = [...edit.flags.filter((f) => f.flag !== flag), ...(added?.line === edit.line ? (added.flags ?? []) : [])];
    const after = applyUnorderedSpans(edit.before, flags.map((f) => f.span));
    if (after !== undefined && flags.length > 0) out.push({ ...edit, after, flags });
  }
  if (added !== undefined && !out.some((e) => e.file === added.file && e.line === added.line)) out.push(added);
  return { edits: out, notes: placed.notes, envVarNotes: placed.envVarNotes };
}

/**
 * The command of a service that a change is written in, of its deploy command and the `gcloud run services update`
 * commands that run after it: the last that writes the flag, as the last one run decides the value (for an env var,
 * the last that sets the var or replaces the env list: `--set-env-vars`, `--clear-env-vars` and `--env-vars-file` drop
 * a var written before them); else the deploy command, which creates the service.
 */
export function serviceCommandFor(deploy: RunDeployCommand, updates: readonly RunDeployCommand[], change: DeployFlagChange): RunDeployCommand {
  const commands = [deploy, ...updates].reverse();
  const text = (command: RunDeployCommand) => (command.lines ?? []).map(({ text: line }) => line).join('\n');
  const envVar = envVarOf(change);
  if (envVar === undefined) {
    const flag = new RegExp(`(?<![\\w-])(?:${escape(change.name.replace(/^--no-/, '--'))}|${escape(change.name.replace(/^--(?:no-)?/, '--no-'))})(?![\\w-])`);
    return commands.find((command) => flag.test(text(command))) ?? deploy;
  }
  const replacesEnv = /(?<![\w-])--(?:set-env-vars|clear-env-vars|env-vars-file)(?![\w-])/;
  return commands.find((command) => command.settings.env.some((entry) => entry.name === envVar) || replacesEnv.test(text(command))) ?? deploy;
}

/** What to add by hand: a flag to the command, or to the deploy-cloudrun step's input that takes it. */
function addNote(deploy: RunDeployCommand, change: DeployFlagChange, written: string, envVar: boolean): string {
  if (!isAction(deploy)) return `add \`${written}\` to the \`${deployCommandName(deploy)}\` command at ${commandAt(deploy)}`;
  return envVar ? `add \`${change.value}\` to the \`env_vars:\` input of the deploy-cloudrun step at ${commandAt(deploy)}` : `add \`${written}\` to the \`flags:\` input of the deploy-cloudrun step at ${commandAt(deploy)}`;
}

/** The command is the one the deploy-cloudrun action runs for its step's inputs (`with:`). */
function isAction(deploy: RunDeployCommand): boolean {
  return deploy.field.endsWith('.with');
}

/** The env var an `--update-env-vars`/`--set-env-vars` change writes (`NAME=value`); undefined for any other flag. */
function envVarOf(change: DeployFlagChange): string | undefined {
  return change.name.endsWith('-env-vars') && change.value !== undefined ? change.value.slice(0, change.value.indexOf('=')) : undefined;
}

function commandAt(deploy: RunDeployCommand): string {
  return `${deploy.file}${deploy.line === undefined ? '' : `:${deploy.line}`}`;
}

/** What to do by hand when the command's env list or file cannot take the var, and `--update-env-vars` may not join it. */
function exclusiveNote(deploy: RunDeployCommand, placement: { flag: string; note?: string }, item: string): string {
  const name = item.slice(0, item.indexOf('='));
  const value = item.slice(name.length + 1);
  if (placement.flag === 'env_vars') return `set ${name} to \`${value}\` in the \`env_vars:\` input of the deploy-cloudrun step at ${commandAt(deploy)} (pytuner cannot write this value in the input as it is written)`;
  const why = `gcloud takes no --update-env-vars beside ${placement.flag}`;
  if (placement.flag === '--clear-env-vars') return `replace --clear-env-vars with \`${flagText({ name: '--set-env-vars', value: item })}\` in the \`${deployCommandName(deploy)}\` command at ${commandAt(deploy)} (${why})`;
  if (placement.note !== undefined) return `set ${name} to \`${value}\` in ${placement.note}, the --env-vars-file of the \`${deployCommandName(deploy)}\` command at ${commandAt(deploy)} (${why}; pytuner does not read that file, so keep what it already has in the value)`;
  return `set ${name} to \`${value}\` in the ${placement.flag} list of the \`${deployCommandName(deploy)}\` command at ${commandAt(deploy)} (${why}; pytuner cannot write this value in the list as it is written)`;
}

/** The flag as one argv word; an env-vars value holding a comma gets gcloud's alternate delimiter (`^@^K=a,b`). */
function flagText(change: DeployFlagChange): string {
  const { name, value } = change;
  if (value === undefined) return name;
  if (!name.endsWith('-env-vars') || !value.includes(',')) return `${name}=${value}`;
  const delimiter = ['@', ';', '|', '#', '~'].find((d) => !value.includes(d)) ?? '\u0001';
  return `${name}=^${delimiter}^${value}`;
}

/** Text that needs no quoting in a shell word, a YAML plain scalar or a flags input. */
const SAFE = /^[\w@%+=:,./^-]*$/;

function escape(text: string): string {
  return text.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Where the command writes the flag (or, for an env var, the variable in an env-vars flag), the span that replaces its
 * value; `as-is` when it is written with that value already.
 */
function replaceWritten(lines: ReadonlyMap<number, string>, change: DeployFlagChange): Placed | 'as-is' | undefined {
  const { name, value } = change;
  // An env var is written in the command's env list (`envListPlacement`), or added as a flag of its own.
  if (name === '--update-env-vars') return undefined;
  for (const [line, text] of lines) {
    let span: TextSpan | undefined;
    if (value === undefined) {
      const base = name.replace(/^--no-/, '--');
      const negated = `--no-${base.slice(2)}`;
      const found = new RegExp(`(?<![\\w-])(?:${escape(base)}|${escape(negated)})(?![\\w=-])`).exec(text);
      if (found !== null) span = { start: found.index, end: found.index + found[0].length, text: name };
    } else {
      const found = new RegExp(`(?<![\\w-])(${escape(name)})(=|\\s+)([^\\s'",\\]\\\\]+)`).exec(text);
      if (found !== null) {
        const start = found.index + (found[1] as string).length + (found[2] as string).length;
        span = { start, end: found.index + found[0].length, text: value };
      }
    }
    if (span !== undefined) return text.slice(span.start, span.end) === span.text ? 'as-is' : { line, span };
  }
  return undefined;
}

/** Where the flag goes after `deploy`: the next item of a YAML block list, a word after it in a flow list or shell text, or in the action's `flags:`. */
function insertFlag(lines: ReadonlyMap<number, string>, written: string): Placed | undefined {
  const at = (line: number, start: number, text: string): Placed => ({ line, span: { start, end: start, text } });
  for (const [line, text] of lines) {
    const item = /^(\s*)-\s+(['"]?)(?:deploy|update)\2\s*$/.exec(text);
    if (item !== null) return at(line, text.length, `\n${item[1] as string}- ${SAFE.test(written) ? written : JSON.stringify(written)}`);
    const flow = /(['"])(?:deploy|update)\1(\s*),/.exec(text);
    if (flow !== null) {
      const quoted = flow[1] === '"' ? JSON.stringify(written) : `'${written.replaceAll("'", "''")}'`;
      return at(line, flow.index + flow[0].length, ` ${quoted},`);
    }
    // After `run deploy` (`run services update`) and the service name when it follows.
    const shell = /\brun\s+(?:deploy|services\s+update)\b(?:\s+(?!-)[^\s\\;&|]+)?/.exec(text);
    if (shell !== null) return at(line, shell.index + shell[0].length, ` ${SAFE.test(written) ? written : `'${written.replaceAll("'", `'"'"'`)}'`}`);
    const flags = /^(\s*flags:\s*)(['"]?)(.*?)\2\s*$/.exec(text);
    // The action splits `flags` itself: a flag that needs quoting is left to a note. The words go at the end of the
    // value, each with a space before it (so that several written at one place stay apart), inside its quotes if any.
    if (flags !== null && !/^[|>]/.test(flags[3] as string) && SAFE.test(written)) {
      const [, key, quote, value] = flags as unknown as [string, string, string, string];
      return at(line, key.length + quote.length + value.length, ` ${written}`);
    }
  }
  return undefined;
}
