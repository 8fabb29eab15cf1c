/**
 * Closed-form attention times for Llama-2-7B on A100-80GB (tensor parallel 1, FlashAttention,
 * block size 16), milliseconds per layer. Fitted by weighted least squares to Vidur's
 * `data/profiling/compute/a100/meta-llama/Llama-2-7b-hf/attention.csv`; given in
 * data/vidur/ATTENTION.md (mean absolute error: decode 4.1 %, prefill 2.8 %).
 */

/** Output-reshape time Vidur charges per layer, ms (input reshape is 0 in the stand-in). */
export const ATTN_RESHAPE_MS = 0.002;

/**
 * Decode attention, ms per layer.
 * @param b decode requests in the batch
 * @param kv their mean KV length, tokens
 */
export function attentionDecodeMs(b: number, kv: number): number {
  return 6.97099345e-3 + 1.07891434e-3 * b + 1.26434466e-5 * kv * b ** 0.9;
}

/**
 * Prefill attention of one chunk, ms per layer.
 * @param c prefill (chunk) tokens
 * @param kv tokens already in that request's KV cache
 */
export function attentionPrefillMs(c: number, kv: number): number {
  return Math.max(1.2662625e-4 * c + 1.25163398e-7 * c * c + (1.12296332e-5 + 1.07687777e-7 * c) * kv, 0.005);
}
