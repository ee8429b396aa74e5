import { describe, expect, it } from 'vitest';
import type { WorkloadObservations } from '../model/observations.ts';
import { CapacityModel } from './capacity.ts';
import { recommend } from './recommend.ts';
import type { WorkloadFacts } from './types.ts';
import { defaultRecommenderConfig } from './types.ts';

/**
 * The observed days of lab runs 6 and 7 (docs/lab/results.json of 2026-12-07 11:48Z and 15:06Z, 2 vCPU), one row per
 * step as the lab measured it (`day[].instances` and `day[].measurement`): instances, req/s per instance, mean, p50 and
 * p95 latency (seconds), server CPU cores per instance (cAdvisor). Each server ran its default shape: gunicorn 1 × 8
 * threads, or one event loop, behind containerConcurrency 80. The expectations are the shapes the lab's sweep measured,
 * not the model's.
 */
type Step = [instances: number, perInstance: number, mean: number, p50: number, p95: number, cores: number];

const RUN6: Record<'MIXED' | 'ASGI_UVICORN' | 'ASGI_GUNICORN', Step[]> = {
  MIXED: [
    [1, 18.9, 0.05296, 0.05251, 0.05511, 0.218],
    [1, 19.0, 0.05263, 0.05242, 0.05427, 0.217],
    [1, 18.9, 0.05280, 0.05251, 0.05410, 0.219],
    [1, 18.9, 0.05286, 0.05261, 0.05426, 0.219],
    [1, 18.7, 0.05339, 0.05315, 0.05478, 0.222],
    [1, 18.8, 0.05316, 0.05299, 0.05463, 0.222],
    [1, 83.3, 0.11964, 0.11828, 0.15413, 0.965],
    [1, 84.9, 0.42722, 0.41785, 0.46974, 0.962],
    [2, 84.9, 0.42094, 0.41740, 0.46398, 0.964],
    [3, 85.5, 0.41398, 0.41714, 0.44896, 0.968],
    [3, 83.0, 0.53666, 0.53144, 0.58410, 0.957],
    [3, 84.2, 0.55707, 0.56483, 0.60662, 0.965],
    [3, 83.0, 0.53044, 0.53588, 0.57470, 0.963],
    [3, 83.7, 0.42206, 0.42555, 0.45940, 0.963],
    [2, 84.0, 0.42065, 0.42304, 0.46103, 0.967],
    [1, 84.1, 0.42215, 0.42276, 0.46125, 0.963],
    [1, 85.0, 0.11713, 0.11514, 0.14757, 0.966],
    [1, 18.9, 0.05281, 0.05252, 0.05457, 0.220],
    [1, 18.8, 0.05303, 0.05287, 0.05441, 0.220],
    [1, 18.6, 0.05347, 0.05315, 0.05464, 0.223],
    [1, 18.8, 0.05318, 0.05271, 0.05522, 0.224],
    [1, 18.9, 0.05291, 0.05263, 0.05466, 0.220],
],
  ASGI_UVICORN: [
    [1, 22.5, 0.04418, 0.04390, 0.04595, 0.069],
    [1, 22.6, 0.04404, 0.04385, 0.04510, 0.066],
    [1, 22.6, 0.04418, 0.04390, 0.04530, 0.071],
    [1, 22.5, 0.04432, 0.04411, 0.04556, 0.070],
    [1, 22.4, 0.04450, 0.04428, 0.04577, 0.072],
    [1, 22.5, 0.04422, 0.04398, 0.04589, 0.068],
    [1, 225.4, 0.04429, 0.04410, 0.04619, 0.542],
    [1, 453.3, 0.07910, 0.07856, 0.08886, 0.986],
    [2, 455.8, 0.07867, 0.07765, 0.08882, 0.982],
    [3, 456.4, 0.07853, 0.07753, 0.08797, 0.990],
    [3, 455.5, 0.09833, 0.10458, 0.11434, 0.980],
    [3, 458.1, 0.10421, 0.10903, 0.12552, 0.983],
    [3, 457.7, 0.09781, 0.10012, 0.11074, 0.984],
    [3, 451.1, 0.07955, 0.07888, 0.08961, 0.978],
    [2, 448.0, 0.07993, 0.07946, 0.08586, 0.980],
    [1, 448.7, 0.07988, 0.07918, 0.08736, 0.975],
    [1, 222.9, 0.04477, 0.04450, 0.04683, 0.592],
    [1, 22.5, 0.04452, 0.04435, 0.04586, 0.071],
    [1, 22.4, 0.04460, 0.04446, 0.04603, 0.073],
    [1, 22.4, 0.04461, 0.04444, 0.04607, 0.072],
    [1, 22.7, 0.04388, 0.04366, 0.04479, 0.066],
    [1, 22.8, 0.04385, 0.04370, 0.04480, 0.066],
],
  ASGI_GUNICORN: [
    [1, 22.8, 0.04381, 0.04362, 0.04483, 0.065],
    [1, 22.8, 0.04381, 0.04369, 0.04476, 0.066],
    [1, 22.7, 0.04394, 0.04384, 0.04495, 0.066],
    [1, 22.6, 0.04412, 0.04396, 0.04532, 0.069],
    [1, 22.7, 0.04399, 0.04374, 0.04521, 0.067],
    [1, 22.7, 0.04397, 0.04378, 0.04517, 0.066],
    [1, 224.7, 0.04443, 0.04415, 0.04661, 0.555],
    [1, 436.7, 0.08221, 0.08209, 0.08756, 0.984],
    [2, 433.8, 0.08258, 0.08213, 0.08980, 0.985],
    [3, 456.0, 0.07867, 0.07761, 0.08882, 0.987],
    [3, 454.9, 0.09841, 0.09830, 0.11264, 0.980],
    [3, 442.0, 0.10811, 0.12194, 0.13645, 0.985],
    [3, 437.4, 0.10223, 0.11363, 0.12557, 0.971],
    [3, 447.8, 0.08021, 0.07982, 0.08701, 0.979],
    [2, 454.0, 0.07896, 0.07863, 0.08662, 0.991],
    [1, 455.0, 0.07885, 0.07851, 0.08538, 0.992],
    [1, 225.8, 0.04421, 0.04400, 0.04595, 0.543],
    [1, 22.7, 0.04397, 0.04386, 0.04507, 0.066],
    [1, 22.7, 0.04398, 0.04386, 0.04506, 0.067],
    [1, 22.5, 0.04434, 0.04415, 0.04562, 0.071],
    [1, 22.6, 0.04426, 0.04413, 0.04526, 0.070],
    [1, 22.5, 0.04430, 0.04405, 0.04580, 0.070],
],
};

