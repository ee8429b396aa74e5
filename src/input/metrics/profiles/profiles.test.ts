import { describe, expect, it } from 'vitest';
import type { PlanContext } from './types.ts';
import { autoProfileFor, autoProfileForNamespaces, availableProfiles, detectionMetrics, PROFILES } from './index.ts';
import { knativeProfile, queueProxyLabels } from './knative.ts';
import { knativeLegacyProfile } from './knativeLegacy.ts';
import { cloudRunProfile } from './cloudRun.ts';
import { kubernetesProfile, missingTemplateGaps, TEMPLATE_BATCH, templateQueries } from './kubernetes.ts';

const ALL_NAMES = new Set(detectionMetrics());
/** The knative profile's probe for queue-proxy series of the whole-request histogram. */
const WHOLE_REQUEST_PROBE = 'http_server_request_duration_seconds_count{kn_route_tag!=""}';
const context = (over: Partial<PlanContext> = {}): PlanContext => ({
  namespace: 'shop',
  rateWindowSeconds: 300,
  windowSeconds: 7 * 86_400,
  names: ALL_NAMES,
  labelNames: new Map([
    ['kn_serving_invocation_duration_seconds_count', new Set(['namespace', 'serving_knative_dev_service', 'le'])],
    [WHOLE_REQUEST_PROBE, new Set(['namespace', 'serving_knative_dev_service', 'kn_route_tag'])],
  ]),
  ...over,
});

describe('queueProxyLabels', () => {
  it.each([
    [['k8s_namespace_name', 'kn_service_name'], [], { via: 'series', namespace: 'k8s_namespace_name', service: 'kn_service_name' }],
    [['namespace', 'serving_knative_dev_service'], [], { via: 'series', namespace: 'namespace', service: 'serving_knative_dev_service' }],
    [['namespace', 'kn_service_name'], [], { via: 'series', namespace: 'namespace', service: 'kn_service_name' }],
    [['job', 'instance'], ['job', 'instance', 'kn_service_name', 'k8s_namespace_name'], { via: 'target_info' }],
    [['job', 'instance'], ['job', 'instance'], undefined],
  ])('series labels %j, target_info labels %j → %j', (onSeries, onInfo, expected) => {
    const labelNames = new Map([
      ['kn_serving_invocation_duration_seconds_count', new Set(onSeries)],
      ['target_info', new Set(onInfo)],
    ]);
    expect(queueProxyLabels(labelNames)).toEqual(expected);
  });
});

