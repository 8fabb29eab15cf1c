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
 * Data structure: intrusive doubly linked lists in flat typed arrays, so that a queue costs no
 * object and no buffer of its own (WAIT keeps one queue per (type, stage), tens of thousands of
 * them, most holding one prompt): per queue its head, tail and size (one Int32Array, three slots
 * per queue), per request id its successor, predecessor and queue. An id is in at most
 * one queue at a time (pushing an id that is queued throws), which is how both policies use them.
 * A bitset marks the non-empty queues. A batch walk costs O(ids taken + non-empty queues + queues
 * spanned / 32): empty stages are skipped a 32-bit word at a time. Pushes, popFront and remove
 * are O(1); at and removeAt O(min(i, size - i)).
 */

const NONE = -1;

/** Numbered FIFO queues of request ids with a bitset of the non-empty ones (see the module comment). */
export class StageQueues {
  /** Number of queues; queues are numbered 0 .. queueCount - 1. */
  readonly queueCount: number;
  /** Queue q: head id at 3q, tail id at 3q + 1 (NONE when empty), size at 3q + 2. */
  private readonly ends: Int32Array;
  /** Per id: the next id towards the back of its queue, the previous one, and its queue (NONE if none). */
  private next: Int32Array;
  private prev: Int32Array;
  private queueOf: Int32Array;
  /** Bit q % 32 of word q >> 5 is set iff queue q is not empty. */
  private readonly nonEmpty: Int32Array;

  /**
   * @param queueCount number of queues (>= 0)
   * @param idCount ids expected, 0 .. idCount - 1 (the id arrays grow past it when needed)
   */
  constructor(queueCount: number, idCount = 0) {
    this.queueCount = queueCount;
    this.ends = new Int32Array(3 * queueCount);
    for (let q = 0; q < queueCount; q++) {
      this.ends[3 * q] = NONE;
      this.ends[3 * q + 1] = NONE;
    }
    const ids = Math.max(16, idCount);
    this.next = new Int32Array(ids);
    this.prev = new Int32Array(ids);
    this.queueOf = new Int32Array(ids).fill(NONE);
    this.nonEmpty = new Int32Array((queueCount >> 5) + 1);
  }

  /** Number of ids in queue q. */
  size(q: number): number {
    return this.ends[3 * q + 2];
  }

  /** The i-th id of queue q from the front (0 = front). @throws RangeError unless 0 <= i < size(q) */
  at(q: number, i: number): number {
    if (!(i >= 0 && i < this.ends[3 * q + 2])) throw new RangeError(`stage queue ${q}: no id at ${i}`);
    return this.nodeAt(q, i);
  }

  /** Appends `id` at the back of queue q. @throws RangeError when `id` is already in a queue */
  pushBack(q: number, id: number): void {
    this.claim(q, id);
    const ends = this.ends;
    const tail = ends[3 * q + 1];
    this.prev[id] = tail;
    this.next[id] = NONE;
    if (tail === NONE) {
      ends[3 * q] = id;
      this.nonEmpty[q >> 5] |= 1 << (q & 31);
    } else {
      this.next[tail] = id;
    }
    ends[3 * q + 1] = id;
    ends[3 * q + 2]++;
  }

  /** Inserts `id` at the front of queue q. @throws RangeError when `id` is already in a queue */
  pushFront(q: number, id: number): void {
    this.claim(q, id);
    const ends = this.ends;
    const head = ends[3 * q];
    this.next[id] = head;
    this.prev[id] = NONE;
    if (head === NONE) {
      ends[3 * q + 1] = id;
      this.nonEmpty[q >> 5] |= 1 << (q & 31);
    } else {
      this.prev[head] = id;
    }
    ends[3 * q] = id;
    ends[3 * q + 2]++;
  }

  /** Removes and returns the front id of queue q. @throws RangeError when the queue is empty */
  popFront(q: number): number {
    const id = this.ends[3 * q];
    if (id === NONE) throw new RangeError(`popFront on empty stage queue ${q}`);
    this.unlink(q, id);
    return id;
  }

