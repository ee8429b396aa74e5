/**
 * @module What the lab writes: docs/lab/README.md (the tables, per-scenario details, the method) and one SVG per
 * scenario (throughput and p95 against concurrency, the sweep's shapes as lines, the observed day as dots, the chosen
 * settings marked). Pure: results in, text out.
 */
import { capacityRows, markdownTable, ms, tableRows } from './results.ts';
import { BACKGROUND_LIMIT } from './stats.ts';
import type { RatedSetting, ScenarioResult } from './results.ts';
import type { ShapeFamily } from './search.ts';
import { describeConfig } from './search.ts';
import type { PlotMark, PlotSeries } from '../../src/output/svg.ts';
import { PALETTE, renderPlot } from '../../src/output/svg.ts';

/** When and where a run was made, for the README's header. */
export interface RunContext {
  date: string;
  machine: string;
  /** What the machine's load was (quiet, or the load the figures were taken under). */
  load: string;
  seconds: number;
  command: string;
  quick: boolean;
  /** On the Knative path, where container CPU came from (absent in runs before cAdvisor: the /proc stand-in). */
  cpuSource?: { kind: 'cadvisor' } | { kind: 'standin'; reason: string };
}

function familyName(f: ShapeFamily): string {
  if (f.rule === 'sync') return `${f.workers} sync ${f.workers === 1 ? 'worker' : 'workers'}`;
  if (f.rule === 'cover') return `${f.workers} × threads ≥ cc`;
  if (f.rule === 'split') return `${f.workers} × cc/${f.workers} threads`;
  return `${f.workers} ${f.workers === 1 ? 'worker' : 'workers'} (async)`;
}

/** The scenario's figure. */
export function scenarioPlot(r: ScenarioResult): string {
  const series: PlotSeries[] = [];
  let color = 0;
  for (const fr of r.sweep.results) {
    if (!('edge' in fr)) continue;
    const f = fr.family;
    const points = r.sweep.points.filter((p) => p.family.workers === f.workers && p.family.rule === f.rule).map((p) => p.measurement);
    if (points.length > 0) series.push({ name: familyName(f), color: PALETTE[color++ % PALETTE.length]!, style: 'line', points: points.map((m) => ({ concurrency: m.config.concurrency, throughput: m.throughput, p95: m.p95 })) });
  }
  series.push({ name: 'observed day (defaults)', color: '#444444', style: 'dots', points: r.day.map((d) => ({ concurrency: d.concurrency, throughput: d.measurement.throughput, p95: d.measurement.p95 })) });
  const mark = (label: string, s: RatedSetting | undefined, shape: PlotMark['shape'], fill: string): PlotMark[] => (s === undefined ? [] : [{ name: label, color: fill, shape, concurrency: s.config.concurrency, throughput: s.outcome.throughput, p95: s.outcome.p95 }]);
  const main = r.pytuner[0];
  const marks = [
    ...mark(`oracle: ${r.oracle === undefined ? '' : describeConfig(r.oracle.config)}`, r.oracle, 'diamond', '#2ca02c'),
    ...mark(`pytuner: ${main?.config === undefined ? '' : describeConfig(main.config)}`, main?.rated, 'triangle', '#ff7f0e'),
    ...r.defaults.map((d, i) => mark(`default: ${d.name}`, d, i === 0 ? 'square' : 'circle', i === 0 ? '#d62728' : '#9467bd')).flat(),
  ];
  return renderPlot({ title: `${r.scenario}: throughput and p95 against concurrency`, subtitle: r.summary, objectiveSeconds: r.objectiveSeconds, series, marks });
}

function settingName(s: RatedSetting): string {
  if (s.name.startsWith('candidate')) return describeConfig(s.config);
  return `${s.name}: ${describeConfig(s.config)}`;
}

