import { describe, expect, it } from 'vitest';
import { decideLease, type LeaseRecord } from './leader.ts';

const held = (holderIdentity: string, resourceVersion = '10'): LeaseRecord => ({ holderIdentity, leaseDurationSeconds: 15, leaseTransitions: 0, resourceVersion });

describe('decideLease', () => {
  it('creates a missing Lease and renews one it holds', () => {
    expect(decideLease(undefined, undefined, 'a', 0)).toBe('create');
    expect(decideLease(held('a'), { resourceVersion: '10', observedAt: 0 }, 'a', 100_000)).toBe('renew');
  });

  it('takes a released Lease (no holder) at once', () => {
    expect(decideLease(held(''), undefined, 'b', 0)).toBe('take');
  });

  it('waits while the holder\'s record keeps changing, by the candidate\'s own clock', () => {
    // First sight of this record: the wait starts now, whatever renewTime says.
    expect(decideLease(held('a', '11'), { resourceVersion: '10', observedAt: 0 }, 'b', 60_000)).toBe('wait');
    expect(decideLease(held('a', '11'), undefined, 'b', 60_000)).toBe('wait');
  });

  it('takes the Lease once its record has not changed for the lease duration', () => {
    const seen = { resourceVersion: '10', observedAt: 1_000 };
    expect(decideLease(held('a'), seen, 'b', 15_999)).toBe('wait');
    expect(decideLease(held('a'), seen, 'b', 16_000)).toBe('take');
  });
});