  /**
   * Removes the i-th id of queue q from the front, keeping the others' order; O(min(i, size - i)).
   * @returns the id removed
   * @throws RangeError unless 0 <= i < size(q)
   */
  removeAt(q: number, i: number): number {
    const id = this.at(q, i);
    this.unlink(q, id);
    return id;
  }

  /**
   * Removes `id` from queue q, keeping the others' order; O(1).
   * @returns whether `id` was in queue q
   */
  remove(q: number, id: number): boolean {
    if (!(id >= 0 && id < this.queueOf.length) || this.queueOf[id] !== q) return false;
    this.unlink(q, id);
    return true;
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
   * queue keeps its order); O(1) per queue besides visiting the ids taken.
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
    const { ends, nonEmpty, next, prev, queueOf } = this;
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
        const cap = limits === null ? uniform : limits[q];
        const size = ends[3 * q + 2];
        const taken = cap < size ? cap : size;
        if (taken <= 0) continue;
        let id = ends[3 * q];
        if (out === null) n += taken;
        else if (detach) {
          for (let i = 0; i < taken; i++) {
            out[n++] = id;
            queueOf[id] = NONE;
            id = next[id];
          }
        } else {
          for (let i = 0; i < taken; i++) {
            out[n++] = id;
            id = next[id];
          }
        }
        if (detach) {
          // id: the first one left in the queue, if any.
          ends[3 * q] = id;
          ends[3 * q + 2] = size - taken;
          if (size === taken) {
            ends[3 * q + 1] = NONE;
            emptied |= 1 << bit;
          } else {
            prev[id] = NONE;
          }
        }
      }
      if (emptied !== 0) nonEmpty[w] &= ~emptied;
      if (done || --w < lowestWord) return n;
      word = nonEmpty[w];
    }
  }

  /** Records that `id` joins queue q, growing the id arrays when needed. @throws RangeError when it is queued */
  private claim(q: number, id: number): void {
    if (!(q >= 0 && q < this.queueCount)) throw new RangeError(`no stage queue ${q}`);
    if (!(id >= 0)) throw new RangeError(`no request #${id}`);
    if (id >= this.queueOf.length) this.growIds(id + 1);
    const now = this.queueOf[id];
    if (now !== NONE) throw new RangeError(`request #${id} is already in stage queue ${now}`);
    this.queueOf[id] = q;
  }

  /** Takes `id` out of queue q (where it is). */
  private unlink(q: number, id: number): void {
    const { ends, next, prev } = this;
    const p = prev[id];
    const s = next[id];
    if (p === NONE) ends[3 * q] = s;
    else next[p] = s;
    if (s === NONE) ends[3 * q + 1] = p;
    else prev[s] = p;
    this.queueOf[id] = NONE;
    if (--ends[3 * q + 2] === 0) this.nonEmpty[q >> 5] &= ~(1 << (q & 31));
  }

  /** The i-th id of queue q (0 <= i < size), walked from the nearer end. */
  private nodeAt(q: number, i: number): number {
    const size = this.ends[3 * q + 2];
    if (i < size - 1 - i) {
      let id = this.ends[3 * q];
      for (let k = 0; k < i; k++) id = this.next[id];
      return id;
    }
    let id = this.ends[3 * q + 1];
    for (let k = size - 1; k > i; k--) id = this.prev[id];
    return id;
  }

  /** Grows the id arrays to hold ids below `ids` (at least doubling). */
  private growIds(ids: number): void {
    const length = Math.max(ids, 2 * this.queueOf.length);
    const grow = (a: Int32Array, fill: number): Int32Array => {
      const b = new Int32Array(length).fill(fill);
      b.set(a);
      return b;
    };
    this.next = grow(this.next, NONE);
    this.prev = grow(this.prev, NONE);
    this.queueOf = grow(this.queueOf, NONE);
  }
}
