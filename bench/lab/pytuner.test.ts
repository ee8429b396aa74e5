import { describe, expect, it } from 'vitest';
import { answerFromReport, liveReportWindow } from './pytuner.ts';

// The metrics findings of a `pytuner report -o json` run on the lab's mixed scenario (abridged: one evidence list kept).
const REPORT = {
  version: 1,
  findings: [
    { rule: 'concurrency.threads-mismatch', message: 'static finding', recommended: { threads: 80 } },
    {
      rule: 'metrics.container-concurrency',
      message: 'containerConcurrency 80: at 4 in flight per instance with 4 workers (sync) the predicted p95 is 86 ms, within the objective 89 ms, for 69.3 req/s per instance; set containerConcurrency to 40 now (guardrail: at most ×2 or ÷2 per step), 4 in later steps (medium confidence)',
      recommended: { containerConcurrency: 40 },
    },
    {
      rule: 'metrics.threads',
      message: 'gunicorn runs 8 threads per worker: sync workers (threads 1) take requests from one shared backlog; set threads to 1 (medium confidence)',
      recommended: { threads: 1 },
      evidence: [
        { source: 'manifest', field: 'spec.template.spec.containers[0].args', text: '--threads 8' },
        { source: 'metrics', field: 'histogram_quantile(0.95, …)', text: 'at low concurrency (1 in flight, 2 steps): mean 53 ms, p95 60 ms' },
      ],
    },
    {
      rule: 'metrics.workers',
      message: 'gunicorn runs 1 worker on 2 vCPU: set workers to 2 now (guardrail: at most ×2 or ÷2 per step), 4 in later steps (medium confidence)',
      recommended: { workers: 2 },
    },
  ],
};

describe('answerFromReport', () => {
  it('reads each knob: the first step from recommended, the target from the stepped message', () => {
    const answer = answerFromReport(REPORT, { containerConcurrency: 80, workers: 1, threads: 8 });
    expect(answer.containerConcurrency).toEqual({ value: 40, target: 4, changed: true });
    expect(answer.workers).toEqual({ value: 2, target: 4, changed: true });
    expect(answer.threads).toEqual({ value: 1, target: 1, changed: true });
    expect(answer.confidence).toBe('medium');
    expect(answer.messages).toHaveLength(3);
    expect(answer.withheld).toEqual([]);
    expect(answer.derivations).toEqual(['at low concurrency (1 in flight, 2 steps): mean 53 ms, p95 60 ms']);
  });

  it('keeps the current value of a knob without a finding, and has no threads knob for ASGI servers', () => {
    const answer = answerFromReport({ findings: [REPORT.findings[1]] }, { containerConcurrency: 80, workers: 1 });
    expect(answer.workers).toEqual({ value: 1, target: 1, changed: false });
    expect(answer.threads).toBeUndefined();
  });

  it('collects withheld recommendations', () => {
    const withheld = { rule: 'metrics.insufficient-data', message: 'measured load of Service lab cannot support a recommendation: containerConcurrency: only 3 steps', recommended: { containerConcurrency: null } };
    const answer = answerFromReport({ findings: [withheld] }, { containerConcurrency: 80, workers: 1, threads: 8 });
    expect(answer.withheld).toEqual([withheld.message]);
    expect(answer.containerConcurrency).toEqual({ value: 80, target: 80, changed: false });
  });
});

describe('liveReportWindow', () => {
  it('starts one rate window after the day, in whole steps, and ends with it', () => {
    // A 336-second day of 12-second steps, a 60-second rate window: 276 s remain, 23 whole steps.
    expect(liveReportWindow({ start: 1000, end: 1336, stepSeconds: 12 }, 60)).toEqual({ end: 1336, windowSeconds: 276 });
  });

  it('refuses a day no longer than the rate window', () => {
    expect(() => liveReportWindow({ start: 1000, end: 1065, stepSeconds: 12 }, 60)).toThrow(/65 s\) is not longer than one rate window \(60 s\)/);
  });
});
