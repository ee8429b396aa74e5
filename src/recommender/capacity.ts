/**
 * @module The latency model: throughput, mean and p95 latency of one instance at N requests in flight, for a given
 * server shape, from three measured quantities — CPU seconds per request, the rest of the request's time (I/O waits)
 * and vCPU — and the shape of the latency distribution at low concurrency.
 *
 * It is mean value analysis (Reiser & Lavenberg) of a closed network per instance:
 * - threaded workers (gunicorn gthread, and async event loops): each worker is one core shared by its requests' CPU
 *   phases (the GIL: processor sharing, so the mean is exact whatever the request-size distribution), plus an I/O
 *   delay. Keep-alive connections are pinned to the worker that accepted them, uniformly at random, so the N requests
 *   split over the workers as a multinomial; the model averages over those splits (exactly while there are at most
 *   20,000 splits, by a second-order approximation beyond). With more workers than vCPU, busy workers share the cores.
 * - sync workers (threads = 1): a worker holds a request for its whole duration, I/O included; requests beyond the
 *   workers wait in the listen backlog. The workers' CPU phases share min(active, vCPU) cores.
 * - event loops (uvicorn, gunicorn's UvicornWorker, gevent): a loop is one thread running its connections' CPU phases
 *   in turn, so one worker is the same station as a threaded worker (its core shared by its requests, plus the I/O
 *   delay), and keep-alive connections are pinned to the worker that accepted them: the same multinomial split.
 *   Behind a proxy that opens connections as its concurrency grows (Knative's queue-proxy, Cloud Run's front end), the
 *   accepts come one at a time and spread: measured in the lab (docs/lab/findings.md, run 6), 2, 3 and 4 UvicornWorkers
 *   served 515, 612 and 569 req/s within the objective, one loop at most 410. A client that opens all its
 *   connections at once straight to the server can land them on one loop (asyncio's accept handler takes every pending
 *   connection: run 1, wrk without a proxy); the CPU bound of the recommender leaves the headroom for that.
 * - free-threaded CPython (PEP 703, `python:3.13t`, `PYTHON_GIL=0`): a worker's threads run Python on several cores at
 *   once, so threaded workers are one flow-equivalent station of min(in flight, vCPU) cores for the whole instance,
 *   whatever the worker count and however connections are pinned (`freeThreaded` on the candidate). Sync workers and
 *   event loops are unchanged: a process or a loop still runs one request's Python at a time.
 * The p95 is that of a mixture: requests on a worker holding k connections have the low-concurrency latency
 * distribution (a lognormal with the measured p95/mean) scaled to that worker's mean latency.
 */

/** What one request costs, measured. */
export interface Demands {
  cpuSeconds: number;
  /** Time a request spends off the CPU without contention (I/O waits): baseline mean latency − CPU. */
  ioSeconds: number;
  vcpus: number;
  /** σ of one request's latency at low concurrency, taken as lognormal (see `latencySigma`). */
  latencySigma: number;
}

/** `threads`: requests share their worker's core (gthread); `sync`: one request per worker; `loop`: an event loop. */
export type WorkerModel = 'sync' | 'threads' | 'loop';

/** A server shape the recommender considers. */
export interface ServerCandidate {
  workers: number;
  model: WorkerModel;
  /** A free-threaded build: threads of one worker run Python in parallel (only `threads` changes; see the module comment). */
  freeThreaded?: boolean;
}

/** What the model predicts at one concurrency. */
export interface Prediction {
  concurrency: number;
  /** Requests per second per instance. */
  throughput: number;
  meanLatency: number;
  p95: number;
}

/** Splits enumerated exactly up to this many; a 4-worker split of 46 requests has 18,424. */
const MAX_SPLITS = 20_000;

/** Core shares at which per-worker throughput is tabulated when workers outnumber vCPU (interpolated in between). */
const SPEED_GRID = 9;

/** Mixture components below this weight do not move a p95. */
const NEGLIGIBLE = 1e-7;

