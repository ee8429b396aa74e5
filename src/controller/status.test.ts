import { describe, expect, it } from 'vitest';
import type { Finding } from '../model/finding.ts';
import { evaluatedStatus, policyStatus, recommendedLine, sameStatus, unselectedStatus, withSteps, type EvaluationResult } from './status.ts';

const t0 = new Date('2026-01-01T00:00:00.000Z');
const t1 = new Date('2026-01-01T00:10:00.000Z');

const finding: Finding = {
  rule: 'concurrency.threads-mismatch',
  severity: 'critical',
  target: { kind: 'Service', namespace: 'shop', name: 'orders', container: 'app' },
  message: 'containerConcurrency 80 admits 80 requests but gunicorn serves 8 at a time',
  current: { containerConcurrency: 80 },
  recommended: { containerConcurrency: 8 },
  evidence: [{ source: 'manifest', field: 'spec.template.spec.containerConcurrency', text: '80' }],
};

const result: EvaluationResult = {
  findings: [finding],
  errors: [{ object: 'Service shop/orders', field: 'spec.template.spec.timeoutSeconds', message: 'expected an integer >= 0, got "x"' }],
  values: [{ setting: 'containerConcurrency', rule: 'concurrency.threads-mismatch', value: 8, current: 80, confidence: 1 }],
  metrics: { available: false, reason: 'StaticOnly', message: 'no spec.metrics' },
  targetGeneration: 3,
  notes: ['also selected by TuningPolicy b'],
};

