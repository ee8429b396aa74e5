/**
 * Prometheus series as each metrics profile's exporters would write them, from per-step load (a simulation's steps,
 * bench/sim, or numbers a test picks), as OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`.
 * Also the observations those series imply, so a test asserts what pytuner reads against what was written.
 *
 * Timing: counters (and histograms) are written at each step's end, so Prometheus 2's closed range `[t-step, t]`
 * holds exactly the samples at both ends and rate() is the step's increase / step, without extrapolation. Gauges are
 * written once per step, in its middle, so `avg_over_time(g[step])` at the step's end holds that step's value only.
 *
 * The queue-proxy's queue-depth gauge is its breaker's in-flight count, what the real queue-proxy exports (recorded
 * in test/fixtures/knative-real/): the requests admitted plus those waiting, set as each request starts, so in a step
 * where a pod serves nothing it keeps the value of the pod's last busy step.
 */

/** What one workload did in one step (all instances together), as bench/sim's SimStep has it. */
export interface StepLoad {
  /** End of the step, seconds since the start of the series. */
  t: number;
  completed: number;
  /** Completions per latency bucket (not cumulative), one more than the bounds (the last is +Inf). */
  buckets: number[];
  /** Seconds of latency summed over the step's completions. */
  latencySum: number;
  /** Time-averaged instances over the step. */
  instances: number;
  /** Requests admitted to an instance (executing, or waiting inside the server for a thread), time-averaged. */
  inflightPerInstance: number;
  cpuSecondsPerInstance: number;
  /** Requests waiting in front of the instances (Knative: in the queue-proxy's breaker, for a slot), time-averaged. */
  waitingPerInstance: number;
  /** Start-up latencies (seconds) of instances that became ready in the step. */
  startupLatencies: number[];
}

/** One workload's series. */
export interface WorkloadLoad {
  namespace: string;
  name: string;
  steps: StepLoad[];
  vcpus: number;
  /** Pods per workload; the load is split among them (60/40 for two) so the queries must sum. */
  pods?: number;
  /** Cloud Run region. */
  location?: string;
  /** The server's container as cAdvisor names it: `user-container` (Knative's default) or `app` unless set. */
  container?: string;
  /** Counters (requests, latency, CPU) restart from zero after this step, as when a pod restarts. */
  resetAfterStep?: number;
  /** Bad data: the value the instances gauge reports at a step, by step index, instead of the step's instances (NaN, +Inf). */
  instancesGaugeAt?: ReadonlyMap<number, number>;
}

/** How to write the series. */
export interface SeriesOptions {
  /** Unix seconds of t = 0 (whole minutes, in the past). */
  start: number;
  stepSeconds: number;
  /** Latency bucket upper bounds, seconds. */
  bounds: readonly number[];
  /** Bad data: the latency histogram without its `+Inf` bucket (written as untyped `_bucket` samples). */
  withoutInfBucket?: boolean;
  /**
   * Only the series the queries read (no sidecar, pod-total and pause-container CPU for them to exclude), with short
   * instance labels: for the scale benchmark, where 10,000 services must fit in one OpenMetrics text.
   */
  lean?: boolean;
}

/** How the Knative ≥ 1.21 queue-proxy series name their service (see src/input/metrics/profiles/knative.ts). */
export type KnativeLabelling = 'pod-labels' | 'otel-resource' | 'target-info';

type Labels = Record<string, string>;

/** Writes the families of one document; each family's samples stay together, in time order per series. */
class Writer {
  private readonly families = new Map<string, { type: string; lines: string[] }>();

  sample(family: string, type: 'counter' | 'gauge' | 'histogram' | 'unknown', name: string, labels: Labels, value: number, t: number): void {
    let entry = this.families.get(family);
    if (entry === undefined) this.families.set(family, (entry = { type, lines: [] }));
    entry.lines.push(`${name}${formatLabels(labels)} ${formatValue(value)} ${t}`);
  }

  text(): string {
    const out: string[] = [];
    for (const [name, { type, lines }] of this.families) {
      out.push(`# TYPE ${name} ${type}`);
      for (const line of lines) out.push(line);
    }
    out.push('# EOF');
    return `${out.join('\n')}\n`;
  }
}

function formatLabels(labels: Labels): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** A bound as an `le` value: 0.07 s × 1000 is 70.00000000000001 in floating point, but the exporter writes 70. */
function boundLabel(value: number): string {
  return String(Number(value.toPrecision(12)));
}

