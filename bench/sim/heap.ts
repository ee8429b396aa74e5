/** @module The simulation's queues: the event heap (the controller's, shared) and a FIFO. */
export { MinHeap } from '../../src/controller/minHeap.ts';

/** A FIFO queue with O(1) push and shift (an array with a moving head, compacted when half is dead). */
export class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(value: T): void {
    this.items.push(value);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const value = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return value;
  }
}