const RUN7: Record<'IO_BOUND' | 'MIXED' | 'ASGI_GUNICORN' | 'ASGI_UVICORN', Step[]> = {
  IO_BOUND: [
    [1, 18.9, 0.05293, 0.05236, 0.05661, 0.030],
    [1, 19.0, 0.05241, 0.05231, 0.05295, 0.027],
    [1, 19.1, 0.05235, 0.05226, 0.05283, 0.027],
    [1, 19.0, 0.05239, 0.05227, 0.05287, 0.029],
    [1, 19.1, 0.05234, 0.05226, 0.05286, 0.027],
    [1, 19.0, 0.05261, 0.05243, 0.05393, 0.030],
    [1, 155.1, 0.06430, 0.05644, 0.09424, 0.140],
    [1, 155.5, 0.22926, 0.21881, 0.25363, 0.133],
    [2, 155.3, 0.22933, 0.22381, 0.25381, 0.140],
    [3, 154.9, 0.22984, 0.23094, 0.25188, 0.158],
    [3, 155.0, 0.28656, 0.28982, 0.30651, 0.163],
    [3, 154.7, 0.30621, 0.30886, 0.31460, 0.168],
    [3, 154.1, 0.28857, 0.29563, 0.30817, 0.188],
    [3, 154.7, 0.23017, 0.23125, 0.25032, 0.177],
    [2, 155.1, 0.23000, 0.23021, 0.25315, 0.165],
    [1, 154.7, 0.23031, 0.23195, 0.25126, 0.173],
    [1, 154.6, 0.06447, 0.06136, 0.08735, 0.179],
    [1, 19.0, 0.05262, 0.05255, 0.05353, 0.031],
    [1, 19.0, 0.05249, 0.05231, 0.05398, 0.027],
    [1, 19.1, 0.05235, 0.05231, 0.05289, 0.028],
    [1, 18.9, 0.05280, 0.05267, 0.05406, 0.033],
    [1, 18.6, 0.05350, 0.05261, 0.06043, 0.036],
  ],
  MIXED: [
    [1, 18.8, 0.05309, 0.05276, 0.05556, 0.219],
    [1, 18.8, 0.05305, 0.05256, 0.05577, 0.217],
    [1, 18.9, 0.05272, 0.05256, 0.05383, 0.218],
    [1, 18.9, 0.05272, 0.05251, 0.05386, 0.221],
    [1, 18.8, 0.05300, 0.05265, 0.05524, 0.219],
    [1, 18.8, 0.05309, 0.05275, 0.05543, 0.219],
    [1, 82.2, 0.12109, 0.11939, 0.15326, 0.965],
    [1, 82.6, 0.42793, 0.43089, 0.47098, 0.959],
    [2, 84.4, 0.41920, 0.42215, 0.46231, 0.958],
    [3, 84.9, 0.41636, 0.42033, 0.45419, 0.965],
    [3, 82.6, 0.53161, 0.53707, 0.57857, 0.961],
    [3, 81.1, 0.60783, 0.58264, 0.69572, 0.954],
    [3, 81.1, 0.54183, 0.54750, 0.59161, 0.955],
    [3, 82.8, 0.42660, 0.42945, 0.46849, 0.961],
    [2, 86.5, 0.40858, 0.41005, 0.45108, 0.966],
    [1, 86.3, 0.40991, 0.41341, 0.44963, 0.966],
    [1, 86.3, 0.11529, 0.11492, 0.14426, 0.971],
    [1, 19.0, 0.05261, 0.05236, 0.05389, 0.218],
    [1, 18.9, 0.05277, 0.05242, 0.05423, 0.219],
    [1, 18.8, 0.05311, 0.05270, 0.05521, 0.222],
    [1, 18.9, 0.05284, 0.05257, 0.05402, 0.220],
    [1, 18.9, 0.05274, 0.05262, 0.05373, 0.219],
  ],
  ASGI_GUNICORN: [
    [1, 22.6, 0.04414, 0.04393, 0.04541, 0.067],
    [1, 22.6, 0.04408, 0.04394, 0.04521, 0.068],
    [1, 22.5, 0.04426, 0.04409, 0.04537, 0.070],
    [1, 22.5, 0.04448, 0.04426, 0.04590, 0.072],
    [1, 22.3, 0.04469, 0.04449, 0.04613, 0.074],
    [1, 22.2, 0.04496, 0.04478, 0.04662, 0.075],
    [1, 221.9, 0.04495, 0.04455, 0.04765, 0.614],
    [1, 454.8, 0.07879, 0.07725, 0.09463, 0.982],
    [2, 455.9, 0.07861, 0.07663, 0.09280, 0.985],
    [3, 446.9, 0.08028, 0.07976, 0.09114, 0.976],
    [3, 423.6, 0.10545, 0.11364, 0.13160, 0.977],
    [3, 455.9, 0.10491, 0.10613, 0.12538, 0.977],
    [3, 458.6, 0.09769, 0.09917, 0.11344, 0.981],
    [3, 449.0, 0.07971, 0.07905, 0.09311, 0.978],
    [2, 453.3, 0.07917, 0.07826, 0.09135, 0.973],
    [1, 430.3, 0.08320, 0.08421, 0.09602, 0.974],
    [1, 222.7, 0.04480, 0.04449, 0.04705, 0.619],
    [1, 22.4, 0.04453, 0.04428, 0.04623, 0.070],
    [1, 22.4, 0.04459, 0.04426, 0.04665, 0.071],
    [1, 22.3, 0.04472, 0.04451, 0.04599, 0.075],
    [1, 22.3, 0.04481, 0.04465, 0.04620, 0.074],
    [1, 22.4, 0.04443, 0.04417, 0.04589, 0.070],
  ],
  ASGI_UVICORN: [
    [1, 22.5, 0.04444, 0.04424, 0.04602, 0.071],
    [1, 22.6, 0.04427, 0.04405, 0.04555, 0.070],
    [1, 22.5, 0.04431, 0.04410, 0.04567, 0.070],
    [1, 22.6, 0.04411, 0.04396, 0.04514, 0.069],
    [1, 22.5, 0.04421, 0.04404, 0.04538, 0.069],
    [1, 22.5, 0.04418, 0.04398, 0.04535, 0.067],
    [1, 224.3, 0.04452, 0.04426, 0.04673, 0.562],
    [1, 448.9, 0.07993, 0.07938, 0.08527, 0.976],
    [2, 449.3, 0.07986, 0.07890, 0.08963, 0.972],
    [3, 431.5, 0.08317, 0.08391, 0.09440, 0.975],
    [3, 452.8, 0.09885, 0.09913, 0.11462, 0.981],
    [3, 455.0, 0.10501, 0.10457, 0.11684, 0.985],
    [3, 456.2, 0.09799, 0.10436, 0.11600, 0.980],
    [3, 451.7, 0.07943, 0.07864, 0.09186, 0.976],
    [2, 443.7, 0.08075, 0.08011, 0.08929, 0.972],
    [1, 449.2, 0.07985, 0.07935, 0.08608, 0.980],
    [1, 225.2, 0.04431, 0.04404, 0.04618, 0.563],
    [1, 22.7, 0.04391, 0.04373, 0.04493, 0.067],
    [1, 22.5, 0.04447, 0.04437, 0.04559, 0.071],
    [1, 22.5, 0.04426, 0.04405, 0.04544, 0.070],
    [1, 22.5, 0.04432, 0.04403, 0.04549, 0.071],
    [1, 22.6, 0.04418, 0.04394, 0.04543, 0.067],
  ],
};

