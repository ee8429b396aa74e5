import { describe, expect, it } from 'vitest';
import type { Finding } from '../model/finding.ts';
import { recommendationFix } from './recommendationFix.ts';

const target = { apiVersion: 'serving.knative.dev/v1', kind: 'Service', namespace: 'shop', name: 'orders', file: 'cluster:Service/shop/orders' };

function finding(rule: string, fix: Finding['fix']): Finding {
  return { rule, severity: 'warning', target, message: rule, current: {}, recommended: {}, evidence: [], fix } as Finding;
}

describe('recommendationFix', () => {
  it('carries the planned JSON Patch of the workload and names the fixes left out', () => {
    const fix = recommendationFix(
      [
        finding('concurrency.threads-mismatch', { jsonPatch: [{ op: 'test', path: '/spec/template/spec/containerConcurrency', value: 80 }, { op: 'replace', path: '/spec/template/spec/containerConcurrency', value: 16 }] }),
        finding('a.env', { jsonPatch: [{ op: 'add', path: '/spec/template/spec/containers/0/env', value: [{ name: 'A', value: '1' }] }] }),
        finding('b.env', { jsonPatch: [{ op: 'add', path: '/spec/template/spec/containers/0/env', value: [{ name: 'B', value: '1' }] }] }),
        finding('profiler.iam', { create: [{ kind: 'IAMPolicyMember' }] }),
      ],
      'Service',
      'orders',
    );
    expect(JSON.parse(fix!.jsonPatch)).toEqual([
      { op: 'test', path: '/spec/template/spec/containerConcurrency', value: 80 },
      { op: 'replace', path: '/spec/template/spec/containerConcurrency', value: 16 },
    ]);
    expect(fix!.rules).toEqual(['concurrency.threads-mismatch']);
    expect(fix!.unfixed).toEqual(['a.env and b.env change /spec/template/spec/containers/0/env differently: apply one by hand', 'profiler.iam: its fix creates objects (pytuner report --emit-patches)']);
  });

  it('is undefined when no finding has a fix', () => {
    expect(recommendationFix([finding('x', undefined)], 'Service', 'orders')).toBeUndefined();
  });
});
