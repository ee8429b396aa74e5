import type { Scenario } from './scenarios.ts';

/**
 * An I/O-bound service small enough for a unit test, running Cloud Run's defaults (gunicorn 1 worker × 8 threads,
 * containerConcurrency 80): 3 ms of CPU and 80 ms of I/O a request on 1 vCPU.
 */
export const IO_SMALL: Scenario = {
  name: 'io-small',
  summary: '3 ms CPU + 80 ms I/O, 1 vCPU',
  vcpus: 1,
  request: { cpuSeconds: { kind: 'lognormal', mean: 0.003, cv: 0.5 }, ioSeconds: { kind: 'lognormal', mean: 0.08, cv: 0.6 } },
  platform: 'cloudrun',
  current: { workers: 1, threads: 8, containerConcurrency: 80 },
  peakRate: 250,
  periodSeconds: 1200,
  windowSeconds: 1200,
  stepSeconds: 30,
  seed: 5,
};
