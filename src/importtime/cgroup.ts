/**
 * @module Where this process's cgroups are and how to run a command in a child cgroup with a CPU quota and a
 * memory limit: pure functions over the text of /proc/self/mountinfo, /proc/self/cgroup and the cgroup files;
 * `src/cli/importtime.ts` does the reading, writing and spawning.
 *
 * cgroup v1 (kernel Documentation/scheduler/sched-bwc.rst, admin-guide/cgroup-v1/memory.rst): the `cpu`
 * controller's `cpu.cfs_quota_us` / `cpu.cfs_period_us`, `cpuacct.usage` (ns), `memory.limit_in_bytes`,
 * `memory.max_usage_in_bytes`, `memory.failcnt`, `memory.oom_control` (`oom_kill N`, kernel 4.13+). Each controller
 * may be a separate hierarchy (`/sys/fs/cgroup/cpu`, `/sys/fs/cgroup/memory`) or share one (`cpu,cpuacct`).
 * cgroup v2 (admin-guide/cgroup-v2.rst): one hierarchy; `cpu.max` ("quota period"), `cpu.stat` (`usage_usec`,
 * `nr_throttled`, `throttled_usec`), `memory.max`, `memory.peak` (5.19+), `memory.events` (`max`, `oom_kill`); a
 * controller must be listed in the parent's `cgroup.subtree_control` before a child can use it.
 */
import { CFS_PERIOD_US, cpuQuotaUs } from './quota.ts';

/** How the limits were applied: a real cgroup of either version, or not at all (an estimate). */
export type QuotaMethod = 'cgroup-v1' | 'cgroup-v2' | 'estimate';

/** A mounted cgroup hierarchy. */
export interface CgroupMount {
  version: 1 | 2;
  /** Where it is mounted (`/sys/fs/cgroup/cpu`). */
  mountPoint: string;
  /** The cgroup of the hierarchy shown at the mount point (`/` unless a sub-tree is bind-mounted). */
  root: string;
  /** v1: the controllers of the hierarchy (`cpu`, `cpuacct`); v2: empty (read `cgroup.controllers`). */
  controllers: string[];
}

/** The cgroup directories this process belongs to, per v1 controller and for v2. */
export interface CgroupLocations {
  v2: string | undefined;
  v1: Partial<Record<V1Controller, string>>;
}

type V1Controller = 'cpu' | 'cpuacct' | 'memory';
const V1_CONTROLLERS: readonly V1Controller[] = ['cpu', 'cpuacct', 'memory'];

/** The limits to apply; null leaves that resource unlimited. */
export interface CgroupLimits {
  /** CPUs (0.1 = 10 ms of CPU time per 100 ms). */
  cpu: number | null;
  memoryBytes: number | null;
}

/** A value to write into a cgroup file. */
export interface CgroupWrite {
  path: string;
  value: string;
  /** When the file may not exist (swap accounting off): a failed write is then skipped. */
  optional: boolean;
}

/** Everything needed to run one command in a fresh child cgroup, measure it and remove the cgroup. */
export interface CgroupSetup {
  method: 'cgroup-v1' | 'cgroup-v2';
  /** Writes to do before creating the children (v2: enable the controllers for children). */
  prepare: CgroupWrite[];
  /** Child directories to create (one per v1 hierarchy), and to remove afterwards. */
  directories: string[];
  /** Limits to write after creating them. */
  limits: CgroupWrite[];
  /** `cgroup.procs` files the command's pid is written to before it execs. */
  procs: string[];
  /** Files to read after the run for the usage (absent keys: not available). */
  usage: UsageFiles;
}

/** Paths of the files `usageFromV1` / `usageFromV2` read. */
export interface UsageFiles {
  cpuacctUsage?: string;
  cpuStat?: string;
  memoryMaxUsage?: string;
  memoryFailcnt?: string;
  memoryOomControl?: string;
  memoryPeak?: string;
  memoryEvents?: string;
}

/** What the kernel counted for the child cgroup. null: not available on this kernel or hierarchy. */
export interface CgroupUsage {
  cpuUs: number | null;
  periods: number | null;
  throttledPeriods: number | null;
  throttledUs: number | null;
  memoryPeakBytes: number | null;
  /** Times the memory limit was reached (v1 `memory.failcnt`, v2 `memory.events` max). */
  memoryLimitHits: number | null;
  /** Processes the OOM killer killed in the cgroup. */
  oomKills: number | null;
}

/** The cgroup mounts listed in /proc/self/mountinfo (proc(5)). */
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const separator = line.indexOf(' - ');
    if (separator === -1) continue;
    const before = line.slice(0, separator).split(' ');
    const [fsType, , superOptions = ''] = line.slice(separator + 3).split(' ');
    const root = before[3];
    const mountPoint = before[4];
    if (root === undefined || mountPoint === undefined) continue;
    if (fsType === 'cgroup2') mounts.push({ version: 2, mountPoint: unescapeMountField(mountPoint), root: unescapeMountField(root), controllers: [] });
    if (fsType === 'cgroup') {
      const controllers = superOptions.split(',').filter((option) => option !== 'rw' && option !== 'ro' && !option.includes('='));
      mounts.push({ version: 1, mountPoint: unescapeMountField(mountPoint), root: unescapeMountField(root), controllers });
    }
  }
  return mounts;
}