/** The share of each pod: 60/40 for two, equal otherwise. */
function podShares(pods: number): number[] {
  if (pods === 2) return [0.6, 0.4];
  return Array.from({ length: pods }, () => 1 / pods);
}

/** Cumulative counters of one pod over the steps: at t = 0 and each step end; reset to 0 after `resetAfterStep`. */
interface CounterTrack {
  t: number;
  count: number;
  sum: number;
  /** Cumulative per finite bound, over time and over the bounds below it. */
  buckets: number[];
  cpu: number;
}

/**
 * The app call's share of a step's latency: the whole request's minus the time spent waiting in front of the
 * instances (Little's law: waiting requests × seconds). The queue-proxy's app-call histograms start after the breaker.
 */
function appLatencySum(step: StepLoad, options: SeriesOptions): number {
  return Math.max(0, step.latencySum - step.waitingPerInstance * step.instances * options.stepSeconds);
}

function counterTrack(w: WorkloadLoad, share: number, options: SeriesOptions, latencyScale: number, latencySum: (step: StepLoad) => number = (s) => s.latencySum): CounterTrack[] {
  const finite = options.bounds.length;
  let count = 0;
  let sum = 0;
  let cpu = 0;
  const cumulative = new Array<number>(finite).fill(0);
  const track: CounterTrack[] = [{ t: options.start, count, sum, buckets: [...cumulative], cpu }];
  w.steps.forEach((step, index) => {
    if (w.resetAfterStep !== undefined && index === w.resetAfterStep + 1) {
      // A restart: the exporter starts over from zero; rate() sees the drop and counts from the new value.
      count = 0;
      sum = 0;
      cpu = 0;
      cumulative.fill(0);
    }
    count += step.completed * share;
    sum += latencySum(step) * share * latencyScale;
    cpu += step.cpuSecondsPerInstance * step.instances * share;
    // Histogram buckets are cumulative over the bounds too: `le="0.1"` counts every request of at most 0.1 s.
    let atOrBelow = 0;
    for (let b = 0; b < finite; b++) {
      atOrBelow += (step.buckets[b] ?? 0) * share;
      cumulative[b] = (cumulative[b] as number) + atOrBelow;
    }
    track.push({ t: options.start + step.t, count, sum, buckets: [...cumulative], cpu });
  });
  return track;
}

/** A latency histogram family, per pod, from the counter track; bounds scaled (ms for OpenCensus and Cloud Run). */
function writeHistogram(out: Writer, family: string, labels: Labels, track: CounterTrack[], options: SeriesOptions, boundScale: number): void {
  for (const point of track) {
    options.bounds.forEach((le, b) => {
      const bucketLabels = { ...labels, le: boundLabel(le * boundScale) };
      if (options.withoutInfBucket) out.sample(`${family}_bucket`, 'unknown', `${family}_bucket`, bucketLabels, point.buckets[b] ?? 0, point.t);
      else out.sample(family, 'histogram', `${family}_bucket`, bucketLabels, point.buckets[b] ?? 0, point.t);
    });
    if (options.withoutInfBucket) {
      out.sample(`${family}_sum`, 'unknown', `${family}_sum`, labels, point.sum, point.t);
      out.sample(`${family}_count`, 'unknown', `${family}_count`, labels, point.count, point.t);
    } else {
      out.sample(family, 'histogram', `${family}_bucket`, { ...labels, le: '+Inf' }, point.count, point.t);
      out.sample(family, 'histogram', `${family}_sum`, labels, point.sum, point.t);
      out.sample(family, 'histogram', `${family}_count`, labels, point.count, point.t);
    }
  }
}

/**
 * The queue-proxy breaker's in-flight gauge of one pod: admitted plus waiting while it serves requests; held at its
 * last value through steps without any (the queue-proxy sets it only as a request starts).
 */
function breakerGauge(w: WorkloadLoad, options: SeriesOptions, share: number): Array<[t: number, v: number]> {
  let last = 0;
  return gauge(w, options, (s) => {
    if (s.completed > 0) last = (s.inflightPerInstance + s.waitingPerInstance) * s.instances * share;
    return last;
  });
}

/** Mid-step times and values of a gauge. */
function gauge(w: WorkloadLoad, options: SeriesOptions, value: (step: StepLoad) => number): Array<[t: number, v: number]> {
  return w.steps.map((step) => [options.start + step.t - options.stepSeconds / 2, value(step)]);
}