/** Predictions for one server shape (tables are cached across concurrencies). */
export class CapacityModel {
  readonly demands: Demands;
  readonly candidate: ServerCandidate;
  /** cv² of a request's parts (its I/O time, its CPU time), from the measured shape of the whole (see `partsCv2`). */
  private readonly partsCv2: number;

  constructor(demands: Demands, candidate: ServerCandidate) {
    this.demands = demands;
    this.candidate = candidate;
    this.partsCv2 = partsCv2(demands);
  }

  predict(concurrency: number): Prediction {
    const n = Math.max(1, Math.round(concurrency));
    // An event loop runs one request's Python at a time whatever the build, so it is a threaded worker under a GIL.
    const means = this.candidate.model === 'sync' ? this.syncComponents(n) : this.candidate.model === 'threads' && this.candidate.freeThreaded === true ? this.parallelThreadComponents(n) : this.threadComponents(n);
    const components = means.map((c) => ({ ...c, sigma: this.componentSigma(c) }));
    const meanLatency = components.reduce((sum, c) => sum + c.weight * c.mean, 0);
    return { concurrency: n, throughput: n / meanLatency, meanLatency, p95: mixtureQuantile(components, 0.95) };
  }

  /**
   * σ of one component's latency: its I/O part keeps its size, the rest (CPU stretched by sharing, plus any wait in
   * the backlog, which varies about as much as its mean) grows; variances of independent parts add, and the sum is
   * taken as lognormal with those moments (Fenton–Wilkinson).
   */
  private componentSigma(c: MeanComponent): number {
    const io = this.demands.ioSeconds;
    const work = Math.max(0, c.mean - io - c.wait);
    const variance = this.partsCv2 * io * io + workCv2(this.partsCv2, work / this.demands.cpuSeconds, work / c.mean) * work * work + c.wait * c.wait;
    return Math.sqrt(Math.log(1 + variance / (c.mean * c.mean)));
  }

  /** Sync workers: a flow-equivalent server of min(N, workers) requests, each a worker, sharing the vCPU. */
  private syncComponents(n: number): MeanComponent[] {
    const { cpuSeconds, ioSeconds, vcpus } = this.demands;
    const inService = Math.min(n, this.candidate.workers);
    const throughput = loadDependentMva((j) => Math.min(vcpus, j) / cpuSeconds, ioSeconds, inService);
    const service = inService / throughput;
    const mean = n / throughput;
    return [{ weight: 1, mean, wait: mean - service }];
  }

  /**
   * Threads on a free-threaded build: every request in flight has a thread (threads cover the concurrency) and runs its
   * CPU phases on any of the vCPU, so the instance is one station of min(in flight, vCPU) cores plus the I/O delay.
   */
  private parallelThreadComponents(n: number): MeanComponent[] {
    const { cpuSeconds, ioSeconds, vcpus } = this.demands;
    return [{ weight: 1, mean: n / loadDependentMva((j) => Math.min(vcpus, j) / cpuSeconds, ioSeconds, n), wait: 0 }];
  }

  /** Threaded workers and event loops: per-worker MVA over the multinomial split of connections. */
  private threadComponents(n: number): MeanComponent[] {
    const { workers } = this.candidate;
    const perWorker = workers <= this.demands.vcpus ? singleServerMva(this.demands.cpuSeconds, this.demands.ioSeconds, n) : this.sharedCoreThroughputs(n);
    if (workers === 1) return [{ weight: 1, mean: n / perWorker[n]!, wait: 0 }];
    if (compositions(n, workers) <= MAX_SPLITS) return exactSplits(n, workers, perWorker);
    return approximateSplits(n, workers, perWorker);
  }

