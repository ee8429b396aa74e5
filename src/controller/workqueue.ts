/**
 * @module The controller's work queue: keys of target workloads, de-duplicated, handed to one worker at a time,
 * delayed (`requeueAfter`) and rate-limited on errors. Modelled on client-go's `workqueue` (a dirty set, a
 * processing set, a delaying layer and a rate limiter), so reconciles stay level-based: the queue holds names, never
 * event payloads. `QueueCore` is pure (every call takes `now`); `WorkQueue` drives it with real timers.
 * @see https://github.com/kubernetes/client-go/tree/master/util/workqueue
 */
import { MinHeap } from './minHeap.ts';

/** Settings of the queue's rate limiting. The defaults are client-go's `DefaultTypedControllerRateLimiter`. */
export interface RateLimits {
  /** First retry delay of a key that failed; doubles on each further failure. Default 5 ms. */
  baseDelayMs: number;
  /** Cap of a key's retry delay. Default 1000 s. */
  maxDelayMs: number;
  /** Overall retries per second over all keys (token bucket refill). Default 10. */
  qps: number;
  /** Retries allowed at once before the bucket throttles. Default 100. */
  burst: number;
}

/** client-go's defaults: `NewTypedItemExponentialFailureRateLimiter(5ms, 1000s)` and `rate.NewLimiter(10, 100)`. */
export const DEFAULT_RATE_LIMITS: RateLimits = { baseDelayMs: 5, maxDelayMs: 1_000_000, qps: 10, burst: 100 };

/**
 * TokenBucket reserves one token per call and says how long the caller must wait for it, like Go's
 * `rate.Limiter.Reserve().Delay()`: tokens may go negative, so waiting callers queue up behind each other.
 */
export class TokenBucket {
  readonly #qps: number;
  readonly #burst: number;
  #tokens: number;
  #last: number | undefined;

  constructor(qps: number, burst: number) {
    if (!(qps > 0) || !(burst >= 1)) throw new Error(`a token bucket needs qps > 0 and burst >= 1, got qps ${qps}, burst ${burst}`);
    this.#qps = qps;
    this.#burst = burst;
    this.#tokens = burst;
  }

  /** Takes one token at `now` (ms) and returns how long to wait, in ms, before using it (0 when one was free). */
  reserve(now: number): number {
    const elapsed = this.#last === undefined ? 0 : Math.max(0, now - this.#last);
    this.#last = now;
    this.#tokens = Math.min(this.#burst, this.#tokens + (elapsed / 1000) * this.#qps);
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / this.#qps) * 1000);
  }
}

/**
 * QueueCore is the queue's state machine, with time passed in. A key is in at most one of: ready (in `#ready`),
 * waiting (in `#waiting`, until its time), processing (handed out, not yet `done`). Adding a key that is ready is a
 * no-op; adding one that is processing marks it dirty so it is handed out again after `done`, never to two workers.
 */
export class QueueCore<K extends string = string> {
  readonly #limits: RateLimits;
  readonly #bucket: TokenBucket;
  readonly #ready: K[] = [];
  /** Keys that must be (or are) in `#ready`: client-go's dirty set. */
  readonly #dirty = new Set<K>();
  readonly #processing = new Set<K>();
  /** Delayed keys and when they become ready (ms). */
  readonly #waiting = new Map<K, number>();
  /**
   * The same, soonest first, for `#promote` and `next` (client-go's delaying queue keeps a heap too): a scan of every
   * waiting key per dequeue made a pass over 20,000 resynced workloads quadratic. An entry whose key has left
   * `#waiting` or waits for another time since is stale and skipped when it surfaces.
   */
  readonly #soonest = new MinHeap<Waiting<K>>();
  readonly #failures = new Map<K, number>();
  #shuttingDown = false;

  constructor(limits: Partial<RateLimits> = {}) {
    this.#limits = { ...DEFAULT_RATE_LIMITS, ...limits };
    this.#bucket = new TokenBucket(this.#limits.qps, this.#limits.burst);
  }

