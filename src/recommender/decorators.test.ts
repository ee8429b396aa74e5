import { describe, expect, it } from 'vitest';
import type { Estimator } from './decorators.ts';
import { withBounds, withConfidence, withHysteresis, withStepCap } from './decorators.ts';
import type { Confidence, Outcome } from './types.ts';

const confidence = (level: Confidence['level']): Confidence => ({ points: 50, concurrencyRange: [0.2, 40], windowSeconds: 3600, level, notes: ['a note'] });

/** An estimator that recommends `target` with the current value `current`. */
const fixed =
  (target: number, current?: number, level: Confidence['level'] = 'high'): Estimator<null> =>
  () => {
    const r: Outcome<number> = { kind: 'recommendation', value: target, target, confidence: confidence(level), evidence: [] };
    if (current !== undefined) r.current = current;
    return r;
  };

const valueOf = (o: Outcome<number>) => (o.kind === 'recommendation' ? [o.value, o.target] : o.reason);

describe('guardrails', () => {
  it('withBounds clamps value and target and rounds them', () => {
    const bounds = () => ({ min: 1, max: 1000, what: 'containerConcurrency' });
    expect(valueOf(withBounds(fixed(2500), bounds)(null))).toEqual([1000, 1000]);
    expect(valueOf(withBounds(fixed(0.3), bounds)(null))).toEqual([1, 1]);
    expect(valueOf(withBounds(fixed(46.4), bounds)(null))).toEqual([46, 46]);
    const clamped = withBounds(fixed(2500), bounds)(null);
    expect(clamped.kind === 'recommendation' && clamped.evidence.at(-1)?.text).toBe('containerConcurrency: kept within 1–1000');
  });

  it('withStepCap moves at most ×2 or ÷2 from the current value and keeps the target', () => {
    expect(valueOf(withStepCap(fixed(3, 80), 2)(null))).toEqual([40, 3]);
    expect(valueOf(withStepCap(fixed(500, 80), 2)(null))).toEqual([160, 500]);
    expect(valueOf(withStepCap(fixed(100, 80), 2)(null))).toEqual([100, 100]);
    expect(valueOf(withStepCap(fixed(500), 2)(null))).toEqual([500, 500]);
  });

  it('withHysteresis keeps the current value for a change under 10%', () => {
    expect(valueOf(withHysteresis(fixed(85, 80), 0.1)(null))).toEqual([80, 85]);
    expect(valueOf(withHysteresis(fixed(88, 80), 0.1)(null))).toEqual([88, 88]);
    expect(valueOf(withHysteresis(fixed(72, 80), 0.1)(null))).toEqual([72, 72]);
    expect(valueOf(withHysteresis(fixed(73, 80), 0.1)(null))).toEqual([80, 73]);
  });

  it('withConfidence withholds a recommendation below the minimum level, as insufficient data', () => {
    expect(withConfidence(fixed(10, undefined, 'low'), 'medium')(null)).toEqual({ kind: 'insufficient', reason: 'confidence low is below the medium required (a note)', have: 'low', need: 'medium' });
    expect(valueOf(withConfidence(fixed(10, undefined, 'medium'), 'medium')(null))).toEqual([10, 10]);
  });

  it('passes insufficient outcomes through untouched', () => {
    const none: Estimator<null> = () => ({ kind: 'insufficient', reason: 'no data', have: 0, need: 12 });
    expect(withHysteresis(withStepCap(withBounds(none, () => ({ min: 1, max: 2, what: 'x' })), 2), 0.1)(null)).toEqual({ kind: 'insufficient', reason: 'no data', have: 0, need: 12 });
  });
});
