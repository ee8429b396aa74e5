/**
 * @module The observed window pytuner reads: a day of the service with its default configuration on Cloud Run, as the
 * platform's metrics would show it. A simple autoscaler model turns the day's demand (requests in flight over the
 * whole service) into instances and in-flight requests per instance — Cloud Run aims at 60% of containerConcurrency
 * per instance and adds instances beyond it — and each step's per-instance load is measured for real: wrk holds that
 * many connections against the server. Each measurement becomes one step of the series: its rates, latency
 * distribution and CPU per request as measured, its counts scaled from the measured seconds to the step's length
 * (a day compressed into minutes of measurement).
 */
import type { StepLoad } from '../../test/support/series.ts';
import type { Measurement } from './measure.ts';
import type { ServerKind } from './server.ts';
import { bucketCounts, countOf } from './stats.ts';
import type { LatencyCount } from './wrk.ts';

/** One step of the day: how many instances serve and how many requests each holds in flight. */
export interface DayStep {
  index: number;
  instances: number;
  concurrency: number;
}

/** The shape of the day and the autoscaler. */
export interface DayOptions {
  /** Steps of the daytime curve (demand rising from 0 to the peak and back). */
  daySteps: number;
  /** Steps at one request in flight before and after the day (the night: the low-concurrency baseline). */
  nightSteps: number;
  containerConcurrency: number;
  /** Cloud Run scales out at about 60% of containerConcurrency in flight per instance. */
  targetUtilisation: number;
  /** Instances at the peak. */
  peakInstances: number;
}

export const CLOUD_RUN_DAY: DayOptions = { daySteps: 16, nightSteps: 2, containerConcurrency: 80, targetUtilisation: 0.6, peakInstances: 3 };

/**
 * The day: demand D(k) = peak × (1 − cos(2πk / daySteps)) / 2 requests in flight over the service, peak = peakInstances ×
 * the autoscaler's target; instances = ⌈D / target⌉ (at least 1); per instance round(D / instances), between 1 and
 * containerConcurrency. Night steps hold one request in flight on one instance.
 */
export function daySchedule(options: DayOptions): DayStep[] {
  const target = options.containerConcurrency * options.targetUtilisation;
  const peak = options.peakInstances * target;
  const steps: DayStep[] = [];
  const night = () => steps.push({ index: steps.length, instances: 1, concurrency: 1 });
  for (let i = 0; i < options.nightSteps; i++) night();
  for (let k = 0; k < options.daySteps; k++) {
    const demand = (peak * (1 - Math.cos((2 * Math.PI * k) / options.daySteps))) / 2;
    const instances = Math.max(1, Math.ceil(demand / target - 1e-9));
    const concurrency = Math.min(options.containerConcurrency, Math.max(1, Math.round(demand / instances)));
    steps.push({ index: steps.length, instances, concurrency });
  }
  for (let i = 0; i < options.nightSteps; i++) night();
  return steps;
}

/**
 * One step of the series from a measurement of one instance at the step's concurrency: `instances` alike, each
 * completing the measured throughput over `stepSeconds`, with the measured latency distribution and CPU.
 */
export function stepLoad(step: DayStep, m: Pick<Measurement, 'throughput' | 'meanLatency' | 'serverCores'>, latencies: readonly LatencyCount[], stepSeconds: number, bounds: readonly number[]): StepLoad {
  const completed = m.throughput * step.instances * stepSeconds;
  const recorded = countOf(latencies);
  const scale = recorded > 0 ? completed / recorded : 0;
  return {
    t: (step.index + 1) * stepSeconds,
    completed,
    buckets: bucketCounts(latencies, bounds).map((c) => c * scale),
    latencySum: m.meanLatency * completed,
    instances: step.instances,
    // Little's law: requests in flight on one instance = its throughput × the mean time each spends there.
    inflightPerInstance: m.throughput * m.meanLatency,
    cpuSecondsPerInstance: m.serverCores * stepSeconds,
    waitingPerInstance: 0,
    startupLatencies: [],
  };
}

/** `count` histogram bounds from `first` (seconds), each `factor` × the one before, rounded to 4 significant digits. */
export function exponentialBuckets(first: number, factor: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Number((first * factor ** i).toPrecision(4)));
}

/** What the manifest of a lab service says. */
export interface ManifestOptions {
  name: string;
  server: ServerKind;
  workers: number;
  /** Ignored for the ASGI servers. */
  threads: number;
  containerConcurrency: number;
  vcpus: number;
  location: string;
}

