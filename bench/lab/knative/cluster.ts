/**
 * @module The lab's Knative data path, inside the lab's own network namespace (netns.ts): pytuner's test control plane
 * (etcd, kube-apiserver), the real Knative webhook and controller (test/integration/harness/knative.ts), the real
 * Knative autoscaler (knative.dev/serving cmd/autoscaler, built by scripts/install-knative.sh) and a real Prometheus
 * scraping the real queue-proxy the way a cluster does: the revision's Pod as service discovery gives it, with the
 * relabelling the Prometheus Operator generates for a PodMonitor (so the `kn_*` labels live only on `target_info`).
 *
 * What no process here provides, and what stands in for it (labelled as such in docs/lab/README.md):
 * - Debian's Prometheus 2.42 is built without kubernetes_sd: the lab reads the Pod back from the control plane and
 *   writes it as file_sd targets carrying the `__meta_kubernetes_pod_*` labels kubernetes_sd's pod role gives (one
 *   target per container port), so the Operator's relabelling runs on the labels it was written for;
 * - no kubelet or scheduler: the lab writes the Pod of the revision (the controller's Deployment's pod template,
 *   scheduled on a node that does not exist) and its status (Running, Ready, the pod IP the queue-proxy answers on);
 * - no kube-state-metrics: standins.ts serves `kube_pod_labels` / `kube_pod_container_resource_limits` from the Pod
 *   the lab wrote; CPU comes from a real cAdvisor over the pod's cgroups (cadvisor.ts), and only when that cannot
 *   run here from standins.ts's /proc reading, labelled as such;
 * - the autoscaler's metrics are scraped from a static target (a cluster finds it through its Service).
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { ControlPlane } from '../../../test/integration/harness/controlPlane.ts';
import { startControlPlane } from '../../../test/integration/harness/controlPlane.ts';
import { httpsRequest } from '../../../test/integration/harness/https.ts';
import type { KnativeController, KnativeWebhook } from '../../../test/integration/harness/knative.ts';
import { KNATIVE_NAMESPACE, startKnativeController, startKnativeWebhook } from '../../../test/integration/harness/knative.ts';
import { scriptPath } from '../../../test/integration/harness/paths.ts';
import type { ManagedProcess, ServerGroup } from '../../../test/integration/harness/processes.ts';
import { createServerGroup, exitedError, freeLoopbackPorts, pollUntil, runScript } from '../../../test/integration/harness/processes.ts';
import { AUTOSCALER_IP, POD_IP } from './netns.ts';
import { podTargets } from './podTargets.ts';
import type { HistogramBounds } from '../objective.ts';
import type { LabCgroups } from './cadvisor.ts';
import { cadvisorScrapeJob, containerCgroup, containerDirectories, makeLabCgroups, removeLabCgroups } from './cadvisor.ts';
import type { StandinExporter } from './standins.ts';
import { startStandinExporter } from './standins.ts';

/** The namespace of the lab's Knative Services. */
export const LAB_NAMESPACE = 'shop';
/** Where the autoscaler serves its metrics: not Knative's default :9090, which the queue-proxy holds on the same host. */
const AUTOSCALER_METRICS_PORT = 9095;
/** Seconds between scrapes (15–30 s in most clusters; shorter here because the lab's day is minutes long). */
export const SCRAPE_INTERVAL_SECONDS = 5;

type Json = Record<string, unknown>;

/** A revision's pod as the lab runs it: the queue-proxy's environment as the controller wrote it, and the Pod object. */
export interface RevisionPod {
  revision: string;
  podName: string;
  /** The queue-proxy container's environment from the controller's Deployment, with the pod's fields filled in. */
  queueEnv: Record<string, string>;
  /** The user container's port (the queue-proxy's USER_PORT). */
  userPort: number;
  /** Writes the Pod's status Running and Ready (the kubelet's part), so the autoscaler counts and scrapes it. */
  markReady(): Promise<void>;
  /** Deletes the Pod: the autoscaler stops counting it. */
  remove(): Promise<void>;
}

