/**
 * A request list's own bound on prefix reuse: the share of its prompt blocks an infinite prefix
 * cache could serve, in arrival order. The definition is that of the Mooncake traces' README
 * (`data/mooncake-fast25/README.md`, "Prefix reuse with an infinite cache"): for each request, its LEADING block ids that appeared
 * in any earlier request (the run stops at its first id not seen before: a prefix cache serves a
 * prefix, not scattered blocks), then all its ids count as seen. A simulated hit rate can be
 * compared against it.
 */
import type { RequestList } from './request-list.js';

/** The reuse bound of a list, two ways. */
export interface PrefixReuseBound {
  /** Leading ids already seen, over all ids; 0 when the list has no ids. */
  readonly blocks: number;
  /**
   * Token-weighted: sum over requests of min(promptTokens, leading seen ids x blockTokens), over
   * the sum of all prompt tokens (so a request without ids counts as all misses).
   */
  readonly tokens: number;
  /** Ids in the list. */
  readonly ids: number;
  /** Leading ids already seen in an earlier request. */
  readonly hitIds: number;
}

/**
 * Computes the infinite-cache prefix reuse of a list, in list (arrival) order.
 * @param list a request list; without `prefixBlocks` every request has no ids (bound 0)
 * @returns fractions in [0, 1] and the counts behind `blocks`
 */
export function prefixReuseBound(list: RequestList): PrefixReuseBound {
  const pb = list.prefixBlocks;
  const n = list.promptTokens.length;
  let promptSum = 0;
  for (let i = 0; i < n; i++) promptSum += list.promptTokens[i];
  if (pb === undefined) return { blocks: 0, tokens: 0, ids: 0, hitIds: 0 };
  const { offsets, ids, blockTokens } = pb;
  const seen = new Set<number>();
  let hitIds = 0;
  let hitTokens = 0;
  for (let i = 0; i < n; i++) {
    const end = offsets[i + 1];
    let k = offsets[i];
    while (k < end && seen.has(ids[k])) k++;
    const leading = k - offsets[i];
    hitIds += leading;
    hitTokens += Math.min(list.promptTokens[i], leading * blockTokens);
    for (let j = offsets[i]; j < end; j++) seen.add(ids[j]);
  }
  return {
    blocks: ids.length === 0 ? 0 : hitIds / ids.length,
    tokens: promptSum === 0 ? 0 : hitTokens / promptSum,
    ids: ids.length,
    hitIds,
  };
}
