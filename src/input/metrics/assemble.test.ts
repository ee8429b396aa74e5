import { describe, expect, it } from 'vitest';
import type { KeyedSeries } from './assemble.ts';
import { bucketBounds, buildSamples, dropInvalid, fieldPoints, keyedSeries, seriesOfTarget } from './assemble.ts';

const series = (over: Partial<KeyedSeries> & { name: string }): KeyedSeries => ({ points: [[100, 1]], ...over });

describe('keyedSeries', () => {
  it('reads the key labels, scales the values and drops series without a name', () => {
    const keyed = keyedSeries(
      [
        { labels: { namespace_name: 'shop', service_name: 'orders' }, points: [[100, 250]] },
        { labels: { namespace_name: 'shop' }, points: [[100, 1]] },
      ],
      { namespace: 'namespace_name', name: 'service_name' },
      0.001,
    );
    expect(keyed).toEqual([{ namespace: 'shop', name: 'orders', points: [[100, 0.25]] }]);
  });
});

describe('seriesOfTarget', () => {
  const all = [series({ namespace: 'a', name: 'web' }), series({ namespace: 'b', name: 'web' }), series({ namespace: 'a', name: 'api' })];

  it('matches namespace and name', () => {
    expect(seriesOfTarget(all, { kind: 'Service', namespace: 'b', name: 'web' })).toEqual({ series: [all[1]] });
    expect(seriesOfTarget(all, { kind: 'Service', namespace: 'c', name: 'web' })).toEqual({ series: [] });
  });

  it('refuses a name found in several namespaces when the manifest has none', () => {
    expect(seriesOfTarget(all, { kind: 'Service', name: 'web' })).toEqual({ ambiguous: 'web has series in several namespaces (a, b): set metadata.namespace in the manifest' });
    expect(seriesOfTarget(all, { kind: 'Service', name: 'api' })).toEqual({ series: [all[2]] });
  });

  it('picks the Cloud Run region of the manifest, and refuses to guess between regions', () => {
    const regions = [series({ name: 'cr', location: 'europe-west1' }), series({ name: 'cr', location: 'us-central1' })];
    expect(seriesOfTarget(regions, { kind: 'Service', namespace: '123', name: 'cr', location: 'us-central1' })).toEqual({ series: [regions[1]] });
    expect(seriesOfTarget(regions, { kind: 'Service', namespace: '123', name: 'cr' })).toEqual({
      ambiguous: 'cr has series in several locations (europe-west1, us-central1): set the label cloud.googleapis.com/location in the manifest',
    });
  });
});

describe('fieldPoints', () => {
  const perContainer = [
    series({ namespace: 'a', name: 'web', container: 'app', points: [[100, 0.5], [400, 0.7]] }),
    series({ namespace: 'a', name: 'web', container: 'sidecar', points: [[100, 0.25]] }),
  ];

  it("keeps the server's container", () => {
    expect(fieldPoints('cpuCores', perContainer, { kind: 'Deployment', name: 'web', container: 'app' })).toEqual({ points: new Map([[100, 0.5], [400, 0.7]]), gaps: [] });
  });

  it('sums every container, saying so, when no manifest names one', () => {
    expect(fieldPoints('cpuCores', perContainer, { kind: 'Deployment', name: 'web' })).toEqual({
      points: new Map([[100, 0.75], [400, 0.7]]),
      gaps: ["cpuCores: summed over the containers app, sidecar (no manifest names the server's container)"],
    });
  });

  it('has no points when the named container has no series', () => {
    expect(fieldPoints('cpuCores', perContainer, { kind: 'Deployment', name: 'web', container: 'main' })).toEqual({
      points: new Map(),
      gaps: ['cpuCores: no series for container main (found app, sidecar)'],
    });
  });
});

describe('dropInvalid', () => {
  it('drops NaN, Inf and negative values with a count', () => {
    const result = dropInvalid('instances', 'kn_revision_pods_count', new Map([[1, 2], [2, Number.NaN], [3, Number.POSITIVE_INFINITY], [4, -1]]));
    expect(result).toEqual({ points: new Map([[1, 2]]), gaps: ['instances: 3 of 4 steps were NaN, Inf or negative in kn_revision_pods_count; left out'] });
  });

  it('drops a NaN latency at a step without requests silently', () => {
    const rates = new Map([[1, 0], [2, 5]]);
    expect(dropInvalid('latencyP95', 'x_bucket', new Map([[1, Number.NaN], [2, 0.2]]), rates)).toEqual({ points: new Map([[2, 0.2]]), gaps: [] });
  });

  it('names a broken histogram when the latency is NaN while requests flow', () => {
    const rates = new Map([[1, 3], [2, 5]]);
    expect(dropInvalid('latencyP95', 'x_bucket', new Map([[1, Number.NaN], [2, Number.NaN]]), rates).gaps).toEqual([
      'latencyP95: histogram_quantile gave NaN or Inf at 2 of 2 steps with requests (x_bucket lacks a +Inf bucket, or its buckets are not cumulative); left out',
    ]);
  });
});

describe('buildSamples', () => {
  it('divides totals by the instances of the same step, and leaves per-instance fields out at zero instances', () => {
    const samples = buildSamples(
      {
        requestRate: new Map([[300, 20], [600, 0]]),
        instances: new Map([[300, 4], [600, 0]]),
        latencySum: new Map([[300, 2], [600, 0]]),
        cpuCores: new Map([[300, 1], [600, 0]]),
        breakerInFlight: new Map([[300, 0.4]]),
        latencyP95: new Map([[300, 0.25]]),
      },
      undefined,
    );
    expect(samples).toEqual([
      { t: 300, requestRate: 20, instances: 4, latencyP95: 0.25, latencyMean: 0.1, concurrencyPerInstance: 0.5, cpuCoresPerInstance: 0.25, breakerInFlightPerInstance: 0.1 },
      { t: 600, requestRate: 0, instances: 0 },
    ]);
  });

  it("prefers a concurrency gauge to Little's law, and turns a utilisation into cores with the manifest's vCPU", () => {
    const samples = buildSamples({ inFlight: new Map([[300, 6]]), latencySum: new Map([[300, 2]]), instances: new Map([[300, 3]]), cpuUtilisation: new Map([[300, 0.4]]) }, 2);
    expect(samples).toEqual([{ t: 300, instances: 3, concurrencyPerInstance: 2, cpuCoresPerInstance: 0.8 }]);
  });
});

describe('bucketBounds', () => {
  it('reads the finite `le` values, scaled to seconds, ascending and distinct', () => {
    expect(bucketBounds(['+Inf', '0.075', '0.05', '0.025', '0.05'], 1)).toEqual([0.025, 0.05, 0.075]);
    expect(bucketBounds(['5', '10', '+Inf'], 0.001)).toEqual([0.005, 0.01]);
  });

  it('leaves out values that are not numbers', () => {
    expect(bucketBounds(['', 'abc', '0.1', 'NaN'], 1)).toEqual([0.1]);
  });
});