/** The instances gauge, with the bad values a test injects. */
function instancesGauge(w: WorkloadLoad, options: SeriesOptions): Array<[t: number, v: number]> {
  return w.steps.map((step, i) => [options.start + step.t - options.stepSeconds / 2, w.instancesGaugeAt?.get(i) ?? step.instances]);
}

function podName(w: WorkloadLoad, p: number, kind: 'knative' | 'deployment'): string {
  return kind === 'knative' ? `${w.name}-00001-deployment-5d8f7-${p}` : `${w.name}-7d9f8c-${p}`;
}

/** cAdvisor CPU (the server container, plus a sidecar, the pod total and the pause container that must not count) and kube-state-metrics limits. */
function writeKubernetesPods(out: Writer, w: WorkloadLoad, options: SeriesOptions, kind: 'knative' | 'deployment', container: string): void {
  const shares = podShares(w.pods ?? 2);
  shares.forEach((share, p) => {
    const pod = podName(w, p, kind);
    const track = counterTrack(w, share, options, 1);
    const sidecar = kind === 'knative' ? 'queue-proxy' : 'istio-proxy';
    for (const point of track) {
      out.sample('container_cpu_usage_seconds_total', 'counter', 'container_cpu_usage_seconds_total', { namespace: w.namespace, pod, container }, point.cpu, point.t);
      if (!options.lean) {
        out.sample('container_cpu_usage_seconds_total', 'counter', 'container_cpu_usage_seconds_total', { namespace: w.namespace, pod, container: sidecar }, point.cpu / 4, point.t);
        out.sample('container_cpu_usage_seconds_total', 'counter', 'container_cpu_usage_seconds_total', { namespace: w.namespace, pod, container: '' }, point.cpu * 1.25, point.t);
        out.sample('container_cpu_usage_seconds_total', 'counter', 'container_cpu_usage_seconds_total', { namespace: w.namespace, pod, container: 'POD' }, point.cpu / 100, point.t);
        out.sample('kube_pod_container_resource_limits', 'gauge', 'kube_pod_container_resource_limits', { namespace: w.namespace, pod, container: sidecar, resource: 'cpu', unit: 'core' }, 1, point.t);
      }
      out.sample('kube_pod_container_resource_limits', 'gauge', 'kube_pod_container_resource_limits', { namespace: w.namespace, pod, container, resource: 'cpu', unit: 'core' }, w.vcpus, point.t);
      if (kind === 'knative') {
        out.sample('kube_pod_labels', 'gauge', 'kube_pod_labels', { namespace: w.namespace, pod, label_serving_knative_dev_service: w.name }, 1, point.t);
      } else {
        out.sample('kube_pod_owner', 'gauge', 'kube_pod_owner', { namespace: w.namespace, pod, owner_kind: 'ReplicaSet', owner_name: `${w.name}-7d9f8c`, owner_is_controller: 'true' }, 1, point.t);
      }
    }
  });
}

