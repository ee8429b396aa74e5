import { describe, expect, it } from 'vitest';
import { parseTuningPolicy, type TuningPolicy } from '../api/v1alpha1/tuningPolicy.ts';
import { optedIn, overlappingCondition, policyRef, selectingPolicies } from './policySelection.ts';

function policy(namespace: string, name: string, created: string, matchLabels?: Record<string, string>): TuningPolicy {
  const parsed = parseTuningPolicy({ apiVersion: 'pytuner.dev/v1alpha1', kind: 'TuningPolicy', metadata: { namespace, name, creationTimestamp: created }, spec: matchLabels === undefined ? {} : { selector: { matchLabels } } });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.policy;
}

describe('selectingPolicies', () => {
  const older = policy('shop', 'zeta', '2026-01-01T00:00:00Z', { tier: 'web' });
  const newer = policy('shop', 'alpha', '2026-02-01T00:00:00Z');
  const sameTime = policy('shop', 'beta', '2026-02-01T00:00:00Z');
  const fallback = policy('pytuner-system', 'default', '2025-01-01T00:00:00Z');

  it("puts the namespace's own policies first, oldest first, then by name, and the cluster default last even when older", () => {
    const names = selectingPolicies({ local: [sameTime, newer, older], fallback }, 'Service', { tier: 'web' }).map((p) => p.metadata.name);
    expect(names).toEqual(['zeta', 'alpha', 'beta', 'default']);
  });
  it('leaves out the policies whose selector does not match, and the default when the namespace did not opt in', () => {
    expect(selectingPolicies({ local: [older, newer] }, 'Deployment', { tier: 'batch' }).map((p) => p.metadata.name)).toEqual(['alpha']);
    expect(selectingPolicies({ local: [], fallback }, 'Deployment', {}).map((p) => p.metadata.name)).toEqual(['default']);
    expect(selectingPolicies({ local: [] }, 'Deployment', {})).toEqual([]);
  });
});

describe('optedIn and policyRef', () => {
  it('opts in on pytuner.dev/enabled=true only', () => {
    expect(optedIn({ 'pytuner.dev/enabled': 'true' })).toBe(true);
    expect(optedIn({ 'pytuner.dev/enabled': 'yes' })).toBe(false);
    expect(optedIn(undefined)).toBe(false);
  });
  it('names a policy by name in its namespace and by namespace/name elsewhere', () => {
    const p = policy('pytuner-system', 'default', '2025-01-01T00:00:00Z');
    expect(policyRef(p, 'pytuner-system')).toBe('default');
    expect(policyRef(p, 'shop')).toBe('pytuner-system/default');
  });
});

describe('overlappingCondition', () => {
  it('is False when no workload is shared', () => {
    expect(overlappingCondition('shop/a', [])).toMatchObject({ status: 'False', reason: 'NoOverlap' });
  });
  it('names the other policy, the workloads and which one governs them, from either side', () => {
    const shared = [
      { workload: 'Service shop/orders', selecting: ['shop/a', 'shop/b'] },
      { workload: 'Deployment shop/api', selecting: ['shop/a', 'shop/b', 'sys/default'] },
    ];
    const winner = overlappingCondition('shop/a', shared);
    expect(winner).toMatchObject({ status: 'True', reason: 'SelectorsOverlap' });
    expect(winner.message).toMatch(/^TuningPolicy shop\/b also selects Deployment shop\/api, Service shop\/orders \(this policy governs them\); TuningPolicy sys\/default also selects Deployment shop\/api \(this policy governs them\) \(/);
    const loser = overlappingCondition('shop/b', shared);
    expect(loser.message).toMatch(/^TuningPolicy shop\/a also selects Deployment shop\/api, Service shop\/orders \(shop\/a governs them; this policy does nothing there\) \(/);
    // The default policy is told only about the policy that governs in its place.
    expect(overlappingCondition('sys/default', shared).message).toMatch(/^TuningPolicy shop\/a also selects Deployment shop\/api \(shop\/a governs them; this policy does nothing there\) \(/);
  });
});
