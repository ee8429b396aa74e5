// `pytuner report --prometheus` end to end: the CLI in a child process, the example manifests, a real Prometheus
// holding what those workloads would have reported. The CLI runs from src/cli/main.ts (Node 24 strips the types):
// the same code as dist/cli/main.js, without racing the `cli` project, whose global setup deletes and rebuilds dist/.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrometheus, type RunningPrometheus } from './harness/prometheus.ts';
import type { SeriesOptions, WorkloadLoad } from '../support/series.ts';
import { APP_TEMPLATES, knativeSeries, kubernetesSeries, mergeDocuments } from '../support/series.ts';
import { SIM_BOUNDS, simulatedSteps } from '../support/seriesFromSim.ts';
import { faultInjector } from '../support/seriesProxy.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'src/cli/main.ts');
const STEP = 300;
const DURATION = 3600;
const START = Math.floor((Date.now() / 1000 - 3 * 3600) / 60) * 60;
const OPTIONS: SeriesOptions = { start: START, stepSeconds: STEP, bounds: SIM_BOUNDS };
const STEPS = simulatedSteps({ seed: 21, fromRate: 5, toRate: 40, cpuMs: 12, ioMs: 50, workers: 2, threads: 4, vcpus: 2, containerConcurrency: 0, durationSeconds: DURATION, stepSeconds: STEP });
// The workloads of examples/knative-orders and examples/gke-reports, with their containers' names.
const orders: WorkloadLoad = { namespace: 'shop', name: 'orders', steps: STEPS, vcpus: 2, container: 'orders' };
const reports: WorkloadLoad = { namespace: 'analytics', name: 'reports', steps: STEPS, vcpus: 2, container: 'reports' };
const WINDOW_FLAGS = ['--end', String(START + DURATION), '--window', '1h', '--step', '5m'];
const TEMPLATE_FLAGS = ['--request-rate-query', APP_TEMPLATES.requestRate, '--latency-query', APP_TEMPLATES.latency, '--in-flight-query', APP_TEMPLATES.inFlight];

