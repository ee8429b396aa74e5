import { describe, expect, it } from 'vitest';
import { locateCgroups, parseCgroupMemberships, parseCgroupMounts, parseFlatKeyed, planCgroup, usageFromV1, usageFromV2 } from './cgroup.ts';

/** This CI machine (kernel 6.18, Debian 12 userland): v1 controllers each in their own hierarchy, plus an empty cgroup2. */
const V1_MOUNTINFO = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const V1_CGROUP = `9:name=systemd:/
4:memory:/process_api/f0568f6550cd3008d9dc2976b0c26809
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
`;

/** A systemd host with cgroup v2 only (Debian 12, Ubuntu 22.04+), pytuner run from a login session. */
const V2_MOUNTINFO = '29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n';
const V2_CGROUP = '0::/user.slice/user-1000.slice/session-2.scope\n';

/** Docker on a v1 host: cpu and cpuacct share a hierarchy, and the container's cgroup is bind-mounted as the root. */
const DOCKER_V1_MOUNTINFO = `700 690 0:40 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,nosuid,nodev,noexec,relatime master:20 - cgroup cgroup rw,cpu,cpuacct
701 690 0:41 /docker/abc /sys/fs/cgroup/memory ro,nosuid,nodev,noexec,relatime master:21 - cgroup cgroup rw,memory
`;
const DOCKER_V1_CGROUP = '5:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n';

describe('parseCgroupMounts and parseCgroupMemberships', () => {
  it('reads the v1 controllers from the super options and skips other filesystems', () => {
    expect(parseCgroupMounts(V1_MOUNTINFO)).toEqual([
      { version: 1, mountPoint: '/sys/fs/cgroup/cpu', root: '/', controllers: ['cpu'] },
      { version: 1, mountPoint: '/sys/fs/cgroup/cpuacct', root: '/', controllers: ['cpuacct'] },
      { version: 1, mountPoint: '/sys/fs/cgroup/cpuset', root: '/', controllers: ['cpuset'] },
      { version: 1, mountPoint: '/sys/fs/cgroup/memory', root: '/', controllers: ['memory'] },
      { version: 1, mountPoint: '/sys/fs/cgroup/systemd', root: '/', controllers: [] },
      { version: 2, mountPoint: '/sys/fs/cgroup/unified', root: '/', controllers: [] },
    ]);
    expect(parseCgroupMounts(DOCKER_V1_MOUNTINFO)[0]).toEqual({ version: 1, mountPoint: '/sys/fs/cgroup/cpu,cpuacct', root: '/docker/abc', controllers: ['cpu', 'cpuacct'] });
  });

  it('unescapes octal escapes in mount points', () => {
    expect(parseCgroupMounts('1 2 0:3 / /mnt/my\\040cgroups rw - cgroup2 cgroup2 rw\n')[0]?.mountPoint).toBe('/mnt/my cgroups');
  });

  it('splits /proc/self/cgroup lines at the first two colons', () => {
    expect(parseCgroupMemberships('4:memory:/a:b\n0::/\n')).toEqual([
      { hierarchy: 4, controllers: ['memory'], path: '/a:b' },
      { hierarchy: 0, controllers: [], path: '/' },
    ]);
  });
});

describe('locateCgroups', () => {
  it('finds each v1 controller in its own hierarchy, and the unified root (this machine)', () => {
    expect(locateCgroups(V1_MOUNTINFO, V1_CGROUP)).toEqual({
      v2: '/sys/fs/cgroup/unified',
      v1: {
        cpu: '/sys/fs/cgroup/cpu',
        cpuacct: '/sys/fs/cgroup/cpuacct',
        memory: '/sys/fs/cgroup/memory/process_api/f0568f6550cd3008d9dc2976b0c26809',
      },
    });
  });

  it('maps a bind-mounted container cgroup to the mount point', () => {
    expect(locateCgroups(DOCKER_V1_MOUNTINFO, DOCKER_V1_CGROUP)).toEqual({
      v2: undefined,
      v1: { cpu: '/sys/fs/cgroup/cpu,cpuacct', cpuacct: '/sys/fs/cgroup/cpu,cpuacct', memory: '/sys/fs/cgroup/memory' },
    });
  });

  it('finds the session cgroup on a v2-only host', () => {
    expect(locateCgroups(V2_MOUNTINFO, V2_CGROUP)).toEqual({ v2: '/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope', v1: {} });
  });
});

