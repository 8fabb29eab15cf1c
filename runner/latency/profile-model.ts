import { InputError } from '../errors.js';
import { ATTN_RESHAPE_MS, attentionDecodeMs, attentionPrefillMs } from './a100-llama2-7b-attention.js';
import type { BatchShape } from './batch-shape.js';
import type { IterationTimeModel } from './iteration-time-model.js';
import type { ModelArchitecture } from './model-architectures.js';
import { interpolate, isotonicNonDecreasing, type OperatorProfile } from './operator-profile.js';
import {
  FIT_BATCH_SIZES,
  FIT_KV_LENGTHS,
  fitLeastSquaresLine,
  type LinearFit,
} from './profile-linear-fit.js';

/**
 * Attention time of one layer, milliseconds, for the two kinds of attention call Vidur models
 * (vidur/execution_time_predictor/sklearn_execution_time_predictor.py): one batched decode call
 * and one (aggregated) prefill call. Implementations: closed-form fits (A100 Llama-2-7B below),
 * later measured tables for other GPUs. The profile model applies Vidur's batch-combination and
 * rounding rules before calling these, so implementations see the rounded arguments.
 */
export interface AttentionModel {
  /** Short name for reports: `a100-llama2-7b closed-form fit`. */
  readonly name: string;
  /** Where its numbers come from. */
  readonly source: string;
  /**
   * Decode attention of a batch, ms per layer.
   * @param batch decode requests in the batch, >= 1
   * @param kv their mean KV length in tokens (Vidur: floored mean rounded up to 64)
   */
  decodeMs(batch: number, kv: number): number;
  /**
   * Prefill attention, ms per layer.
   * @param chunk prefill tokens (for several prefills: round(sqrt(sum of squares)))
   * @param kv tokens already cached (for several prefills: the sum, each rounded up to 64)
   */
  prefillMs(chunk: number, kv: number): number;
  /**
   * Per-layer time charged once per iteration whatever the batch: Vidur's `attn_input_reshape`
   * plus `attn_output_reshape` columns of `attention.csv`.
   */
  readonly perIterationMs: number;
}

/** b^0.9 for b < POW_TABLE_SIZE, precomputed for the decode fit. */
const POW_TABLE_SIZE = 4097;

/**
 * Llama-2-7B on A100-80GB (tensor parallel 1, FlashAttention, block 16): the closed-form fits of
 * data/vidur/ATTENTION.md (runner/latency/a100-llama2-7b-attention.ts), fitted to Vidur's real
 * A100 attention profile; input reshape 0 ms and output reshape 0.002 ms per layer. The fits are
 * evaluated as they are outside their fitting grid (decode b 1-128, kv 32-4,032; prefill c
 * 64-4,096, c + kv <= 4,096): no clamping.
 */
class A100Llama27bAttention implements AttentionModel {
  readonly name = 'a100-llama2-7b closed-form fit';
  readonly source = 'data/vidur/ATTENTION.md (fits to Vidur a100/meta-llama/Llama-2-7b-hf/attention.csv)';
  private readonly pow09 = new Float64Array(POW_TABLE_SIZE);

  /** @param perIterationMs attn_input_reshape (0 ms in this stand-in) + attn_output_reshape */
  constructor(readonly perIterationMs: number) {
    for (let b = 0; b < POW_TABLE_SIZE; b++) this.pow09[b] = b ** 0.9;
  }

  decodeMs(batch: number, kv: number): number {
    // Same coefficients as attentionDecodeMs, with b^0.9 from a table.
    if (batch >= POW_TABLE_SIZE || !Number.isInteger(batch)) return attentionDecodeMs(batch, kv);
    return 6.97099345e-3 + 1.07891434e-3 * batch + 1.26434466e-5 * kv * this.pow09[batch];
  }

  prefillMs(chunk: number, kv: number): number {
    return attentionPrefillMs(chunk, kv);
  }
}

/**
 * The A100 Llama-2-7B attention model (closed-form fits).
 * @param perIterationMs per-layer reshape time charged every iteration; default 0.002 ms
 *   (ATTENTION.md). Vidur's predictor source charges `attn_kv_cache_save` there instead, which is 0
 *   when `attention.csv` has no such column; pass 0 to leave the term out.
 */
