import { describe, expect, it } from 'vitest';
import { QueueCore, TokenBucket, WorkQueue, type QueueClock } from './workqueue.ts';

/** Drains every key ready at `now`, marking each done. */
function drain(queue: QueueCore, now: number): string[] {
  const keys: string[] = [];
  for (let next = queue.next(now); next.key !== undefined; next = queue.next(now)) {
    keys.push(next.key);
    queue.done(next.key);
  }
  return keys;
}

describe('QueueCore', () => {
  it('hands each key out once however often it was added, in first-added order', () => {
    const queue = new QueueCore();
    for (const key of ['shop/orders', 'shop/cart', 'shop/orders', 'shop/orders']) queue.add(key);
    expect(queue.depth()).toBe(2);
    expect(drain(queue, 0)).toEqual(['shop/orders', 'shop/cart']);
    expect(queue.next(0)).toEqual({ waitMs: undefined });
  });

  it('never hands a key to two workers: added while processing, it comes back after done', () => {
    const queue = new QueueCore();
    queue.add('shop/orders');
    expect(queue.next(0)).toEqual({ key: 'shop/orders' });
    queue.add('shop/orders');
    queue.add('shop/orders');
    expect(queue.next(0)).toEqual({ waitMs: undefined });
    queue.done('shop/orders');
    expect(queue.next(0)).toEqual({ key: 'shop/orders' });
    queue.done('shop/orders');
    expect(queue.next(0)).toEqual({ waitMs: undefined });
  });

  it('delays a key by addAfter, keeping the earliest time asked for', () => {
    const queue = new QueueCore();
    queue.addAfter('shop/orders', 10_000, 1_000);
    queue.addAfter('shop/orders', 3_000, 1_000);
    queue.addAfter('shop/orders', 60_000, 1_000);
    expect(queue.next(1_000)).toEqual({ waitMs: 3_000 });
    expect(queue.next(3_999)).toEqual({ waitMs: 1 });
    expect(queue.next(4_000)).toEqual({ key: 'shop/orders' });
    queue.done('shop/orders');
    expect(queue.waitingCount()).toBe(0);
  });

  it('hands out many delayed keys in time order (ties in the order added), skipping keys added or moved meanwhile', () => {
    const queue = new QueueCore();
    const delays = Array.from({ length: 200 }, (_, i) => ((i * 37) % 50) + 1);
    delays.forEach((delay, i) => queue.addAfter(`k${i}`, delay, 0));
    queue.addAfter('k0', 1_000, 0); // a later time than pending: ignored
    queue.addAfter('k1', 0.5, 0); // an earlier one: wins
    queue.add('k2'); // ready now: its delayed entry is dropped
    expect(drain(queue, 0)).toEqual(['k2']);
    const expected = delays
      .map((delay, i) => ({ key: `k${i}`, at: i === 1 ? 0.5 : delay, i }))
      .filter((e) => e.key !== 'k2')
      .sort((a, b) => a.at - b.at || a.i - b.i);
    expect(queue.next(0)).toEqual({ waitMs: expected[0]!.at });
    const out: string[] = [];
    for (let now = 1; now <= 50; now++) out.push(...drain(queue, now));
    expect(out).toEqual(expected.map((e) => e.key));
    expect(queue.waitingCount()).toBe(0);
    expect(queue.next(60)).toEqual({ waitMs: undefined });
  });

  it('runs a delayed key at once when an event adds it', () => {
    const queue = new QueueCore();
    queue.addAfter('shop/orders', 60_000, 0);
    queue.add('shop/orders');
    expect(queue.next(0)).toEqual({ key: 'shop/orders' });
    expect(queue.waitingCount()).toBe(0);
  });

  it('backs a failing key off exponentially from the base delay to the cap, and forget resets it', () => {
    const queue = new QueueCore({ baseDelayMs: 100, maxDelayMs: 1_000, qps: 1_000, burst: 1_000 });
    const delays = [0, 1, 2, 3, 4, 5].map(() => queue.addRateLimited('shop/orders', 0));
    expect(delays).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect(queue.failures('shop/orders')).toBe(6);
    queue.forget('shop/orders');
    expect(queue.failures('shop/orders')).toBe(0);
    expect(queue.addRateLimited('shop/orders', 0)).toBe(100);
  });

  it('throttles retries of many keys together with the token bucket', () => {
    const queue = new QueueCore({ baseDelayMs: 1, maxDelayMs: 1_000, qps: 2, burst: 2 });
    const delays = ['a', 'b', 'c', 'd'].map((key) => queue.addRateLimited(`ns/${key}`, 0));
    // Two tokens at once, then one every 500 ms, each caller queued behind the last.
    expect(delays).toEqual([1, 1, 500, 1_000]);
  });

  it('hands nothing out once shut down, and drops new keys', () => {
    const queue = new QueueCore();
    queue.add('shop/orders');
    expect(queue.next(0)).toEqual({ key: 'shop/orders' });
    queue.add('shop/cart');
    queue.shutDown();
    queue.add('shop/late');
    expect(queue.next(0)).toEqual({ waitMs: undefined });
    queue.done('shop/orders');
    expect(queue.processingCount()).toBe(0);
  });
});

