/**
 * @module A Dockerfile, read as text (never built): the final stage's base image, ENV, ENTRYPOINT/CMD as argv,
 * and every RUN line. Follows BuildKit's rules for line continuations, parser directives (`# escape=`),
 * multi-stage builds (`FROM builder` inherits that stage's image config), and ARG substitution in FROM.
 */
import { posix } from 'node:path';
import type { Evidence } from '../model/evidence.ts';
import type { BaseImage, ImageFacts, SourceLine } from '../model/image.ts';
import type { InputError } from '../model/finding.ts';

/** Instructions BuildKit accepts; anything else is an error there, and is reported here. */
const KNOWN_INSTRUCTIONS = new Set([
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER',
  'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
]);

/** Instructions whose line a fix may need to replace. */
const KEPT_LINES = new Set(['FROM', 'CMD', 'ENTRYPOINT', 'ENV']);

/** Docker's default for the shell form of RUN/CMD/ENTRYPOINT on Linux, until a SHELL instruction changes it. */
const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** Registries that mean Docker Hub: `docker.io/library/python` is the same image as `python`. */
const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** One instruction after joining continuation lines. */
interface Instruction {
  keyword: string;
  /** Arguments with continuations joined (and heredoc bodies appended after a newline). */
  args: string;
  /** 1-based line of the instruction's first line. */
  line: number;
  /** The instruction exactly as written, physical lines joined with `\n`. */
  raw: string;
}

interface Argv {
  argv: string[];
  evidence: Evidence;
}

/** A build stage's image config, as inherited by `FROM <stage>`. */
interface Stage {
  index: number;
  name?: string;
  parent?: number;
  base?: BaseImage;
  env: Map<string, { value: string; evidence: Evidence }>;
  args: Map<string, string | undefined>;
  shell: string[];
  entrypoint?: Argv;
  cmd?: Argv;
  /** Whether this stage itself set CMD (ENTRYPOINT resets an inherited CMD only). */
  cmdSetHere: boolean;
  /** `WORKDIR`, resolved against the previous one. */
  workdir: string;
  /** `COPY`/`ADD` from the build context (not `--from`), in order. */
  copies: Array<{ sources: string[]; dest: string; workdir: string }>;
}

