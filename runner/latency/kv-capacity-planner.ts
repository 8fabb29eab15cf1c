import { InputError } from '../errors.js';
import { kvBytesPerToken, vidurParameterCount, type ModelArchitecture } from './model-architectures.js';

const GIB = 1024 ** 3;

/**
 * Device memory as Vidur's device SKUs state it, GiB (vidur/config/device_sku_config.py
 * `total_memory_gb`, which the memory planner multiplies by 1024^3): A100 80, A40 45, H100 80.
 */
export const VIDUR_DEVICE_MEMORY_GIB: Readonly<Record<string, number>> = { a100: 80, a40: 45, h100: 80 };

/**
 * Activation reserve that `vllm` mode subtracts when none is given: 1 GiB. vLLM measures it
 * (peak memory of a dummy forward pass at `max_num_batched_tokens` minus the weights, plus the
 * CUDA context and library workspaces); for a 7B-class model with a few thousand batched tokens
 * that is of the order of 1 GiB. Pass a measured value where one is known.
 */
export const DEFAULT_ACTIVATION_RESERVE_BYTES = GIB;

/** How to size the KV cache. */
export type KvPlannerMode = 'vidur' | 'vllm';

/** Inputs of {@link planKvCapacity}. */
export interface KvPlanInput {
  /** GPU memory, bytes (Vidur's A100: 80 x 1024^3). */
  gpuMemoryBytes: number;
  /** The model (one GPU, tensor parallel 1). */
  architecture: ModelArchitecture;
  /** Bytes per cached K or V element (2 for fp16/bf16). */
  dtypeBytes: number;
  /** Tokens per KV block. */
  blockSize: number;
  /** `vidur`: Vidur's memory planner; `vllm`: vLLM's profiler-based sizing. */
  mode: KvPlannerMode;
  /** `vidur` mode: tokens per request slot (Vidur's request generator `max_tokens`); default 4,096. */
  maxTokens?: number;
  /**
   * Fraction of GPU memory to use. `vllm`: `gpu_memory_utilization`, default 0.9. `vidur`:
   * 1 - `memory_margin_fraction`, default 0.9 (margin 0.1).
   */
  gpuMemoryUtilization?: number;
  /** `vllm` mode: activation reserve, bytes; default {@link DEFAULT_ACTIVATION_RESERVE_BYTES}. */
  activationReserveBytes?: number;
  /**
   * Weight bytes to subtract instead of the default: `vidur` 2 x Vidur's parameter count
   * (`vidurParameterCount`), `vllm` 2 x the model's total parameters.
   */
  weightsBytes?: number;
}

/** Result of {@link planKvCapacity}. */
export interface KvPlan {
  /** KV blocks of `blockSize` tokens. */
  blocks: number;
  /** KV bytes per token: layers x 2 x KV heads x head dim x dtype bytes. */
  kvBytesPerToken: number;
  /** Weight bytes subtracted. */
  weightsBytes: number;
  /** Bytes left for the KV cache before rounding down to slots or blocks. */
  usableBytes: number;
  mode: KvPlannerMode;
  /** `vidur` mode: request slots of `maxTokens` tokens. */
  slots?: number;
  /** One paragraph: the arithmetic with its numbers and sources. */
  explanation: string;
}

const fmtGiB = (bytes: number) => `${(bytes / GIB).toFixed(2)} GiB`;
/**
 * An integer with thousands separators, as toLocaleString('en-US') writes it (7,424), without
 * the ICU number formatter, whose first use costs about 10 ms in every process and worker thread
 * that builds a machine; other numbers go to toLocaleString.
 */
const fmtCount = (n: number): string =>
  Number.isSafeInteger(n) ? String(n).replace(/\B(?=(\d{3})+$)/g, ',') : n.toLocaleString('en-US');

/**
 * KV-cache capacity of one GPU serving one model, in one of two documented modes.
 *
 * `vidur` — Vidur's `MemoryPlanner` (vidur/scheduler/utils/memory_planner.py) and the replica
 * scheduler that uses it (vidur/scheduler/replica_scheduler/base_replica_scheduler.py):
 * available = memory x (1 - memory_margin_fraction 0.1); minus fp16 parameters, 2 bytes x
 * `ParamCounter` (matrices of the layers only: no embeddings, LM head, norms or biases); divided
 * into request slots of `maxTokens` tokens, each needing layers x 2 x 2 bytes x head dim x KV
 * heads x maxTokens (Vidur hard-codes 2 bytes; `dtypeBytes` generalises it); slots = floor, and
 * blocks = slots x floor(maxTokens / blockSize). Llama-2-7B, A100 80 GiB, 4,096 tokens, block 16:
 * (72 GiB - 12.06 GiB) / 2 GiB = 29.97, so 29 slots = 7,424 blocks.
 *
 * `vllm` — vLLM's `Worker.determine_num_available_blocks` (vllm/worker/worker.py): num_gpu_blocks
 * = floor((total memory x gpu_memory_utilization - peak memory of a profiling forward pass) /
 * block bytes), block bytes = blockSize x KV bytes per token. The peak is modelled as fp16 weights
 * (2 bytes x all parameters) plus an activation reserve (default 1 GiB, see
 * {@link DEFAULT_ACTIVATION_RESERVE_BYTES}). All of it is blocks; no per-request slots.
 *
 * @throws InputError when the inputs are out of range or the weights leave no room for one slot
 *   or block
 */