describe('evaluatedStatus', () => {
  it('records findings (an invalid field as a finding), values, basis and the Ready and MetricsAvailable conditions', () => {
    const status = evaluatedStatus(undefined, result, t0);
    expect(status.findings?.map((f) => [f.rule, f.severity])).toEqual([
      ['concurrency.threads-mismatch', 'critical'],
      ['input.invalid', 'warning'],
    ]);
    expect(status.findings?.[1]?.message).toBe('spec.template.spec.timeoutSeconds: expected an integer >= 0, got "x"; pytuner cannot evaluate this workload until it is fixed');
    expect(status.summary).toEqual({ findings: 2, critical: 1, warning: 1, info: 0, confidence: 1, recommended: 'containerConcurrency 8' });
    expect(status.basis).toBe('rules');
    expect(status.targetGeneration).toBe(3);
    expect(status.lastEvaluated).toBe('2026-01-01T00:00:00Z');
    expect(status.conditions).toEqual([
      { type: 'Ready', status: 'True', reason: 'Evaluated', message: '2 findings, 1 value to set; also selected by TuningPolicy b', lastTransitionTime: '2026-01-01T00:00:00Z' },
      { type: 'MetricsAvailable', status: 'False', reason: 'StaticOnly', message: 'no spec.metrics', lastTransitionTime: '2026-01-01T00:00:00Z' },
    ]);
  });

  it("shows each value's target, next step, bounds and uncapped value: a fact goes to its target at once, an estimate by one step", () => {
    const status = evaluatedStatus(undefined, result, t0);
    expect(status.recommendations).toEqual([{ setting: 'containerConcurrency', rule: 'concurrency.threads-mismatch', value: 8, current: 80, confidence: 1, target: 8, next: 8, lowerBound: 1, upperBound: 1000 }]);
    const bounds = { concurrency: { min: 10, max: 1000 } };
    const measured = { setting: 'containerConcurrency' as const, rule: 'metrics.container-concurrency', value: 4, current: 80, confidence: 0.6 };
    expect(withSteps(measured, bounds)).toEqual({ ...measured, target: 10, next: 40, lowerBound: 10, upperBound: 1000 });
    expect(withSteps({ ...measured, confidence: 1 }, bounds)).toMatchObject({ value: 4, target: 10, next: 10 });
    // Threads without a bound: no upperBound; a probe: no numbers at all.
    expect(withSteps({ setting: 'threads', rule: 'metrics.threads', container: 'app', env: 'THREADS', value: 16, current: 4, confidence: 0.9 }, undefined)).toMatchObject({ target: 16, next: 8, lowerBound: 1 });
    expect(withSteps({ setting: 'threads', rule: 'metrics.threads', container: 'app', env: 'THREADS', value: 16, confidence: 0.9 }, undefined).upperBound).toBeUndefined();
    const probe = { setting: 'startupProbe' as const, rule: 'startup.probe-missing', container: 'app', startupProbe: { httpGet: { path: '/healthz', port: 8080 } }, confidence: 1 };
    expect(withSteps(probe, undefined)).toEqual(probe);
    expect(evaluatedStatus(undefined, { ...result, values: [probe, measured] }, t0).summary?.confidence).toBe(0.6);
  });

  it('says each evidence line once: a later finding refers to the earlier one that gave it', () => {
    const promql = (field: string, text: string) => ({ source: 'metrics' as const, field, text });
    const latency = promql('histogram_quantile(0.95, sum by (le) (rate(request_duration_seconds_bucket[300s])))', 'p95 501 ms');
    const cpu = promql('sum(rate(container_cpu_usage_seconds_total[300s]))', 'CPU 49 ms per request');
    const measured = (rule: string, own: Finding['evidence'][number], more: Finding['evidence']): Finding => ({
      ...finding,
      rule,
      severity: 'warning',
      evidence: [own, latency, cpu, ...more],
    });
    const threads = measured('metrics.threads', { source: 'manifest', field: '--threads', text: '8' }, [promql('avg(concurrency)', 'threads = containerConcurrency')]);
    const concurrency = measured('metrics.container-concurrency', { source: 'manifest', field: 'spec.template.spec.containerConcurrency', text: '80' }, []);
    // The critical finding comes first in status order and gives the manifest line; threads comes after concurrency.
    const status = evaluatedStatus(undefined, { ...result, errors: [], findings: [threads, concurrency, finding] }, t0);
    expect(status.findings?.map((f) => [f.rule, f.evidence])).toEqual([
      ['concurrency.threads-mismatch', 'spec.template.spec.containerConcurrency 80 (manifest)'],
      [
        'metrics.container-concurrency',
        '(a line as in concurrency.threads-mismatch); histogram_quantile(0.95, sum by (le) (rate(request_duration_seconds_bucket[300s]))) p95 501 ms (metrics); sum(rate(container_cpu_usage_seconds_total[300s])) CPU 49 ms per request (metrics)',
      ],
      ['metrics.threads', '--threads 8 (manifest); (2 lines as in metrics.container-concurrency); avg(concurrency) threads = containerConcurrency (metrics)'],
    ]);
  });

  it('keeps what the actuator recorded, and counts as unchanged when only the evaluation time moved', () => {
    const first = { ...evaluatedStatus(undefined, result, t0), applied: { at: '2026-01-01T00:00:00Z', policy: 'p', generation: 2, fields: [], changes: [] } };
    const again = evaluatedStatus(first, result, t1);
    expect(again.applied).toEqual(first.applied);
    expect(again.lastEvaluated).toBe('2026-01-01T00:10:00Z');
    expect(sameStatus(first, again)).toBe(true);
    expect(sameStatus(first, evaluatedStatus(first, { ...result, values: [] }, t1))).toBe(false);
  });
});

describe('recommendedLine', () => {
  it('says each target in one line, with its container, for Events and change detection', () => {
    expect(
      recommendedLine([
        { setting: 'containerConcurrency', rule: 'r', value: 4, target: 10, confidence: 0.6 },
        { setting: 'threads', rule: 'r', container: 'app', env: 'THREADS', value: 16, confidence: 0.9 },
        { setting: 'startupProbe', rule: 'r', container: 'app', startupProbe: { httpGet: { path: '/healthz', port: 8080 } }, confidence: 1 },
      ]),
    ).toBe('containerConcurrency 10, threads 16 [app], startupProbe httpGet /healthz:8080 [app]');
    expect(evaluatedStatus(undefined, result, t0).summary?.recommended).toBe('containerConcurrency 8');
    expect(evaluatedStatus(undefined, { ...result, values: [] }, t0).summary?.recommended).toBeUndefined();
  });
});

