/**
 * @module The controller's own recent writes of TuningRecommendations, until its cache has seen them. The reconciler
 * reads a recommendation from the cache (no GET per reconcile), but the cache lags the controller's writes by a watch
 * event: a reconcile that read the cache right after a patch could miss its `applied` record and patch again inside
 * the cooldown. So each written object is kept here until the watch delivers that resourceVersion (or a newer one,
 * since events arrive in order) and, meanwhile, is what a read answers. An entry the watch has not confirmed within
 * `ttlMs` (the watch was down, or a re-list skipped that version) is dropped and the caller reads the API server: the
 * same bound client-go's controller expectations put on waiting for a cache (ExpectationsTimeout, 5 min there). After
 * a write whose outcome is unknown (no answer), the next read goes to the API server too.
 *
 * What an entry holds is `keep` of the written object: the controller keeps what its cache would (shardCache.ts
 * cachedRecommendation), not the API server's answer. A heap snapshot of bench:scale at 2,000 workloads (16 workers, a
 * busy machine) found 377 entries of 8.4 KB each (findings with their evidence, the fix's JSON Patch, managedFields as
 * client-node model objects): the watch lags the writes by seconds when the controller is busy, and every write made
 * in that lag was held whole; the cache's form of the same object is about a tenth of it.
 */
/** What RecentWrites reads of an object: where it is and which version. */
export interface Versioned {
  metadata?: { namespace?: string; name?: string; resourceVersion?: string };
}

/** How long an unconfirmed write stands in for the cache before the API server is asked instead. */
export const DEFAULT_RECENT_WRITE_TTL_MS = 30_000;

/** Where a read of a recommendation comes from. */
export type RecentRead<T> =
  /** The cache holds the latest version this controller knows of (or none, and the controller wrote none). */
  | { from: 'cache'; object: T | undefined }
  /** The controller's own write, newer than the cache's copy. */
  | { from: 'written'; object: T }
  /** The cache has not confirmed a write in time: read the API server. */
  | { from: 'server' };

interface Entry<T> {
  /** Undefined: a write failed without a known outcome, and only the API server can say what is stored. */
  object: T | undefined;
  at: number;
}

/** RecentWrites remembers written objects by namespace/name until the cache confirms them. */
export class RecentWrites<T extends Versioned> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #keep: (object: T) => T;

  /** `keep`: what to hold of a written object (what a read needs of it); the object whole by default. */
  constructor(ttlMs = DEFAULT_RECENT_WRITE_TTL_MS, now: () => number = () => performance.now(), keep: (object: T) => T = (object) => object) {
    this.#ttlMs = ttlMs;
    this.#now = now;
    this.#keep = keep;
  }

  /** Entries not confirmed by the cache yet. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Records an object as the API server answered a write of it (with its new resourceVersion) or a read, unless the
   * cache already holds that version (its watch event can arrive before the answer is handled): an entry no event
   * will confirm would otherwise stay until the next read of it. Entries past the TTL are dropped as new ones come.
   */
  remember(object: T, cached: Versioned | undefined): void {
    const key = keyOf(object);
    if (cached !== undefined && cached.metadata?.resourceVersion === object.metadata?.resourceVersion) {
      this.#entries.delete(key);
      return;
    }
    this.#add(key, this.#keep(object));
  }

  /**
   * Adds an entry at the end of the map, which is so kept in the order of `at`, and drops the expired ones at its
   * front: the map never holds more than the writes of one TTL. (A sweep of the whole map once it held 1,024, then
   * twice what the sweep left, let it hold up to twice the writes of a TTL: 4,800 to 9,600 written objects at 80
   * writes a second with a watch more than 30 s behind.)
   */
  #add(key: string, object: T | undefined): void {
    const now = this.#now();
    this.#entries.delete(key);
    this.#entries.set(key, { object, at: now });
    for (const [expired, entry] of this.#entries) {
      if (now - entry.at <= this.#ttlMs) break;
      this.#entries.delete(expired);
    }
  }

  /**
   * Records that a write of `namespace/name` failed in a way that leaves unknown what was stored (no answer, or an
   * error after an earlier write of the same reconcile): the next read goes to the API server.
   */
  unsure(namespace: string, name: string): void {
    this.#add(`${namespace}/${name}`, undefined);
  }

  /**
   * A cache event: the version this controller wrote confirms the entry (the watch delivers in order, so later
   * versions follow it), and a delete ends it. Any other version leaves it: it may be older than the write.
   */
  observed(deleted: boolean, object: Versioned): void {
    const key = keyOf(object);
    const entry = this.#entries.get(key);
    if (entry?.object === undefined) return;
    if (deleted || object.metadata?.resourceVersion === entry.object.metadata?.resourceVersion) this.#entries.delete(key);
  }

  /** What to read for `namespace/name`, given the cache's copy (undefined when the cache has none). */
  read(namespace: string, name: string, cached: T | undefined): RecentRead<T> {
    const key = `${namespace}/${name}`;
    const entry = this.#entries.get(key);
    if (entry === undefined) return { from: 'cache', object: cached };
    if (entry.object === undefined) {
      this.#entries.delete(key);
      return { from: 'server' };
    }
    if (cached?.metadata?.resourceVersion === entry.object.metadata?.resourceVersion) {
      this.#entries.delete(key);
      return { from: 'cache', object: cached };
    }
    if (this.#now() - entry.at <= this.#ttlMs) return { from: 'written', object: entry.object };
    this.#entries.delete(key);
    return { from: 'server' };
  }

}

function keyOf(object: Versioned): string {
  return `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
}
