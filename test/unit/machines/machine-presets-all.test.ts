import { describe, expect, it } from 'vitest';
import { attentionDecodeMs, attentionPrefillMs } from '../../../runner/latency/a100-llama2-7b-attention.js';
import {
  attentionScaling,
  createApproximateAttention,
  GPU_SPECS,
} from '../../../runner/latency/approximate-attention.js';
import type { BatchShape } from '../../../runner/latency/batch-shape.js';
import { planKvCapacity, VIDUR_DEVICE_MEMORY_GIB } from '../../../runner/latency/kv-capacity-planner.js';
import { BUILT_IN_MACHINES } from '../../../runner/machines/built-in-machines.js';
import { resolveMachine } from '../../../runner/machines/resolve-machine.js';
import {
  MACHINE_PRESETS,
  MIN_KV_SLOTS,
  NOT_OFFERED_PRESETS,
  PROFILED_PAIRS,
  presetName,
} from '../../../runner/machines/machine-presets.js';
import { modelArchitecture } from '../../../runner/latency/model-architectures.js';
import { ProfileIterationTimeModel } from '../../../runner/latency/profile-model.js';

const OFFERED = [
  'a100-llama3-8b',
  'a100-codellama-34b',
  'a100-internlm-20b',
  'a100-phi2',
  'a40-llama2-7b',
  'a40-phi2',
  'h100-llama2-7b',
  'h100-codellama-34b',
  'h100-internlm-20b',
  'h100-phi2',
];

const decode = (b: number, kv: number): BatchShape => ({
  numPrefills: 0,
  prefillTokens: new Int32Array(0),
  prefillKvBefore: new Int32Array(0),
  totalPrefillTokens: 0,
  numDecodes: b,
  decodeKvTokens: b * kv,
});
const prefill = (c: number, kv: number): BatchShape => ({
  numPrefills: 1,
  prefillTokens: Int32Array.of(c),
  prefillKvBefore: Int32Array.of(kv),
  totalPrefillTokens: c,
  numDecodes: 0,
  decodeKvTokens: 0,
});

const profileModel = (name: string) => {
  const m = resolveMachine(name).iterationTime;
  expect(m).toBeInstanceOf(ProfileIterationTimeModel);
  return m as ProfileIterationTimeModel;
};

