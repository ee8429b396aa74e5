/**
 * @module Finding the Python server in a container's command line: through `sh -c` scripts, `exec`, `env`,
 * init processes (tini, dumb-init), `python -m`, project runners (poetry, pipenv, uv, pdm) and APM wrappers
 * (newrelic-admin, ddtrace-run, opentelemetry-instrument). A command line is data here: nothing is run.
 */
import type { Evidence } from '../evidence.ts';
import type { ServerKind } from '../server.ts';
import { located } from './options.ts';
import type { ShellScript } from './shell.ts';
import { shellScript } from './shell.ts';
import type { Scope, ScopeVar, Word } from './words.ts';
import { displayWord, dropLeading, expandedText, leadingText, resolveWord } from './words.ts';

/** The server command found in a command line, with the variables its words expand against. */
export interface ServerInvocation {
  kind: ServerKind;
  /**
   * `server` when the server's own program or module was run; `program subcommand` for a launcher that starts it
   * (`fastapi run` starts uvicorn with its own defaults: host 0.0.0.0, port from `$PORT`).
   */
  launcher: string;
  /** The command from the program word on (`python -m gunicorn ...`, `gunicorn ...`). */
  command: Word[];
  /** The words the server parses (after `gunicorn`, `-m uvicorn`, `fastapi run`). */
  args: Word[];
  /** Variables at the point the server starts; exported ones are its environment. */
  scope: Scope;
  /** Files a script sourced before starting the server (`. ./env.sh`): they may set its environment. */
  unread: Evidence[];
  /** Where the server's command was read: the command line given, or a build-context script it runs. */
  evidence: Evidence;
  /** Config files the server names, from the build context when pytuner read them. */
  readFile?: (pathInImage: string) => { file: string; text: string } | undefined;
}

/** Which programs, `python -m` modules and `program subcommand` pairs start which server (built from the plug-ins). */
export interface ServerTable {
  programs: ReadonlyMap<string, ServerKind>;
  modules: ReadonlyMap<string, ServerKind>;
  /** program → its subcommands that start a server, and the program's own options before the subcommand that take a value. */
  subcommands: ReadonlyMap<string, { servers: ReadonlyMap<string, ServerKind>; valued: ReadonlySet<string> }>;
  /** Files of the image pytuner read from the build context, by the path the command names them with (`./start.sh`). */
  /** Several when the path starts several (s6-overlay's `/init` runs every service's `run`). */
  scripts?: (pathInImage: string) => ContextScript | readonly ContextScript[] | undefined;
  /** Build-context files by the path the command names them with, for config files a server reads (`uwsgi --ini`). */
  files?: (pathInImage: string) => { file: string; text: string } | undefined;
}

/**
 * A file the command runs, read from the build context: a shell script (its text, run for its effect and its last
 * server command), or a Python file whose launch call (`app.run(...)`) is given as the equivalent shell command.
 */
export interface ContextScript {
  kind: 'shell' | 'python';
  /** Shell text: the script, or the command equivalent to the Python launch call. */
  text: string;
  /** Where it was read: the script file, or the launch call's line. */
  evidence: Evidence;
}

interface Context {
  table: ServerTable;
  evidence: Evidence;
  depth: number;
  unread: Evidence[];
}

/** The server's command as ServerConfig reports it: from the program word on, variables expanded where known. */
export function serverArgv(server: ServerInvocation): string[] {
  return server.command.map((w) => expandedText(w, server.scope));
}

type Step = { next: number } | { found: ServerInvocation | undefined };

// `sh -c "bash -c '...'"` nests; real command lines stop at two or three levels.
const MAX_DEPTH = 8;

const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh']);
/** The name of a Python interpreter program: `python`, `python3.12`, `pypy3`. */
export const PYTHON = /^(python|pypy)(\d+(\.\d+)?)?$/;
const ENTRYPOINT_SCRIPT = /\.sh$|^(docker-)?entrypoint$/;
const WAIT_FOR = /^wait-for(-it)?(\.sh)?$/;
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=/;
const SCRIPT_OPERATORS = new Set(['&&', '||', ';', '|', '&']);

