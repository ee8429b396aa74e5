import { describe, expect, it } from 'vitest';
import { cpuSecondsPerRequest, detectHotspot, gilCapacity } from './gil.ts';
import type { ObservationSample } from '../model/observations.ts';
import type { LoadPoint } from './points.ts';
import { loadPoints } from './points.ts';

const point = (concurrency: number, throughput: number, cpuCores: number | undefined, p95: number, waiting?: number): LoadPoint => {
  const p: LoadPoint = { t: 0, concurrency, throughput, meanLatency: concurrency / throughput, p95, instances: 1 };
  if (cpuCores !== undefined) p.cpuCores = cpuCores;
  if (waiting !== undefined) p.waiting = waiting;
  return p;
};

describe('CPU seconds per request', () => {
  it('is CPU per instance over requests per second per instance, from the busier half of the steps', () => {
    // Idle CPU (0.05 cores of background work) inflates the quiet steps; the busy ones give 0.04 s.
    const cost = cpuSecondsPerRequest([point(0.1, 1, 0.09, 0.1), point(0.2, 2, 0.13, 0.1), point(2, 20, 0.8, 0.1), point(3, 25, 1, 0.1)]);
    expect(cost).toEqual({ secondsPerRequest: 0.04, points: 2 });
    expect(cpuSecondsPerRequest([point(1, 10, undefined, 0.1)])).toBeUndefined();
  });
});

describe('GIL capacity bound', () => {
  it('counts at most one core per worker and no more cores than vCPU', () => {
    expect(gilCapacity(1, 4, 0.04)).toBe(25);
    expect(gilCapacity(4, 2, 0.04)).toBe(50);
    expect(gilCapacity(3, 4, 0.01)).toBe(300);
  });
});

describe('vCPU hotspot', () => {
  const quiet = [point(0.5, 10, 0.4, 0.1), point(0.8, 15, 0.6, 0.1), point(1, 18, 0.7, 0.11), point(1.5, 22, 0.85, 0.12)];

  it('is one core busy on a multi-vCPU instance while latency grows', () => {
    const busy = [point(10, 25, 0.99, 0.4), point(12, 25, 1, 0.5), point(15, 25, 0.98, 0.6), point(20, 25, 1, 0.8)];
    expect(detectHotspot([...quiet, ...busy], 4, 0.1)).toEqual({ cpuCores: 0.995, vcpus: 4, p95Ratio: 5.5, waiting: 0, points: 4 });
  });

  it('is also requests queueing in front of a capped core', () => {
    const busy = [point(10, 25, 0.99, 0.12, 3), point(12, 25, 1, 0.12, 4), point(15, 25, 0.98, 0.12, 5), point(20, 25, 1, 0.12, 6)];
    expect(detectHotspot([...quiet, ...busy], 2, 0.1)?.waiting).toBe(4.5);
  });

  it('is not one vCPU, CPU above one core, or a capped core with steady latency and no queue', () => {
    const busy = [point(10, 25, 0.99, 0.4), point(12, 25, 1, 0.5), point(15, 25, 0.98, 0.6), point(20, 25, 1, 0.8)];
    expect(detectHotspot([...quiet, ...busy], 1, 0.1)).toBeUndefined();
    expect(detectHotspot([...quiet, ...busy.slice(1), point(25, 40, 1.6, 0.9)], 4, 0.1)).toBeUndefined();
    const steady = busy.map((p) => ({ ...p, p95: 0.12 }));
    expect(detectHotspot([...quiet, ...steady], 4, 0.1)).toBeUndefined();
  });

  // Knative's queue depth is the breaker's in-flight count: executing plus waiting. One instance, 8 slots
  // (containerConcurrency 8), CPU capped at one of 2 vCPU, p95 steady: only a count beyond the slots is a queue.
  const steps = (inBreaker: (concurrency: number) => number): ObservationSample[] =>
    [0.5, 0.8, 1, 1.5, 4, 5, 6, 7].map((n, i) => ({ t: (i + 1) * 60, requestRate: 25 * Math.min(1, n), instances: 1, concurrencyPerInstance: n, latencyP95: 0.12, cpuCoresPerInstance: n < 4 ? 0.4 + n / 10 : 1, breakerInFlightPerInstance: inBreaker(n) }));
  const observations = (samples: ObservationSample[]) => ({ target: { kind: 'Service' as const, name: 'api' }, profile: 'knative' as const, window: { start: 0, end: 600, stepSeconds: 60 }, samples, queries: {}, gaps: [] });

  it('is not the requests executing: a breaker holding no more than its slots queues nothing', () => {
    const { points } = loadPoints(observations(steps((n) => n)), { now: 600, maxAgeSeconds: 600 }, 8);
    expect(points.map((p) => p.waiting)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(detectHotspot(points, 2, 0.1)).toBeUndefined();
  });

  it('is what the breaker holds beyond its slots', () => {
    const { points } = loadPoints(observations(steps((n) => n + 5)), { now: 600, maxAgeSeconds: 600 }, 8);
    expect(points.map((p) => p.waiting)).toEqual([0, 0, 0, 0, 1, 2, 3, 4]);
    expect(detectHotspot(points, 2, 0.1)).toEqual({ cpuCores: 1, vcpus: 2, p95Ratio: 1.2, waiting: 2.5, points: 4 });
  });
});
