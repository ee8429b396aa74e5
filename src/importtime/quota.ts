/**
 * @module The `--cpu-quota` and `--memory` limits: parsing them, and estimating the wall time under a CPU quota
 * when it cannot be enforced.
 *
 * A CFS quota of q CPUs lets the cgroup run q × 100 ms in every 100 ms period, then throttles it until the next
 * period. A single-threaded start-up that needs C ms of CPU therefore takes about C / q of wall time, plus what it
 * spends waiting (disk, network), which the quota does not slow: 150 ms of import CPU at 0.1 CPU is about 1.5 s.
 */
import { parseCpuQuantity } from '../parse/quantity.ts';

/** The CFS period pytuner uses: the kernel's and Docker's default, 100 ms (`docker run --cpus=0.1` = 10000/100000). */
export const CFS_PERIOD_US = 100_000;
/** The kernel refuses a `cpu.cfs_quota_us` below 1000 µs: 0.01 CPU at a 100 ms period. */
export const MIN_CPU_QUOTA = 0.01;

/** µs of CPU per period for a quota of `cpu` CPUs. */
export function cpuQuotaUs(cpu: number): number {
  return Math.round(cpu * CFS_PERIOD_US);
}

/**
 * `--cpu-quota`: CPUs as a number (`0.1`) or a Kubernetes CPU quantity (`100m`), at least 0.01; undefined when
 * the text is neither.
 */
export function parseCpuQuota(text: string): number | undefined {
  const cpu = parseCpuQuantity(text);
  return cpu === undefined || cpu < MIN_CPU_QUOTA ? undefined : cpu;
}

/**
 * `--memory`: a Kubernetes memory quantity in bytes, as in a Cloud Run or Knative manifest's
 * `resources.limits.memory` (`128Mi` = 134217728, `128M` = 128000000, `1Gi`); undefined unless it is a whole number
 * of bytes of at least 1 MiB. Docker's `128m` is refused: in a quantity `m` means milli.
 */
export function parseMemoryLimit(text: string): number | undefined {
  const bytes = parseCpuQuantity(text);
  return bytes === undefined || !Number.isInteger(bytes) || bytes < 2 ** 20 ? undefined : bytes;
}

/**
 * The wall time the run would take under `cpu` CPUs, from a run without the quota: the CPU time stretched by the
 * quota plus the time spent waiting, and never less than the measured wall time. Exact to about one CFS period
 * (100 ms) for a single-threaded start-up; a multi-threaded one can be throttled sooner.
 */
export function estimateWallMs(measured: { wallMs: number; cpuMs: number }, cpu: number): number {
  const waitingMs = Math.max(0, measured.wallMs - measured.cpuMs);
  return Math.max(measured.wallMs, measured.cpuMs / cpu + waitingMs);
}

/** `134217728` → `128 MiB`, `128000000` → `122.1 MiB`: bytes for a person. */
export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${trimNumber(bytes / 2 ** 30)} GiB`;
  if (bytes >= 2 ** 20) return `${trimNumber(bytes / 2 ** 20)} MiB`;
  if (bytes >= 2 ** 10) return `${trimNumber(bytes / 2 ** 10)} KiB`;
  return `${bytes} B`;
}

function trimNumber(value: number): string {
  return String(Math.round(value * 10) / 10);
}
