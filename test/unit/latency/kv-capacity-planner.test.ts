import { describe, expect, it } from 'vitest';
import { InputError } from '../../../runner/errors.js';
import {
  DEFAULT_ACTIVATION_RESERVE_BYTES,
  planKvCapacity,
  VIDUR_DEVICE_MEMORY_GIB,
} from '../../../runner/latency/kv-capacity-planner.js';
import {
  kvBytesPerToken,
  MODEL_ARCHITECTURES,
  vidurParameterCount,
} from '../../../runner/latency/model-architectures.js';

const GIB = 1024 ** 3;
const A100 = VIDUR_DEVICE_MEMORY_GIB.a100 * GIB;
const LLAMA2_7B = MODEL_ARCHITECTURES['meta-llama/Llama-2-7b-hf'];

/** planKvCapacity for Llama-2-7B on A100-80GB, fp16, blocks of 16 tokens, with the given overrides. */
function planLlama2OnA100(
  overrides: Partial<Parameters<typeof planKvCapacity>[0]> &
    Pick<Parameters<typeof planKvCapacity>[0], 'mode'>,
) {
  return planKvCapacity({
    gpuMemoryBytes: A100,
    architecture: LLAMA2_7B,
    dtypeBytes: 2,
    blockSize: 16,
    ...overrides,
  });
}

describe('planKvCapacity, vidur mode (vidur/scheduler/utils/memory_planner.py)', () => {
  it("gives Vidur's 7,424 blocks of 16 for Llama-2-7B on A100-80GB with 4,096-token requests", () => {
    const plan = planLlama2OnA100({ mode: 'vidur', maxTokens: 4096 });
    // 80 GiB x 0.9 = 77,309,411,328 B; Vidur's ParamCounter: 32 x (4096 x 128 x (32 + 64) +
    // 4096 x 128 x 32 + 3 x 4096 x 11008) = 6,476,005,376 parameters -> 12,952,010,752 B;
    // left 64,357,400,576 B. KV per token 32 x 2 x 32 x 128 x 2 = 524,288 B; 2 GiB per request:
    // 29.97 -> 29 slots x 256 blocks = 7,424.
    expect(plan.kvBytesPerToken).toBe(524288);
    expect(plan.weightsBytes).toBe(12952010752);
    expect(plan.usableBytes).toBeCloseTo(64357400576, 0);
    expect(plan.slots).toBe(29);
    expect(plan.blocks).toBe(7424);
    expect(plan.mode).toBe('vidur');
    expect(plan.explanation).toContain('7,424 blocks of 16 tokens');
    expect(plan.explanation).toContain('2 x 6,476,005,376 parameters of the layers');
    expect(plan.explanation).toContain('= 524,288 bytes per token');
  });

  it('gives 7,424 as well with the published 6.74e9 parameters as weights (docs/linear-fit.md)', () => {
    const plan = planLlama2OnA100({ mode: 'vidur', weightsBytes: 2 * LLAMA2_7B.parameters });
    // (77,309,411,328 - 13,476,831,232) / 2,147,483,648 = 29.72 -> 29.
    expect(plan.blocks).toBe(7424);
    expect(plan.explanation).toContain('given');
  });

  it('counts whole slots and whole blocks per slot', () => {
    // 2,000-token slots of 16-token blocks: floor(2000 / 16) = 125 blocks per slot;
    // 64,357,400,576 / (524,288 x 2,000) = 61.4 -> 61 slots -> 7,625 blocks.
    const plan = planLlama2OnA100({ mode: 'vidur', maxTokens: 2000 });
    expect(plan.slots).toBe(61);
    expect(plan.blocks).toBe(7625);
  });
});

describe('planKvCapacity, vllm mode (vllm/worker/worker.py determine_num_available_blocks)', () => {
  it('puts everything left after weights and the activation reserve into blocks (hand-computed)', () => {
    const plan = planLlama2OnA100({ mode: 'vllm' });
    // 80 GiB x 0.9 = 77,309,411,328 B; weights 2 x 6,738,415,616 = 13,476,831,232 B; reserve
    // 1 GiB = 1,073,741,824 B; left 62,758,838,272 B. Block: 16 x 524,288 = 8,388,608 B (8 MiB).
    // 62,758,838,272 / 8,388,608 = 7,481.44 -> 7,481 blocks.
    expect(DEFAULT_ACTIVATION_RESERVE_BYTES).toBe(GIB);
    expect(plan.weightsBytes).toBe(13476831232);
    expect(plan.usableBytes).toBeCloseTo(62758838272, 0);
    expect(plan.blocks).toBe(7481);
    expect(plan.slots).toBeUndefined();
    expect(plan.explanation).toContain('7,481 blocks');
  });

  it('takes gpu_memory_utilization and the activation reserve', () => {
    const plan = planLlama2OnA100({ mode: 'vllm', gpuMemoryUtilization: 0.8, activationReserveBytes: 0 });
    // 80 GiB x 0.8 = 68,719,476,736 B - 13,476,831,232 B = 55,242,645,504 B / 8 MiB = 6,585.4 -> 6,585.
    expect(plan.blocks).toBe(6585);
  });

  it('uses GQA head counts: Llama-3-8B has 128 KiB of KV per token', () => {
    const arch = MODEL_ARCHITECTURES['meta-llama/Meta-Llama-3-8B'];
    expect(kvBytesPerToken(arch)).toBe(32 * 2 * 8 * 128 * 2);
    const plan = planKvCapacity({
      gpuMemoryBytes: A100,
      architecture: arch,
      dtypeBytes: 2,
      blockSize: 16,
      mode: 'vllm',
    });
    // (77,309,411,328 - 2 x 8,030,261,248 - 1,073,741,824) / (16 x 131,072)
    // = 60,175,147,008 / 2,097,152 = 28,693.7 -> 28,693.
    expect(plan.blocks).toBe(28693);
  });
});

describe('planKvCapacity errors', () => {
  it('rejects a model that does not fit and bad inputs', () => {
    const llama70 = MODEL_ARCHITECTURES['meta-llama/Llama-2-70b-hf'];
    const base = { gpuMemoryBytes: A100, architecture: llama70, dtypeBytes: 2, blockSize: 16 } as const;
    expect(() => planKvCapacity({ ...base, mode: 'vidur' })).toThrow(/too small/);
    expect(() => planKvCapacity({ ...base, mode: 'vllm' })).toThrow(InputError);
    const ok = { ...base, architecture: LLAMA2_7B };
    expect(() => planKvCapacity({ ...ok, mode: 'vllm', gpuMemoryUtilization: 1.5 })).toThrow(
      /gpuMemoryUtilization/,
    );
    expect(() => planKvCapacity({ ...ok, mode: 'vidur', blockSize: 0 })).toThrow(/blockSize/);
    expect(() => planKvCapacity({ ...ok, mode: 'vidur', maxTokens: 8 })).toThrow(/maxTokens/);
  });
});

describe('vidurParameterCount (vidur/utils/param_counter.py)', () => {
  it('counts only the layer matrices', () => {
    expect(vidurParameterCount(LLAMA2_7B)).toBe(6476005376);
  });
});
