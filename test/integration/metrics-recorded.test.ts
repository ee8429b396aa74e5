// pytuner's Knative profiles on what real queue-proxies exported: scrapes recorded from Knative Serving v1.23
// (OpenTelemetry) and v1.18 (OpenCensus) queue-proxies in front of a real gunicorn (test/fixtures/knative-real/,
// bench/lab/knative/record-queue-proxy.sh), backfilled into a real Prometheus with the target labels a Prometheus
// Operator PodMonitor adds. The expected numbers are read from the recorded files themselves, not from pytuner.
//
// Stand-in, not Knative: the instance count. The real autoscaler cannot run beside a bare queue-proxy, so each scrape
// carries a `kn_revision_pods_count` / `autoscaler_actual_pods` of 1 under the autoscaler's labels (one pod was recorded).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricsUnavailable, ObservationSample, WorkloadObservations } from '../../src/model/observations.ts';
import { createPrometheusClient, type PrometheusClient } from '../../src/input/metrics/client.ts';
import { collectObservations, type CollectWindow } from '../../src/input/metrics/collect.ts';
import { loadPoints, waitingInBreaker } from '../../src/recommender/points.ts';
import { startPrometheus, type RunningPrometheus } from './harness/prometheus.ts';
import type { RecordedScrape, Recording } from '../support/recordedExposition.ts';
import { readRecording, recordingAsOpenMetrics, total } from '../support/recordedExposition.ts';

const START = Math.floor((Date.now() / 1000 - 3 * 3600) / 60) * 60;
const STEP = 60;
const POD = 'hello-00001-deployment-7d4b9c-x2x7q';
/** What a PodMonitor on the queue-proxy's `http-usermetric` port adds to every series it scrapes (no pod labels). */
const POD_MONITOR = { job: 'shop/hello-queue-proxy', instance: '10.244.0.17:9091', namespace: 'shop', pod: POD, container: 'queue-proxy', endpoint: 'http-usermetric' };
/** A "kubernetes-pods" scrape job with a `labelmap` of the pod labels: the service is on every series. */
const POD_LABELS = { job: 'kubernetes-pods', instance: '10.244.0.17:9091', namespace: 'shop', pod: POD, serving_knative_dev_service: 'hello', serving_knative_dev_configuration: 'hello', serving_knative_dev_revision: 'hello-00001' };

const v123 = readRecording('v0.50.0');
const v118 = readRecording('v0.45.1');

/** Each load level's last scrape (the end of a one-minute step) and the scrape before the level began. */
function levels(recording: Recording): Array<{ clients: number; from: RecordedScrape; to: RecordedScrape }> {
  const out: Array<{ clients: number; from: RecordedScrape; to: RecordedScrape }> = [];
  recording.scrapes.forEach((s, i) => {
    const next = recording.scrapes[i + 1];
    if (s.phase === 'load' && next?.clients !== s.clients) out.push({ clients: s.clients, from: recording.scrapes.filter((p) => p.at === s.at - STEP)[0]!, to: s });
  });
  return out;
}

/** Requests per second and mean latency (seconds) of a histogram between two scrapes, from the recorded counters. */
function measured(from: RecordedScrape, to: RecordedScrape, count: string, sum: string, scale = 1): { rate: number; mean: number } {
  const requests = total(to, count)! - (total(from, count) ?? 0);
  return { rate: requests / (to.at - from.at), mean: ((total(to, sum)! - (total(from, sum) ?? 0)) * scale) / requests };
}

/** The gauge's average over the scrapes of a step, `(to.at − STEP, to.at]` and the one at its start, as avg_over_time sees them. */
function gaugeAverage(recording: Recording, gauge: string, to: RecordedScrape): number {
  const inWindow = recording.scrapes.filter((s) => s.at >= to.at - STEP && s.at <= to.at).map((s) => total(s, gauge)).filter((v): v is number => v !== undefined);
  return inWindow.reduce((a, b) => a + b, 0) / inWindow.length;
}

function observed(entry: WorkloadObservations | MetricsUnavailable | undefined): WorkloadObservations {
  if (entry === undefined) throw new Error('no entry');
  if ('reason' in entry) throw new Error(`metrics unavailable: ${entry.reason}`);
  return entry;
}

function windowOf(recording: Recording): CollectWindow {
  const last = recording.scrapes.at(-1)!.at;
  return { start: START, end: START + Math.floor(last / STEP) * STEP, stepSeconds: STEP };
}

interface Case {
  version: string;
  recording: Recording;
  profile: 'knative' | 'knative-legacy';
  /** The whole-request and app-call histograms: count, sum, and the sum's unit in seconds. */
  whole: readonly [string, string, number];
  app: readonly [string, string, number];
  gauge: string;
  target: Record<string, string>;
  pods: { name: string; labels: Record<string, string> };
}

const at = (samples: readonly ObservationSample[], scrape: RecordedScrape) => samples.find((s) => s.t === START + scrape.at);

