import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../runner/errors.js';
import { attentionDecodeMs, attentionPrefillMs } from '../../../runner/latency/a100-llama2-7b-attention.js';
import type { BatchShape } from '../../../runner/latency/batch-shape.js';
import { MODEL_ARCHITECTURES, type ModelArchitecture } from '../../../runner/latency/model-architectures.js';
import {
  loadOperatorProfile,
  parseOperatorProfile,
  TOKEN_WISE_OPS,
} from '../../../runner/latency/operator-profile.js';
import {
  A100_LLAMA2_7B_ATTENTION,
  createA100Llama27bAttention,
  ProfileIterationTimeModel,
  type AttentionModel,
} from '../../../runner/latency/profile-model.js';

const MLP = fileURLToPath(
  new URL(
    '../../../data/vidur/data/profiling/compute/a100/meta-llama/Llama-2-7b-hf/mlp.csv',
    import.meta.url,
  ),
);
const LLAMA2_7B = MODEL_ARCHITECTURES['meta-llama/Llama-2-7b-hf'];
const profile = loadOperatorProfile(MLP);
const model = new ProfileIterationTimeModel({
  profile,
  architecture: LLAMA2_7B,
  attention: A100_LLAMA2_7B_ATTENTION,
  gpu: 'a100',
});
const rawModel = new ProfileIterationTimeModel({
  profile,
  architecture: LLAMA2_7B,
  attention: A100_LLAMA2_7B_ATTENTION,
  gpu: 'a100',
  monotone: false,
});

/** Summed TP1 medians (ms per layer) at a profiled token count, straight from the profile. */
const rawMs = (tokens: number) => profile.totalMs[profile.tokens.indexOf(tokens)];

function batch(prefills: [chunk: number, kvBefore: number][], decodeKvs: number[] = []): BatchShape {
  return {
    numPrefills: prefills.length,
    prefillTokens: Int32Array.from(prefills.map((p) => p[0])),
    prefillKvBefore: Int32Array.from(prefills.map((p) => p[1])),
    totalPrefillTokens: prefills.reduce((s, p) => s + p[0], 0),
    numDecodes: decodeKvs.length,
    decodeKvTokens: decodeKvs.reduce((s, k) => s + k, 0),
  };
}

/** Seconds for 32 layers of `msPerLayer`. */
const secs = (msPerLayer: number) => (32 * msPerLayer) / 1000;

describe('ProfileIterationTimeModel token-wise table (A100 Llama-2-7B, mlp.csv TP1 rows)', () => {
  it('raw mode is exact at profiled multiples of 8', () => {
    for (const t of [8, 64, 128, 160, 168, 512, 1024, 1536, 2048, 3072, 4064, 4096]) {
      expect(rawModel.tokenWiseMs(t)).toBeCloseTo(rawMs(t), 12);
    }
    // README/row values: 512 tokens sums to 1.0425 ms, 3,072 to 6.1535 ms, 4,096 to the mean of
    // its two rows (8.1705 + 8.0745) / 2 = 8.1225 ms.
    expect(rawModel.tokenWiseMs(512)).toBeCloseTo(1.0425, 9);
    expect(rawModel.tokenWiseMs(3072)).toBeCloseTo(6.1535, 9);
    expect(rawModel.tokenWiseMs(4096)).toBeCloseTo(8.1225, 9);
  });

  it('interpolates linearly between profiled counts (1,024 and 1,040 are profiled, 1,032 is not)', () => {
    expect(rawModel.tokenWiseMs(1032)).toBeCloseTo((rawMs(1024) + rawMs(1040)) / 2, 12);
  });

  it('rounds the token count up to a multiple of 8 first, as Vidur does', () => {
    expect(model.tokenWiseMs(1)).toBe(model.tokenWiseMs(8));
    expect(model.tokenWiseMs(505)).toBe(model.tokenWiseMs(512));
    expect(model.tokenWiseMs(512)).not.toBe(model.tokenWiseMs(513));
  });

  it('the raw medians are not monotone; the default (isotonic) table is, and keeps the points that need no change', () => {
    // Raw dip: 160 tokens 0.557 ms, 168 tokens 0.5185 ms.
    expect(rawMs(168)).toBeLessThan(rawMs(160));
    for (let t = 16; t <= 4096 + 512; t += 8) {
      expect(model.tokenWiseMs(t)).toBeGreaterThanOrEqual(model.tokenWiseMs(t - 8));
    }
    // Points consistent with a non-decreasing sequence are kept exactly.
    for (const t of [64, 128, 512, 3072]) expect(model.tokenWiseMs(t)).toBe(rawMs(t));
    // Elsewhere it stays within 7.5 % of the measured medians.
    for (const t of profile.tokens) {
      if (t < 8 || t % 8 !== 0) continue;
      expect(Math.abs(model.tokenWiseMs(t) / rawMs(t) - 1)).toBeLessThan(0.076);
    }
  });

  it('extrapolates linearly beyond 4,096 tokens along the secant from 2,048 to 4,096 (or clamps)', () => {
    const slope = (model.tokenWiseMs(4096) - model.tokenWiseMs(2048)) / 2048;
    expect(model.tokenWiseMs(8192)).toBeCloseTo(model.tokenWiseMs(4096) + 4096 * slope, 12);
    // About twice the 4,096-token time: the GEMMs are linear in tokens there.
    expect(model.tokenWiseMs(8192) / model.tokenWiseMs(4096)).toBeCloseTo(2, 1);
    const clamped = new ProfileIterationTimeModel({
      profile,
      architecture: LLAMA2_7B,
      attention: A100_LLAMA2_7B_ATTENTION,
      gpu: 'a100',
      extrapolation: 'clamp',
    });
    expect(clamped.tokenWiseMs(8192)).toBe(clamped.tokenWiseMs(4096));
  });
});

