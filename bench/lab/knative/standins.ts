/**
 * @module STAND-INS for exporters a cluster runs and this machine cannot: kube-state-metrics (no build here), and
 * the kubelet's cAdvisor endpoint only as a FALLBACK when the real cAdvisor (cadvisor.ts: the library module
 * github.com/google/cadvisor/lib, built by scripts/install-cadvisor.sh, over the pod's cgroups) cannot be built or
 * cannot make cgroups here. Their series are served from what they would read:
 * - `/metrics/cadvisor` (fallback only): `container_cpu_usage_seconds_total{namespace, pod, container}` of the lab's pod, from /proc
 *   (utime + stime of the server's process tree for the user container, of the queue-proxy for `queue-proxy`), with
 *   the labels the kubelet gives cAdvisor's series; one counter per container that never goes back, across server
 *   restarts, as one container's would within its life;
 * - `/metrics/kube-state-metrics`: `kube_pod_labels{label_serving_knative_dev_service}` (as with
 *   `--metric-labels-allowlist=pods=[serving.knative.dev/service]`) and `kube_pod_container_resource_limits` (CPU) of
 *   the Pod the lab wrote.
 * docs/lab/README.md says so next to the figures.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { treeCpuSeconds } from '../procstat.ts';

export interface StandinPod {
  name: string;
  service: string;
  /** The CPU limit the manifest gives the user container, cores. */
  cpuLimit: number;
}

export interface StandinExporter {
  port: number;
  setPod(pod: StandinPod): void;
  /** The process roots of the pod's containers now (undefined: not running). */
  setProcesses(processes: { user: () => number | undefined; queue: () => number | undefined }): void;
  stop(): Promise<void>;
}

/** A CPU counter over a container whose process may be replaced: the sum of each process tree's last reading. */
class ContainerCpu {
  private base = 0;
  private pid: number | undefined;
  private last = 0;

  read(pid: number | undefined): number {
    if (pid !== this.pid) {
      this.base += this.last;
      this.last = 0;
      this.pid = pid;
    }
    if (pid !== undefined) this.last = Math.max(this.last, treeCpuSeconds(pid));
    return this.base + this.last;
  }
}

/**
 * Serves the stand-ins for `namespace`'s pod; `cadvisor: false` leaves `/metrics/cadvisor` empty (the real exporter,
 * cadvisor.ts, serves CPU then).
 */
export async function startStandinExporter(namespace: string, options: { cadvisor: boolean }): Promise<StandinExporter> {
  let pod: StandinPod | undefined;
  let processes: { user: () => number | undefined; queue: () => number | undefined } = { user: () => undefined, queue: () => undefined };
  let cpu = { user: new ContainerCpu(), queue: new ContainerCpu() };
  const server = createServer((req, res) => {
    const lines: string[] = [];
    if (pod !== undefined && options.cadvisor && req.url === '/metrics/cadvisor') {
      lines.push('# TYPE container_cpu_usage_seconds_total counter');
      const labels = (container: string) => `namespace="${namespace}",pod="${pod!.name}",container="${container}",id="/kubepods/burstable/pod-${pod!.name}/${container}",name="${container}"`;
      lines.push(`container_cpu_usage_seconds_total{${labels('user-container')}} ${cpu.user.read(processes.user()).toFixed(3)}`);
      lines.push(`container_cpu_usage_seconds_total{${labels('queue-proxy')}} ${cpu.queue.read(processes.queue()).toFixed(3)}`);
    } else if (pod !== undefined && req.url === '/metrics/kube-state-metrics') {
      lines.push('# TYPE kube_pod_labels gauge', `kube_pod_labels{namespace="${namespace}",pod="${pod.name}",uid="${pod.name}",label_serving_knative_dev_service="${pod.service}"} 1`);
      lines.push('# TYPE kube_pod_container_resource_limits gauge', `kube_pod_container_resource_limits{namespace="${namespace}",pod="${pod.name}",uid="${pod.name}",container="user-container",node="lab-node",resource="cpu",unit="core"} ${pod.cpuLimit}`);
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(`${lines.join('\n')}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    setPod(next) {
      pod = next;
      cpu = { user: new ContainerCpu(), queue: new ContainerCpu() };
    },
    setProcesses(next) {
      processes = next;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
