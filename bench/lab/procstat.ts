/**
 * @module CPU time from /proc: of a process tree (a gunicorn master and its workers, uvicorn and its children), of the
 * lab's own process and the load generator it waited for, and of the whole machine — so each measurement can say how
 * many CPU seconds a request cost and how much CPU other processes on the shared machine took meanwhile.
 *
 * proc(5): `/proc/<pid>/stat` field 2 is `(comm)`, which may hold spaces and parentheses, so the fields after it are
 * split from the last `)`; utime and stime are fields 14 and 15, cutime and cstime (children waited for) 16 and 17,
 * in clock ticks. The first line of `/proc/stat` sums the ticks of all CPUs: user nice system idle iowait irq softirq
 * steal (guest time is already in user).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** The fields of `/proc/<pid>/stat` the lab uses; times in clock ticks. */
export interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  utime: number;
  stime: number;
  /** CPU of children that have exited and were waited for (the load generator, for the lab's own process). */
  cutime: number;
  cstime: number;
}

/** Parses one `/proc/<pid>/stat` line; `undefined` when it is not one. */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  // After `(comm)`: state is field 3, so field n is at index n - 3.
  const rest = text.slice(close + 1).trim().split(/\s+/);
  const field = (n: number) => Number(rest[n - 3]);
  const stat: ProcStat = { pid, comm: text.slice(open + 1, close), ppid: field(4), utime: field(14), stime: field(15), cutime: field(16), cstime: field(17) };
  const numbers = [stat.pid, stat.ppid, stat.utime, stat.stime, stat.cutime, stat.cstime];
  return numbers.every((n) => Number.isInteger(n) && n >= 0) ? stat : undefined;
}

/** Busy and total ticks of all CPUs together, from the first line of `/proc/stat`. */
export interface MachineTicks {
  busy: number;
  total: number;
}

/** Parses the `cpu` line of `/proc/stat`: busy = everything but idle and iowait. */
export function parseMachineTicks(text: string): MachineTicks | undefined {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (line === undefined) return undefined;
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (ticks.length < 5 || ticks.some((t) => !Number.isFinite(t))) return undefined;
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: total - idle, total };
}

/** `root` and every process below it, from (pid, ppid) pairs. */
export function descendants(root: number, processes: readonly Pick<ProcStat, 'pid' | 'ppid'>[]): number[] {
  const children = new Map<number, number[]>();
  for (const p of processes) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const found = [root];
  for (let i = 0; i < found.length; i++) found.push(...(children.get(found[i]!) ?? []));
  return found;
}

/** Clock ticks per second (`getconf CLK_TCK`; 100 on Linux unless the kernel says otherwise). */
export const TICKS_PER_SECOND = ticksPerSecond();

function ticksPerSecond(): number {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(value) && value > 0 ? value : 100;
  } catch {
    return 100;
  }
}

/** CPUs the kernel counts in /proc/stat (`cpu0`, `cpu1`, …). */
export const MACHINE_CPUS = countCpus();

function countCpus(): number {
  try {
    return Math.max(1, (readFileSync('/proc/stat', 'utf8').match(/^cpu\d+ /gm) ?? []).length);
  } catch {
    return 1;
  }
}

/** Every process's stat now (processes that exit while being read are skipped). */
export function readAllProcStats(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat !== undefined) stats.push(stat);
  }
  return stats;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The command line of a process (arguments joined by spaces), or '' when it is gone. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** CPU seconds used so far by `root` and its descendants (those alive now). */
export function treeCpuSeconds(root: number, all: readonly ProcStat[] = readAllProcStats()): number {
  const pids = new Set(descendants(root, all));
  let ticks = 0;
  for (const p of all) if (pids.has(p.pid)) ticks += p.utime + p.stime;
  return ticks / TICKS_PER_SECOND;
}

/** One reading of the CPU counters a measurement needs. */
export interface CpuReading {
  /** Seconds (monotonic clock). */
  at: number;
  /** The server's process tree. */
  server: number;
  /**
   * This process and its other live descendants: the lab's own machinery (on the Knative path the queue-proxy, the
   * control plane, the Knative processes and Prometheus), which is not someone else's work.
   */
  self: number;
  /** This process's children that exited and were waited for (the load generator). */
  waitedChildren: number;
  machine: MachineTicks;
}

/** Reads the server tree's, this process's and the machine's CPU counters at once. */
export function readCpu(serverRoot: number): CpuReading {
  const all = readAllProcStats();
  const self = all.find((p) => p.pid === process.pid) ?? readStat(process.pid);
  const machine = parseMachineTicks(readFileSync('/proc/stat', 'utf8'));
  if (self === undefined || machine === undefined) throw new Error('cannot read /proc/self/stat or /proc/stat: the lab needs Linux /proc');
  return {
    at: performance.now() / 1000,
    server: treeCpuSeconds(serverRoot, all),
    self: treeCpuSeconds(process.pid, all) - treeCpuSeconds(serverRoot, all),
    waitedChildren: (self.cutime + self.cstime) / TICKS_PER_SECOND,
    machine,
  };
}

/** CPU used between two readings, in cores (CPU seconds per second) and seconds. */
export interface CpuUsage {
  seconds: number;
  serverCpuSeconds: number;
  loadGeneratorCpuSeconds: number;
  /** Cores busy on the machine outside the server, the load generator and the lab itself: other people's work. */
  backgroundCores: number;
}

/** The CPU used between `before` and `after` on a machine of `cpus` CPUs. */
export function cpuBetween(before: CpuReading, after: CpuReading, cpus: number = MACHINE_CPUS): CpuUsage {
  const seconds = after.at - before.at;
  const serverCpuSeconds = after.server - before.server;
  const loadGeneratorCpuSeconds = after.waitedChildren - before.waitedChildren;
  const selfSeconds = after.self - before.self;
  const ticks = after.machine.total - before.machine.total;
  const busyShare = ticks > 0 ? (after.machine.busy - before.machine.busy) / ticks : 0;
  // /proc/stat's ticks are summed over all CPUs: busy share × CPUs = busy cores.
  const busySeconds = busyShare * cpus * seconds;
  const backgroundCores = seconds > 0 ? Math.max(0, busySeconds - serverCpuSeconds - loadGeneratorCpuSeconds - selfSeconds) / seconds : 0;
  return { seconds, serverCpuSeconds, loadGeneratorCpuSeconds, backgroundCores };
}

/** The 1-minute load average (`/proc/loadavg`). */
export function loadAverage1m(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}
