import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { CLOUD_RUN_DAY, LAB_USER_PORT, cloudRunManifest, daySchedule, exponentialBuckets, knativeDay, knativeManifest, stepLoad } from './day.ts';

describe('daySchedule', () => {
  it('night steps at 1 in flight; demand split over ⌈demand / target⌉ instances', () => {
    // target 10 × 0.5 = 5 per instance, peak 2 × 5 = 10 in flight; demand at k = 0..3: 0, 5, 10, 5.
    expect(daySchedule({ daySteps: 4, nightSteps: 1, containerConcurrency: 10, targetUtilisation: 0.5, peakInstances: 2 })).toEqual([
      { index: 0, instances: 1, concurrency: 1 },
      { index: 1, instances: 1, concurrency: 1 },
      { index: 2, instances: 1, concurrency: 5 },
      { index: 3, instances: 2, concurrency: 5 },
      { index: 4, instances: 1, concurrency: 5 },
      { index: 5, instances: 1, concurrency: 1 },
    ]);
  });

  it("Cloud Run's day: 20 steps, 5 at one request in flight, up to 3 instances × 48 (60% of 80)", () => {
    const day = daySchedule(CLOUD_RUN_DAY);
    expect(day.map((s) => s.concurrency)).toEqual([1, 1, 1, 5, 21, 44, 36, 33, 41, 46, 48, 46, 41, 33, 36, 44, 21, 5, 1, 1]);
    expect(Math.max(...day.map((s) => s.instances))).toBe(3);
    expect(day.filter((s) => s.concurrency === 1)).toHaveLength(5);
  });
});

describe('stepLoad', () => {
  it('scales the measured distribution to the step: rates, latency and CPU per request unchanged', () => {
    const latencies = [
      { seconds: 0.03, count: 6 },
      { seconds: 0.07, count: 4 },
    ];
    const step = stepLoad({ index: 2, instances: 2, concurrency: 3 }, { throughput: 50, meanLatency: 0.046, serverCores: 0.8 }, latencies, 300, [0.05, 0.1]);
    // 50 req/s × 2 instances × 300 s = 30,000 requests: 60% ≤ 50 ms, 40% ≤ 100 ms.
    expect(step).toEqual({
      t: 900,
      completed: 30_000,
      buckets: [18_000, 12_000, 0],
      latencySum: 0.046 * 30_000,
      instances: 2,
      inflightPerInstance: 50 * 0.046,
      cpuSecondsPerInstance: 240,
      waitingPerInstance: 0,
      startupLatencies: [],
    });
  });
});

describe('cloudRunManifest', () => {
  it.each([
    ['gunicorn', ['gunicorn'], ['--bind', ':8080', '--workers', '1', '--threads', '8', '--timeout', '0', 'wsgi:app']],
    ['gunicorn-uvicorn', ['gunicorn'], ['--bind', ':8080', '--workers', '2', '--worker-class', 'uvicorn.workers.UvicornWorker', '--timeout', '0', 'asgi:app']],
    ['uvicorn', ['uvicorn'], ['asgi:app', '--host', '0.0.0.0', '--port', '8080', '--workers', '2']],
  ] as const)('a %s service as Cloud Run exports it', (server, command, args) => {
    const workers = server === 'gunicorn' ? 1 : 2;
    const doc = load(cloudRunManifest({ name: 'lab-x', server, workers, threads: 8, containerConcurrency: 80, vcpus: 2, location: 'europe-west1' })) as Record<string, any>;
    expect(doc.apiVersion).toBe('serving.knative.dev/v1');
    expect(doc.metadata.labels['cloud.googleapis.com/location']).toBe('europe-west1');
    expect(doc.spec.template.spec.containerConcurrency).toBe(80);
    const container = doc.spec.template.spec.containers[0];
    expect(container.command).toEqual(command);
    expect(container.args).toEqual(args);
    expect(container.resources.limits.cpu).toBe('2');
  });
});

describe('exponentialBuckets', () => {
  it('multiplies by the factor, rounded to 4 digits', () => {
    expect(exponentialBuckets(0.001, 1.4, 5)).toEqual([0.001, 0.0014, 0.00196, 0.002744, 0.003842]);
  });
});

describe('knativeManifest', () => {
  it('a Knative Service whose container port is the queue-proxy user port the lab server listens on', () => {
    const doc = load(knativeManifest({ name: 'lab-io', namespace: 'shop', server: 'gunicorn', workers: 1, threads: 8, containerConcurrency: 80, vcpus: 2 })) as {
      metadata: { name: string; namespace: string };
      spec: { template: { spec: { containerConcurrency: number; containers: { command: string[]; args: string[]; ports: { containerPort: number }[]; resources: { limits: { cpu: string } } }[] } } };
    };
    expect(doc.metadata).toEqual({ name: 'lab-io', namespace: 'shop' });
    const spec = doc.spec.template.spec;
    expect(spec.containerConcurrency).toBe(80);
    expect(spec.containers[0]!.ports).toEqual([{ containerPort: LAB_USER_PORT }]);
    expect(LAB_USER_PORT).not.toBe(8080); // the autoscaler's stat server holds :8080 in the lab's network namespace
    expect([...spec.containers[0]!.command, ...spec.containers[0]!.args]).toEqual(['gunicorn', '--bind', `:${LAB_USER_PORT}`, '--workers', '1', '--threads', '8', 'wsgi:app']);
    expect(spec.containers[0]!.resources.limits.cpu).toBe('2');
  });
});

describe('knativeDay', () => {
  it('has the 12 steps with traffic pytuner needs, and nights that fill a 60-second rate window at 12-second steps', () => {
    const steps = daySchedule(knativeDay(12, 60));
    expect(steps).toHaveLength(22);
    expect(steps.slice(0, 5).every((s) => s.concurrency === 1) && steps.slice(-5).every((s) => s.concurrency === 1)).toBe(true);
    expect(steps.filter((s) => s.concurrency > 1).length).toBeGreaterThanOrEqual(11);
    expect(Math.max(...steps.map((s) => s.concurrency))).toBe(48);
  });

  it('lengthens the nights at shorter steps so that each still fills a rate window', () => {
    expect(knativeDay(6, 60).nightSteps).toBe(10);
    expect(knativeDay(7, 60).nightSteps).toBe(9);
  });
});
