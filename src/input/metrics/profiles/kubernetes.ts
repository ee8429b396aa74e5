/**
 * @module Kubernetes Deployments: cAdvisor CPU and kube-state-metrics replicas and CPU limits, summed by Deployment
 * through the pod → ReplicaSet → Deployment owner chain; request rate, latency and requests in flight from the
 * user's own PromQL templates (an app's own histogram: its names and labels are the app's choice).
 */
import type { FieldQuery, MetricsProfile, PlanContext, QueryPlan, RangeField, SeriesKey } from './types.ts';
import { CADVISOR_CPU, KSM_LIMITS, cpuCoresQuery, cpuLimitQuery, deploymentPodMap, quantileQuery, sumBy } from './kubernetesJoins.ts';
import { escapeLabelValue, fillTemplate, matchers, promqlDuration, selector } from '../promql.ts';

const REPLICAS = 'kube_deployment_status_replicas_available';

/** The user's PromQL for what a Deployment's own metrics say (`--request-rate-query`, `--latency-query`, `--in-flight-query`). */
export interface QueryTemplates {
  /** Requests per second of one Deployment, e.g. `sum(rate(http_requests_total{namespace="{{namespace}}", app="{{name}}"}[{{window}}]))`. */
  requestRate?: string;
  /** Per-second rates of one Deployment's latency histogram buckets by `le`, in seconds: `sum by (le) (rate(http_request_duration_seconds_bucket{…}[{{window}}]))`. */
  latency?: string;
  /** Requests in flight over all pods: a gauge, or Little's law `sum(rate(http_request_duration_seconds_sum{…}[{{window}}]))`. */
  inFlight?: string;
}

function plan(context: PlanContext): QueryPlan {
  const { namespace, names } = context;
  const rate = promqlDuration(context.rateWindowSeconds);
  const range: FieldQuery<RangeField>[] = [];
  const window: QueryPlan['window'] = [];
  const gaps: QueryPlan['gaps'] = [
    { field: 'breakerInFlight', reason: 'nothing queues in front of a Deployment\'s pods that pytuner can read' },
    { field: 'startupLatencyP99', reason: 'the kubernetes profile has no container start-up latency metric' },
  ];
  if (names.has(REPLICAS)) {
    const replicas = sumBy(['namespace', 'deployment'], `avg_over_time(${selector(REPLICAS, matchers({ namespace }))}[${rate}])`);
    range.push({ field: 'instances', promql: replicas, key: { namespace: 'namespace', name: 'deployment' }, scale: 1, metric: REPLICAS });
  } else {
    gaps.push({ field: 'instances', reason: `no ${REPLICAS} series (is kube-state-metrics scraped?)` });
  }
  if (names.has(CADVISOR_CPU) && names.has('kube_pod_owner') && names.has('kube_replicaset_owner')) {
    range.push(cpuCoresQuery(deploymentPodMap(namespace), namespace, context.rateWindowSeconds));
    if (names.has(KSM_LIMITS)) window.push(cpuLimitQuery(deploymentPodMap(namespace, context.windowSeconds), namespace, context.windowSeconds));
    else gaps.push({ field: 'cpuLimitCores', reason: `no ${KSM_LIMITS} series` });
  } else {
    const reason = `CPU needs ${CADVISOR_CPU} (cAdvisor) and kube_pod_owner, kube_replicaset_owner (kube-state-metrics)`;
    gaps.push({ field: 'cpuCores', reason }, { field: 'cpuLimitCores', reason });
  }
  return { range, window, gaps };
}

/** The labels the template queries add to name their workload. */
export const TEMPLATE_KEY: SeriesKey = { namespace: 'pytuner_namespace', name: 'pytuner_name' };

/** Workloads per template query: each is its own sub-expression, joined with `or`, so one HTTP request carries many. */
export const TEMPLATE_BATCH = 50;

/** A label_replace replacement is a regexp template: `$` is written `$$`. */
function replacement(value: string): string {
  return `"${escapeLabelValue(value.replace(/\$/g, '$$$$'))}"`;
}

/** `expr` with the workload's namespace and name as labels, so answers from one `or` stay apart. */
function labelled(expr: string, target: { namespace?: string; name: string }): string {
  const withNamespace = `label_replace(${expr}, "${TEMPLATE_KEY.namespace}", ${replacement(target.namespace ?? '')}, "", "")`;
  return `label_replace(${withNamespace}, "${TEMPLATE_KEY.name}", ${replacement(target.name)}, "", "")`;
}

