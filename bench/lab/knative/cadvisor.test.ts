import { describe, expect, it } from 'vitest';
import { cadvisorScrapeJob, containerCgroup, cpuHierarchies, joinCgroupScript } from './cadvisor.ts';

/** This machine's kind of mountinfo: cgroup v1 with cpu and cpuacct in separate hierarchies, and a v2 hierarchy beside. */
const HYBRID = `30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw`;
const V2_ONLY = '30 22 0:27 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate';
/** A container's view: the hierarchy's root is a sub-tree, where making cgroups for cAdvisor's names would not match them. */
const NESTED = '31 30 0:28 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,relatime - cgroup cgroup rw,cpu,cpuacct';

/** Prometheus relabelling as documented: the regex matches the whole value (anchored), `$n` are its groups. */
function relabel(rules: { action?: string; source_labels: string[]; regex: string; target_label?: string; replacement?: string }[], labels: Record<string, string>): Record<string, string> | undefined {
  const out = { ...labels };
  for (const rule of rules) {
    const value = rule.source_labels.map((l) => out[l] ?? '').join(';');
    const match = new RegExp(`^(?:${rule.regex})$`).exec(value);
    if (rule.action === 'keep') {
      if (match === null) return undefined;
      continue;
    }
    if (match !== null && rule.target_label !== undefined) out[rule.target_label] = rule.replacement!.replace(/\$(\d)/g, (_, i: string) => match[Number(i)] ?? '');
  }
  return out;
}

describe('cpuHierarchies', () => {
  it('takes the v1 cpu and cpuacct hierarchies where they are mounted, else the v2 one', () => {
    expect(cpuHierarchies(HYBRID)).toEqual(['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpuacct']);
    expect(cpuHierarchies(V2_ONLY)).toEqual(['/sys/fs/cgroup']);
  });

  it('refuses hierarchies mounted from a sub-tree', () => {
    expect(cpuHierarchies(NESTED)).toEqual([]);
  });
});

describe('cadvisorScrapeJob', () => {
  const job = cadvisorScrapeJob('127.0.0.1:8194', '/pytuner-lab-42') as { job_name: string; static_configs: unknown; metric_relabel_configs: Parameters<typeof relabel>[0] };

  it('scrapes the exporter as the kubelet job', () => {
    expect(job.job_name).toBe('kubelet');
    expect(job.static_configs).toEqual([{ targets: ['127.0.0.1:8194'] }]);
  });

  it("gives a container's CPU the kubelet's namespace, pod and container labels from its cgroup path", () => {
    const series = { __name__: 'container_cpu_usage_seconds_total', cpu: 'total', id: containerCgroup('/pytuner-lab-42', 'shop', 'lab-cpu-bound-00001-deployment-lab', 'user-container') };
    expect(relabel(job.metric_relabel_configs, series)).toEqual({ ...series, namespace: 'shop', pod: 'lab-cpu-bound-00001-deployment-lab', container: 'user-container' });
  });

  it('drops the root, the pod-level cgroups, other roots and every other series', () => {
    const cpu = (id: string) => ({ __name__: 'container_cpu_usage_seconds_total', cpu: 'total', id });
    expect(relabel(job.metric_relabel_configs, cpu('/'))).toBeUndefined();
    expect(relabel(job.metric_relabel_configs, cpu('/pytuner-lab-42/shop/pod-a'))).toBeUndefined();
    expect(relabel(job.metric_relabel_configs, cpu('/pytuner-lab-420/shop/pod-a/user-container'))).toBeUndefined();
    expect(relabel(job.metric_relabel_configs, { __name__: 'container_scrape_error', id: '/pytuner-lab-42/shop/pod-a/user-container' })).toBeUndefined();
  });
});

describe('joinCgroupScript', () => {
  it('joins every directory, then execs the command with its pid', () => {
    expect(joinCgroupScript(['/sys/fs/cgroup/cpu/a', "/sys/fs/cgroup/cpuacct/it's"])).toBe(`echo $$ > '/sys/fs/cgroup/cpu/a/cgroup.procs' && echo $$ > '/sys/fs/cgroup/cpuacct/it'\\''s/cgroup.procs' && exec "$@"`);
  });
});
