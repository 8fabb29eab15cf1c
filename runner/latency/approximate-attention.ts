/**
 * APPROXIMATE attention for (GPU, model) pairs without attention data.
 *
 * The shared Vidur data has token-wise operator profiles (`mlp.csv`) for A100, A40 and H100 x
 * several models, but attention measurements (closed-form fits, data/vidur/ATTENTION.md) only
 * for Llama-2-7B on A100-80GB. Every other preset derives its attention from those fits by
 * first-order roofline scaling; these are estimates, not measurements, and every preset that
 * uses them says so in its description ("APPROXIMATE attention:") and in
 * `hardware.sources.attention`.
 *
 * Scaling of the A100 Llama-2-7B fits (runner/latency/a100-llama2-7b-attention.ts),
 * decode(b, kv) = A0 + A1 b + A2 kv b^0.9 and prefill(c, kv):
 * - decode attention is memory-bound (it streams the batch's KV cache once per step): the
 *   KV-dependent term A2 kv b^0.9 scales by (the model's KV bytes per token per layer /
 *   Llama-2-7B's 16,384: 2 x KV heads x head dim x 2 bytes, so grouped-query models use their KV
 *   heads) x (A100 memory bandwidth / the GPU's); the per-request term A1 b scales by the
 *   bandwidth ratio alone; the constant A0 (kernel launch) is kept;
 * - prefill attention is compute-bound (FlashAttention's QK^T and PV GEMMs): the whole prefill
 *   time, including its 0.005 ms floor, scales by (query heads x head dim / Llama-2-7B's 4,096) x
 *   (A100 dense fp16 tensor TFLOPS / the GPU's);
 * - the per-iteration reshape time (0.002 ms per layer) is kept.
 * Vidur's 10 % batching overhead for grouped-query models is applied by the profile model, as
 * for any attention model.
 */
import { ATTN_RESHAPE_MS, attentionDecodeMs, attentionPrefillMs } from './a100-llama2-7b-attention.js';
import { kvBytesPerToken, modelArchitecture, type ModelArchitecture } from './model-architectures.js';
import type { AttentionModel } from './profile-model.js';

/** Published peak figures of a GPU used to scale the A100 fits. */
export interface GpuSpec {
  /** Key used by the profile folders and VIDUR_DEVICE_MEMORY_GIB: `a100`. */
  readonly key: string;
  /** Display name: `A100-80GB`. */
  readonly name: string;
  /** Peak memory bandwidth, GB/s (10^9 bytes per second). */
  readonly memoryBandwidthGBs: number;
  /** Peak dense (no sparsity) fp16 tensor-core throughput, TFLOPS. */
  readonly fp16TensorTflops: number;
  /** Where the figures come from. */
  readonly source: string;
}

/**
 * Datasheet figures. Vidur's device SKUs (vidur/config/device_sku_config.py) are A100 80 GB,
 * H100 80 GB and A40; the SXM variants of A100 and H100 are assumed (Vidur's profiles came from
 * DGX-class machines; the PCIe parts have lower bandwidth and TFLOPS, so this is a choice).
 */
export const GPU_SPECS: Readonly<Record<'a100' | 'a40' | 'h100', GpuSpec>> = {
  // NVIDIA A100 Tensor Core GPU datasheet (A100 80GB SXM): GPU memory bandwidth 2,039 GB/s;
  // FP16 Tensor Core 312 TFLOPS (624 with structural sparsity).
  a100: {
    key: 'a100',
    name: 'A100-80GB',
    memoryBandwidthGBs: 2039,
    fp16TensorTflops: 312,
    source: 'NVIDIA A100 datasheet, 80GB SXM: 2,039 GB/s, 312 TFLOPS dense fp16 tensor',
  },
  // NVIDIA H100 Tensor Core GPU datasheet (H100 SXM): GPU memory bandwidth 3.35 TB/s; FP16 Tensor
  // Core 1,979 TFLOPS with sparsity, so 989.4 dense (the datasheet's figures are "with sparsity").
  h100: {
    key: 'h100',
    name: 'H100-80GB',
    memoryBandwidthGBs: 3350,
    fp16TensorTflops: 989.4,
    source: 'NVIDIA H100 datasheet, SXM: 3.35 TB/s, 1,979 TFLOPS fp16 tensor with sparsity = 989.4 dense',
  },
  // NVIDIA A40 datasheet: GPU memory 48 GB GDDR6, bandwidth 696 GB/s; peak FP16 Tensor TFLOPS
  // 149.7 dense | 299.4 with sparsity.
  a40: {
    key: 'a40',
    name: 'A40-48GB',
    memoryBandwidthGBs: 696,
    fp16TensorTflops: 149.7,
    source: 'NVIDIA A40 datasheet: 696 GB/s, 149.7 TFLOPS dense fp16 tensor (299.4 with sparsity)',
  },
};

/** The reference the fits were measured on. */
const REFERENCE_GPU = GPU_SPECS.a100;
const REFERENCE_MODEL = 'meta-llama/Llama-2-7b-hf';

/** b^0.9 for b below this, precomputed (decode attention is on the simulator's hot path). */
const POW_TABLE_SIZE = 4097;