describe('planCgroup', () => {
  const limits = { cpu: 0.1, memoryBytes: 134_217_728 };

  it('uses v1 when the unified hierarchy offers no cpu or memory controller (this machine)', () => {
    expect(planCgroup(locateCgroups(V1_MOUNTINFO, V1_CGROUP), ['hugetlb'], limits, 'pytuner-importtime-42')).toEqual({
      method: 'cgroup-v1',
      prepare: [],
      directories: [
        '/sys/fs/cgroup/cpu/pytuner-importtime-42',
        '/sys/fs/cgroup/cpuacct/pytuner-importtime-42',
        '/sys/fs/cgroup/memory/process_api/f0568f6550cd3008d9dc2976b0c26809/pytuner-importtime-42',
      ],
      limits: [
        { path: '/sys/fs/cgroup/cpu/pytuner-importtime-42/cpu.cfs_period_us', value: '100000', optional: false },
        { path: '/sys/fs/cgroup/cpu/pytuner-importtime-42/cpu.cfs_quota_us', value: '10000', optional: false },
        { path: '/sys/fs/cgroup/memory/process_api/f0568f6550cd3008d9dc2976b0c26809/pytuner-importtime-42/memory.limit_in_bytes', value: '134217728', optional: false },
        { path: '/sys/fs/cgroup/memory/process_api/f0568f6550cd3008d9dc2976b0c26809/pytuner-importtime-42/memory.memsw.limit_in_bytes', value: '134217728', optional: true },
      ],
      procs: [
        '/sys/fs/cgroup/cpu/pytuner-importtime-42/cgroup.procs',
        '/sys/fs/cgroup/cpuacct/pytuner-importtime-42/cgroup.procs',
        '/sys/fs/cgroup/memory/process_api/f0568f6550cd3008d9dc2976b0c26809/pytuner-importtime-42/cgroup.procs',
      ],
      usage: {
        cpuacctUsage: '/sys/fs/cgroup/cpuacct/pytuner-importtime-42/cpuacct.usage',
        cpuStat: '/sys/fs/cgroup/cpu/pytuner-importtime-42/cpu.stat',
        memoryMaxUsage: '/sys/fs/cgroup/memory/process_api/f0568f6550cd3008d9dc2976b0c26809/pytuner-importtime-42/memory.max_usage_in_bytes',
        memoryFailcnt: '/sys/fs/cgroup/memory/process_api/f0568f6550cd3008d9dc2976b0c26809/pytuner-importtime-42/memory.failcnt',
        memoryOomControl: '/sys/fs/cgroup/memory/process_api/f0568f6550cd3008d9dc2976b0c26809/pytuner-importtime-42/memory.oom_control',
      },
    });
  });

  it('makes one directory for co-mounted cpu,cpuacct, and no memory cgroup without a memory limit', () => {
    const setup = planCgroup(locateCgroups(DOCKER_V1_MOUNTINFO, DOCKER_V1_CGROUP), undefined, { cpu: 0.25, memoryBytes: null }, 'p');
    expect(setup).toMatchObject({
      method: 'cgroup-v1',
      directories: ['/sys/fs/cgroup/cpu,cpuacct/p'],
      procs: ['/sys/fs/cgroup/cpu,cpuacct/p/cgroup.procs'],
      usage: { cpuacctUsage: '/sys/fs/cgroup/cpu,cpuacct/p/cpuacct.usage', cpuStat: '/sys/fs/cgroup/cpu,cpuacct/p/cpu.stat' },
    });
    expect('limits' in setup && setup.limits.map((w) => [w.path, w.value])).toEqual([
      ['/sys/fs/cgroup/cpu,cpuacct/p/cpu.cfs_period_us', '100000'],
      ['/sys/fs/cgroup/cpu,cpuacct/p/cpu.cfs_quota_us', '25000'],
    ]);
  });

  it('uses v2 when it offers the controllers: enables them for children, then cpu.max and memory.max', () => {
    const parent = '/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope';
    expect(planCgroup(locateCgroups(V2_MOUNTINFO, V2_CGROUP), ['cpuset', 'cpu', 'io', 'memory', 'pids'], limits, 'p')).toEqual({
      method: 'cgroup-v2',
      prepare: [{ path: `${parent}/cgroup.subtree_control`, value: '+cpu +memory', optional: false }],
      directories: [`${parent}/p`],
      limits: [
        { path: `${parent}/p/cpu.max`, value: '10000 100000', optional: false },
        { path: `${parent}/p/memory.max`, value: '134217728', optional: false },
        { path: `${parent}/p/memory.swap.max`, value: '0', optional: true },
      ],
      procs: [`${parent}/p/cgroup.procs`],
      usage: { cpuStat: `${parent}/p/cpu.stat`, memoryPeak: `${parent}/p/memory.peak`, memoryEvents: `${parent}/p/memory.events` },
    });
  });

  it('says why when neither version can do it', () => {
    expect(planCgroup(locateCgroups(V2_MOUNTINFO, V2_CGROUP), ['pids'], limits, 'p')).toEqual({
      reason: 'the cgroup v2 hierarchy at /sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope offers only pids, and no cgroup v1 hierarchy is mounted for cpu, memory',
    });
    expect(planCgroup({ v2: undefined, v1: {} }, undefined, { cpu: 0.5, memoryBytes: null }, 'p')).toEqual({
      reason: 'no cgroup v2 hierarchy is mounted, and no cgroup v1 hierarchy is mounted for cpu',
    });
  });
});