  /**
   * With more workers than vCPU, active workers share the cores. A worker holding k of the n connections runs at
   * E[min(1, vCPU / A)], A = 1 + the other workers active, each active with the probability of a worker holding their
   * average share (n − k) / (w − 1) of the connections (binomial, independence assumed); that probability comes from a
   * first pass at the average core share. Throughput of a worker holding k: per-worker MVA at its own speed.
   */
  private sharedCoreThroughputs(n: number): number[] {
    const { workers } = this.candidate;
    const { vcpus, cpuSeconds, ioSeconds } = this.demands;
    const average = this.averageCoreShare(n);
    const table = singleServerMva(cpuSeconds / average, ioSeconds, n);
    const activity = (m: number) => {
      const lo = Math.floor(m);
      const hi = Math.min(n, lo + 1);
      const x = table[lo]! + (m - lo) * (table[hi]! - table[lo]!);
      return Math.min(1, (x * cpuSeconds) / average);
    };
    // Tables at a grid of speeds, interpolated: one MVA per grid point instead of one per k.
    const slowest = Math.min(1, vcpus / workers);
    const grid = Array.from({ length: SPEED_GRID }, (_, i) => slowest + ((1 - slowest) * i) / (SPEED_GRID - 1));
    const tables = grid.map((speed) => singleServerMva(cpuSeconds / speed, ioSeconds, n));
    const out = [0];
    for (let k = 1; k <= n; k++) {
      const speed = expectedShare(workers - 1, activity((n - k) / (workers - 1)), vcpus);
      const at = slowest === 1 ? 0 : Math.min(SPEED_GRID - 1, Math.max(0, ((speed - slowest) / (1 - slowest)) * (SPEED_GRID - 1)));
      const lo = Math.min(SPEED_GRID - 2, Math.floor(at));
      const f = at - lo;
      out.push((1 - f) * tables[lo]![k]! + f * tables[lo + 1]![k]!);
    }
    return out;
  }

  /**
   * The core share a busy worker gets on average: vCPU over the busy workers expected alongside it, a fixed point of the
   * workers' CPU utilisation (independence assumed).
   */
  private averageCoreShare(n: number): number {
    const { workers } = this.candidate;
    const { vcpus, cpuSeconds, ioSeconds } = this.demands;
    const split = binomial(n, 1 / workers);
    let speed = 1;
    for (let i = 0; i < 50; i++) {
      const throughput = expectedMvaThroughput(cpuSeconds / speed, ioSeconds, split);
      const busy = Math.min(1, (throughput * cpuSeconds) / speed);
      const next = Math.min(1, vcpus / (1 + (workers - 1) * busy));
      if (Math.abs(next - speed) < 1e-5) return next;
      speed = (speed + next) / 2;
    }
    return speed;
  }
}

/** A part of the latency mixture: `weight` of the requests have mean latency `mean`, of which `wait` in a backlog. */
interface MeanComponent {
  weight: number;
  mean: number;
  wait: number;
}

interface Component extends MeanComponent {
  sigma: number;
}

/**
 * cv² of a request's CPU time stretched by sharing its core with the requests beside it: time = CPU × S, the slowdown
 * S = 1 + (others on the core at the moment). Each other request is on the core a fraction `onCore` of its time, so
 * the others are binomial: mean `stretch − 1`, variance (stretch − 1)(1 − onCore). For independent CPU and S:
 * cv²(time) = cv²(CPU) + (1 + cv²(CPU)) × Var(S) / E(S)².
 */
function workCv2(cpuCv2: number, stretch: number, onCore: number): number {
  const s = Math.max(1, stretch);
  return cpuCv2 + ((1 + cpuCv2) * (s - 1) * (1 - Math.min(1, onCore))) / (s * s);
}

/**
 * σ of a lognormal latency from its mean and percentiles: from the p95 (ln(p95/mean) = 1.645σ − σ²/2) and, when known,
 * the median (ln(mean/p50) = σ²/2), averaged. Prometheus' `histogram_quantile` interpolates linearly inside a bucket,
 * which overstates a tail quantile where the density falls across the bucket (by 4–20% for the p95 in the quality
 * bench's scenarios) and the median much less; the average of both is within 8% of the true σ there.
 */
export function latencySigma(mean: number, p95: number, p50?: number): number {
  const fromP95 = lognormalSigma(p95 / mean);
  if (p50 === undefined || p50 <= 0 || p50 >= mean) return fromP95;
  return (fromP95 + Math.sqrt(2 * Math.log(mean / p50))) / 2;
}