/** Knative ≥ 1.21: queue-proxy OTel histogram and queue depth, autoscaler gauges, cAdvisor and kube-state-metrics. */
export function knativeSeries(workloads: readonly WorkloadLoad[], options: SeriesOptions, labelling: KnativeLabelling): string {
  const out = new Writer();
  for (const w of workloads) {
    const revision = `${w.name}-00001`;
    const shares = podShares(w.pods ?? 2);
    shares.forEach((share, p) => {
      const instance = options.lean ? `${w.name}-${p}:9091` : `${w.namespace}/${podName(w, p, 'knative')}:9091`;
      const base: Labels = { job: 'knative-queue-proxy', instance };
      const labels: Labels =
        labelling === 'pod-labels' && options.lean ? { ...base, namespace: w.namespace, serving_knative_dev_service: w.name }
        : labelling === 'pod-labels' ? { ...base, namespace: w.namespace, serving_knative_dev_service: w.name, serving_knative_dev_revision: revision }
        : labelling === 'otel-resource' ? { ...base, k8s_namespace_name: w.namespace, kn_service_name: w.name, kn_revision_name: revision }
        : base;
      if (options.lean) {
        writeHistogram(out, 'kn_serving_invocation_duration_seconds', labels, counterTrack(w, share, options, 1), options, 1);
      } else {
        // The app call after the breaker (its buckets are the whole request's: the steps do not say which requests
        // waited), and the whole request as otelhttp times it around the queue-proxy, with otelhttp's labels.
        writeHistogram(out, 'kn_serving_invocation_duration_seconds', { ...labels, http_response_status_code: '200' }, counterTrack(w, share, options, 1, (s) => appLatencySum(s, options)), options, 1);
        const whole = { ...labels, http_request_method: 'GET', http_response_status_code: '200', kn_route_tag: 'kn:disabled', network_protocol_name: 'http', network_protocol_version: '1.1', url_scheme: 'http' };
        writeHistogram(out, 'http_server_request_duration_seconds', whole, counterTrack(w, share, options, 1), options, 1);
      }
      const track = counterTrack(w, share, options, 1);
      for (const [t, v] of breakerGauge(w, options, share)) out.sample('kn_serving_queue_depth', 'gauge', 'kn_serving_queue_depth', labels, v, t);
      if (labelling === 'target-info') {
        const info = { ...base, k8s_namespace_name: w.namespace, kn_service_name: w.name, kn_revision_name: revision, k8s_pod_name: podName(w, p, 'knative') };
        for (const point of track) out.sample('target_info', 'gauge', 'target_info', info, 1, point.t);
      }
    });
    const autoscaler: Labels = options.lean
      ? { k8s_namespace_name: w.namespace, kn_service_name: w.name }
      : { job: 'knative-autoscaler', instance: 'autoscaler:9090', k8s_namespace_name: w.namespace, kn_service_name: w.name, kn_configuration_name: w.name, kn_revision_name: revision };
    for (const [t, v] of gauge(w, options, (s) => s.inflightPerInstance * s.instances)) out.sample('kn_revision_concurrency_stable', 'gauge', 'kn_revision_concurrency_stable', autoscaler, v, t);
    for (const [t, v] of instancesGauge(w, options)) out.sample('kn_revision_pods_count', 'gauge', 'kn_revision_pods_count', autoscaler, v, t);
    writeKubernetesPods(out, w, options, 'knative', w.container ?? 'user-container');
  }
  return out.text();
}

/** Knative ≤ 1.18: OpenCensus `revision_app_*` (ms, counters without `_total`) and `autoscaler_*`. */
export function knativeLegacySeries(workloads: readonly WorkloadLoad[], options: SeriesOptions): string {
  const out = new Writer();
  for (const w of workloads) {
    const revision = `${w.name}-00001`;
    const resource: Labels = { namespace_name: w.namespace, service_name: w.name, configuration_name: w.name, revision_name: revision };
    podShares(w.pods ?? 2).forEach((share, p) => {
      const labels: Labels = { ...resource, pod_name: podName(w, p, 'knative'), container_name: 'queue-proxy' };
      const track = counterTrack(w, share, options, 1000);
      const appTrack = counterTrack(w, share, options, 1000, (s) => appLatencySum(s, options));
      const codes = { response_code: '200', response_code_class: '2xx' };
      for (const point of appTrack) out.sample('revision_app_request_count', 'unknown', 'revision_app_request_count', { ...labels, ...codes }, point.count, point.t);
      writeHistogram(out, 'revision_app_request_latencies', labels, appTrack, options, 1000);
      // Every request the queue-proxy received, timed whole (the wait for a slot included).
      for (const point of track) out.sample('revision_request_count', 'unknown', 'revision_request_count', { ...labels, ...codes, route_tag: 'DISABLED' }, point.count, point.t);
      writeHistogram(out, 'revision_request_latencies', { ...labels, route_tag: 'DISABLED' }, track, options, 1000);
      for (const [t, v] of breakerGauge(w, options, share)) out.sample('revision_queue_depth', 'gauge', 'revision_queue_depth', labels, v, t);
    });
    for (const [t, v] of gauge(w, options, (s) => s.inflightPerInstance * s.instances)) out.sample('autoscaler_stable_request_concurrency', 'gauge', 'autoscaler_stable_request_concurrency', resource, v, t);
    for (const [t, v] of instancesGauge(w, options)) out.sample('autoscaler_actual_pods', 'gauge', 'autoscaler_actual_pods', resource, v, t);
    writeKubernetesPods(out, w, options, 'knative', w.container ?? 'user-container');
  }
  return out.text();
}

/** Cloud Run bounds of `container/cpu/utilizations` (fractions) and of start-up latency (seconds; written in ms). */
export const UTILISATION_BOUNDS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];
export const STARTUP_BOUNDS = [1, 2, 4, 6, 8, 10, 15, 20, 30, 60];
/** Cloud Monitoring samples an instance's CPU utilisation once a minute. */
const UTILISATION_SAMPLES_PER_MINUTE = 1;