export interface KnativeLab {
  /** The Prometheus that scrapes the queue-proxy, the autoscaler and the stand-ins. */
  prometheusUrl: string;
  /** Creates the Knative Service (through the real webhook) and waits for the controller's Deployment; writes its Pod. */
  deploy(service: Json): Promise<RevisionPod>;
  /** Which processes' CPU the cAdvisor stand-in reports for the pod's containers (when it is the CPU source). */
  standins: StandinExporter;
  /** Where `container_cpu_usage_seconds_total` comes from: the real cAdvisor, or the /proc stand-in and why. */
  cpuSource: { kind: 'cadvisor'; binary: string } | { kind: 'standin'; reason: string };
  /** The cgroup directories a container of the pod runs in (undefined: no real cAdvisor, no cgroups). */
  containerCgroup(podName: string, container: string): Promise<string[] | undefined>;
  /**
   * Replaces the running autoscaler with `binary` (Knative 1.18's, for the legacy profile's day), or with the
   * Knative 1.23 one again when undefined.
   */
  useAutoscaler(binary?: string): Promise<void>;
  /**
   * The finite bucket bounds of the whole-request histogram pytuner's knative profile reads, as Prometheus has them
   * for `podName` (its `le` values); undefined when Prometheus has none yet.
   */
  latencyBuckets(podName: string): Promise<HistogramBounds | undefined>;
  /** Paths of the component logs (kept until stop). */
  logDir: string;
  stop(): Promise<void>;
}

