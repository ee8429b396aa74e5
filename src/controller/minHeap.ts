/**
 * @module A binary min-heap keyed by a number, with a sequence number breaking ties so that values with the same key
 * come out in the order they were pushed: the controller's delayed keys (client-go's delaying queue keeps a heap too)
 * and the simulation's events (which stay deterministic).
 */

interface Entry<T> {
  key: number;
  seq: number;
  value: T;
}

/** A min-heap of values by numeric key; equal keys pop in push order. */
export class MinHeap<T> {
  private readonly entries: Entry<T>[] = [];
  private pushed = 0;

  get size(): number {
    return this.entries.length;
  }

  push(key: number, value: T): void {
    const entries = this.entries;
    entries.push({ key, seq: this.pushed++, value });
    let i = entries.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(entries[i]!, entries[parent]!)) break;
      [entries[i], entries[parent]] = [entries[parent]!, entries[i]!];
      i = parent;
    }
  }

  /** The smallest key, or `Infinity` when empty. */
  peekKey(): number {
    return this.entries[0]?.key ?? Infinity;
  }

  peek(): T | undefined {
    return this.entries[0]?.value;
  }

  pop(): T | undefined {
    const entries = this.entries;
    const top = entries[0];
    if (top === undefined) return undefined;
    const last = entries.pop()!;
    if (entries.length > 0) {
      entries[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        if (l < entries.length && less(entries[l]!, entries[smallest]!)) smallest = l;
        if (r < entries.length && less(entries[r]!, entries[smallest]!)) smallest = r;
        if (smallest === i) break;
        [entries[i], entries[smallest]] = [entries[smallest]!, entries[i]!];
        i = smallest;
      }
    }
    return top.value;
  }
}

function less<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.key < b.key || (a.key === b.key && a.seq < b.seq);
}