describe('Knative ≥ 1.21 queries', () => {
  it('sums by service within the namespace, never by pod', () => {
    const plan = knativeProfile.plan(context());
    const byField = Object.fromEntries(plan.range.map((q) => [q.field, q.promql]));
    expect(byField['requestRate']).toBe('sum by (namespace, serving_knative_dev_service) (rate(http_server_request_duration_seconds_count{namespace="shop", kn_route_tag!=""}[300s]))');
    expect(byField['latencyP95']).toBe('histogram_quantile(0.95, sum by (namespace, serving_knative_dev_service, le) (rate(http_server_request_duration_seconds_bucket{namespace="shop", kn_route_tag!=""}[300s])))');
    expect(byField['latencySum']).toBe('sum by (namespace, serving_knative_dev_service) (rate(http_server_request_duration_seconds_sum{namespace="shop", kn_route_tag!=""}[300s]))');
    expect(byField['instances']).toBe('sum by (k8s_namespace_name, kn_service_name) (avg_over_time(kn_revision_pods_count{k8s_namespace_name="shop"}[300s]))');
    expect(plan.range.every((q) => !/pod=~|pod_name=~/.test(q.promql))).toBe(true);
    expect(plan.window.map((q) => q.field)).toEqual(['cpuLimitCores']);
  });

  it('joins target_info when only it carries the service', () => {
    const plan = knativeProfile.plan(context({ labelNames: new Map([['target_info', new Set(['kn_service_name', 'k8s_namespace_name'])], [WHOLE_REQUEST_PROBE, new Set(['job', 'instance', 'kn_route_tag'])]]) }));
    expect(plan.range.find((q) => q.field === 'requestRate')?.promql).toBe(
      'sum by (k8s_namespace_name, kn_service_name) (rate(http_server_request_duration_seconds_count{kn_route_tag!=""}[300s]) * on (job, instance) group_left (k8s_namespace_name, kn_service_name) target_info{k8s_namespace_name="shop", kn_service_name!=""})',
    );
  });

  it('times the whole request (the wait for a containerConcurrency slot included), else the app call after the breaker', () => {
    const timedBy = (labelNames: PlanContext['labelNames']) => knativeProfile.plan(context({ labelNames })).range.filter((q) => ['requestRate', 'latencyP95', 'latencySum'].includes(q.field)).map((q) => q.metric);
    expect(timedBy(context().labelNames)).toEqual(['http_server_request_duration_seconds_count', 'http_server_request_duration_seconds_bucket', 'http_server_request_duration_seconds_sum']);
    // No queue-proxy series of it (an app's histogram of that name has no kn_route_tag): the app call.
    const appOnly = new Map([...context().labelNames].map(([metric, labels]) => [metric, metric === WHOLE_REQUEST_PROBE ? new Set<string>() : labels]));
    expect(timedBy(appOnly)).toEqual(['kn_serving_invocation_duration_seconds_count', 'kn_serving_invocation_duration_seconds_bucket', 'kn_serving_invocation_duration_seconds_sum']);
    const legacyTimedBy = (names: ReadonlySet<string>) => knativeLegacyProfile.plan(context({ names })).range.filter((q) => ['requestRate', 'latencyP95', 'latencySum'].includes(q.field)).map((q) => q.metric);
    expect(legacyTimedBy(ALL_NAMES)).toEqual(['revision_request_count', 'revision_request_latencies_bucket', 'revision_request_latencies_sum']);
    const legacyAppOnly = new Set([...ALL_NAMES].filter((n) => !n.startsWith('revision_request_')));
    expect(legacyTimedBy(legacyAppOnly)).toEqual(['revision_app_request_count', 'revision_app_request_latencies_bucket', 'revision_app_request_latencies_sum']);
  });

  it("takes concurrency from Little's law on the whole-request histogram, the autoscaler's lagging stable average only where the queue-proxy times the app call alone", () => {
    const inFlight = (labelNames: PlanContext['labelNames']) => knativeProfile.plan(context({ labelNames })).range.find((q) => q.field === 'inFlight')?.promql;
    expect(inFlight(context().labelNames)).toBeUndefined();
    const appOnly = new Map([...context().labelNames].map(([metric, labels]) => [metric, metric === WHOLE_REQUEST_PROBE ? new Set<string>() : labels]));
    expect(inFlight(appOnly)).toBe('sum by (k8s_namespace_name, kn_service_name) (avg_over_time(kn_revision_concurrency_stable{k8s_namespace_name="shop"}[300s]))');
    const legacyInFlight = (names: ReadonlySet<string>) => knativeLegacyProfile.plan(context({ names })).range.find((q) => q.field === 'inFlight')?.metric;
    expect(legacyInFlight(ALL_NAMES)).toBeUndefined();
    expect(legacyInFlight(new Set([...ALL_NAMES].filter((n) => !n.startsWith('revision_request_'))))).toBe('autoscaler_stable_request_concurrency');
  });

  it('reads the breaker gauge (queue depth) only on pods that served requests: an idle pod keeps its last value', () => {
    const byField = (labelNames: PlanContext['labelNames']) => knativeProfile.plan(context({ labelNames })).range.find((q) => q.field === 'breakerInFlight')?.promql;
    expect(byField(context().labelNames)).toBe(
      'sum by (namespace, serving_knative_dev_service) ((avg_over_time(kn_serving_queue_depth{namespace="shop"}[300s]) and on (job, instance) (rate(kn_serving_invocation_duration_seconds_count{namespace="shop"}[300s]) > 0)))',
    );
    expect(byField(new Map([['target_info', new Set(['kn_service_name', 'k8s_namespace_name'])]]))).toBe(
      'sum by (k8s_namespace_name, kn_service_name) ((avg_over_time(kn_serving_queue_depth[300s]) and on (job, instance) (rate(kn_serving_invocation_duration_seconds_count[300s]) > 0)) * on (job, instance) group_left (k8s_namespace_name, kn_service_name) target_info{k8s_namespace_name="shop", kn_service_name!=""})',
    );
    expect(knativeLegacyProfile.plan(context()).range.find((q) => q.field === 'breakerInFlight')?.promql).toBe(
      'sum by (namespace_name, service_name) ((avg_over_time(revision_queue_depth{namespace_name="shop"}[300s]) and on (namespace_name, pod_name) (rate(revision_app_request_count{namespace_name="shop"}[300s]) > 0)))',
    );
  });

  it('says why the queue-proxy fields are missing when nothing names the service', () => {
    const plan = knativeProfile.plan(context({ labelNames: new Map() }));
    expect(plan.range.map((q) => q.field)).toEqual(['inFlight', 'instances', 'cpuCores']);
    expect(plan.gaps.map((g) => g.field)).toEqual(['requestRate', 'latencyP50', 'latencyP95', 'latencyP99', 'breakerInFlight', 'latencySum', 'startupLatencyP99']);
  });

  it('escapes the namespace in every selector', () => {
    const plan = knativeProfile.plan(context({ namespace: 'we"ird\\ns' }));
    for (const q of [...plan.range, ...plan.window]) expect(q.promql).toContain('="we\\"ird\\\\ns"');
  });
});

