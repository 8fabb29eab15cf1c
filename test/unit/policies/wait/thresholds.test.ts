import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../../runner/errors.js';
import { fluidEquilibrium } from '../../../../runner/fluid/fluid-equilibrium.js';
import type { PromptType } from '../../../../runner/fluid/prompt-type.js';
import {
  checkWaitThresholds,
  codeThresholds,
  fluidThresholds,
  paperThresholds,
  waitMemoryTokens,
} from '../../../../runner/fluid/wait-thresholds.js';
import { WaitScheduler, WaitSpecSchema } from '../../../../runner/schedulers/wait.js';
import { contextFor } from '../../../helpers/scheduler-for.js';
import { requestList } from '../../../helpers/request-lists.js';
import { poissonTypedList, runPlain } from './wait-harness.js';

/** arXiv 2504.11320v2 §6.1 (ii), high demand: prompts 20, outputs 100/200/300, rates 6000/4000/2000 req/s. */
const highDemand: PromptType[] = [
  { prompt: 20, output: 100, rate: 6000 },
  { prompt: 20, output: 200, rate: 4000 },
  { prompt: 20, output: 300, rate: 2000 },
];

/**
 * A small instance checked by hand: the two types of the paper's FCFS proof (appendix, prop. lower_bound_FCFS; l = 1, l' = 1
 * and l = 1, l' = 2) with rates 2 and 1 req/s, d0 = 0.5 s, d1 = 0.05 s/token, tokenModel `paper`.
 * S_j m_j = 2 x 1.5 = 3 and 3 x 2 = 6 tokens, so M(n) = 3 n_1 + 6 n_2 and the load is
 * 0.05 x (2 x 3 + 1 x 6) = 0.6. Fixed point from n = (max(1, ceil(1)), max(1, ceil(0.5))) = (1, 1):
 * M = 9, dT = 0.95 -> (2, 1); M = 12, dT = 1.1 -> (3, 2); M = 21, dT = 1.55 -> (4, 2);
 * M = 24, dT = 1.7 -> (ceil 3.4, ceil 1.7) = (4, 2): fixed. Check: 1.7 <= 4/2 and 1.7 <= 2/1.
 */
const small: PromptType[] = [
  { prompt: 1, output: 1, rate: 2 },
  { prompt: 1, output: 2, rate: 1 },
];

describe('paperThresholds: n_j = floor(B rho_j / S_j), at least 1 (arXiv 2504.11320v2 §6.1)', () => {
  it('high-demand instance, B = 448: 448/2/101 = 2.22 -> 2, 448/3/201 = 0.74 -> 1, 448/6/301 = 0.25 -> 1', () => {
    expect(paperThresholds(highDemand, 448, 'paper')).toEqual([2, 1, 1]);
  });

  it('high-demand instance, B = 5000: 24.75 -> 24, 8.29 -> 8, 2.77 -> 2 (rounded down)', () => {
    expect(paperThresholds(highDemand, 5000, 'paper')).toEqual([24, 8, 2]);
  });

  it('vllm token model uses l_j stages: 5000/2/100 = 25, 5000/3/200 = 8.33 -> 8, 5000/6/300 = 2.78 -> 2', () => {
    expect(paperThresholds(highDemand, 5000, 'vllm')).toEqual([25, 8, 2]);
  });

  it('low-demand instance (arXiv 2504.11320v2 §6.1 (i)), B = 128: 64/11 = 5.8 -> 5, 64/21 = 3.05 -> 3', () => {
    const low: PromptType[] = [
      { prompt: 10, output: 10, rate: 1000 },
      { prompt: 10, output: 20, rate: 1000 },
    ];
    expect(paperThresholds(low, 128, 'paper')).toEqual([5, 3]);
  });

  it('rejects no types and B < 1', () => {
    expect(() => paperThresholds([], 128, 'paper')).toThrow(RangeError);
    expect(() => paperThresholds(highDemand, 0, 'paper')).toThrow(/batchCap/);
  });
});