export function createA100Llama27bAttention(perIterationMs: number = ATTN_RESHAPE_MS): AttentionModel {
  return new A100Llama27bAttention(perIterationMs);
}

/** The A100 Llama-2-7B attention model (closed-form fits, 0.002 ms reshape per layer). */
export const A100_LLAMA2_7B_ATTENTION: AttentionModel = createA100Llama27bAttention();

/** What the token-wise table does for a batch of more tokens than the profile covers. */
export type ProfileExtrapolation = 'linear' | 'clamp';

/** Options of the profile model. */
export interface ProfileModelOptions {
  /** Token-wise operator profile (tensor parallel 1) of this GPU and model. */
  profile: OperatorProfile;
  /** The model's shape; its head counts and sizes must match the profile's columns. */
  architecture: ModelArchitecture;
  /** Attention times for this GPU and model. */
  attention: AttentionModel;
  /** GPU name for reports: `a100`. */
  gpu: string;
  /**
   * Make the summed token-wise time non-decreasing in token count by isotonic regression (pool
   * adjacent violators) over the profiled points before interpolating. Default true. The raw
   * medians dip in places (GEMM kernel choices and noise; up to 7.5 % for A100 Llama-2-7B);
   * points that need no change are kept exactly. false: interpolate the raw medians.
   */
  monotone?: boolean;
  /**
   * Beyond the largest profiled token count: `linear` (default) continues along the secant
   * through the profile at half the largest count and at the largest count (the GEMMs are
   * compute-bound there, so time grows linearly in tokens); `clamp` keeps the last value.
   */
  extrapolation?: ProfileExtrapolation;
  /**
   * Vidur's extra attention time for batching several requests in one call, as fractions
   * (sklearn_execution_time_predictor.py: `attention_decode_batching_overhead_fraction` and
   * `attention_prefill_batching_overhead_fraction`, both 0.1 by default in vidur/config/config.py,
   * applied only to grouped-query models, heads > KV heads, and only when the call covers more
   * than one request). Default: Vidur's rule.
   */
  attentionBatchingOverhead?: { decode: number; prefill: number };
}

/** Vidur rounds the batch's token count up to a multiple of this for token-wise ops (entities/batch.py). */
export const TOKEN_ROUNDING = 8;
/** Vidur's `kv_cache_prediction_granularity` (vidur/config/config.py): KV lengths round up to it. */
export const KV_GRANULARITY = 64;

/**
 * Vidur-style iteration time from measured per-operator profiles: per layer,
 * the nine token-wise operators at the batch's token count, plus attention, times the layers.
 *
 * Rules, as Vidur commit 7d47513 applies them (`vidur/entities/batch.py`,
 * `vidur/execution_time_predictor/sklearn_execution_time_predictor.py`,
 * `vidur/entities/execution_time.py`):
 * - token-wise ops (`attn_pre_proj, attn_rope, attn_post_proj, input_layernorm,
 *   post_attention_layernorm, mlp_up_proj, mlp_act, mlp_down_proj, add`) take the batch's token
 *   count (prefill chunk tokens + one per decode) rounded up to a multiple of 8
 *   (`_total_num_tokens_rounded`). Vidur predicts them with a random forest over `num_tokens`;
 *   here the profile's medians are linearly interpolated between profiled counts (exact at them)
 *   and tabulated per multiple of 8 at construction, so the lookup is O(1);
 * - decode attention: one call with (decode requests, their mean KV length floored to an integer
 *   and rounded up to 64) (`_get_batch_decode_attention_params`); a decode request's KV length is
 *   its tokens so far including the one this iteration writes, as `BatchShape.decodeKvTokens`;
 * - prefill attention: each prefill's cached KV rounded up to 64, then one call with (sum of those
 *   KV lengths, round(sqrt(sum of chunk^2))) (`_get_batch_prefill_attention_params` and
 *   `_get_attention_prefill_execution_time`: Vidur looks up the feature chunk^2 =
 *   round(sqrt(sum c^2))^2); one prefill is the case of one term;
 * - batching overhead for grouped-query models (see `attentionBatchingOverhead`);
 * - per layer once per iteration: the attention model's reshape time;
 * - iteration = layers x (token-wise + decode attention + prefill attention + reshape), ms to s
 *   (`ExecutionTime.model_time`); no CPU overhead (Vidur's `skip_cpu_overhead_modeling` default).
 */
