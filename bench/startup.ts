/**
 * Benchmark: `pytuner controller` from process start to `/readyz` = 200 against a real API server with no workloads
 * (the test harness's control plane, every CRD installed, so all seven informers list and watch), with the flags the
 * Helm chart gives it (all namespaces, leader election). Prints CPU ms, wall ms and peak RSS for:
 *
 *   Node + HTTP server      a reference, not pytuner: Node starting a node:http server that answers 200 at once
 *                           (the part of every figure below that no change to pytuner can remove; its wall time is
 *                           only as fine as the 250 ms poll of /readyz, as it logs no "cache synced")
 *   tsc output              node dist/cli/main.js controller      (npm run build; compile cache off)
 *   bundle                  the image's runtime files' ES module bundle, compile cache off
 *   bundle + compile cache  the same with the image's heap flags and a compile cache built as its Dockerfile builds
 *                           it (as shipped until 2026-12-08, the image's command then)
 *   snapshot                the image's command (its ENTRYPOINT's node flags and V8 startup snapshot, the compile
 *                           cache set as the image sets it): as shipped
 *
 * and, for the shipped variant, where the time goes: the phases between the milestones the controller logs with its own
 * clock (code loaded, endpoint up and discovery done, caches synced; src/controller/log.ts processClock), wall and CPU
 * ms each. Then it runs the shipped variant, the bundle + compile cache and the Node + HTTP floor, alternating, inside a cgroup limited to 10% of
 * one CPU and 128 MiB (src/cli/importtime.ts's cgroup code; needs root and a writable cgroup v1 or v2) and prints the
 * measured wall times to ready and the shipped start's phases there. Without a usable cgroup it says so and prints an
 * estimate (CPU ms / quota) instead.
 *
 *   npm run bench:startup                          # 5 runs per variant, 3 in the cgroup
 *   npm run bench:startup -- --cpu-quota 0.5 --memory 256Mi   # other limits (the chart's, say)
 *   npm run bench:startup -- --runs 9 --json
 *   npm run bench:startup -- --kubeconfig <file>   # an API server you started (npm run cluster)
 *
 * CPU is every thread's time on a CPU (/proc/<pid>/task/<tid>/schedstat, nanoseconds), or the cgroup's cpuacct in the
 * cgroup; RSS is VmHWM, read when /readyz answers 200. Asserts nothing; prints figures.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { joinScript, readUsage, removeCgroup, setUpCgroup } from '../src/cli/importtime.ts';
import type { CgroupSetup } from '../src/importtime/cgroup.ts';
import { parseCpuQuota, parseMemoryLimit } from '../src/importtime/quota.ts';
import { IMAGE_HEAP_FLAGS, RUNTIME_ENTRY, assembleRuntime, buildSnapshot, runtimeNodeArgs, warmCompileCache } from '../scripts/runtime-files.ts';
import { REPO_ROOT } from '../scripts/bundle.ts';
import { startControlPlane } from '../test/integration/harness/controlPlane.ts';

/**
 * The issue's goals (issue 18): CPU to ready at most `floorRatio` times the Node + HTTP floor of the same run (a ratio,
 * so a busier or slower machine weighs on both), RSS to ready, and wall time to ready at a tenth of a CPU.
 */
const GOAL = { floorRatio: 3, rssMb: 80, quotaWallMs: 1500 };
/** The cgroup limits: by default the talk's test, 10% of one CPU and 128 MiB, no swap (--cpu-quota, --memory). */
let LIMITS = { cpu: 0.1, memoryBytes: 128 * 1024 * 1024 };
/** Give up on a start after this long (a start at 10% CPU that takes 30 s is a failure worth seeing, not waiting on). */
const READY_TIMEOUT_MS = 30_000;

/**
 * The reference row: Node itself, a CommonJS script serving 200 on the --metrics-port it is given (all other
 * arguments ignored). What pytuner adds is each variant's figure minus this one.
 */