/** parseDockerfile reads a Dockerfile's text. Errors name the file and line; parsing carries on past them. */
// eslint-disable-next-line complexity -- one case per Dockerfile instruction, side by side as in BuildKit's own dispatcher; split, the stage state would be threaded through many helpers.
export function parseDockerfile(file: string, text: string): { image: ImageFacts; errors: InputError[] } {
  const errors: InputError[] = [];
  const { instructions, escape } = splitInstructions(text);
  const globalArgs = new Map<string, string | undefined>();
  const stages: Stage[] = [];
  const runs: Array<{ stage: number; text: string; evidence: Evidence }> = [];
  const lines: SourceLine[] = [];
  for (const ins of instructions) {
    const evidence: Evidence = { source: 'Dockerfile', file, line: ins.line, field: ins.keyword, text: ins.raw };
    if (KEPT_LINES.has(ins.keyword)) lines.push({ file, line: ins.line, text: ins.raw });
    if (!KNOWN_INSTRUCTIONS.has(ins.keyword)) {
      errors.push({ file, line: ins.line, message: `unknown instruction ${ins.keyword}` });
      continue;
    }
    const stage = stages.at(-1);
    if (ins.keyword === 'FROM') {
      stages.push(fromInstruction(ins, evidence, stages, globalArgs, escape));
      continue;
    }
    if (stage === undefined) {
      if (ins.keyword === 'ARG') for (const [name, value] of argPairs(ins.args, globalArgs, escape)) globalArgs.set(name, value);
      else errors.push({ file, line: ins.line, message: `${ins.keyword} before the first FROM` });
      continue;
    }
    const lookup = (name: string) => stage.env.get(name)?.value ?? stage.args.get(name);
    switch (ins.keyword) {
      case 'ARG':
        for (const [name, value] of argPairs(ins.args, new Map([...globalArgs, ...stage.args]), escape)) stage.args.set(name, value ?? globalArgs.get(name));
        break;
      case 'ENV':
        for (const [name, value] of envPairs(ins.args, lookup, escape)) stage.env.set(name, { value, evidence: { ...evidence, text: `${name}=${value}` } });
        break;
      case 'SHELL': {
        const argv = jsonArgv(ins.args);
        if (argv === undefined) errors.push({ file, line: ins.line, message: 'SHELL must be a JSON array of strings' });
        else stage.shell = argv;
        break;
      }
      case 'CMD':
        stage.cmd = commandArgv(ins, evidence, stage.shell);
        stage.cmdSetHere = true;
        break;
      case 'ENTRYPOINT':
        stage.entrypoint = commandArgv(ins, evidence, stage.shell);
        // BuildKit: "If CMD is defined from the base image, setting ENTRYPOINT will reset CMD to an empty value."
        if (!stage.cmdSetHere) stage.cmd = undefined;
        break;
      case 'RUN':
        runs.push({ stage: stage.index, text: ins.args, evidence });
        break;
      case 'WORKDIR': {
        const dir = dockerWords(ins.args, lookup, escape)[0];
        if (dir !== undefined) stage.workdir = posix.resolve(stage.workdir, dir);
        break;
      }
      case 'COPY':
      case 'ADD': {
        const copy = contextCopy(ins.args, lookup, escape);
        if (copy !== undefined) stage.copies.push({ ...copy, workdir: stage.workdir });
        break;
      }
    }
  }
  const final = stages.at(-1);
  if (final === undefined) errors.push({ file, message: 'no FROM instruction' });
  const chain = finalChain(stages);
  const image: ImageFacts = {
    file,
    env: final?.env ?? new Map(),
    runs: runs.map((run) => ({ ...run, final: chain.has(run.stage) })),
    lines,
  };
  if (final?.base !== undefined) image.base = final.base;
  if (final?.entrypoint !== undefined) image.entrypoint = final.entrypoint;
  if (final?.cmd !== undefined) image.cmd = final.cmd;
  if (final !== undefined) {
    image.workdir = final.workdir;
    image.copies = [...chain].sort((a, b) => a - b).flatMap((index) => stages[index]?.copies ?? []);
  }
  return { image, errors };
}

