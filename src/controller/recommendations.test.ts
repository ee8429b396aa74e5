import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { DAY, syntheticObservations } from '../../test/support/syntheticObservations.ts';
import { evaluateTarget, rulesFor, withMetricsFindings } from './evaluate.ts';
import { recommendedValues, valuesOf } from './recommendations.ts';
import { MEASURED_CONFIDENCE } from '../model/change.ts';

function deployment(container: Record<string, unknown>, serviceAccountName?: string): KubernetesObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'reports', namespace: 'analytics' },
    spec: {
      selector: { matchLabels: { app: 'reports' } },
      template: { metadata: { labels: { app: 'reports' } }, spec: { ...(serviceAccountName === undefined ? {} : { serviceAccountName }), containers: [{ name: 'app', image: 'python:3.13-slim', ...container }] } },
    },
  } as KubernetesObject;
}

function values(workload: KubernetesObject, context: KubernetesObject[], rules: string[]) {
  const evaluation = evaluateTarget({ kind: 'Deployment', namespace: 'analytics', name: 'reports' }, workload, context, rulesFor({ enabled: rules }));
  return recommendedValues(evaluation.findings);
}

const fourCpus = { resources: { limits: { cpu: '4' } } };

describe('recommendedValues', () => {
  it('recommends the worker count through WEB_CONCURRENCY when that is gunicorn\'s knob', () => {
    const workload = deployment({ args: ['gunicorn', '--bind', ':8080', 'app:app'], env: [{ name: 'WEB_CONCURRENCY', value: '1' }], ...fourCpus });
    expect(values(workload, [], ['gunicorn.workers-vs-cpu'])).toEqual([
      expect.objectContaining({ setting: 'workers', rule: 'gunicorn.workers-vs-cpu', container: 'app', env: 'WEB_CONCURRENCY', value: 4, current: 1, confidence: 1 }),
    ]);
  });

  it('leaves a worker count written in args to people: no env var would override it', () => {
    const workload = deployment({ args: ['gunicorn', '--workers', '1', '--bind', ':8080', 'app:app'], ...fourCpus });
    const evaluation = evaluateTarget({ kind: 'Deployment', namespace: 'analytics', name: 'reports' }, workload, [], rulesFor({ enabled: ['gunicorn.workers-vs-cpu'] }));
    expect(evaluation.findings.map((f) => f.rule)).toEqual(['gunicorn.workers-vs-cpu']);
    expect(recommendedValues(evaluation.findings)).toEqual([]);
  });

  it('recommends an IAMPolicyMember only when the project is known, never with placeholders', () => {
    const profiled = { args: ['gunicorn', '--bind', ':8080', 'app:app'], env: [{ name: 'GOOGLE_CLOUD_PROFILER_SERVICE', value: 'reports' }] };
    const ksa = (annotations: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reports', namespace: 'analytics', annotations } }) as KubernetesObject;
    const withGsa = values(deployment(profiled, 'reports'), [ksa({ 'iam.gke.io/gcp-service-account': 'reports@analytics-prod.iam.gserviceaccount.com' })], ['profiler.iam-role']);
    expect(withGsa).toEqual([
      expect.objectContaining({
        setting: 'profilerIamPolicyMember',
        iamPolicyMember: { name: 'reports-cloudprofiler-agent', member: 'serviceAccount:reports@analytics-prod.iam.gserviceaccount.com', role: 'roles/cloudprofiler.agent', resourceRef: { kind: 'Project', external: 'projects/analytics-prod' } },
      }),
    ]);
    // A bare KSA: the member names PROJECT_NUMBER, which pytuner cannot fill in.
    expect(values(deployment(profiled, 'reports'), [ksa({})], ['profiler.iam-role'])).toEqual([]);
  });
});

describe('values from measured load', () => {
  const target = { kind: 'Service', namespace: 'shop', name: 'orders' } as const;
  const entry = syntheticObservations(DAY, { target });

  /** gunicorn 1 worker × 8 threads on 1 vCPU behind containerConcurrency 80, threads from `threads`. */
  function measured(threads: string[], env: Array<{ name: string; value: string }>) {
    const svc = {
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Service',
      metadata: { name: 'orders', namespace: 'shop', annotations: { 'pytuner.dev/health-path': '/healthz' } },
      spec: { template: { spec: { containerConcurrency: 80, containers: [{ name: 'app', image: 'python:3.13-slim', args: ['gunicorn', '--bind', ':8080', ...threads, 'app:app'], env, resources: { limits: { cpu: '1' } } }] } } },
    } as KubernetesObject;
    return withMetricsFindings(evaluateTarget(target, svc, [], rulesFor(undefined)), target, { entry, recommender: { now: entry.window.end }, rules: undefined });
  }

  it('takes containerConcurrency and THREADS from the metrics findings, with their confidence; the PromQL is the findings\' evidence', () => {
    const evaluation = measured(['--threads', '$(THREADS)'], [{ name: 'THREADS', value: '8' }]);
    const concurrency = evaluation.findings.find((f) => f.rule === 'metrics.container-concurrency');
    const value = concurrency?.recommended['containerConcurrency'];
    const values = recommendedValues(evaluation.findings);
    expect(values.map((v) => [v.setting, v.rule])).toEqual([
      ['containerConcurrency', 'metrics.container-concurrency'],
      ['threads', 'metrics.threads'],
      // One worker's GIL at 35% of a core serves 0.35 / 3 ms = 116.7 req/s, below the CPU bound's 200: 2 workers.
      ['workers', 'metrics.workers'],
      ['startupProbe', 'startup.probe-missing'],
    ]);
    expect(values[0]).toMatchObject({ value, current: 80, confidence: MEASURED_CONFIDENCE.medium });
    // The PromQL behind the value is its finding's evidence, not repeated in the value.
    expect(values.every((v) => v.evidence === undefined)).toBe(true);
    expect(concurrency?.evidence.map((e) => `${e.field} ${e.text}`)).toContainEqual(
      expect.stringMatching(
        /^sum by \(service\) \(rate\(container_cpu_usage_seconds_total\[1m\]\)\) CPU 3 ms per request \(cpuCoresPerInstance \/ per-instance rate, median of 12 busiest steps\), I\/O 80 ms; 1 vCPU; CPU bound: 1 vCPU × 60% target utilisation \/ CPU 3 ms per request = 200 req\/s per instance, .* sized by CPU$/,
      ),
    );
    expect(values[1]).toEqual(expect.objectContaining({ container: 'app', env: 'THREADS', value, current: 8, confidence: MEASURED_CONFIDENCE.medium }));
    // The static rule also wants containerConcurrency (the 8 slots): the measured value wins.
    expect(evaluation.findings.find((f) => f.rule === 'concurrency.threads-mismatch')?.recommended).toEqual({ containerConcurrency: 8, THREADS: 80 });
  });

  it('leaves threads written in args to people', () => {
    const evaluation = measured(['--threads', '8'], []);
    expect(evaluation.findings.map((f) => f.rule)).toContain('metrics.threads');
    expect(recommendedValues(evaluation.findings).map((v) => v.setting)).toEqual(['containerConcurrency', 'workers', 'startupProbe']);
  });

  it('offers no threads value when the fix appends words to an env var of options (its value is not the count)', () => {
    const evaluation = measured([], []);
    const threads = evaluation.findings.find((f) => f.rule === 'metrics.threads');
    expect(threads?.changes).toEqual([expect.objectContaining({ setting: 'threads', location: expect.objectContaining({ kind: 'env', name: 'GUNICORN_CMD_ARGS', words: expect.stringMatching(/^--threads \d+$/) }) })]);
    expect(recommendedValues(evaluation.findings).map((v) => v.setting)).not.toContain('threads');
  });

  it('with measuredOnly, leaves out the static values measured load decides, and says which', () => {
    const svc = { apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'orders', namespace: 'shop', annotations: { 'pytuner.dev/health-path': '/healthz' } }, spec: { template: { spec: { containerConcurrency: 80, containers: [{ name: 'app', image: 'python:3.13-slim', args: ['gunicorn', '--threads', '8', 'app:app'] }] } } } } as KubernetesObject;
    const evaluation = evaluateTarget(target, svc, [], rulesFor(undefined));
    expect(recommendedValues(evaluation.findings).map((v) => v.setting)).toEqual(['containerConcurrency', 'startupProbe']);
    const selection = valuesOf(evaluation.findings, { measuredOnly: true });
    expect(selection.values.map((v) => v.setting)).toEqual(['startupProbe']);
    expect(selection.leftOut).toEqual([expect.objectContaining({ setting: 'containerConcurrency', rule: 'concurrency.threads-mismatch', value: 8, confidence: 1 })]);
  });
});
