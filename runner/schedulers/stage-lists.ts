/**
 * WAIT's stage queues of the prompts in flight (arXiv 2504.11320v2 §4, Algorithm 1: n_js, the
 * type-j prompts at stage s >= 1), kept per type as ONE list in the order of the batch walk:
 * stages from the highest down, each stage's queue front first. Stage 0 (the prompts waiting for
 * their prefill) is not here: WAIT keeps it in a StageQueues (stage-queues.ts).
 *
 * Why not one queue per (type, stage): with WAIT every prompt of a type that takes part in a batch
 * moves up one stage, so a type's in-flight prompts sit one or a few per stage across thousands
 * of stages (arXiv summaries: about 22,000 stage queues for 10 types, most holding one prompt).
 * A walk over per-stage queues then costs a visit per stage plus a push into another queue per
 * prompt. Here a batch walk reads the type's list once, and since the prompts taken re-enter one
 * stage higher in the same order, the list after the iteration is usually the prompts pushed
 * back, in the order they were pushed: O(prompts of the type in flight) per walk, with contiguous
 * reads and writes.
 *
 * Protocol per iteration: `take` a type's walk (this opens the type), then `pushBack` /
 * `pushFront` the type's prompts at their new stages and `remove` the ones leaving, then `settle`
 * puts every opened type's list back in walk order: at each stage the prompts pushed to the front
 * (last pushed first), then those the walk left in the queue, then those pushed to the back (in
 * push order); exactly what per-stage FIFO queues would hold. Usually that order is already
 * there (O(1)); otherwise (prompts held back or evicted, stages holding more than the walk's
 * limit) settle merges, O(the type's list). A walk that takes the whole list and moves every
 * prompt that stays up one stage can also run in place (wholeWalk), with no take and no push.
 *
 * Stages are read from the policy's own array (`stageOf`): set a prompt's stage before pushing it
 * and do not change it while the prompt is listed. An id is listed at most once (in its type's
 * list); each type's lists are sized by its number of requests.
 */
export class StageLists {
  private readonly typeCount: number;
  /** Type j's ids occupy [start[j], start[j + 1]) of `items` and of `fronts`. */
  private readonly start: Int32Array;
  /**
   * The lists: type j's on [start[j], start[j] + length[j]); while open, the walk's leftovers then
   * the pushes to the back. Read and written directly only by in-place walks (wholeWalk).
   */
  readonly items: Int32Array;
  private readonly length: Int32Array;
  /** Open type j: how many of its listed ids the walk left in place (the rest are pushes to the back). */
  private readonly leftovers: Int32Array;
  /** Open type j: ids pushed to the front, in push order, on [start[j], start[j] + frontCount[j]). */
  private readonly fronts: Int32Array;
  private readonly frontCount: Int32Array;
  /** Open type j: stage of the last push to the back (pushes in non-increasing stage need no sort). */
  private readonly lastPushStage: Float64Array;
  private readonly pushesSorted: Uint8Array;
  /** Open type j: length of the last run of pushes to the back at one stage, and the longest. */
  private readonly pushRun: Int32Array;
  private readonly pushMaxRun: Int32Array;
  /**
   * Type j: at least the most prompts any of its stages holds (exact after a merge), so that a walk
   * whose limit reaches it takes the whole list without reading stages.
   */
  private readonly maxGroup: Int32Array;
  private readonly isOpen: Uint8Array;
  /** Room for one type's list while it is merged. */
  private readonly scratch: Int32Array;
  private readonly opened: Int32Array;
  private openCount = 0;

  /**
   * @param typeOf type of each request id, 0 .. typeCount - 1 (ids are 0 .. typeOf.length - 1)
   * @param typeCount number of types
   * @param stageOf the policy's stage of each request id, read when ordering
   * @throws RangeError when a type is out of range
   */
  constructor(
    typeOf: Int32Array,
    typeCount: number,
    private readonly stageOf: Int32Array,
  ) {
    this.typeCount = typeCount;
    this.start = new Int32Array(typeCount + 1);
    for (let id = 0; id < typeOf.length; id++) {
      const j = typeOf[id];
      if (!(j >= 0 && j < typeCount)) throw new RangeError(`request #${id} has type ${j} of ${typeCount}`);
      this.start[j + 1]++;
    }
    for (let j = 0; j < typeCount; j++) this.start[j + 1] += this.start[j];
    this.items = new Int32Array(typeOf.length);
    this.fronts = new Int32Array(typeOf.length);
    this.length = new Int32Array(typeCount);
    this.leftovers = new Int32Array(typeCount);
    this.frontCount = new Int32Array(typeCount);
    this.lastPushStage = new Float64Array(typeCount);
    this.pushesSorted = new Uint8Array(typeCount);
    this.pushRun = new Int32Array(typeCount);
    this.pushMaxRun = new Int32Array(typeCount);
    this.maxGroup = new Int32Array(typeCount);
    this.isOpen = new Uint8Array(typeCount);
    this.opened = new Int32Array(typeCount);
    let largest = 1;
    for (let j = 0; j < typeCount; j++) largest = Math.max(largest, this.start[j + 1] - this.start[j]);
    this.scratch = new Int32Array(largest);
  }