export class ProfileIterationTimeModel implements IterationTimeModel {
  readonly kind = 'profile';
  readonly architecture: ModelArchitecture;
  readonly attention: AttentionModel;
  readonly gpu: string;
  readonly profile: OperatorProfile;
  /** Largest profiled token count. */
  readonly maxProfiledTokens: number;
  private readonly monotone: boolean;
  private readonly extrapolation: ProfileExtrapolation;
  /** table[k] = token-wise ms per layer at 8k tokens, k = 0 .. maxIndex. */
  private readonly table: Float64Array;
  private readonly maxIndex: number;
  /** Token-wise ms per layer at maxProfiledTokens, and ms per token beyond it. */
  private readonly lastMs: number;
  private readonly slopeMs: number;
  /** Seconds per (ms per layer). */
  private readonly secondsPerLayerMs: number;
  private readonly decodeOverhead: number;
  private readonly prefillOverhead: number;
  private readonly perIterationMs: number;
  /** Knots actually interpolated (after the optional isotonic pass). */
  private readonly knotTokens: Float64Array;
  private readonly knotMs: Float64Array;

  /**
   * @throws InputError when the profile's model columns do not match the architecture
   */
  constructor(options: ProfileModelOptions) {
    const { profile, architecture: arch, attention } = options;
    const c = profile.columns;
    const mismatches: string[] = [];
    if (c.nHead !== arch.heads) mismatches.push(`n_head ${c.nHead} vs heads ${arch.heads}`);
    if (c.nKvHead !== arch.kvHeads) mismatches.push(`n_kv_head ${c.nKvHead} vs kvHeads ${arch.kvHeads}`);
    if (c.nEmbd !== arch.hiddenSize) mismatches.push(`n_embd ${c.nEmbd} vs hiddenSize ${arch.hiddenSize}`);
    if (c.nExpandedEmbd !== arch.ffnSize)
      mismatches.push(`n_expanded_embd ${c.nExpandedEmbd} vs ffnSize ${arch.ffnSize}`);
    if (mismatches.length > 0) {
      throw new InputError(
        `${profile.source}: profile does not match model ${arch.id}: ${mismatches.join('; ')}`,
        { file: profile.source },
      );
    }
    this.profile = profile;
    this.architecture = arch;
    this.attention = attention;
    this.gpu = options.gpu;
    this.monotone = options.monotone ?? true;
    this.extrapolation = options.extrapolation ?? 'linear';
    const gqa = arch.heads > arch.kvHeads;
    const overhead = options.attentionBatchingOverhead ?? { decode: gqa ? 0.1 : 0, prefill: gqa ? 0.1 : 0 };
    this.decodeOverhead = overhead.decode;
    this.prefillOverhead = overhead.prefill;
    this.perIterationMs = attention.perIterationMs;
    this.secondsPerLayerMs = arch.layers / 1000;

    this.knotTokens = profile.tokens;
    this.knotMs = this.monotone ? isotonicNonDecreasing(profile.totalMs) : Float64Array.from(profile.totalMs);
    const n = this.knotTokens.length;
    this.maxProfiledTokens = this.knotTokens[n - 1];
    this.maxIndex = Math.floor(this.maxProfiledTokens / TOKEN_ROUNDING);
    this.table = new Float64Array(this.maxIndex + 1);
    for (let k = 0; k <= this.maxIndex; k++) {
      this.table[k] = interpolate(this.knotTokens, this.knotMs, k * TOKEN_ROUNDING);
    }
    this.lastMs = this.knotMs[n - 1];
    const half = this.maxProfiledTokens / 2;
    const secant =
      (this.lastMs - interpolate(this.knotTokens, this.knotMs, half)) / (this.maxProfiledTokens - half);
    this.slopeMs = this.extrapolation === 'linear' && Number.isFinite(secant) && secant > 0 ? secant : 0;
  }