/** Programs that run the rest of their argv after their own options, with the options that take a value (`tini -e 143 --`). */
const WRAPPERS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['tini', new Set(['-p', '-e'])],
  ['tini-static', new Set(['-p', '-e'])],
  ['dumb-init', new Set(['-r', '--rewrite'])],
  ['catatonit', new Set<string>()],
  ['ddtrace-run', new Set<string>()],
  // s6-overlay run scripts: `#!/command/with-contenv sh`, `s6-setuidgid app gunicorn ...`.
  ['with-contenv', new Set<string>()],
  ['s6-envdir', new Set<string>()],
]);

/** Project runners: the subcommand that runs a program, and their options that take a value. */
const RUNNERS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['poetry', new Set(['-C', '--directory', '-P', '--project'])],
  ['pipenv', new Set<string>()],
  ['pdm', new Set(['-p', '--project'])],
  [
    'uv',
    new Set([
      '--with', '-w', '--with-editable', '--with-requirements', '--python', '-p', '--env-file', '--project', '--directory',
      '--package', '--extra', '--group', '--only-group', '--no-group', '--index', '--default-index', '--index-url', '-i',
      '--extra-index-url', '--find-links', '-f', '--config-file', '--cache-dir', '--color', '--index-strategy',
      '--keyring-provider', '--resolution', '--prerelease', '--exclude-newer', '--link-mode', '--python-platform',
      '--config-setting', '-C',
    ]),
  ],
]);

/** `uv`, `poetry`, `pipenv`, `pdm` (as a path or a name): a runner whose `run` starts a program. */
export function isProjectRunner(program: string): boolean {
  return RUNNERS.has(basename(program));
}

/**
 * The server started by a command line, or undefined when it starts none pytuner knows (nginx, `python app.py`,
 * `flask run`), or when which one runs depends on the state at run time (an `if` with a server in each branch).
 */
export function findServer(words: readonly Word[], scope: Scope, evidence: Evidence, table: ServerTable): ServerInvocation | undefined {
  const ctx: Context = { table, evidence, depth: 0, unread: [] };
  // A Procfile entry split into words keeps its operators as words: `migrate && gunicorn app`.
  if (evidence.source === 'Procfile' && words.some(isOperatorWord)) return runScript(scriptOfWords(words), scope, ctx);
  return unwrap(words, scope, ctx);
}

function unwrap(words: readonly Word[], outer: Scope, ctx: Context): ServerInvocation | undefined {
  if (ctx.depth > MAX_DEPTH) return undefined;
  const scope = new Map(outer);
  let i = 0;
  while (i < words.length) {
    i = assignmentPrefix(words, i, scope, ctx);
    const word = words[i];
    const program = word === undefined ? undefined : resolveWord(word, scope).text;
    if (program === undefined) return undefined;
    const fromScript = contextScript(program, scope, ctx);
    if (fromScript !== undefined) return fromScript;
    const step = programStep(basename(program), words, i, scope, ctx);
    if ('found' in step) return step.found;
    if (step.next <= i) return undefined;
    i = step.next;
  }
  return undefined;
}

