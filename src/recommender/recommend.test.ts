import { describe, expect, it } from 'vitest';
import { DAY, STEP, syntheticObservations as observed } from '../../test/support/syntheticObservations.ts';
import { recommend, recommendStartupProbe } from './recommend.ts';
import type { RecommenderConfig, WorkloadFacts } from './types.ts';
import { defaultRecommenderConfig } from './types.ts';

const GUNICORN: WorkloadFacts = { platform: 'knative', vcpus: 1, containerConcurrency: 80, server: { kind: 'gunicorn', model: 'threaded', workers: 1, threads: 8 } };

function config(overrides: Partial<RecommenderConfig> = {}): RecommenderConfig {
  return { ...defaultRecommenderConfig(DAY.length * STEP), ...overrides };
}

describe('recommend', () => {
  it('recommends containerConcurrency, threads to cover it and one worker for an I/O-bound service on 1 vCPU', () => {
    // The latency objective alone: at 100% of the vCPU the CPU bound never binds (one GIL-bound worker only nears 1 / CPU),
    // nor does the GIL bound at a whole core per worker (its own tests are below).
    const result = recommend(observed(DAY), GUNICORN, config({ cpuUtilisationTarget: 1, gilShareTarget: 1 }));
    const { containerConcurrency: cc, threads, workers } = result;
    expect(cc.kind).toBe('recommendation');
    expect(threads?.kind).toBe('recommendation');
    expect(workers?.kind).toBe('recommendation');
    if (cc.kind !== 'recommendation' || threads?.kind !== 'recommendation' || workers?.kind !== 'recommendation') return;
    expect(cc.current).toBe(80);
    expect(cc.target).toBeGreaterThan(20);
    expect(cc.target).toBeLessThan(80);
    expect(threads.target).toBe(cc.target);
    expect(threads.value).toBe(cc.value);
    expect(workers.target).toBe(1);
    expect(result.plan!.demands!.cpuSeconds).toBeCloseTo(0.003, 9);
    expect(result.plan!.demands!.ioSeconds).toBeCloseTo(0.08, 3);
    expect(result.plan!.objective.how).toMatch(/^1\.5 × the p95 at low concurrency/);
    expect(cc.confidence).toMatchObject({ points: DAY.length, concurrencyRange: [0.2, 60], windowSeconds: DAY.length * STEP });
    expect(cc.evidence.map((e) => e.metric)).toContain('cpuCoresPerInstance');
  });

  it('aims at --latency-slo when given: a tighter objective gives a lower concurrency', () => {
    const loose = recommend(observed(DAY), GUNICORN, config({ cpuUtilisationTarget: 1, gilShareTarget: 1 }));
    const tight = recommend(observed(DAY), GUNICORN, config({ cpuUtilisationTarget: 1, gilShareTarget: 1, latencySloSeconds: 0.2 }));
    expect(tight.plan!.objective).toEqual({ p95Seconds: 0.2, how: '--latency-slo 200 ms' });
    expect(tight.containerConcurrency.kind === 'recommendation' && loose.containerConcurrency.kind === 'recommendation' && tight.containerConcurrency.target < loose.containerConcurrency.target).toBe(true);
  });

  it('steps at most ÷2 from the current containerConcurrency and keeps the target for later steps', () => {
    const cc = recommend(observed(DAY), { ...GUNICORN, containerConcurrency: 200 }, config()).containerConcurrency;
    expect(cc.kind === 'recommendation' && [cc.value, cc.current]).toEqual([100, 200]);
  });

  it('keeps a current value within 10% of the recommendation (hysteresis)', () => {
    const first = recommend(observed(DAY), GUNICORN, config()).containerConcurrency;
    if (first.kind !== 'recommendation') throw new Error('no recommendation');
    const near = Math.round(first.target * 1.05);
    const again = recommend(observed(DAY), { ...GUNICORN, containerConcurrency: near }, config()).containerConcurrency;
    expect(again.kind === 'recommendation' && [again.value, again.target]).toEqual([near, first.target]);
  });

  it('checks the model against steps whose queue-proxy breaker holds its requests executing (queue depth is in flight, not waiting)', () => {
    const withoutGauge = recommend(observed(DAY), GUNICORN, config()).plan!;
    const withGauge = recommend(observed(DAY, { breakerInFlight: (n) => n }), GUNICORN, config()).plan!;
    expect(withoutGauge.modelError).toBeDefined();
    expect(withGauge.modelError).toBe(withoutGauge.modelError);
  });

  it('leaves out of the model check the steps where requests wait in the breaker beyond containerConcurrency', () => {
    const cc = recommend(observed(DAY, { breakerInFlight: (n) => n + 81 }), GUNICORN, config()).containerConcurrency;
    expect(cc.kind === 'recommendation' && cc.confidence.notes).toContain('the model could not be checked against the current configuration');
  });

  it('without containerConcurrency, tells waiting from executing by the server slots', () => {
    const unlimited: WorkloadFacts = { platform: 'knative', vcpus: 1, server: { kind: 'gunicorn', model: 'threaded', workers: 1, threads: 8 } };
    const executing = recommend(observed(DAY, { breakerInFlight: (n) => n }), unlimited, config()).plan!;
    const waiting = recommend(observed(DAY, { breakerInFlight: (n) => n + 9 }), unlimited, config()).plan!;
    expect(executing.modelError).toBeDefined();
    expect(waiting.modelError).toBeUndefined();
  });

  it('withholds everything, with the reason, when too few steps have traffic', () => {
    const result = recommend(observed([0.2, 0.3, 1, 2, 4]), GUNICORN, config());
    expect(result.containerConcurrency).toEqual({ kind: 'insufficient', reason: 'only 5 steps of the window have traffic', have: 5, need: 12 });
    expect(result.workers).toEqual(result.containerConcurrency);
    expect(result.threads).toEqual(result.containerConcurrency);
  });

  it('says which steps it dropped', () => {
    const observations = observed([0.2, 0.3, 1, 2, 4]);
    observations.samples.push({ t: 400, requestRate: Number.NaN, instances: 1 }, { t: 460, requestRate: 0, instances: 1 });
    const cc = recommend(observations, GUNICORN, config({ now: 500 })).containerConcurrency;
    expect(cc.kind === 'insufficient' && cc.reason).toBe('only 5 steps of the window have traffic (dropped: 1 no request rate, 1 no traffic)');
  });

  it('withholds when no step has low concurrency: queueing cannot be told from the cost of a request', () => {
    const cc = recommend(observed(DAY.filter((n) => n >= 4)), GUNICORN, config()).containerConcurrency;
    expect(cc).toEqual({ kind: 'insufficient', reason: 'no steps at low concurrency: the lowest is 4 in flight per instance, so the latency of a request cannot be told from queueing', have: 4, need: 3 });
  });

  it('without CPU data: containerConcurrency from the USL fit of the current configuration, workers withheld', () => {
    const result = recommend(observed(DAY, { cpu: false }), GUNICORN, config());
    expect(result.containerConcurrency.kind).toBe('recommendation');
    expect(result.workers).toEqual({ kind: 'insufficient', reason: 'no CPU usage series', have: 'none', need: 'CPU usage, vCPU and the server command' });
    expect(result.threads?.kind).toBe('recommendation');
  });

  it('withholds workers when the CPU series reads 0 (broken), rather than modelling free requests', () => {
    const observations = observed(DAY);
    for (const sample of observations.samples) sample.cpuCoresPerInstance = 0;
    const workers = recommend(observations, GUNICORN, config()).workers;
    expect(workers?.kind === 'insufficient' && workers.reason).toBe('CPU usage is 0 at every step with traffic (a broken CPU series?)');
  });

  it('keeps containerConcurrency within a platform limit (Cloud Run below 1 vCPU: 1)', () => {
    const cc = recommend(observed(DAY), { ...GUNICORN, platform: 'cloudrun', maxConcurrency: 1 }, config()).containerConcurrency;
    expect(cc.kind === 'recommendation' && [cc.value, cc.target]).toEqual([40, 1]);
  });

  it('without a detected server: containerConcurrency only, no threads or workers', () => {
    const result = recommend(observed(DAY), { platform: 'cloudrun', vcpus: 1, containerConcurrency: 80 }, config());
    expect(result.containerConcurrency.kind).toBe('recommendation');
    expect(result.threads).toBeUndefined();
    expect(result.workers).toBeUndefined();
  });

  it('has no threads for event-loop servers and no workers for waitress', () => {
    const uvicorn = recommend(observed(DAY), { ...GUNICORN, server: { kind: 'uvicorn', model: 'async', workers: 1 } }, config());
    expect(uvicorn.threads).toBeUndefined();
    expect(uvicorn.workers?.kind).toBe('recommendation');
    const waitress = recommend(observed(DAY), { ...GUNICORN, server: { kind: 'waitress', model: 'threaded', workers: 1, threads: 4 } }, config());
    expect(waitress.workers).toBeUndefined();
    expect(waitress.threads?.kind).toBe('recommendation');
  });

  it('withholds the model when CPU per request exceeds what any request could use (background CPU, a broken series)', () => {
    // 1.9 cores busy per instance at every step, whatever the traffic: seconds of CPU per 83 ms request.
    const busy = { ...observed(DAY), samples: observed(DAY).samples.map((s) => ({ ...s, cpuCoresPerInstance: 1.9 * 1000 })) };
    const result = recommend(busy, { ...GUNICORN, vcpus: 2 }, config());
    expect(result.workers).toMatchObject({ kind: 'insufficient' });
    expect(result.workers?.kind === 'insufficient' && result.workers.reason).toMatch(/^CPU per request \(\d+(\.\d+)? s\) exceeds the longest mean latency × 2 vCPU: CPU is spent outside requests/);
    // A real CPU series of the same data is modelled.
    expect(recommend(observed(DAY), { ...GUNICORN, vcpus: 2 }, config()).workers?.kind).toBe('recommendation');
  });

  it('keeps uvicorn at one worker (multi-process uvicorn loses TCP_NODELAY), sizes gunicorn\'s loops like processes, keeps other loops', () => {
    const on4 = { ...GUNICORN, vcpus: 4 };
    const uvicorn = recommend(observed(DAY), { ...on4, server: { kind: 'uvicorn', model: 'async', workers: 4 } }, config());
    expect(uvicorn.workers?.kind === 'recommendation' && [uvicorn.workers.current, uvicorn.workers.target]).toEqual([4, 1]);
    expect(uvicorn.plan?.candidate).toEqual({ workers: 1, model: 'loop' });
    // By hand: one loop serves at most 1 / 3 ms = 333 req/s; the CPU bound is 4 vCPU × 0.6 / 3 ms = 800 req/s, which
    // takes at least 800 × 3 ms = 2.4 cores, so at least 3 loops.
    const gunicorn = recommend(observed(DAY), { ...on4, server: { kind: 'gunicorn', model: 'async', workers: 1, threads: 1 } }, config());
    expect(gunicorn.plan?.candidate?.model).toBe('loop');
    expect(gunicorn.plan?.sizedBy).toBe('cpu');
    expect(gunicorn.workers?.kind === 'recommendation' && gunicorn.workers.target).toBeGreaterThanOrEqual(3);
    const cc = (r: typeof uvicorn) => (r.containerConcurrency.kind === 'recommendation' ? r.containerConcurrency.target : -1);
    expect(cc(gunicorn)).toBeGreaterThan(cc(uvicorn));
    const daphne = recommend(observed(DAY), { ...on4, server: { kind: 'daphne', model: 'async', workers: 2, threads: 1 } }, config());
    expect(daphne.plan?.candidate).toEqual({ workers: 2, model: 'loop' });
  });
});