  /** Queues `key` now (dropped once shutting down). A key already waiting becomes ready at once. */
  add(key: K): void {
    if (this.#shuttingDown) return;
    this.#waiting.delete(key);
    if (this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (!this.#processing.has(key)) this.#ready.push(key);
  }

  /** Queues `key` after `delayMs`; an earlier pending time for the key wins, as in client-go's delaying queue. */
  addAfter(key: K, delayMs: number, now: number): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    if (this.#dirty.has(key)) return; // already ready: it will run sooner than asked
    const at = now + delayMs;
    const pending = this.#waiting.get(key);
    if (pending === undefined || at < pending) {
      this.#waiting.set(key, at);
      this.#soonest.push(at, { at, key });
    }
  }

  /**
   * Queues `key` after its failure backoff (base × 2^failures, capped) or the overall bucket's delay, whichever is
   * longer; returns that delay. Call it when a reconcile of `key` failed.
   */
  addRateLimited(key: K, now: number): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    const backoff = Math.min(this.#limits.maxDelayMs, this.#limits.baseDelayMs * 2 ** failures);
    const delay = Math.max(backoff, this.#bucket.reserve(now));
    this.addAfter(key, delay, now);
    return delay;
  }

  /** Clears `key`'s failure count: call it when a reconcile of `key` succeeded. */
  forget(key: K): void {
    this.#failures.delete(key);
  }

  /** How many times `key` failed in a row. */
  failures(key: K): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Moves waiting keys whose time has come to ready. */
  #promote(now: number): void {
    for (let top = this.#current(); top !== undefined && top.at <= now; top = this.#current()) {
      this.#soonest.pop();
      this.add(top.key);
    }
  }

  /** The soonest waiting key, dropping stale heap entries on the way. */
  #current(): Waiting<K> | undefined {
    for (let top = this.#soonest.peek(); top !== undefined; top = this.#soonest.peek()) {
      if (this.#waiting.get(top.key) === top.at) return top;
      this.#soonest.pop();
    }
    return undefined;
  }

  /**
   * The next key to process (now marked processing), or, when none is ready, how long until a waiting key is
   * (`waitMs`, undefined when nothing waits). Hands out nothing once shutting down.
   */
  next(now: number): QueueNext<K> {
    if (this.#shuttingDown) return { waitMs: undefined };
    this.#promote(now);
    const key = this.#ready.shift();
    if (key !== undefined) {
      this.#dirty.delete(key);
      this.#processing.add(key);
      return { key };
    }
    const soonest = this.#current();
    return { waitMs: soonest === undefined ? undefined : Math.max(0, soonest.at - now) };
  }

  /** Marks `key` processed; if it was added meanwhile, it is ready again. */
  done(key: K): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key) && !this.#shuttingDown) this.#ready.push(key);
  }

  /** Stops handing out keys; keys being processed may still call `done`. */
  shutDown(): void {
    this.#shuttingDown = true;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Keys ready to be handed out. */
  depth(): number {
    return this.#ready.length;
  }

  /** Keys waiting for a delay (requeueAfter or backoff). */
  waitingCount(): number {
    return this.#waiting.size;
  }

  /** Keys handed out and not yet done. */
  processingCount(): number {
    return this.#processing.size;
  }
}

/** A waiting key and the time it becomes ready. */
interface Waiting<K> {
  at: number;
  key: K;
}

/** What `QueueCore.next` answers: a key to process, or how long until one is ready (undefined: nothing waits). */
export type QueueNext<K> = { key: K } | { key?: undefined; waitMs: number | undefined };

/** What `WorkQueue` needs from the clock: injected so that tests can drive it. */
export interface QueueClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): { unref?(): unknown };
  clearTimeout(handle: unknown): void;
}

const SYSTEM_CLOCK: QueueClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * WorkQueue drives a `QueueCore` with timers: `get()` resolves with the next key when one is ready (after a delay
 * if need be), or with `undefined` once the queue is shut down.
 */
export class WorkQueue<K extends string = string> {
  readonly core: QueueCore<K>;
  readonly #clock: QueueClock;
  readonly #getters: Array<(key: K | undefined) => void> = [];
  #timer: unknown;
  #timerAt: number | undefined;

  constructor(limits: Partial<RateLimits> = {}, clock: QueueClock = SYSTEM_CLOCK) {
    this.core = new QueueCore<K>(limits);
    this.#clock = clock;
  }

  /** See `QueueCore.add`. */
  add(key: K): void {
    this.core.add(key);
    this.#dispatch();
  }

  /** See `QueueCore.addAfter`. */
  addAfter(key: K, delayMs: number): void {
    this.core.addAfter(key, delayMs, this.#clock.now());
    this.#dispatch();
  }

  /** See `QueueCore.addRateLimited`; returns the delay. */
  addRateLimited(key: K): number {
    const delay = this.core.addRateLimited(key, this.#clock.now());
    this.#dispatch();
    return delay;
  }

  /** See `QueueCore.forget`. */
  forget(key: K): void {
    this.core.forget(key);
  }

  /** See `QueueCore.done`. */
  done(key: K): void {
    this.core.done(key);
    this.#dispatch();
  }

  /**
   * The next key to process; `undefined` once shut down or when `signal` aborts (a worker told to stop, e.g. on
   * losing leadership, must not be handed a key it would not process).
   */
  get(signal?: AbortSignal): Promise<K | undefined> {
    if (this.core.shuttingDown || signal?.aborted === true) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const getter = (key: K | undefined) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(key);
      };
      const onAbort = () => {
        const at = this.#getters.indexOf(getter);
        if (at !== -1) this.#getters.splice(at, 1);
        resolve(undefined);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#getters.push(getter);
      this.#dispatch();
    });
  }

  /** Stops handing out keys: pending `get()` calls resolve with `undefined`. */
  shutDown(): void {
    this.core.shutDown();
    this.#clearTimer();
    for (const resolve of this.#getters.splice(0)) resolve(undefined);
  }

  /** Hands ready keys to waiting getters, and arms one timer for the soonest delayed key. */
  #dispatch(): void {
    if (this.core.shuttingDown) return;
    let waitMs: number | undefined;
    while (this.#getters.length > 0) {
      const next = this.core.next(this.#clock.now());
      if ('waitMs' in next) {
        waitMs = next.waitMs;
        break;
      }
      (this.#getters.shift() as (key: K) => void)(next.key);
    }
    if (this.#getters.length === 0 || waitMs === undefined) return this.#clearTimer();
    const at = this.#clock.now() + waitMs;
    if (this.#timerAt !== undefined && this.#timerAt <= at) return;
    this.#clearTimer();
    this.#timerAt = at;
    const handle = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = undefined;
      this.#dispatch();
    }, waitMs);
    handle.unref?.(); // a pending requeue alone must not keep the process alive
    this.#timer = handle;
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = undefined;
  }
}
