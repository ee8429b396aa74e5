/**
 * Benchmark: the query cost of reading metrics for N Knative services (default 1,000 and 10,000), spread over 20
 * namespaces, from a real Prometheus (the test harness's: promtool-backfilled TSDB, served on loopback). Prints the
 * queries made, the bytes received and the wall time of a full collection (`collectObservations` for every service, as
 * `pytuner report -f … --prometheus` runs it), next to what KRR's per-container queries would cost. Asserts nothing.
 *
 *   npm run bench:metrics               # 1,000 and 10,000 services
 *   npm run bench:metrics -- 2000 20000 # other sizes
 */
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { createPrometheusClient } from '../src/input/metrics/client.ts';
import { collectObservations } from '../src/input/metrics/collect.ts';
import type { MetricsTarget } from '../src/input/metrics/target.ts';
import { locatePrometheusBinaries, startPrometheus } from '../test/integration/harness/prometheus.ts';
import type { WorkloadLoad } from '../test/support/series.ts';
import { STEP, STEPS, syntheticSteps } from './syntheticLoad.ts';
import { knativeSeries } from '../test/support/series.ts';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const SIZES = sizes.length > 0 ? sizes : [1000, 10_000];
const NAMESPACES = 20;
const BOUNDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5];
// The anchor of issue 5 (Metrics): KRR (robusta-dev/krr) runs 4–5 range queries per container and breaks Prometheus
// at about 1,000 pods. One container per service here.
const KRR_QUERIES_PER_CONTAINER = [4, 5] as const;


function workloads(count: number): WorkloadLoad[] {
  return Array.from({ length: count }, (_, i) => ({ namespace: `team-${i % NAMESPACES}`, name: `svc-${i}`, steps: syntheticSteps(i), vcpus: 1 + (i % 4), pods: 1 }));
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

async function measure(count: number): Promise<string[]> {
  const start = Math.floor((Date.now() / 1000 - 3 * 3600) / 60) * 60;
  const generated = performance.now();
  const openMetrics = knativeSeries(workloads(count), { start, stepSeconds: STEP, bounds: BOUNDS, lean: true }, 'pod-labels');
  const generateMs = performance.now() - generated;
  const samples = openMetrics.split('\n').length - 1 - (openMetrics.match(/^# /gm)?.length ?? 0);

  const backfilled = performance.now();
  const prometheus = await startPrometheus({ openMetrics, startTimeoutMs: 600_000 });
  const backfillMs = performance.now() - backfilled;
  const client = createPrometheusClient({ url: prometheus.url, timeoutMs: 120_000 });
  try {
    const targets: MetricsTarget[] = workloads(count).map((w) => ({ kind: 'Service', namespace: w.namespace, name: w.name, platform: 'knative', container: 'user-container' }));
    const began = performance.now();
    const { observations } = await collectObservations({ targets }, 'auto', { start, end: start + STEPS * STEP, stepSeconds: STEP }, client);
    const wallMs = performance.now() - began;
    const complete = [...observations.values()].filter((o) => 'samples' in o && o.samples.length === STEPS && o.samples.every((s) => s.requestRate !== undefined && s.concurrencyPerInstance !== undefined && s.cpuCoresPerInstance !== undefined)).length;
    const { queries, bytes } = client.stats();
    const [krrLow, krrHigh] = KRR_QUERIES_PER_CONTAINER.map((q) => q * count);
    return [
      count.toLocaleString('en'),
      `${complete.toLocaleString('en')}/${count.toLocaleString('en')}`,
      `${samples.toLocaleString('en')} (${megabytes(openMetrics.length)})`,
      `${(generateMs / 1000).toFixed(1)} s + ${(backfillMs / 1000).toFixed(1)} s`,
      queries.toLocaleString('en'),
      megabytes(bytes),
      `${(wallMs / 1000).toFixed(2)} s`,
      `${krrLow?.toLocaleString('en')}–${krrHigh?.toLocaleString('en')}`,
    ];
  } finally {
    await client.close();
    await prometheus.stop();
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ').trimEnd()).join('\n');
}

const binaries = await locatePrometheusBinaries();
const version = execFileSync(binaries.prometheus, ['--version'], { encoding: 'utf8' }).split('\n')[0] ?? 'prometheus';
const cpu = cpus();
process.stdout.write(
  `pytuner metrics query cost — ${new Date().toISOString()}\n` +
    `machine: ${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB RAM; Node ${process.version}; ${version}\n` +
    `profile knative (Knative ≥ 1.21 names), ${NAMESPACES} namespaces, 1 pod and 1 container per service, window 1 h at --step 5m (${STEPS} points per series)\n\n`,
);
const header = ['services', 'complete', 'samples backfilled', 'generate + backfill', 'queries', 'received', 'wall time', 'KRR queries (4–5 per container)'];
const rows = [header];
for (const count of SIZES) rows.push(await measure(count));
process.stdout.write(`${table(rows)}\n\n`);
process.stdout.write(
  'pytuner asks once which metric names exist, probes the queue-proxy labels three times, then runs each profile query once per\n' +
    `namespace, aggregated by service (${NAMESPACES} namespaces × 10 queries + 4): the count depends on namespaces, not on services.\n` +
    "KRR's count grows with every container (4–5 range queries each); it breaks Prometheus at about 1,000 pods.\n",
);