describe('A100 Llama-2-7B attention fits (data/vidur/ATTENTION.md), hand-computed', () => {
  const a = A100_LLAMA2_7B_ATTENTION;
  it('decode', () => {
    // b = 1, kv = 2112: 0.006971 + 0.001079 + 1.26434e-5 x 2112 x 1 = 0.008050 + 0.026703 = 0.034753
    expect(a.decodeMs(1, 2112)).toBeCloseTo(0.0347529, 6);
    // b = 64, kv = 2112: 64^0.9 = 2^5.4 = 42.2243; 0.006971 + 0.069051 + 0.026703 x 42.2243 = 1.20353
    // (Vidur's file: 1.22)
    expect(a.decodeMs(64, 2112)).toBeCloseTo(1.20353, 4);
    // b = 128, kv = 2048: 128^0.9 = 2^6.3 = 78.7932; 0.006971 + 0.138101 + 0.025894 x 78.7932 = 2.18533
    // (Vidur's file: 2.142)
    expect(a.decodeMs(128, 2048)).toBeCloseTo(2.18533, 4);
  });
  it('agrees bit for bit with a100-llama2-7b-attention.ts (decode uses a table of b^0.9)', () => {
    for (const b of [1, 2, 3, 64, 127, 128, 500, 4096, 5000]) {
      for (const kv of [64, 2112, 4032]) expect(a.decodeMs(b, kv)).toBe(attentionDecodeMs(b, kv));
    }
    expect(a.prefillMs(960, 3136)).toBe(attentionPrefillMs(960, 3136));
  });
  it('prefill', () => {
    // c = 960, kv = 0: 1.26626e-4 x 960 + 1.25163e-7 x 960^2 = 0.121561 + 0.115351 = 0.236912 (file: 0.244)
    expect(a.prefillMs(960, 0)).toBeCloseTo(0.236912, 5);
    // c = 960, kv = 3136: + (1.12296e-5 + 1.07688e-7 x 960) x 3136 = 1.146099e-4 x 3136 = 0.359417;
    // total 0.596328 (file: 0.593)
    expect(a.prefillMs(960, 3136)).toBeCloseTo(0.596328, 5);
    // c = 2112, kv = 0: 0.267435 + 0.558297 = 0.825731 (file: 0.828)
    expect(a.prefillMs(2112, 0)).toBeCloseTo(0.825731, 5);
    // Floor of 0.005 ms: c = 10 gives 0.00128 + 0.0000125 < 0.005.
    expect(a.prefillMs(10, 0)).toBe(0.005);
    expect(a.perIterationMs).toBe(0.002);
    expect(createA100Llama27bAttention(0).perIterationMs).toBe(0);
    expect(createA100Llama27bAttention(0).decodeMs(64, 2112)).toBe(a.decodeMs(64, 2112));
  });
});

