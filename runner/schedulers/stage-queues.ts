/**
 * The stage queues of the threshold policies: WAIT keeps n_js, the type-j prompts at stage s
 * (arXiv 2504.11320v2 §4, Algorithm 1), and Nested WAIT keeps Q_{k,s}, the prompts of segment k at
 * stage s (§5, Algorithm 2). Both form a batch by the same walk: for every non-empty stage, highest
 * first, take the first min(limit, queue size) prompts, where the limit is the threshold n_j or
 * n_k (line 13 of both algorithms).
 *
 * Here a stage queue is a numbered FIFO queue of request ids; the policy decides what the numbers
 * mean (WAIT: one contiguous range of numbers per type, stage s of type j at base_j + s; Nested
 * WAIT: the stage itself) and remembers which queue holds each request.
 *
 * Data structure: one ring buffer per queue (power-of-two capacity, allocated at its first push,
 * doubled when full), a count per queue and a bitset of the non-empty queues. A batch walk costs
 * O(ids taken + non-empty queues + queues spanned / 32): empty stages are skipped a 32-bit word at
 * a time, and taking the front of a queue is O(1) besides copying the ids out. Removing an id from the middle
 * of a queue costs O(ids behind it) (evictions, and requests that finish right after being
 * queued at the back).
 */

const EMPTY = new Int32Array(0);

/** One stage queue: a ring buffer of request ids (capacity 0 or a power of two). */
class Ring {
  buf: Int32Array = EMPTY;
  /** Index in buf of the front id. */
  start = 0;
  count = 0;
}

/** Numbered FIFO queues of request ids with a bitset of the non-empty ones (see the module comment). */
export class StageQueues {
  /** Number of queues; queues are numbered 0 .. queueCount - 1. */
  readonly queueCount: number;
  private readonly rings: Ring[];
  /** Bit q % 32 of word q >> 5 is set iff queue q is not empty. */
  private readonly nonEmpty: Int32Array;

  /** @param queueCount number of queues (>= 0) */
  constructor(queueCount: number) {
    this.queueCount = queueCount;
    this.rings = [];
    for (let q = 0; q < queueCount; q++) this.rings.push(new Ring());
    this.nonEmpty = new Int32Array((queueCount >> 5) + 1);
  }

  /** Number of ids in queue q. */
  size(q: number): number {
    return this.rings[q].count;
  }

  /** The i-th id of queue q from the front (0 = front). @throws RangeError unless 0 <= i < size(q) */
  at(q: number, i: number): number {
    const r = this.rings[q];
    if (!(i >= 0 && i < r.count)) throw new RangeError(`stage queue ${q}: no id at ${i}`);
    return r.buf[(r.start + i) & (r.buf.length - 1)];
  }

  /** Appends `id` at the back of queue q. */
  pushBack(q: number, id: number): void {
    const r = this.rings[q];
    const n = r.count;
    if (n === r.buf.length) grow(r);
    const buf = r.buf;
    buf[(r.start + n) & (buf.length - 1)] = id;
    r.count = n + 1;
    if (n === 0) this.nonEmpty[q >> 5] |= 1 << (q & 31);
  }

  /** Inserts `id` at the front of queue q. */
  pushFront(q: number, id: number): void {
    const r = this.rings[q];
    const n = r.count;
    if (n === r.buf.length) grow(r);
    const s = (r.start - 1) & (r.buf.length - 1);
    r.buf[s] = id;
    r.start = s;
    r.count = n + 1;
    if (n === 0) this.nonEmpty[q >> 5] |= 1 << (q & 31);
  }

  /** Removes and returns the front id of queue q. @throws RangeError when the queue is empty */
  popFront(q: number): number {
    const r = this.rings[q];
    if (r.count === 0) throw new RangeError(`popFront on empty stage queue ${q}`);
    const id = r.buf[r.start];
    r.start = (r.start + 1) & (r.buf.length - 1);
    if (--r.count === 0) this.nonEmpty[q >> 5] &= ~(1 << (q & 31));
    return id;
  }