const STEP = 300;

function observed(day: readonly Step[]): WorkloadObservations {
  const samples = day.map(([instances, perInstance, mean, p50, p95, cores], i) => ({
    t: (i + 1) * STEP,
    requestRate: perInstance * instances,
    instances,
    concurrencyPerInstance: perInstance * mean,
    latencyMean: mean,
    latencyP50: p50,
    latencyP95: p95,
    cpuCoresPerInstance: cores,
  }));
  return { target: { kind: 'Service', namespace: 'lab', name: 'app' }, profile: 'cloudrun', window: { start: 0, end: day.length * STEP, stepSeconds: STEP }, samples, queries: {}, gaps: [] };
}

const facts = (server: NonNullable<WorkloadFacts['server']>): WorkloadFacts => ({ platform: 'cloudrun', vcpus: 2, containerConcurrency: 80, server });
const config = (objective: number) => ({ ...defaultRecommenderConfig(22 * STEP), latencySloSeconds: objective });
const target = (o: ReturnType<typeof recommend>['workers']) => (o?.kind === 'recommendation' ? o.target : undefined);

describe('lab run 6 days', () => {
  const { MIXED, ASGI_UVICORN, ASGI_GUNICORN } = RUN6;
  it('mixed (12 ms CPU + 40 ms I/O): two gthread workers, as the oracle (2 × 9 threads at 9), not four', () => {
    // Measured: 2 workers met the 100 ms objective at 9 (2 × 9 threads, 151 req/s, 0.88 of a core per process) and at 10
    // (2 × 5); the old GIL share bound (35% of a core per process) allowed 2 workers only 60 req/s and gave 4 × 7.
    const result = recommend(observed(MIXED), facts({ kind: 'gunicorn', model: 'threaded', workers: 1, threads: 8 }), config(0.1));
    expect(target(result.workers)).toBe(2);
    const cc = target(result.containerConcurrency)!;
    expect(cc).toBeLessThanOrEqual(10);
    expect(target(result.threads)).toBeGreaterThanOrEqual(cc);
    // By hand: 12 ms requests hold the GIL in turns of the 5 ms switch interval: 2 workers × 35% / 5 ms = 140 req/s,
    // above the CPU bound (2 vCPU × 60% / about 11.5 ms, about 105 req/s), which sets the concurrency.
    expect(result.plan?.gilBound?.throughput).toBeCloseTo(140, 9);
    expect(result.plan?.sizedBy).toBe('cpu');
  });

  it('asgi-gunicorn (UvicornWorker, 2 ms CPU on the loop): more than one worker, within what the sweep met', () => {
    // Measured within the 75 ms objective: 1 worker at most 410 req/s (cc 26); 2 workers 515 req/s up to cc 29, 3 workers
    // 612 req/s up to cc 32, 4 workers 569 req/s up to cc 29 (the largest concurrency each met).
    const largestMet: Record<number, number> = { 2: 29, 3: 32, 4: 29 };
    const result = recommend(observed(ASGI_GUNICORN), facts({ kind: 'gunicorn', model: 'async', workers: 1, threads: 1 }), config(0.075));
    const workers = target(result.workers)!;
    expect(Object.keys(largestMet).map(Number)).toContain(workers);
    expect(target(result.containerConcurrency)).toBeLessThanOrEqual(largestMet[workers]!);
    expect(result.threads).toBeUndefined();
  });

  it('asgi-uvicorn: one worker, as the oracle (uvicorn\'s own workers lose TCP_NODELAY)', () => {
    // Measured: one uvicorn worker met the 100 ms objective at 437 req/s (cc 35); 2, 3 and 4 workers at most 376.
    const result = recommend(observed(ASGI_UVICORN), facts({ kind: 'uvicorn', model: 'async', workers: 1, threads: 1 }), config(0.1));
    expect(target(result.workers)).toBe(1);
    expect(result.plan?.candidate).toEqual({ workers: 1, model: 'loop' });
  });
});