/**
 * The measured shape at low concurrency gives the cv² of a whole request (a lognormal's cv² = e^σ² − 1). Taking its
 * I/O and CPU parts as independent with a common cv: cv²(whole) = cv²(part) × (io² + cpu²) / (io + cpu)².
 */
function partsCv2(demands: Demands): number {
  const sigma = demands.latencySigma;
  const whole = Math.exp(sigma * sigma) - 1;
  const { ioSeconds: io, cpuSeconds: cpu } = demands;
  const sumSquares = io * io + cpu * cpu;
  return sumSquares > 0 ? (whole * (io + cpu) ** 2) / sumSquares : whole;
}

/** E[min(1, vCPU / (1 + A))] for A ~ Binomial(others, p): the core share of an active worker among `others` workers. */
function expectedShare(others: number, p: number, vcpus: number): number {
  if (p <= 0) return Math.min(1, vcpus);
  if (p >= 1) return Math.min(1, vcpus / (1 + others));
  const odds = p / (1 - p);
  let probability = (1 - p) ** others;
  let share = 0;
  for (let a = 0; a <= others; a++) {
    share += probability * Math.min(1, vcpus / (1 + a));
    probability = (probability * (others - a) * odds) / (a + 1);
  }
  return share;
}

/** Σ weights[k] × X(k) for the single-server MVA (see `singleServerMva`), without keeping the table. */
function expectedMvaThroughput(cpu: number, io: number, weights: readonly number[]): number {
  let queue = 0;
  let sum = 0;
  for (let k = 1; k < weights.length; k++) {
    const residence = cpu * (1 + queue);
    const x = k / (residence + io);
    queue = x * residence;
    sum += weights[k]! * x;
  }
  return sum;
}

/** Throughput of one PS server (demand `cpu`) plus a delay `io`, for populations 0..n (exact MVA). */
export function singleServerMva(cpu: number, io: number, n: number): number[] {
  const throughput = [0];
  let queue = 0;
  for (let k = 1; k <= n; k++) {
    const residence = cpu * (1 + queue);
    const x = k / (residence + io);
    queue = x * residence;
    throughput.push(x);
  }
  return throughput;
}

/**
 * Throughput of a load-dependent station (service rate `rate(j)` with j present) plus a delay `io`, at population n
 * (exact MVA with marginal probabilities, Menascé et al., Performance by Design, ch. 14).
 */
export function loadDependentMva(rate: (j: number) => number, io: number, n: number): number {
  let marginal = [1];
  let throughput = 0;
  for (let k = 1; k <= n; k++) {
    let residence = 0;
    for (let j = 1; j <= k; j++) residence += (j / rate(j)) * (marginal[j - 1] ?? 0);
    throughput = k / (residence + io);
    const next = new Array<number>(k + 1).fill(0);
    let sum = 0;
    for (let j = 1; j <= k; j++) {
      next[j] = (throughput / rate(j)) * (marginal[j - 1] ?? 0);
      sum += next[j]!;
    }
    next[0] = Math.max(0, 1 - sum);
    marginal = next;
  }
  return throughput;
}

/** P(k) of Binomial(n, p) for k = 0..n. */
export function binomial(n: number, p: number): number[] {
  const out = new Array<number>(n + 1).fill(0);
  if (p >= 1 || p <= 0) {
    out[p >= 1 ? n : 0] = 1;
    return out;
  }
  const logStart = n * Math.log1p(-p);
  if (logStart > -700) {
    // P(k + 1) = P(k) × (n − k) / (k + 1) × p / (1 − p): no logarithm per term while (1 − p)^n is representable.
    const odds = p / (1 - p);
    out[0] = Math.exp(logStart);
    for (let k = 0; k < n; k++) out[k + 1] = (out[k]! * (n - k) * odds) / (k + 1);
    return out;
  }
  let logChoose = 0;
  for (let k = 0; k <= n; k++) {
    if (k > 0) logChoose += Math.log(n - k + 1) - Math.log(k);
    out[k] = Math.exp(logChoose + k * Math.log(p) + (n - k) * Math.log1p(-p));
  }
  return out;
}

