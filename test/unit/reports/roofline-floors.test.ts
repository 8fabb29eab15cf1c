import { describe, expect, it } from 'vitest';
import {
  decodeFloorRow,
  decodeKvLenFor,
  dtypeBytes,
  prefillChunkLimit,
  prefillRateRow,
  weightBytes,
  type LoadedModel,
} from '../../../runner/reports/roofline-floors.js';

/** Llama-2-7B in float16 as the worker's `loaded` reply describes it (16-token blocks: 0.5 MiB of KV per token). */
const LLAMA_7B: LoadedModel = {
  parameters: 6_738_415_616,
  dtype: 'float16',
  kv_blocks: 7424,
  block_size: 16,
  kv_block_bytes: 2 * 32 * 16 * 32 * 128 * 2,
  config: {
    vocab_size: 32000,
    hidden_size: 4096,
    intermediate_size: 11008,
    num_hidden_layers: 32,
    num_attention_heads: 32,
    num_key_value_heads: 32,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    max_position_embeddings: 4096,
    tie_word_embeddings: false,
    head_dim: 128,
  },
};

describe('roofline floors', () => {
  it('weight bytes are parameters x the dtype size', () => {
    expect(weightBytes(LLAMA_7B)).toBe(13_476_831_232);
    expect(weightBytes({ ...LLAMA_7B, dtype: 'float32' })).toBe(26_953_662_464);
    expect(dtypeBytes('bfloat16')).toBe(2);
    expect(() => dtypeBytes('int8')).toThrow(/unknown dtype "int8"/);
  });

  it('the decode floor reads the weights once, plus the KV of every request', () => {
    // 2 TB/s; batch 128 at 512 cached tokens reads 128 x 512 x 0.5 MiB = 32 GiB of KV.
    const row = decodeFloorRow(128, 512, 0.05, LLAMA_7B, 2e12);
    expect(row.weightFloorS).toBeCloseTo(13_476_831_232 / 2e12, 12);
    expect(row.kvBytes).toBe(128 * 512 * 2 ** 19);
    expect(row.floorS).toBeCloseTo((13_476_831_232 + 2 ** 35) / 2e12, 12);
    expect(row.timesFloor).toBeCloseTo(0.05 / row.floorS, 12);
    expect(row.tokensPerS).toBeCloseTo(2560, 9);
  });

  it('caps the decode KV length by the KV cache and the context', () => {
    const small = {
      ...LLAMA_7B,
      kv_blocks: 96,
      config: { ...LLAMA_7B.config, max_position_embeddings: 2048 },
    };
    expect([1, 16, 64, 128].map((b) => decodeKvLenFor(b, 512, small))).toEqual([512, 95, 15, 0]);
    expect(decodeKvLenFor(1, 5000, LLAMA_7B)).toBe(4095);
    expect(decodeKvLenFor(128, 512, LLAMA_7B)).toBe(512);
    expect(prefillChunkLimit(small)).toBe(1536);
    expect(prefillChunkLimit(LLAMA_7B)).toBe(4096);
  });

  it('prefill FLOP/s are 2 x parameters x tokens over the time', () => {
    const row = prefillRateRow(2048, 0.1, LLAMA_7B.parameters, 5e14);
    expect(row.tokensPerS).toBeCloseTo(20480, 9);
    expect(row.flopsPerS).toBeCloseTo((2 * 6_738_415_616 * 2048) / 0.1, 0);
    expect(row.matmulFrac).toBeCloseTo(row.flopsPerS / 5e14, 12);
  });
});
