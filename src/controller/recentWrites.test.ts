import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { TuningRecommendation } from '../api/v1alpha1/tuningRecommendation.ts';
import { DEFAULT_RECENT_WRITE_TTL_MS, RecentWrites } from './recentWrites.ts';
import { cachedRecommendation, cachedStatusDigest } from './shardCache.ts';
import { statusDigest } from './statusDigest.ts';

const rec = (resourceVersion: string, name = 'service-orders'): KubernetesObject => ({ apiVersion: 'pytuner.dev/v1alpha1', kind: 'TuningRecommendation', metadata: { name, namespace: 'shop', resourceVersion } });

describe('RecentWrites', () => {
  it('answers the cache while nothing was written', () => {
    const writes = new RecentWrites();
    expect(writes.read('shop', 'service-orders', undefined)).toEqual({ from: 'cache', object: undefined });
    expect(writes.read('shop', 'service-orders', rec('5'))).toEqual({ from: 'cache', object: rec('5') });
  });

  it('answers its own write until the cache holds that version, then the cache again', () => {
    let now = 0;
    const writes = new RecentWrites(30_000, () => now);
    writes.remember(rec('9'), rec('5'));
    now = 29_000;
    expect(writes.read('shop', 'service-orders', rec('5'))).toEqual({ from: 'written', object: rec('9') });
    expect(writes.read('shop', 'service-orders', undefined)).toEqual({ from: 'written', object: rec('9') });
    expect(writes.read('shop', 'service-orders', rec('9'))).toEqual({ from: 'cache', object: rec('9') });
    expect(writes.size).toBe(0);
  });

  it('is confirmed by the watch event of the written version, and not by another one', () => {
    const writes = new RecentWrites();
    writes.remember(rec('9'), rec('5'));
    writes.remember(rec('3', 'deployment-reports'), undefined);
    writes.observed(false, rec('8'));
    expect(writes.size).toBe(2);
    writes.observed(false, rec('9'));
    writes.observed(true, rec('2', 'deployment-reports'));
    expect(writes.size).toBe(0);
    expect(writes.read('shop', 'service-orders', rec('8'))).toEqual({ from: 'cache', object: rec('8') });
  });

  it('sends the caller to the API server when the cache has not confirmed a write in time', () => {
    let now = 0;
    const writes = new RecentWrites(30_000, () => now);
    writes.remember(rec('9'), rec('5'));
    now = 30_001;
    expect(writes.read('shop', 'service-orders', rec('5'))).toEqual({ from: 'server' });
    expect(writes.size).toBe(0);
  });

  it('sends the next read to the API server after a write of unknown outcome, whatever the cache holds', () => {
    const writes = new RecentWrites();
    writes.remember(rec('9'), rec('5'));
    writes.unsure('shop', 'service-orders');
    writes.observed(false, rec('9'));
    expect(writes.read('shop', 'service-orders', rec('9'))).toEqual({ from: 'server' });
    expect(writes.read('shop', 'service-orders', rec('9'))).toEqual({ from: 'cache', object: rec('9') });
  });

  it('does not keep a write the cache already holds (its event came before the answer was handled)', () => {
    const writes = new RecentWrites();
    writes.remember(rec('9'), rec('9'));
    expect(writes.size).toBe(0);
  });

  it('sweeps entries past the TTL once a thousand are held', () => {
    let now = 0;
    const writes = new RecentWrites(30_000, () => now);
    for (let i = 0; i < 1_023; i++) writes.remember(rec('9', `r-${i}`), undefined);
    now = 30_001;
    writes.remember(rec('9', 'fresh'), undefined);
    expect(writes.size).toBe(1);
  });

  it('holds no more than the writes of one TTL, however many come unconfirmed', () => {
    let now = 0;
    const writes = new RecentWrites(30_000, () => now);
    // 80 writes a second for five minutes, none confirmed by the watch (it lags more than the TTL).
    let most = 0;
    for (let i = 0; i < 80 * 300; i++) {
      now = i * 12.5;
      writes.remember(rec('9', `r-${i}`), undefined);
      most = Math.max(most, writes.size);
    }
    expect(most).toBe(80 * 30 + 1);
    // A write again of an old key counts from its new time: it is not dropped with the entries of its first one.
    now += 29_000;
    writes.remember(rec('10', 'r-0'), undefined);
    now += 2_000;
    writes.unsure('shop', 'other');
    expect(writes.read('shop', 'r-0', undefined)).toEqual({ from: 'written', object: rec('10', 'r-0') });
    expect(writes.size).toBe(2);
  });

  it('holds a written recommendation in the form the cache keeps, not the API server\'s answer', () => {
    const status = {
      summary: { findings: 1, critical: 0, warning: 1, info: 0, recommended: 'containerConcurrency 8' },
      findings: [{ rule: 'concurrency.threads-mismatch', severity: 'warning', message: 'gunicorn has 8 slots', evidence: 'sum(rate(revision_app_request_count[5m]))' }],
      recommendations: [{ setting: 'containerConcurrency', value: '8', rule: 'concurrency.threads-mismatch', confidence: 1 }],
      fix: { jsonPatch: '[{"op":"replace","path":"/spec/template/spec/containerConcurrency","value":8}]' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'Evaluated', message: 'evaluated', lastTransitionTime: '2026-12-07T00:00:00Z' }],
    };
    const answered = {
      apiVersion: 'pytuner.dev/v1alpha1',
      kind: 'TuningRecommendation',
      metadata: { name: 'service-orders', namespace: 'shop', resourceVersion: '9', managedFields: [{ manager: 'pytuner', operation: 'Apply', fieldsV1: { 'f:status': {} } }] },
      spec: { targetRef: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'orders' }, policy: 'default' },
      status,
    } as unknown as TuningRecommendation;
    const writes = new RecentWrites<TuningRecommendation>(DEFAULT_RECENT_WRITE_TTL_MS, undefined, cachedRecommendation);
    writes.remember(answered, undefined);
    const read = writes.read('shop', 'service-orders', undefined);
    if (read.from !== 'written') throw new Error(`read from ${read.from}`);
    expect(read.object.status).toEqual({ summary: status.summary, conditions: status.conditions });
    expect(read.object.metadata).not.toHaveProperty('managedFields');
    // A reconcile compares its new status with the digest of the whole one, as with the cache's copy.
    expect(cachedStatusDigest(read.object)).toBe(statusDigest(status));
  });
});