/**
 * The template queries for `targets`: each template is filled per workload (placeholders escaped) and up to
 * TEMPLATE_BATCH workloads share one query. The user's metric may have any labels, so there is no `by` to
 * aggregate on: this is the one place where queries grow with the workloads, by 1 per 50.
 */
export function templateQueries(templates: QueryTemplates, targets: ReadonlyArray<{ namespace?: string; name: string }>, rateWindowSeconds: number): FieldQuery<RangeField>[] {
  const queries: FieldQuery<RangeField>[] = [];
  for (let i = 0; i < targets.length; i += TEMPLATE_BATCH) {
    const batch = targets.slice(i, i + TEMPLATE_BATCH);
    const fill = (template: string, t: { namespace?: string; name: string }) =>
      fillTemplate(template, { namespace: t.namespace, name: t.name, windowSeconds: rateWindowSeconds });
    const joined = (template: string, wrap: (filled: string) => string) => batch.map((t) => labelled(wrap(fill(template, t)), t)).join(' or ');
    if (templates.requestRate !== undefined) {
      queries.push({ field: 'requestRate', promql: joined(templates.requestRate, (q) => `sum(${q})`), key: TEMPLATE_KEY, scale: 1, metric: '--request-rate-query', batch });
    }
    if (templates.inFlight !== undefined) {
      queries.push({ field: 'inFlight', promql: joined(templates.inFlight, (q) => `sum(${q})`), key: TEMPLATE_KEY, scale: 1, metric: '--in-flight-query', batch });
    }
    if (templates.latency !== undefined) {
      const buckets = joined(templates.latency, (q) => `sum by (le) (${q})`);
      for (const [field, q] of [['latencyP50', 0.5], ['latencyP95', 0.95], ['latencyP99', 0.99]] as const) {
        queries.push({ field, promql: quantileQuery(q, [TEMPLATE_KEY.namespace as string, TEMPLATE_KEY.name], buckets), key: TEMPLATE_KEY, scale: 1, metric: '--latency-query', batch });
      }
    }
  }
  return queries;
}

/** The templates filled for one Deployment, as the report's evidence shows them (without the batching labels). */
export function filledTemplates(templates: QueryTemplates, target: { namespace?: string; name: string }, rateWindowSeconds: number): Partial<Record<RangeField, string>> {
  const fill = (template: string) => fillTemplate(template, { namespace: target.namespace, name: target.name, windowSeconds: rateWindowSeconds });
  const filled: Partial<Record<RangeField, string>> = {};
  if (templates.requestRate !== undefined) filled.requestRate = `sum(${fill(templates.requestRate)})`;
  if (templates.inFlight !== undefined) filled.inFlight = `sum(${fill(templates.inFlight)})`;
  if (templates.latency !== undefined) {
    for (const [field, q] of [['latencyP50', 0.5], ['latencyP95', 0.95], ['latencyP99', 0.99]] as const) filled[field] = `histogram_quantile(${q}, ${fill(templates.latency)})`;
  }
  return filled;
}

/** Gaps for the fields whose template was not given. */
export function missingTemplateGaps(templates: QueryTemplates): QueryPlan['gaps'] {
  const gaps: QueryPlan['gaps'] = [];
  if (templates.requestRate === undefined) gaps.push({ field: 'requestRate', reason: 'no --request-rate-query given (the kubernetes profile reads requests from the app\'s own metrics)' });
  if (templates.latency === undefined) {
    for (const field of ['latencyP50', 'latencyP95', 'latencyP99'] as const) gaps.push({ field, reason: 'no --latency-query given' });
  }
  if (templates.inFlight === undefined) gaps.push({ field: 'inFlight', reason: 'no --in-flight-query given' });
  return gaps;
}

/** Kubernetes Deployments (cAdvisor + kube-state-metrics + the app's own metrics through templates). */
export const kubernetesProfile: MetricsProfile<'kubernetes'> = {
  id: 'kubernetes',
  kind: 'Deployment',
  signature: CADVISOR_CPU,
  metrics: [CADVISOR_CPU, 'kube_pod_owner', 'kube_replicaset_owner', REPLICAS, KSM_LIMITS],
  labelProbes: [],
  clusterScoped: false,
  // cAdvisor via the kubelet is scraped every 15–30 s in the usual setups.
  minRateWindowSeconds: 60,
  plan,
};