  /** Number of type j's prompts listed (all stages >= 1). */
  size(j: number): number {
    return this.length[j] + this.frontCount[j];
  }

  /**
   * The batch walk of Algorithm 1 (line 13) over type j's stages: for every stage, highest first,
   * the first min(limit, prompts at the stage), front first, written to `out` and taken off the
   * list; opens type j until `settle`.
   * @param limit most prompts taken per stage (Infinity for all)
   * @param at index of `out` where the first id goes
   * @returns the number of ids written to `out`, from index `at`
   * @throws RangeError when type j is already open (take it once per settle)
   */
  take(j: number, limit: number, out: Int32Array, at: number): number {
    if (this.isOpen[j]) throw new RangeError(`stage lists: type ${j} taken twice before settle`);
    const { items, stageOf } = this;
    const begin = this.start[j];
    const end = begin + this.length[j];
    let n = at;
    let kept = begin;
    if (limit >= this.maxGroup[j]) {
      for (let i = begin; i < end; i++) out[n++] = items[i];
    } else {
      let i = begin;
      while (i < end) {
        const stage = stageOf[items[i]];
        let taken = 0;
        for (; i < end && stageOf[items[i]] === stage; i++) {
          if (taken < limit) {
            out[n++] = items[i];
            taken++;
          } else {
            items[kept++] = items[i];
          }
        }
      }
    }
    this.open(j);
    this.length[j] = kept - begin;
    this.leftovers[j] = kept - begin;
    return n - at;
  }

  /**
   * Whether the walk of `take(j, limit, ...)` would take type j's whole list (no stage holds more
   * than `limit` prompts, as far as the lists know) and type j is not open: then the caller may
   * advance the list in place instead of taking it and pushing the prompts back. The list is
   * `items[listStart(j) + i]`, i = 0 .. count - 1, in walk order; the caller writes each prompt
   * that stays back at `items[listStart(j) + k]`, k = 0, 1, ... (k <= i), after raising its stage
   * by exactly one, and ends with endWholeWalk(j, kept). As every stage rises by one and the order
   * is kept, the list stays in walk order: the same list as take, then pushBack of the same
   * prompts, then settle.
   * @returns the number of prompts listed (count), or -1 when the walk would not take them all
   */
  wholeWalk(j: number, limit: number): number {
    if (this.isOpen[j] || limit < this.maxGroup[j]) return -1;
    return this.length[j];
  }

  /** Where type j's list starts in `items` (see wholeWalk). */
  listStart(j: number): number {
    return this.start[j];
  }

  /**
   * Ends an in-place walk of type j: its list is the `kept` prompts written back (see wholeWalk).
   * (The most prompts at one stage cannot have grown.)
   * @throws RangeError when `kept` exceeds the list
   */
  endWholeWalk(j: number, kept: number): void {
    if (!(kept >= 0 && kept <= this.length[j])) {
      throw new RangeError(`stage lists: type ${j} kept ${kept} of ${this.length[j]} prompts`);
    }
    this.length[j] = kept;
  }

  /**
   * Appends `id` at the back of its stage (stageOf[id]) in type j's list.
   * @throws RangeError when type j's lists are full (an id listed twice)
   */
  pushBack(j: number, id: number): void {
    this.scratch[0] = id;
    this.pushBackAll(j, this.scratch, 0, 1);
  }

  /**
   * Appends ids[from, to), in order, each at the back of its stage (stageOf[id]) in type j's list:
   * the same as pushBack of each, in one call.
   * @throws RangeError when type j's lists are full (an id listed twice)
   */
  pushBackAll(j: number, ids: Int32Array, from: number, to: number): void {
    if (!this.isOpen[j]) this.open(j);
    const { items, stageOf } = this;
    let at = this.start[j] + this.length[j];
    if (at + this.frontCount[j] + (to - from) > this.start[j + 1]) this.overflow(j, ids[from]);
    let last = this.lastPushStage[j];
    let run = this.pushRun[j];
    let maxRun = this.pushMaxRun[j];
    let sorted = this.pushesSorted[j];
    for (let i = from; i < to; i++) {
      const id = ids[i];
      const stage = stageOf[id];
      if (stage === last) {
        if (++run > maxRun) maxRun = run;
      } else {
        if (stage > last) sorted = 0;
        last = stage;
        run = 1;
        if (maxRun === 0) maxRun = 1;
      }
      items[at++] = id;
    }
    this.length[j] = at - this.start[j];
    this.lastPushStage[j] = last;
    this.pushRun[j] = run;
    this.pushMaxRun[j] = maxRun;
    this.pushesSorted[j] = sorted;
  }

  /**
   * Inserts `id` at the front of its stage (stageOf[id]) in type j's list.
   * @throws RangeError when type j's lists are full (an id listed twice)
   */
  pushFront(j: number, id: number): void {
    if (!this.isOpen[j]) this.open(j);
    const at = this.start[j] + this.frontCount[j];
    if (at + this.length[j] >= this.start[j + 1]) this.overflow(j, id);
    this.fronts[at] = id;
    this.frontCount[j]++;
  }