describe("ProfileIterationTimeModel combines a batch as Vidur's execution-time predictor does", () => {
  const dec = (b: number, kv: number) => A100_LLAMA2_7B_ATTENTION.decodeMs(b, kv);
  const pre = (c: number, kv: number) => A100_LLAMA2_7B_ATTENTION.prefillMs(c, kv);
  const T = (t: number) => model.tokenWiseMs(t);

  it('decode-only: (b, floored mean KV rounded up to 64), tokens = b rounded up to 8', () => {
    // KV 100 + 200 + 301 = 601, mean 200.33 -> 200 -> 256; 3 tokens -> 8.
    // decode(3, 256) = 0.006971 + 0.003237 + 1.26434e-5 x 256 x 3^0.9 (2.68788) = 0.0189076 ms.
    expect(dec(3, 256)).toBeCloseTo(0.0189076, 6);
    expect(model.iterationTime(batch([], [100, 200, 301]))).toBeCloseTo(secs(T(8) + dec(3, 256) + 0.002), 15);
    // Mean exactly 2,112 (a multiple of 64) stays 2,112.
    expect(model.iterationTime(batch([], [2112, 2112]))).toBeCloseTo(secs(T(8) + dec(2, 2112) + 0.002), 15);
  });

  it('one prefill: its chunk and its cached KV rounded up to 64', () => {
    // Chunk 512 after 1,000 cached tokens: KV 1,000 -> 1,024; 512 tokens.
    expect(model.iterationTime(batch([[512, 1000]]))).toBeCloseTo(secs(T(512) + pre(512, 1024) + 0.002), 15);
    // A whole 4,096-token prompt: 32 x (8.12 + 2.615 + 0.002) ms = 0.3436 s.
    expect(model.iterationTime(batch([[4096, 0]]))).toBeCloseTo(secs(T(4096) + pre(4096, 0) + 0.002), 15);
  });

  it('two prefills: sum of KV (each rounded up to 64) and round(sqrt(c1^2 + c2^2))', () => {
    // c 300 and 400, KV 0 and 100 -> 0 + 128 = 128; sqrt(90,000 + 160,000) = 500; tokens 700 -> 704.
    // prefill(500, 128) = 0.063313 + 0.031291 + (1.12296e-5 + 5.38439e-5) x 128 = 0.102933 ms.
    expect(pre(500, 128)).toBeCloseTo(0.1029334, 6);
    expect(
      model.iterationTime(
        batch([
          [300, 0],
          [400, 100],
        ]),
      ),
    ).toBeCloseTo(secs(T(704) + pre(500, 128) + 0.002), 15);
    // c 100 and 200: sqrt(50,000) = 223.6 -> 224; tokens 300 -> 304. Not the sum (300).
    expect(
      model.iterationTime(
        batch([
          [100, 0],
          [200, 0],
        ]),
      ),
    ).toBeCloseTo(secs(T(304) + pre(224, 0) + 0.002), 15);
  });

  it('mixed: token-wise at prefill tokens + decodes, plus both attention calls', () => {
    // Sarathi-style: chunk 512 after 1,000 cached + 10 decodes of mean KV 2,000 (-> 2,048); 522 -> 528 tokens.
    const shape = batch([[512, 1000]], Array(10).fill(2000));
    expect(model.iterationTime(shape)).toBeCloseTo(secs(T(528) + dec(10, 2048) + pre(512, 1024) + 0.002), 15);
  });

  it('handles prompts longer than the profile (extrapolated token-wise time, fits evaluated as they are)', () => {
    const t = model.iterationTime(batch([[12000, 0]]));
    expect(t).toBeCloseTo(secs(model.tokenWiseMs(12000) + pre(12000, 0) + 0.002), 15);
    expect(t).toBeGreaterThan(model.iterationTime(batch([[4096, 0]])) * 2.9);
  });

  it('describes itself', () => {
    const d = model.describe();
    expect(d).toMatchObject({
      model: 'profile',
      gpu: 'a100',
      modelName: 'meta-llama/Llama-2-7b-hf',
      layers: 32,
    });
    expect(String(d.tokenWiseSource)).toContain('Llama-2-7b-hf/mlp.csv');
    expect(String(d.attentionSource)).toContain('ATTENTION.md');
    expect(model.kind).toBe('profile');
  });

  it('fits the linear model over the decode grid of profile-linear-fit.ts', () => {
    const fit = model.linearFit();
    expect(fit.points).toHaveLength(63);
    for (const p of fit.points) {
      expect(p.y).toBe(model.iterationTime(batch([], Array(p.batch).fill(p.kv))));
    }
    // Close to the built-in linear machine's fit (d0 0.01125 s, d1 2.684e-7 s/token), which
    // skips Vidur's rounding of tokens to 8 and KV to 64.
    expect(fit.d0).toBeGreaterThan(0.0105);
    expect(fit.d0).toBeLessThan(0.012);
    expect(fit.d1).toBeGreaterThan(2.6e-7);
    expect(fit.d1).toBeLessThan(2.8e-7);
    expect(fit.r2).toBeGreaterThan(0.99);
  });
});