/** A `COPY`/`ADD` from the build context: its sources and destination; `undefined` for `--from=` (another stage or image), a URL or a heredoc. */
function contextCopy(args: string, lookup: (name: string) => string | undefined, escape: string): { sources: string[]; dest: string } | undefined {
  const json = args.trimStart().startsWith('[') ? jsonArgv(args) : undefined;
  const words = json ?? dockerWords(args.split('\n')[0] ?? '', lookup, escape);
  if (words.some((w) => w.startsWith('--from'))) return undefined;
  const plain = words.filter((w) => !w.startsWith('--') && !w.startsWith('<<'));
  const dest = plain.at(-1);
  const sources = plain.slice(0, -1).filter((src) => !/^[a-z]+:\/\//i.test(src));
  return dest === undefined || sources.length === 0 ? undefined : { sources, dest };
}

/** finalChain is the set of stages the final image is built on: the last stage and the stages it says `FROM`. */
function finalChain(stages: Stage[]): Set<number> {
  const chain = new Set<number>();
  for (let stage = stages.at(-1); stage !== undefined; stage = stage.parent === undefined ? undefined : stages[stage.parent]) chain.add(stage.index);
  return chain;
}

function fromInstruction(ins: Instruction, evidence: Evidence, stages: Stage[], globalArgs: Map<string, string | undefined>, escape: string): Stage {
  const words = dockerWords(ins.args, (name) => globalArgs.get(name), escape).filter((w) => !w.startsWith('--'));
  const ref = words[0] ?? '';
  const name = words[1]?.toUpperCase() === 'AS' ? words[2]?.toLowerCase() : undefined;
  const stage: Stage = { index: stages.length, env: new Map(), args: new Map(), shell: DEFAULT_SHELL, cmdSetHere: false, workdir: '/', copies: [] };
  if (name !== undefined) stage.name = name;
  const parent = stages.find((s) => s.name !== undefined && s.name === ref.toLowerCase());
  if (parent !== undefined) {
    stage.parent = parent.index;
    if (parent.base !== undefined) stage.base = parent.base;
    stage.env = new Map(parent.env);
    stage.shell = parent.shell;
    if (parent.entrypoint !== undefined) stage.entrypoint = parent.entrypoint;
    if (parent.cmd !== undefined) stage.cmd = parent.cmd;
    stage.workdir = parent.workdir;
  } else if (ref.toLowerCase() !== 'scratch' && ref !== '') {
    stage.base = parseImageRef(ref, { ...evidence, field: 'FROM' });
  }
  return stage;
}

/**
 * parseImageRef splits `registry/repo:tag@digest`. Docker Hub's official images lose their `docker.io/library/`
 * prefix (`python`), so rules can compare repositories; other registries stay in `repository` (`gcr.io/x/y`).
 */
export function parseImageRef(ref: string, evidence: Evidence): BaseImage {
  const at = ref.indexOf('@');
  const digest = at === -1 ? undefined : ref.slice(at + 1);
  let name = at === -1 ? ref : ref.slice(0, at);
  const colon = name.lastIndexOf(':');
  const tag = colon > name.lastIndexOf('/') ? name.slice(colon + 1) : undefined;
  if (tag !== undefined) name = name.slice(0, colon);
  const parts = name.split('/');
  const first = parts[0] as string;
  const hasRegistry = parts.length > 1 && (/[.:]/.test(first) || first === 'localhost');
  let repository = name;
  if (hasRegistry && DOCKER_HUB.has(first)) repository = parts.slice(1).join('/');
  if (!hasRegistry || DOCKER_HUB.has(first)) repository = repository.replace(/^library\//, '');
  const base: BaseImage = { ref, repository, evidence };
  if (tag !== undefined) base.tag = tag;
  if (digest !== undefined) base.digest = digest;
  return base;
}

/**
 * commandArgv reads CMD/ENTRYPOINT: the exec form is a JSON array; anything else is the shell form, run as
 * `[...SHELL, text]`. Like Docker, a bracketed text that is not valid JSON (`['gunicorn', 'app:app']`, single
 * quotes) is the shell form: the file is valid, and the container fails when it starts.
 */
function commandArgv(ins: Instruction, evidence: Evidence, shell: string[]): Argv {
  const exec = jsonArgv(ins.args);
  return exec !== undefined ? { argv: exec, evidence } : { argv: [...shell, ins.args.trim()], evidence };
}

function jsonArgv(args: string): string[] | undefined {
  const trimmed = args.trim();
  if (!trimmed.startsWith('[')) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;
  } catch {
    return undefined;
  }
}

/** argPairs reads `ARG NAME[=default] ...`; defaults may use earlier ARGs. */
function argPairs(args: string, known: Map<string, string | undefined>, escape: string): Array<[string, string | undefined]> {
  return dockerWords(args, (name) => known.get(name), escape).map((word) => {
    const eq = word.indexOf('=');
    return eq === -1 ? [word, undefined] : [word.slice(0, eq), word.slice(eq + 1)];
  });
}

/** envPairs reads `ENV A=1 B="two words"` and the legacy `ENV A rest of line`. */
function envPairs(args: string, lookup: (name: string) => string | undefined, escape: string): Array<[string, string]> {
  const legacy = /^([^\s=]+)\s+(.*)$/s.exec(args.trim());
  if (legacy !== null) return [[legacy[1] as string, dockerWords(legacy[2] as string, lookup, escape).join(' ')]];
  return dockerWords(args, lookup, escape).flatMap((word): Array<[string, string]> => {
    const eq = word.indexOf('=');
    return eq === -1 ? [] : [[word.slice(0, eq), word.slice(eq + 1)]];
  });
}

/**
 * dockerWords splits instruction arguments as BuildKit's `shell.Lex` does for FROM, ARG and ENV: quotes, the
 * escape character, and `$VAR` / `${VAR}` / `${VAR:-default}` / `${VAR:+alt}` expansion. It is not shell word
 * splitting (no operators, globs or comments: `ENV A=x;y#z` is one word), which is why shell-quote does not fit.
 * A variable with no known value stays as written (`$PATH` from a base image), since its value is not in the file.
 */
export function dockerWords(text: string, lookup: (name: string) => string | undefined, escape = '\\'): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else word += ch;
      continue;
    }
    if (ch === escape && i + 1 < text.length) {
      const next = text[i + 1] as string;
      if (quote === '"' && next !== '"' && next !== '$' && next !== escape) word += ch;
      word += next;
      inWord = true;
      i++;
      continue;
    }
    if (ch === '$') {
      const expanded = expandAt(text, i, lookup);
      if (expanded !== undefined) {
        word += expanded.value;
        inWord = true;
        i = expanded.end - 1;
        continue;
      }
    }
    if (quote === '"') {
      if (ch === '"') quote = undefined;
      else word += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

const VARIABLE = /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/y;

function expandAt(text: string, at: number, lookup: (name: string) => string | undefined): { value: string; end: number } | undefined {
  VARIABLE.lastIndex = at;
  const match = VARIABLE.exec(text);
  if (match === null) return undefined;
  const name = (match[1] ?? match[4]) as string;
  const value = lookup(name);
  const end = at + match[0].length;
  if (match[2] === '-') return { value: value !== undefined && value !== '' ? value : (match[3] as string), end };
  if (match[2] === '+') return { value: value !== undefined && value !== '' ? (match[3] as string) : '', end };
  return { value: value ?? match[0], end };
}

// ---- physical lines → instructions ----

const DIRECTIVE = /^#\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(.*?)\s*$/;
const HEREDOC = /<<(-?)\s*(["']?)([A-Za-z_][A-Za-z0-9_.-]*)\2/g;
const HEREDOC_INSTRUCTIONS = new Set(['RUN', 'COPY', 'ADD']);

/** BuildKit skips comment and blank lines inside a continued instruction. */
function isEmptyContinuationLine(line: string): boolean {
  const trimmed = line.trimStart();
  return trimmed === '' || trimmed.startsWith('#');
}

/**
 * splitInstructions joins continuation lines (a line ending in the escape character), drops comments (also
 * inside a continued instruction, as BuildKit does), reads parser directives at the top (`# escape=`), and
 * consumes heredoc bodies (`RUN <<EOF ... EOF`) so their lines are not read as instructions.
 */
// eslint-disable-next-line complexity -- a tokeniser: escape, comment, directive and heredoc cases read best in one loop over the lines.
function splitInstructions(text: string): { instructions: Instruction[]; escape: string } {
  const physical = text.split(/\r?\n/);
  let escape = '\\';
  let i = 0;
  for (; i < physical.length; i++) {
    const directive = DIRECTIVE.exec(physical[i] as string);
    if (directive === null) break;
    if ((directive[1] as string).toLowerCase() === 'escape' && (directive[2] === '`' || directive[2] === '\\')) escape = directive[2];
  }
  const continuation = new RegExp(`${escape === '\\' ? '\\\\' : '`'}[ \\t]*$`);
  const instructions: Instruction[] = [];
  while (i < physical.length) {
    const first = physical[i] as string;
    if (first.trim() === '' || first.trimStart().startsWith('#')) {
      i++;
      continue;
    }
    const start = i;
    let joined = '';
    let line = first;
    for (;;) {
      if (!continuation.test(line)) {
        joined += line;
        break;
      }
      joined += line.replace(continuation, '');
      i++;
      while (i < physical.length && isEmptyContinuationLine(physical[i] as string)) i++;
      if (i >= physical.length) break;
      line = physical[i] as string;
    }
    const raw = physical.slice(start, Math.min(i, physical.length - 1) + 1).join('\n');
    i++;
    const match = /^\s*(\S+)\s*(.*)$/s.exec(joined);
    const keyword = (match?.[1] ?? '').toUpperCase();
    let args = match?.[2] ?? '';
    const heredocs = HEREDOC_INSTRUCTIONS.has(keyword) ? [...args.matchAll(HEREDOC)] : [];
    for (const heredoc of heredocs) {
      const body: string[] = [];
      const stripTabs = heredoc[1] === '-';
      while (i < physical.length) {
        const bodyLine = physical[i++] as string;
        if ((stripTabs ? bodyLine.replace(/^\t+/, '') : bodyLine) === heredoc[3]) break;
        body.push(bodyLine);
      }
      args += `\n${body.join('\n')}`;
    }
    instructions.push({ keyword, args, line: start + 1, raw });
  }
  return { instructions, escape };
}