/** The method of the Knative path, with its stand-ins named as such (bench/lab/knative/). */
const knativeMethod = (cpuSource: RunContext['cpuSource']): string => [
  '- **Knative path** (the default; `--emulated` runs without it): the lab re-runs itself in a network namespace of its own (`unshare --net`; the queue-proxy and autoscaler hard-code their ports) and starts, real: pytuner\'s test control plane (etcd, kube-apiserver v1.36.3), Knative Serving 1.23\'s webhook, controller and autoscaler (`knative.dev/serving` v0.50.0 `cmd/webhook`, `cmd/controller`, `cmd/autoscaler`, built from the Go module proxy by `scripts/install-knative.sh` into `~/.cache/pytuner`), and Prometheus 2.42 scraping every 5 s.',
  'Each scenario\'s Knative Service goes through the real webhook; the real controller makes its Revision, Deployment, PodAutoscaler and ServerlessService; the server runs behind the real queue-proxy (`cmd/queue` v0.50.0, `bench/lab/knative/install-queue-proxy.sh`) with the environment the controller wrote into the Deployment, and every request of the scenario (baseline, day, sweep, repetitions) goes through it.',
  'config-observability has `metrics-protocol` and `request-metrics-protocol` set to `prometheus`. The queue-proxy\'s `http-usermetric` port is scraped with the relabelling the Prometheus Operator writes for a PodMonitor (labels `namespace`, `pod`, `container`, `endpoint`, `job`; no pod labels), so the revision and service reach the request series only through `target_info`. The real autoscaler scrapes the queue-proxy\'s `:9090` stats on the pod\'s IP and exports `kn_revision_pods_count` (1: one pod), which Prometheus scrapes.',
  'The day: the default configuration at the same per-instance concurrencies as the Cloud Run day, each step held 12 s in real time; `pytuner report --profile knative --step 12s` reads it (its rate window is 60 s, so each point averages about five steps of the smooth day curve).',
  `**Stand-ins, not real components**: (1) no kubelet or scheduler — the lab writes the revision's Pod (the controller's pod template) and its status Running/Ready with the pod IP; (2) Debian's Prometheus is built without \`kubernetes_sd\`, so the lab lists that Pod from the API server and writes it as \`file_sd\` targets with the \`__meta_kubernetes_pod_*\` labels kubernetes_sd would give; (3) ${cpuStandin(cpuSource)}(4) no kube-state-metrics — \`kube_pod_labels\` and \`kube_pod_container_resource_limits\` are served from the Pod the lab wrote; (5) the autoscaler is scraped from a static target.`,
  '- **Knative 1.18 (`knative-legacy` profile)**: in the scenarios marked for it (cpu-bound), after the 1.23 day the lab stops the 1.23 autoscaler, starts Knative 1.18\'s (`knative.dev/serving` v0.45.1 `cmd/autoscaler`; one at a time: both hard-code the stat server\'s port and would reconcile the same PodAutoscaler) and puts 1.18\'s queue-proxy (`cmd/queue` v0.45.1) in front of the same server with the environment 1.23\'s controller wrote plus the OpenCensus keys 1.18\'s controller adds (`SERVING_REQUEST_METRICS_BACKEND=prometheus`, `METRICS_DOMAIN`, …; no 1.18 controller or webhook runs). The same day is measured again through it and `pytuner report --profile knative-legacy` reads what Prometheus scraped (`revision_request_*` in milliseconds, `autoscaler_actual_pods`); its setting is measured with the others and is the "Knative 1.18 queue-proxy" column. Then the 1.23 autoscaler and queue-proxy are put back.',
].join(' ');

/** Item (3) of the Knative path's method: the real cAdvisor, or the /proc stand-in and why. */
function cpuStandin(cpuSource: RunContext['cpuSource']): string {
  const standin = "no cAdvisor — `container_cpu_usage_seconds_total` of `user-container` and `queue-proxy` is served from /proc (the server's process tree, the queue-proxy process) with the kubelet's labels";
  if (cpuSource === undefined) return `${standin} (cAdvisor's program, module \`github.com/google/cadvisor/cmd\`, is not served by the Go module proxy; a main over its library was not written yet); `;
  if (cpuSource.kind === 'standin') return `${standin}, because the real cAdvisor could not run: ${cpuSource.reason}; `;
  return "not a stand-in: **cAdvisor is real** — the library the kubelet embeds (`github.com/google/cadvisor/lib` of release v0.61.0, whose manager, raw cgroup handler and Prometheus collector do all the work) behind a minimal main, `bench/lab/cadvisor` (cAdvisor's own program, module `github.com/google/cadvisor/cmd`, is not served by the Go module proxy), built by `scripts/install-cadvisor.sh`; the lab makes a cgroup (v1 cpu and cpuacct here) for the pod's `user-container` and `queue-proxy` and starts each server and queue-proxy inside its container's cgroup, and Prometheus turns cAdvisor's cgroup path (`id`) into the kubelet's `namespace`, `pod` and `container` labels, as the kubelet does from the runtime's cgroup layout; ";
}