const V123 = {
  recording: v123,
  profile: 'knative',
  whole: ['http_server_request_duration_seconds_count', 'http_server_request_duration_seconds_sum', 1],
  app: ['kn_serving_invocation_duration_seconds_count', 'kn_serving_invocation_duration_seconds_sum', 1],
  gauge: 'kn_serving_queue_depth',
  pods: { name: 'kn_revision_pods_count', labels: { k8s_namespace_name: 'shop', kn_service_name: 'hello', kn_configuration_name: 'hello', kn_revision_name: 'hello-00001' } },
} as const;

describe.each<Case>([
  { ...V123, version: 'v0.50.0 (Knative 1.23, OpenTelemetry), PodMonitor: the service on target_info only', target: POD_MONITOR },
  { ...V123, version: 'v0.50.0 (Knative 1.23, OpenTelemetry), pod labels relabelled onto every series', target: POD_LABELS },
  {
    version: 'v0.45.1 (Knative 1.18, OpenCensus), PodMonitor',
    recording: v118,
    profile: 'knative-legacy',
    whole: ['revision_request_count', 'revision_request_latencies_sum', 0.001],
    app: ['revision_app_request_count', 'revision_app_request_latencies_sum', 0.001],
    gauge: 'revision_queue_depth',
    target: POD_MONITOR,
    pods: { name: 'autoscaler_actual_pods', labels: { namespace_name: 'shop', service_name: 'hello', configuration_name: 'hello', revision_name: 'hello-00001' } },
  },
])('a real queue-proxy $version', ({ recording, profile, whole, app, gauge, target, pods }) => {
  let prometheus: RunningPrometheus;
  let client: PrometheusClient;
  let got: WorkloadObservations;

  beforeAll(async () => {
    prometheus = await startPrometheus({ openMetrics: recordingAsOpenMetrics(recording, START, target, [{ name: pods.name, labels: pods.labels, value: () => 1 }]) });
    client = createPrometheusClient({ url: prometheus.url, timeoutMs: 20_000 });
    const { observations } = await collectObservations({ targets: [{ kind: 'Service', namespace: 'shop', name: 'hello', platform: 'knative' }] }, profile, windowOf(recording), client);
    got = observed(observations.get('Service/shop/hello'));
  });
  afterAll(async () => {
    await client?.close();
    await prometheus?.stop();
  });

  it('reads the request rate and the mean latency of the whole request, the wait for a containerConcurrency slot included', () => {
    expect(got.queries['requestRate']).toContain(whole[0]);
    // From the second level on: in the first the counters are born mid-window, and rate() extrapolates their start.
    const counted = levels(recording).filter((l) => total(l.from, whole[0]) !== undefined);
    expect(counted.map((l) => l.clients)).toEqual([2, 4, 8]);
    for (const level of counted) {
      const expected = measured(level.from, level.to, whole[0], whole[1], whole[2]);
      const sample = at(got.samples, level.to);
      expect(sample?.requestRate, `${level.clients} clients`).toBeCloseTo(expected.rate, 6);
      expect(sample?.latencyMean, `${level.clients} clients`).toBeCloseTo(expected.mean, 6);
    }
    // Above containerConcurrency the app-call histogram misses the wait in the breaker: the whole request is longer.
    const busiest = levels(recording).at(-1)!;
    expect(busiest.clients).toBeGreaterThan(recording.containerConcurrency);
    const appMean = measured(busiest.from, busiest.to, app[0], app[1], app[2]).mean;
    expect(at(got.samples, busiest.to)!.latencyMean!).toBeGreaterThan(1.2 * appMean);
  });

  it('reads the queue depth as the breaker holds it: executing up to containerConcurrency, waiting beyond', () => {
    const cc = recording.containerConcurrency;
    const { points } = loadPoints(got, { now: windowOf(recording).end, maxAgeSeconds: 86_400 }, cc);
    for (const level of levels(recording)) {
      const inBreaker = at(got.samples, level.to)?.breakerInFlightPerInstance;
      expect(inBreaker, `${level.clients} clients`).toBeCloseTo(gaugeAverage(recording, gauge, level.to), 6);
      const point = points.find((p) => p.t === START + level.to.at);
      expect(point?.waiting, `${level.clients} clients`).toBe(waitingInBreaker(inBreaker!, cc));
      // At or below containerConcurrency nothing waits, though the gauge reads up to the clients in flight.
      if (level.clients <= cc) expect(point?.waiting, `${level.clients} clients`).toBe(0);
      else expect(point?.waiting, `${level.clients} clients`).toBeGreaterThan(1);
    }
    expect(Math.max(...levels(recording).filter((l) => l.clients <= cc).map((l) => at(got.samples, l.to)!.breakerInFlightPerInstance!))).toBeGreaterThanOrEqual(cc - 1);
  });

  it('leaves out the value the gauge keeps after traffic stops', async () => {
    const idleEnd = recording.scrapes.at(-1)!;
    const step = START + Math.floor(idleEnd.at / STEP) * STEP;
    const held = await client.query(gauge, step);
    expect(held.series.map((s) => s.points[0]?.[1])).toEqual([total(idleEnd, gauge)]);
    expect(total(idleEnd, gauge)).toBeGreaterThan(0);
    const sample = got.samples.find((s) => s.t === step);
    expect(sample?.requestRate).toBe(0);
    expect(sample?.breakerInFlightPerInstance).toBeUndefined();
  });
});