describe('TokenBucket', () => {
  it('refills at qps up to burst', () => {
    const bucket = new TokenBucket(10, 2);
    expect([bucket.reserve(0), bucket.reserve(0), bucket.reserve(0)]).toEqual([0, 0, 100]);
    // 1 s later the bucket is full again (2 tokens), not 10.
    expect([bucket.reserve(1_100), bucket.reserve(1_100), bucket.reserve(1_100)]).toEqual([0, 0, 100]);
  });

  it('rejects settings that would never refill', () => {
    expect(() => new TokenBucket(0, 1)).toThrow('a token bucket needs qps > 0 and burst >= 1, got qps 0, burst 1');
  });
});

/** A clock whose time moves only when the test says so. */
function manualClock(): QueueClock & { advance(ms: number): void; pending(): number } {
  let now = 0;
  let timers: Array<{ at: number; callback: () => void; id: number }> = [];
  let ids = 0;
  return {
    now: () => now,
    setTimeout(callback, ms) {
      const id = ++ids;
      timers.push({ at: now + ms, callback, id });
      return { id } as unknown as { unref?(): unknown };
    },
    clearTimeout(handle) {
      timers = timers.filter((t) => t.id !== (handle as { id: number }).id);
    },
    advance(ms) {
      now += ms;
      const due = timers.filter((t) => t.at <= now);
      timers = timers.filter((t) => t.at > now);
      for (const t of due) t.callback();
    },
    pending: () => timers.length,
  };
}

describe('WorkQueue', () => {
  it('resolves get() when a key is added, and after a delay for addAfter', async () => {
    const clock = manualClock();
    const queue = new WorkQueue({}, clock);
    const first = queue.get();
    queue.add('shop/orders');
    expect(await first).toBe('shop/orders');
    queue.done('shop/orders');

    queue.addAfter('shop/cart', 5_000);
    let got: string | undefined;
    const second = queue.get().then((key) => (got = key));
    clock.advance(4_999);
    await Promise.resolve();
    expect(got).toBeUndefined();
    clock.advance(1);
    await second;
    expect(got).toBe('shop/cart');
    expect(clock.pending()).toBe(0);
  });

  it('resolves an aborted get() with undefined and hands the next key to the next getter', async () => {
    const queue = new WorkQueue({}, manualClock());
    const stop = new AbortController();
    const stale = queue.get(stop.signal);
    const live = queue.get();
    stop.abort();
    expect(await stale).toBeUndefined();
    queue.add('shop/orders');
    expect(await live).toBe('shop/orders');
    expect(await queue.get(stop.signal)).toBeUndefined();
  });

  it('resolves waiting get() calls with undefined on shutDown', async () => {
    const queue = new WorkQueue({}, manualClock());
    const pending = [queue.get(), queue.get()];
    queue.shutDown();
    expect(await Promise.all(pending)).toEqual([undefined, undefined]);
    expect(await queue.get()).toBeUndefined();
  });
});