/** Scale factors applied to the A100 Llama-2-7B fits. */
export interface AttentionScaling {
  /** Decode KV-dependent term: KV-bytes ratio x bandwidth ratio. */
  readonly decodeKv: number;
  /** Decode per-request term: bandwidth ratio. */
  readonly decodePerRequest: number;
  /** Prefill: (heads x head dim) ratio x TFLOPS ratio. */
  readonly prefill: number;
  /** The model's KV bytes per token per layer / Llama-2-7B's. */
  readonly kvBytesRatio: number;
  /** A100 bandwidth / the GPU's. */
  readonly bandwidthRatio: number;
  /** The model's heads x head dim / Llama-2-7B's. */
  readonly headsRatio: number;
  /** A100 dense fp16 TFLOPS / the GPU's. */
  readonly computeRatio: number;
}

/** The scale factors for a GPU and model (see the module comment). */
export function attentionScaling(gpu: GpuSpec, arch: ModelArchitecture): AttentionScaling {
  const ref = modelArchitecture(REFERENCE_MODEL);
  const kvBytesRatio = kvBytesPerToken(arch) / arch.layers / (kvBytesPerToken(ref) / ref.layers);
  const bandwidthRatio = REFERENCE_GPU.memoryBandwidthGBs / gpu.memoryBandwidthGBs;
  const headsRatio = (arch.heads * arch.headDim) / (ref.heads * ref.headDim);
  const computeRatio = REFERENCE_GPU.fp16TensorTflops / gpu.fp16TensorTflops;
  return {
    decodeKv: kvBytesRatio * bandwidthRatio,
    decodePerRequest: bandwidthRatio,
    prefill: headsRatio * computeRatio,
    kvBytesRatio,
    bandwidthRatio,
    headsRatio,
    computeRatio,
  };
}

// Coefficients of the reference decode fit, recovered from the function itself (b^0.9 is 0 at
// b = 0 and 1 at b = 1) so they cannot drift from it.
const A0 = attentionDecodeMs(0, 0);
const A1 = attentionDecodeMs(1, 0) - A0;
const A2 = attentionDecodeMs(1, 1) - attentionDecodeMs(1, 0);

const fmt = (x: number) => x.toPrecision(3);

class ApproximateAttention implements AttentionModel {
  readonly name: string;
  readonly source: string;
  readonly perIterationMs = ATTN_RESHAPE_MS;
  private readonly a1: number;
  private readonly a2: number;
  private readonly pow09 = new Float64Array(POW_TABLE_SIZE);

  constructor(
    gpu: GpuSpec,
    arch: ModelArchitecture,
    readonly scaling: AttentionScaling,
  ) {
    this.a1 = A1 * scaling.decodePerRequest;
    this.a2 = A2 * scaling.decodeKv;
    for (let b = 0; b < POW_TABLE_SIZE; b++) this.pow09[b] = b ** 0.9;
    this.name = `APPROXIMATE: a100-llama2-7b fits scaled to ${gpu.key} ${arch.id}`;
    this.source =
      `APPROXIMATE, no attention profile for ${gpu.name} ${arch.id}: the A100 Llama-2-7B closed-form FlashAttention fits ` +
      `(data/vidur/ATTENTION.md) scaled by roofline ratios (runner/latency/approximate-attention.ts). ` +
      `Decode (memory-bound): KV term x ${fmt(scaling.decodeKv)} = KV bytes/token/layer ratio ${fmt(scaling.kvBytesRatio)} ` +
      `(${arch.kvHeads} KV heads x ${arch.headDim}) x bandwidth ratio ${fmt(scaling.bandwidthRatio)} ` +
      `(A100 ${REFERENCE_GPU.memoryBandwidthGBs} / ${gpu.memoryBandwidthGBs} GB/s); per-request term x ${fmt(scaling.decodePerRequest)}; constant kept. ` +
      `Prefill (compute-bound): x ${fmt(scaling.prefill)} = heads x head dim ratio ${fmt(scaling.headsRatio)} ` +
      `(${arch.heads} x ${arch.headDim}) x TFLOPS ratio ${fmt(scaling.computeRatio)} ` +
      `(A100 ${REFERENCE_GPU.fp16TensorTflops} / ${gpu.fp16TensorTflops} dense fp16). GPU figures: ${gpu.source}.`;
  }

  decodeMs(batch: number, kv: number): number {
    const p = batch < POW_TABLE_SIZE && Number.isInteger(batch) ? this.pow09[batch] : batch ** 0.9;
    return A0 + this.a1 * batch + this.a2 * kv * p;
  }

  prefillMs(chunk: number, kv: number): number {
    return this.scaling.prefill * attentionPrefillMs(chunk, kv);
  }
}

/**
 * APPROXIMATE attention for a model on a GPU: the A100 Llama-2-7B fits scaled as the module
 * comment says. On A100 with Llama-2-7B every factor is 1 and it reproduces the fits.
 */
export function createApproximateAttention(
  gpu: GpuSpec,
  arch: ModelArchitecture,
): AttentionModel & { readonly scaling: AttentionScaling } {
  return new ApproximateAttention(gpu, arch, attentionScaling(gpu, arch));
}