  /**
   * Removes `id` from type j's list, keeping the others' order; O(type j's listed prompts).
   * @returns whether it was listed
   */
  remove(j: number, id: number): boolean {
    const { items } = this;
    const begin = this.start[j];
    const end = begin + this.length[j];
    for (let i = begin; i < end; i++) {
      if (items[i] !== id) continue;
      items.copyWithin(i, i + 1, end);
      this.length[j]--;
      if (this.isOpen[j] && i - begin < this.leftovers[j]) this.leftovers[j]--;
      return true;
    }
    const fronts = this.fronts;
    const frontEnd = begin + this.frontCount[j];
    for (let i = begin; i < frontEnd; i++) {
      if (fronts[i] !== id) continue;
      fronts.copyWithin(i, i + 1, frontEnd);
      this.frontCount[j]--;
      return true;
    }
    return false;
  }

  /** Puts every type opened since the last settle back in walk order (see the module comment) and closes it. */
  settle(): void {
    for (let k = 0; k < this.openCount; k++) this.settleType(this.opened[k]);
    this.openCount = 0;
  }

  private open(j: number): void {
    if (!(j >= 0 && j < this.typeCount)) throw new RangeError(`stage lists: no type ${j}`);
    this.isOpen[j] = 1;
    this.opened[this.openCount++] = j;
    this.leftovers[j] = this.length[j];
    this.frontCount[j] = 0;
    this.lastPushStage[j] = Infinity;
    this.pushesSorted[j] = 1;
    this.pushRun[j] = 0;
    this.pushMaxRun[j] = 0;
  }

  private settleType(j: number): void {
    this.isOpen[j] = 0;
    const { items, stageOf, fronts } = this;
    const begin = this.start[j];
    const kept = this.leftovers[j];
    const length = this.length[j];
    const frontCount = this.frontCount[j];
    // Usually nothing to do: no pushes to the front, pushes to the back in walk order and none at
    // or above the lowest stage the walk left in place. (The leftovers are part of the list the
    // walk read, so no stage holds more of them than maxGroup.)
    if (frontCount === 0 && this.pushesSorted[j] === 1) {
      if (kept === 0) {
        this.maxGroup[j] = this.pushMaxRun[j];
        return;
      }
      if (kept === length) return;
      const boundary = stageOf[items[begin + kept - 1]] - stageOf[items[begin + kept]];
      if (boundary > 0) {
        this.maxGroup[j] = Math.max(this.maxGroup[j], this.pushMaxRun[j]);
        return;
      }
    }
    // Otherwise three runs in walk order, merged by stage (highest first; within a stage in
    // this order): the pushes to the front, last pushed first; the leftovers; the pushes to the back.
    const frontEnd = begin + frontCount;
    for (let lo = begin, hi = frontEnd - 1; lo < hi; lo++, hi--) {
      const id = fronts[lo];
      fronts[lo] = fronts[hi];
      fronts[hi] = id;
    }
    sortByStage(fronts, begin, frontEnd, stageOf);
    if (this.pushesSorted[j] === 0) sortByStage(items, begin + kept, begin + length, stageOf);
    const scratch = this.scratch;
    let f = begin;
    let a = begin;
    const aEnd = begin + kept;
    let b = aEnd;
    const bEnd = begin + length;
    let n = 0;
    for (;;) {
      let from = 0;
      let stage = -Infinity;
      if (f < frontEnd) {
        from = 1;
        stage = stageOf[fronts[f]];
      }
      if (a < aEnd && stageOf[items[a]] > stage) {
        from = 2;
        stage = stageOf[items[a]];
      }
      if (b < bEnd && stageOf[items[b]] > stage) from = 3;
      if (from === 0) break;
      scratch[n++] = from === 1 ? fronts[f++] : from === 2 ? items[a++] : items[b++];
    }
    let maxGroup = 0;
    let run = 0;
    for (let i = 0; i < n; i++) {
      items[begin + i] = scratch[i];
      run = i > 0 && stageOf[scratch[i]] === stageOf[scratch[i - 1]] ? run + 1 : 1;
      if (run > maxGroup) maxGroup = run;
    }
    this.length[j] = n;
    this.frontCount[j] = 0;
    this.maxGroup[j] = maxGroup;
  }

  private overflow(j: number, id: number): never {
    throw new RangeError(
      `stage lists: type ${j} holds more prompts than its ${this.start[j + 1] - this.start[j]} requests (request #${id} listed twice?)`,
    );
  }
}

/**
 * Stable insertion sort of ids[from, to) by stage, highest first; O(length x displacement), for
 * the short and nearly sorted runs of settle.
 */
function sortByStage(ids: Int32Array, from: number, to: number, stageOf: Int32Array): void {
  for (let i = from + 1; i < to; i++) {
    const id = ids[i];
    const stage = stageOf[id];
    let k = i - 1;
    while (k >= from && stageOf[ids[k]] < stage) {
      ids[k + 1] = ids[k];
      k--;
    }
    ids[k + 1] = id;
  }
}
