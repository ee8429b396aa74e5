/**
 * @module What Prometheus's kubernetes_sd pod role makes of Pods, for a Prometheus built without it (Debian's 2.42):
 * the lab writes this as a file_sd file, so the Prometheus Operator's PodMonitor relabelling runs on the labels it was
 * written for. Label names as in Prometheus's discovery/kubernetes/pod.go.
 */

/** Prometheus's label-name form of a Kubernetes label key (kubernetes_sd: every character outside [a-zA-Z0-9_] → `_`). */
function sdLabelName(key: string): string {
  return key.replace(/[^a-zA-Z0-9_]/g, '_');
}

/** kubernetes_sd's pod role, for the pods given: one target per container port, with its `__meta_kubernetes_pod_*` labels. */
export function podTargets(pods: readonly Record<string, unknown>[]): { targets: string[]; labels: Record<string, string> }[] {
  const groups: { targets: string[]; labels: Record<string, string> }[] = [];
  for (const pod of pods) {
    const metadata = pod.metadata as { name: string; namespace: string; uid?: string; labels?: Record<string, string> };
    const spec = pod.spec as { nodeName?: string; containers: { name: string; image?: string; ports?: { name?: string; containerPort: number; protocol?: string }[] }[] };
    const status = pod.status as { podIP?: string; hostIP?: string; phase?: string; conditions?: { type: string; status: string }[] } | undefined;
    if (status?.podIP === undefined) continue;
    const podLabels: Record<string, string> = {
      __meta_kubernetes_namespace: metadata.namespace,
      __meta_kubernetes_pod_name: metadata.name,
      __meta_kubernetes_pod_ip: status.podIP,
      __meta_kubernetes_pod_uid: metadata.uid ?? '',
      __meta_kubernetes_pod_node_name: spec.nodeName ?? '',
      __meta_kubernetes_pod_host_ip: status.hostIP ?? '',
      __meta_kubernetes_pod_phase: status.phase ?? '',
      __meta_kubernetes_pod_ready: String(status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false),
    };
    for (const [key, value] of Object.entries(metadata.labels ?? {})) {
      podLabels[`__meta_kubernetes_pod_label_${sdLabelName(key)}`] = value;
      podLabels[`__meta_kubernetes_pod_labelpresent_${sdLabelName(key)}`] = 'true';
    }
    for (const container of spec.containers) {
      for (const port of container.ports ?? []) {
        groups.push({
          targets: [`${status.podIP}:${port.containerPort}`],
          labels: {
            ...podLabels,
            __meta_kubernetes_pod_container_name: container.name,
            __meta_kubernetes_pod_container_image: container.image ?? '',
            __meta_kubernetes_pod_container_port_name: port.name ?? '',
            __meta_kubernetes_pod_container_port_number: String(port.containerPort),
            __meta_kubernetes_pod_container_port_protocol: port.protocol ?? 'TCP',
            __meta_kubernetes_pod_container_init: 'false',
          },
        });
      }
    }
  }
  return groups;
}

