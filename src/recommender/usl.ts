/**
 * @module The Universal Scalability Law (Gunther): throughput at concurrency N is
 * `X(N) = λN / (1 + σ(N − 1) + κN(N − 1))`, with λ the throughput of one request in flight, σ contention (the share
 * that serialises: the GIL, a lock, one core) and κ coherency (crosstalk that makes throughput fall past a peak).
 * Fitted as usl4j and R's `usl` do: least squares on throughput, here a start from the linearised form and then
 * Levenberg–Marquardt on all three coefficients, with σ and κ kept ≥ 0.
 */

/** One measurement: throughput at a concurrency. */
export interface ThroughputPoint {
  concurrency: number;
  throughput: number;
}

/** USL coefficients and how well they fit. */
export interface UslFit {
  lambda: number;
  sigma: number;
  kappa: number;
  /** Coefficient of determination of the fit on throughput. */
  r2: number;
  points: number;
  /** Distinct concurrency levels the data covers (see `concurrencyLevels`). */
  levels: number;
  /** Concurrency of peak throughput, `sqrt((1 − σ) / κ)` (at least 1); Infinity when κ = 0. */
  peakConcurrency: number;
}

/** Throughput the USL predicts at `n`. */
export function uslThroughput(fit: Pick<UslFit, 'lambda' | 'sigma' | 'kappa'>, n: number): number {
  return (fit.lambda * n) / (1 + fit.sigma * (n - 1) + fit.kappa * n * (n - 1));
}

/** Concurrency levels 20% apart count as distinct (1, 1.2, 1.44, …): what "spans enough levels" means. */
export function concurrencyLevels(concurrencies: readonly number[]): number {
  return new Set(concurrencies.filter((c) => c > 0).map((c) => Math.round(Math.log(c) / Math.log(1.2)))).size;
}

/**
 * Fits the USL to the points at one request in flight or more (the law describes N ≥ 1; averages below 1 are an idle
 * instance). `undefined` when fewer than `minLevels` distinct concurrency levels are present (three coefficients need
 * the curve's shape, not a cloud at one level).
 */
export function fitUsl(data: readonly ThroughputPoint[], minLevels = 5): UslFit | undefined {
  const points = data.filter((p) => p.concurrency >= 1 && p.throughput > 0 && Number.isFinite(p.concurrency) && Number.isFinite(p.throughput));
  const levels = concurrencyLevels(points.map((p) => p.concurrency));
  if (points.length < 3 || levels < minLevels) return undefined;
  let params = linearisedStart(points);
  params = levenbergMarquardt(points, params);
  const [lambda, sigma, kappa] = params;
  return {
    lambda,
    sigma,
    kappa,
    r2: rSquared(points, params),
    points: points.length,
    levels,
    peakConcurrency: kappa > 1e-12 ? Math.max(1, Math.sqrt(Math.max(0, 1 - sigma) / kappa)) : Infinity,
  };
}

type Params = [lambda: number, sigma: number, kappa: number];

/**
 * λ from the points at the lowest concurrency (X/N there, the least contended), then σ and κ by least squares on the
 * linearised form `λN/X − 1 = σ(N − 1) + κN(N − 1)` (Gunther, Guerrilla Capacity Planning ch. 5), both ≥ 0.
 */
function linearisedStart(points: readonly ThroughputPoint[]): Params {
  const sorted = [...points].sort((a, b) => a.concurrency - b.concurrency);
  const lowest = sorted.slice(0, Math.max(1, Math.ceil(sorted.length / 10)));
  const lambda = Math.max(...lowest.map((p) => p.throughput / p.concurrency));
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  let sxz = 0;
  let syz = 0;
  for (const p of points) {
    const x = p.concurrency - 1;
    const y = p.concurrency * (p.concurrency - 1);
    const z = (lambda * p.concurrency) / p.throughput - 1;
    sxx += x * x;
    sxy += x * y;
    syy += y * y;
    sxz += x * z;
    syz += y * z;
  }
  const det = sxx * syy - sxy * sxy;
  let sigma = det !== 0 ? (sxz * syy - syz * sxy) / det : 0;
  let kappa = det !== 0 ? (syz * sxx - sxz * sxy) / det : 0;
  if (sigma < 0 || !Number.isFinite(sigma)) {
    sigma = 0;
    kappa = syy > 0 ? Math.max(0, syz / syy) : 0;
  }
  if (kappa < 0 || !Number.isFinite(kappa)) {
    kappa = 0;
    sigma = sxx > 0 ? Math.max(0, sxz / sxx) : 0;
  }
  return [lambda, Math.min(1, sigma), kappa];
}

