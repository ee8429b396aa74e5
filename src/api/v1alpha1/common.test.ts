import { describe, expect, it } from 'vitest';
import { labelSelectorString, labelsMatch, setCondition, toRfc3339 } from './common.ts';

describe('labelsMatch', () => {
  const labels = { app: 'api', tier: 'web' };
  it('matches like a Kubernetes label selector', () => {
    expect(labelsMatch({}, labels)).toBe(true);
    expect(labelsMatch({ matchLabels: { app: 'api' } }, labels)).toBe(true);
    expect(labelsMatch({ matchLabels: { app: 'worker' } }, labels)).toBe(false);
    expect(labelsMatch({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'edge'] }] }, labels)).toBe(true);
    expect(labelsMatch({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] }, labels)).toBe(false);
    expect(labelsMatch({ matchExpressions: [{ key: 'canary', operator: 'NotIn', values: ['true'] }] }, labels)).toBe(true);
    expect(labelsMatch({ matchExpressions: [{ key: 'app', operator: 'Exists' }] }, labels)).toBe(true);
    expect(labelsMatch({ matchExpressions: [{ key: 'canary', operator: 'DoesNotExist' }] }, labels)).toBe(true);
    expect(labelsMatch({ matchExpressions: [{ key: 'canary', operator: 'In', values: ['true'] }] }, labels)).toBe(false);
  });
});

describe('labelSelectorString', () => {
  it('renders the selector for list and watch requests', () => {
    expect(
      labelSelectorString({
        matchLabels: { app: 'api' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['web', 'edge'] },
          { key: 'env', operator: 'NotIn', values: ['dev'] },
          { key: 'team', operator: 'Exists' },
          { key: 'canary', operator: 'DoesNotExist' },
        ],
      }),
    ).toBe('app=api,tier in (web,edge),env notin (dev),team,!canary');
    expect(labelSelectorString({})).toBe('');
  });
});

describe('setCondition', () => {
  const t0 = new Date('2026-03-01T12:00:00.123Z');
  const t1 = new Date('2026-03-01T13:00:00Z');
  it('adds a condition, moves lastTransitionTime only when the status changes, and keeps the others', () => {
    const first = setCondition([], { type: 'Ready', status: 'False', reason: 'Starting', message: 'caches syncing' }, t0);
    expect(first).toEqual([{ type: 'Ready', status: 'False', reason: 'Starting', message: 'caches syncing', lastTransitionTime: '2026-03-01T12:00:00Z' }]);
    const sameStatus = setCondition(first, { type: 'Ready', status: 'False', reason: 'Starting', message: 'still syncing' }, t1);
    expect(sameStatus[0]?.lastTransitionTime).toBe('2026-03-01T12:00:00Z');
    const both = setCondition(setCondition(sameStatus, { type: 'MetricsAvailable', status: 'True', reason: 'Queried', message: '' }, t1), { type: 'Ready', status: 'True', reason: 'Synced', message: '' }, t1);
    expect(both.map((c) => `${c.type}=${c.status}@${c.lastTransitionTime}`)).toEqual(['Ready=True@2026-03-01T13:00:00Z', 'MetricsAvailable=True@2026-03-01T13:00:00Z']);
  });

  it('formats times as the API server stores metav1.Time', () => {
    expect(toRfc3339(t0)).toBe('2026-03-01T12:00:00Z');
  });
});