async function api(cp: ControlPlane, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; json: Json }> {
  const { status, body: text } = await httpsRequest(`${cp.server}${path}`, { method, ca: cp.ca, token: cp.adminToken, contentType, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  let json: Json = {};
  try {
    json = JSON.parse(text) as Json;
  } catch {
    // a non-JSON error body: the status says enough
  }
  if (status >= 300 && status !== 404 && status !== 409) throw new Error(`${method} ${path} answered HTTP ${status}: ${text.slice(0, 500)}`);
  return { status, json };
}

/** The ConfigMap keys a cluster needs for pytuner's Knative data (README, "Measured load"): both default to `none` since Knative 1.19. */
async function enablePrometheusMetrics(cp: ControlPlane): Promise<void> {
  await api(cp, 'PATCH', `/api/v1/namespaces/${KNATIVE_NAMESPACE}/configmaps/config-observability`, { data: { 'metrics-protocol': 'prometheus', 'request-metrics-protocol': 'prometheus' } }, 'application/merge-patch+json');
}

/** The scrape configuration: Operator-generated PodMonitor relabelling for the queue-proxy, static targets for the rest. */
function prometheusConfig(podTargetsFile: string, standinPort: number, cadvisorJob: Record<string, unknown> | undefined): string {
  const sd = { files: [podTargetsFile], refresh_interval: '5s' };
  const config = {
    global: { scrape_interval: `${SCRAPE_INTERVAL_SECONDS}s`, scrape_timeout: `${SCRAPE_INTERVAL_SECONDS - 1}s` },
    scrape_configs: [
      {
        // What prometheus-operator v0.93 writes for `PodMonitor serving/queue-proxy` with a selector on the revision label
        // and `podMetricsEndpoints: [{port: http-usermetric}]`: no pod labels copied, so the service is on target_info only.
        job_name: 'podMonitor/serving/queue-proxy/0',
        honor_labels: false,
        file_sd_configs: [sd],
        relabel_configs: [
          { source_labels: ['job'], target_label: '__tmp_prometheus_job_name' },
          { action: 'keep', source_labels: ['__meta_kubernetes_pod_label_serving_knative_dev_revision', '__meta_kubernetes_pod_labelpresent_serving_knative_dev_revision'], regex: '(.+);true' },
          { action: 'keep', source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: 'http-usermetric' },
          { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
          { source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
          { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
          { target_label: 'job', replacement: 'serving/queue-proxy' },
          { target_label: 'endpoint', replacement: 'http-usermetric' },
        ],
      },
      {
        job_name: 'autoscaler',
        static_configs: [{ targets: [`${AUTOSCALER_IP}:${AUTOSCALER_METRICS_PORT}`], labels: { namespace: KNATIVE_NAMESPACE, container: 'autoscaler' } }],
      },
      // The real cAdvisor relabelled as the kubelet's endpoint (cadvisor.ts), or its stand-in (standins.ts), which
      // writes the kubelet's labels itself; kube-state-metrics is always the stand-in.
      cadvisorJob ?? { job_name: 'kubelet', metrics_path: '/metrics/cadvisor', honor_labels: true, static_configs: [{ targets: [`127.0.0.1:${standinPort}`] }] },
      { job_name: 'kube-state-metrics', metrics_path: '/metrics/kube-state-metrics', honor_labels: true, static_configs: [{ targets: [`127.0.0.1:${standinPort}`] }] },
    ],
  };
  return JSON.stringify(config, null, 1);
}

/** Rewrites the file_sd file from the lab namespace's Pods as the control plane has them now. */
async function discoverPods(cp: ControlPlane, file: string): Promise<void> {
  const { json } = await api(cp, 'GET', `/api/v1/namespaces/${LAB_NAMESPACE}/pods`);
  const groups = podTargets((json.items as Json[] | undefined) ?? []);
  await writeFile(`${file}.tmp`, JSON.stringify(groups, null, 1));
  await rename(`${file}.tmp`, file);
}

async function startScrapingPrometheus(group: ServerGroup, podTargetsFile: string, standinPort: number, cadvisorJob: Record<string, unknown> | undefined): Promise<string> {
  const { lastLine: binDir } = await runScript(scriptPath('install-prometheus.sh'));
  const dir = join(group.dir, 'prometheus');
  await mkdir(dir, { recursive: true });
  await writeFile(podTargetsFile, '[]');
  await writeFile(join(dir, 'prometheus.yml'), prometheusConfig(podTargetsFile, standinPort, cadvisorJob));
  const [port] = (await freeLoopbackPorts(1)) as [number];
  const url = `http://127.0.0.1:${port}`;
  const server = group.start('prometheus', join(binDir, 'prometheus'), [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`]);
  await pollUntil('the scraping Prometheus to be ready', async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined), { timeoutMs: 60_000, intervalMs: 500, abortIf: () => exitedError(server) });
  return url;
}

/** scripts/install-knative.sh's directory of Knative binaries (the autoscaler among them). */
async function knativeBinDir(): Promise<string> {
  return (await runScript(scriptPath('install-knative.sh'))).lastLine;
}

/** Knative 1.18's autoscaler sets METRICS_DOMAIN in its Deployment (config/core/deployments/autoscaler.yaml); 1.23's does not read it. */
const LEGACY_AUTOSCALER_ENV = { METRICS_DOMAIN: 'knative.dev/serving' };

function startAutoscaler(group: ServerGroup, cp: ControlPlane, binary: string, profilingPort: number, extraEnv: Record<string, string> = {}): ManagedProcess {
  return group.start(`knative-autoscaler-${basename(dirname(binary))}`, binary, [`--kubeconfig=${cp.kubeconfigPath}`], {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SYSTEM_NAMESPACE: KNATIVE_NAMESPACE,
    POD_NAME: 'autoscaler-lab-0',
    // Not loopback: the autoscaler publishes it in an EndpointSlice for its stat server, and refuses 127.0.0.0/8.
    POD_IP: AUTOSCALER_IP,
    CONFIG_LOGGING_NAME: 'config-logging',
    CONFIG_OBSERVABILITY_NAME: 'config-observability',
    PROFILING_PORT: String(profilingPort),
    METRICS_PROMETHEUS_PORT: String(AUTOSCALER_METRICS_PORT),
    ...extraEnv,
  });
}

/** The env of the Deployment's queue-proxy container, with the downward-API fields the kubelet would fill. */
function queueEnvOf(container: Json, pod: { name: string; namespace: string }): Record<string, string> {
  const env: Record<string, string> = {};
  const fields: Record<string, string> = { 'metadata.name': pod.name, 'metadata.namespace': pod.namespace, 'status.podIP': POD_IP, 'status.hostIP': POD_IP };
  for (const e of (container.env as { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[] | undefined) ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef !== undefined) env[e.name] = fields[e.valueFrom.fieldRef.fieldPath] ?? '';
    else env[e.name] = '';
  }
  return env;
}

async function deployRevision(cp: ControlPlane, service: Json, podTargetsFile: string): Promise<RevisionPod> {
  const name = (service.metadata as { name: string }).name;
  await api(cp, 'POST', `/apis/serving.knative.dev/v1/namespaces/${LAB_NAMESPACE}/services`, service);
  const deployment = await pollUntil(
    `the Knative controller to create the Deployment of ${LAB_NAMESPACE}/${name}`,
    async () => {
      const { json } = await api(cp, 'GET', `/apis/apps/v1/namespaces/${LAB_NAMESPACE}/deployments?labelSelector=serving.knative.dev%2Fservice%3D${name}`);
      return ((json.items as Json[] | undefined) ?? [])[0];
    },
    { timeoutMs: 120_000, intervalMs: 500 },
  );
  const template = (deployment.spec as { template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: Json } }).template;
  const revision = template.metadata.labels['serving.knative.dev/revision']!;
  const podName = `${revision}-deployment-lab`;
  const containers = template.spec.containers as Json[];
  const queue = containers.find((c) => c.name === 'queue-proxy');
  const user = containers.find((c) => c.name !== 'queue-proxy');
  if (queue === undefined || user === undefined) throw new Error(`the Deployment of ${name} has no queue-proxy and user container`);
  const queueEnv = queueEnvOf(queue, { name: podName, namespace: LAB_NAMESPACE });
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: podName, namespace: LAB_NAMESPACE, labels: template.metadata.labels, annotations: template.metadata.annotations ?? {} }, spec: { ...template.spec, nodeName: 'lab-node' } };
  await api(cp, 'POST', `/api/v1/namespaces/${LAB_NAMESPACE}/pods`, pod);
  const podPath = `/api/v1/namespaces/${LAB_NAMESPACE}/pods/${podName}`;
  return {
    revision,
    podName,
    queueEnv,
    userPort: Number(queueEnv.USER_PORT),
    async markReady() {
      const now = new Date().toISOString();
      const condition = (type: string) => ({ type, status: 'True', lastTransitionTime: now });
      const status = {
        phase: 'Running',
        hostIP: POD_IP,
        podIP: POD_IP,
        podIPs: [{ ip: POD_IP }],
        startTime: now,
        conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map(condition),
        containerStatuses: containers.map((c) => ({ name: c.name, ready: true, started: true, restartCount: 0, image: c.image, imageID: '', state: { running: { startedAt: now } } })),
      };
      await api(cp, 'PATCH', `${podPath}/status`, { status }, 'application/merge-patch+json');
      await discoverPods(cp, podTargetsFile);
    },
    async remove() {
      await api(cp, 'DELETE', `${podPath}?gracePeriodSeconds=0`);
      await discoverPods(cp, podTargetsFile);
    },
  };
}

/** Starts the whole Knative side (see the module comment); `log` gets one line per step. */
export async function startKnativeLab(log: (message: string) => void): Promise<KnativeLab> {
  const group = await createServerGroup('pytuner-lab-knative-');
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
    await group.stop();
  };
  try {
    log('knative: starting the control plane');
    const cp = await startControlPlane();
    stops.push(() => cp.stop());
    const target = { server: cp.server, ca: cp.ca, adminToken: cp.adminToken, kubeconfigPath: cp.kubeconfigPath, binDir: cp.binDir };
    log('knative: starting the Knative webhook');
    const webhook: KnativeWebhook = await startKnativeWebhook(target);
    stops.push(() => webhook.stop());
    // Before the controller starts: it writes the queue-proxy's OBSERVABILITY_CONFIG from this ConfigMap, and the
    // webhook (already running) reads metrics settings at start only, so it keeps off the queue-proxy's :9090.
    await enablePrometheusMetrics(cp);
    log('knative: starting the Knative controller and autoscaler');
    const controller: KnativeController = await startKnativeController(target);
    stops.push(() => controller.stop());
    const binDir = await knativeBinDir();
    const [profilingPort] = (await freeLoopbackPorts(1)) as [number];
    const currentAutoscaler = join(binDir, 'autoscaler');
    let autoscaler = startAutoscaler(group, cp, currentAutoscaler, profilingPort);
    await api(cp, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: LAB_NAMESPACE } });
    const cadvisor = await startCadvisor(group, log);
    const made: string[] = [];
    if ('cgroups' in cadvisor) stops.push(async () => {
      const left = await removeLabCgroups(cadvisor.cgroups, made);
      if (left.length > 0) log(`knative: cgroups left behind: ${left.join(', ')}`);
    });
    const standins = await startStandinExporter(LAB_NAMESPACE, { cadvisor: !('cgroups' in cadvisor) });
    stops.push(() => standins.stop());
    const podTargetsFile = join(group.dir, 'pods.json');
    const prometheusUrl = await startScrapingPrometheus(group, podTargetsFile, standins.port, 'cgroups' in cadvisor ? cadvisorScrapeJob(cadvisor.target, cadvisor.cgroups.root) : undefined);
    log(`knative: Prometheus ${prometheusUrl} scrapes the queue-proxy (PodMonitor relabelling), the autoscaler, ${'cgroups' in cadvisor ? 'cAdvisor' : 'the cAdvisor stand-in'} and the kube-state-metrics stand-in every ${SCRAPE_INTERVAL_SECONDS} s`);
    return {
      prometheusUrl,
      standins,
      cpuSource: 'cgroups' in cadvisor ? { kind: 'cadvisor', binary: cadvisor.binary } : { kind: 'standin', reason: cadvisor.reason },
      async containerCgroup(podName, container) {
        if (!('cgroups' in cadvisor)) return undefined;
        made.push(containerCgroup(cadvisor.cgroups.root, LAB_NAMESPACE, podName, container));
        return containerDirectories(cadvisor.cgroups, LAB_NAMESPACE, podName, container);
      },
      latencyBuckets: (podName) => histogramBounds(prometheusUrl, WHOLE_REQUEST_HISTOGRAM, podName),
      logDir: group.dir,
      async deploy(service) {
        const pod = await deployRevision(cp, service, podTargetsFile);
        standins.setPod({ name: pod.podName, service: (service.metadata as { name: string }).name, cpuLimit: 2 });
        return pod;
      },
      async useAutoscaler(binary) {
        // One at a time: both hard-code the stat server's :8080 and would each reconcile the same PodAutoscalers.
        await autoscaler.stop();
        const legacy = binary !== undefined;
        autoscaler = startAutoscaler(group, cp, binary ?? currentAutoscaler, profilingPort, legacy ? LEGACY_AUTOSCALER_ENV : {});
        log(`knative: autoscaler now ${binary ?? currentAutoscaler}`);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * The real cAdvisor (cadvisor.ts): built by scripts/install-cadvisor.sh, watching the lab's cgroup root. When it
 * cannot be built, the cgroups cannot be made or it does not answer, the reason (the /proc stand-in serves CPU then).
 */
async function startCadvisor(group: ServerGroup, log: (message: string) => void): Promise<{ binary: string; target: string; cgroups: LabCgroups } | { reason: string }> {
  let binary: string;
  try {
    binary = (await runScript(scriptPath('install-cadvisor.sh'))).lastLine;
  } catch (err) {
    log(`knative: no cAdvisor, CPU from the /proc stand-in: ${(err as Error).message}`);
    return { reason: `scripts/install-cadvisor.sh failed: ${(err as Error).message}` };
  }
  const cgroups = await makeLabCgroups(`/pytuner-lab-${process.pid}`);
  if ('reason' in cgroups) {
    log(`knative: no cAdvisor, CPU from the /proc stand-in: ${cgroups.reason}`);
    return cgroups;
  }
  const [port] = (await freeLoopbackPorts(1)) as [number];
  const target = `127.0.0.1:${port}`;
  const exporter = group.start('cadvisor', binary, ['-listen', target, '-prefix', cgroups.root]);
  try {
    await pollUntil('cAdvisor to serve /metrics', async () => ((await fetch(`http://${target}/metrics`)).ok ? true : undefined), { timeoutMs: 30_000, intervalMs: 250, abortIf: () => exitedError(exporter) });
  } catch (err) {
    await exporter.stop();
    await removeLabCgroups(cgroups, []);
    log(`knative: cAdvisor did not start, CPU from the /proc stand-in: ${(err as Error).message}`);
    return { reason: `cAdvisor did not start: ${(err as Error).message}` };
  }
  log(`knative: cAdvisor (${binary}) watches the cgroups under ${cgroups.root} in ${cgroups.mounts.join(', ')}`);
  return { binary, target, cgroups };
}

/** Knative 1.23's whole-request histogram (queue-proxy), the latency pytuner's knative profile reads first. */
export const WHOLE_REQUEST_HISTOGRAM = 'http_server_request_duration_seconds';

/** The `le` values of `metric`_bucket for one pod, as bounds in seconds (finite, ascending). */
async function histogramBounds(prometheusUrl: string, metric: string, podName: string): Promise<HistogramBounds | undefined> {
  const match = `${metric}_bucket{namespace="${LAB_NAMESPACE}",pod="${podName}"}`;
  const answer = (await (await fetch(`${prometheusUrl}/api/v1/label/le/values?match[]=${encodeURIComponent(match)}`)).json()) as { data?: string[] };
  const bounds = (answer.data ?? []).map(Number).filter((b) => Number.isFinite(b)).sort((a, b) => a - b);
  return bounds.length === 0 ? undefined : { metric, boundsSeconds: bounds };
}

/** Waits until Prometheus has scraped at least once more, so the last seconds of a day are in its TSDB. */
export async function awaitScrape(): Promise<void> {
  await delay((SCRAPE_INTERVAL_SECONDS + 1) * 1000);
}
