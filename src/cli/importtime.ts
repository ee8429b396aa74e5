/**
 * @module `pytuner importtime -- <python command>`: runs the command the user gives (it is meant to be run, unlike
 * the commands found in manifests) with Python's import profiling on, optionally inside a child cgroup with a CPU
 * quota and a memory limit, and reports the import tree. The parsing and the report are pure
 * (`src/importtime/`); this module spawns, reads and writes /proc and /sys/fs/cgroup, and streams the output.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { basename, delimiter, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { quote } from 'shell-quote';
import type { CgroupSetup, CgroupUsage, CgroupWrite } from '../importtime/cgroup.ts';
import { locateCgroups, planCgroup, usageFromV1, usageFromV2 } from '../importtime/cgroup.ts';
import type { ImportTimeFormat } from '../importtime/format.ts';
import { exitText, formatImportTimeJson, formatImportTimeTable, IMPORTTIME_FORMATS } from '../importtime/format.ts';
import { classifyStderrLine, ImportTreeBuilder } from '../importtime/parse.ts';
import { parseCpuQuota, parseMemoryLimit } from '../importtime/quota.ts';
import type { ImportTimeRun, QuotaRun } from '../importtime/report.ts';
import type { ImportTimeReport } from '../importtime/schema.ts';
import { buildImportTimeReport } from '../importtime/report.ts';
import { childCpuTicks, CLOCK_TICKS_PER_SECOND } from '../importtime/procStat.ts';
import { EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL, EXIT_OK } from './exitCodes.ts';
import type { CliIo } from './io.ts';

/** The flags of `pytuner importtime`, after parsing. */
export interface ImportTimeOptions {
  output: ImportTimeFormat;
  top: number;
  budgetMs?: number;
  cpuQuota?: number;
  memory?: number;
}

const EXAMPLES = `
Examples:
  # the imports of a Flask app's main module (run in the app's directory)
  pytuner importtime -- python3 -c "import main"
  # gate CI on 300 ms of imports
  pytuner importtime --budget-ms 300 -- python3 -c "import main"
  # what a cold start on 0.1 CPU and 128 MiB looks like (a real cgroup when root, else an estimate)
  pytuner importtime --cpu-quota 0.1 --memory 128Mi -- python3 -c "import main"
  pytuner importtime -o json -- python3 -m flask --version

The command must exit by itself: give it the imports a server does at start-up (python -c "import main"),
not the server (gunicorn main:app runs until stopped). Its stdout and its other stderr lines go to stderr,
so stdout holds only the report.

Exit codes:
  0  the command exited 0 and the import time is within --budget-ms
  1  the import time is over --budget-ms
  2  bad usage; the command could not be started, exited non-zero, was killed (e.g. by the OOM killer
     under --memory), or printed no import times: the report is still written, but it is not a verdict
  3  pytuner failed (e.g. could not move the command into the cgroup it made)
  When several apply, the highest wins.`;

/** addImportTimeCommand registers `pytuner importtime` on the program. */
export function addImportTimeCommand(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  program
    .command('importtime')
    .description('Run a Python command with import profiling (-X importtime): the heaviest imports, those a request path may not need, the total against a budget, and the start-up under a CPU quota.')
    .usage('[options] -- <python command...>')
    .argument('<command...>', 'the Python command to run, after --')
    .addOption(new Option('-o, --output <format>', 'report format').choices(IMPORTTIME_FORMATS).default('table'))
    .addOption(new Option('--top <n>', 'how many of the heaviest imports to list').argParser(positiveIntArg).default(10))
    .addOption(new Option('--budget-ms <ms>', 'exit 1 when the total import time (sum of self times) is over this many milliseconds').argParser(budgetArg))
    .addOption(new Option('--cpu-quota <cpus>', 'run under this CPU quota (0.1 or 100m = 10 ms of CPU per 100 ms), in a cgroup when possible, else estimate').argParser(cpuQuotaArg))
    .addOption(new Option('--memory <size>', 'memory limit in the cgroup, as in a manifest: 128Mi, 512M, 1Gi').argParser(memoryArg))
    .addHelpText('after', EXAMPLES)
    .showHelpAfterError('(put the Python command after --, e.g. pytuner importtime -o json -- python3 -c "import main"; run with --help for usage)')
    .action(async (command: string[], options: ImportTimeOptions) => setExitCode(await importTimeCommand(command, options, io)));
}

function positiveIntArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number >= 1.');
  return n;
}

function budgetArg(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected milliseconds >= 0, e.g. 300.');
  return n;
}

function cpuQuotaArg(value: string): number {
  const cpu = parseCpuQuota(value);
  if (cpu === undefined) throw new InvalidArgumentError('expected CPUs >= 0.01, e.g. 0.1 or 100m (the kernel\'s smallest quota is 1 ms per 100 ms period).');
  return cpu;
}

