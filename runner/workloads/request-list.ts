import type { PrefixBlocks } from './prefix-blocks.js';

/**
 * The request list one run replays: struct-of-arrays, one index per request, sorted by arrival.
 *
 * Every policy in a sweep receives the identical list for a given (workload, rate, seed), which
 * makes comparisons paired (common random numbers).
 */
export interface RequestList {
  /** Arrival time of each request, seconds from the start of the run; non-decreasing. */
  readonly arrival: Float64Array;
  /** Prompt (input) tokens of each request, >= 1. */
  readonly promptTokens: Int32Array;
  /** Output (decode) tokens of each request, >= 1. */
  readonly outputTokens: Int32Array;
  /**
   * Index of the request's type in a typed mix (arXiv 2504.11320v2 §2), or absent for
   * workloads without types. Later policies (WAIT) read it; the engine ignores it.
   */
  readonly typeIndex?: Int32Array;
  /**
   * Content ids of each request's prompt blocks (prefix identity, issue 18; `prefix-blocks.ts`),
   * or absent when the workload says nothing about shared prefixes. Every step that filters,
   * reorders or cuts a list applies the same to it (`slicePrefixBlocks`, `truncatePrefixBlocks`).
   */
  readonly prefixBlocks?: PrefixBlocks;
}

/** Number of requests in a list. */
export function requestCount(list: RequestList): number {
  return list.arrival.length;
}