/** Cloud Run as Managed Prometheus names it (`run_googleapis_com:*`, `monitored_resource="cloud_run_revision"`, ms). */
export function cloudRunSeries(workloads: readonly WorkloadLoad[], options: SeriesOptions, projectId = 'shop-prod'): string {
  const out = new Writer();
  for (const w of workloads) {
    const resource: Labels = { monitored_resource: 'cloud_run_revision', project_id: projectId, location: w.location ?? 'europe-west1', service_name: w.name, configuration_name: w.name, revision_name: `${w.name}-00001-abc` };
    const track = counterTrack({ ...w }, 1, options, 1000);
    for (const point of track) out.sample('run_googleapis_com:request_count', 'unknown', 'run_googleapis_com:request_count', { ...resource, response_code: '200', response_code_class: '2xx' }, point.count, point.t);
    writeHistogram(out, 'run_googleapis_com:request_latencies', resource, track, options, 1000);
    for (const [t, v] of instancesGauge(w, options)) out.sample('run_googleapis_com:container_instance_count', 'gauge', 'run_googleapis_com:container_instance_count', { ...resource, state: 'active' }, v, t);
    for (const [t] of gauge(w, options, () => 0)) out.sample('run_googleapis_com:container_instance_count', 'gauge', 'run_googleapis_com:container_instance_count', { ...resource, state: 'idle' }, 3, t);
    writeUtilisation(out, w, options, resource);
    writeStartups(out, w, options, resource);
  }
  return out.text();
}

/** CPU utilisation as a distribution of per-instance samples: each step adds `instances × minutes` samples of its mean utilisation. */
function writeUtilisation(out: Writer, w: WorkloadLoad, options: SeriesOptions, labels: Labels): void {
  const family = 'run_googleapis_com:container_cpu_utilizations';
  let count = 0;
  let sum = 0;
  const cumulative = new Array<number>(UTILISATION_BOUNDS.length).fill(0);
  const write = (t: number) => {
    UTILISATION_BOUNDS.forEach((le, b) => out.sample(family, 'histogram', `${family}_bucket`, { ...labels, le: String(le) }, cumulative[b] ?? 0, t));
    out.sample(family, 'histogram', `${family}_bucket`, { ...labels, le: '+Inf' }, count, t);
    out.sample(family, 'histogram', `${family}_sum`, labels, sum, t);
    out.sample(family, 'histogram', `${family}_count`, labels, count, t);
  };
  write(options.start);
  for (const step of w.steps) {
    const utilisation = step.cpuSecondsPerInstance / options.stepSeconds / w.vcpus;
    const samples = step.instances * (options.stepSeconds / 60) * UTILISATION_SAMPLES_PER_MINUTE;
    count += samples;
    sum += samples * utilisation;
    UTILISATION_BOUNDS.forEach((le, b) => {
      if (utilisation <= le) cumulative[b] = (cumulative[b] as number) + samples;
    });
    write(options.start + step.t);
  }
}

function writeStartups(out: Writer, w: WorkloadLoad, options: SeriesOptions, labels: Labels): void {
  const family = 'run_googleapis_com:container_startup_latencies';
  let count = 0;
  let sum = 0;
  const cumulative = new Array<number>(STARTUP_BOUNDS.length).fill(0);
  const write = (t: number) => {
    STARTUP_BOUNDS.forEach((le, b) => out.sample(family, 'histogram', `${family}_bucket`, { ...labels, le: boundLabel(le * 1000) }, cumulative[b] ?? 0, t));
    out.sample(family, 'histogram', `${family}_bucket`, { ...labels, le: '+Inf' }, count, t);
    out.sample(family, 'histogram', `${family}_sum`, labels, sum, t);
    out.sample(family, 'histogram', `${family}_count`, labels, count, t);
  };
  write(options.start);
  for (const step of w.steps) {
    for (const latency of step.startupLatencies) {
      count++;
      sum += latency * 1000;
      STARTUP_BOUNDS.forEach((le, b) => {
        if (latency <= le) cumulative[b] = (cumulative[b] as number) + 1;
      });
    }
    write(options.start + step.t);
  }
}

/** The app histogram of the kubernetes profile's templates: `http_requests_total`, `http_request_duration_seconds`, by `namespace` and `app`. */
export const APP_TEMPLATES = {
  requestRate: 'sum(rate(http_requests_total{namespace="{{namespace}}", app="{{name}}"}[{{window}}]))',
  latency: 'sum by (le) (rate(http_request_duration_seconds_bucket{namespace="{{namespace}}", app="{{name}}"}[{{window}}]))',
  inFlight: 'sum(rate(http_request_duration_seconds_sum{namespace="{{namespace}}", app="{{name}}"}[{{window}}]))',
} as const;

