/**
 * The prefix cache's hash -> block map (vLLM's `cached_block_hash_to_block`): an open-addressing
 * table with linear probing over two typed arrays, sized once for the pool (a block holds at most
 * one hash, so at most `capacityBlocks` entries), so no insert ever grows it and nothing is
 * allocated per operation. Keys are block hashes, integers in [0, 2^53) that are already well
 * mixed (chainBlockHash), so a key's slot is its low bits. Deletion shifts the following entries
 * back (Knuth, TAOCP vol. 3, 6.4, Algorithm R), so there are no tombstones and a probe stops at
 * the first empty slot. A JS Map with such keys boxes every one of them as a heap number; this is
 * about 3x faster on the prefix cache's commits (measured on the Mooncake conversation trace).
 */
export class BlockHashTable {
  /** Key of each slot; NaN for an empty slot. */
  private readonly keys: Float64Array;
  /** Value (block) of each slot. */
  private readonly values: Int32Array;
  private readonly mask: number;
  private count = 0;

  /**
   * @param maxEntries the most entries it will ever hold (the pool's capacity in blocks), >= 0;
   *   the table has the next power of two at least twice that many slots (load at most 1/2)
   * @throws RangeError when maxEntries is not an integer in [0, 2^29]
   */
  constructor(maxEntries: number) {
    if (!(Number.isInteger(maxEntries) && maxEntries >= 0 && maxEntries <= 2 ** 29)) {
      throw new RangeError(`BlockHashTable: maxEntries must be an integer in [0, 2^29], got ${maxEntries}`);
    }
    let slots = 2;
    while (slots < 2 * maxEntries) slots *= 2;
    this.keys = new Float64Array(slots).fill(NaN);
    this.values = new Int32Array(slots);
    this.mask = slots - 1;
  }

  /** Entries held. */
  get size(): number {
    return this.count;
  }

  /** The block stored for `key`, or -1 when there is none. */
  get(key: number): number {
    const keys = this.keys;
    for (let i = (key >>> 0) & this.mask; ; i = (i + 1) & this.mask) {
      const k = keys[i];
      if (k === key) return this.values[i];
      if (k !== k) return -1; // NaN: an empty slot ends the probe
    }
  }

  /** Whether `key` is stored. */
  has(key: number): boolean {
    return this.get(key) >= 0;
  }

  /**
   * Stores `block` for `key`, replacing an existing entry's block. The caller keeps the entries
   * within maxEntries (the pool does: one entry per block at most).
   * @param key an integer in [0, 2^53)
   * @param block an integer >= 0
   */
  set(key: number, block: number): void {
    const keys = this.keys;
    let i = (key >>> 0) & this.mask;
    for (; ; i = (i + 1) & this.mask) {
      const k = keys[i];
      if (k === key) break;
      if (k !== k) {
        keys[i] = key;
        this.count++;
        break;
      }
    }
    this.values[i] = block;
  }

  /** Removes `key`'s entry; returns whether there was one. */
  delete(key: number): boolean {
    const keys = this.keys;
    const values = this.values;
    const mask = this.mask;
    let i = (key >>> 0) & mask;
    for (; ; i = (i + 1) & mask) {
      const k = keys[i];
      if (k === key) break;
      if (k !== k) return false;
    }
    // Algorithm R: move back every later entry of the cluster whose home slot is not in (i, j].
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const k = keys[j];
      if (k !== k) break;
      const home = (k >>> 0) & mask;
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      keys[i] = k;
      values[i] = values[j];
      i = j;
    }
    keys[i] = NaN;
    this.count--;
    return true;
  }

  /** Every entry as [key, block], in slot order; O(slots), for checks and tests. */
  *entries(): IterableIterator<[number, number]> {
    for (let i = 0; i < this.keys.length; i++) {
      const k = this.keys[i];
      if (k === k) yield [k, this.values[i]];
    }
  }
}