/** Ways to split n connections over w workers: C(n + w − 1, w − 1). */
function compositions(n: number, w: number): number {
  let c = 1;
  for (let i = 1; i < w; i++) c = (c * (n + i)) / i;
  return c;
}

/**
 * Every split of n connections over the workers, with its multinomial probability. Each split serves the same share
 * of requests (connections live for a number of requests), so a worker holding k connections in split s carries
 * P(s) × X(k) / ΣX(s) of all requests, at mean latency k / X(k). The workers are alike, so every reordering of a split
 * carries the same: the walk visits each split once as a non-increasing k₁ ≥ … ≥ k_w and counts its reorderings
 * (w! / Π multiplicity!), about a twentieth of the splits it enumerated one by one (18,424 → 920 for 4 workers, 46).
 */
function exactSplits(n: number, workers: number, perWorker: readonly number[]): MeanComponent[] {
  const weightByK = new Float64Array(n + 1);
  const logFactorial = new Float64Array(Math.max(n, workers) + 1);
  for (let i = 2; i < logFactorial.length; i++) logFactorial[i] = logFactorial[i - 1]! + Math.log(i);
  // ln(n! / w^n × w!): the multinomial's numerator with every reordering of a split counted.
  const logBase = logFactorial[n]! - n * Math.log(workers) + logFactorial[workers]!;
  const ks = new Int32Array(workers);
  // logDenominator: Σ ln kᵢ! + Σ ln(multiplicity!) so far; run: how many of the ks so far equal the last one.
  const visit = (worker: number, left: number, max: number, logDenominator: number, total: number, run: number) => {
    const last = worker === workers - 1;
    const remaining = workers - worker;
    for (let k = Math.min(left, max); k * remaining >= left; k--) {
      const sameRun = worker > 0 && ks[worker - 1] === k ? run + 1 : 1;
      const denominator = logDenominator + logFactorial[k]! + Math.log(sameRun);
      ks[worker] = k;
      if (!last) {
        visit(worker + 1, left - k, k, denominator, total + perWorker[k]!, sameRun);
        continue;
      }
      const probability = Math.exp(logBase - denominator);
      const sum = total + perWorker[k]!;
      for (let i = 0; i < workers; i++) {
        const held = ks[i]!;
        if (held > 0) weightByK[held] = weightByK[held]! + (probability * perWorker[held]!) / sum;
      }
    }
  };
  visit(0, n, n, 0, 0, 0);
  const components: MeanComponent[] = [];
  for (let k = 1; k <= n; k++) if (weightByK[k]! > 0) components.push({ weight: weightByK[k]!, mean: k / perWorker[k]!, wait: 0 });
  return normalise(components);
}

/**
 * Many connections per worker: one worker's share is Binomial(n, 1/w); the mean latency n / ΣX gets the second-order
 * (delta method) correction for the variance of ΣX beyond what the fixed total n explains.
 */
function approximateSplits(n: number, workers: number, perWorker: readonly number[]): MeanComponent[] {
  const split = binomial(n, 1 / workers);
  let mean = 0;
  let meanSquare = 0;
  let meanK = 0;
  for (let k = 0; k <= n; k++) {
    mean += split[k]! * perWorker[k]!;
    meanSquare += split[k]! * perWorker[k]! ** 2;
    meanK += split[k]! * k;
  }
  let covariance = 0;
  for (let k = 0; k <= n; k++) covariance += split[k]! * (k - meanK) * (perWorker[k]! - mean);
  const varianceK = (n * (workers - 1)) / (workers * workers);
  const residual = Math.max(0, meanSquare - mean * mean - (varianceK > 0 ? (covariance * covariance) / varianceK : 0));
  const total = workers * mean;
  const factor = 1 + (workers * residual) / (total * total);
  const components: MeanComponent[] = [];
  for (let k = 1; k <= n; k++) if (split[k]! > 1e-12) components.push({ weight: split[k]! * perWorker[k]!, mean: (k / perWorker[k]!) * factor, wait: 0 });
  return normalise(components);
}

function normalise(components: MeanComponent[]): MeanComponent[] {
  const total = components.reduce((s, c) => s + c.weight, 0);
  return components.map((c) => ({ ...c, weight: c.weight / total }));
}