/**
 * The Cloud Run service as `gcloud run services describe --format export` prints it, running the lab's server with
 * the Cloud Run guides' command line (`--timeout 0`: Cloud Run's request timeout applies instead).
 */
export function cloudRunManifest(o: ManifestOptions): string {
  const argv =
    o.server === 'uvicorn' ? ['uvicorn', 'asgi:app', '--host', '0.0.0.0', '--port', '8080', ...(o.workers === 1 ? [] : ['--workers', String(o.workers)])]
    : o.server === 'gunicorn-uvicorn' ? ['gunicorn', '--bind', ':8080', '--workers', String(o.workers), '--worker-class', 'uvicorn.workers.UvicornWorker', '--timeout', '0', 'asgi:app']
    : ['gunicorn', '--bind', ':8080', '--workers', String(o.workers), '--threads', String(o.threads), '--timeout', '0', 'wsgi:app'];
  const [command, ...args] = argv;
  return `# The lab's ${o.name} service on Cloud Run (written by bench/lab; its metrics are the lab's measurements).
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: ${o.name}
  namespace: '123456789012'
  labels:
    cloud.googleapis.com/location: ${o.location}
spec:
  template:
    spec:
      containerConcurrency: ${o.containerConcurrency}
      containers:
      - name: app
        image: ${o.location}-docker.pkg.dev/pytuner-lab/apps/${o.name}:1
        command: [${JSON.stringify(command)}]
        args: [${args.map((a) => JSON.stringify(a)).join(', ')}]
        ports:
        - name: http1
          containerPort: 8080
        resources:
          limits:
            cpu: '${o.vcpus}'
            memory: 2Gi
`;
}

/**
 * The day on the Knative path, shorter than Cloud Run's (each step is measured in real time, not written): the same
 * per-instance concurrencies at 12 day steps, and nights that each fill one rate window of the report (60 s: 5 steps
 * of the full lab's 12 s, 10 of `--quick`'s 6 s). The report's window starts one rate window after the day, so a
 * shorter night leaves no point whose window holds only one request at a time (run 3 had 1-step nights; `--quick`'s
 * 5-step nights of 6 s left none either, and withheld every knob). Longer nights starve the oracle's sweep within the
 * lab's budget (run 8's first try: 8-step nights of 12 s, no sweep point in any scenario).
 */
export function knativeDay(stepSeconds: number, rateWindowSeconds: number): DayOptions {
  return { ...CLOUD_RUN_DAY, daySteps: 12, nightSteps: Math.ceil(rateWindowSeconds / stepSeconds) };
}

/** The port the lab's Knative Service declares: the queue-proxy's USER_PORT (not 8080, the autoscaler's hard-coded port). */
export const LAB_USER_PORT = 8081;

/** The lab's Knative Service: the server of `o` behind the queue-proxy, with Knative's defaults otherwise. */
export function knativeManifest(o: Omit<ManifestOptions, 'location'> & { namespace: string }): string {
  const argv =
    o.server === 'uvicorn' ? ['uvicorn', 'asgi:app', '--host', '0.0.0.0', '--port', String(LAB_USER_PORT), ...(o.workers === 1 ? [] : ['--workers', String(o.workers)])]
    : o.server === 'gunicorn-uvicorn' ? ['gunicorn', '--bind', `:${LAB_USER_PORT}`, '--workers', String(o.workers), '--worker-class', 'uvicorn.workers.UvicornWorker', 'asgi:app']
    : ['gunicorn', '--bind', `:${LAB_USER_PORT}`, '--workers', String(o.workers), '--threads', String(o.threads), 'wsgi:app'];
  const [command, ...args] = argv;
  return `# The lab's ${o.name} service on Knative Serving (written by bench/lab; its pod is the lab's server behind a real queue-proxy).
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: ${o.name}
  namespace: ${o.namespace}
spec:
  template:
    spec:
      containerConcurrency: ${o.containerConcurrency}
      containers:
      - image: registry.example/pytuner-lab/${o.name}:1
        command: [${JSON.stringify(command)}]
        args: [${args.map((a) => JSON.stringify(a)).join(', ')}]
        ports:
        - containerPort: ${LAB_USER_PORT}
        resources:
          limits:
            cpu: '${o.vcpus}'
            memory: 2Gi
`;
}
