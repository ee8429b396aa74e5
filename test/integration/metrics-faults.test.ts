// Bad data and a failing Prometheus: broken series in a real Prometheus (a histogram without +Inf, NaN and +Inf
// gauges, idle steps, a workload with no series), and faults injected by a small loopback HTTP server in front of it
// (it passes requests through to the real Prometheus, or fails them: 500, garbage, a hang, partial-answer warnings).
// A fault never crashes the collection and never yields a number: the workload gets a reason or a gap.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MetricsUnavailable, WorkloadObservations } from '../../src/model/observations.ts';
import { PrometheusError, createPrometheusClient } from '../../src/input/metrics/client.ts';
import { collectObservations, type CollectWindow } from '../../src/input/metrics/collect.ts';
import type { MetricsTarget } from '../../src/input/metrics/target.ts';
import { startPrometheus, type RunningPrometheus } from './harness/prometheus.ts';
import type { SeriesOptions, StepLoad, WorkloadLoad } from '../support/series.ts';
import { knativeSeries, mergeDocuments } from '../support/series.ts';
import { faultInjector, type Fault, type Injector } from '../support/seriesProxy.ts';

const STEP = 300;
const STEPS = 12;
const START = Math.floor((Date.now() / 1000 - 3 * 3600) / 60) * 60;
const WINDOW: CollectWindow = { start: START, end: START + STEPS * STEP, stepSeconds: STEP };
const BOUNDS = [0.05, 0.1, 0.25, 0.5, 1];
const OPTIONS: SeriesOptions = { start: START, stepSeconds: STEP, bounds: BOUNDS };

/** 2 requests/s on 2 instances, 0.1 s mean latency. */
function steadyStep(i: number, completed = 600): StepLoad {
  const scale = completed / 600;
  return {
    t: (i + 1) * STEP,
    completed,
    buckets: [100, 300, 150, 40, 10, 0].map((b) => b * scale),
    latencySum: 60 * scale,
    instances: 2,
    inflightPerInstance: 0.1,
    cpuSecondsPerInstance: 30,
    waitingPerInstance: 0,
    startupLatencies: [],
  };
}
const steady = Array.from({ length: STEPS }, (_, i) => steadyStep(i));
const good: WorkloadLoad = { namespace: 'shop', name: 'good', steps: steady, vcpus: 1 };
const nan: WorkloadLoad = { namespace: 'shop', name: 'nan', steps: steady, vcpus: 1, instancesGaugeAt: new Map([[2, Number.NaN], [3, Number.POSITIVE_INFINITY]]) };
const idle: WorkloadLoad = { namespace: 'shop', name: 'idle', steps: steady.map((s, i) => (i < 3 ? steadyStep(i, 0) : s)), vcpus: 1 };
const broken: WorkloadLoad = { namespace: 'shop', name: 'broken', steps: steady, vcpus: 1 };
const targets: MetricsTarget[] = ['good', 'nan', 'idle', 'broken', 'ghost'].map((name) => ({ kind: 'Service', namespace: 'shop', name, container: 'user-container' }));

