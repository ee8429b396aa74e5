/**
 * @module PromQL shared by the profiles whose workloads are pods on Kubernetes (Knative and Deployments): cAdvisor CPU
 * and kube-state-metrics CPU limits, summed by workload through a pod → workload map, so one query covers every
 * workload of a namespace. Never a regex of pod names (KRR's approach, one query per container).
 */
import type { FieldQuery, PlanContext, ProfileGap, QueryPlan, SeriesKey } from './types.ts';
import { matchers, promqlDuration, selector } from '../promql.ts';

/** The label the pod → workload maps write the workload's name to (a name no exporter uses, so nothing collides). */
export const WORKLOAD_LABEL = 'pytuner_workload';

/** cAdvisor's per-container CPU counter. */
export const CADVISOR_CPU = 'container_cpu_usage_seconds_total';
/** kube-state-metrics' per-container limits (`resource="cpu"`, `unit="core"`). */
export const KSM_LIMITS = 'kube_pod_container_resource_limits';

/** `sum by (labels) (expr)`. */
export function sumBy(labels: readonly string[], expr: string): string {
  return `sum by (${labels.join(', ')}) (${expr})`;
}

/** Wraps a selector in `last_over_time(...[window])` when `windowSeconds` is set (instant queries over the window). */
function overWindow(sel: string, windowSeconds: number | undefined): string {
  return windowSeconds === undefined ? sel : `last_over_time(${sel}[${promqlDuration(windowSeconds)}])`;
}

/**
 * Pods of Knative revisions → their Service, from kube-state-metrics' `kube_pod_labels`. kube-state-metrics v2
 * exports a pod label only when allowed: `--metric-labels-allowlist=pods=[serving.knative.dev/service]`.
 */
export function knativePodMap(namespace: string | undefined, windowSeconds?: number): string {
  const pods = overWindow(selector('kube_pod_labels', matchers({ namespace }, ['label_serving_knative_dev_service!=""'])), windowSeconds);
  return `max by (namespace, pod, ${WORKLOAD_LABEL}) (label_replace(${pods}, "${WORKLOAD_LABEL}", "$1", "label_serving_knative_dev_service", "(.+)"))`;
}

/** Pods → their Deployment, through the owner chain pod → ReplicaSet → Deployment (`kube_pod_owner`, `kube_replicaset_owner`). */
export function deploymentPodMap(namespace: string | undefined, windowSeconds?: number): string {
  const podOwner = overWindow(selector('kube_pod_owner', matchers({ namespace }, ['owner_kind="ReplicaSet"'])), windowSeconds);
  const rsOwner = overWindow(selector('kube_replicaset_owner', matchers({ namespace }, ['owner_kind="Deployment"'])), windowSeconds);
  const replicaSets = `max by (namespace, replicaset, ${WORKLOAD_LABEL}) (label_replace(${rsOwner}, "${WORKLOAD_LABEL}", "$1", "owner_name", "(.+)"))`;
  const pods = `label_replace(${podOwner}, "replicaset", "$1", "owner_name", "(.+)")`;
  return `max by (namespace, pod, ${WORKLOAD_LABEL}) (${pods} * on (namespace, replicaset) group_left (${WORKLOAD_LABEL}) ${replicaSets})`;
}

/** Which containers' CPU counts: `container=""` is the pod's cgroup total and `POD` the pause container (cAdvisor). */
function containerMatchers(excluded: readonly string[]): string[] {
  return ['container!=""', ...['POD', ...excluded].map((c) => `container!="${c}"`)];
}

const KEY: SeriesKey = { namespace: 'namespace', name: WORKLOAD_LABEL, container: 'container' };

/** CPU cores used per step, summed over each workload's pods, one series per container. */
export function cpuCoresQuery(podMap: string, namespace: string | undefined, rateWindowSeconds: number, excludedContainers: readonly string[] = []): FieldQuery<'cpuCores'> {
  const usage = selector(CADVISOR_CPU, matchers({ namespace }, containerMatchers(excludedContainers)));
  const joined = `rate(${usage}[${promqlDuration(rateWindowSeconds)}]) * on (namespace, pod) group_left (${WORKLOAD_LABEL}) ${podMap}`;
  return { field: 'cpuCores', promql: sumBy(['namespace', WORKLOAD_LABEL, 'container'], joined), key: KEY, scale: 1, metric: CADVISOR_CPU };
}

/** The CPU limit of each workload's containers over the window (the largest, if a rollout changed it), one series per container. */
export function cpuLimitQuery(podMapOverWindow: string, namespace: string | undefined, windowSeconds: number, excludedContainers: readonly string[] = []): FieldQuery<'cpuLimitCores'> {
  const limits = overWindow(selector(KSM_LIMITS, matchers({ namespace }, ['resource="cpu"', ...containerMatchers(excludedContainers)])), windowSeconds);
  const joined = `${limits} * on (namespace, pod) group_left (${WORKLOAD_LABEL}) ${podMapOverWindow}`;
  return { field: 'cpuLimitCores', promql: `max by (namespace, ${WORKLOAD_LABEL}, container) (${joined})`, key: KEY, scale: 1, metric: KSM_LIMITS };
}

/** `histogram_quantile(q, sum by (groups, le) (rate(bucket[w])))`, the rate possibly pre-joined by `wrapRate`. */
export function quantileQuery(q: number, groups: readonly string[], bucketRate: string): string {
  return `histogram_quantile(${q}, ${sumBy([...groups, 'le'], bucketRate)})`;
}

/** The three latency fields from one histogram, each its own query (one series per workload, not one per bucket). */
export function latencyQueries(groups: readonly string[], bucketRate: string, key: SeriesKey, scale: number, metric: string): FieldQuery<'latencyP50' | 'latencyP95' | 'latencyP99'>[] {
  return ([['latencyP50', 0.5], ['latencyP95', 0.95], ['latencyP99', 0.99]] as const).map(([field, q]) => ({
    field,
    promql: quantileQuery(q, groups, bucketRate),
    key,
    scale,
    metric,
  }));
}

/**
 * The CPU half of both Knative profiles' plans (the queue-proxy sidecar excluded), added to the range queries and gaps
 * the profile built: CPU comes from cAdvisor joined to pods by kube-state-metrics' Knative service label, the same
 * for OpenTelemetry and OpenCensus Knative, and Knative exports no container start-up latency at all.
 */
export function knativeCpuPlan(context: PlanContext, range: QueryPlan['range'], gaps: ProfileGap[]): QueryPlan {
  const { namespace, names } = context;
  const window: QueryPlan['window'] = [];
  if (names.has(CADVISOR_CPU) && names.has('kube_pod_labels')) {
    range.push(cpuCoresQuery(knativePodMap(namespace), namespace, context.rateWindowSeconds, ['queue-proxy']));
    if (names.has(KSM_LIMITS)) window.push(cpuLimitQuery(knativePodMap(namespace, context.windowSeconds), namespace, context.windowSeconds, ['queue-proxy']));
  } else {
    const reason = `CPU needs ${CADVISOR_CPU} (cAdvisor) and kube_pod_labels with label_serving_knative_dev_service (kube-state-metrics --metric-labels-allowlist=pods=[serving.knative.dev/service])`;
    gaps.push({ field: 'cpuCores', reason }, { field: 'cpuLimitCores', reason });
  }
  gaps.push({ field: 'startupLatencyP99', reason: 'Knative exports no container start-up latency metric' });
  return { range, window, gaps };
}
