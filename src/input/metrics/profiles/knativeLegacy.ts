/**
 * @module Knative Serving ≤ 1.18, OpenCensus names: from the queue-proxy `revision_request_*` (every request it
 * received, timed whole, the wait for a containerConcurrency slot included) or, where missing, `revision_app_*` (the
 * app call after the breaker, which hides that wait); latencies in **milliseconds**, counters without `_total`; and
 * `autoscaler_*`. All are labelled `namespace_name`, `service_name`, `revision_name` on each series.
 */
import type { FieldQuery, MetricsProfile, PlanContext, ProfileGap, QueryPlan, RangeField, SeriesKey } from './types.ts';
import { CADVISOR_CPU, KSM_LIMITS, knativeCpuPlan, latencyQueries, sumBy } from './kubernetesJoins.ts';
import { matchers, promqlDuration, selector } from '../promql.ts';

/** The app call, timed after the breaker: the signature of the profile and the fallback for latency. */
const COUNT = 'revision_app_request_count';
const LATENCIES = 'revision_app_request_latencies';
/** The whole request through the queue-proxy. */
const WHOLE_COUNT = 'revision_request_count';
const WHOLE_LATENCIES = 'revision_request_latencies';
const QUEUE_DEPTH = 'revision_queue_depth';
const CONCURRENCY = 'autoscaler_stable_request_concurrency';
const PODS = 'autoscaler_actual_pods';
const KEY: SeriesKey = { namespace: 'namespace_name', name: 'service_name' };
const GROUPS = ['namespace_name', 'service_name'];
/** OpenCensus histograms are in milliseconds. */
const MS = 0.001;

function field(fieldName: RangeField, metric: string, namespace: string | undefined, inner: (sel: string) => string, scale = 1): FieldQuery<RangeField> {
  return { field: fieldName, promql: sumBy(GROUPS, inner(selector(metric, matchers({ namespace_name: namespace })))), key: KEY, scale, metric };
}

function plan(context: PlanContext): QueryPlan {
  const { namespace, names } = context;
  const rate = promqlDuration(context.rateWindowSeconds);
  const perSecond = (s: string) => `rate(${s}[${rate}])`;
  const average = (s: string) => `avg_over_time(${s}[${rate}])`;
  const gaps: ProfileGap[] = [];
  // Rate, latency and their sum from one pair of metrics, so that sum / rate is the mean of the same requests.
  const whole = names.has(WHOLE_COUNT) && names.has(`${WHOLE_LATENCIES}_bucket`);
  const [count, latencies] = whole ? [WHOLE_COUNT, WHOLE_LATENCIES] : [COUNT, LATENCIES];
  const range: FieldQuery<RangeField>[] = [field('requestRate', count, namespace, perSecond)];

  if (names.has(`${latencies}_bucket`)) {
    const buckets = perSecond(selector(`${latencies}_bucket`, matchers({ namespace_name: namespace })));
    range.push(...latencyQueries(GROUPS, buckets, KEY, MS, `${latencies}_bucket`));
    range.push(field('latencySum', `${latencies}_sum`, namespace, perSecond, MS));
  } else {
    for (const f of ['latencyP50', 'latencyP95', 'latencyP99', 'latencySum'] as const) gaps.push({ field: f, reason: `no ${latencies}_bucket series` });
  }
  // The autoscaler's stable concurrency is the revision's total; without it, Little's law on latencySum.
  // As in knative.ts: with the whole-request histogram, Little's law (same window, same requests as the latency)
  // rather than the autoscaler's sliding stable-window average, which lags it.
  if (names.has(CONCURRENCY) && !whole) range.push(field('inFlight', CONCURRENCY, namespace, average));
  if (names.has(PODS)) range.push(field('instances', PODS, namespace, average));
  else gaps.push({ field: 'instances', reason: `no ${PODS} series (is the Knative autoscaler scraped?)` });
  // The gauge keeps its last value on an idle pod (it is set as each request starts): only pods with requests count.
  const serving = (s: string) => `(${average(s)} and on (namespace_name, pod_name) (rate(${selector(COUNT, matchers({ namespace_name: namespace }))}[${rate}]) > 0))`;
  if (names.has(QUEUE_DEPTH)) range.push(field('breakerInFlight', QUEUE_DEPTH, namespace, serving));
  else gaps.push({ field: 'breakerInFlight', reason: `no ${QUEUE_DEPTH} series (the queue-proxy reports it only when containerConcurrency > 0)` });

  return knativeCpuPlan(context, range, gaps);
}

/** Knative Serving ≤ 1.18 (OpenCensus metric names, milliseconds). */
export const knativeLegacyProfile: MetricsProfile<'knative-legacy'> = {
  id: 'knative-legacy',
  kind: 'Service',
  signature: COUNT,
  metrics: [COUNT, `${LATENCIES}_bucket`, WHOLE_COUNT, `${WHOLE_LATENCIES}_bucket`, QUEUE_DEPTH, CONCURRENCY, PODS, CADVISOR_CPU, 'kube_pod_labels', KSM_LIMITS],
  labelProbes: [],
  clusterScoped: false,
  // OpenCensus exported every 5 s (config-observability); scraped every 15–30 s: a minute holds enough samples.
  minRateWindowSeconds: 60,
  plan,
};
