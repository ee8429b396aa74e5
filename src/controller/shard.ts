/**
 * @module Static sharding by namespace, as kube-state-metrics (`--shard`, `--total-shards`) and Argo CD's application
 * controller do it: shard N of M owns the namespaces whose FNV-1a hash is N modulo M. All of a namespace belongs to one
 * shard (its workloads, its TuningPolicies and their status, its TuningRecommendations), so two shards never write the
 * same object and a policy's metrics are read by one shard only. The hash is FNV-1a 32-bit over the namespace's UTF-8
 * bytes: stable across processes, versions and platforms (unlike a language's string hash), so every replica of every
 * shard agrees on the owner without talking to the others. Pure: no I/O.
 * @see http://www.isthe.com/chongo/tech/comp/fnv/index.html (FNV-1a, offset basis 2166136261, prime 16777619)
 */

/** Which shard this controller is: `index` of `total` (0 ≤ index < total). One shard of one owns everything. */
export interface ShardConfig {
  index: number;
  total: number;
}

/** Every namespace in one shard: the default, and what a controller without `--total-shards` runs as. */
export const SINGLE_SHARD: ShardConfig = { index: 0, total: 1 };

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const utf8 = new TextEncoder();

/** fnv1a32 is the 32-bit FNV-1a hash of `text`'s UTF-8 bytes, as an unsigned integer. */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of utf8.encode(text)) {
    hash ^= byte;
    // Math.imul keeps the multiplication in 32 bits (a plain * loses the low bits past 2^53).
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/** shardOf is the shard (0..total-1) that owns `namespace`. */
export function shardOf(namespace: string, total: number): number {
  return fnv1a32(namespace) % total;
}

/** True when `shard` owns `namespace`. */
export function ownsNamespace(shard: ShardConfig, namespace: string): boolean {
  return shard.total <= 1 || shardOf(namespace, shard.total) === shard.index;
}

/**
 * The Lease a shard's replicas elect their leader on: the base name alone for a single shard (so an unsharded
 * install keeps its Lease), `<base>-shard-<index>` otherwise. Replicas of one shard share it; shards never do.
 */
export function shardLeaseName(base: string, shard: ShardConfig): string {
  return shard.total <= 1 ? base : `${base}-shard-${shard.index}`;
}

/** Why a `--shard`/`--total-shards` pair is invalid, or undefined when it is valid. */
export function shardProblem(shard: ShardConfig): string | undefined {
  if (!Number.isInteger(shard.total) || shard.total < 1) return `--total-shards must be a whole number >= 1, got ${shard.total}`;
  if (!Number.isInteger(shard.index) || shard.index < 0 || shard.index >= shard.total) {
    return `--shard must be a whole number from 0 to ${shard.total - 1} (--total-shards ${shard.total}), got ${shard.index}`;
  }
  return undefined;
}

/** How a shard is named in logs and /readyz: `1/3`. */
export function shardLabel(shard: ShardConfig): string {
  return `${shard.index}/${shard.total}`;
}
