import { describe, expect, it } from 'vitest';
import { simulate } from '../../../runner/engine/replica-engine.js';
import type { BatchShape } from '../../../runner/latency/batch-shape.js';
import type { IterationTimeModel } from '../../../runner/latency/iteration-time-model.js';
import { LinearIterationTimeModel } from '../../../runner/latency/linear-model.js';
import {
  FIT_CHUNK_SIZE,
  FIT_PREFILL_BUDGET,
  fitLinearWithPrefill,
  linearFitBatches,
} from '../../../runner/latency/profile-linear-fit.js';
import type { ProfileIterationTimeModel } from '../../../runner/latency/profile-model.js';
import { resolveMachine } from '../../../runner/machines/resolve-machine.js';
import { decodeStoredMachineSpec } from '../../../runner/machines/stored-machine-spec.js';
import { decodeBatch, prefillBatch } from '../../helpers/batch-shapes.js';
import { requestList } from '../../helpers/request-lists.js';
import { schedulerFor } from '../../helpers/scheduler-for.js';

/** A batch of prefill chunks and decodes of `kv` KV tokens each. */
function mixedBatch(chunks: number[], decodes: number, kv: number): BatchShape {
  return {
    numPrefills: chunks.length,
    prefillTokens: Int32Array.from(chunks),
    prefillKvBefore: new Int32Array(chunks.length),
    totalPrefillTokens: chunks.reduce((s, c) => s + c, 0),
    numDecodes: decodes,
    decodeKvTokens: decodes * kv,
  };
}

describe('the fitting grid of the linear model with prefill (docs/linear-fit.md)', () => {
  const grid = linearFitBatches();

  it('has 63 decode, 12 prefill and 252 mixed batches within the schedulers’ budgets', () => {
    const count = (family: string) => grid.filter((b) => b.family === family).length;
    expect([count('decode'), count('prefill'), count('mixed')]).toEqual([63, 12, 252]);
    for (const { family, shape, label } of grid) {
      expect(shape.numDecodes, label).toBeLessThanOrEqual(128);
      if (family === 'decode') expect(shape.numPrefills, label).toBe(0);
      if (family === 'prefill') {
        expect(shape.numDecodes, label).toBe(0);
        expect(shape.totalPrefillTokens, label).toBeLessThanOrEqual(FIT_PREFILL_BUDGET);
      }
      if (family === 'mixed') {
        // Sarathi: decodes plus one chunk filling the 512-token budget, within a 4,096 context.
        expect(shape.numPrefills, label).toBe(1);
        expect(shape.totalPrefillTokens + shape.numDecodes, label).toBe(FIT_CHUNK_SIZE);
        expect(shape.prefillTokens[0] + shape.prefillKvBefore[0], label).toBeLessThanOrEqual(4096);
      }
    }
  });
});

