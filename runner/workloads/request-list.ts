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
  /**
   * Multi-turn sessions (`multi-turn.ts`), or absent when every request is independent: for each
   * request, the index of its session's previous turn (or -1) and its think time. A follow-up
   * turn's `arrival` is then only a lower bound (its session's start plus the earlier turns' think
   * times); the cluster engine releases it a think time after its previous turn finishes. Every
   * step that filters, reorders or cuts a list keeps it consistent (`selectSessionTurns`).
   */
  readonly sessions?: SessionTurns;
}

/** Number of requests in a list. */
export function requestCount(list: RequestList): number {
  return list.arrival.length;
}

/**
 * The session structure of a request list, one entry per request (indexed like the list).
 * Sessions are chains (multi-turn.ts): request i's previous turn is `previous[i]` (< i), and no two requests have
 * the same previous turn.
 */
export interface SessionTurns {
  /** Index of the request's previous turn in its session, in [0, i); -1 for a session's first turn. */
  readonly previous: Int32Array;
  /**
   * Seconds between the previous turn's finish and this turn's release, >= 0 and finite; 0 for a
   * first turn (its arrival is its session's start).
   */
  readonly thinkTime: Float64Array;
}
