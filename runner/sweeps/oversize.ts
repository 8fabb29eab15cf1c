import { peakKvBlocks, requestsThatCannotFit } from '../engine/replica-engine.js';
import type { TokenModel } from '../engine/token-model.js';
import { selectSessionTurns } from '../workloads/multi-turn.js';
import { slicePrefixBlocks } from '../workloads/prefix-blocks.js';
import type { RequestList } from '../workloads/request-list.js';

/** How many oversize requests a message names (index and tokens); the rest are counted. */
export const OVERSIZE_NAMED = 5;

/** The requests of one list that can never fit in the KV cache under one policy. */
export interface OversizeRequests {
  /** Their indices in the list, ascending (at least one). */
  readonly indices: number[];
  /**
   * `27 of 12031 requests can never fit in the KV cache: request #… (prompt … tokens, output …
   * tokens) needs … KV blocks at its peak, … (and 22 more); the machine offers … (capacity …)`:
   * the count, the first {@link OVERSIZE_NAMED} with their tokens, and the usable capacity.
   */
  readonly message: string;
}

/**
 * Finds the requests of a list that can never complete on a machine under a policy: their peak
 * KV footprint exceeds the capacity less the blocks the policy keeps free (requestsThatCannotFit).
 * @param kvCapacityBlocks the machine's KV capacity, blocks
 * @param blockSize tokens per KV block
 * @param reservedBlocks blocks the policy keeps free (Scheduler.reservedBlocks)
 * @returns null when every request fits
 */
export function oversizeRequestsOf(
  list: RequestList,
  kvCapacityBlocks: number,
  blockSize: number,
  reservedBlocks: number,
  tokenModel: TokenModel,
): OversizeRequests | null {
  const indices = requestsThatCannotFit(list, kvCapacityBlocks, blockSize, reservedBlocks, tokenModel);
  if (indices.length === 0) return null;
  const named = indices.slice(0, OVERSIZE_NAMED).map((i) => {
    const p = list.promptTokens[i];
    const o = list.outputTokens[i];
    return (
      `request #${i} (prompt ${tokens(p)}, output ${tokens(o)}) needs ` +
      `${peakKvBlocks(p, o, blockSize, tokenModel)} KV blocks at its peak`
    );
  });
  const more = indices.length - named.length;
  const message =
    `${indices.length} of ${list.arrival.length} requests can never fit in the KV cache: ` +
    named.join(', ') +
    (more > 0 ? ` (and ${more} more)` : '') +
    `; the machine offers ${kvCapacityBlocks - reservedBlocks} (capacity ${kvCapacityBlocks} blocks of ` +
    `${blockSize} tokens` +
    (reservedBlocks > 0 ? ` minus ${reservedBlocks} the policy keeps free` : '') +
    ')';
  return { indices, message };
}

/**
 * A request list without some of its requests (every field, `typeIndex`, `prefixBlocks` and
 * `sessions` included), order kept. A multi-turn session may lose its turns from one on (a
 * follow-up's prompt holds every earlier turn, so its peak KV is larger and it is oversize whenever
 * an earlier turn is), never one in the middle.
 * @param indices indices to leave out, ascending
 * @throws InputError naming field `sessions` when a turn is left out and a later turn of its
 *   session is kept (selectSessionTurns)
 */
export function withoutRequests(list: RequestList, indices: readonly number[]): RequestList {
  const n = list.arrival.length - indices.length;
  const arrival = new Float64Array(n);
  const promptTokens = new Int32Array(n);
  const outputTokens = new Int32Array(n);
  const typeIndex = list.typeIndex ? new Int32Array(n) : undefined;
  let skip = 0;
  let k = 0;
  for (let i = 0; i < list.arrival.length; i++) {
    if (skip < indices.length && indices[skip] === i) {
      skip++;
      continue;
    }
    arrival[k] = list.arrival[i];
    promptTokens[k] = list.promptTokens[i];
    outputTokens[k] = list.outputTokens[i];
    if (typeIndex) typeIndex[k] = list.typeIndex![i];
    k++;
  }
  const kept: RequestList = typeIndex
    ? { arrival, promptTokens, outputTokens, typeIndex }
    : { arrival, promptTokens, outputTokens };
  if (list.prefixBlocks === undefined && list.sessions === undefined) return kept;
  const rows = new Int32Array(n);
  for (let i = 0, s = 0, r = 0; i < list.arrival.length; i++) {
    if (s < indices.length && indices[s] === i) s++;
    else rows[r++] = i;
  }
  return {
    ...kept,
    ...(list.prefixBlocks === undefined ? {} : { prefixBlocks: slicePrefixBlocks(list.prefixBlocks, rows) }),
    ...(list.sessions === undefined ? {} : { sessions: selectSessionTurns(list.sessions, rows) }),
  };
}

function tokens(n: number): string {
  return n === 1 ? '1 token' : `${n} tokens`;
}