/** The texts of the containerConcurrency evidence. */
const evidenceText = (r: ReturnType<typeof recommend>) => (r.containerConcurrency.kind === 'recommendation' ? r.containerConcurrency.evidence.map((e) => e.text) : []);

describe('the CPU bound on containerConcurrency', () => {

  it('sizes by CPU when the latency objective would take I/O waits as free: vCPU × target / CPU per request, then Little', () => {
    // One worker, and its GIL allowed a whole core, so that the CPU bound alone is under test (the GIL bound's tests follow).
    const result = recommend(observed(DAY), GUNICORN, config({ gilShareTarget: 1 }));
    // By hand: 1 vCPU × 0.6 / 3 ms = 200 req/s. The data is processor sharing on the core, R = 80 ms + 3 ms / (1 − ρ):
    // at ρ = 200 × 3 ms = 0.6, R = 87.5 ms, so Little gives 200 × 0.0875 = 17.5 in flight: 18 whole requests serve it.
    expect(result.plan?.cpuBound).toEqual({ throughput: 200, utilisationTarget: 0.6, concurrency: 18 });
    expect(result.plan?.sizedBy).toBe('cpu');
    expect(result.containerConcurrency).toMatchObject({ kind: 'recommendation', target: 18, value: 40, current: 80 });
    expect(result.threads).toMatchObject({ kind: 'recommendation', target: 18 });
    expect(evidenceText(result)).toContainEqual(expect.stringMatching(/^CPU bound: 1 vCPU × 60% target utilisation \/ CPU 3 ms per request = 200 req\/s per instance, served at 18 in flight \(Little's law: 2\d\d(\.\d)? req\/s × 8\d ms mean latency\), fewer than the \d+ the latency objective allows \(which takes I\/O waits as free\): sized by CPU$/));
    // Without the cap (100% of the vCPU) the latency objective allows more in flight.
    const uncapped = recommend(observed(DAY), GUNICORN, config({ cpuUtilisationTarget: 1, gilShareTarget: 1 }));
    expect(uncapped.plan?.sizedBy).toBe('latency');
    expect(uncapped.containerConcurrency.kind === 'recommendation' && uncapped.containerConcurrency.target).toBeGreaterThan(18);
  });

  it('keeps the latency bound when it is the lower one, and says so', () => {
    // A 170 ms p95 objective, just above the 166 ms p95 of one request (2 × 83 ms, the data's shape), leaves only a few
    // requests in flight, below the 18 that 60% of the core serves.
    const result = recommend(observed(DAY), GUNICORN, config({ latencySloSeconds: 0.17 }));
    expect(result.plan?.sizedBy).toBe('latency');
    const cc = result.containerConcurrency;
    expect(cc.kind === 'recommendation' && cc.target).toBeLessThan(18);
    expect(evidenceText(result)).toContainEqual(expect.stringMatching(/^CPU bound: 1 vCPU × 60% target utilisation \/ CPU 3 ms per request = 200 req\/s per instance, which this shape does not reach within the objective \(at most \d+ in flight\): sized by the latency objective \(I\/O-based bound\)$/));
  });

  it('says it cannot apply the CPU bound without CPU data, and keeps the USL sizing', () => {
    const result = recommend(observed(DAY, { cpu: false }), GUNICORN, config());
    expect(result.plan?.sizedBy).toBeUndefined();
    expect(evidenceText(result)).toContain('no CPU bound: CPU per request and the vCPU per instance are both needed to cap containerConcurrency by CPU (no CPU usage series)');
    // The same as before the bound existed: the target does not depend on the utilisation target.
    const other = recommend(observed(DAY, { cpu: false }), GUNICORN, config({ cpuUtilisationTarget: 0.1 }));
    expect(other.containerConcurrency).toEqual(result.containerConcurrency);
  });
});

describe('the GIL bound on requests in flight per threaded worker', () => {
  const ONE_WORKER = (overrides: Partial<RecommenderConfig> = {}) => {
    const base = config(overrides);
    return { ...base, bounds: { ...base.bounds, maxWorkers: 1 } };
  };

  it('sizes one worker by its GIL share: workers × share / CPU per request, then Little', () => {
    const result = recommend(observed(DAY), GUNICORN, ONE_WORKER());
    // By hand: one worker's GIL held 35% of the time by 3 ms requests serves 0.35 / 0.003 = 116.7 req/s. The data is
    // processor sharing on the core, R = 80 ms + 3 ms / (1 − 0.35) = 84.6 ms, so Little gives 116.7 × 0.0846 = 9.9 in
    // flight: 10 whole requests serve it, fewer than the 18 of the CPU bound (1 vCPU × 0.6 / 3 ms = 200 req/s).
    expect(result.plan?.candidate).toEqual({ workers: 1, model: 'threads' });
    expect(result.plan?.sizedBy).toBe('gil');
    expect(result.plan?.gilBound).toMatchObject({ shareTarget: 0.35, workers: 1, concurrency: 10 });
    expect(result.plan?.gilBound?.throughput).toBeCloseTo(116.667, 2);
    expect(result.plan?.cpuBound).toEqual({ throughput: 200, utilisationTarget: 0.6, concurrency: 18 });
    expect(result.containerConcurrency).toMatchObject({ kind: 'recommendation', target: 10 });
    expect(result.threads).toMatchObject({ kind: 'recommendation', target: 10 });
    const texts = evidenceText(result);
    expect(texts).toContainEqual(expect.stringMatching(/^GIL bound: 1 worker × 35% of one core per GIL \/ CPU 3 ms per request = 116\.7 req\/s per instance, served at 10 in flight \(10 per process; Little's law: 11\d(\.\d)? req\/s × 8\d ms mean latency\), fewer than the \d+ the latency objective allows \(which does not count the GIL's hand-offs between many threads\): sized by the GIL$/));
    expect(texts).toContainEqual(expect.stringMatching(/^CPU bound: 1 vCPU × 60% target utilisation \/ CPU 3 ms per request = 200 req\/s per instance, served at 18 in flight .*; the GIL bound is lower$/));
  });

  it('adds workers instead of threads when one worker\'s GIL cannot serve the CPU bound', () => {
    // By hand: the CPU bound is 1 vCPU × 0.6 / 3 ms = 200 req/s; one worker's GIL serves 116.7 req/s, two 233.3: two
    // workers, sized by the CPU bound. With the GIL allowed a whole core (333.3 req/s), one worker serves the CPU bound.
    const result = recommend(observed(DAY), GUNICORN, config());
    expect(result.plan?.candidate).toEqual({ workers: 2, model: 'threads' });
    expect(result.plan?.sizedBy).toBe('cpu');
    expect(result.plan?.gilBound?.throughput).toBeCloseTo(233.333, 2);
    expect(result.workers).toMatchObject({ kind: 'recommendation', target: 2, current: 1 });
    const cc = result.containerConcurrency;
    expect(result.threads).toMatchObject({ kind: 'recommendation', target: cc.kind === 'recommendation' ? cc.target : -1 });
    const whole = recommend(observed(DAY), GUNICORN, config({ gilShareTarget: 1 }));
    expect(whole.plan?.candidate).toEqual({ workers: 1, model: 'threads' });
    expect(whole.workers).toMatchObject({ kind: 'recommendation', target: 1 });
  });

  it('does not apply to event loops (one thread) or to free-threaded builds (no GIL)', () => {
    const loop = recommend(observed(DAY), { ...GUNICORN, server: { kind: 'uvicorn', model: 'async', workers: 1 } }, config());
    expect(loop.plan?.candidate).toEqual({ workers: 1, model: 'loop' });
    expect(loop.plan?.gilBound).toBeUndefined();
    expect(evidenceText(loop).some((t) => t.startsWith('GIL bound'))).toBe(false);
    const free = recommend(observed(DAY), { ...GUNICORN, freeThreaded: 'python:3.13t' }, config());
    expect(free.plan?.candidate).toEqual({ workers: 1, model: 'threads', freeThreaded: true });
    expect(free.plan?.gilBound).toBeUndefined();
  });
});

describe('free-threaded Python', () => {
  const ON2: WorkloadFacts = { ...GUNICORN, vcpus: 2 };
  const FREE: WorkloadFacts = { ...ON2, freeThreaded: 'python:3.13t' };

  it('does not add workers for the GIL: the threads of one worker use both vCPU, and the hotspot check does not apply', () => {
    const gil = recommend(observed(DAY), ON2, config());
    const free = recommend(observed(DAY), FREE, config());
    expect(gil.plan?.hotspot).toBeDefined();
    expect(gil.workers?.kind === 'recommendation' && gil.workers.target).toBeGreaterThanOrEqual(2);
    expect(free.plan?.hotspot).toBeUndefined();
    expect(free.plan?.candidate).toEqual({ workers: 1, model: 'threads', freeThreaded: true });
    expect(free.workers).toMatchObject({ kind: 'recommendation', target: 1 });
    expect(evidenceText(free)).toContain('free-threaded Python (python:3.13t): threads of one worker run Python on several cores, so threaded shapes are not capped at one core per worker and the vCPU hotspot (GIL) check does not apply');
    // By hand: 2 vCPU × 0.6 / 3 ms = 400 req/s; both cores share the CPU, so one worker serves it.
    expect(free.plan?.cpuBound?.throughput).toBe(400);
    expect(free.plan?.sizedBy).toBe('cpu');
  });

  it('keeps the one-core-per-process model for an event loop and for sync workers', () => {
    const loop = recommend(observed(DAY), { ...FREE, server: { kind: 'gunicorn', model: 'async', workers: 2, threads: 1 } }, config());
    expect(loop.plan?.candidate).toEqual({ workers: 2, model: 'loop' });
    expect(loop.plan?.hotspot).toBeDefined();
    expect(evidenceText(loop)).toContainEqual(expect.stringMatching(/^free-threaded Python \(python:3\.13t\): this server runs one request's Python at a time per process or event loop/));
  });
});

describe('startupProbe budget', () => {
  it('is 1.5 × the p99 start-up, in 2 s periods', () => {
    const r = recommendStartupProbe(observed(DAY, { startupP99: 20 }), { platform: 'knative' }, config());
    expect(r.kind === 'recommendation' && r.value).toEqual({ periodSeconds: 2, failureThreshold: 15 });
  });

  it('stays within Cloud Run’s 240 s', () => {
    const r = recommendStartupProbe(observed(DAY, { startupP99: 200 }), { platform: 'cloudrun' }, config());
    expect(r.kind === 'recommendation' && r.value).toEqual({ periodSeconds: 2, failureThreshold: 120 });
  });

  it('keeps the current probe within 10% of the recommendation', () => {
    const r = recommendStartupProbe(observed(DAY, { startupP99: 20 }), { platform: 'knative', startupBudget: { periodSeconds: 5, failureThreshold: 6, implicit: false } }, config());
    expect(r.kind === 'recommendation' && [r.value, r.target]).toEqual([
      { periodSeconds: 5, failureThreshold: 6 },
      { periodSeconds: 2, failureThreshold: 15 },
    ]);
  });

  it('is withheld without start-up latency', () => {
    expect(recommendStartupProbe(observed(DAY), { platform: 'cloudrun' }, config()).kind).toBe('insufficient');
  });
});
