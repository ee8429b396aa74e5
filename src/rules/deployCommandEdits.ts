/**
 * @module Line edits that make a `gcloud run deploy` command (see `parse/gcloudRunDeploy.ts`) set flags: a flag it
 * writes gets its value replaced where it is written (`--concurrency=80` → `--concurrency=8`, `THREADS=4` inside
 * `--update-env-vars=...`); a flag it leaves out is added after `deploy` (a new list item in a Cloud Build `args:`
 * list, a word in shell text, a word of the deploy-cloudrun action's `flags:` input). What cannot be placed is
 * returned as a note naming the command's file and line. Pure.
 */
import type { SourceEdit } from '../model/finding.ts';
import type { RunDeployCommand } from '../parse/gcloudRunDeploy.ts';

/** A gcloud flag to set: `--concurrency` with `8`, `--update-env-vars` with `THREADS=4`, `--no-cpu-throttling` alone. */
export interface DeployFlagChange {
  name: string;
  value?: string;
}

/** The edits that make `deploy` set each flag, one per changed line, and a note for each flag no edit places. */
export function deployCommandEdits(deploy: RunDeployCommand, changes: readonly DeployFlagChange[]): { edits: SourceEdit[]; notes: string[] } {
  const original = new Map((deploy.lines ?? []).map(({ line, text }) => [line, text]));
  const current = new Map(original);
  const notes: string[] = [];
  for (const change of changes) {
    const written = flagText(change);
    // A flag written where its value cannot be replaced (`- --concurrency` with the value on the next item) is not added twice.
    const writtenElsewhere = [...original.values()].some((text) => new RegExp(`(?<![\\w-])${escape(change.name.replace(/^--no-/, '--'))}(?![\\w-])`).test(text));
    if (!replaceWritten(current, change) && (writtenElsewhere || !insertFlag(current, original, written))) {
      notes.push(`add \`${written}\` to the \`gcloud run deploy\` command at ${deploy.file}${deploy.line === undefined ? '' : `:${deploy.line}`}`);
    }
  }
  const edits: SourceEdit[] = [];
  for (const [line, text] of current) {
    const before = original.get(line) as string;
    if (text !== before) edits.push({ file: deploy.file, line, before, after: text });
  }
  return { edits, notes };
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

/** Where the command writes the flag (or, for an env var, the variable in an env-vars flag), its value is replaced. */
function replaceWritten(lines: Map<number, string>, change: DeployFlagChange): boolean {
  const { name, value } = change;
  for (const [line, text] of lines) {
    let next: string | undefined;
    if (value === undefined) {
      const base = name.replace(/^--no-/, '--');
      const negated = `--no-${base.slice(2)}`;
      const pattern = new RegExp(`(?<![\\w-])(?:${escape(base)}|${escape(negated)})(?![\\w=-])`);
      if (pattern.test(text)) next = text.replace(pattern, name);
    } else if (name === '--update-env-vars') {
      const variable = value.slice(0, value.indexOf('='));
      const pattern = new RegExp(`(?<=^|[\\s=,'"^])${escape(variable)}=[^,\\s'"\\]]*`);
      if (/-env-vars/.test(text) && pattern.test(text) && /^[\w@%+=:./-]*$/.test(value)) next = text.replace(pattern, value);
    } else {
      const pattern = new RegExp(`(?<![\\w-])(${escape(name)})(=|\\s+)([^\\s'",\\]\\\\]+)`);
      if (pattern.test(text)) next = text.replace(pattern, (_, flag: string, separator: string) => `${flag}${separator}${value}`);
    }
    if (next !== undefined && next !== text) {
      lines.set(line, next);
      return true;
    }
    if (next !== undefined) return true;
  }
  return false;
}

/** Adds the flag after `deploy`: as the next item of a YAML block list, a word after it in a flow list or shell text, or in the action's `flags:`. */
function insertFlag(lines: Map<number, string>, original: ReadonlyMap<number, string>, written: string): boolean {
  for (const [line, text] of original) {
    const now = lines.get(line) as string;
    const item = /^(\s*)-\s+(['"]?)deploy\2\s*$/.exec(text);
    if (item !== null) {
      lines.set(line, `${now}\n${item[1] as string}- ${SAFE.test(written) ? written : JSON.stringify(written)}`);
      return true;
    }
    const flow = /(['"])deploy\1(\s*),/.exec(now);
    if (flow !== null) {
      const quoted = flow[1] === '"' ? JSON.stringify(written) : `'${written.replaceAll("'", "''")}'`;
      lines.set(line, now.replace(flow[0], `${flow[0]} ${quoted},`));
      return true;
    }
    // After `run deploy` and the service name when it follows.
    const shell = /\brun\s+deploy\b(?:\s+(?!-)[^\s\\;&|]+)?/;
    if (shell.test(now)) {
      const word = SAFE.test(written) ? written : `'${written.replaceAll("'", `'"'"'`)}'`;
      lines.set(line, now.replace(shell, (words) => `${words} ${word}`));
      return true;
    }
    const flags = /^(\s*flags:\s*)(['"]?)(.*?)\2\s*$/.exec(now);
    // The action splits `flags` itself: a flag that needs quoting is left to a note.
    if (flags !== null && !/^[|>]/.test(flags[3] as string) && SAFE.test(written)) {
      const quote = flags[2] as string;
      lines.set(line, `${flags[1] as string}${quote === '' ? "'" : quote}${[flags[3], written].filter((w) => w !== '').join(' ')}${quote === '' ? "'" : quote}`);
      return true;
    }
  }
  return false;
}
