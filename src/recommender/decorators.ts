/**
 * @module Guardrails as decorators around an estimator, as in the VPA recommender (`WithCPUMargin(fraction, base)`):
 * each wraps an estimator and returns one, so a recommendation pipeline reads as the list of rules it obeys.
 * `withBounds` moves both the step and the target; `withStepCap` and `withHysteresis` only hold back the step.
 */
import type { ConfidenceLevel, Outcome, Recommendation } from './types.ts';
import { CONFIDENCE_LEVELS } from './types.ts';

/** Produces a numeric recommendation, or says why it cannot, from some context. */
export type Estimator<C> = (context: C) => Outcome<number>;

function map<C>(base: Estimator<C>, change: (r: Recommendation<number>, context: C) => Outcome<number>): Estimator<C> {
  return (context) => {
    const outcome = base(context);
    return outcome.kind === 'recommendation' ? change(outcome, context) : outcome;
  };
}

/** Keeps value and target within [min, max] (an integer knob: rounded too), saying so in the evidence when it clamps. */
export function withBounds<C>(base: Estimator<C>, bounds: (context: C) => { min: number; max: number; what: string }): Estimator<C> {
  return map(base, (r, context) => {
    const { min, max, what } = bounds(context);
    const clamp = (v: number) => Math.min(max, Math.max(min, Math.round(v)));
    const target = clamp(r.target);
    if (target === r.target && clamp(r.value) === r.value) return r;
    return { ...r, value: clamp(r.value), target, evidence: [...r.evidence, { metric: 'bounds', text: `${what}: kept within ${min}–${max}` }] };
  });
}

/**
 * At most `factor` × up or ÷ down from the current value per step (VPA-style caution: a controller applying the
 * recommendation gets there in steps, watching the effect of each). No current value, no cap.
 */
export function withStepCap<C>(base: Estimator<C>, factor: number): Estimator<C> {
  return map(base, (r) => {
    if (r.current === undefined || r.current <= 0) return r;
    const low = Math.max(1, Math.ceil(r.current / factor));
    const high = Math.floor(r.current * factor);
    const value = Math.min(high, Math.max(low, r.value));
    if (value === r.value) return r;
    return { ...r, value, evidence: [...r.evidence, { metric: 'guardrail', text: `at most ×${factor} or ÷${factor} per step from ${r.current}: ${value} now, ${r.target} in later steps` }] };
  });
}

/** No change smaller than `fraction` of the current value: the current value is kept (flapping costs a new revision). */
export function withHysteresis<C>(base: Estimator<C>, fraction: number): Estimator<C> {
  return map(base, (r) => {
    if (r.current === undefined || r.value === r.current) return r;
    if (Math.abs(r.value - r.current) >= fraction * r.current) return r;
    return { ...r, value: r.current, evidence: [...r.evidence, { metric: 'guardrail', text: `${r.value} is within ${Math.round(fraction * 100)}% of ${r.current}: kept` }] };
  });
}

/** Withholds a recommendation whose confidence is below `minimum`, as insufficient data. */
export function withConfidence<C>(base: Estimator<C>, minimum: ConfidenceLevel): Estimator<C> {
  return map(base, (r) => {
    if (CONFIDENCE_LEVELS.indexOf(r.confidence.level) >= CONFIDENCE_LEVELS.indexOf(minimum)) return r;
    return { kind: 'insufficient', reason: `confidence ${r.confidence.level} is below the ${minimum} required (${r.confidence.notes.join('; ')})`, have: r.confidence.level, need: minimum };
  });
}
