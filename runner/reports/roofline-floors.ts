import type { LoadedReply } from '../workers/worker-protocol.js';

/**
 * Roofline floors of a worker's iteration times (the report of `schedbench gpu-report`,
 * runner/reports/gpu-report-markdown.ts): what a batch would take if
 * it ran at the device's measured copy bandwidth (decode) or matrix-multiply rate (prefill), from
 * the worker's `roofline` reply (docs/worker-protocol.md). Plain arithmetic; units in the names.
 */

/** Bytes per element of the dtypes the worker loads. */
export const DTYPE_BYTES: Readonly<Record<string, number>> = { float32: 4, float16: 2, bfloat16: 2 };

/**
 * Bytes per element of a worker dtype.
 * @throws RangeError for a dtype the worker does not load
 */
export function dtypeBytes(dtype: string): number {
  const bytes = DTYPE_BYTES[dtype];
  if (bytes === undefined)
    throw new RangeError(`unknown dtype "${dtype}" (known: float32, float16, bfloat16)`);
  return bytes;
}

/** What the floors need of the loaded model (the worker's `loaded` reply). */
export type LoadedModel = Pick<
  LoadedReply,
  'parameters' | 'dtype' | 'kv_blocks' | 'block_size' | 'kv_block_bytes' | 'config'
>;

/** Bytes of the model's weights: parameters x bytes per element of its dtype. */
export function weightBytes(model: LoadedModel): number {
  return model.parameters * dtypeBytes(model.dtype);
}

/**
 * The longest decode KV length (cached tokens per request) at which `batch` decode requests fit
 * the model's KV cache and context: each request holds ceil((kv + 1) / block_size) blocks (its
 * cache plus the token it writes) and kv + 1 <= max_position_embeddings.
 * @param requested the KV length wanted, tokens (> 0)
 * @returns min(requested, what fits), or 0 when not even one cached token per request fits
 */
export function decodeKvLenFor(batch: number, requested: number, model: LoadedModel): number {
  const blocksEach = Math.floor(model.kv_blocks / batch);
  const fit = Math.min(blocksEach * model.block_size, model.config.max_position_embeddings) - 1;
  return Math.max(0, Math.min(requested, fit));
}

/** The longest single prefill chunk the model accepts: its context and its whole KV cache, tokens. */
export function prefillChunkLimit(model: LoadedModel): number {
  return Math.min(model.config.max_position_embeddings, model.kv_blocks * model.block_size);
}

/** One decode-only batch against the memory-bandwidth floor. */
export interface DecodeFloorRow {
  /** Decode requests in the batch. */
  batch: number;
  /** Cached tokens of each request, tokens. */
  kvLen: number;
  /** Measured iteration time (median), seconds. */
  timeS: number;
  /** Weight bytes / copy bandwidth, seconds: reading every weight once. */
  weightFloorS: number;
  /** KV bytes read: kv_block_bytes / block_size x batch x kvLen, bytes. */
  kvBytes: number;
  /** (weight bytes + KV bytes) / copy bandwidth, seconds. */
  floorS: number;
  /** timeS / floorS: how far above the floor the iteration is (>= 1 on a real device). */
  timesFloor: number;
  /** Generated tokens per second: batch / timeS. */
  tokensPerS: number;
}

/**
 * A measured decode-only batch beside its bandwidth floors.
 * @param copyBytesPerS the `roofline` reply's copy bandwidth, bytes per second (read + write)
 */
export function decodeFloorRow(
  batch: number,
  kvLen: number,
  timeS: number,
  model: LoadedModel,
  copyBytesPerS: number,
): DecodeFloorRow {
  const weights = weightBytes(model);
  const kvBytes = (model.kv_block_bytes / model.block_size) * batch * kvLen;
  const floorS = (weights + kvBytes) / copyBytesPerS;
  return {
    batch,
    kvLen,
    timeS,
    weightFloorS: weights / copyBytesPerS,
    kvBytes,
    floorS,
    timesFloor: timeS / floorS,
    tokensPerS: batch / timeS,
  };
}

/** One single-chunk prefill against the matrix-multiply rate. */
export interface PrefillRateRow {
  /** Prompt tokens of the chunk (a new request, no cached tokens). */
  chunk: number;
  /** Measured iteration time (median), seconds. */
  timeS: number;
  /** Prompt tokens per second: chunk / timeS. */
  tokensPerS: number;
  /** 2 x parameters x chunk / timeS, FLOP per second. */
  flopsPerS: number;
  /** flopsPerS / the measured matrix-multiply rate. */
  matmulFrac: number;
}

/**
 * A measured prefill beside the matrix-multiply rate. The FLOPs are the dense estimate
 * 2 x parameters x tokens (one multiply-add per weight per token), which leaves out attention's
 * query-key and value products and counts the embedding table and the LM head over every token
 * (the worker looks up embeddings and applies the LM head to the last token only).
 * @param matmulFlopsPerS the `roofline` reply's rate, FLOP per second
 */
export function prefillRateRow(
  chunk: number,
  timeS: number,
  parameters: number,
  matmulFlopsPerS: number,
): PrefillRateRow {
  const flopsPerS = (2 * parameters * chunk) / timeS;
  return { chunk, timeS, tokensPerS: chunk / timeS, flopsPerS, matmulFrac: flopsPerS / matmulFlopsPerS };
}
