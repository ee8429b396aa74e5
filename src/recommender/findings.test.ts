import { describe, expect, it } from 'vitest';
import type { Finding } from '../model/finding.ts';
import type { MetricsUnavailable, WorkloadObservations } from '../model/observations.ts';
import { observationKey } from '../model/observations.ts';
import { analyse } from '../report.ts';
import { deployment, inventory, knativeService } from '../../test/builders/index.ts';
import { DAY, syntheticObservations } from '../../test/support/syntheticObservations.ts';
import { METRIC_FINDINGS } from './catalogue.ts';
import { METRICS_ONLY_FILE, recommendFindings } from './findings.ts';

const CLOUD_RUN_TARGET = { kind: 'Service', namespace: '123456789012', name: 'api' } as const;

/** A Cloud Run service with the Python guide's defaults: containerConcurrency 80, gunicorn 1 worker × 8 threads. */
const cloudRun = (cpu = 1) => knativeService('api').cloudRun().concurrency(80).container((c) => c.cpu(cpu).gunicorn({ workers: 1, threads: 8 }));

function findingsFor(workload: ReturnType<typeof cloudRun>, entry: WorkloadObservations | MetricsUnavailable, objectives = {}): Finding[] {
  return recommendFindings(inventory(workload).build(), new Map([[observationKey(entry.target), entry]]), objectives);
}

const byRule = (findings: Finding[], rule: string) => findings.filter((f) => f.rule === rule);

