import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { evaluateTarget, rulesFor } from './evaluate.ts';
import { recommendedValues } from './recommendations.ts';

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
  return recommendedValues(evaluation.findings, evaluation.workload);
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
    expect(recommendedValues(evaluation.findings, evaluation.workload)).toEqual([]);
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
