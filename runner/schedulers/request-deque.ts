/**
 * A double-ended queue of request ids (ring buffer that grows by doubling). Policies use it for
 * their waiting queue: arrivals join the back, vLLM-style evictions rejoin the front.
 * O(1) amortised for every operation.
 */
export class RequestDeque {
  private buf: Int32Array;
  private head = 0;
  private count = 0;

  constructor(initialCapacity = 1024) {
    this.buf = new Int32Array(Math.max(4, initialCapacity));
  }

  /** Number of ids in the queue. */
  get size(): number {
    return this.count;
  }

  /** The id at the front. @throws RangeError when empty */
  peekFront(): number {
    if (this.count === 0) throw new RangeError('peekFront on an empty queue');
    return this.buf[this.head];
  }

  /** Removes and returns the front id. @throws RangeError when empty */
  popFront(): number {
    if (this.count === 0) throw new RangeError('popFront on an empty queue');
    const id = this.buf[this.head];
    this.head = (this.head + 1) % this.buf.length;
    this.count--;
    return id;
  }

  /** Appends an id at the back. */
  pushBack(id: number): void {
    if (this.count === this.buf.length) this.grow();
    this.buf[(this.head + this.count) % this.buf.length] = id;
    this.count++;
  }

  /** Inserts an id at the front. */
  pushFront(id: number): void {
    if (this.count === this.buf.length) this.grow();
    this.head = (this.head - 1 + this.buf.length) % this.buf.length;
    this.buf[this.head] = id;
    this.count++;
  }

  /** The i-th id from the front (0 = front). */
  at(i: number): number {
    return this.buf[(this.head + i) % this.buf.length];
  }

  private grow(): void {
    const next = new Int32Array(this.buf.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = this.buf[(this.head + i) % this.buf.length];
    this.buf = next;
    this.head = 0;
  }
}
