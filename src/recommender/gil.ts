/**
 * @module The GIL in numbers. A CPython worker process runs Python code on one core at a time, whatever its threads,
 * so an instance serves at most `min(workers, vCPU) / (CPU seconds per request)` requests per second; and a single
 * worker on several vCPU shows as CPU per instance stuck near one core while latency and queues grow (the vCPU hotspot).
 */
import type { LoadPoint } from './points.ts';
import { median } from './points.ts';

/** CPU seconds one request costs, and how it was measured. */
export interface CpuCost {
  secondsPerRequest: number;
  points: number;
}

/**
 * CPU seconds per request = cpuCoresPerInstance / (requestRate / instances), the median over the busier half of the
 * steps with CPU data (at low traffic, CPU the app burns between requests — timers, a profiler agent — would inflate
 * it). `undefined` without CPU data.
 */
export function cpuSecondsPerRequest(points: readonly LoadPoint[]): CpuCost | undefined {
  const withCpu = points.filter((p) => p.cpuCores !== undefined && p.throughput > 0).sort((a, b) => b.throughput - a.throughput);
  if (withCpu.length === 0) return undefined;
  const busier = withCpu.slice(0, Math.max(1, Math.ceil(withCpu.length / 2)));
  return { secondsPerRequest: median(busier.map((p) => p.cpuCores! / p.throughput))!, points: busier.length };
}

/** The GIL-aware bound: requests per second one instance can serve, each worker process using at most one core. */
export function gilCapacity(workers: number, vcpus: number, cpuSecondsPerRequest: number): number {
  return Math.min(workers, vcpus) / cpuSecondsPerRequest;
}

/** A vCPU hotspot: CPU per instance plateaus near one core on a multi-vCPU instance while latency or the queue grows. */
export interface Hotspot {
  /** Median CPU cores per instance over the busiest quarter of the steps. */
  cpuCores: number;
  vcpus: number;
  /** p95 of the busiest quarter over the p95 at low concurrency. */
  p95Ratio: number;
  /** Median requests waiting in the queue-proxy per instance over the busiest quarter (0 when not reported). */
  waiting: number;
  points: number;
}

/** CPU per instance within this band around one core counts as "capped at one core". */
const ONE_CORE = { low: 0.8, high: 1.1 } as const;

/**
 * Detects the hotspot: on more than one vCPU, the busiest quarter of the steps (by concurrency, at least 4) uses a median
 * 0.8–1.1 cores and no step uses more than 1.2, while their p95 is at least 1.5 × the baseline p95 or requests queue
 * (a median of at least one request per instance waiting in the queue-proxy). `undefined` when not detected or not decidable.
 */
export function detectHotspot(points: readonly LoadPoint[], vcpus: number, baselineP95: number): Hotspot | undefined {
  if (vcpus <= 1) return undefined;
  const withCpu = points.filter((p) => p.cpuCores !== undefined);
  if (withCpu.length < 8) return undefined;
  if (Math.max(...withCpu.map((p) => p.cpuCores!)) > 1.2) return undefined;
  const busiest = [...withCpu].sort((a, b) => b.concurrency - a.concurrency).slice(0, Math.max(4, Math.ceil(withCpu.length / 4)));
  const cpuCores = median(busiest.map((p) => p.cpuCores!))!;
  if (cpuCores < ONE_CORE.low || cpuCores > ONE_CORE.high) return undefined;
  const p95s = busiest.flatMap((p) => (p.p95 === undefined ? [] : [p.p95]));
  const p95Ratio = p95s.length === 0 ? 0 : median(p95s)! / baselineP95;
  const waiting = median(busiest.map((p) => p.waiting ?? 0))!;
  if (p95Ratio < 1.5 && waiting < 1) return undefined;
  return { cpuCores, vcpus, p95Ratio, waiting, points: busiest.length };
}