const FLOOR_SCRIPT = `const port = Number(process.argv[process.argv.indexOf('--metrics-port') + 1]);
require('node:http').createServer((request, response) => response.end('ok')).listen(port, '127.0.0.1');
`;

/** How one variant is started. */
interface Variant {
  name: string;
  /** Node's options, before the entry. */
  nodeArgs?: string[];
  /** The entry script, if any (a snapshot has none); `controller` and the flags follow it. */
  entry?: string;
  env: Record<string, string>;
  /** Whether it logs the start-up milestones (pytuner does, the floor does not). */
  logsMilestones: boolean;
}

/**
 * The start-up milestones the controller logs (src/controller/log.ts processClock): its code loaded ('controller
 * starting'), the kubeconfig read, the operations endpoint up and discovery done, the informers started ('controller
 * started'), every cache synced ('caches synced: ready', when /readyz begins to pass).
 */
const MILESTONES = ['controller starting', 'controller started', 'caches synced: ready'] as const;
type Milestone = (typeof MILESTONES)[number];

/** When the controller logged a milestone: ms since the spawn (from the line's time) and its CPU ms (all threads) then. */
interface MilestoneAt {
  wallMs: number;
  cpuMs: number;
}

/** What one start measured. */
interface StartResult {
  wallMs: number;
  cpuMs: number;
  rssMb: number;
  /** Absent for the Node + HTTP floor, which logs none. */
  milestones: Partial<Record<Milestone, MilestoneAt>>;
  /** Only in a cgroup. */
  cgroup?: { memoryPeakMb: number | null; throttledPeriods: number | null; periods: number | null };
}

interface Summary {
  variant: string;
  runs: StartResult[];
  median: { wallMs: number; cpuMs: number; rssMb: number };
}

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'cgroup-runs': { type: 'string', default: '3' },
    'cpu-quota': { type: 'string', default: '0.1' },
    memory: { type: 'string', default: '128Mi' },
    kubeconfig: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const cpuQuota = parseCpuQuota(values['cpu-quota']);
const memoryBytes = parseMemoryLimit(values.memory);
if (cpuQuota === undefined || memoryBytes === undefined) throw new Error('--cpu-quota takes 0.1 or 100m, --memory 128Mi');
LIMITS = { cpu: cpuQuota, memoryBytes };
const runs = Number(values.runs);
const cgroupRuns = Number(values['cgroup-runs']);
const log = (line: string) => process.stderr.write(`${line}\n`);

/** A free TCP port on loopback for the controller's operations endpoint. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** CPU time of every thread of `pid` so far, in ms (schedstat's first field is ns on a CPU). */
async function processCpuMs(pid: number): Promise<number> {
  const tasks = await readdir(`/proc/${pid}/task`);
  const times = await Promise.all(tasks.map(async (tid) => Number((await readFile(`/proc/${pid}/task/${tid}/schedstat`, 'utf8')).split(' ')[0])));
  return times.reduce((sum, ns) => sum + ns, 0) / 1e6;
}

/** Peak resident set of `pid` (VmHWM), in MB. */
async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]);
  return kb / 1024;
}