describe('fluidThresholds: least integers with d0 + d1 M^pi <= n_j / lambda_j (eq. wait_thresholds)', () => {
  it('hand-checked instance: (4, 2), M^pi = 24 tokens', () => {
    expect(fluidThresholds(small, 0.5, 0.05, 'paper')).toEqual([4, 2]);
    expect(waitMemoryTokens(small, [4, 2], 'paper')).toBe(24);
    expect(checkWaitThresholds(small, [4, 2], 0.5, 0.05, 24, 'paper')).toEqual([]);
  });

  it('is minimal on the hand-checked instance: (3, 2) and (4, 1) violate the inequality', () => {
    // (3, 2): M = 21, dT = 1.55 > 3/2. (4, 1): M = 18, dT = 1.4 > 1/1.
    const [w1] = checkWaitThresholds(small, [3, 2], 0.5, 0.05, 1e9, 'paper');
    expect(w1).toContain('type 0 (prompt 1, output 1, rate 2/s)');
    expect(w1).toContain('d0 + d1*M = 1.55 s > n_j/lambda_j = 3/2 = 1.5 s');
    const w2 = checkWaitThresholds(small, [4, 1], 0.5, 0.05, 1e9, 'paper');
    expect(w2).toHaveLength(1);
    expect(w2[0]).toContain('type 1 (prompt 1, output 2, rate 1/s)');
    expect(w2[0]).toContain('d0 + d1*M = 1.4 s > n_j/lambda_j = 1/1 = 1 s');
  });

  it("Example 2 (l = l' = 1, lambda = 4, d0 = 1, d1 = 0): n = 4 exactly (no rounding up of 4.0)", () => {
    expect(fluidThresholds([{ prompt: 1, output: 1, rate: 4 }], 1, 0, 'paper')).toEqual([4]);
  });

  it('random stable instances: the inequality holds and decrementing any n_j > 1 breaks it', () => {
    const typeArb = fc.record({
      prompt: fc.integer({ min: 1, max: 500 }),
      output: fc.integer({ min: 1, max: 300 }),
      rate: fc.double({ min: 0.1, max: 200, noNaN: true }),
    });
    fc.assert(
      fc.property(
        fc.array(typeArb, { minLength: 1, maxLength: 4 }),
        fc.double({ min: 1e-3, max: 0.05, noNaN: true }),
        fc.double({ min: 0.05, max: 0.97, noNaN: true }),
        fc.constantFrom('paper' as const, 'vllm' as const),
        (types, d0, loadTarget, tokenModel) => {
          // d1 chosen so that the load is loadTarget < 1.
          const work = fluidEquilibrium(types, d0, 1, tokenModel).load;
          const d1 = loadTarget / work;
          const n = fluidThresholds(types, d0, d1, tokenModel);
          expect(n.every((x) => Number.isInteger(x) && x >= 1)).toBe(true);
          expect(checkWaitThresholds(types, n, d0, d1, Infinity, tokenModel)).toEqual([]);
          for (let j = 0; j < n.length; j++) {
            if (n[j] === 1) continue;
            const fewer = n.map((x, i) => (i === j ? x - 1 : x));
            expect(checkWaitThresholds(types, fewer, d0, d1, Infinity, tokenModel).length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 200, seed: 424242 },
    );
  });

  it('throws a RangeError naming the load when no thresholds exist (load >= 1)', () => {
    const types = [{ prompt: 20, output: 100, rate: 1000 }];
    expect(() => fluidThresholds(types, 0.0113, 2.68e-7, 'paper')).toThrow(
      /load .* = 1\.89.* is not below 1/,
    );
    expect(() => fluidThresholds(types, 0.01, -1, 'paper')).toThrow(RangeError);
  });
});

describe('checkWaitThresholds', () => {
  it('warns when M^pi exceeds the KV capacity (tokens)', () => {
    expect(checkWaitThresholds(small, [4, 2], 0.5, 0.05, 20, 'paper')).toEqual([
      'WAIT thresholds need M = 24 KV tokens but the machine has 20; expect LIFO evictions',
    ]);
  });

  it('rejects a threshold list of the wrong length', () => {
    expect(() => checkWaitThresholds(small, [1], 0.5, 0.05, 20, 'paper')).toThrow(RangeError);
  });
});

describe('WaitSpecSchema and WaitScheduler input errors', () => {
  it('fills defaults and is strict', () => {
    expect(WaitSpecSchema.parse({ policy: 'wait' })).toEqual({
      policy: 'wait',
      thresholds: 'paper',
      batchCap: 128,
      bins: 10,
      variant: 'paper',
    });
    expect(WaitSpecSchema.parse({ policy: 'wait', thresholds: [3, 1] }).thresholds).toEqual([3, 1]);
    expect(WaitSpecSchema.parse({ policy: 'wait', variant: 'code' }).variant).toBe('code');
    for (const bad of [
      { policy: 'wait', extra: 1 },
      { policy: 'wait', thresholds: [] },
      { policy: 'wait', thresholds: [0] },
      { policy: 'wait', thresholds: [1.5] },
      { policy: 'wait', thresholds: 'optimal' },
      { policy: 'wait', batchCap: 0 },
      { policy: 'wait', bins: 2.5 },
      { policy: 'wait', variant: 'strict' },
    ]) {
      expect(WaitSpecSchema.safeParse(bad).success).toBe(false);
    }
  });

  const list = poissonTypedList(highDemand, 50, 3);
  const ctx = (d1 = 0) =>
    contextFor(list, { kvCapacityBlocks: 100_000, blockSize: 16, declaredTypes: highDemand, d0: 0.0113, d1 });

  it('uses the paper rule by default and exposes the thresholds', () => {
    const s = new WaitScheduler(WaitSpecSchema.parse({ policy: 'wait', batchCap: 448 }), ctx());
    expect(s.thresholds).toEqual([2, 1, 1]);
    expect(s.types).toEqual(highDemand);
  });

  it('rejects an explicit list of the wrong length, naming `thresholds` and both lengths', () => {
    const make = () => new WaitScheduler(WaitSpecSchema.parse({ policy: 'wait', thresholds: [4, 2] }), ctx());
    expect(make).toThrow(InputError);
    expect(make).toThrow('thresholds: 2 value(s) given but the workload has 3 prompt type(s)');
    try {
      make();
    } catch (e) {
      expect((e as InputError).location.field).toBe('thresholds');
    }
  });

  it('counts the output-length bins of an untyped workload as its types', () => {
    const untyped = requestList(
      Array.from({ length: 40 }, (_, i) => [i, 10, 1 + i] as [number, number, number]),
    );
    const spec = WaitSpecSchema.parse({ policy: 'wait', thresholds: [1, 1], bins: 4 });
    expect(
      () => new WaitScheduler(spec, contextFor(untyped, { kvCapacityBlocks: 1000, blockSize: 1 })),
    ).toThrow('thresholds: 2 value(s) given but the workload has 4 prompt type(s)');
  });

  it('rejects `fluid` thresholds without a solution, naming `thresholds`', () => {
    const spec = WaitSpecSchema.parse({ policy: 'wait', thresholds: 'fluid' });
    const make = () => new WaitScheduler(spec, ctx(2.68e-7));
    expect(make).toThrow(InputError);
    expect(make).toThrow(/^thresholds: fluid: no thresholds satisfy/);
  });

  it('records the threshold warnings on the run once', () => {
    // Example 2 with n = 3 < lambda * d0 = 4 and a 10-token machine (M = 9 <= 10: no memory warning).
    const type = { prompt: 1, output: 1, rate: 4 };
    const rows = poissonTypedList([type], 200, 5);
    const out = runPlain(rows, {
      kvCapacityBlocks: 10,
      blockSize: 1,
      declaredTypes: [type],
      rateRps: 4,
      wait: { thresholds: [3] },
    });
    expect(out.warnings).toEqual([
      'WAIT threshold of type 0 (prompt 1, output 1, rate 4/s) violates eq. wait_thresholds: ' +
        'd0 + d1*M = 1 s > n_j/lambda_j = 3/4 = 0.75 s (type-0 prompts arrive faster than WAIT serves them)',
    ]);
  });
});

describe("the authors' code rule (docs/paper-model.md#the-authors-simulator)", () => {
  it('gives per-stage thresholds proportional to the rates: equal rates, equal thresholds', () => {
    // low demand: S = 11 and 21 stages, B = 290: 290 x 1000 / (1000 x 11 + 1000 x 21) = 9.06 -> 9 each
    const types = [
      { prompt: 10, output: 10, rate: 1000 },
      { prompt: 10, output: 20, rate: 1000 },
    ];
    expect(codeThresholds(types, 290, 'paper')).toEqual([9, 9]);
    // the paper's stated rule gives the longer type fewer prompts per stage
    expect(paperThresholds(types, 290, 'paper')).toEqual([13, 6]);
  });
});
