import { describe, expect, it } from 'vitest';
import { objectiveBucket, objectiveBucketNote } from './objectiveBucket.ts';

/** Knative 1.23's whole-request histogram around typical latencies (http_server_request_duration_seconds). */
const KNATIVE_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const HISTOGRAM = { metric: 'http_server_request_duration_seconds', boundsSeconds: KNATIVE_BOUNDS };

describe('objectiveBucket', () => {
  it('finds the bucket an objective lies strictly inside', () => {
    expect(objectiveBucket(KNATIVE_BOUNDS, 0.068)).toEqual({ lower: 0.05, upper: 0.075 });
    expect(objectiveBucket(KNATIVE_BOUNDS, 0.003)).toEqual({ upper: 0.005 });
    expect(objectiveBucket(KNATIVE_BOUNDS, 12)).toEqual({ lower: 10 });
  });

  it('an objective on a bound can be checked, also when written in milliseconds', () => {
    expect(objectiveBucket(KNATIVE_BOUNDS, 0.075)).toBeUndefined();
    expect(objectiveBucket(KNATIVE_BOUNDS, 75 / 1000)).toBeUndefined();
    expect(objectiveBucket([0.1, 0.3], 0.1 + 0.2 - 0.0)).toBeUndefined(); // 0.30000000000000004
  });

  it('says nothing without bounds', () => {
    expect(objectiveBucket([], 0.068)).toBeUndefined();
  });
});

describe('objectiveBucketNote', () => {
  it('names the histogram, the bucket and the bounds to choose', () => {
    expect(objectiveBucketNote(HISTOGRAM, 0.068)).toBe(
      'the objective p95 ≤ 68 ms lies inside the 50–75 ms bucket of http_server_request_duration_seconds: a p95 there is interpolated between bucket bounds, so it cannot be checked against 68 ms; choose 50 ms or 75 ms (a bucket bound) with --latency-slo',
    );
  });

  it('writes a bucket across a second as two durations', () => {
    expect(objectiveBucketNote(HISTOGRAM, 0.9)).toContain('inside the 750 ms–1 s bucket');
  });

  it('below the first bound or above the last, offers the one bound there is', () => {
    expect(objectiveBucketNote(HISTOGRAM, 0.003)).toContain('lies below the first bound (5 ms) of http_server_request_duration_seconds');
    expect(objectiveBucketNote(HISTOGRAM, 0.003)).toContain('choose 5 ms (a bucket bound)');
    expect(objectiveBucketNote(HISTOGRAM, 12)).toContain('choose 10 s (a bucket bound)');
  });

  it('is silent for an objective on a bound', () => {
    expect(objectiveBucketNote(HISTOGRAM, 0.05)).toBeUndefined();
  });
});