describe('usage', () => {
  it('reads a v1 cgroup after a run (files as this machine wrote them)', () => {
    expect(
      usageFromV1({
        cpuacctUsage: '165650524\n',
        cpuStat: 'nr_periods 16\nnr_throttled 15\nthrottled_time 1241200422\nnr_bursts 0\nburst_time 0\n',
        memoryMaxUsage: '22650880\n',
        memoryFailcnt: '0\n',
        memoryOomControl: 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n',
      }),
    ).toEqual({ cpuUs: 165_650.524, periods: 16, throttledPeriods: 15, throttledUs: 1_241_200.422, memoryPeakBytes: 22_650_880, memoryLimitHits: 0, oomKills: 1 });
  });

  it('reads a v2 cgroup, and null for files it could not read', () => {
    expect(
      usageFromV2({
        cpuStat: 'usage_usec 170123\nuser_usec 150000\nsystem_usec 20123\nnr_periods 18\nnr_throttled 17\nthrottled_usec 1500000\n',
        memoryEvents: 'low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n',
      }),
    ).toEqual({ cpuUs: 170_123, periods: 18, throttledPeriods: 17, throttledUs: 1_500_000, memoryPeakBytes: null, memoryLimitHits: 12, oomKills: 1 });
    expect(usageFromV1({})).toEqual({ cpuUs: null, periods: null, throttledPeriods: null, throttledUs: null, memoryPeakBytes: null, memoryLimitHits: null, oomKills: null });
  });

  it('parses flat keyed files and ignores lines that are not key number', () => {
    expect([...parseFlatKeyed('a 1\nb x\n\n c  3 \n')]).toEqual([
      ['a', 1],
      ['c', 3],
    ]);
  });
});
