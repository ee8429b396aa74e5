/**
 * @module The brute force behind the oracle: server shapes (workers × a threads rule) and, for each, the largest
 * concurrency whose measured p95 meets the objective, found by stepping ×1.5 from a starting guess and then bisecting.
 * Shapes that cannot beat the best found so far (their GIL bound is lower) are skipped. Pure: the measuring is
 * passed in, so the search is tested against synthetic servers.
 */

/** A server configuration and the concurrency (in-flight requests per instance) it runs at. */
export interface LabConfig {
  workers: number;
  /** Threads per worker: 1 is gunicorn's sync worker class, > 1 gthread; 0 is an event loop (uvicorn, UvicornWorker). */
  threads: number;
  concurrency: number;
}

/** `2x12@12`: the key of a configuration's measurements. */
export function configKey(config: LabConfig): string {
  return `${config.workers}x${config.threads}@${config.concurrency}`;
}

/** `2 × 12 threads, cc 12`, `3 sync, cc 3`, `2 workers (async), cc 40`. */
export function describeConfig(config: LabConfig): string {
  const server = config.threads === 0 ? `${config.workers} ${config.workers === 1 ? 'worker' : 'workers'} (async)` : config.threads === 1 ? `${config.workers} sync` : `${config.workers} × ${config.threads} threads`;
  return `${server}, cc ${config.concurrency}`;
}

/**
 * How a family of shapes sets its threads for a concurrency: `sync` one per worker; `cover` threads = concurrency
 * (each worker can hold every connection: keep-alive connections stay with the worker that accepted them);
 * `split` threads = concurrency / workers (enough only when the connections spread evenly); `async` an event loop.
 */
export type ThreadsRule = 'sync' | 'cover' | 'split' | 'async';

/** Shapes with a fixed worker count and a threads rule. */
export interface ShapeFamily {
  workers: number;
  rule: ThreadsRule;
}

/** The configuration of a family at a concurrency (gthread needs at least 2 threads: gunicorn runs 1 as sync). */
export function configOf(family: ShapeFamily, concurrency: number): LabConfig {
  const threads =
    family.rule === 'sync' ? 1
    : family.rule === 'async' ? 0
    : family.rule === 'cover' ? Math.max(2, concurrency)
    : Math.max(2, Math.ceil(concurrency / family.workers));
  return { workers: family.workers, threads, concurrency };
}

/** The family a configuration belongs to: event loop, sync, threads covering the concurrency, or split over the workers. */
export function familyOfConfig(config: LabConfig): ShapeFamily {
  const rule: ThreadsRule = config.threads === 0 ? 'async' : config.threads === 1 ? 'sync' : config.threads >= config.concurrency ? 'cover' : 'split';
  return { workers: config.workers, rule };
}

/** `2 × cover`. */
export function describeFamily(family: ShapeFamily): string {
  return `${family.workers} ${family.rule}`;
}

/** What one measured concurrency says. */
export interface Probe {
  meets: boolean;
  /** Throughput at the objective (req/s): the throughput when the objective is met, else 0. */
  score: number;
}

/** How the edge is searched. */
export interface EdgeOptions {
  start: number;
  max: number;
  /** Factor between successive concurrencies while looking for the edge. */
  stepFactor: number;
  /** Bisection stops when the gap is at most this fraction of the concurrency that meets (and at most 1 apart at small values). */
  resolution: number;
}

export const DEFAULT_EDGE: Omit<EdgeOptions, 'start'> = { max: 256, stepFactor: 1.5, resolution: 0.15 };

/** The result of one family's search. */
export interface Edge {
  /** The largest concurrency measured to meet the objective (1 when none above 1 did: the objective is defined at 1). */
  largestMeeting: number;
  /** The smallest concurrency measured to miss it, if any. */
  smallestMissing?: number;
  probed: number[];
}

/**
 * The largest concurrency that meets the objective, assuming that it is met below it and missed above. Concurrency 1
 * is never probed: every shape runs one request at a time alike, and the objective is 1.5 × that p95.
 */
