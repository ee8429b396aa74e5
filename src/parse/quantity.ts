/**
 * @module Kubernetes resource quantities for CPU (`500m`, `2`, `1.5`, `1k`), as in
 * k8s.io/apimachinery `resource.Quantity`: a decimal number with a binary (Ki…Ei), decimal (n u m k M G T P E)
 * or exponent (e3) suffix.
 */

const QUANTITY = /^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+|[numkMGTPE])?$/;

const SUFFIX_SCALE: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/**
 * parseCpuQuantity returns vCPUs (`"500m"` → 0.5, `"2"` → 2, `1` → 1), or undefined when the value is not a
 * non-negative quantity. Sub-unit suffixes divide rather than multiply, so `"100m"` is exactly 0.1.
 */
export function parseCpuQuantity(quantity: string | number): number | undefined {
  if (typeof quantity === 'number') return Number.isFinite(quantity) && quantity >= 0 ? quantity : undefined;
  const match = QUANTITY.exec(quantity.trim());
  if (match === null) return undefined;
  const number = Number(match[1]);
  const suffix = match[2] ?? '';
  if (/^[eE]/.test(suffix)) return number * 10 ** Number(suffix.slice(1));
  const scale = SUFFIX_SCALE[suffix] as number;
  return scale < 1 ? number / Math.round(1 / scale) : number * scale;
}
