import type { BatchShape } from '../../runner/latency/batch-shape.js';

/** A decode-only batch: `requests` decodes, each with `kvTokens` KV tokens (including this iteration's). */
export function decodeBatch(requests: number, kvTokens: number): BatchShape {
  return {
    numPrefills: 0,
    prefillTokens: new Int32Array(0),
    prefillKvBefore: new Int32Array(0),
    totalPrefillTokens: 0,
    numDecodes: requests,
    decodeKvTokens: requests * kvTokens,
  };
}

/** A batch of one prefill chunk of `tokens` prompt tokens with `kvBefore` tokens already cached. */
export function prefillBatch(tokens: number, kvBefore = 0): BatchShape {
  return {
    numPrefills: 1,
    prefillTokens: Int32Array.of(tokens),
    prefillKvBefore: Int32Array.of(kvBefore),
    totalPrefillTokens: tokens,
    numDecodes: 0,
    decodeKvTokens: 0,
  };
}
