import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { RecentWrites } from './recentWrites.ts';

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
});