describe('fitLinearWithPrefill', () => {
  it.each([
    [0.0113, 2.68e-7, 6.5e-5],
    [0.02, 1e-6, 0],
    [0.005, 0, 1e-4],
    [0.0093, 3.03e-7, 6.27e-5],
  ])('recovers d0 = %f, d1 = %f, d2 = %f exactly from a linear model', (d0, d1, d2) => {
    const fit = fitLinearWithPrefill(new LinearIterationTimeModel(d0, d1, d2));
    expect(fit.d0 / d0).toBeCloseTo(1, 9);
    if (d1 === 0) expect(fit.d1).toBeLessThan(1e-15);
    else expect(fit.d1 / d1).toBeCloseTo(1, 9);
    if (d2 === 0) expect(fit.d2).toBeLessThan(1e-13);
    else expect(fit.d2 / d2).toBeCloseTo(1, 9);
    expect(fit.r2).toBeCloseTo(1, 9);
    expect(fit.maxRelativeError).toBeLessThan(1e-9);
  });

  it('recovers the coefficients on any grid, e.g. the decode batches alone with d2 = 0', () => {
    const decodes = linearFitBatches().filter((b) => b.family === 'decode');
    const fit = fitLinearWithPrefill(new LinearIterationTimeModel(0.0113, 2.68e-7), decodes);
    expect(fit.d0 / 0.0113).toBeCloseTo(1, 9);
    expect(fit.d1 / 2.68e-7).toBeCloseTo(1, 9);
    expect(fit.d2).toBe(0); // no prefill column to fit: non-negativity keeps it at 0
    expect(() => fitLinearWithPrefill(new LinearIterationTimeModel(1, 0), [])).toThrow(RangeError);
  });

  it('gives the default machine a prefill cost: a100-llama2-7b (docs/linear-fit.md)', () => {
    const machine = resolveMachine('a100-llama2-7b');
    const model = machine.iterationTime as ProfileIterationTimeModel;
    const fit = fitLinearWithPrefill(model);
    // The machine's linear model is this fit.
    expect(machine.linear).toEqual({ d0: fit.d0, d1: fit.d1, d2: fit.d2, exact: false, r2: fit.r2 });
    // The values docs/linear-fit.md quotes.
    expect(fit.d0).toBeCloseTo(0.009264, 5);
    expect(fit.d1).toBeCloseTo(3.032e-7, 9);
    expect(fit.d2).toBeCloseTo(6.269e-5, 7);
    expect(fit.r2).toBeGreaterThan(0.97);
    expect(fit.families.decode!.meanRelativeError).toBeLessThan(0.08);
    expect(fit.families.prefill!.meanRelativeError).toBeLessThan(0.14);
    expect(fit.families.mixed!.meanRelativeError).toBeLessThan(0.06);
    // A full vLLM prefill batch (8 prompts of 512 tokens: 274 ms) and a Sarathi chunk of 448
    // tokens with 64 decodes of 1,024 KV tokens (56 ms) are priced within 10 % of the profile
    // model (267 ms, 57 ms); the decode-only fit charged them 12 ms and 29 ms.
    const predict = (b: BatchShape) =>
      fit.d0 + fit.d1 * (b.totalPrefillTokens + b.decodeKvTokens) + fit.d2 * b.totalPrefillTokens;
    const decodeOnly = model.linearFit();
    for (const batch of [mixedBatch(new Array<number>(8).fill(512), 0, 0), mixedBatch([448], 64, 1024)]) {
      const y = model.iterationTime(batch);
      expect(predict(batch) / y).toBeGreaterThan(0.9);
      expect(predict(batch) / y).toBeLessThan(1.1);
      expect(decodeOnly.d0 + decodeOnly.d1 * (batch.totalPrefillTokens + batch.decodeKvTokens)).toBeLessThan(
        0.55 * y,
      );
    }
  });

  it('gives every preset a positive prefill cost', () => {
    for (const name of ['h100-llama2-7b', 'a100-codellama-34b', 'a40-phi2']) {
      const m = resolveMachine(name);
      expect(m.linear.d2, name).toBeGreaterThan(0);
      expect(m.linear.r2, name).toBeGreaterThan(0.9);
    }
  });
});