describe('millisecond profiles', () => {
  it('scales Knative ≤ 1.18 and Cloud Run latencies to seconds', () => {
    for (const profile of [knativeLegacyProfile, cloudRunProfile]) {
      const latency = profile.plan(context()).range.filter((q) => q.field.startsWith('latency'));
      expect(latency.map((q) => [q.field, q.scale])).toEqual([['latencyP50', 0.001], ['latencyP95', 0.001], ['latencyP99', 0.001], ['latencySum', 0.001]]);
    }
  });

  it('reads Cloud Run for the whole project, by location and service, on the cloud_run_revision resource', () => {
    const plan = cloudRunProfile.plan(context({ namespace: undefined }));
    expect(plan.range.find((q) => q.field === 'instances')?.promql).toBe(
      'sum by (location, service_name) (avg_over_time(run_googleapis_com:container_instance_count{monitored_resource="cloud_run_revision", state="active"}[300s]))',
    );
    expect(plan.window.map((q) => q.promql)).toEqual([
      'histogram_quantile(0.99, sum by (location, service_name, le) (increase(run_googleapis_com:container_startup_latencies_bucket{monitored_resource="cloud_run_revision"}[604800s])))',
    ]);
  });
});

describe('Deployments', () => {
  it('maps pods to Deployments through the owner chain, aggregated by Deployment and container', () => {
    const cpu = kubernetesProfile.plan(context()).range.find((q) => q.field === 'cpuCores');
    expect(cpu?.promql).toBe(
      'sum by (namespace, pytuner_workload, container) (rate(container_cpu_usage_seconds_total{namespace="shop", container!="", container!="POD"}[300s]) * on (namespace, pod) group_left (pytuner_workload) max by (namespace, pod, pytuner_workload) (label_replace(kube_pod_owner{namespace="shop", owner_kind="ReplicaSet"}, "replicaset", "$1", "owner_name", "(.+)") * on (namespace, replicaset) group_left (pytuner_workload) max by (namespace, replicaset, pytuner_workload) (label_replace(kube_replicaset_owner{namespace="shop", owner_kind="Deployment"}, "pytuner_workload", "$1", "owner_name", "(.+)"))))',
    );
  });

  it('fills templates per Deployment, escaped, in batches of TEMPLATE_BATCH', () => {
    const targets = Array.from({ length: TEMPLATE_BATCH + 1 }, (_, i) => ({ namespace: 'n"s', name: `app-${i}` }));
    const queries = templateQueries({ requestRate: 'sum(rate(http_requests_total{namespace="{{namespace}}", app="{{name}}"}[{{window}}]))' }, targets, 120);
    expect(queries).toHaveLength(2);
    expect(queries[1]?.promql).toBe(
      'label_replace(label_replace(sum(sum(rate(http_requests_total{namespace="n\\"s", app="app-50"}[120s]))), "pytuner_namespace", "n\\"s", "", ""), "pytuner_name", "app-50", "", "")',
    );
    expect(queries[0]?.batch).toHaveLength(TEMPLATE_BATCH);
  });

  it('writes $ in a label_replace replacement as $$', () => {
    const [query] = templateQueries({ inFlight: 'g{ns="{{namespace}}"}' }, [{ namespace: 'a$1', name: 'x' }], 60);
    expect(query?.promql).toContain('"pytuner_namespace", "a$$1", "", ""');
    expect(query?.promql).toContain('g{ns="a$1"}');
  });

  it('says which templates are missing', () => {
    expect(missingTemplateGaps({ requestRate: 'x' }).map((g) => g.field)).toEqual(['latencyP50', 'latencyP95', 'latencyP99', 'inFlight']);
  });
});

describe('auto-detection', () => {
  it('knows a profile by its signature metric', () => {
    expect(availableProfiles(new Set(['revision_app_request_count', 'container_cpu_usage_seconds_total']))).toEqual(new Set(['knative-legacy', 'kubernetes']));
    expect(PROFILES.every((p) => detectionMetrics().includes(p.signature))).toBe(true);
  });

  it('picks by kind and platform, the newest Knative names first, and never reads a Service as a Deployment', () => {
    const all = new Set(['knative', 'knative-legacy', 'cloudrun', 'kubernetes'] as const);
    expect(autoProfileFor('Deployment', 'kubernetes', all)).toBe('kubernetes');
    expect(autoProfileFor('Service', 'cloudrun', all)).toBe('cloudrun');
    expect(autoProfileFor('Service', 'knative', all)).toBe('knative');
    expect(autoProfileFor('Service', 'knative', new Set(['knative-legacy', 'kubernetes'] as const))).toBe('knative-legacy');
    expect(autoProfileFor('Service', 'knative', new Set(['kubernetes'] as const))).toBeUndefined();
    expect(autoProfileForNamespaces(new Set(['kubernetes', 'knative-legacy'] as const))).toBe('knative-legacy');
  });
});
