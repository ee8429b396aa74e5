/**
 * @module A real cAdvisor for the lab's pod: the library the kubelet embeds (github.com/google/cadvisor/lib v0.61.0,
 * bench/lab/cadvisor/main.go, built by scripts/install-cadvisor.sh) watching raw cgroups, one per container of the
 * revision's pod, the way the kubelet lays them out (`/kubepods/…/pod<uid>/<container id>`): here
 * `<root>/<namespace>/<pod>/<container>`. Every server and queue-proxy process starts inside its container's cgroup
 * (a shell joins it, then execs the program), so the kernel's cpuacct counts it, and its children, for as long as the
 * cgroup exists: one counter per container across server restarts, as within one container's life.
 *
 * The kubelet turns cAdvisor's cgroup names into `namespace`, `pod` and `container` labels on its
 * /metrics/cadvisor endpoint; the lab's Prometheus does the same from the `id` label (`cadvisorScrapeJob`), so
 * pytuner's queries read the series unchanged. cgroup v1 (cpu and cpuacct hierarchies) as this machine mounts them,
 * or v2 when no v1 cpuacct hierarchy is mounted.
 */
import { mkdir, readFile, rmdir } from 'node:fs/promises';
import { parseCgroupMounts } from '../../../src/importtime/cgroup.ts';

/** The series pytuner reads from cAdvisor (profiles' CADVISOR_CPU). */
const CPU_SERIES = 'container_cpu_usage_seconds_total';

/** Where the pod's container cgroups go: the directories of `root` in every hierarchy cAdvisor reads CPU from. */
export interface LabCgroups {
  /** The cgroup path prefix (`/pytuner-lab-1234`), cAdvisor's `-prefix`. */
  root: string;
  /** Mount points of the hierarchies the cgroups are made in. */
  mounts: string[];
}

/** The cgroup mount points cAdvisor reads CPU from, out of /proc/self/mountinfo: v1 cpu and cpuacct, else v2. */
export function cpuHierarchies(mountinfo: string): string[] {
  const mounts = parseCgroupMounts(mountinfo);
  const v1 = mounts.filter((m) => m.version === 1 && m.root === '/' && (m.controllers.includes('cpu') || m.controllers.includes('cpuacct')));
  if (v1.some((m) => m.controllers.includes('cpuacct'))) return [...new Set(v1.map((m) => m.mountPoint))];
  return mounts.filter((m) => m.version === 2 && m.root === '/').map((m) => m.mountPoint).slice(0, 1);
}

/** The cgroup path of one container of a pod under `root`. */
export function containerCgroup(root: string, namespace: string, pod: string, container: string): string {
  return `${root}/${namespace}/${pod}/${container}`;
}

/**
 * The scrape job for the exporter, relabelled as the kubelet's cAdvisor endpoint labels its series: only
 * `container_cpu_usage_seconds_total` of the containers under `root`, with `namespace`, `pod` and `container` from the
 * cgroup path (cAdvisor's `id`); the pod-level and root cgroups are dropped (the kubelet gives them no container).
 */
export function cadvisorScrapeJob(target: string, root: string): Record<string, unknown> {
  const escaped = root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const path = `${escaped}/([^/]+)/([^/]+)/([^/]+)`;
  return {
    job_name: 'kubelet',
    metrics_path: '/metrics',
    static_configs: [{ targets: [target] }],
    metric_relabel_configs: [
      { action: 'keep', source_labels: ['__name__'], regex: CPU_SERIES },
      { action: 'keep', source_labels: ['id'], regex: path },
      { source_labels: ['id'], regex: path, target_label: 'namespace', replacement: '$1' },
      { source_labels: ['id'], regex: path, target_label: 'pod', replacement: '$2' },
      { source_labels: ['id'], regex: path, target_label: 'container', replacement: '$3' },
    ],
  };
}

/** The shell that joins a cgroup (writes its own pid into each `cgroup.procs`) and then execs `"$@"`. */
export function joinCgroupScript(directories: readonly string[]): string {
  const joins = directories.map((d) => `echo $$ > '${d.replace(/'/g, "'\\''")}/cgroup.procs'`);
  return `${joins.join(' && ')} && exec "$@"`;
}

/** Makes the root cgroup in every CPU hierarchy; undefined with the reason when this machine does not let us. */
export async function makeLabCgroups(root: string): Promise<LabCgroups | { reason: string }> {
  let mounts: string[];
  try {
    mounts = cpuHierarchies(await readFile('/proc/self/mountinfo', 'utf8'));
  } catch (err) {
    return { reason: `cannot read /proc/self/mountinfo: ${(err as Error).message}` };
  }
  if (mounts.length === 0) return { reason: 'no cgroup v1 cpuacct or cgroup v2 hierarchy is mounted at its root' };
  try {
    for (const m of mounts) await mkdir(`${m}${root}`, { recursive: true });
  } catch (err) {
    return { reason: `cannot make cgroup ${root}: ${(err as Error).message} (needs root)` };
  }
  return { root, mounts };
}

/** The directories of one container's cgroup, made in every hierarchy. */
export async function containerDirectories(cgroups: LabCgroups, namespace: string, pod: string, container: string): Promise<string[]> {
  const path = containerCgroup(cgroups.root, namespace, pod, container);
  const directories = cgroups.mounts.map((m) => `${m}${path}`);
  for (const d of directories) await mkdir(d, { recursive: true });
  return directories;
}

/** Removes the lab's cgroups, deepest first (a cgroup with processes left stays, and is reported). */
export async function removeLabCgroups(cgroups: LabCgroups, paths: readonly string[]): Promise<string[]> {
  const left: string[] = [];
  const all = new Set<string>();
  for (const p of paths) {
    const parts = p.slice(cgroups.root.length).split('/').filter((x) => x !== '');
    for (let i = parts.length; i >= 0; i--) all.add(`${cgroups.root}${parts.slice(0, i).map((x) => `/${x}`).join('')}`);
  }
  const ordered = [...all].sort((a, b) => b.split('/').length - a.split('/').length);
  for (const m of cgroups.mounts) {
    for (const p of ordered) {
      await rmdir(`${m}${p}`).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') left.push(`${m}${p}: ${err.code}`);
      });
    }
  }
  return left;
}
