import { describe, expect, it } from 'vitest';
import { InputError } from '../../../runner/errors.js';
import { BUILT_IN_MACHINES } from '../../../runner/machines/built-in-machines.js';
import type { ProfileIterationTimeModel } from '../../../runner/latency/profile-model.js';
import { resolveMachine } from '../../../runner/machines/resolve-machine.js';
import { decodeBatch, prefillBatch } from '../../helpers/batch-shapes.js';

describe('built-in machines', () => {
  it("default a100-llama2-7b is profile-based, with Vidur's 7,424 blocks and its own linear fit", () => {
    const m = resolveMachine('a100-llama2-7b');
    expect(m.iterationTime.kind).toBe('profile');
    expect(m.kvCapacityBlocks).toBe(7424);
    expect(m.blockSize).toBe(16);
    expect(m.linear.exact).toBe(false);
    expect(m.linear.r2).toBeGreaterThan(0.95);
    // Its linear model is the fit with prefill over mixed batches (docs/linear-fit.md): prompt
    // tokens cost d1 + d2, about 60 us each, not the 0.27 us of a KV token.
    expect(m.linear.d2).toBeGreaterThan(5e-5);
    // The profile model's decode-only fit agrees with the linear machine's constants.
    const linear = resolveMachine('a100-llama2-7b-linear');
    const decodeFit = (m.iterationTime as ProfileIterationTimeModel).linearFit();
    expect(decodeFit.d0).toBeCloseTo(linear.linear.d0, 5);
    expect(decodeFit.d1 / linear.linear.d1).toBeCloseTo(1, 3);
    expect(linear.linear.d2).toBeUndefined();
    expect(m.hardware?.sources['KV capacity']).toMatch(/7,424 blocks/);
  });

  it('prices a long prefill far above the linear model, a decode batch about the same', () => {
    const m = resolveMachine('a100-llama2-7b');
    const linear = resolveMachine('a100-llama2-7b-linear');
    const prefill = prefillBatch(4000);
    expect(m.iterationTime.iterationTime(prefill)).toBeGreaterThan(
      10 * linear.iterationTime.iterationTime(prefill),
    );
    const decode = decodeBatch(64, 2048);
    expect(m.iterationTime.iterationTime(decode) / linear.iterationTime.iterationTime(decode)).toBeCloseTo(
      1,
      0,
    );
  });

  it('names the known machines when a spec asks for an unknown one', () => {
    expect(() => resolveMachine('h100-llama9')).toThrow(InputError);
    expect(() => resolveMachine('h100-llama9')).toThrow(
      `unknown machine "h100-llama9" (built-in: ${Object.keys(BUILT_IN_MACHINES).join(', ')}; ` +
        'or profile:MACHINE/MODEL for a calibrated GPU, or {worker: NAME, model: MODEL})',
    );
  });
});