describe('recommendFindings', () => {
  it('reports containerConcurrency with a JSON patch and threads that cover it, citing the PromQL', () => {
    // The latency objective alone (the CPU bound at 100% of the vCPU and the GIL bound at a whole core never bind here;
    // their own tests are below and in recommend.test.ts).
    const findings = findingsFor(cloudRun(), syntheticObservations(DAY, { target: CLOUD_RUN_TARGET }), { cpuUtilisationTarget: 1, gilShareTarget: 1 });
    expect(findings.map((f) => f.rule)).toEqual(['metrics.container-concurrency', 'metrics.threads']);
    const [cc, threads] = findings as [Finding, Finding];
    const recommended = cc.recommended.containerConcurrency as number;
    expect(recommended).toBeGreaterThan(30);
    expect(recommended).toBeLessThan(60);
    expect(cc).toMatchObject({
      severity: 'info',
      target: { kind: 'Service', namespace: '123456789012', name: 'api', container: 'app', file: 'api.yaml' },
      current: { containerConcurrency: 80 },
      recommended: { containerConcurrency: recommended },
    });
    expect(cc.message).toMatch(new RegExp(`^containerConcurrency 80: at ${recommended} in flight per instance with 1 worker × ${recommended} threads the predicted p95 is \\d+ ms, within the objective \\d+ ms, for [\\d.]+ req/s per instance; set containerConcurrency to ${recommended} \\(medium confidence\\)$`));
    expect([cc.confidence, threads.confidence]).toEqual(['medium', 'medium']);
    expect(cc.fix?.jsonPatch).toEqual([
      { op: 'test', path: '/spec/template/spec/containerConcurrency', value: 80 },
      { op: 'replace', path: '/spec/template/spec/containerConcurrency', value: recommended },
    ]);
    expect(cc.evidence[0]).toEqual({ source: 'manifest', file: 'api.yaml', field: 'spec.template.spec.containerConcurrency', text: '80' });
    expect(cc.evidence).toContainEqual({ source: 'metrics', field: 'sum by (service) (rate(container_cpu_usage_seconds_total[1m]))', text: `CPU 3 ms per request (cpuCoresPerInstance / per-instance rate, median of 12 busiest steps), I/O 80 ms; 1 vCPU; CPU bound: 1 vCPU × 100% target utilisation / CPU 3 ms per request = 333.3 req/s per instance, which this shape does not reach within the objective (at most ${recommended} in flight): sized by the latency objective (I/O-based bound)` });
    // One piece of evidence per query: the baseline, the objective and the prediction all come from the p95 query.
    expect(cc.evidence.filter((e) => e.field.startsWith('histogram_quantile(0.95'))).toHaveLength(1);
    expect(cc.fix?.notes?.[0]).toMatch(/^recommended from measured load \(confidence medium: 23 steps, 0\.2–60 in flight per instance over 23m; /);

    expect(threads).toMatchObject({ severity: 'warning', current: { threads: 8 }, recommended: { threads: recommended } });
    expect(threads.message).toBe(`gunicorn runs 8 threads per worker: keep-alive connections stay with the worker that accepted them, so each worker's threads must cover the whole concurrency ${recommended}; set threads to ${recommended} (medium confidence)`);
    expect(threads.fix?.jsonPatch).toEqual([
      { op: 'test', path: '/spec/template/spec/containers/0/args/6', value: '8' },
      { op: 'replace', path: '/spec/template/spec/containers/0/args/6', value: String(recommended) },
    ]);
  });

  it('reports more workers on more vCPU, fixing --workers where it is written', () => {
    const workers = byRule(findingsFor(cloudRun(2), syntheticObservations(DAY, { target: CLOUD_RUN_TARGET })), 'metrics.workers');
    expect(workers).toHaveLength(1);
    const [finding] = workers as [Finding];
    const recommended = finding.recommended.workers as number;
    // By hand: the CPU bound is 2 vCPU × 0.6 / 3 ms = 400 req/s; each worker's GIL serves 0.35 / 3 ms = 116.7 req/s, so
    // 3 workers serve 350 and 4 serve 466.7: 4 workers, reached from 1 in steps of at most ×2.
    expect(recommended).toBe(2);
    expect(finding).toMatchObject({ severity: 'warning', current: { workers: 1 } });
    expect(finding.message).toBe(
      `gunicorn runs 1 worker on 2 vCPU: CPU is 3 ms of a 83 ms request and each worker process runs Python on one core at a time (the GIL); CPU per instance stays at 0.9 of 2 vCPU while p95 is 1.7× the low-concurrency p95 (a vCPU hotspot); threads of one worker wait for its GIL, so each worker takes at most 116.7 req/s (its GIL 35% busy with request CPU); set workers to 2 now (guardrail: at most ×2 or ÷2 per step), 4 in later steps (medium confidence)`,
    );
    expect(finding.fix?.jsonPatch?.at(-1)).toEqual({ op: 'replace', path: '/spec/template/spec/containers/0/args/4', value: String(recommended) });
    expect(finding.fix?.notes).toContain('each worker process holds its own copy of the app: check the memory limit');
  });

  it('on a free-threaded build (PYTHON_GIL=0) recommends no extra workers for the GIL, and cites the build', () => {
    const free = knativeService('api').cloudRun().concurrency(80).container((c) => c.cpu(2).env('PYTHON_GIL', '0').gunicorn({ workers: 1, threads: 8 }));
    const findings = findingsFor(free, syntheticObservations(DAY, { target: CLOUD_RUN_TARGET }));
    expect(byRule(findings, 'metrics.workers')).toEqual([]);
    const [cc] = byRule(findings, 'metrics.container-concurrency') as [Finding];
    expect(cc.evidence.map((e) => e.text).join('\n')).toContain('free-threaded Python (PYTHON_GIL=0): threads of one worker run Python on several cores');
    // By hand: 2 vCPU × 0.6 / 3 ms = 400 req/s per instance sets the concurrency, which the message says.
    expect(cc.message).toMatch(/for 4\d\d(\.\d)? req\/s per instance, the most 60% of 2 vCPU serve \(a higher concurrency would meet the latency objective only by taking I\/O waits as free of CPU\); set containerConcurrency/);
  });

  it('on a free-threaded build recommends fewer granian WSGI workers: they are threads of one process sharing the vCPU', () => {
    const built = inventory(knativeService('api').cloudRun().concurrency(80).container((c) => c.image('python:3.13t-slim').cpu(2).gunicorn({ workers: 4, threads: 8 }))).build();
    // The same settings read as granian's (--workers, --blocking-threads: a WSGI thread pool per worker).
    const container = built.workloads[0]!.containers[0]!;
    container.server = { ...container.server!, kind: 'granian' };
    const entry = syntheticObservations(DAY, { target: CLOUD_RUN_TARGET });
    const [finding, ...rest] = byRule(recommendFindings(built, new Map([[observationKey(entry.target), entry]]), {}), 'metrics.workers');
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ current: { workers: 4 }, recommended: { workers: 2 } });
    expect(finding!.message).toBe('granian runs 4 workers on 2 vCPU: CPU is 3 ms of a 83 ms request and the threads of one worker run Python on every vCPU (free-threaded build), so more workers add no CPU; set workers to 2 now (guardrail: at most ×2 or ÷2 per step), 1 in later steps (medium confidence)');
    expect(finding!.fix?.notes).toContain('granian on a free-threaded build runs its workers as threads of one process: one copy of the app');
    expect(finding!.fix?.notes).not.toContain('each worker process holds its own copy of the app: check the memory limit');
  });

  it('recommends one uvicorn worker, saying why: no TCP_NODELAY, and where several loops are to be had', () => {
    const fastapi = knativeService('api').cloudRun().concurrency(80).container((c) => c.cpu(4).uvicorn({ workers: 4 }));
    const [finding, ...rest] = byRule(findingsFor(fastapi, syntheticObservations(DAY, { target: CLOUD_RUN_TARGET })), 'metrics.workers');
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ severity: 'warning', current: { workers: 4 }, recommended: { workers: 2 } });
    expect(finding!.message).toBe(
      "uvicorn runs 4 workers on 4 vCPU: uvicorn's own worker processes answer keep-alive requests without TCP_NODELAY, each waiting for a delayed ACK (see uvicorn.workers); gunicorn -k uvicorn.workers.UvicornWorker -w N runs several loops without it; set workers to 2 now (guardrail: at most ×2 or ÷2 per step), 1 in later steps (medium confidence)",
    );
  });

  it('recommends containerConcurrency 1 on Cloud Run below 1 vCPU, in steps of at most ÷2', () => {
    const small = knativeService('api').cloudRun().concurrency(2).container((c) => c.cpu(0.5).gunicorn({ workers: 1, threads: 8 }));
    const [cc] = byRule(findingsFor(small, syntheticObservations(DAY, { target: CLOUD_RUN_TARGET })), 'metrics.container-concurrency') as [Finding];
    expect(cc.recommended).toEqual({ containerConcurrency: 1 });
    expect(cc.evidence.map((e) => e.text)).toContainEqual(expect.stringContaining('containerConcurrency (Cloud Run allows only 1 below 1 vCPU): kept within 1–1'));
  });

  it('reports metrics that could not be read as metrics.unavailable, with the reason', () => {
    const findings = findingsFor(cloudRun(), { target: CLOUD_RUN_TARGET, reason: 'Prometheus answered 503 Service Unavailable' });
    expect(findings).toEqual([
      {
        rule: 'metrics.unavailable',
        severity: 'warning',
        target: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', namespace: '123456789012', name: 'api', container: 'app', file: 'api.yaml', line: 1 },
        message: 'metrics for Service 123456789012/api could not be read (Prometheus answered 503 Service Unavailable): no recommendation from measured load',
        current: {},
        recommended: {},
        evidence: [{ source: 'metrics', field: 'prometheus', text: 'Prometheus answered 503 Service Unavailable' }],
      },
    ]);
  });

  it('gathers withheld recommendations into one metrics.insufficient-data finding per workload', () => {
    const findings = findingsFor(cloudRun(), syntheticObservations([0.2, 0.3, 1, 2, 4], { target: CLOUD_RUN_TARGET }));
    expect(findings.map((f) => f.rule)).toEqual(['metrics.insufficient-data']);
    expect(findings[0]).toMatchObject({
      severity: 'info',
      message:
        'measured load of Service 123456789012/api cannot support these recommendations: containerConcurrency: only 5 steps of the window have traffic (have 5, need 12); threads: only 5 steps of the window have traffic (have 5, need 12); workers: only 5 steps of the window have traffic (have 5, need 12)',
      current: { steps: 5, window: '5m' },
      recommended: { containerConcurrency: null, threads: null, workers: null },
    });
  });

  it('says when an explicit objective lies inside a bucket of the latency histogram, naming the bounds to choose', () => {
    const observations = { ...syntheticObservations(DAY, { target: CLOUD_RUN_TARGET }), latencyBuckets: { metric: 'run_googleapis_com:request_latencies', boundsSeconds: [0.005, 0.01, 0.02, 0.04, 0.06] } };
    const [finding, ...rest] = findingsFor(cloudRun(), observations, { latencySloSeconds: 0.015 });
    expect(rest).toEqual([]);
    expect(finding?.rule).toBe('metrics.insufficient-data');
    expect(finding?.message).toMatch(/^measured load of Service 123456789012\/api cannot support these recommendations: containerConcurrency: no concurrency meets the objective p95 ≤ 15 ms/);
    // The reader sees which steps the one-request prediction came from.
    expect(finding?.message).toMatch(/one request at a time is predicted at p95 \d+ ms \(measured at low concurrency \([\d.]+ in flight, \d+ steps\): mean \d+ ms, p95 \d+ ms\)/);
    expect(finding?.message).toMatch(/\. Note: the objective p95 ≤ 15 ms lies inside the 10–20 ms bucket of run_googleapis_com:request_latencies: .*; choose 10 ms or 20 ms \(a bucket bound\) with --latency-slo$/);
    expect(finding?.evidence).toContainEqual({ source: 'metrics', field: 'latencyBuckets', text: 'run_googleapis_com:request_latencies bounds 5 ms, 10 ms, 20 ms, 40 ms, 60 ms' });
  });

  it('adds no bucket note when the objective is on a bound, or when it is not given', () => {
    const observations = { ...syntheticObservations(DAY, { target: CLOUD_RUN_TARGET }), latencyBuckets: { metric: 'run_googleapis_com:request_latencies', boundsSeconds: [0.005, 0.01, 0.02, 0.04, 0.06] } };
    const [onBound] = findingsFor(cloudRun(), observations, { latencySloSeconds: 0.01 });
    expect(onBound?.rule).toBe('metrics.insufficient-data');
    expect(onBound?.message).not.toContain('Note:');
    const withheld = findingsFor(cloudRun(), { ...observations, samples: observations.samples.slice(0, 5) });
    expect(withheld.map((f) => f.rule)).toEqual(['metrics.insufficient-data']);
    expect(withheld[0]?.message).not.toContain('Note:');
  });

  it('says when the GIL bound set the concurrency, and how many requests each process holds', () => {
    const defaults = { maxConcurrency: 1000, maxThreads: 256, minConcurrency: 1 };
    const findings = findingsFor(cloudRun(), syntheticObservations(DAY, { target: CLOUD_RUN_TARGET }), { bounds: { ...defaults, maxWorkers: 1 } });
    const [cc] = byRule(findings, 'metrics.container-concurrency') as [Finding];
    // By hand (as in recommend.test.ts): one worker's GIL at 35% of a core serves 0.35 / 3 ms = 116.7 req/s, 10 in flight, reached
    // from 80 in steps of at most ÷2.
    expect(cc.recommended).toEqual({ containerConcurrency: 40 });
    expect(cc.message).toMatch(/^containerConcurrency 80: at 10 in flight per instance with 1 worker × 10 threads the predicted p95 is \d+ ms, within the objective \d+ ms, for 11\d(\.\d)? req\/s per instance, the most that keep each worker's GIL busy at most 35% of the time \(10 in flight per process: more threads per process wait for the GIL, so more concurrency takes more workers\); set containerConcurrency to 40 now/);
  });

  it('honours pytuner.dev/ignore', () => {
    const ignoring = cloudRun().annotation('pytuner.dev/ignore', 'metrics.threads');
    // The workers finding stays: one worker's GIL (0.35 / 3 ms = 116.7 req/s) is below the CPU bound (1 vCPU × 0.6 / 3 ms).
    expect(findingsFor(ignoring, syntheticObservations(DAY, { target: CLOUD_RUN_TARGET })).map((f) => f.rule)).toEqual(['metrics.container-concurrency', 'metrics.workers']);
  });

  it('has no containerConcurrency finding on a Deployment (no such knob), but threads still', () => {
    const web = deployment('web').inNamespace('prod').container((c) => c.cpu(1).gunicorn({ workers: 1, threads: 8 }));
    const findings = findingsFor(web, syntheticObservations(DAY, { target: { kind: 'Deployment', namespace: 'prod', name: 'web' } }));
    expect(findings.map((f) => f.rule)).toEqual(['metrics.threads', 'metrics.workers']);
  });

  it('reports workloads seen only in the metrics against the prometheus file, without fixes', () => {
    const orphan = syntheticObservations(DAY, { target: { kind: 'Service', namespace: 'shop', name: 'cart' } });
    orphan.cpuLimitCores = 1;
    const findings = recommendFindings(inventory().build(), new Map([[observationKey(orphan.target), orphan]]), {});
    expect(findings.map((f) => [f.rule, f.target])).toEqual([['metrics.container-concurrency', { kind: 'Service', namespace: 'shop', name: 'cart', file: METRICS_ONLY_FILE }]]);
    expect(findings[0]!.current).toEqual({ containerConcurrency: null });
    expect(findings[0]!.fix).toBeUndefined();
  });

  it('flags a startupProbe budget shorter than the p99 start-up and patches only its timing', () => {
    const api = knativeService('api').inNamespace('shop').concurrency(40).container((c) => c.cpu(1).gunicorn({ workers: 1, threads: 40 }).probe('startupProbe', 'httpGet', { path: '/healthz', port: 8080 }));
    const workload = inventory(api).build();
    workload.workloads[0]!.containers[0]!.startupProbe!.periodSeconds = 10;
    const observations = syntheticObservations(DAY, { startupP99: 41 });
    const [finding] = byRule(recommendFindings(workload, new Map([[observationKey(observations.target), observations]]), {}), 'metrics.startup-probe-budget') as [Finding];
    expect(finding).toMatchObject({
      severity: 'warning',
      message: 'the startupProbe allows 30 s (3 × 10 s) but instances take up to 41 s to start (p99): they are killed before they are ready; set periodSeconds 2 and failureThreshold 31 (62 s)',
      current: { periodSeconds: 10, failureThreshold: 3, budgetSeconds: 30 },
      recommended: { periodSeconds: 2, failureThreshold: 31, budgetSeconds: 62 },
    });
    expect(finding.fix?.jsonPatch).toEqual([
      { op: 'test', path: '/spec/template/spec/containers/0/startupProbe/periodSeconds', value: 10 },
      { op: 'replace', path: '/spec/template/spec/containers/0/startupProbe/periodSeconds', value: 2 },
      { op: 'add', path: '/spec/template/spec/containers/0/startupProbe/failureThreshold', value: 31 },
    ]);
    // Knative's containers list is atomic: a fragment would own and replace it, so only the JSON patch is offered.
    expect(finding.fix?.applyFragment).toBeUndefined();
  });

  it("warns when start-ups do not fit Cloud Run's implicit 240 s probe", () => {
    const [finding] = byRule(findingsFor(cloudRun(), syntheticObservations(DAY, { target: CLOUD_RUN_TARGET, startupP99: 300 })), 'metrics.startup-probe-budget') as [Finding];
    expect(finding.severity).toBe('warning');
    expect(finding.message).toBe('the startupProbe allows 240 s (1 × 240 s) but instances take up to 300 s to start (p99): they are killed before they are ready; make the start-up faster (--preload, lazy imports): Cloud Run allows at most 240 s');
    expect(finding.fix).toBeUndefined();
  });

  it('writes one-line messages without a trailing period, and only ids of the catalogue', () => {
    const findings = [
      ...findingsFor(cloudRun(2), syntheticObservations(DAY, { target: CLOUD_RUN_TARGET, startupP99: 300 })),
      ...findingsFor(cloudRun(), syntheticObservations([1, 2], { target: CLOUD_RUN_TARGET })),
      ...findingsFor(cloudRun(), { target: CLOUD_RUN_TARGET, reason: 'timeout' }),
    ];
    const ids = METRIC_FINDINGS.map((f) => f.id);
    for (const f of findings) {
      expect(f.message).toMatch(/^[^\n]*[^.\n]$/);
      expect(ids).toContain(f.rule);
    }
  });

  it('is wired into analyse(): observations add metrics findings to the report', () => {
    const orphan = syntheticObservations(DAY, { target: { kind: 'Service', namespace: 'shop', name: 'cart' } });
    const report = analyse({ documents: [], sources: [], errors: [], files: 0 }, { observations: new Map([[observationKey(orphan.target), orphan]]), recommender: { latencySloSeconds: 0.2 } });
    expect(report.findings.map((f) => f.rule)).toEqual(['metrics.container-concurrency']);
    const p95 = report.findings[0]!.evidence.find((e) => e.field.startsWith('histogram_quantile(0.95'));
    expect(p95?.text).toContain('objective: p95 ≤ 200 ms (--latency-slo 200 ms)');
    expect(report.summary.findings.info + report.summary.findings.warning).toBe(1);
  });
});