function memoryArg(value: string): number {
  const bytes = parseMemoryLimit(value);
  if (bytes === undefined) {
    const hint = /^\d+(\.\d+)?[mg]$/.test(value) ? ` In a Kubernetes quantity "${value.slice(-1)}" is not mega/giga (m is milli): write ${value.slice(0, -1)}${value.slice(-1).toUpperCase()}i.` : '';
    throw new InvalidArgumentError(`expected a memory quantity of at least 1Mi, e.g. 128Mi, 512M or 1Gi.${hint}`);
  }
  return bytes;
}

/** Runs `pytuner importtime` and returns the exit code. */
export async function importTimeCommand(command: readonly string[], options: ImportTimeOptions, io: CliIo): Promise<number> {
  const [program, ...args] = command;
  if (program === undefined || program === '') {
    io.stderr.write('pytuner: importtime needs a command after --, e.g. pytuner importtime -- python3 -c "import main"\n');
    return EXIT_INPUT;
  }
  const executable = await resolveExecutable(program, io.env['PATH'] ?? '');
  if (typeof executable !== 'string') {
    io.stderr.write(`pytuner: cannot start the command: ${executable.problem}\n`);
    return EXIT_INPUT;
  }
  const quota = await quotaSetup(options, io);
  const setup = quota?.setup;

  const run = await runProfiled(executable, program, args, io, setup);
  const cleanupProblems = setup === undefined ? [] : await removeCgroup(setup);
  for (const problem of cleanupProblems) io.stderr.write(`pytuner: ${problem}\n`);
  if (run.kind !== 'ran') return notRun(run, command, setup, io);

  const quotaRun = quota === undefined ? null : quotaOf(quota.limits, setup, run.usage, quota.estimateReason);
  const importRun: ImportTimeRun = {
    command: [...command],
    tree: run.builder.tree(),
    exit: run.exit,
    wallMs: run.wallMs,
    cpuMs: run.usage?.cpuUs != null ? run.usage.cpuUs / 1000 : run.cpuMsFromTicks,
    quota: quotaRun,
  };
  const report = buildImportTimeReport(importRun, { top: options.top, budgetMs: options.budgetMs ?? null });
  io.stdout.write(options.output === 'json' ? formatImportTimeJson(report) : formatImportTimeTable(report));
  return verdict(report, io);
}

type QuotaLimits = Pick<QuotaRun, 'cpu' | 'memoryBytes'>;

/** The cgroup for --cpu-quota/--memory, or why it cannot be made (the wall time is then an estimate); undefined without those flags. */
async function quotaSetup(options: ImportTimeOptions, io: CliIo): Promise<{ limits: QuotaLimits; setup?: CgroupSetup; estimateReason: string | null } | undefined> {
  if (options.cpuQuota === undefined && options.memory === undefined) return undefined;
  const limits: QuotaLimits = { cpu: options.cpuQuota ?? null, memoryBytes: options.memory ?? null };
  const cgroup = await setUpCgroup(limits);
  if ('reason' in cgroup) {
    io.stderr.write(`pytuner: --cpu-quota/--memory not enforced, the wall time is an estimate: ${cgroup.reason}\n`);
    return { limits, estimateReason: cgroup.reason };
  }
  return { limits, setup: cgroup, estimateReason: null };
}

/** How the limits were held: by the cgroup the command ran in, or only estimated (with why). */
function quotaOf(limits: QuotaLimits, setup: CgroupSetup | undefined, usage: QuotaRun['usage'], estimateReason: string | null): QuotaRun {
  if (setup === undefined) return { ...limits, method: 'estimate', cgroups: [], usage: null, reason: estimateReason };
  return { ...limits, method: setup.method, cgroups: setup.directories, usage, reason: null };
}

/** The exit code, and the message, for a command that never ran. */
function notRun(run: Exclude<RunOutcome, { kind: 'ran' }>, command: readonly string[], setup: CgroupSetup | undefined, io: CliIo): number {
  if (run.kind === 'spawn-failed') {
    io.stderr.write(`pytuner: cannot start the command ${quote([...command])}: ${run.message}\n`);
    return EXIT_INPUT;
  }
  io.stderr.write(`pytuner: could not move the command into the cgroup ${setup?.directories.join(', ')} (see the shell's message above); it did not run\n`);
  return EXIT_INTERNAL;
}