/** Deployments: cAdvisor, kube-state-metrics (owners, replicas, limits) and the app's own request metrics. */
export function kubernetesSeries(workloads: readonly WorkloadLoad[], options: SeriesOptions): string {
  const out = new Writer();
  for (const w of workloads) {
    const replicaSet = `${w.name}-7d9f8c`;
    podShares(w.pods ?? 2).forEach((share, p) => {
      const labels: Labels = { namespace: w.namespace, app: w.name, pod: podName(w, p, 'deployment') };
      const track = counterTrack(w, share, options, 1);
      for (const point of track) out.sample('http_requests', 'counter', 'http_requests_total', labels, point.count, point.t);
      writeHistogram(out, 'http_request_duration_seconds', labels, track, options, 1);
    });
    for (const t of [options.start, ...w.steps.map((s) => options.start + s.t)]) {
      out.sample('kube_replicaset_owner', 'gauge', 'kube_replicaset_owner', { namespace: w.namespace, replicaset: replicaSet, owner_kind: 'Deployment', owner_name: w.name, owner_is_controller: 'true' }, 1, t);
    }
    for (const [t, v] of instancesGauge(w, options)) out.sample('kube_deployment_status_replicas_available', 'gauge', 'kube_deployment_status_replicas_available', { namespace: w.namespace, deployment: w.name }, v, t);
    writeKubernetesPods(out, w, options, 'deployment', w.container ?? 'app');
  }
  return out.text();
}

/** Several documents' families in one (each generator writes `# EOF`; promtool wants one at the very end). */
export function mergeDocuments(documents: readonly string[]): string {
  return `${documents.map((d) => d.replace(/# EOF\n?$/, '').trimEnd()).filter((d) => d !== '').join('\n')}\n# EOF\n`;
}

/** What a step's series imply a reader should observe, per profile. */
export interface ExpectedSample {
  t: number;
  requestRate: number;
  instances: number;
  latencyP50?: number;
  latencyP95?: number;
  latencyP99?: number;
  latencyMean?: number;
  concurrencyPerInstance?: number;
  cpuCoresPerInstance?: number;
  /** Knative: the queue-proxy breaker's in-flight count per instance, on the steps with requests only. */
  breakerInFlightPerInstance?: number;
}

/**
 * The samples the series of `w` imply. `concurrency` says where concurrency comes from: the autoscaler's gauge
 * (Knative series with the app-call histogram only, `lean`) or Little's law from the latency sum (Cloud Run,
 * templates, and Knative series with the queue-proxy's whole-request histogram).
 */
export function expectedSamples(w: WorkloadLoad, options: SeriesOptions, concurrency: 'gauge' | 'little'): ExpectedSample[] {
  return w.steps.map((step) => {
    const sample: ExpectedSample = { t: options.start + step.t, requestRate: step.completed / options.stepSeconds, instances: step.instances };
    if (step.completed > 0) {
      sample.latencyP50 = histogramQuantile(0.5, step.buckets, options.bounds);
      sample.latencyP95 = histogramQuantile(0.95, step.buckets, options.bounds);
      sample.latencyP99 = histogramQuantile(0.99, step.buckets, options.bounds);
      sample.latencyMean = step.latencySum / step.completed;
    }
    if (step.instances > 0) {
      sample.concurrencyPerInstance = concurrency === 'gauge' ? step.inflightPerInstance : step.latencySum / options.stepSeconds / step.instances;
      sample.cpuCoresPerInstance = step.cpuSecondsPerInstance / options.stepSeconds;
      if (step.completed > 0) sample.breakerInFlightPerInstance = step.inflightPerInstance + step.waitingPerInstance;
    }
    return sample;
  });
}

/**
 * Prometheus' histogram_quantile over per-bucket counts (not cumulative; the last is +Inf): linear interpolation in
 * the bucket holding the rank, from 0 in the first; the highest finite bound when the rank falls in +Inf.
 */
export function histogramQuantile(q: number, counts: readonly number[], bounds: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (let b = 0; b < bounds.length; b++) {
    const upper = bounds[b] as number;
    const cumulative = below + (counts[b] ?? 0);
    if (cumulative >= rank) return lower + ((upper - lower) * (rank - below)) / (cumulative - below);
    [lower, below] = [upper, cumulative];
  }
  return bounds.at(-1) as number;
}