export async function edgeSearch(probe: (concurrency: number) => Promise<Probe>, options: EdgeOptions): Promise<Edge> {
  const probed: number[] = [];
  const at = async (c: number) => {
    probed.push(c);
    return (await probe(c)).meets;
  };
  let good = 1;
  let bad: number | undefined;
  const first = Math.min(options.max, Math.max(2, Math.round(options.start)));
  if (await at(first)) {
    good = first;
    while (bad === undefined && good < options.max) {
      const next = Math.min(options.max, Math.max(good + 1, Math.round(good * options.stepFactor)));
      if (await at(next)) good = next;
      else bad = next;
    }
  } else {
    bad = first;
    while (good === 1 && bad > 2) {
      const next = Math.max(2, Math.min(bad - 1, Math.round(bad / options.stepFactor)));
      if (await at(next)) good = next;
      else bad = next;
    }
  }
  while (bad !== undefined && bad - good > Math.max(1, Math.floor(good * options.resolution))) {
    const mid = Math.floor((good + bad) / 2);
    if (await at(mid)) good = mid;
    else bad = mid;
  }
  const edge: Edge = { largestMeeting: good, probed };
  if (bad !== undefined) edge.smallestMissing = bad;
  return edge;
}

/** What the request costs, for the GIL bound of a family. */
export interface RequestCost {
  cpuSecondsPerRequest: number;
  /** Mean latency of one request at a time. */
  baselineLatency: number;
  vcpus: number;
}

/**
 * Requests per second a family can never exceed: a worker process runs Python on one core at a time (the GIL), so
 * min(workers, vCPU) / CPU per request; a sync worker also serves one request at a time, workers / latency.
 */
export function upperBound(family: ShapeFamily, cost: RequestCost): number {
  const gil = Math.min(family.workers, cost.vcpus) / cost.cpuSecondsPerRequest;
  return family.rule === 'sync' ? Math.min(gil, family.workers / cost.baselineLatency) : gil;
}

/** A family skipped because its bound is below the best score found: it cannot win. */
export interface Skipped {
  family: ShapeFamily;
  bound: number;
  best: number;
}

/** A family's search, or why it was not searched. */
export type FamilyResult = { family: ShapeFamily; edge: Edge } | { family: ShapeFamily; skipped: Skipped };

/** The families in the order they are searched: highest bound first, fewer workers first among equals. */
export function searchOrder(families: readonly ShapeFamily[], cost: RequestCost): ShapeFamily[] {
  return [...families].sort((a, b) => upperBound(b, cost) - upperBound(a, cost) || a.workers - b.workers);
}

/**
 * Searches every family's edge in `searchOrder`, starting each from the previous family's edge, and skips a family whose
 * bound, with a 20% allowance (the best score so far is one short measurement, and CPU per request is measured too), is
 * below the best score so far. `stop` ends the
 * sweep early (a time budget); the families not reached are left out.
 */
export async function sweepFamilies(
  families: readonly ShapeFamily[],
  cost: RequestCost,
  probe: (family: ShapeFamily, concurrency: number) => Promise<Probe>,
  options: Omit<EdgeOptions, 'start'> & { firstStart: number; stop?: () => boolean },
): Promise<FamilyResult[]> {
  const results: FamilyResult[] = [];
  let best = 0;
  let start = options.firstStart;
  for (const family of searchOrder(families, cost)) {
    if (options.stop?.()) break;
    const bound = upperBound(family, cost);
    if (bound * 1.2 < best) {
      results.push({ family, skipped: { family, bound, best } });
      continue;
    }
    const edge = await edgeSearch(
      async (c) => {
        const p = await probe(family, c);
        best = Math.max(best, p.score);
        return p;
      },
      { ...options, start },
    );
    results.push({ family, edge });
    if (edge.largestMeeting > 1) start = edge.largestMeeting;
  }
  return results;
}