export function planKvCapacity(input: KvPlanInput): KvPlan {
  const { gpuMemoryBytes, architecture: arch, dtypeBytes, blockSize, mode } = input;
  const utilization = input.gpuMemoryUtilization ?? 0.9;
  const bad = (field: string, why: string): never => {
    throw new InputError(`KV capacity plan for ${arch.id}: ${field} ${why}`, { field });
  };
  if (!(Number.isFinite(gpuMemoryBytes) && gpuMemoryBytes > 0)) bad('gpuMemoryBytes', 'must be > 0');
  if (!(Number.isInteger(dtypeBytes) && dtypeBytes > 0)) bad('dtypeBytes', 'must be a positive integer');
  if (!(Number.isInteger(blockSize) && blockSize > 0)) bad('blockSize', 'must be a positive integer');
  if (!(utilization > 0 && utilization <= 1)) bad('gpuMemoryUtilization', 'must be in (0, 1]');
  const perToken = kvBytesPerToken(arch, dtypeBytes);

  if (mode === 'vidur') {
    const maxTokens = input.maxTokens ?? 4096;
    if (!(Number.isInteger(maxTokens) && maxTokens >= blockSize)) {
      bad('maxTokens', `must be an integer >= blockSize (${blockSize})`);
    }
    const weightsBytes = input.weightsBytes ?? 2 * vidurParameterCount(arch);
    const available = gpuMemoryBytes * utilization;
    const usableBytes = available - weightsBytes;
    const perSlot = perToken * maxTokens;
    const slots = Math.floor(usableBytes / perSlot);
    if (!(slots >= 1)) {
      bad(
        'gpuMemoryBytes',
        `too small: ${fmtGiB(available)} usable minus ${fmtGiB(weightsBytes)} of weights leaves no ${maxTokens}-token slot of ${fmtGiB(perSlot)}`,
      );
    }
    const blocksPerSlot = Math.floor(maxTokens / blockSize);
    const blocks = slots * blocksPerSlot;
    return {
      blocks,
      kvBytesPerToken: perToken,
      weightsBytes,
      usableBytes,
      mode,
      slots,
      explanation:
        `Vidur memory planner (vidur/scheduler/utils/memory_planner.py): ${fmtGiB(gpuMemoryBytes)} x ${utilization} = ${fmtGiB(available)}, ` +
        `minus ${fmtGiB(weightsBytes)} of weights (${input.weightsBytes === undefined ? `fp16: 2 x ${fmtCount(vidurParameterCount(arch))} parameters of the layers, Vidur's ParamCounter` : 'given'}) = ${fmtGiB(usableBytes)}; ` +
        `${arch.layers} layers x 2 x ${arch.kvHeads} KV heads x ${arch.headDim} x ${dtypeBytes} bytes = ${fmtCount(perToken)} bytes per token, ` +
        `${fmtGiB(perSlot)} per ${maxTokens}-token request: ${slots} slots x ${blocksPerSlot} blocks = ${fmtCount(blocks)} blocks of ${blockSize} tokens.`,
    };
  }
  if (mode !== 'vllm') return bad('mode', `must be vidur or vllm, not ${String(mode)}`);

  const weightsBytes = input.weightsBytes ?? 2 * arch.parameters;
  const reserve = input.activationReserveBytes ?? DEFAULT_ACTIVATION_RESERVE_BYTES;
  if (!(Number.isFinite(reserve) && reserve >= 0)) bad('activationReserveBytes', 'must be >= 0');
  const budget = gpuMemoryBytes * utilization;
  const usableBytes = budget - weightsBytes - reserve;
  const blockBytes = perToken * blockSize;
  const blocks = Math.floor(usableBytes / blockBytes);
  if (!(blocks >= 1)) {
    bad(
      'gpuMemoryBytes',
      `too small: ${fmtGiB(budget)} minus ${fmtGiB(weightsBytes)} of weights and ${fmtGiB(reserve)} of activations leaves no KV block`,
    );
  }
  return {
    blocks,
    kvBytesPerToken: perToken,
    weightsBytes,
    usableBytes,
    mode,
    explanation:
      `vLLM sizing (vllm/worker/worker.py determine_num_available_blocks): ${fmtGiB(gpuMemoryBytes)} x gpu_memory_utilization ${utilization} = ${fmtGiB(budget)}, ` +
      `minus ${fmtGiB(weightsBytes)} of weights (${input.weightsBytes === undefined ? `fp16: 2 x ${fmtCount(arch.parameters)} parameters` : 'given'}) and ${fmtGiB(reserve)} of activation reserve${input.activationReserveBytes === undefined ? ' (default)' : ''} = ${fmtGiB(usableBytes)}; ` +
      `${blockSize} tokens x ${fmtCount(perToken)} bytes = ${(blockBytes / 2 ** 20).toFixed(2)} MiB per block: ${fmtCount(blocks)} blocks.`,
  };
}
