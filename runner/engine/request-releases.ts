import { sessionSuccessors, type SessionTurns } from '../workloads/multi-turn.js';

/**
 * The requests of a cluster run still to route (cluster-engine.ts), in (arrival time, id) order.
 * A list without sessions releases its requests as listed (ListReleases); one with multi-turn
 * sessions releases each follow-up turn when its previous turn finishes (SessionReleases).
 */
export interface RequestReleases {
  /** The earliest request's arrival, seconds; Infinity when none is due yet. */
  next(): number;
  /** Whether a request is still to route by `limit` seconds (a finite time or Infinity). */
  dueBy(limit: number): boolean;
  /** Removes the earliest request (see next) and returns its id. */
  take(): number;
  /** Request `id` finished at `t` seconds (a session turn releases its next turn). */
  finished(id: number, t: number): void;
  /** True when no request in progress can release another one. */
  quiet(): boolean;
  /**
   * At the end of the run: marks every follow-up turn never released, its previous turn unfinished
   * (its arrival becomes NaN).
   */
  markUnreleased(): void;
}

/** A list without sessions: its requests in list order. */
export class ListReleases implements RequestReleases {
  private index = 0;
  constructor(private readonly arrival: Float64Array) {}
  next(): number {
    return this.index < this.arrival.length ? this.arrival[this.index] : Infinity;
  }
  dueBy(limit: number): boolean {
    return this.index < this.arrival.length && this.arrival[this.index] <= limit;
  }
  take(): number {
    return this.index++;
  }
  finished(): void {}
  quiet(): boolean {
    return true;
  }
  markUnreleased(): void {}
}

/**
 * A list with sessions: the first turns in list order, merged with a binary min-heap of the
 * follow-up turns released so far, keyed by (release time, id). A follow-up turn enters the heap
 * when its previous turn finishes, with `arrival` set to max(its placeholder, finish + think time).
 */
export class SessionReleases implements RequestReleases {
  private index = 0;
  private readonly heap: number[] = [];
  private readonly successor: Int32Array;
  private readonly released: Uint8Array;
  /** Turns taken (routed) that have a next turn and have not finished. */
  private live = 0;

  /** @param arrival the run's own arrival array (rewritten at each release) */
  constructor(
    private readonly arrival: Float64Array,
    private readonly sessions: SessionTurns,
  ) {
    this.successor = sessionSuccessors(sessions);
    // A first turn's arrival is known from the start (released then, routed or not).
    this.released = Uint8Array.from(sessions.previous, (p) => (p < 0 ? 1 : 0));
    this.skipFollowUps();
  }

  next(): number {
    const a = this.index < this.arrival.length ? this.arrival[this.index] : Infinity;
    return this.heap.length > 0 ? Math.min(a, this.arrival[this.heap[0]]) : a;
  }

  dueBy(limit: number): boolean {
    return (
      (this.index < this.arrival.length && this.arrival[this.index] <= limit) ||
      (this.heap.length > 0 && this.arrival[this.heap[0]] <= limit)
    );
  }

  take(): number {
    let id: number;
    if (
      this.heap.length > 0 &&
      (this.index >= this.arrival.length || this.before(this.heap[0], this.index))
    ) {
      id = this.pop();
    } else {
      id = this.index++;
      this.skipFollowUps();
    }
    if (this.successor[id] >= 0) this.live++;
    return id;
  }

  finished(id: number, t: number): void {
    const after = this.successor[id];
    if (after < 0) return;
    this.live--;
    this.arrival[after] = Math.max(this.arrival[after], t + this.sessions.thinkTime[after]);
    this.released[after] = 1;
    this.push(after);
  }

  quiet(): boolean {
    return this.live === 0;
  }

  markUnreleased(): void {
    for (let id = 0; id < this.arrival.length; id++) if (this.released[id] === 0) this.arrival[id] = NaN;
  }

  private skipFollowUps(): void {
    const previous = this.sessions.previous;
    while (this.index < previous.length && previous[this.index] >= 0) this.index++;
  }

  /** Whether request a is routed before request b: earlier arrival, then lower id. */
  private before(a: number, b: number): boolean {
    const ta = this.arrival[a];
    const tb = this.arrival[b];
    return ta < tb || (ta === tb && a < b);
  }

  private push(id: number): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(id);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(id, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = id;
  }

  private pop(): number {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= heap.length) break;
        const r = l + 1;
        const c = r < heap.length && this.before(heap[r], heap[l]) ? r : l;
        if (!this.before(heap[c], last)) break;
        heap[i] = heap[c];
        i = c;
      }
      heap[i] = last;
    }
    return top;
  }
}
