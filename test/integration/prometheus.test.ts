// Series backfilled into a real Prometheus come back through PromQL with the values the generated data implies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterFamily, histogramFamily, openMetricsDocument, type CounterPoint, type HistogramPoint, type Series } from './harness/openMetrics.ts';
import { instantQuery, startPrometheus, type RunningPrometheus } from './harness/prometheus.ts';

const STEP_S = 15; // a typical scrape interval
const POINTS = 121; // 30 minutes
const WINDOW_S = 300; // the [5m] of the queries
// Whole minutes, two hours back: clear of "now", which the queries never depend on (they pass `time`).
const START_S = Math.floor((Date.now() / 1000 - 2 * 3600) / 60) * 60;
const END_S = START_S + (POINTS - 1) * STEP_S;
const times = Array.from({ length: POINTS }, (_, i) => START_S + i * STEP_S);

// Requests per scrape interval by route, constant, so the rate is the same over any window.
const requestsPerStep: Record<string, number> = { '/checkout': 30, '/health': 6 };
const requests: Series<CounterPoint>[] = Object.entries(requestsPerStep).map(([route, perStep]) => ({
  labels: { route },
  points: times.map((t, i) => ({ t, value: 1000 + i * perStep })),
}));

// Per scrape interval: observations in each latency bucket (not cumulative), the rest above 1 s, and their sum.
const BOUNDS = [0.05, 0.1, 0.25, 0.5, 1];
const perBucketPerStep = [2, 5, 8, 3, 1];
const ABOVE_LAST_BOUND_PER_STEP = 1;
const SUM_PER_STEP = 3.1;
const latency: Series<HistogramPoint>[] = [
  {
    labels: { route: '/checkout' },
    points: times.map((t, i) => {
      let cumulative = 0;
      const buckets = BOUNDS.map((le, b) => [le, (cumulative += (perBucketPerStep[b] ?? 0) * i)] as [number, number]);
      return { t, buckets, sum: SUM_PER_STEP * i, count: cumulative + ABOVE_LAST_BOUND_PER_STEP * i };
    }),
  },
];

/**
 * Per-second increase over the window ending at `at`, from the generated samples: (last - first) / elapsed.
 * For these linear counters it equals what rate() returns, extrapolation included.
 */
function rateFromData(values: { t: number; value: number }[], at: number): number {
  const inWindow = values.filter((p) => p.t > at - WINDOW_S && p.t <= at);
  const first = inWindow[0];
  const last = inWindow.at(-1);
  if (!first || !last || first === last) throw new Error(`fewer than two samples in the window ending at ${at}`);
  return (last.value - first.value) / (last.t - first.t);
}

/** Prometheus's histogram_quantile: linear interpolation inside the bucket where the rank falls. */
function quantileFromBucketRates(q: number, bucketRates: [le: number, rate: number][], totalRate: number): number {
  const rank = q * totalRate;
  let lowerBound = 0;
  let belowRate = 0;
  for (const [le, rate] of bucketRates) {
    if (rate >= rank) return lowerBound + ((le - lowerBound) * (rank - belowRate)) / (rate - belowRate);
    [lowerBound, belowRate] = [le, rate];
  }
  return lowerBound; // the rank falls in the +Inf bucket: the highest finite bound
}

describe('Prometheus with backfilled series', () => {
  let prometheus: RunningPrometheus;

  beforeAll(async () => {
    prometheus = await startPrometheus({
      openMetrics: openMetricsDocument([
        counterFamily('pytuner_demo_requests', 'Requests served.', requests),
        histogramFamily('pytuner_demo_request_duration_seconds', 'Request latency.', latency),
      ]),
    });
  });
  afterAll(() => prometheus?.stop());

  it('answers rate() per series and summed, as the generated counters imply', async () => {
    const perRoute = await instantQuery(prometheus.url, 'rate(pytuner_demo_requests_total[5m])', END_S);
    const expected = Object.fromEntries(requests.map((s) => [s.labels.route, rateFromData(s.points, END_S)]));
    expect(expected).toEqual({ '/checkout': 2, '/health': 0.4 }); // 30 and 6 per 15 s
    expect(Object.fromEntries(perRoute.map((r) => [r.metric.route, r.value]))).toEqual({
      '/checkout': expect.closeTo(expected['/checkout'] ?? NaN, 9),
      '/health': expect.closeTo(expected['/health'] ?? NaN, 9),
    });

    const [total] = await instantQuery(prometheus.url, 'sum(rate(pytuner_demo_requests_total[5m]))', END_S);
    expect(total?.value).toBeCloseTo(2.4, 9);
  });

  it('answers histogram_quantile() and the mean from the histogram, as the generated buckets imply', async () => {
    const [series] = latency;
    if (!series) throw new Error('no latency series generated');
    const bucketRates = BOUNDS.map((le, b) => [le, rateFromData(series.points.map((p) => ({ t: p.t, value: p.buckets[b]?.[1] ?? NaN })), END_S)] as [number, number]);
    const countRate = rateFromData(series.points.map((p) => ({ t: p.t, value: p.count })), END_S);
    const sumRate = rateFromData(series.points.map((p) => ({ t: p.t, value: p.sum })), END_S);

    const quantile = async (q: number) => {
      const [result] = await instantQuery(prometheus.url, `histogram_quantile(${q}, sum by (le) (rate(pytuner_demo_request_duration_seconds_bucket[5m])))`, END_S);
      return result?.value;
    };
    // 0.5 falls inside (0.1, 0.25], 0.9 on the 0.5 bound, 0.99 in the +Inf bucket (answered with the highest finite bound).
    expect(quantileFromBucketRates(0.5, bucketRates, countRate)).toBeCloseTo(0.15625, 12);
    expect(await quantile(0.5)).toBeCloseTo(quantileFromBucketRates(0.5, bucketRates, countRate), 9);
    expect(await quantile(0.9)).toBeCloseTo(quantileFromBucketRates(0.9, bucketRates, countRate), 9);
    expect(await quantile(0.99)).toBe(quantileFromBucketRates(0.99, bucketRates, countRate));
    expect(quantileFromBucketRates(0.99, bucketRates, countRate)).toBe(1);

    const [mean] = await instantQuery(
      prometheus.url,
      'sum(rate(pytuner_demo_request_duration_seconds_sum[5m])) / sum(rate(pytuner_demo_request_duration_seconds_count[5m]))',
      END_S,
    );
    expect(mean?.value).toBeCloseTo(sumRate / countRate, 9);
    expect(sumRate / countRate).toBeCloseTo(0.155, 12);
  });

  it('has nothing before the backfilled range: the answers come from the generated data alone', async () => {
    expect(await instantQuery(prometheus.url, 'pytuner_demo_requests_total', START_S - 3600)).toEqual([]);
  });
});
