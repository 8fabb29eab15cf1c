/**
 * The prefix identity of a request list's prompts: for each request, the content ids of
 * its prompt blocks, in prompt order, as Mooncake's `hash_ids` give them (Qin et al., FAST 2025:
 * one id per 512-token block, `len(hash_ids) == ceil(input_length / 512)`; identical ids mean
 * reusable prefix KV). Stored CSR-style in two typed arrays, so a list of 12,031 requests with
 * ~290k ids is two buffers (structured clone to worker threads copies them as is), not 12,031 JS
 * arrays.
 *
 * The ids are in the trace's block size (`blockTokens`); the engine maps them onto its own KV
 * block size (not here).
 */
import { InputError } from '../errors.js';
import { cellError, showValue, type CellLocation } from './cell-location.js';

/** Largest block id + 1: ids are integers in [0, 2^53), exact in a Float64Array. */
export const PREFIX_BLOCK_ID_LIMIT = 2 ** 53;

/**
 * Content ids of each request's prompt blocks, CSR layout: request i's ids are
 * `ids[offsets[i] .. offsets[i + 1])`, in prompt order (block 0 holds prompt tokens
 * 0 .. blockTokens - 1). A request may have fewer ids than prompt blocks (0 ids: nothing known
 * about its content); its ids cover its first `count x blockTokens` prompt tokens.
 */
export interface PrefixBlocks {
  /** Prompt tokens per id (Mooncake: 512), an integer >= 1. */
  readonly blockTokens: number;
  /** n + 1 offsets into `ids` (n = requests): offsets[0] = 0, non-decreasing, offsets[n] = ids.length. */
  readonly offsets: Int32Array;
  /** The ids of every request's prompt blocks, request after request; integers in [0, 2^53). */
  readonly ids: Float64Array;
}

/**
 * Checks that prefix blocks are consistent with a list's prompts.
 * @param pb the prefix blocks
 * @param promptTokens prompt tokens of each request (n = its length)
 * @param where what is checked, for the message (default `prefixBlocks`), e.g. a file's path
 * @throws InputError naming `where` and the request when blockTokens is not a positive integer,
 *   offsets do not have n + 1 entries, offsets[0] != 0, offsets decrease, offsets[n] !=
 *   ids.length, a request has more ids than ceil(promptTokens / blockTokens), or an id is not an
 *   integer in [0, 2^53)
 */
export function validatePrefixBlocks(
  pb: PrefixBlocks,
  promptTokens: Int32Array,
  where = 'prefixBlocks',
): void {
  const fail = (message: string): never => {
    throw new InputError(`${where}: ${message}`, { field: 'prefixBlocks' });
  };
  const { blockTokens, offsets, ids } = pb;
  const n = promptTokens.length;
  if (!Number.isInteger(blockTokens) || blockTokens < 1) {
    fail(`blockTokens ${blockTokens} is not a positive integer (tokens per block id)`);
  }
  if (offsets.length !== n + 1) {
    fail(`offsets has ${offsets.length} entries; expected ${n + 1} (requests + 1)`);
  }
  if (offsets[0] !== 0) fail(`offsets[0] is ${offsets[0]}; it must be 0`);
  if (offsets[n] !== ids.length) {
    fail(`offsets[${n}] is ${offsets[n]}; it must equal the number of ids, ${ids.length}`);
  }
  for (let i = 0; i < n; i++) {
    const count = offsets[i + 1] - offsets[i];
    if (count < 0) fail(`offsets decrease at request #${i} (${offsets[i]} then ${offsets[i + 1]})`);
    const most = Math.ceil(promptTokens[i] / blockTokens);
    if (count > most) {
      fail(
        `request #${i} has ${count} block ids but its ${promptTokens[i]} prompt tokens fill at most ` +
          `${most} blocks of ${blockTokens} tokens`,
      );
    }
  }
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k];
    if (!(Number.isInteger(id) && id >= 0 && id < PREFIX_BLOCK_ID_LIMIT)) {
      fail(`ids[${k}] is ${id}; block ids must be integers in [0, 2^53)`);
    }
  }
}

/**
 * The prefix blocks of some requests of a list, in the order given: the windowing, sampling,
 * filtering or reordering of a request list applied to its prefix blocks.
 * @param pb the list's prefix blocks
 * @param indices request indices into the list (any order, repeats allowed)
 * @returns new arrays; request k of the result is request indices[k] of `pb`
 */
export function slicePrefixBlocks(pb: PrefixBlocks, indices: Int32Array): PrefixBlocks {
  const { offsets: from, ids: source } = pb;
  const offsets = new Int32Array(indices.length + 1);
  let total = 0;
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    total += from[i + 1] - from[i];
    offsets[k + 1] = total;
  }
  const ids = new Float64Array(total);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    ids.set(source.subarray(from[i], from[i + 1]), offsets[k]);
  }
  return { blockTokens: pb.blockTokens, offsets, ids };
}

/**
 * The prefix blocks of `n` consecutive requests from `start` (a trace's window): the same as
 * {@link slicePrefixBlocks} with indices start .. start + n - 1, in one copy.
 * @returns new arrays
 */