function programStep(name: string, words: readonly Word[], i: number, scope: Map<string, ScopeVar>, ctx: Context): Step {
  const kind = ctx.table.programs.get(name);
  if (kind !== undefined) return { found: invocation(kind, 'server', words, i, i + 1, scope, ctx) };
  if (ctx.table.subcommands.has(name)) return { found: launcher(name, words, i, i + 1, scope, ctx) };
  if (PYTHON.test(name)) return { found: python(words, i, i + 1, scope, ctx) };
  if (SHELLS.has(name)) return { found: shell(words, i + 1, scope, ctx) };
  if (name === 'exec') return { next: skipOptions(words, i + 1, scope, new Set(['-a'])) };
  if (name === 'env') return { next: envCommand(words, i + 1, scope, ctx) };
  if (name === 'busybox') return { next: i + 1 };
  if (name === 'gosu' || name === 'su-exec' || name === 's6-setuidgid') return { next: i + 2 };
  // `doppler run [options] -- command`: secrets injected as env, then the command.
  if (name === 'doppler' && textAt(words, i + 1, scope) === 'run') return { next: afterDoubleDash(words, i + 2, scope) };
  const wrapperValues = WRAPPERS.get(name);
  if (wrapperValues !== undefined) return { next: skipOptions(words, i + 1, scope, wrapperValues) };
  const runnerValues = RUNNERS.get(name);
  if (runnerValues !== undefined) return runner(words, i + 1, scope, runnerValues, ctx);
  if (name === 'opentelemetry-instrument') return { next: skipOtelOptions(words, i + 1, scope) };
  if (name === 'newrelic-admin') return newrelic(words, i + 1, scope, ctx);
  // `wait-for-it.sh db:5432 -- gunicorn ...` runs the command after `--` once the port answers.
  if (WAIT_FOR.test(name)) return { next: afterDoubleDash(words, i + 1, scope) };
  // `ENTRYPOINT ["/docker-entrypoint.sh"]` with `CMD ["gunicorn", ...]`: such scripts end in `exec "$@"`.
  if (ENTRYPOINT_SCRIPT.test(name) && i + 1 < words.length) return { next: i + 1 };
  return { found: undefined };
}

function invocation(
  kind: ServerKind,
  launcher: ServerInvocation['launcher'],
  words: readonly Word[],
  from: number,
  argsFrom: number,
  scope: Scope,
  ctx: Context,
): ServerInvocation {
  const found: ServerInvocation = { kind, launcher, command: words.slice(from), args: words.slice(argsFrom), scope, unread: [...ctx.unread], evidence: ctx.evidence };
  if (ctx.table.files !== undefined) found.readFile = ctx.table.files;
  return found;
}

/** `fastapi run`, `litestar run`: a program whose subcommand starts a server; other subcommands start none. */
function launcher(program: string, words: readonly Word[], from: number, start: number, scope: Scope, ctx: Context): ServerInvocation | undefined {
  const entry = ctx.table.subcommands.get(program);
  if (entry === undefined) return undefined;
  // The program's own options come first: `flask --app main --debug run`.
  let sub = start;
  for (let text = textAt(words, sub, scope); text?.startsWith('-') === true; text = textAt(words, sub, scope)) sub += entry.valued.has(text) ? 2 : 1;
  const subcommand = textAt(words, sub, scope);
  const kind = subcommand === undefined ? undefined : entry.servers.get(subcommand);
  return kind === undefined ? undefined : invocation(kind, `${program} ${subcommand}`, words, from, sub + 1, scope, ctx);
}

/**
 * `python [options] -m gunicorn ...` or `python [options] /path/to/gunicorn ...`. Options are read as CPython does:
 * `-c` and `-m` end them, `-W` and `-X` take a value, letters may be grouped (`-um gunicorn`).
 */
function python(words: readonly Word[], from: number, start: number, scope: Scope, ctx: Context): ServerInvocation | undefined {
  for (let j = start; j < words.length; j++) {
    const text = textAt(words, j, scope);
    if (text === undefined || text === '-') return undefined;
    if (text.startsWith('--')) continue;
    if (!text.startsWith('-')) return script(words, from, j, scope, ctx);
    for (let k = 1; k < text.length; k++) {
      const letter = text.charAt(k);
      if (!'cmWX'.includes(letter)) continue;
      const attached = text.slice(k + 1);
      const argAt = attached === '' ? j + 1 : j;
      const arg = attached === '' ? textAt(words, j + 1, scope) : attached;
      if (letter === 'c' || arg === undefined) return undefined;
      if (letter === 'm') return pythonModule(arg, words, from, argAt + 1, scope, ctx);
      j = argAt;
      break;
    }
  }
  return undefined;
}