describe('LinearIterationTimeModel with d2', () => {
  const shapes = [
    decodeBatch(1, 128),
    decodeBatch(64, 2048),
    prefillBatch(4000),
    prefillBatch(300, 1024),
    mixedBatch([448], 64, 1000),
    mixedBatch([100, 200, 3000], 7, 333),
  ];

  it('with d2 = 0 gives the paper’s times bit for bit', () => {
    for (const [d0, d1] of [
      [0.011254694988253787, 2.6836051993088585e-7],
      [0.1, 0.001],
      [0, 1e-5],
    ]) {
      const model = new LinearIterationTimeModel(d0, d1);
      const explicit = new LinearIterationTimeModel(d0, d1, 0);
      for (const s of shapes) {
        const paper = d0 + d1 * (s.totalPrefillTokens + s.decodeKvTokens);
        expect(model.iterationTime(s)).toBe(paper);
        expect(explicit.iterationTime(s)).toBe(paper);
      }
      expect(model.describe()).toEqual({ model: 'linear', d0, d1 });
    }
  });

  it('charges d2 per prefilled prompt token on top of d1', () => {
    const model = new LinearIterationTimeModel(0.01, 1e-6, 5e-5);
    // 448 prompt tokens + 64 x 1,000 KV tokens: 0.01 + 1e-6 x 64,448 + 5e-5 x 448 = 0.096848 s.
    expect(model.iterationTime(mixedBatch([448], 64, 1000))).toBeCloseTo(0.096848, 12);
    expect(model.iterationTime(decodeBatch(64, 2048))).toBeCloseTo(0.01 + 1e-6 * 131072, 12);
    expect(model.describe()).toEqual({ model: 'linear', d0: 0.01, d1: 1e-6, d2: 5e-5 });
    expect(() => new LinearIterationTimeModel(0.01, 1e-6, -1e-9)).toThrow(RangeError);
    expect(() => new LinearIterationTimeModel(0.01, 1e-6, Infinity)).toThrow(RangeError);
  });

  it('simulates exactly as the paper’s formula when d2 = 0 (chunked and whole prefills)', () => {
    const [d0, d1] = [0.0113, 2.68e-7];
    const paperModel: IterationTimeModel = {
      kind: 'linear',
      iterationTime: (b) => d0 + d1 * (b.totalPrefillTokens + b.decodeKvTokens),
      describe: () => ({ model: 'linear', d0, d1 }),
    };
    const rows: [number, number, number][] = [];
    for (let i = 0; i < 300; i++) rows.push([i * 0.013, 200 + ((i * 997) % 1800), 5 + ((i * 389) % 300)]);
    const list = requestList(rows);
    for (const policy of [{ policy: 'sarathi' }, { policy: 'vllm' }]) {
      const config = { kvCapacityBlocks: 2000, blockSize: 16, tokenModel: 'vllm' as const };
      const ctx = { kvCapacityBlocks: 2000, blockSize: 16, d0, d1 };
      const a = simulate(
        list,
        { ...config, iterationTime: new LinearIterationTimeModel(d0, d1) },
        schedulerFor(policy, list, ctx),
      );
      const b = simulate(list, { ...config, iterationTime: paperModel }, schedulerFor(policy, list, ctx));
      expect(a.records).toEqual(b.records);
      expect(a.totals).toEqual(b.totals);
    }
  });
});

describe('linear machines with d2 in specs and stored sweeps', () => {
  const inline = { model: 'linear', d0: 0.01, d1: 1e-6, kvCapacityTokens: 1600, blockSize: 16 } as const;

  it('an inline machine without d2 is the paper’s machine, described as before', () => {
    const m = resolveMachine(inline);
    expect(m.linear).toEqual({ d0: 0.01, d1: 1e-6, exact: true });
    expect(m.iterationTime.describe()).toEqual({ model: 'linear', d0: 0.01, d1: 1e-6 });
    expect(m.description).toBe('linear d0=0.01 s, d1=0.000001 s/token, 100 KV blocks of 16 tokens');
  });

  it('an inline machine with d2 charges it in simulation and passes it to the fluid benchmark', () => {
    const m = resolveMachine({ ...inline, d2: 6e-5 });
    expect(m.linear).toEqual({ d0: 0.01, d1: 1e-6, d2: 6e-5, exact: true });
    expect(m.iterationTime.iterationTime(prefillBatch(1000))).toBeCloseTo(0.01 + 1e-3 + 6e-2, 12);
    expect(m.description).toMatch(/d2=0.00006 s\/prefill token/);
  });

  it('stored machine documents read back with and without d2', () => {
    const base = { name: 'm', description: 'd', kvCapacityBlocks: 1, blockSize: 1, iterationTime: {} };
    const old = decodeStoredMachineSpec(
      JSON.stringify({ ...base, linear: { d0: 0.01, d1: 1e-6, exact: true } }),
      'sweep 1',
    );
    expect(old.linear).toEqual({ d0: 0.01, d1: 1e-6, exact: true });
    const withD2 = decodeStoredMachineSpec(
      JSON.stringify({ ...base, linear: { d0: 0.01, d1: 1e-6, d2: 6e-5, exact: false, r2: 0.98 } }),
      'sweep 2',
    );
    expect(withD2.linear?.d2).toBe(6e-5);
  });
});