describe('ProfileIterationTimeModel with a grouped-query model', () => {
  // A tiny profile shaped like Llama-3-8B (32 heads, 8 KV heads): 1 ms per layer at every count.
  const row = (t: number) =>
    `32,8,4096,14336,128256,True,1,${t},${TOKEN_WISE_OPS.map(() => 1 / 9).join(',')}`;
  const header = `n_head,n_kv_head,n_embd,n_expanded_embd,vocab_size,use_gated_mlp,num_tensor_parallel_workers,num_tokens,${TOKEN_WISE_OPS.map((op) => `time_stats.${op}.median`).join(',')}`;
  const gqaProfile = parseOperatorProfile([header, row(1), row(8), row(64)].join('\n'), 'gqa.csv');
  const flat: AttentionModel = {
    name: 'flat',
    source: 'test',
    perIterationMs: 0,
    decodeMs: () => 1,
    prefillMs: () => 1,
  };
  const llama3 = MODEL_ARCHITECTURES['meta-llama/Meta-Llama-3-8B'];
  const m = new ProfileIterationTimeModel({
    profile: gqaProfile,
    architecture: llama3,
    attention: flat,
    gpu: 'x',
  });

  it("adds Vidur's 10 % batching overhead to attention calls covering more than one request", () => {
    // 1 ms token-wise + 1 ms attention, 32 layers.
    expect(m.iterationTime(batch([], [100]))).toBeCloseTo(secs(1 + 1), 12);
    expect(m.iterationTime(batch([], [100, 100]))).toBeCloseTo(secs(1 + 1.1), 12);
    expect(m.iterationTime(batch([[10, 0]]))).toBeCloseTo(secs(1 + 1), 12);
    expect(
      m.iterationTime(
        batch([
          [10, 0],
          [10, 0],
        ]),
      ),
    ).toBeCloseTo(secs(1 + 1.1), 12);
    expect(
      m.iterationTime(
        batch(
          [
            [10, 0],
            [10, 0],
          ],
          [5, 5],
        ),
      ),
    ).toBeCloseTo(secs(1 + 1.1 + 1.1), 12);
  });

  it('rejects a profile of another model', () => {
    expect(
      () =>
        new ProfileIterationTimeModel({
          profile: gqaProfile,
          architecture: LLAMA2_7B,
          attention: flat,
          gpu: 'x',
        }),
    ).toThrow(InputError);
    const wrongFfn: ModelArchitecture = { ...llama3, ffnSize: 1 };
    expect(
      () =>
        new ProfileIterationTimeModel({
          profile: gqaProfile,
          architecture: wrongFfn,
          attention: flat,
          gpu: 'x',
        }),
    ).toThrow(/n_expanded_embd 14336 vs ffnSize 1/);
  });
});