export function windowPrefixBlocks(pb: PrefixBlocks, start: number, n: number): PrefixBlocks {
  const base = pb.offsets[start];
  const offsets = pb.offsets.slice(start, start + n + 1);
  for (let k = 0; k < offsets.length; k++) offsets[k] -= base;
  return { blockTokens: pb.blockTokens, offsets, ids: pb.ids.slice(base, pb.offsets[start + n]) };
}

/**
 * The prefix blocks of prompts that were cut (by `maxTokens`, `max-tokens.ts`): each request keeps
 * its first min(count, ceil(promptTokens / blockTokens)) ids, so the ids never describe more blocks
 * than the shortened prompt has (its last, partial block keeps its id: the cut prompt's tokens are
 * the original's first ones).
 * @param pb prefix blocks of the requests before the cut
 * @param promptTokens prompt tokens of each request after the cut, tokens
 * @returns `pb` itself when no request loses an id, else new arrays
 */
export function truncatePrefixBlocks(pb: PrefixBlocks, promptTokens: Int32Array): PrefixBlocks {
  const { blockTokens, offsets: from, ids: source } = pb;
  const n = promptTokens.length;
  let cut = false;
  for (let i = 0; i < n && !cut; i++) {
    cut = from[i + 1] - from[i] > Math.ceil(promptTokens[i] / blockTokens);
  }
  if (!cut) return pb;
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const keep = Math.min(from[i + 1] - from[i], Math.ceil(promptTokens[i] / blockTokens));
    offsets[i + 1] = offsets[i] + keep;
  }
  const ids = new Float64Array(offsets[n]);
  for (let i = 0; i < n; i++) {
    ids.set(source.subarray(from[i], from[i] + offsets[i + 1] - offsets[i]), offsets[i]);
  }
  return { blockTokens, offsets, ids };
}

/**
 * Accumulates the prefix blocks of a trace row by row (as a reader fills its typed columns): the
 * offsets and ids grow by doubling, so a trace without ids costs nothing and one with them about
 * 8 bytes an id plus 4 a row.
 */
export class PrefixBlocksBuilder {
  private offsets = new Int32Array(1025);
  private ids = new Float64Array(4096);
  private rows = 0;
  private total = 0;
  private present = false;

  /** @param blockTokens prompt tokens per id (Mooncake: 512) */
  constructor(readonly blockTokens: number) {}

  /**
   * Parses and appends one row's ids: a JSON array of integers in [0, 2^53); a missing field
   * (undefined) is a row without ids.
   * @param raw the row's field
   * @param promptTokens the row's prompt tokens (after a 0 is counted as 1)
   * @param at where the field is, for the error
   * @throws InputError `file:line: column "hash_ids": ...` when the field is not an array, holds a
   *   value that is not an integer in [0, 2^53), or has more ids than ceil(promptTokens /
   *   blockTokens)
   */
  add(raw: unknown, promptTokens: number, at: CellLocation): void {
    let count = 0;
    if (raw !== undefined) {
      this.present = true;
      if (!Array.isArray(raw)) {
        throw cellError(at, `${showValue(raw)} is not an array of block ids`);
      }
      count = raw.length;
      const most = Math.ceil(promptTokens / this.blockTokens);
      if (count > most) {
        throw cellError(
          at,
          `${count} block ids but the prompt's ${promptTokens} tokens fill at most ${most} blocks of ` +
            `${this.blockTokens} tokens`,
        );
      }
      if (this.total + count > this.ids.length) this.ids = grow(this.ids, this.total + count);
      for (let k = 0; k < count; k++) {
        const id: unknown = raw[k];
        if (!(typeof id === 'number' && Number.isInteger(id) && id >= 0 && id < PREFIX_BLOCK_ID_LIMIT)) {
          throw cellError(at, `block id ${showValue(id)} (position ${k}) is not an integer in [0, 2^53)`);
        }
        this.ids[this.total + k] = id;
      }
    }
    if (this.rows + 2 > this.offsets.length) this.offsets = grow(this.offsets, this.rows + 2);
    this.total += count;
    this.rows += 1;
    this.offsets[this.rows] = this.total;
  }

  /**
   * The finished prefix blocks, or undefined when no row had the field (a trace without ids).
   * @param rows the table's rows; must equal the rows added
   */
  build(rows: number): PrefixBlocks | undefined {
    if (!this.present) return undefined;
    if (rows !== this.rows) throw new Error(`prefix blocks of ${this.rows} rows for a table of ${rows}`);
    return {
      blockTokens: this.blockTokens,
      offsets: this.offsets.slice(0, rows + 1),
      ids: this.ids.slice(0, this.total),
    };
  }
}

/** A copy of `a` with room for at least `need` entries (doubling). */
function grow<T extends Int32Array | Float64Array>(a: T, need: number): T {
  const bigger = new (a.constructor as new (length: number) => T)(Math.max(need, a.length * 2));
  bigger.set(a);
  return bigger;
}