/** docs/lab/README.md. */
export function labReadme(results: readonly ScenarioResult[], context: RunContext, bucketTexts: readonly string[]): string {
  const lines: string[] = [];
  const push = (...l: string[]) => lines.push(...l);
  push('# Lab: pytuner on real Python servers against measured optima', '');
  push(`Generated by \`${context.command}\` on ${context.date} (${context.machine}) in ${Math.round(context.seconds)} s. ${context.load}${context.quick ? ' **Quick run: short measurements, a small sweep — not figures of record.**' : ''}`, '');
  push(
    "Throughput per instance at the latency objective — p95 ≤ 1.5 × the p95 of one request at a time, the recommender's default (on the Knative path rounded up to the next bucket bound of the whole-request histogram `http_server_request_duration_seconds` pytuner reads, bounds read from the scraped series: an objective inside a bucket cannot be checked from it, and a Knative user cannot move Knative's bounds), passed to pytuner as `--latency-slo` so both sides aim at the same number; each scenario below says how its objective was chosen — as a ratio of the best setting found by brute force (the oracle). A setting whose median p95 misses the objective scores 0 (its p95 in brackets): the platform would run it there. `~` marks a ratio where one of the two settings' repetitions spread more than 10% in throughput or 15% in p95.",
    '',
  );
  push(markdownTable(tableRows(results)), '');
  const live = results.some((r) => r.pytuner[0]?.buckets.startsWith('Knative') === true);
  if (live) {
    push(`"pytuner's setting" is \`pytuner report --profile knative\` on what a real Prometheus scraped during the observed day from Knative's real queue-proxy and autoscaler (the Knative path below). The "Cloud Run backfill" column is the same day's measurements written as Cloud Run series with ${bucketTexts[0]} and backfilled with promtool (\`--profile cloudrun\`); the "fine buckets" column the same with ${bucketTexts[1]}, to show what the histogram's resolution costs.`, '');
  } else {
    push(`pytuner reads the series with ${bucketTexts[0]}; the "fine buckets" column is the same day written with ${bucketTexts[1]}, to show what the histogram's resolution costs.`, '');
  }
  push('Why pytuner missed where it did, measured: [findings.md](findings.md) (written for the runs it names; a new run rewrites this page, not that one).', '');
  push('## Method', '');
  push(
    '- **Servers**: Debian\'s gunicorn 20.1 (sync and gthread workers, and `-k uvicorn.workers.UvicornWorker`) and uvicorn 0.17 on 127.0.0.1, run as `/usr/bin/python3 -m …`; the apps are `bench/lab/app/` (Flask for WSGI, a raw ASGI app). The CPU work is a pure-Python loop that runs until its thread has used the given CPU time; the I/O is `time.sleep` (WSGI) or `await asyncio.sleep` (ASGI).',
    '- **Load**: `wrk -t1 -cN` holds N keep-alive connections, each sending its next request when the last answers: N requests in flight, the per-instance concurrency containerConcurrency caps. wrk opens its N connections at once, as a burst of new clients would. Latency percentiles are exact (wrk\'s whole latency record, nearest rank). CPU per request is the server\'s process tree\'s utime + stime (/proc) over the completed requests. After each run the lab waits about one latency for the requests wrk left behind to drain. A run during which other processes kept more than ' + String(BACKGROUND_LIMIT) + ' cores busy (/proc/stat minus the server, wrk and the lab) is repeated, up to 2–3 runs, and the quietest is kept; the notes count them.',
    '- **Observed day**: the default configuration (Cloud Run containerConcurrency 80, `gunicorn --workers 1 --threads 8`, or one uvicorn worker) at the per-instance concurrency a simple autoscaler model gives ' + String(results[0]?.day.length ?? 0) + ' steps of a day (Cloud Run aims at 60% of 80 per instance: up to 3 instances × 48 in flight, one request at a time at night), each measured for real and written as one 5-minute step of Cloud Run\'s metrics (`run_googleapis_com:request_count`, `request_latencies`, `container_instance_count`, `container_cpu_utilizations`) — rates, latency distribution and CPU per request as measured, counts scaled to the step. promtool backfills a real Prometheus; `pytuner report -f service.yaml --prometheus … --profile cloudrun --latency-slo …` reads it. The table shows where pytuner\'s steps lead (its targets); its first step (×2 / ÷2 per step) is in the details.',
    ...(live ? [knativeMethod(context.cpuSource)] : []),
    '- **Oracle**: for 1–4 sync workers, 1–4 gthread workers with threads ≥ the concurrency, 2 workers × concurrency/2 threads (WSGI), or 1–4 event-loop workers (ASGI), the largest concurrency whose p95 meets the objective in 1-second runs (×1.5 steps from the previous shape\'s edge, then bisection to 15%); shapes whose GIL bound cannot beat the best so far are skipped, and the sweep stops when the scenario\'s share of the time budget runs out (the README says which shapes it reached). The best candidates are measured again with exact thread counts, as are one request at a time, pytuner\'s settings and the defaults; every comparison uses the median of the repetitions.',
    '- **Item 4**: bench/sim\'s discrete-event simulation, its request calibrated by the lab (CPU per request from the observed day\'s busier half, I/O = one-request latency − its CPU, lognormal with the measured latency shape), serving 400 clients × 3 req/s (Poisson, 1,200 req/s) on a fixed fleet behind Cloud Run\'s queue: the fewest instances whose p95 meets the objective.',
    '',
  );
  push('## Item 4: 400 clients × 3 requests per second', '');
  push(markdownTable(capacityRows(results)), '');
  push('## The scenarios', '');
  for (const r of results) {
    push(`### ${r.scenario}`, '');
    push(`${r.summary}. One request at a time: mean ${ms(r.baseline.meanLatency)}, p95 ${r.baseline.p95s.map(ms).join(' / ')} (${r.baseline.p95s.length} runs), CPU ${ms(r.baseline.cpuSecondsPerRequest)} per request; objective p95 ≤ ${ms(r.objectiveSeconds)}${r.objectiveWhy === undefined ? '' : ` (${r.objectiveWhy})`}. Other processes used ${r.backgroundCores.toFixed(2)} of the machine's cores on average meanwhile; the scenario took ${Math.round(r.seconds)} s.`, '');
    push(`![${r.scenario}](${r.scenario}.svg)`, '');
    for (const run of r.pytuner) {
      if (run.error !== undefined) {
        push(`pytuner (${run.buckets}) failed: ${run.error}`, '');
        continue;
      }
      push(`pytuner (${run.buckets})${run.answer?.confidence === undefined ? '' : ` (${run.answer.confidence} confidence)`}: target ${describeConfig(run.config!)}, first step ${describeConfig(run.firstStep!)}.`);
      for (const m of run.answer?.messages ?? []) push(`- ${m}`);
      push('');
    }
    push('| setting | median throughput | median p95 | runs | spread (throughput / p95) | score / oracle |', '| --- | --- | --- | --- | --- | --- |');
    for (const s of [...r.repeated].sort((a, b) => b.score - a.score || b.outcome.throughput - a.outcome.throughput)) {
      push(`| ${settingName(s)} | ${s.outcome.throughput.toFixed(1)} req/s | ${ms(s.outcome.p95)} | ${s.outcome.repetitions} | ${Math.round(s.outcome.throughputSpread * 100)}% / ${Math.round(s.outcome.p95Spread * 100)}% | ${s.ratio.toFixed(2)} |`);
    }
    push('');
    if (r.calibrationChecks.length > 0) {
      push(`Calibrated simulation against the lab (one instance, closed loop): ${r.calibrationChecks.map((c) => `${describeConfig(c.config)}: measured ${c.measuredThroughput.toFixed(1)} req/s, p95 ${ms(c.measuredP95)}; simulated ${c.simulatedThroughput.toFixed(1)} req/s, p95 ${ms(c.simulatedP95)}`).join('; ')}.`, '');
    }
    for (const n of r.notes) push(`- ${n}`);
    if (r.notes.length > 0) push('');
  }
  return `${lines.join('\n')}\n`;
}
