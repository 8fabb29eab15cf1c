/**
 * What an iteration-time model sees of one batch. The engine fills it while the policy decides,
 * so models never walk per-request state. Token counts are tokens; arrays are valid on
 * [0, numPrefills).
 */
export interface BatchShape {
  /** Prefill chunks in the batch (whole prompts or Sarathi-style chunks). */
  numPrefills: number;
  /** Prompt tokens of each prefill chunk. */
  readonly prefillTokens: Int32Array;
  /** KV tokens already cached for each prefill chunk's request before this chunk. */
  readonly prefillKvBefore: Int32Array;
  /** Sum of prefillTokens over the batch. */
  totalPrefillTokens: number;
  /** Decode requests in the batch (one token each). */
  numDecodes: number;
  /** Sum over decode requests of their KV tokens including the token written this iteration. */
  decodeKvTokens: number;
}