function observed(entry: WorkloadObservations | MetricsUnavailable | undefined): WorkloadObservations {
  if (entry === undefined) throw new Error('no entry');
  if ('reason' in entry) throw new Error(`metrics unavailable: ${entry.reason}`);
  return entry;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('bad data and faults', () => {
  let prometheus: RunningPrometheus;
  const injectors: Injector[] = [];

  beforeAll(async () => {
    prometheus = await startPrometheus({
      openMetrics: mergeDocuments([knativeSeries([good, nan, idle], OPTIONS, 'pod-labels'), knativeSeries([broken], { ...OPTIONS, withoutInfBucket: true }, 'pod-labels')]),
    });
  });
  afterAll(async () => {
    await Promise.all(injectors.map((i) => i.close()));
    await prometheus?.stop();
  });

  async function collectThroughWith(rule: Parameters<typeof faultInjector>[1], options: { timeoutMs?: number; bearerToken?: string } = {}) {
    const injector = await faultInjector(prometheus.url, rule);
    injectors.push(injector);
    const client = createPrometheusClient({ url: injector.url, timeoutMs: options.timeoutMs ?? 20_000, ...(options.bearerToken === undefined ? {} : { bearerToken: options.bearerToken }) });
    try {
      return await collectObservations({ targets }, 'knative', WINDOW, client);
    } finally {
      await client.close();
    }
  }

  const collectThrough = (rule: (path: string, body: string) => Fault, timeoutMs?: number) => collectThroughWith(rule, timeoutMs === undefined ? {} : { timeoutMs });

  it('keeps the numbers it can trust and says why the others are missing', async () => {
    const client = createPrometheusClient({ url: prometheus.url, timeoutMs: 20_000 });
    const { observations } = await collectObservations({ targets }, 'knative', WINDOW, client);
    await client.close();

    const ok = observed(observations.get('Service/shop/good'));
    expect(ok.samples).toHaveLength(STEPS);
    expect(ok.samples[0]).toEqual({
      t: START + STEP,
      requestRate: 2,
      instances: 2,
      latencyP50: expect.closeTo(0.05 + (0.1 - 0.05) * ((300 - 100) / 300), 9),
      latencyP95: expect.closeTo(0.25 + (0.5 - 0.25) * ((570 - 550) / 40), 9),
      latencyP99: expect.closeTo(0.5 + (1 - 0.5) * ((594 - 590) / 10), 9),
      latencyMean: expect.closeTo(0.1, 12),
      concurrencyPerInstance: expect.closeTo(0.1, 12),
      cpuCoresPerInstance: expect.closeTo(0.1, 12),
      // The breaker's gauge: the 0.1 requests executing per instance, none waiting.
      breakerInFlightPerInstance: expect.closeTo(0.1, 12),
    });

    // NaN and +Inf in the instances gauge: those steps lose every per-instance value, nothing else.
    const withNaN = observed(observations.get('Service/shop/nan'));
    expect(withNaN.gaps).toContain('instances: 2 of 12 steps were NaN, Inf or negative in kn_revision_pods_count; left out');
    expect(withNaN.samples.map((s) => s.instances)).toEqual([2, 2, undefined, undefined, 2, 2, 2, 2, 2, 2, 2, 2]);
    expect(withNaN.samples[2]).toEqual({ t: START + 3 * STEP, requestRate: 2, latencyP50: expect.any(Number), latencyP95: expect.any(Number), latencyP99: expect.any(Number), latencyMean: expect.closeTo(0.1, 12) });

    // No requests: histogram_quantile's NaN means "nothing to rank", not a broken histogram.
    const quiet = observed(observations.get('Service/shop/idle'));
    expect(quiet.samples.slice(0, 4).map((s) => [s.requestRate, s.latencyP95 === undefined])).toEqual([[0, true], [0, true], [0, true], [2, false]]);
    expect(quiet.gaps).toEqual(['startupLatencyP99: Knative exports no container start-up latency metric']);

    // No +Inf bucket: Prometheus cannot rank, every percentile is withheld; the count and sum still give rate and mean.
    const noInf = observed(observations.get('Service/shop/broken'));
    expect(noInf.samples.every((s) => s.latencyP50 === undefined && s.latencyP95 === undefined && s.latencyP99 === undefined)).toBe(true);
    expect(noInf.samples[0]).toMatchObject({ requestRate: 2, latencyMean: expect.closeTo(0.1, 12) });
    expect(noInf.gaps).toContain('latencyP95: histogram_quantile gave NaN or Inf at 12 of 12 steps with requests (http_server_request_duration_seconds_bucket lacks a +Inf bucket, or its buckets are not cumulative); left out');

    // No series at all: observations with no samples, and a reason per field.
    const ghost = observed(observations.get('Service/shop/ghost'));
    expect(ghost.samples).toEqual([]);
    expect(ghost.gaps).toContain('requestRate: no series http_server_request_duration_seconds_count for shop/ghost');
    expect(ghost.gaps).toContain('instances: no series kn_revision_pods_count for shop/ghost');
  });

  it('Prometheus down: every workload is unavailable with the connection error', async () => {
    const port = await closedPort();
    const client = createPrometheusClient({ url: `http://127.0.0.1:${port}`, timeoutMs: 5000 });
    const { observations, errors } = await collectObservations({ targets }, 'auto', WINDOW, client);
    expect(errors).toEqual([]);
    expect(observations.size).toBe(targets.length);
    for (const entry of observations.values()) {
      expect(entry).toEqual({ target: expect.any(Object), reason: `Prometheus at http://127.0.0.1:${port} is unreachable: connect ECONNREFUSED 127.0.0.1:${port}` });
    }
    const withoutManifests = await collectObservations({ namespaces: ['shop'] }, 'auto', WINDOW, client);
    expect(withoutManifests.errors).toEqual([`Prometheus at http://127.0.0.1:${port} is unreachable: connect ECONNREFUSED 127.0.0.1:${port}`]);
    expect(withoutManifests.observations.size).toBe(0);
    await client.close();
  });

  it("HTTP 500: the reason carries Prometheus' error text", async () => {
    const { observations } = await collectThrough(() => ({ status: 500, body: '{"status":"error","errorType":"internal","error":"boom"}' }));
    expect(observations.get('Service/shop/good')).toEqual({
      target: { kind: 'Service', namespace: 'shop', name: 'good' },
      reason: 'Prometheus answered HTTP 500 to /api/v1/label/__name__/values: boom (internal)',
    });
  });

  it('garbage instead of JSON is a bad response, not a crash', async () => {
    const { observations } = await collectThrough((path) => (path.startsWith('/api/v1/query_range') ? { status: 200, body: '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"x' } : { pass: true }));
    const entry = observations.get('Service/shop/good') as MetricsUnavailable;
    expect(entry.reason).toMatch(/^requestRate: Prometheus sent an answer to \/api\/v1\/query_range that pytuner cannot read: the body is not JSON \(.+\): ".+" \(and 7 more failed queries\)$/);
  });

  it('one failing query makes the workloads it covers unavailable, naming the field', async () => {
    const { observations } = await collectThrough((path, body) =>
      path.startsWith('/api/v1/query_range') && body.includes('kn_revision_pods_count') ? { status: 503, body: '{"status":"error","errorType":"unavailable","error":"query queue full"}' } : { pass: true },
    );
    expect(observations.get('Service/shop/good')).toEqual({
      target: { kind: 'Service', namespace: 'shop', name: 'good' },
      reason: 'instances: Prometheus answered HTTP 503 to /api/v1/query_range: query queue full (unavailable)',
    });
  });

  it('a Prometheus that does not answer in time: a timeout', async () => {
    const { observations } = await collectThrough((path) => (path.startsWith('/api/v1/query_range') ? 'hang' : { pass: true }), 500);
    expect((observations.get('Service/shop/good') as MetricsUnavailable).reason).toBe('requestRate: Prometheus did not answer /api/v1/query_range within 0.5 s (and 7 more failed queries)');
  });

  it('a partial answer (warnings) is left out with the warning', async () => {
    const { observations } = await collectThrough((path, body) =>
      path.startsWith('/api/v1/query_range') && body.startsWith('query=sum by (namespace, serving_knative_dev_service) (rate(http_server_request_duration_seconds_count') ? { pass: true, warnings: ['store eu-1 did not answer'] } : { pass: true },
    );
    const got = observed(observations.get('Service/shop/good'));
    expect(got.gaps).toContain('requestRate: Prometheus warned that the answer may be partial (store eu-1 did not answer); left out');
    expect(got.samples.every((s) => s.requestRate === undefined && s.latencyMean === undefined)).toBe(true);
    expect(got.samples[0]?.instances).toBe(2);
  });

  it('a server that cannot list metric names is read with the profile named, and asks for one under auto', async () => {
    const noListing = (path: string): Fault => (path.startsWith('/api/v1/label/') ? { status: 404, body: '{"status":"error","errorType":"not_found","error":"unsupported"}' } : { pass: true });
    const named = await collectThrough(noListing);
    expect(observed(named.observations.get('Service/shop/good')).samples).toHaveLength(STEPS);

    const injector = await faultInjector(prometheus.url, noListing);
    injectors.push(injector);
    const client = createPrometheusClient({ url: injector.url, timeoutMs: 20_000 });
    const auto = await collectObservations({ targets }, 'auto', WINDOW, client);
    await client.close();
    expect((auto.observations.get('Service/shop/good') as MetricsUnavailable).reason).toBe(
      'Prometheus answered HTTP 404 to /api/v1/label/__name__/values: unsupported (not_found) (this server cannot list metric names: name the profile with --profile)',
    );
  });

  it('a namespace without workloads is an error of the run, not a crash', async () => {
    const client = createPrometheusClient({ url: prometheus.url, timeoutMs: 20_000 });
    const { observations, errors } = await collectObservations({ namespaces: ['nowhere'] }, 'knative', WINDOW, client);
    await client.close();
    expect(observations.size).toBe(0);
    expect(errors).toEqual([`no workload of profile knative has series in namespace nowhere between ${new Date(START * 1000).toISOString()} and ${new Date((START + STEPS * STEP) * 1000).toISOString()}`]);
  });

  it('sends the bearer token on every request', async () => {
    const seen = new Set<string>();
    const { observations } = await collectThroughWith((path, _body, headers) => {
      seen.add(headers.authorization ?? '(none)');
      return headers.authorization === 'Bearer s3cret' ? { pass: true } : { status: 401, body: '{"status":"error","error":"no token"}' };
    }, { bearerToken: 's3cret' });
    expect(seen).toEqual(new Set(['Bearer s3cret']));
    expect(observed(observations.get('Service/shop/good')).samples).toHaveLength(STEPS);
  });
});

describe('HTTPS with a private CA', () => {
  // The harness's kube-apiserver serves HTTPS with its own CA and checks bearer tokens: it stands in for an HTTPS
  // Prometheus behind an authenticating proxy. It has no /api/v1/query, so a 404 proves the TLS handshake and the
  // token got through; without the CA the handshake fails.
  const controlPlane = inject('controlPlane');
  const kubeconfig = load(readFileSync(controlPlane.kubeconfigPath, 'utf8')) as { clusters: Array<{ cluster: Record<string, string> }> };
  const cluster = kubeconfig.clusters[0]?.cluster ?? {};
  const caPem = cluster['certificate-authority-data'] !== undefined ? Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8') : readFileSync(cluster['certificate-authority'] as string, 'utf8');

  async function failure(options: { caPem?: string; bearerToken?: string }): Promise<PrometheusError> {
    const client = createPrometheusClient({ url: controlPlane.server, timeoutMs: 10_000, ...options });
    try {
      await client.query('up', 0);
    } catch (error) {
      if (error instanceof PrometheusError) return error;
      throw error;
    } finally {
      await client.close();
    }
    throw new Error('the query succeeded');
  }

  it('trusts the CA given, and sends the token', async () => {
    const error = await failure({ caPem, bearerToken: controlPlane.adminToken });
    expect([error.kind, error.status]).toEqual(['http', 404]);
  });

  it('refuses the server without the CA, and says to pass it', async () => {
    const error = await failure({ bearerToken: controlPlane.adminToken });
    expect(error.kind).toBe('unreachable');
    expect(error.message).toMatch(/certificate/i);
    expect(error.message).toMatch(/\(a private CA\? pass it with --ca-file\)$/);
  });
});