function pythonModule(
  module: string,
  words: readonly Word[],
  from: number,
  argsFrom: number,
  scope: Scope,
  ctx: Context,
): ServerInvocation | undefined {
  if (ctx.table.subcommands.has(module)) return launcher(module, words, from, argsFrom, scope, ctx);
  const kind = ctx.table.modules.get(module);
  return kind === undefined ? undefined : invocation(kind, 'server', words, from, argsFrom, scope, ctx);
}

/**
 * A file from the build context that the command runs (`./start.sh`, `python app.py`, `uv run server.py`): the server
 * its script (or Python launch call) starts, or undefined to read the command on as it is.
 */
function contextScript(path: string, scope: Scope, ctx: Context): ServerInvocation | undefined {
  // A directory (`python .`, `uv run .`) runs its `__main__.py`.
  const found = ctx.table.scripts?.(path === '.' ? './__main__.py' : path);
  if (found === undefined || ctx.depth > MAX_DEPTH) return undefined;
  const run = (one: ContextScript): ServerInvocation | undefined => {
    const script = shellScript(one.text.replace(/^#![^\n]*\n/, ''));
    return script === undefined ? undefined : runScript(script, scope, { ...ctx, evidence: one.evidence, depth: ctx.depth + 1 });
  };
  if (!Array.isArray(found)) return run(found as ContextScript);
  // Services started side by side: the one that starts a server pytuner knows, when only one does.
  const servers = found.map(run).filter((server) => server !== undefined);
  return servers.length === 1 ? servers[0] : undefined;
}

/** `python /usr/local/bin/gunicorn ...` runs the console script; `python app.py` runs what app.py launches, when pytuner read it. */
function script(words: readonly Word[], from: number, at: number, scope: Scope, ctx: Context): ServerInvocation | undefined {
  const path = textAt(words, at, scope) ?? '';
  const fromScript = contextScript(path, scope, ctx);
  if (fromScript !== undefined) return fromScript;
  const name = basename(path);
  if (ctx.table.subcommands.has(name)) return launcher(name, words, from, at + 1, scope, ctx);
  const kind = ctx.table.programs.get(name);
  return kind === undefined ? undefined : invocation(kind, 'server', words, from, at + 1, scope, ctx);
}

/**
 * `sh -c "..."`, `bash -lc`, `bash -euo pipefail -c`: the script's server. Without `-c` the shell runs a script
 * file; one given more words is treated like an entrypoint script that passes them on (`sh /start.sh gunicorn ...`).
 */
function shell(words: readonly Word[], start: number, scope: Scope, ctx: Context): ServerInvocation | undefined {
  let j = start;
  let command = false;
  for (; j < words.length; j++) {
    const text = textAt(words, j, scope);
    if (text === undefined) return undefined;
    if (text === '--' || text === '-') {
      j += 1;
      break;
    }
    if (text === '--rcfile' || text === '--init-file') j += 1;
    else if (/^[-+][A-Za-z]+$/.test(text)) {
      command ||= text.startsWith('-') && text.includes('c');
      if (text.includes('o')) j += 1;
    } else if (!text.startsWith('--')) break;
  }
  const deeper = { ...ctx, depth: ctx.depth + 1 };
  if (!command) {
    const path = textAt(words, j, scope);
    const fromScript = path === undefined ? undefined : contextScript(path, scope, ctx);
    if (fromScript !== undefined) return fromScript;
    return j + 1 < words.length ? unwrap(words.slice(j + 1), scope, deeper) : undefined;
  }
  const source = words[j];
  const script = source === undefined ? undefined : shellScript(shellSource(source));
  return script === undefined ? undefined : runScript(script, scope, deeper);
}

/** A `sh -c` argument as shell text: kubelet `$(VAR)` references become `${VAR}` so the shell's expansion tracks them. */
function shellSource(word: Word): string {
  return word.parts.map((part) => (part.kind === 'ref' ? displayWord({ parts: [{ ...part, form: 'braced' }] }) : part.text)).join('');
}

/**
 * Runs a script's commands in order for their effect on variables (`export THREADS=4`, `. ./env.sh`) and returns
 * the last command that starts a server: `python manage.py migrate && exec gunicorn ...` is gunicorn.
 */
function runScript(script: ShellScript, outer: Scope, ctx: Context): ServerInvocation | undefined {
  const scope = new Map(outer);
  const unread = [...ctx.unread];
  const found: ServerInvocation[] = [];
  for (const command of script.commands) {
    const name = textAt(command, 0, scope);
    if (name === 'export' || command.every((w) => ASSIGNMENT.test(leadingText(w)))) assignAll(command, scope, ctx, name === 'export');
    else if (name === 'unset') command.slice(1).forEach((w) => scope.delete(leadingText(w)));
    else if (name === 'source' || name === '.') unread.push(located(ctx.evidence, name, command.map(displayWord).join(' ')));
    else {
      const server = unwrap(command, scope, { ...ctx, unread: [...unread] });
      if (server !== undefined) found.push(server);
    }
  }
  // With `if`/`case`/`||`, which of two server commands runs is decided at run time: no guess, unless every branch
  // starts the same server with the same arguments (`exec granian ...` as root or under `s6-setuidgid app`).
  if (script.branching && found.length > 1 && new Set(found.map(serverLine)).size > 1) return undefined;
  return found.at(-1);
}

function serverLine(server: ServerInvocation): string {
  return `${server.kind} ${server.launcher} ${server.args.map(displayWord).join(' ')}`;
}

function assignAll(command: readonly Word[], scope: Map<string, ScopeVar>, ctx: Context, exporting: boolean): void {
  for (const word of command.slice(exporting ? 1 : 0)) {
    const lead = leadingText(word);
    if (ASSIGNMENT.test(lead)) assign(word, scope, ctx, exporting);
    else if (exporting && word.parts.length === 1) {
      const found = scope.get(lead);
      if (found !== undefined) scope.set(lead, { ...found, exported: true });
    }
  }
}

/** `NAME=value`: the value is expanded now, as the shell does; a new variable is exported only by `export` or as a command prefix. */
function assign(word: Word, scope: Map<string, ScopeVar>, ctx: Context, exported: boolean): void {
  const name = ASSIGNMENT.exec(leadingText(word))?.[1];
  if (name === undefined) return;
  const { text, viaEnv } = resolveWord(dropLeading(word, name.length + 1), scope);
  const variable: ScopeVar = {
    evidence: located(ctx.evidence, `env ${name}`, displayWord(word)),
    exported: exported || scope.get(name)?.exported === true,
  };
  if (text !== undefined) variable.value = text;
  if (viaEnv !== undefined) variable.viaEnv = viaEnv;
  scope.set(name, variable);
}

function assignmentPrefix(words: readonly Word[], from: number, scope: Map<string, ScopeVar>, ctx: Context): number {
  let i = from;
  for (let word = words[i]; word !== undefined && ASSIGNMENT.test(leadingText(word)); word = words[++i]) assign(word, scope, ctx, true);
  return i;
}

/** `env [-i] [-u NAME] [NAME=value]... command`. */
function envCommand(words: readonly Word[], start: number, scope: Map<string, ScopeVar>, ctx: Context): number {
  let j = start;
  for (; j < words.length; j++) {
    const word = words[j] as Word;
    const text = resolveWord(word, scope).text;
    if (text === undefined) return j;
    // The shell has expanded the words before `env` runs: variables leave the server's env, not the expansion.
    if (text === '-i' || text === '--ignore-environment' || text === '-') scope.forEach((v, name) => scope.set(name, { ...v, exported: false }));
    else if (text === '-u' || text === '--unset' || text === '-C' || text === '--chdir') {
      if (text === '-u' || text === '--unset') unexport(scope, textAt(words, j + 1, scope));
      j += 1;
    } else if (text.startsWith('--unset=')) unexport(scope, text.slice('--unset='.length));
    else if (ASSIGNMENT.test(leadingText(word))) assign(word, scope, ctx, true);
    // `env -S` splits its argument into words; pytuner does not follow it.
    else if (text === '-S' || text.startsWith('--split-string')) return words.length;
    else if (!text.startsWith('-')) return j;
  }
  return j;
}

/** The index after the first `--`, or `start - 1` (no progress, so no server) when there is none. */
function afterDoubleDash(words: readonly Word[], start: number, scope: Scope): number {
  for (let j = start; j < words.length; j++) if (textAt(words, j, scope) === '--') return j + 1;
  return start - 1;
}

function unexport(scope: Map<string, ScopeVar>, name: string | undefined): void {
  const found = name === undefined ? undefined : scope.get(name);
  if (name !== undefined && found !== undefined) scope.set(name, { ...found, exported: false });
}

/** Skips a wrapper's options up to its command: `--` ends them; `valued` options take the next word. */
function skipOptions(words: readonly Word[], start: number, scope: Scope, valued: ReadonlySet<string>): number {
  let j = start;
  for (; j < words.length; j++) {
    const text = textAt(words, j, scope);
    if (text === '--') return j + 1;
    if (text === undefined || !text.startsWith('-') || text === '-') return j;
    if (valued.has(text)) j += 1;
  }
  return j;
}

/** opentelemetry-instrument's options mirror the `OTEL_*` env vars and all take a value (`--traces_exporter console`). */
function skipOtelOptions(words: readonly Word[], start: number, scope: Scope): number {
  let j = start;
  while (j < words.length) {
    const text = textAt(words, j, scope);
    if (text === '--') return j + 1;
    if (text === undefined || !text.startsWith('-')) return j;
    j += text.includes('=') ? 1 : 2;
  }
  return j;
}

/** `poetry run`, `pipenv run`, `pdm run`, `uv run [--module]`: the program follows the runner's options. */
function runner(words: readonly Word[], start: number, scope: Scope, valued: ReadonlySet<string>, ctx: Context): Step {
  let j = start;
  let running = false;
  let module = false;
  for (; j < words.length; j++) {
    const text = textAt(words, j, scope);
    if (text === undefined) return { found: undefined };
    if (!text.startsWith('-')) {
      if (running) break;
      if (text !== 'run') return { found: undefined };
      running = true;
    } else if (text === '--') {
      j += 1;
      break;
    } else if (text === '-m' || text === '--module') module = true;
    else if (valued.has(text)) j += 1;
  }
  if (!running) return { found: undefined };
  if (!module) return { next: j };
  const name = textAt(words, j, scope);
  return { found: name === undefined ? undefined : pythonModule(name, words, start - 1, j + 1, scope, ctx) };
}

/** `newrelic-admin run-program cmd ...` runs a program; `newrelic-admin run-python ...` takes python's arguments. */
function newrelic(words: readonly Word[], sub: number, scope: Scope, ctx: Context): Step {
  const subcommand = textAt(words, sub, scope);
  if (subcommand === 'run-program') return { next: sub + 1 };
  if (subcommand === 'run-python') return { found: python(words, sub - 1, sub + 1, scope, ctx) };
  return { found: undefined };
}

function textAt(words: readonly Word[], index: number, scope: Scope): string | undefined {
  const word = words[index];
  return word === undefined ? undefined : resolveWord(word, scope).text;
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function isOperatorWord(word: Word): boolean {
  return word.parts.length === 1 && SCRIPT_OPERATORS.has(leadingText(word));
}

function scriptOfWords(words: readonly Word[]): ShellScript {
  const commands: Word[][] = [[]];
  for (const word of words) {
    if (isOperatorWord(word)) commands.push([]);
    else commands.at(-1)?.push(word);
  }
  return { commands: commands.filter((c) => c.length > 0), branching: words.some((w) => leadingText(w) === '||' && w.parts.length === 1) };
}
