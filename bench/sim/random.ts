/**
 * @module Seeded pseudo-random numbers for the simulation: every run with the same seed draws the same numbers, so
 * runs are reproducible and configurations compared on the same seed see the same requests (common random numbers).
 */

/** A source of uniform numbers in [0, 1). */
export type Uniform = () => number;

/**
 * mulberry32 (Tommy Ettinger, public domain): 32 bits of state, full period 2^32, passes gjrand's tests at the
 * sample sizes a simulation of minutes draws. Small and fast, which matters more here than cryptographic quality.
 */
export function mulberry32(seed: number): Uniform {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An independent stream for one purpose (request sizes, arrivals, connections), derived from the run's seed. */
export function stream(seed: number, purpose: number): Uniform {
  // splitmix32-style scramble so seeds 1, 2, 3 and purposes 1, 2, 3 do not give overlapping sequences.
  let z = (seed ^ Math.imul(purpose + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return mulberry32((z ^ (z >>> 16)) >>> 0);
}

/** A distribution of a non-negative duration in seconds. `lognormal` is given by its mean and coefficient of variation. */
export type Distribution =
  | { kind: 'constant'; value: number }
  | { kind: 'exponential'; mean: number }
  | { kind: 'lognormal'; mean: number; cv: number };

/** The mean of a distribution, seconds. */
export function meanOf(d: Distribution): number {
  return d.kind === 'constant' ? d.value : d.mean;
}

/** A sampler for `d` that draws from `uniform`. */
export function sampler(d: Distribution, uniform: Uniform): () => number {
  switch (d.kind) {
    case 'constant':
      return () => d.value;
    case 'exponential':
      return () => -d.mean * Math.log(1 - uniform());
    case 'lognormal': {
      if (d.mean === 0) return () => 0;
      // For a lognormal with mean m and CV c: sigma² = ln(1 + c²), mu = ln(m) - sigma²/2.
      const sigma2 = Math.log(1 + d.cv * d.cv);
      const sigma = Math.sqrt(sigma2);
      const mu = Math.log(d.mean) - sigma2 / 2;
      return () => Math.exp(mu + sigma * standardNormal(uniform));
    }
  }
}

/** One standard normal draw (Box-Muller; the second value is dropped to keep one draw = two uniforms, always). */
function standardNormal(uniform: Uniform): number {
  const u1 = 1 - uniform();
  const u2 = uniform();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