describe('unselectedStatus', () => {
  it('drops the recommended values of a target no policy selects (a deleted policy), so they no longer look current', () => {
    const evaluated = evaluatedStatus(undefined, result, t0);
    const status = unselectedStatus(evaluated, 'NotSelected', 'no TuningPolicy selects it', t1);
    expect(status.recommendations).toBeUndefined();
    expect(status.summary).toEqual({ findings: 2, critical: 1, warning: 1, info: 0 });
    expect(status.findings).toEqual(evaluated.findings);
    expect(status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'NotSelected' });
  });

  it('sets Ready False and keeps the roll-back values', () => {
    const status = unselectedStatus({ previous: { 'spec.template.spec.containerConcurrency': '80' } }, 'NotSelected', 'no TuningPolicy selects it', t0);
    expect(status).toEqual({
      previous: { 'spec.template.spec.containerConcurrency': '80' },
      conditions: [{ type: 'Ready', status: 'False', reason: 'NotSelected', message: 'no TuningPolicy selects it', lastTransitionTime: '2026-01-01T00:00:00Z' }],
    });
  });
});

describe('policyStatus', () => {
  const metrics = { available: false, reason: 'StaticOnly', message: 'no spec.metrics' };
  it('counts targets and says why part of the selection is not served', () => {
    const status = policyStatus(undefined, { generation: 4, targets: 2, recommendations: 1, applied: 0, conflicts: 1, unavailable: ['Knative Services are not watched'], blocked: false, metrics }, t0);
    expect(status).toMatchObject({ observedGeneration: 4, targets: 2, recommendations: 1, applied: 0, conflicts: 1 });
    expect(status.conditions?.[0]).toMatchObject({ type: 'Ready', status: 'True', reason: 'Reconciled', message: '2 workloads governed; Knative Services are not watched' });
  });

  it('says why an invalid policy is not used, and drops its counts', () => {
    const before = policyStatus(undefined, { generation: 1, targets: 2, recommendations: 1, applied: 0, conflicts: 0, unavailable: [], blocked: false, metrics }, t0);
    const status = policyStatus(before, { generation: 2, invalid: [{ field: 'spec.cooldown', message: 'a duration such as 300ms, 90s, 1h or 1h30m' }], targets: 0, recommendations: 0, applied: 0, conflicts: 0, unavailable: [], blocked: false, metrics }, t1);
    expect(status.targets).toBeUndefined();
    expect(status.conditions?.[0]).toEqual({ type: 'Ready', status: 'False', reason: 'InvalidSpec', message: 'spec.cooldown: a duration such as 300ms, 90s, 1h or 1h30m', lastTransitionTime: '2026-01-01T00:10:00Z' });
  });

  it('names each permission RBAC refused in Permitted, and turns it True once none is', () => {
    const seen = { generation: 1, targets: 1, recommendations: 1, applied: 0, conflicts: 0, unavailable: [], blocked: false, metrics };
    const refused = policyStatus(undefined, { ...seen, forbidden: ['list deployments.apps in namespace shop', 'patch services.serving.knative.dev in namespace shop (Service orders not patched)'] }, t0);
    expect(refused.conditions?.find((c) => c.type === 'Permitted')).toEqual({
      type: 'Permitted',
      status: 'False',
      reason: 'Forbidden',
      message: "the controller's identity may not: list deployments.apps in namespace shop; patch services.serving.knative.dev in namespace shop (Service orders not patched)",
      lastTransitionTime: '2026-01-01T00:00:00Z',
    });
    const granted = policyStatus(refused, { ...seen, forbidden: [] }, t1);
    expect(granted.conditions?.find((c) => c.type === 'Permitted')).toEqual({ type: 'Permitted', status: 'True', reason: 'Permitted', message: 'no read or write of the controller was refused', lastTransitionTime: '2026-01-01T00:10:00Z' });
  });
});