  /**
   * Removes the i-th id of queue q from the front, keeping the others' order; O(min(i, size - i)).
   * @returns the id removed
   * @throws RangeError unless 0 <= i < size(q)
   */
  removeAt(q: number, i: number): number {
    const r = this.rings[q];
    const n = r.count;
    if (!(i >= 0 && i < n)) throw new RangeError(`stage queue ${q}: no id at ${i}`);
    const buf = r.buf;
    const mask = buf.length - 1;
    const s = r.start;
    const id = buf[(s + i) & mask];
    if (i < n - 1 - i) {
      // Shift the ids in front of it back by one.
      for (let k = i; k > 0; k--) buf[(s + k) & mask] = buf[(s + k - 1) & mask];
      r.start = (s + 1) & mask;
    } else {
      // Shift the ids behind it forward by one.
      for (let k = i; k < n - 1; k++) buf[(s + k) & mask] = buf[(s + k + 1) & mask];
    }
    if (--r.count === 0) this.nonEmpty[q >> 5] &= ~(1 << (q & 31));
    return id;
  }

  /**
   * Removes `id` from queue q, keeping the others' order. Searches from the back, so it costs
   * O(ids behind it).
   * @returns whether `id` was in queue q
   */
  remove(q: number, id: number): boolean {
    const r = this.rings[q];
    const buf = r.buf;
    const mask = buf.length - 1;
    for (let i = r.count - 1; i >= 0; i--) {
      if (buf[(r.start + i) & mask] === id) {
        this.removeAt(q, i);
        return true;
      }
    }
    return false;
  }

  /**
   * The batch walk of Algorithm 1 and Algorithm 2 (line 13 of both): for every non-empty queue
   * q from `highest` down to `lowest`, the first min(limit, size(q)) ids, front first. The
   * queues are not changed (see take).
   * @param highest highest queue number walked (inclusive)
   * @param lowest lowest queue number walked (inclusive)
   * @param limit most ids taken per queue: one number for every queue (Infinity for all), or
   *   an array of limits indexed by queue number
   * @param out receives the ids, from index 0: queues in descending order, each front first
   * @returns the number of ids written to `out`
   */
  select(highest: number, lowest: number, limit: number | Int32Array, out: Int32Array): number {
    return this.walk(highest, lowest, limit, out, false);
  }

  /** How many ids select would write, without writing them: O(non-empty queues + spanned / 32). */
  count(highest: number, lowest: number, limit: number | Int32Array): number {
    return this.walk(highest, lowest, limit, null, false);
  }

  /**
   * Like select, but also removes the ids written to `out` from their queues (the rest of each
   * queue keeps its order); O(1) per queue besides copying the ids.
   */
  take(highest: number, lowest: number, limit: number | Int32Array, out: Int32Array): number {
    return this.walk(highest, lowest, limit, out, true);
  }

  private walk(
    highest: number,
    lowest: number,
    limit: number | Int32Array,
    out: Int32Array | null,
    detach: boolean,
  ): number {
    if (highest < lowest || highest < 0) return 0;
    const limits = typeof limit === 'number' ? null : limit;
    const uniform = typeof limit === 'number' ? limit : 0;
    const { rings, nonEmpty } = this;
    const lowestWord = lowest >> 5;
    let n = 0;
    let w = highest >> 5;
    // The set bits of word w not visited yet; queues above `highest` masked off.
    let word = nonEmpty[w] & (((2 << (highest & 31)) - 1) | 0);
    for (;;) {
      // Queues of word w that this take empties: their bits are cleared once, after the word.
      let emptied = 0;
      let done = false;
      while (word !== 0) {
        const bit = 31 - Math.clz32(word);
        const q = (w << 5) + bit;
        if (q < lowest) {
          done = true;
          break;
        }
        word &= ~(1 << bit);
        const r = rings[q];
        const cap = limits === null ? uniform : limits[q];
        const size = r.count;
        const taken = cap < size ? cap : size;
        if (taken <= 0) continue;
        const buf = r.buf;
        const mask = buf.length - 1;
        const s = r.start;
        if (out === null) n += taken;
        else for (let i = 0; i < taken; i++) out[n++] = buf[(s + i) & mask];
        if (detach) {
          r.start = (s + taken) & mask;
          r.count = size - taken;
          if (size === taken) emptied |= 1 << bit;
        }
      }
      if (emptied !== 0) nonEmpty[w] &= ~emptied;
      if (done || --w < lowestWord) return n;
      word = nonEmpty[w];
    }
  }
}

/** Doubles a ring's buffer (at least 4 slots), its ids moved to the front. */
function grow(r: Ring): void {
  const old = r.buf;
  const next = new Int32Array(Math.max(4, old.length * 2));
  const mask = old.length - 1;
  for (let i = 0; i < r.count; i++) next[i] = old[(r.start + i) & mask];
  r.buf = next;
  r.start = 0;
}