describe('machine presets for every profiled (GPU, model) pair', () => {
  it('offers exactly the pairs that fit on one GPU, after the two A100 Llama-2-7B machines', () => {
    expect(Object.keys(MACHINE_PRESETS).sort()).toEqual([...OFFERED].sort());
    expect(Object.keys(BUILT_IN_MACHINES)).toEqual([
      'a100-llama2-7b',
      'a100-llama2-7b-linear',
      ...Object.keys(MACHINE_PRESETS),
    ]);
    expect(PROFILED_PAIRS).toHaveLength(20);
  });

  it.each(OFFERED)(
    '%s resolves with positive capacity, a good linear fit and loud APPROXIMATE labels',
    (name) => {
      const m = resolveMachine(name);
      expect(m.name).toBe(name);
      expect(m.iterationTime.kind).toBe('profile');
      expect(m.kvCapacityBlocks).toBeGreaterThan(0);
      expect(m.kvCapacityBlocks % 256).toBe(0); // whole 4,096-token slots of 16-token blocks
      expect(m.kvCapacityBlocks / 256).toBeGreaterThanOrEqual(MIN_KV_SLOTS);
      expect(m.blockSize).toBe(16);
      expect(m.linear.exact).toBe(false);
      expect(m.linear.d0).toBeGreaterThan(0);
      expect(m.linear.d1).toBeGreaterThan(0);
      expect(m.linear.r2).toBeGreaterThan(0.9);
      expect(m.description.startsWith('APPROXIMATE attention:')).toBe(true);
      expect(m.hardware?.sources.attention).toMatch(/^APPROXIMATE/);
      expect(m.hardware?.sources.attention).toMatch(/A100 Llama-2-7B closed-form FlashAttention fits/);
      expect(m.hardware?.sources['token-wise operators']).toContain(`/${m.name.split('-')[0]}/`);
      expect(m.hardware?.sources['KV capacity']).toMatch(/Vidur memory planner/);
    },
  );

  it('uses the vidur-mode plan with the model architecture for capacity', () => {
    const m = resolveMachine('h100-codellama-34b');
    const plan = planKvCapacity({
      gpuMemoryBytes: VIDUR_DEVICE_MEMORY_GIB.h100 * 2 ** 30,
      architecture: modelArchitecture('codellama/CodeLlama-34b-Instruct-hf'),
      dtypeBytes: 2,
      blockSize: 16,
      mode: 'vidur',
      maxTokens: 4096,
    });
    expect(m.kvCapacityBlocks).toBe(plan.blocks);
    expect(plan.slots).toBe(13);
    expect(resolveMachine('a40-llama2-7b').kvCapacityBlocks).toBe(14 * 256);
    expect(resolveMachine('a100-llama3-8b').kvCapacityBlocks).toBe(118 * 256);
  });

  it('does not offer the models that cannot fit on one GPU', () => {
    const notOffered = NOT_OFFERED_PRESETS.map((p) => p.name).sort();
    expect(notOffered).toEqual(
      [
        'a100-llama2-70b',
        'a100-llama3-70b',
        'a100-qwen-72b',
        'a40-llama2-70b',
        'a40-qwen-72b',
        'a40-codellama-34b',
        'a40-internlm-20b',
        'h100-llama2-70b',
        'h100-qwen-72b',
      ].sort(),
    );
    for (const p of NOT_OFFERED_PRESETS) {
      expect(BUILT_IN_MACHINES[p.name]).toBeUndefined();
      expect(p.reason).toMatch(/does not fit on one GPU|fewer than 4/);
    }
    expect(NOT_OFFERED_PRESETS.find((p) => p.name === 'a40-internlm-20b')?.reason).toMatch(
      /only 1 4096-token/,
    );
    expect(presetName('a40', 'microsoft/phi-2')).toBe('a40-phi2');
  });

  it('H100 is faster than A100 for the same model on the same decode and prefill batches', () => {
    for (const [h100, a100] of [
      ['h100-llama2-7b', 'a100-llama2-7b'],
      ['h100-phi2', 'a100-phi2'],
      ['h100-codellama-34b', 'a100-codellama-34b'],
      ['h100-internlm-20b', 'a100-internlm-20b'],
    ]) {
      const h = resolveMachine(h100).iterationTime;
      const a = resolveMachine(a100).iterationTime;
      for (const batch of [
        decode(1, 512),
        decode(32, 2048),
        decode(128, 1024),
        prefill(512, 0),
        prefill(2048, 1024),
      ]) {
        expect(h.iterationTime(batch)).toBeLessThan(a.iterationTime(batch));
      }
      // ... and the A40 is slower than the A100 where both are offered.
    }
    const a40 = resolveMachine('a40-llama2-7b').iterationTime;
    const a100 = resolveMachine('a100-llama2-7b').iterationTime;
    expect(a40.iterationTime(decode(32, 2048))).toBeGreaterThan(a100.iterationTime(decode(32, 2048)));
    expect(a40.iterationTime(prefill(2048, 0))).toBeGreaterThan(a100.iterationTime(prefill(2048, 0)));
  });

  it("Llama-3-8B's decode attention per KV token is cheaper than Llama-2-7B's on the same GPU (8 KV heads)", () => {
    const l3 = profileModel('a100-llama3-8b');
    const l2 = profileModel('a100-llama2-7b');
    for (const b of [8, 64, 128]) {
      const perToken = (m: ProfileIterationTimeModel) =>
        (m.decodeAttentionMs(b, b * 4096) - m.decodeAttentionMs(b, b * 64)) / (b * (4096 - 64));
      expect(perToken(l3)).toBeLessThan(perToken(l2) / 2);
      expect(l3.decodeAttentionMs(b, b * 2048)).toBeLessThan(l2.decodeAttentionMs(b, b * 2048));
    }
    // Prefill uses the 32 query heads: same cost as Llama-2-7B's on the A100 (no GQA overhead for one prefill).
    expect(l3.prefillAttentionMs(prefill(1024, 512))).toBeCloseTo(
      l2.prefillAttentionMs(prefill(1024, 512)),
      12,
    );
  });

  it('scales the A100 Llama-2-7B fits by KV heads, bandwidth, query heads and TFLOPS', () => {
    const llama2 = modelArchitecture('meta-llama/Llama-2-7b-hf');
    const llama3 = modelArchitecture('meta-llama/Meta-Llama-3-8B');
    const same = createApproximateAttention(GPU_SPECS.a100, llama2);
    for (const [b, kv] of [
      [1, 64],
      [64, 2112],
      [128, 4096],
    ]) {
      expect(same.decodeMs(b, kv)).toBeCloseTo(attentionDecodeMs(b, kv), 12);
      expect(same.prefillMs(b * 8, kv)).toBeCloseTo(attentionPrefillMs(b * 8, kv), 12);
    }
    const s3 = attentionScaling(GPU_SPECS.a100, llama3);
    expect(s3.kvBytesRatio).toBe(0.25); // 8 KV heads of 128 vs 32
    expect(s3.headsRatio).toBe(1); // 32 query heads of 128
    const h = attentionScaling(GPU_SPECS.h100, llama2);
    expect(h.decodeKv).toBeCloseTo(2039 / 3350, 12);
    expect(h.decodePerRequest).toBeCloseTo(2039 / 3350, 12);
    expect(h.prefill).toBeCloseTo(312 / 989.4, 12);
    const phi = attentionScaling(GPU_SPECS.a40, modelArchitecture('microsoft/phi-2'));
    expect(phi.decodeKv).toBeCloseTo((80 / 128) * (2039 / 696), 12);
    expect(phi.prefill).toBeCloseTo((80 / 128) * (312 / 149.7), 12);
    // Decode on H100: constant kept, per-request and KV terms scaled by bandwidth.
    const a = createApproximateAttention(GPU_SPECS.h100, llama2);
    const c0 = attentionDecodeMs(0, 0);
    expect(a.decodeMs(64, 2048) - c0).toBeCloseTo((attentionDecodeMs(64, 2048) - c0) * (2039 / 3350), 12);
  });

  it('leaves a100-llama2-7b unchanged: profile kind, 7,424 blocks, measured attention', () => {
    const m = resolveMachine('a100-llama2-7b');
    expect(m.iterationTime.kind).toBe('profile');
    expect(m.kvCapacityBlocks).toBe(7424);
    expect(m.description.startsWith('APPROXIMATE')).toBe(false);
    expect(m.hardware?.sources.attention).toBe(
      'closed-form fits to Vidur A100 attention.csv (data/vidur/ATTENTION.md)',
    );
    expect(resolveMachine('a100-llama2-7b-linear').iterationTime.kind).not.toBe('profile');
  });
});