/** The CLI without blocking the event loop (the proxy of a test runs in this process). */
function pytunerAsync(args: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

function pytuner(args: readonly string[]) {
  const result = spawnSync(process.execPath, [MAIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('pytuner report --prometheus', () => {
  let prometheus: RunningPrometheus;
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'pytuner-metrics-cli-'));
    prometheus = await startPrometheus({ openMetrics: mergeDocuments([knativeSeries([orders], OPTIONS, 'pod-labels'), kubernetesSeries([reports], OPTIONS)]) });
  });
  afterAll(async () => {
    await prometheus?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('joins the manifests with their metrics and writes the report (exit 0)', () => {
    const run = pytuner(['report', '-f', 'examples/knative-orders', '-f', 'examples/gke-reports', '--prometheus', prometheus.url, ...WINDOW_FLAGS, ...TEMPLATE_FLAGS, '-o', 'json']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout) as { version: number; summary: { workloads: number; errors: number } };
    expect(report.version).toBe(1);
    expect(report.summary).toMatchObject({ workloads: 2, errors: 0 });
  });

  it('an objective inside a bucket of the histogram it reads: the withheld recommendation names the bucket and the bounds to choose', () => {
    // The requests take about 60 ms; 30 ms lies between the bounds at 20 and 40 ms (SIM_BOUNDS, Knative's layout).
    const run = pytuner(['report', '-f', 'examples/knative-orders', '--prometheus', prometheus.url, '--profile', 'knative', '--latency-slo', '30ms', ...WINDOW_FLAGS, '-o', 'json']);
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as { findings: { rule: string; message: string; evidence: { field: string; text?: string }[] }[] };
    const withheld = report.findings.find((f) => f.rule === 'metrics.insufficient-data');
    expect(withheld?.message).toContain('Note: the objective p95 ≤ 30 ms lies inside the 20–40 ms bucket of http_server_request_duration_seconds: a p95 there is interpolated between bucket bounds, so it cannot be checked against 30 ms; choose 20 ms or 40 ms (a bucket bound) with --latency-slo');
    expect(withheld?.evidence.find((e) => e.field === 'latencyBuckets')?.text).toMatch(/^http_server_request_duration_seconds bounds 5 ms, 10 ms, 20 ms, 40 ms, 60 ms, /);
    const onBound = pytuner(['report', '-f', 'examples/knative-orders', '--prometheus', prometheus.url, '--profile', 'knative', '--latency-slo', '40ms', ...WINDOW_FLAGS, '-o', 'json']);
    expect(onBound.stdout).not.toContain('lies inside');
  });

  it('without -f, reports on the workloads seen in --namespace', () => {
    const run = pytuner(['report', '--prometheus', prometheus.url, '--namespace', 'shop', ...WINDOW_FLAGS, '-o', 'json']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect((JSON.parse(run.stdout) as { summary: { files: number } }).summary.files).toBe(0);
  });

  it('a workload without metrics makes the report partial: the rest is written, exit 2', () => {
    // The knative profile cannot describe a Deployment: reports has no metrics, orders has.
    const run = pytuner(['report', '-f', 'examples/knative-orders', '-f', 'examples/gke-reports', '--prometheus', prometheus.url, '--profile', 'knative', ...WINDOW_FLAGS, '-o', 'json']);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('pytuner: metrics unavailable for Deployment analytics/reports: profile knative reads Services, not Deployments\n');
    expect((JSON.parse(run.stdout) as { summary: { workloads: number } }).summary.workloads).toBe(2);
  });

  it('Prometheus down: every workload unavailable, the static report still written, exit 2', async () => {
    const port = await new Promise<number>((done) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as { port: number };
        server.close(() => done(free));
      });
    });
    const run = pytuner(['report', '-f', 'examples/knative-orders', '--prometheus', `http://127.0.0.1:${port}`, ...WINDOW_FLAGS, '-o', 'json']);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(`pytuner: metrics unavailable for Service shop/orders: Prometheus at http://127.0.0.1:${port} is unreachable: connect ECONNREFUSED 127.0.0.1:${port}\n`);
    expect((JSON.parse(run.stdout) as { version: number }).version).toBe(1);
  });

  it.each([
    [['--prometheus', 'http://127.0.0.1:9'], "pytuner: error: --prometheus without -f needs --namespace (repeatable)"],
    [['-f', 'examples/knative-orders', '--namespace', 'shop'], 'pytuner: error: --namespace needs --prometheus'],
    [['-f', 'examples/knative-orders', '--prometheus', 'http://127.0.0.1:9', '--window', '30d', '--step', '1m'], 'pytuner: error: --window / --step gives 43200 points per series'],
    [['-f', 'examples/knative-orders', '--prometheus', 'http://127.0.0.1:9', '--latency-query', 'x{a="{{deployment}}"}'], "pytuner: error: option '--latency-query <promql>' argument 'x{a=\"{{deployment}}\"}' is invalid. unknown placeholder {{deployment}}"],
    [['-f', 'examples/knative-orders', '--prometheus', 'http://127.0.0.1:9', '--profile', 'openshift'], "pytuner: error: option '--profile <profile>' argument 'openshift' is invalid. Allowed choices are knative, knative-legacy, cloudrun, kubernetes, auto."],
  ])('usage error %j exits 2', (args, message) => {
    const run = pytuner(['report', ...args]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.startsWith(message)).toBe(true);
  });

  it('a --ca-file that cannot be read is a usage error, before any query', () => {
    const missing = join(work, 'missing-ca.pem');
    const run = pytuner(['report', '-f', 'examples/knative-orders', '--prometheus', prometheus.url, '--ca-file', missing, ...WINDOW_FLAGS]);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(`pytuner: error: cannot read --ca-file ${missing}: ENOENT: no such file or directory, open '${missing}'\n`);
  });

  it('sends the bearer token from --bearer-token-file', async () => {
    const tokenFile = join(work, 'token');
    writeFileSync(tokenFile, 'secret-token\n');
    // An authenticating proxy in front of the Prometheus: 401 without the token.
    const seen = new Set<string>();
    const proxy = await faultInjector(prometheus.url, (_path, _body, headers) => {
      seen.add(headers.authorization ?? '(none)');
      return headers.authorization === 'Bearer secret-token' ? { pass: true } : { status: 401, body: '{"status":"error","error":"unauthorized"}' };
    });
    try {
      const run = await pytunerAsync(['report', '-f', 'examples/knative-orders', '--prometheus', proxy.url, '--bearer-token-file', tokenFile, ...WINDOW_FLAGS, '-o', 'json']);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(seen).toEqual(new Set(['Bearer secret-token']));
    } finally {
      await proxy.close();
    }
  });
});