/** mountinfo writes space, tab, newline and backslash in paths as octal escapes (`\040`). */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** One line of /proc/self/cgroup: `hierarchy-id:controllers:path` (v2: `0::path`). */
export interface CgroupMembership {
  hierarchy: number;
  controllers: string[];
  path: string;
}

/** The lines of /proc/self/cgroup (cgroups(7)). */
export function parseCgroupMemberships(procSelfCgroup: string): CgroupMembership[] {
  const memberships: CgroupMembership[] = [];
  for (const line of procSelfCgroup.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first === -1 || second === -1) continue;
    const controllers = line.slice(first + 1, second);
    memberships.push({ hierarchy: Number(line.slice(0, first)), controllers: controllers === '' ? [] : controllers.split(','), path: line.slice(second + 1) });
  }
  return memberships;
}

/** The directory of this process's cgroup under a mount, or undefined when the mount does not show it. */
function directoryUnder(mount: CgroupMount, path: string): string | undefined {
  if (mount.root === '/') return joinPath(mount.mountPoint, path);
  if (path === mount.root) return mount.mountPoint;
  if (path.startsWith(`${mount.root}/`)) return joinPath(mount.mountPoint, path.slice(mount.root.length));
  return undefined;
}

function joinPath(directory: string, path: string): string {
  const tail = path.replace(/^\/+/, '');
  if (tail === '') return directory;
  return `${directory.replace(/\/+$/, '')}/${tail}`;
}

/** Where this process's cgroups are, from the text of /proc/self/mountinfo and /proc/self/cgroup. */
export function locateCgroups(mountinfo: string, procSelfCgroup: string): CgroupLocations {
  const mounts = parseCgroupMounts(mountinfo);
  const memberships = parseCgroupMemberships(procSelfCgroup);
  const locations: CgroupLocations = { v2: undefined, v1: {} };
  const unified = memberships.find((m) => m.hierarchy === 0 && m.controllers.length === 0);
  if (unified !== undefined) {
    for (const mount of mounts.filter((m) => m.version === 2)) {
      locations.v2 ??= directoryUnder(mount, unified.path);
    }
  }
  for (const controller of V1_CONTROLLERS) {
    const membership = memberships.find((m) => m.hierarchy !== 0 && m.controllers.includes(controller));
    if (membership === undefined) continue;
    for (const mount of mounts.filter((m) => m.version === 1 && m.controllers.includes(controller))) {
      locations.v1[controller] ??= directoryUnder(mount, membership.path);
    }
  }
  return locations;
}

/**
 * How to run a command under `limits` in a child cgroup named `name`: cgroup v2 when this process's v2 cgroup
 * offers the controllers (`v2Controllers`: its `cgroup.controllers`, undefined when unreadable), else v1 when the
 * needed hierarchies are mounted; else the reason neither is possible.
 */
export function planCgroup(locations: CgroupLocations, v2Controllers: readonly string[] | undefined, limits: CgroupLimits, name: string): CgroupSetup | { reason: string } {
  const needed = neededControllers(limits);
  if (locations.v2 !== undefined && v2Controllers !== undefined && needed.every((c) => v2Controllers.includes(c))) {
    return planV2(locations.v2, limits, name, needed);
  }
  const missingV1 = needed.filter((c) => locations.v1[c] === undefined);
  if (missingV1.length === 0) return planV1(locations.v1, limits, name);
  const v2Note = locations.v2 === undefined ? 'no cgroup v2 hierarchy is mounted' : `the cgroup v2 hierarchy at ${locations.v2} offers ${v2Controllers === undefined || v2Controllers.length === 0 ? 'no controllers' : `only ${v2Controllers.join(', ')}`}`;
  return { reason: `${v2Note}, and no cgroup v1 hierarchy is mounted for ${missingV1.join(', ')}` };
}

function neededControllers(limits: CgroupLimits): ('cpu' | 'memory')[] {
  const needed: ('cpu' | 'memory')[] = [];
  if (limits.cpu !== null) needed.push('cpu');
  if (limits.memoryBytes !== null) needed.push('memory');
  return needed;
}

function planV2(parent: string, limits: CgroupLimits, name: string, needed: readonly string[]): CgroupSetup {
  const child = joinPath(parent, name);
  const limitWrites: CgroupWrite[] = [];
  if (limits.cpu !== null) limitWrites.push({ path: `${child}/cpu.max`, value: `${cpuQuotaUs(limits.cpu)} ${CFS_PERIOD_US}`, optional: false });
  if (limits.memoryBytes !== null) {
    limitWrites.push({ path: `${child}/memory.max`, value: String(limits.memoryBytes), optional: false });
    // No swap, as on Cloud Run and with docker --memory-swap equal to --memory (the talk's constraints).
    limitWrites.push({ path: `${child}/memory.swap.max`, value: '0', optional: true });
  }
  return {
    method: 'cgroup-v2',
    prepare: needed.length === 0 ? [] : [{ path: `${parent}/cgroup.subtree_control`, value: needed.map((c) => `+${c}`).join(' '), optional: false }],
    directories: [child],
    limits: limitWrites,
    procs: [`${child}/cgroup.procs`],
    usage: {
      cpuStat: `${child}/cpu.stat`,
      ...(limits.memoryBytes === null ? {} : { memoryPeak: `${child}/memory.peak`, memoryEvents: `${child}/memory.events` }),
    },
  };
}