/** Asks /readyz once; true on 200. */
async function isReady(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(5_000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

/**
 * Resolves when /readyz answers 200. It asks when the controller logs a synced cache (readiness follows the last of
 * them) and every 250 ms besides: asking every few ms would cost the controller CPU, which at a 10% quota is wall time.
 */
function whenReady(child: ChildProcess, port: number, spawnedAt: number, milestones: Partial<Record<Milestone, MilestoneAt>>): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      clearInterval(timer);
      clearTimeout(timeout);
      if (error === undefined) resolve();
      else reject(error);
    };
    const check = () => void isReady(port).then((ready) => ready && finish());
    const timer = setInterval(check, 250);
    const timeout = setTimeout(() => finish(new Error(`not ready after ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    const stderr: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => {
      stderr.push(line);
      recordMilestone(line, spawnedAt, milestones);
      if (line.includes('"cache synced')) check();
    });
    child.once('exit', (code, signal) => finish(new Error(`the controller exited (${code ?? signal}) before it was ready:\n${stderr.slice(-5).join('\n')}`)));
  });
}

/** Notes a milestone line of the controller's log (JSON, pino's ISO `time`, processClock's `cpuMs`). */
function recordMilestone(line: string, spawnedAt: number, milestones: Partial<Record<Milestone, MilestoneAt>>): void {
  if (!line.startsWith('{')) return;
  let entry: { msg?: unknown; time?: unknown; cpuMs?: unknown };
  try {
    entry = JSON.parse(line) as typeof entry;
  } catch {
    return;
  }
  const milestone = MILESTONES.find((m) => m === entry.msg);
  if (milestone === undefined || typeof entry.time !== 'string' || typeof entry.cpuMs !== 'number') return;
  milestones[milestone] ??= { wallMs: Date.parse(entry.time) - spawnedAt, cpuMs: entry.cpuMs };
}

/**
 * Waits (at most a second) for the last milestone's line: the controller writes it before /readyz can pass, but this
 * process may read the answer before the line (the two arrive on different pipes).
 */
async function lastMilestone(variant: Variant, milestones: StartResult['milestones']): Promise<void> {
  if (!variant.logsMilestones) return;
  for (let waited = 0; milestones['caches synced: ready'] === undefined && waited < 1_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
}

/**
 * Ends a measured controller with SIGKILL: the figures are taken, and a graceful stop right at ready can take the
 * watches' 30 s to end (a ListWatch that starts its watch after stop() is not aborted). Each run has a Lease of its own.
 */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

/** The controller's command line, as the Helm chart's Deployment gives it. */
function controllerArgs(variant: Variant, kubeconfig: string, port: number): string[] {
  return [...(variant.nodeArgs ?? []), ...(variant.entry === undefined ? [] : [variant.entry]), 'controller', '--kubeconfig', kubeconfig, '--metrics-port', String(port), '--leader-elect', '--lease-namespace', 'default', '--lease-name', `bench-${port}`];
}

/** Starts the controller once, unconstrained; measures at the first 200 from /readyz. */
async function startOnce(variant: Variant, kubeconfig: string): Promise<StartResult> {
  const port = await freePort();
  const started = performance.now();
  const spawnedAt = Date.now();
  const milestones: StartResult['milestones'] = {};
  const child = spawn(process.execPath, controllerArgs(variant, kubeconfig, port), { env: { ...process.env, ...variant.env }, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    await whenReady(child, port, spawnedAt, milestones);
    const wallMs = performance.now() - started;
    const pid = child.pid!;
    const [cpuMs, rssMb] = await Promise.all([processCpuMs(pid), peakRssMb(pid)]);
    await lastMilestone(variant, milestones);
    return { wallMs, cpuMs, rssMb, milestones };
  } finally {
    await stop(child);
  }
}

/** Starts the controller once inside a fresh cgroup with LIMITS (the shell joins it, then execs node). */
async function startInCgroup(variant: Variant, kubeconfig: string, run: string): Promise<StartResult | { reason: string }> {
  const setup = await setUpCgroup(LIMITS, `pytuner-bench-startup-${process.pid}-${run}`);
  if ('reason' in setup) return setup;
  const port = await freePort();
  const started = performance.now();
  const spawnedAt = Date.now();
  const milestones: StartResult['milestones'] = {};
  const child = spawn('/bin/sh', ['-c', joinScript(setup), 'sh', process.execPath, ...controllerArgs(variant, kubeconfig, port)], {
    env: { ...process.env, ...variant.env },
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  try {
    await whenReady(child, port, spawnedAt, milestones);
    const wallMs = performance.now() - started;
    const [usage, rssMb] = await Promise.all([readUsage(setup), peakRssMb(child.pid!)]);
    await lastMilestone(variant, milestones);
    return {
      wallMs,
      cpuMs: (usage.cpuUs ?? Number.NaN) / 1000,
      rssMb,
      milestones,
      cgroup: {
        memoryPeakMb: usage.memoryPeakBytes === null ? null : usage.memoryPeakBytes / 1_048_576,
        throttledPeriods: usage.throttledPeriods,
        periods: usage.periods,
      },
    };
  } finally {
    await stop(child);
    for (const problem of await removeCgroup(setup as CgroupSetup)) log(problem);
  }
}

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function summarise(variant: string, results: StartResult[]): Summary {
  return { variant, runs: results, median: { wallMs: median(results.map((r) => r.wallMs)), cpuMs: median(results.map((r) => r.cpuMs)), rssMb: median(results.map((r) => r.rssMb)) } };
}

function range(results: StartResult[], key: 'wallMs' | 'cpuMs' | 'rssMb'): string {
  const values = results.map((r) => r[key]);
  return `${Math.round(Math.min(...values))}–${Math.round(Math.max(...values))}`;
}

function row(summary: Summary): string {
  const { median: m, runs: r } = summary;
  return `${summary.variant.padEnd(24)} ${`${Math.round(m.cpuMs)} (${range(r, 'cpuMs')})`.padEnd(18)} ${`${Math.round(m.wallMs)} (${range(r, 'wallMs')})`.padEnd(18)} ${`${Math.round(m.rssMb)} (${range(r, 'rssMb')})`}`;
}

async function main(): Promise<void> {
  log('building: tsc (dist/) and the bundle (the image\'s runtime files, in a temporary directory)');
  const tsc = spawnSync(join(REPO_ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(REPO_ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (tsc.status !== 0) log(`tsc exited ${tsc.status}: dist/ may be incomplete`);
  const runtime = await mkdtemp(join(tmpdir(), 'pytuner-bench-startup-'));
  await assembleRuntime(runtime);
  // Two caches: V8 takes a code cache only in a process started from the same snapshot (or none) as its writer's.
  const cacheDir = await warmCompileCache(runtime, { cacheDir: join(runtime, 'bundle-compile-cache'), nodeArgs: IMAGE_HEAP_FLAGS });
  await buildSnapshot(runtime);
  const imageCacheDir = await warmCompileCache(runtime, { nodeArgs: runtimeNodeArgs(runtime) });

  const controlPlane = values.kubeconfig === undefined ? await startControlPlane() : undefined;
  const kubeconfig = values.kubeconfig ?? controlPlane!.kubeconfigPath;
  const production = { NODE_ENV: 'production' };
  const floor = join(runtime, 'node-http-floor.cjs');
  await writeFile(floor, FLOOR_SCRIPT);
  const variants: Variant[] = [
    { name: 'Node + HTTP server', entry: floor, env: production, logsMilestones: false },
    { name: 'tsc output', entry: join(REPO_ROOT, 'dist', 'cli', 'main.js'), env: { ...production, NODE_DISABLE_COMPILE_CACHE: '1' }, logsMilestones: true },
    { name: 'bundle', entry: join(runtime, RUNTIME_ENTRY), env: { ...production, NODE_DISABLE_COMPILE_CACHE: '1' }, logsMilestones: true },
    { name: 'bundle + compile cache', nodeArgs: [...IMAGE_HEAP_FLAGS], entry: join(runtime, RUNTIME_ENTRY), env: { ...production, NODE_COMPILE_CACHE: cacheDir }, logsMilestones: true },
    { name: 'snapshot', nodeArgs: runtimeNodeArgs(runtime), env: { ...production, NODE_COMPILE_CACHE: imageCacheDir }, logsMilestones: true },
  ];
  // The floor, the shipped start, and the one before it (bundle + compile cache) for an A/B at that quota.
  const quotaVariants = [variants[0], variants.at(-2), variants.at(-1)] as Variant[];
  try {
    // Round-robin, so that a change in the machine's load during the run weighs on every variant alike.
    const results = variants.map((): StartResult[] => []);
    for (let i = 0; i < runs; i++) {
      for (const [index, variant] of variants.entries()) results[index]!.push(await startOnce(variant, kubeconfig));
      log(`round ${i + 1} of ${runs} done`);
    }
    const summaries = variants.map((variant, index) => summarise(variant.name, results[index]!));
    // The floor too, alternating with the starts: what Node alone takes at that quota bounds what any change can reach.
    const quota = quotaVariants.map((): StartResult[] => []);
    let estimateReason: string | undefined;
    for (let i = 0; i < cgroupRuns && estimateReason === undefined; i++) {
      for (const [index, variant] of quotaVariants.entries()) {
        const result = await startInCgroup(variant, kubeconfig, `${i}-${index}`);
        if ('reason' in result) {
          estimateReason = result.reason;
          break;
        }
        quota[index]!.push(result);
      }
    }
    const [quotaFloor = [], quotaBefore = [], quotaShipped = []] = quota;
    report(summaries, results.at(-1)!, { shipped: quotaShipped, before: quotaBefore, floor: quotaFloor }, estimateReason);
  } finally {
    await controlPlane?.stop();
    await rm(runtime, { recursive: true, force: true });
  }
}

/**
 * One phase of a start: from the previous milestone (or the spawn) to this one, medians over the runs. No CPU for the
 * last one: the bench's CPU at ready (schedstat, or the cgroup's count) is not on the same clock as the controller's
 * own (getrusage), and their difference is within the noise of either.
 */
interface Phase {
  phase: string;
  wallMs: number;
  cpuMs: number | undefined;
}

const PHASE_NAMES: Record<Milestone | 'ready', string> = {
  'controller starting': "spawn → pytuner's code loaded",
  'controller started': '→ kubeconfig, endpoint, discovery',
  'caches synced: ready': '→ lists and watches synced',
  ready: '→ /readyz 200 seen here',
};

/**
 * Where the time to ready goes, per phase (the controller's logged milestones, then the bench's own ready), or
 * undefined when a run lacks a milestone (an older controller, a log level above info).
 */
function phases(results: StartResult[]): Phase[] | undefined {
  const points = [...MILESTONES.map((m) => results.map((r) => r.milestones[m])), results.map((r): MilestoneAt => ({ wallMs: r.wallMs, cpuMs: r.cpuMs }))];
  if (results.length === 0 || points.some((runs) => runs.some((p) => p === undefined))) return undefined;
  const names = [...MILESTONES, 'ready' as const];
  return names.map((name, index) => {
    const at = points[index] as MilestoneAt[];
    const before = index === 0 ? undefined : (points[index - 1] as MilestoneAt[]);
    return {
      phase: PHASE_NAMES[name],
      wallMs: median(at.map((p, run) => p.wallMs - (before?.[run]?.wallMs ?? 0))),
      cpuMs: name === 'ready' ? undefined : median(at.map((p, run) => p.cpuMs - (before?.[run]?.cpuMs ?? 0))),
    };
  });
}

function phaseLines(title: string, list: Phase[] | undefined): string[] {
  if (list === undefined) return [`${title}: no milestones logged`];
  return [`${title}:`, ...list.map((p) => `  ${p.phase.padEnd(36)} ${String(Math.round(p.wallMs)).padStart(6)} wall ms ${p.cpuMs === undefined ? '' : `${String(Math.round(p.cpuMs)).padStart(5)} CPU ms`}`)];
}

function report(summaries: Summary[], shippedRuns: StartResult[], quota: { shipped: StartResult[]; before: StartResult[]; floor: StartResult[] }, estimateReason: string | undefined): void {
  const shipped = summaries.at(-1) as Summary;
  const estimateMs = shipped.median.cpuMs / LIMITS.cpu;
  const quotaLabel = `@ ${Math.round(LIMITS.cpu * 100)}% CPU`;
  const quotaSummary = quota.shipped.length === 0 ? undefined : summarise(`${shipped.variant} ${quotaLabel}`, quota.shipped);
  const quotaFloor = quota.floor.length === 0 ? undefined : summarise(`${(summaries[0] as Summary).variant} ${quotaLabel}`, quota.floor);
  const quotaBefore = quota.before.length === 0 ? undefined : summarise(`${(summaries.at(-2) as Summary).variant} ${quotaLabel}`, quota.before);
  if (values.json) {
    const machine = { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg(), node: process.version, date: new Date().toISOString() };
    const cgroup =
      quotaSummary === undefined ? { method: 'estimate', reason: estimateReason, wallMs: estimateMs } : { method: 'cgroup', limits: LIMITS, ...quotaSummary, floor: quotaFloor, before: quotaBefore, phases: phases(quota.shipped) };
    process.stdout.write(`${JSON.stringify({ goal: GOAL, machine, variants: summaries, phases: phases(shippedRuns), cgroup }, null, 2)}\n`);
    return;
  }
  const out: string[] = [];
  out.push(`pytuner controller: process start to /readyz = 200, no workloads, ${runs} runs each: median (min–max)`);
  out.push(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
  out.push('');
  out.push(`${'variant'.padEnd(24)} ${'CPU ms'.padEnd(18)} ${'wall ms'.padEnd(18)} peak RSS MB`);
  for (const summary of summaries) out.push(row(summary));
  out.push('');
  out.push(...phaseLines(`${shipped.variant}, where the time to ready goes (median per phase; CPU of all its threads)`, phases(shippedRuns)));
  out.push('');
  if (quotaSummary !== undefined) {
    const memory = quota.shipped.map((r) => r.cgroup?.memoryPeakMb).filter((m) => m != null) as number[];
    out.push(`in a cgroup limited to ${limitsText()} (${quota.shipped.length} runs each, alternating, measured):`);
    if (quotaFloor !== undefined) out.push(row(quotaFloor));
    if (quotaBefore !== undefined) out.push(row(quotaBefore));
    out.push(row(quotaSummary));
    out.push(`  cgroup memory peak (RSS + page cache) ${memory.length === 0 ? 'n/a' : `${Math.round(median(memory))} MB`}; throttled in ${quota.shipped.map((r) => `${r.cgroup?.throttledPeriods ?? '?'}/${r.cgroup?.periods ?? '?'}`).join(', ')} periods`);
    out.push(...phaseLines('  per phase', phases(quota.shipped)));
  } else {
    out.push(`no cgroup could be used (${estimateReason}): at ${limitsText()} the wall time to ready is ESTIMATED as CPU / ${LIMITS.cpu} = ${Math.round(estimateMs)} ms, not measured`);
  }
  const quotaWall = quotaSummary?.median.wallMs ?? estimateMs;
  out.push('');
  const quotaGoal = LIMITS.cpu === 0.1 ? `; < ${GOAL.quotaWallMs} ms at 10% CPU: ${verdict(quotaWall < GOAL.quotaWallMs)} (${Math.round(quotaWall)}${quotaSummary === undefined ? ', estimated' : ''})` : '';
  const floorCpuMs = (summaries[0] as Summary).median.cpuMs;
  const ratio = shipped.median.cpuMs / floorCpuMs;
  out.push(`goal: CPU <= ${GOAL.floorRatio} × the Node + HTTP floor: ${verdict(ratio <= GOAL.floorRatio)} (${Math.round(shipped.median.cpuMs)} / ${Math.round(floorCpuMs)} = ${ratio.toFixed(1)} ×); <= ${GOAL.rssMb} MB RSS: ${verdict(shipped.median.rssMb <= GOAL.rssMb)} (${Math.round(shipped.median.rssMb)})${quotaGoal}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

/** `10% of one CPU and 128 MiB`. */
function limitsText(): string {
  return `${Math.round(LIMITS.cpu * 100)}% of one CPU and ${LIMITS.memoryBytes / 1_048_576} MiB`;
}

function verdict(met: boolean): string {
  return met ? 'met' : 'NOT met';
}

await main();