  /**
   * Token-wise operators' time, ms per layer, for a batch of `tokens` tokens (rounded up to a
   * multiple of 8 first, as Vidur does).
   */
  tokenWiseMs(tokens: number): number {
    const k = Math.ceil(tokens / TOKEN_ROUNDING);
    if (k <= this.maxIndex) return this.table[k];
    return this.lastMs + this.slopeMs * (k * TOKEN_ROUNDING - this.maxProfiledTokens);
  }

  /** Decode attention, ms per layer, for b decode requests touching kvTotal KV tokens in all. */
  decodeAttentionMs(b: number, kvTotal: number): number {
    if (b <= 0) return 0;
    const mean = Math.floor(kvTotal / b);
    const kv = Math.ceil(mean / KV_GRANULARITY) * KV_GRANULARITY;
    const ms = this.attention.decodeMs(b, kv);
    return b > 1 ? ms * (1 + this.decodeOverhead) : ms;
  }

  /** Prefill attention, ms per layer, of the batch's prefill chunks (Vidur's aggregation). */
  prefillAttentionMs(batch: BatchShape): number {
    const n = batch.numPrefills;
    if (n === 0) return 0;
    let kv = 0;
    let sumSq = 0;
    for (let k = 0; k < n; k++) {
      const c = batch.prefillTokens[k];
      kv += Math.ceil(batch.prefillKvBefore[k] / KV_GRANULARITY) * KV_GRANULARITY;
      sumSq += c * c;
    }
    // sqrt of an integer is never exactly m + 0.5, so Math.round agrees with Python's round.
    const chunk = n === 1 ? batch.prefillTokens[0] : Math.round(Math.sqrt(sumSq));
    const ms = this.attention.prefillMs(chunk, kv);
    return n > 1 ? ms * (1 + this.prefillOverhead) : ms;
  }

  iterationTime(batch: BatchShape): number {
    const ms =
      this.tokenWiseMs(batch.totalPrefillTokens + batch.numDecodes) +
      this.decodeAttentionMs(batch.numDecodes, batch.decodeKvTokens) +
      this.prefillAttentionMs(batch) +
      this.perIterationMs;
    return ms * this.secondsPerLayerMs;
  }

  describe(): Record<string, number | string> {
    return {
      model: 'profile',
      gpu: this.gpu,
      modelName: this.architecture.id,
      layers: this.architecture.layers,
      tokenWiseSource: this.profile.source,
      tokenWise: `${this.monotone ? 'isotonic' : 'raw'} medians, interpolated, tokens rounded up to ${TOKEN_ROUNDING}, ${this.extrapolation} beyond ${this.maxProfiledTokens}`,
      attention: this.attention.name,
      attentionSource: this.attention.source,
      architectureSource: this.architecture.source,
    };
  }

  /**
   * The paper's linear model tau = d0 + d1 x fitted to this model, the way
   * `fitLinearFromProfile` (profile-linear-fit.ts) fits it: ordinary least squares over decode
   * batches of b in FIT_BATCH_SIZES requests with mean KV length kv in FIT_KV_LENGTHS, x = b kv.
   * Each point's time is this model's `iterationTime` of that batch, so Vidur's rounding rules
   * apply (token count up to 8, mean KV up to 64) and the fit describes this machine exactly.
   * This is the paper's decode-only fit, kept for comparison: a machine's `linear` model (the
   * fluid benchmark's) is fitLinearWithPrefill over mixed prefill and decode batches
   * (docs/linear-fit.md).
   */
  linearFit(): LinearFit {
    const shape: BatchShape = {
      numPrefills: 0,
      prefillTokens: new Int32Array(0),
      prefillKvBefore: new Int32Array(0),
      totalPrefillTokens: 0,
      numDecodes: 0,
      decodeKvTokens: 0,
    };
    const points: LinearFit['points'] = [];
    for (const b of FIT_BATCH_SIZES) {
      for (const kv of FIT_KV_LENGTHS) {
        shape.numDecodes = b;
        shape.decodeKvTokens = b * kv;
        points.push({ x: b * kv, y: this.iterationTime(shape), batch: b, kv });
      }
    }
    return fitLeastSquaresLine(points);
  }
}