/**
 * σ of a lognormal whose p95 is `ratio` × its mean: ln(ratio) = 1.645σ − σ²/2, the smaller root. Ratios above
 * e^(1.645²/2) ≈ 3.87 have no lognormal; σ is capped at 1.645 there.
 */
export function lognormalSigma(ratio: number): number {
  const z = 1.6448536269514722;
  const lr = Math.log(Math.max(1.0001, ratio));
  const disc = z * z - 2 * lr;
  return disc <= 0 ? z : Math.max(0.01, z - Math.sqrt(disc));
}

/**
 * The q-quantile of a mixture of lognormals given by mean and σ: Newton's method on the log, kept inside a bisection
 * bracket (a step that leaves it bisects instead): about 8 evaluations of the mixture and its density (7.7 on average
 * over workers 1-8, n 1-80) where 40 halvings took 40 of the mixture.
 */
function mixtureQuantile(all: readonly Component[], q: number): number {
  const components = all.filter((c) => c.weight > NEGLIGIBLE);
  const logMeans = components.map((c) => Math.log(c.mean) - (c.sigma * c.sigma) / 2);
  const widest = Math.max(...components.map((c) => c.sigma));
  let lo = Math.log(Math.min(...components.map((c) => c.mean))) - 6 * widest;
  let hi = Math.log(Math.max(...components.map((c) => c.mean))) + 6 * widest;
  let x = (lo + hi) / 2;
  for (let i = 0; i < 100; i++) {
    let p = 0;
    let density = 0;
    for (let j = 0; j < components.length; j++) {
      const { weight, sigma } = components[j]!;
      const z = (x - logMeans[j]!) / sigma;
      p += weight * normalCdf(z);
      density += (weight * Math.exp(-0.5 * z * z)) / (sigma * SQRT_2PI);
    }
    if (p < q) lo = x;
    else hi = x;
    const newton = density > 0 ? x - (p - q) / density : Number.NaN;
    const next = newton > lo && newton < hi ? newton : (lo + hi) / 2;
    // A step below 1e-12 of the log is a relative change of the quantile far below a microsecond.
    if (Math.abs(next - x) < 1e-12 || hi - lo < 1e-12) return Math.exp(next);
    x = next;
  }
  return Math.exp(x);
}

const SQRT_2PI = Math.sqrt(2 * Math.PI);

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 for erf, absolute error < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** The largest concurrency in [1, max] whose predicted p95 meets `objective` (doubling, then bisecting), or `undefined`. */
export function largestConcurrencyWithin(model: CapacityModel, objective: number, max: number): Prediction | undefined {
  const at = (n: number) => model.predict(n);
  let best = at(1);
  if (best.p95 > objective) return undefined;
  let good = 1;
  let bad = 0;
  for (let n = 2; ; n *= 2) {
    if (n > max) {
      const last = at(max);
      if (last.p95 <= objective) return last;
      bad = max;
      break;
    }
    const p = at(n);
    if (p.p95 <= objective) {
      good = n;
      best = p;
    } else {
      bad = n;
      break;
    }
  }
  while (bad - good > 1) {
    const mid = (good + bad) >> 1;
    const p = at(mid);
    if (p.p95 <= objective) {
      good = mid;
      best = p;
    } else bad = mid;
  }
  return best;
}

/**
 * The fewest requests in flight at which `model` serves at least `throughput` requests per second per instance, searched
 * in [1, max] (the model's throughput grows with the requests in flight): Little's law n = X × R(n) with the model's own
 * mean latency R there. `undefined` when even `max` in flight serve less.
 */
export function concurrencyForThroughput(model: CapacityModel, throughput: number, max: number): Prediction | undefined {
  const top = model.predict(max);
  if (top.throughput < throughput) return undefined;
  let enough = top;
  let lo = 0;
  let hi = top.concurrency;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    const p = model.predict(mid);
    if (p.throughput >= throughput) {
      hi = mid;
      enough = p;
    } else lo = mid;
  }
  return enough;
}
