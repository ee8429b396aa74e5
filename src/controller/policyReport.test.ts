import { describe, expect, it } from 'vitest';
import type { Finding } from '../model/finding.ts';
import { canonicalJson, namespaceResults, reportObject, resultOf, type ReportResource } from './policyReport.ts';

const orders: ReportResource = { apiVersion: 'serving.knative.dev/v1', kind: 'Service', namespace: 'shop', name: 'orders', uid: 'u-orders' };
const carts: ReportResource = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'carts', uid: 'u-carts' };

function finding(rule: string, severity: Finding['severity'], extra: Partial<Finding> = {}): Finding {
  return { rule, severity, target: { kind: 'Service', namespace: 'shop', name: 'orders' }, message: `${rule} says so`, current: {}, recommended: {}, evidence: [], ...extra };
}

describe('policy report results', () => {
  it('maps a finding to a result: rule id as policy, its prefix as category, values and container as string properties', () => {
    const mismatch = finding('concurrency.threads-mismatch', 'critical', {
      target: { kind: 'Service', namespace: 'shop', name: 'orders', container: 'app' },
      current: { containerConcurrency: 80, THREADS: null },
      recommended: { containerConcurrency: 8 },
      confidence: 'high',
    });
    expect(resultOf(orders, mismatch)).toEqual({
      source: 'pytuner',
      policy: 'concurrency.threads-mismatch',
      category: 'concurrency',
      result: 'fail',
      severity: 'high',
      scored: true,
      message: 'concurrency.threads-mismatch says so',
      resources: [orders],
      properties: { container: 'app', 'current.containerConcurrency': '80', 'current.THREADS': 'null', 'recommended.containerConcurrency': '8', confidence: 'high' },
    });
  });

  it('fails critical findings, warns on warnings and passes info notes', () => {
    const results = namespaceResults([{ resource: orders, findings: [finding('a.one', 'critical'), finding('a.two', 'warning'), finding('a.three', 'info')] }]);
    expect(results.map((r) => [r.policy, r.result, r.severity])).toEqual([
      ['a.one', 'fail', 'high'],
      ['a.three', 'pass', 'info'],
      ['a.two', 'warn', 'medium'],
    ]);
  });

  it('orders results by workload then rule, whatever order the workloads come in', () => {
    const a = namespaceResults([{ resource: orders, findings: [finding('b.rule', 'warning')] }, { resource: carts, findings: [finding('z.rule', 'warning'), finding('a.rule', 'info')] }]);
    const b = namespaceResults([{ resource: carts, findings: [finding('a.rule', 'info'), finding('z.rule', 'warning')] }, { resource: orders, findings: [finding('b.rule', 'warning')] }]);
    expect(a.map((r) => `${r.resources[0]!.name} ${r.policy}`)).toEqual(['carts a.rule', 'carts z.rule', 'orders b.rule']);
    expect(canonicalJson(b)).toBe(canonicalJson(a));
  });
});

describe('reportObject', () => {
  const results = namespaceResults([{ resource: orders, findings: [finding('a.one', 'critical'), finding('a.two', 'warning'), finding('a.three', 'warning')] }]);
  const stamp = { seconds: 1_800_000_000, nanos: 0 };

  it('builds a wgpolicyk8s.io/v1alpha2 PolicyReport named pytuner with a summary of the results', () => {
    const report = reportObject('wgpolicyk8s', 'shop', results, () => stamp);
    expect(report.apiVersion).toBe('wgpolicyk8s.io/v1alpha2');
    expect(report.kind).toBe('PolicyReport');
    expect(report.metadata).toEqual({ name: 'pytuner', namespace: 'shop', labels: { 'app.kubernetes.io/managed-by': 'pytuner' } });
    expect(report.summary).toEqual({ pass: 0, fail: 1, warn: 2, error: 0, skip: 0 });
    expect(report.results.every((r) => r.timestamp === stamp)).toBe(true);
    expect(report.source).toBeUndefined();
  });

  it('builds an openreports.io/v1alpha1 Report that also names its source', () => {
    const report = reportObject('openreports', 'shop', results, () => stamp);
    expect([report.apiVersion, report.kind, report.source]).toEqual(['openreports.io/v1alpha1', 'Report', 'pytuner']);
  });
});

describe('canonicalJson', () => {
  it('is the same for objects whose keys come in another order, and differs when a value differs', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: 'x' } })).toBe(canonicalJson({ a: { c: 'x', d: [1, { x: 1, y: 2 }] }, b: 1 }));
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: 2 }));
  });
});