function sumOfSquares(points: readonly ThroughputPoint[], params: Params): number {
  let sum = 0;
  for (const p of points) {
    const r = p.throughput - uslThroughput({ lambda: params[0], sigma: params[1], kappa: params[2] }, p.concurrency);
    sum += r * r;
  }
  return sum;
}

function rSquared(points: readonly ThroughputPoint[], params: Params): number {
  const mean = points.reduce((a, p) => a + p.throughput, 0) / points.length;
  const total = points.reduce((a, p) => a + (p.throughput - mean) ** 2, 0);
  return total === 0 ? 1 : 1 - sumOfSquares(points, params) / total;
}

/**
 * Levenberg–Marquardt on (λ, σ, κ) with σ projected onto [0, 1] (the serial fraction) and κ onto ≥ 0; 100 iterations
 * is far more than a 3-parameter fit needs.
 */
function levenbergMarquardt(points: readonly ThroughputPoint[], start: Params): Params {
  let params: Params = [...start];
  let error = sumOfSquares(points, params);
  let damping = 1e-3;
  for (let iteration = 0; iteration < 100; iteration++) {
    const jtj = [
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ];
    const jtr = [0, 0, 0];
    const [lambda, sigma, kappa] = params;
    for (const p of points) {
      const n = p.concurrency;
      const d = 1 + sigma * (n - 1) + kappa * n * (n - 1);
      const f = (lambda * n) / d;
      const grad = [n / d, (-f * (n - 1)) / d, (-f * n * (n - 1)) / d];
      const r = p.throughput - f;
      for (let i = 0; i < 3; i++) {
        jtr[i]! += grad[i]! * r;
        for (let j = 0; j < 3; j++) jtj[i]![j]! += grad[i]! * grad[j]!;
      }
    }
    const step = solve3(
      jtj.map((row, i) => row.map((v, j) => (i === j ? v * (1 + damping) : v))),
      jtr,
    );
    if (step === undefined) break;
    const candidate: Params = [Math.max(1e-12, lambda + step[0]!), Math.min(1, Math.max(0, sigma + step[1]!)), Math.max(0, kappa + step[2]!)];
    const candidateError = sumOfSquares(points, candidate);
    if (candidateError < error) {
      const improvement = error - candidateError;
      params = candidate;
      error = candidateError;
      damping = Math.max(1e-9, damping / 10);
      if (improvement <= 1e-12 * Math.max(1, error)) break;
    } else {
      damping *= 10;
      if (damping > 1e12) break;
    }
  }
  return params;
}

/** Solves a 3×3 linear system by Gaussian elimination with partial pivoting; `undefined` when singular. */
function solve3(a: number[][], b: number[]): number[] | undefined {
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < 3; col++) {
    let pivot = col;
    for (let row = col + 1; row < 3; row++) if (Math.abs(m[row]![col]!) > Math.abs(m[pivot]![col]!)) pivot = row;
    if (Math.abs(m[pivot]![col]!) < 1e-300) return undefined;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    for (let row = col + 1; row < 3; row++) {
      const factor = m[row]![col]! / m[col]![col]!;
      for (let k = col; k < 4; k++) m[row]![k]! -= factor * m[col]![k]!;
    }
  }
  const x = [0, 0, 0];
  for (let row = 2; row >= 0; row--) {
    let sum = m[row]![3]!;
    for (let k = row + 1; k < 3; k++) sum -= m[row]![k]! * x[k]!;
    x[row] = sum / m[row]![row]!;
  }
  return x;
}
