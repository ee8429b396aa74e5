/**
 * A report with measured load, as `pytuner report --prometheus` makes it: a real Prometheus over series backfilled for
 * examples/knative-orders (Knative names) and examples/gke-reports (cAdvisor, kube-state-metrics and the app's own
 * histogram), simulated with bench/sim (a gunicorn of 2 workers × 4 threads, 12 ms CPU + 50 ms I/O per request, the
 * load rising from 5 to 40 requests/s over an hour). The `-o html` test and `npm run docs:screenshot` use it.
 */
import { startPrometheus, type RunningPrometheus } from '../integration/harness/prometheus.ts';
import type { SeriesOptions, WorkloadLoad } from './series.ts';
import { APP_TEMPLATES, knativeSeries, kubernetesSeries, mergeDocuments } from './series.ts';
import { SIM_BOUNDS, simulatedSteps } from './seriesFromSim.ts';

const STEP = 300;
const DURATION = 3600;

/** The simulated steps of each workload (one per STEP seconds). */
export const EXAMPLE_STEPS = simulatedSteps({ seed: 21, fromRate: 5, toRate: 40, cpuMs: 12, ioMs: 50, workers: 2, threads: 4, vcpus: 2, containerConcurrency: 0, durationSeconds: DURATION, stepSeconds: STEP });

/** The workloads with series, as `kind/namespace/name`. */
export const EXAMPLE_WORKLOADS = ['Service/shop/orders', 'Deployment/analytics/reports'] as const;

export interface ExamplePrometheus {
  prometheus: RunningPrometheus;
  /** `pytuner report` arguments: the two examples, this Prometheus, the window of the series and the app's PromQL. */
  args: string[];
  /** The same without the examples' `-f`: for workloads read another way (`--cluster`). */
  metricsArgs: string[];
}

/** Starts the Prometheus, with the workloads' series in these namespaces (default: the examples' own); the caller stops it. */
export async function startExamplePrometheus(namespaces: { orders: string; reports: string } = { orders: 'shop', reports: 'analytics' }): Promise<ExamplePrometheus> {
  const start = Math.floor((Date.now() / 1000 - 3 * 3600) / 60) * 60;
  const options: SeriesOptions = { start, stepSeconds: STEP, bounds: SIM_BOUNDS };
  const orders: WorkloadLoad = { namespace: namespaces.orders, name: 'orders', steps: EXAMPLE_STEPS, vcpus: 2, container: 'orders' };
  const reports: WorkloadLoad = { namespace: namespaces.reports, name: 'reports', steps: EXAMPLE_STEPS, vcpus: 2, container: 'reports' };
  const prometheus = await startPrometheus({ openMetrics: mergeDocuments([knativeSeries([orders], options, 'pod-labels'), kubernetesSeries([reports], options)]) });
  const metricsArgs = [
    '--prometheus', prometheus.url, '--end', String(start + DURATION), '--window', '1h', '--step', '5m',
    '--request-rate-query', APP_TEMPLATES.requestRate, '--latency-query', APP_TEMPLATES.latency, '--in-flight-query', APP_TEMPLATES.inFlight,
  ];
  return { prometheus, args: ['-f', 'examples/knative-orders', '-f', 'examples/gke-reports', ...metricsArgs], metricsArgs };
}
