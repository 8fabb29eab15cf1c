/**
 * The ids of requests holding KV cache, kept in arrival order (ids are numbered by arrival).
 * Vidur's vLLM and Sarathi schedulers sort their running ("preempted") list by arrival time
 * before each decode pass; keeping it sorted on insert gives the same order without sorting.
 * Sizes are bounded by the batch cap (about 128), so array insertion and removal are cheap.
 */
export class ArrivalOrderedSet {
  readonly ids: number[] = [];

  get size(): number {
    return this.ids.length;
  }

  /** Inserts an id at its arrival-order position. */
  insert(id: number): void {
    const ids = this.ids;
    let i = ids.length;
    ids.push(id);
    while (i > 0 && ids[i - 1] > id) {
      ids[i] = ids[i - 1];
      i--;
    }
    ids[i] = id;
  }

  /** Removes an id; returns whether it was present. */
  remove(id: number): boolean {
    const ids = this.ids;
    let lo = 0;
    let hi = ids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (ids[mid] === id) {
        ids.splice(mid, 1);
        return true;
      }
      if (ids[mid] < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  /** Removes and returns the latest-arrived id. */
  popLatest(): number {
    const id = this.ids.pop();
    if (id === undefined) throw new RangeError('popLatest on an empty set');
    return id;
  }
}
