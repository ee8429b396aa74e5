/**
 * @module Knative Serving ≥ 1.21, OpenTelemetry names. The queue-proxy's whole-request histogram
 * `http_server_request_duration_seconds` (seconds; otelhttp around everything the queue-proxy does, probes left out)
 * gives rate, latency and, by Little's law, requests in flight; where it is missing, its app-call histogram
 * `kn_serving_invocation_duration_seconds`, which starts after the breaker and so hides the wait for a
 * containerConcurrency slot (its concurrency never exceeds containerConcurrency). The autoscaler's
 * `kn_revision_concurrency_stable` and `kn_revision_pods_count` give concurrency and pods.
 *
 * The queue-proxy's service and namespace are OTel resource attributes: Prometheus shows them on `target_info`
 * only, unless the scrape copies the pod labels (`serving_knative_dev_service`, with `namespace`) or an OTel
 * collector turns resource attributes into labels (`kn_service_name`, `k8s_namespace_name`). All three work:
 * the label names found on the histogram decide, else the queries join `target_info` on (job, instance).
 */
import type { FieldQuery, MetricsProfile, PlanContext, ProfileGap, QueryPlan, RangeField, SeriesKey } from './types.ts';
import { CADVISOR_CPU, KSM_LIMITS, knativeCpuPlan, latencyQueries, sumBy } from './kubernetesJoins.ts';
import { matchers, promqlDuration, selector } from '../promql.ts';

/** The app call, timed after the breaker: the signature of the profile and the fallback for latency. */
const HISTOGRAM = 'kn_serving_invocation_duration_seconds';
/** The whole request through the queue-proxy, the wait for a slot included (otelhttp's semantic-convention name). */
const WHOLE_REQUEST = 'http_server_request_duration_seconds';
/**
 * The queue-proxy's route-tag handler labels each of its requests with `kn_route_tag` (`kn:disabled` without a tag):
 * this keeps out an app container's own `http_server_request_duration_seconds` where the scrape gives both pod labels.
 */
const QUEUE_PROXY_REQUESTS = 'kn_route_tag!=""';
/**
 * Whether queue-proxies export the whole-request histogram, asked of the series themselves: the name alone may be an
 * app's (any OpenTelemetry-instrumented server exports it), and reading it would then leave every service without data.
 */
const WHOLE_REQUEST_PROBE = `${WHOLE_REQUEST}_count{${QUEUE_PROXY_REQUESTS}}`;
const QUEUE_DEPTH = 'kn_serving_queue_depth';
const CONCURRENCY = 'kn_revision_concurrency_stable';
const PODS = 'kn_revision_pods_count';

/** Labels the autoscaler puts on each series (they are per-series attributes there, not resource attributes). */
const AUTOSCALER_KEY: SeriesKey = { namespace: 'k8s_namespace_name', name: 'kn_service_name' };

/** How the queue-proxy's series name their service: labels on each series, or a join with `target_info`. */
export type QueueProxyLabels =
  | { via: 'series'; namespace: string; service: string }
  | { via: 'target_info' };

/** Label names that may carry the service and the namespace, in order of preference. */
const SERVICE_LABELS = ['kn_service_name', 'serving_knative_dev_service'];
const NAMESPACE_LABELS = ['k8s_namespace_name', 'namespace'];

/** Decides the queue-proxy labelling from the label names found on the histogram and on `target_info`. */
export function queueProxyLabels(labelNames: PlanContext['labelNames']): QueueProxyLabels | undefined {
  const onSeries = labelNames.get(`${HISTOGRAM}_count`) ?? new Set<string>();
  const service = SERVICE_LABELS.find((l) => onSeries.has(l));
  const namespace = NAMESPACE_LABELS.find((l) => onSeries.has(l));
  if (service !== undefined && namespace !== undefined) return { via: 'series', namespace, service };
  const onTargetInfo = labelNames.get('target_info') ?? new Set<string>();
  if (onTargetInfo.has('kn_service_name') && onTargetInfo.has('k8s_namespace_name')) return { via: 'target_info' };
  return undefined;
}

/** A per-pod expression over the queue-proxy's series, with the labels that group it by service. */
interface QueueProxyExpression {
  expr: string;
  groups: string[];
  key: SeriesKey;
}

/**
 * `inner(selector)` per pod, ready to be summed by `groups`. With `target_info`, the namespace filter goes on
 * `target_info` (the series have no namespace label) and its service labels are copied over with group_left.
 */
function queueProxyExpression(labels: QueueProxyLabels, namespace: string | undefined, metric: string, inner: (sel: string) => string): QueueProxyExpression {
  if (labels.via === 'series') {
    const sel = queueProxySelector(labels, namespace, metric);
    return { expr: inner(sel), groups: [labels.namespace, labels.service], key: { namespace: labels.namespace, name: labels.service } };
  }
  const info = selector('target_info', matchers({ k8s_namespace_name: namespace }, ['kn_service_name!=""']));
  const expr = `${inner(queueProxySelector(labels, namespace, metric))} * on (job, instance) group_left (k8s_namespace_name, kn_service_name) ${info}`;
  return { expr, groups: ['k8s_namespace_name', 'kn_service_name'], key: AUTOSCALER_KEY };
}

/**
 * A queue-proxy metric, filtered by namespace when its series carry one (with `target_info`, the join filters), and
 * the whole-request histogram to the queue-proxy's own series.
 */
