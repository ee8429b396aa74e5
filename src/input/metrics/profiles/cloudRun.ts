/**
 * @module Cloud Run through Google Managed Prometheus' PromQL (https://cloud.google.com/stackdriver/docs/managed-prometheus/promql,
 * mapping of Cloud Monitoring metric names to PromQL): Cloud Monitoring's `run.googleapis.com/*` metrics under their PromQL names (first `/` → `:`, other specials → `_`),
 * the resource chosen with `monitored_resource="cloud_run_revision"`, labels `service_name`, `revision_name`,
 * `location`. Latencies are in **milliseconds**; CPU is a utilisation distribution (0–1 of the instance's vCPUs).
 * The project is the scope: one query set for all services, grouped by (location, service_name).
 */
import type { FieldQuery, MetricsProfile, PlanContext, QueryPlan, RangeField, SeriesKey } from './types.ts';
import { latencyQueries, quantileQuery, sumBy } from './kubernetesJoins.ts';
import { promqlDuration, selector } from '../promql.ts';

const PREFIX = 'run_googleapis_com:';
const REQUESTS = `${PREFIX}request_count`;
const LATENCIES = `${PREFIX}request_latencies`;
const INSTANCES = `${PREFIX}container_instance_count`;
const CPU = `${PREFIX}container_cpu_utilizations`;
const STARTUP = `${PREFIX}container_startup_latencies`;
const RESOURCE = 'monitored_resource="cloud_run_revision"';
const GROUPS = ['location', 'service_name'];
const KEY: SeriesKey = { name: 'service_name', location: 'location' };
/** Cloud Monitoring distributions of latency are in milliseconds. */
const MS = 0.001;

function sel(metric: string, ...extra: string[]): string {
  return selector(metric, [RESOURCE, ...extra].join(', '));
}

function plan(context: PlanContext): QueryPlan {
  const { names } = context;
  const rate = promqlDuration(context.rateWindowSeconds);
  const perSecond = (metric: string) => sumBy(GROUPS, `rate(${sel(metric)}[${rate}])`);
  const range: FieldQuery<RangeField>[] = [
    { field: 'requestRate', promql: perSecond(REQUESTS), key: KEY, scale: 1, metric: REQUESTS },
  ];
  const gaps: QueryPlan['gaps'] = [{ field: 'breakerInFlight', reason: 'Cloud Run exports no request queue depth' }];

  if (names.has(`${LATENCIES}_bucket`)) {
    range.push(...latencyQueries(GROUPS, `rate(${sel(`${LATENCIES}_bucket`)}[${rate}])`, KEY, MS, `${LATENCIES}_bucket`));
    // ms of latency per second; requests in flight by Little's law (max_request_concurrencies is a per-minute maximum, not the mean).
    range.push({ field: 'latencySum', promql: perSecond(`${LATENCIES}_sum`), key: KEY, scale: MS, metric: `${LATENCIES}_sum` });
  } else {
    for (const field of ['latencyP50', 'latencyP95', 'latencyP99', 'latencySum'] as const) gaps.push({ field, reason: `no ${LATENCIES}_bucket series` });
  }
  if (names.has(INSTANCES)) {
    const active = sumBy(GROUPS, `avg_over_time(${sel(INSTANCES, 'state="active"')}[${rate}])`);
    range.push({ field: 'instances', promql: active, key: KEY, scale: 1, metric: INSTANCES });
  } else {
    gaps.push({ field: 'instances', reason: `no ${INSTANCES} series` });
  }
  if (names.has(`${CPU}_bucket`)) {
    // The mean of the per-instance utilisation samples: their sum over their count, both as rates.
    range.push({ field: 'cpuUtilisation', promql: `${perSecond(`${CPU}_sum`)} / ${perSecond(`${CPU}_count`)}`, key: KEY, scale: 1, metric: `${CPU}_sum` });
  } else {
    gaps.push({ field: 'cpuCores', reason: `no ${CPU}_bucket series` });
  }
  gaps.push({ field: 'cpuLimitCores', reason: "Cloud Run publishes no CPU limit metric (the manifest's resources.limits.cpu says it)" });

  const window: QueryPlan['window'] = [];
  if (names.has(`${STARTUP}_bucket`)) {
    const increase = `increase(${sel(`${STARTUP}_bucket`)}[${promqlDuration(context.windowSeconds)}])`;
    window.push({ field: 'startupLatencyP99', promql: quantileQuery(0.99, GROUPS, increase), key: KEY, scale: MS, metric: `${STARTUP}_bucket` });
  } else {
    gaps.push({ field: 'startupLatencyP99', reason: `no ${STARTUP}_bucket series` });
  }
  return { range, window, gaps };
}

/** Cloud Run via Managed Service for Prometheus (Cloud Monitoring metric names, milliseconds). */
export const cloudRunProfile: MetricsProfile<'cloudrun'> = {
  id: 'cloudrun',
  kind: 'Service',
  signature: REQUESTS,
  metrics: [REQUESTS, `${LATENCIES}_bucket`, INSTANCES, `${CPU}_bucket`, `${STARTUP}_bucket`],
  labelProbes: [],
  clusterScoped: true,
  // Cloud Monitoring samples Cloud Run every 60 s: four samples per rate() range.
  minRateWindowSeconds: 240,
  plan,
};
