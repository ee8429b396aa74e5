/**
 * The recommender against the simulation's ground truth, end to end but small: observations of an I/O-bound service
 * running Cloud Run's defaults (gunicorn 1 worker × 8 threads, containerConcurrency 80), then the recommended
 * configuration measured in the simulation.
 */
import { describe, expect, it } from 'vitest';
import { recommend } from '../../src/recommender/recommend.ts';
import { defaultRecommenderConfig } from '../../src/recommender/types.ts';
import { simulate } from './engine.ts';
import { toObservations } from './observations.ts';
import { Evaluator, latencyObjective, DEFAULT_EVALUATION } from './optimum.ts';
import { observedRun } from './scenarios.ts';
import { IO_SMALL } from './testScenario.ts';

describe('recommendation vs ground truth', () => {
  it('measures CPU and I/O per request from the observations and recommends a configuration that meets the objective', () => {
    const objective = latencyObjective(IO_SMALL, { ...DEFAULT_EVALUATION, completions: 4000 });
    const observations = toObservations(simulate(observedRun(IO_SMALL)), { target: { kind: 'Service', namespace: 'p', name: 'io' }, profile: 'cloudrun', start: 0 });
    const facts = { platform: 'cloudrun', vcpus: 1, containerConcurrency: 80, server: { kind: 'gunicorn', model: 'threaded', workers: 1, threads: 8 } } as const;
    // The simulation runs nothing beside the server on the core, so the model's "I/O costs no CPU" holds exactly and
    // the latency objective alone is the ground truth: the CPU bound at 100% of the vCPU does not bind. Its threads
    // share the GIL as processor sharing with free hand-offs (no convoy), so the GIL bound is off too (a whole core).
    const noGilBound = { ...defaultRecommenderConfig(IO_SMALL.windowSeconds), latencySloSeconds: objective, gilShareTarget: 1 };
    const result = recommend(observations, facts, { ...noGilBound, cpuUtilisationTarget: 1 });
    const demands = result.plan!.demands!;
    expect(Math.abs(demands.cpuSeconds - 0.003) / 0.003).toBeLessThan(0.05);
    expect(Math.abs(demands.ioSeconds - 0.08) / 0.08).toBeLessThan(0.1);
    const { containerConcurrency: cc, threads, workers } = result;
    if (cc.kind !== 'recommendation' || threads?.kind !== 'recommendation' || workers?.kind !== 'recommendation') throw new Error('no recommendation');
    expect(threads.target).toBe(cc.target);
    expect(workers.target).toBe(1);
    const measured = new Evaluator(IO_SMALL, objective, { ...DEFAULT_EVALUATION, completions: 4000 }).evaluate({ workers: workers.target, threads: threads.target, containerConcurrency: cc.target });
    expect(measured.meetsObjective).toBe(true);
    // One core at 3 ms per request serves at most 333 req/s; within the objective the recommendation gets most of it.
    expect(measured.throughput).toBeGreaterThan(280);

    // With the default CPU bound (60% of the vCPU) the recommendation serves what that bound promises: by hand,
    // 1 vCPU × 0.6 / 3 ms = 200 req/s, within the objective.
    const capped = recommend(observations, facts, noGilBound);
    expect(capped.plan?.sizedBy).toBe('cpu');
    const c = capped.containerConcurrency;
    if (c.kind !== 'recommendation') throw new Error('no recommendation');
    const servedCapped = new Evaluator(IO_SMALL, objective, { ...DEFAULT_EVALUATION, completions: 4000 }).evaluate({ workers: 1, threads: c.target, containerConcurrency: c.target });
    expect(servedCapped.meetsObjective).toBe(true);
    expect(servedCapped.throughput).toBeGreaterThan(0.95 * 200);
    expect(servedCapped.throughput).toBeLessThan(measured.throughput);

    // With the default GIL bound (35% of a core per worker), one worker's GIL serves 0.35 / 3 ms = 116.7 req/s, below the
    // CPU bound: two workers share the concurrency, and serve the CPU bound's 200 req/s within the objective.
    const gil = recommend(observations, facts, { ...defaultRecommenderConfig(IO_SMALL.windowSeconds), latencySloSeconds: objective });
    const g = gil.containerConcurrency;
    if (g.kind !== 'recommendation' || gil.workers?.kind !== 'recommendation' || gil.threads?.kind !== 'recommendation') throw new Error('no recommendation');
    expect(gil.workers.target).toBe(2);
    const servedGil = new Evaluator(IO_SMALL, objective, { ...DEFAULT_EVALUATION, completions: 4000 }).evaluate({ workers: 2, threads: gil.threads.target, containerConcurrency: g.target });
    expect(servedGil.meetsObjective).toBe(true);
    expect(servedGil.throughput).toBeGreaterThan(0.95 * 200);
  });
});