function queueProxySelector(labels: QueueProxyLabels, namespace: string | undefined, metric: string): string {
  const extra = metric.startsWith(WHOLE_REQUEST) ? [QUEUE_PROXY_REQUESTS] : [];
  return selector(metric, matchers(labels.via === 'series' ? { [labels.namespace]: namespace } : {}, extra));
}

/** The queue-proxy field `field`: `inner` per pod, summed by service. */
function queueProxyField(field: RangeField, labels: QueueProxyLabels, namespace: string | undefined, metric: string, inner: (sel: string) => string): FieldQuery<RangeField> {
  const q = queueProxyExpression(labels, namespace, metric, inner);
  return { field, promql: sumBy(q.groups, q.expr), key: q.key, scale: 1, metric };
}

/**
 * The queue-proxy sets its queue-depth gauge as each request starts and never resets it, so an idle pod keeps showing
 * the requests it had in flight at its last request: only the pods that served requests in the step count.
 */
function servingPods(gauge: string, requests: string, rate: string): string {
  return `(${gauge} and on (job, instance) (rate(${requests}[${rate}]) > 0))`;
}

function autoscalerAverage(field: RangeField, metric: string, namespace: string | undefined, rate: string): FieldQuery<RangeField> {
  const sel = selector(metric, matchers({ k8s_namespace_name: namespace }));
  return { field, promql: sumBy(['k8s_namespace_name', 'kn_service_name'], `avg_over_time(${sel}[${rate}])`), key: AUTOSCALER_KEY, scale: 1, metric };
}

function plan(context: PlanContext): QueryPlan {
  const { namespace, names } = context;
  const rate = promqlDuration(context.rateWindowSeconds);
  const range: FieldQuery<RangeField>[] = [];
  const gaps: ProfileGap[] = [];
  const labels = queueProxyLabels(context.labelNames);

  if (labels === undefined) {
    const reason = `the ${HISTOGRAM} series carry no service label (kn_service_name or serving_knative_dev_service) and target_info has no kn_service_name: relabel the pod labels at scrape time or scrape target_info`;
    for (const field of ['requestRate', 'latencyP50', 'latencyP95', 'latencyP99', 'breakerInFlight'] as const) gaps.push({ field, reason });
  } else {
    const perSecond = (s: string) => `rate(${s}[${rate}])`;
    // Rate, latency and their sum from one histogram, so that sum / rate is the mean of the same requests.
    const timed = (context.labelNames.get(WHOLE_REQUEST_PROBE)?.size ?? 0) > 0 ? WHOLE_REQUEST : HISTOGRAM;
    range.push(queueProxyField('requestRate', labels, namespace, `${timed}_count`, perSecond));
    const buckets = queueProxyExpression(labels, namespace, `${timed}_bucket`, perSecond);
    range.push(...latencyQueries(buckets.groups, buckets.expr, buckets.key, 1, `${timed}_bucket`));
    range.push(queueProxyField('latencySum', labels, namespace, `${timed}_sum`, perSecond));
    if (names.has(QUEUE_DEPTH)) {
      range.push(queueProxyField('breakerInFlight', labels, namespace, QUEUE_DEPTH, (s) => servingPods(`avg_over_time(${s}[${rate}])`, queueProxySelector(labels, namespace, `${HISTOGRAM}_count`), rate)));
    } else {
      gaps.push({ field: 'breakerInFlight', reason: `no ${QUEUE_DEPTH} series (the queue-proxy records it only when containerConcurrency > 0)` });
    }
  }

  if (labels === undefined) gaps.push({ field: 'latencySum', reason: 'the queue-proxy series cannot be told apart by service (see requestRate)' });
  // Concurrency: with the whole-request histogram, Little's law on latencySum gives the requests in the queue-proxy
  // (waiting included) over the same window and the same requests as the latency. The autoscaler's stable
  // concurrency (the revision's total: pkg/autoscaler/scaling/autoscaler.go) is a sliding average over the
  // stable window (60 s by default) and so lags the latency window: measured in bench/lab on real components, it
  // trailed Little's law by about 45 s on a rising load. It is read only where the queue-proxy times the app call
  // alone, whose Little's law would leave out the requests waiting for a slot.
  const wholeRequest = labels !== undefined && (context.labelNames.get(WHOLE_REQUEST_PROBE)?.size ?? 0) > 0;
  if (names.has(CONCURRENCY) && !wholeRequest) range.push(autoscalerAverage('inFlight', CONCURRENCY, namespace, rate));
  if (names.has(PODS)) range.push(autoscalerAverage('instances', PODS, namespace, rate));
  else gaps.push({ field: 'instances', reason: `no ${PODS} series (is the Knative autoscaler scraped?)` });

  return knativeCpuPlan(context, range, gaps);
}

/** Knative Serving ≥ 1.21 (OpenTelemetry metric names, seconds). */
export const knativeProfile: MetricsProfile<'knative'> = {
  id: 'knative',
  kind: 'Service',
  signature: `${HISTOGRAM}_count`,
  metrics: [`${HISTOGRAM}_count`, QUEUE_DEPTH, CONCURRENCY, PODS, 'target_info', CADVISOR_CPU, 'kube_pod_labels', KSM_LIMITS],
  labelProbes: [`${HISTOGRAM}_count`, 'target_info', WHOLE_REQUEST_PROBE],
  clusterScoped: false,
  // The queue-proxy is scraped every 15–30 s in the usual setups: a minute holds enough samples for rate().
  minRateWindowSeconds: 60,
  plan,
};