/**
 * A day as pytuner reads it on the Knative path, where a step's percentiles come from the queue-proxy's whole-request
 * histogram: every request of a one-request step of these days took between 50 and 75 ms (50 ms of sleep plus the
 * request's work), so `histogram_quantile` interpolates inside that bucket to a p50 of 62.5 ms and a p95 of 73.75 ms
 * whatever the spread; the mean (sum / count) stays exact. Busier steps keep the lab's figures: their buckets are unknown.
 */
function oneRequestStepsThroughKnativeBuckets(day: readonly Step[]): Step[] {
  return day.map(([instances, perInstance, mean, p50, p95, cores]): Step => (perInstance * mean <= 1.5 && p50 > 0.05 && p95 < 0.075 ? [instances, perInstance, mean, 0.0625, 0.07375, cores] : [instances, perInstance, mean, p50, p95, cores]));
}

/** What the model predicts for one request at a time on the recommendation's plan (the baseline's latency shape). */
function oneRequestP95(result: ReturnType<typeof recommend>): number | undefined {
  const plan = result.plan;
  if (plan?.demands === undefined) return undefined;
  return new CapacityModel(plan.demands, { workers: 1, model: 'threads' }).predict(1).p95;
}

describe('lab run 7 days', () => {
  const GTHREAD = { kind: 'gunicorn', model: 'threaded', workers: 1, threads: 8 } as const;
  // The largest concurrency each worker count met in the sweep (io-bound: gthread threads covering it, 100 ms objective).
  const IO_BOUND_MET: Record<number, number> = { 1: 69, 2: 74, 3: 83, 4: 83 };

  it('io-bound: recommends, within what the sweep met, both as measured and as the Knative buckets read the one-request steps', () => {
    // Measured: 4 × 83 threads at cc 83 met the 100 ms objective (1,260 req/s, p95 96 ms on repetition); every step at
    // one request in flight measured a p95 of 53–60 ms. On the Knative path pytuner withheld every knob, predicting
    // 101 ms for one request at a time.
    for (const day of [RUN7.IO_BOUND, oneRequestStepsThroughKnativeBuckets(RUN7.IO_BOUND)]) {
      const result = recommend(observed(day), facts(GTHREAD), config(0.1));
      expect(result.containerConcurrency.kind).toBe('recommendation');
      const workers = target(result.workers)!;
      expect(workers).toBeGreaterThanOrEqual(3);
      expect(target(result.containerConcurrency)).toBeLessThanOrEqual(IO_BOUND_MET[workers]!);
      expect(target(result.threads)).toBeGreaterThanOrEqual(target(result.containerConcurrency)!);
      // Never slower for one request at a time than the one-request steps read (73.75 ms through the buckets).
      expect(oneRequestP95(result)).toBeLessThanOrEqual(Math.max(...day.filter((s) => s[1] * s[2] <= 1.5).map((s) => s[4])) + 1e-9);
    }
  });

  it('mixed: a worker count and concurrency the sweep met (the CPU bound holds the concurrency below the oracle\'s)', () => {
    // Measured within 100 ms: 2 workers up to cc 9 (threads covering it), 3 up to 10 (the oracle, 139 req/s), 4 up to 9.
    const largestMet: Record<number, number> = { 2: 9, 3: 10, 4: 9 };
    const result = recommend(observed(RUN7.MIXED), facts(GTHREAD), config(0.1));
    const workers = target(result.workers)!;
    expect(Object.keys(largestMet).map(Number)).toContain(workers);
    expect(target(result.containerConcurrency)).toBeLessThanOrEqual(largestMet[workers]!);
    expect(result.plan?.sizedBy).toBe('cpu');
  });

  it('asgi-gunicorn: more than one UvicornWorker, within what the sweep met', () => {
    // Measured within 75 ms: 2 workers up to cc 29, 3 up to 32 (the oracle, 609 req/s), 4 up to 29; one worker not swept.
    const largestMet: Record<number, number> = { 2: 29, 3: 32, 4: 29 };
    const result = recommend(observed(RUN7.ASGI_GUNICORN), facts({ kind: 'gunicorn', model: 'async', workers: 1, threads: 1 }), config(0.075));
    const workers = target(result.workers)!;
    expect(Object.keys(largestMet).map(Number)).toContain(workers);
    expect(target(result.containerConcurrency)).toBeLessThanOrEqual(largestMet[workers]!);
  });
});