function planV1(parents: Partial<Record<V1Controller, string>>, limits: CgroupLimits, name: string): CgroupSetup {
  const child = (controller: V1Controller): string | undefined => {
    const parent = parents[controller];
    return parent === undefined ? undefined : joinPath(parent, name);
  };
  const cpu = limits.cpu === null ? undefined : child('cpu');
  const cpuacct = child('cpuacct');
  const memory = limits.memoryBytes === null ? undefined : child('memory');
  const directories = [...new Set([cpu, cpuacct, memory].filter((d) => d !== undefined))];
  const limitWrites: CgroupWrite[] = [];
  if (cpu !== undefined && limits.cpu !== null) {
    limitWrites.push({ path: `${cpu}/cpu.cfs_period_us`, value: String(CFS_PERIOD_US), optional: false });
    limitWrites.push({ path: `${cpu}/cpu.cfs_quota_us`, value: String(cpuQuotaUs(limits.cpu)), optional: false });
  }
  if (memory !== undefined && limits.memoryBytes !== null) {
    limitWrites.push({ path: `${memory}/memory.limit_in_bytes`, value: String(limits.memoryBytes), optional: false });
    // memory+swap equal to memory: no swap (absent when the kernel does not account swap).
    limitWrites.push({ path: `${memory}/memory.memsw.limit_in_bytes`, value: String(limits.memoryBytes), optional: true });
  }
  return {
    method: 'cgroup-v1',
    prepare: [],
    directories,
    limits: limitWrites,
    procs: directories.map((d) => `${d}/cgroup.procs`),
    usage: {
      ...(cpuacct === undefined ? {} : { cpuacctUsage: `${cpuacct}/cpuacct.usage` }),
      ...(cpu === undefined ? {} : { cpuStat: `${cpu}/cpu.stat` }),
      ...(memory === undefined
        ? {}
        : { memoryMaxUsage: `${memory}/memory.max_usage_in_bytes`, memoryFailcnt: `${memory}/memory.failcnt`, memoryOomControl: `${memory}/memory.oom_control` }),
    },
  };
}

/** `key value` lines (cpu.stat, memory.events, memory.oom_control) as a map of numbers. */
export function parseFlatKeyed(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key === undefined || key === '' || value === undefined || !/^\d+$/.test(value)) continue;
    values.set(key, Number(value));
  }
  return values;
}

function singleNumber(text: string | undefined): number | null {
  const trimmed = text?.trim();
  return trimmed !== undefined && /^\d+$/.test(trimmed) ? Number(trimmed) : null;
}

function keyed(text: string | undefined, key: string): number | null {
  return text === undefined ? null : (parseFlatKeyed(text).get(key) ?? null);
}

/** The usage of a v1 child cgroup, from the text of its files (undefined: could not be read). */
export function usageFromV1(files: { cpuacctUsage?: string; cpuStat?: string; memoryMaxUsage?: string; memoryFailcnt?: string; memoryOomControl?: string }): CgroupUsage {
  const cpuNs = singleNumber(files.cpuacctUsage);
  const throttledNs = keyed(files.cpuStat, 'throttled_time');
  return {
    cpuUs: cpuNs === null ? null : cpuNs / 1000,
    periods: keyed(files.cpuStat, 'nr_periods'),
    throttledPeriods: keyed(files.cpuStat, 'nr_throttled'),
    throttledUs: throttledNs === null ? null : throttledNs / 1000,
    memoryPeakBytes: singleNumber(files.memoryMaxUsage),
    memoryLimitHits: singleNumber(files.memoryFailcnt),
    oomKills: keyed(files.memoryOomControl, 'oom_kill'),
  };
}

/** The usage of a v2 child cgroup, from the text of its files (undefined: could not be read). */
export function usageFromV2(files: { cpuStat?: string; memoryPeak?: string; memoryEvents?: string }): CgroupUsage {
  return {
    cpuUs: keyed(files.cpuStat, 'usage_usec'),
    periods: keyed(files.cpuStat, 'nr_periods'),
    throttledPeriods: keyed(files.cpuStat, 'nr_throttled'),
    throttledUs: keyed(files.cpuStat, 'throttled_usec'),
    memoryPeakBytes: singleNumber(files.memoryPeak),
    memoryLimitHits: keyed(files.memoryEvents, 'max'),
    oomKills: keyed(files.memoryEvents, 'oom_kill'),
  };
}