/** 2 when the run is no verdict (the command failed or printed no import times), else 1 over budget, else 0. */
function verdict(report: ImportTimeReport, io: CliIo): number {
  let code = EXIT_OK;
  if (report.overBudget === true) {
    io.stderr.write(`pytuner: import time ${report.totalMs.toFixed(1)} ms is over the budget of ${report.budgetMs} ms\n`);
    code = EXIT_FINDINGS;
  }
  if (report.exit.code !== 0) {
    const oom = report.quota?.oomKilled === true ? ' by the OOM killer (the --memory limit was reached)' : '';
    io.stderr.write(`pytuner: the command did not finish cleanly (${exitText(report.exit)}${oom}): the import times are those of a failed start-up\n`);
    code = EXIT_INPUT;
  } else if (report.imports === 0) {
    io.stderr.write(`pytuner: ${report.notes[0] ?? 'the command printed no import times'}\n`);
    code = EXIT_INPUT;
  }
  return code;
}

/** An executable's path (as given when it has a `/`, else found on PATH), or why it cannot be run. */
async function resolveExecutable(program: string, path: string): Promise<string | { problem: string }> {
  if (program.includes('/')) {
    return (await isExecutable(program)) ? program : { problem: `${program} does not exist or is not executable` };
  }
  for (const directory of path.split(delimiter)) {
    if (directory === '') continue;
    const candidate = join(directory, program);
    if (await isExecutable(candidate)) return candidate;
  }
  return { problem: `${program} was not found on PATH` };
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `python`, `python3`, `python3.11`: an interpreter that takes `-X importtime` (which, unlike the env var, -E and -I do not turn off). */
const PYTHON_INTERPRETER = /^python(\d+(\.\d+)?)?$/;

type RunOutcome =
  | { kind: 'spawn-failed'; message: string }
  | { kind: 'cgroup-join-failed' }
  | {
      kind: 'ran';
      builder: ImportTreeBuilder;
      exit: { code: number | null; signal: string | null };
      wallMs: number;
      cpuMsFromTicks: number | null;
      usage: CgroupUsage | null;
    };

/**
 * Spawns the command with PYTHONPROFILEIMPORTTIME=1 (and `-X importtime` after a python interpreter), in the cgroup
 * when there is one: a shell writes its own pid into the cgroups, says so on fd 3, then execs the command, so every
 * instruction of the command runs under the limits. Import lines are collected; the command's other stderr lines
 * and its stdout go to pytuner's stderr as they come.
 */
async function runProfiled(executable: string, program: string, args: readonly string[], io: CliIo, setup: CgroupSetup | undefined): Promise<RunOutcome> {
  const argv = PYTHON_INTERPRETER.test(basename(program)) ? [executable, '-X', 'importtime', ...args] : [executable, ...args];
  const env = { ...io.env, PYTHONPROFILEIMPORTTIME: '1' };
  const ticksBefore = await ownChildCpuTicks();
  const started = performance.now();
  const child =
    setup === undefined
      ? spawn(argv[0] as string, argv.slice(1), { env, stdio: ['inherit', 'pipe', 'pipe'] })
      : spawn('/bin/sh', ['-c', joinScript(setup), 'sh', ...argv], { env, stdio: ['inherit', 'pipe', 'pipe', 'pipe'] });

  const builder = new ImportTreeBuilder();
  const stderrDone = child.stderr === null ? Promise.resolve() : forwardStderr(child.stderr, builder, io);
  const stdoutDone = child.stdout === null ? Promise.resolve() : forwardStdout(child.stdout, io);
  let joined = false;
  const joinReport = child.stdio[3];
  joinReport?.on('data', (chunk: Buffer) => {
    if (chunk.toString('utf8').includes('joined')) joined = true;
  });
  const joinReportDone = joinReport == null ? Promise.resolve() : new Promise<void>((resolve) => joinReport.once('close', () => resolve()));
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.once('SIGINT', forward);
  process.once('SIGTERM', forward);
  try {
    const ended = await new Promise<{ code: number | null; signal: string | null; wallMs: number } | { error: Error }>((resolve) => {
      child.once('error', (error) => resolve({ error }));
      child.once('exit', (code, signal) => resolve({ code, signal, wallMs: performance.now() - started }));
    });
    if ('error' in ended) return { kind: 'spawn-failed', message: ended.error.message };
    // The pipes close when the last process holding them exits: output is complete then.
    await Promise.all([stderrDone, stdoutDone, joinReportDone]);
    if (setup !== undefined && !joined) return { kind: 'cgroup-join-failed' };
    const ticksAfter = await ownChildCpuTicks();
    const cpuMsFromTicks = ticksBefore === undefined || ticksAfter === undefined ? null : ((ticksAfter - ticksBefore) * 1000) / CLOCK_TICKS_PER_SECOND;
    return {
      kind: 'ran',
      builder,
      exit: { code: ended.code, signal: ended.signal },
      wallMs: ended.wallMs,
      cpuMsFromTicks,
      usage: setup === undefined ? null : await readUsage(setup),
    };
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
}

/** The shell script that joins the cgroups then execs the command (`"$@"`), closing fd 3 so the command never sees it. */
export function joinScript(setup: CgroupSetup): string {
  const joins = setup.procs.map((procs) => `echo $$ > ${quote([procs])}`).join(' && ');
  return `${joins} && echo joined >&3 && exec "$@" 3>&-`;
}

function forwardStdout(stream: Readable, io: CliIo): Promise<void> {
  stream.on('data', (chunk: Buffer) => io.stderr.write(chunk));
  return new Promise((resolve) => stream.once('close', () => resolve()));
}

function forwardStderr(stream: Readable, builder: ImportTreeBuilder, io: CliIo): Promise<void> {
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on('line', (text) => {
    const other = builder.add(classifyStderrLine(text));
    if (other !== undefined) io.stderr.write(`${other}\n`);
  });
  return new Promise((resolve) => lines.once('close', () => resolve()));
}

/** CPU ticks of this process's waited-for children (Linux); undefined elsewhere. */
async function ownChildCpuTicks(): Promise<number | undefined> {
  try {
    return childCpuTicks(await readFile('/proc/self/stat', 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Plans and creates the child cgroup with the limits, or says why it cannot: not Linux, no usable hierarchy,
 * no permission (pytuner must be root, or own a delegated cgroup). A half-made cgroup is removed again. `name` is
 * the child cgroup's directory (bench/startup.ts passes its own).
 */
export async function setUpCgroup(limits: { cpu: number | null; memoryBytes: number | null }, name = `pytuner-importtime-${process.pid}`): Promise<CgroupSetup | { reason: string }> {
  if (process.platform !== 'linux') return { reason: `cgroups exist only on Linux (this is ${process.platform})` };
  let mountinfo: string;
  let memberships: string;
  try {
    [mountinfo, memberships] = await Promise.all([readFile('/proc/self/mountinfo', 'utf8'), readFile('/proc/self/cgroup', 'utf8')]);
  } catch (error) {
    return { reason: `cannot read /proc/self/mountinfo or /proc/self/cgroup: ${message(error)}` };
  }
  const locations = locateCgroups(mountinfo, memberships);
  const v2Controllers = locations.v2 === undefined ? undefined : await readControllers(`${locations.v2}/cgroup.controllers`);
  const setup = planCgroup(locations, v2Controllers, limits, name);
  if ('reason' in setup) return setup;
  const created: string[] = [];
  try {
    for (const write of setup.prepare) await writeCgroupFile(write);
    for (const directory of setup.directories) {
      await mkdir(directory);
      created.push(directory);
    }
    for (const write of setup.limits) await writeCgroupFile(write);
    return setup;
  } catch (error) {
    await removeCgroup({ ...setup, directories: created });
    const hint = (error as NodeJS.ErrnoException).code === 'EACCES' || (error as NodeJS.ErrnoException).code === 'EROFS' ? ' (run as root with a writable /sys/fs/cgroup, or in a delegated cgroup)' : '';
    return { reason: `cannot set up a ${setup.method} cgroup: ${message(error)}${hint}` };
  }
}

async function readControllers(file: string): Promise<string[] | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim().split(/\s+/).filter((c) => c !== '');
  } catch {
    return undefined;
  }
}

async function writeCgroupFile(write: CgroupWrite): Promise<void> {
  try {
    await writeFile(write.path, write.value);
  } catch (error) {
    if (write.optional && (error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new Error(`writing ${write.value} to ${write.path}: ${message(error)}`);
  }
}

/** What the kernel counted for the child cgroup so far (bench/startup.ts reads it while the command still runs). */
export async function readUsage(setup: CgroupSetup): Promise<CgroupUsage> {
  const files = setup.usage;
  const text = async (path: string | undefined): Promise<string | undefined> => {
    if (path === undefined) return undefined;
    try {
      return await readFile(path, 'utf8');
    } catch {
      return undefined;
    }
  };
  if (setup.method === 'cgroup-v2') {
    return usageFromV2({ cpuStat: await text(files.cpuStat), memoryPeak: await text(files.memoryPeak), memoryEvents: await text(files.memoryEvents) });
  }
  return usageFromV1({
    cpuacctUsage: await text(files.cpuacctUsage),
    cpuStat: await text(files.cpuStat),
    memoryMaxUsage: await text(files.memoryMaxUsage),
    memoryFailcnt: await text(files.memoryFailcnt),
    memoryOomControl: await text(files.memoryOomControl),
  });
}

/** Removes the child cgroups; returns what could not be removed (a process the command left running keeps one busy). */
export async function removeCgroup(setup: CgroupSetup): Promise<string[]> {
  const problems: string[] = [];
  for (const directory of [...setup.directories].reverse()) {
    try {
      await rmdir(directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      problems.push(`could not remove the cgroup ${directory}: ${message(error)} (a process the command started may still run in it; rmdir it when it has ended)`);
    }
  }
  return problems;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
