import { describe, expect, it } from 'vitest';
import { InputError } from '../../../../runner/errors.js';
import { requestTypes } from '../../../../runner/fluid/request-types.js';
import {
  continuationProbabilities,
  planNestedWaitSegments,
  proportionalThresholds,
  segmentBoundaries,
  segmentBudgets,
  segmentStages,
  thresholdRatioViolations,
} from '../../../../runner/fluid/nested-wait-segments.js';
import {
  NestedWaitScheduler,
  NestedWaitSpecSchema,
  type NestedWaitSpec,
} from '../../../../runner/schedulers/nested-wait.js';
import { contextFor } from '../../../helpers/scheduler-for.js';
import { requestList } from '../../../helpers/request-lists.js';

/** n_{k+1}/n_k > p_k for every k, checked in floating point independently of the library. */
function ratioConditionHolds(n: number[], rates: number[]): boolean {
  const p = continuationProbabilities(rates);
  return p.every((pk, k) => n[k + 1] / n[k] > pk);
}

describe('threshold rule (arXiv 2504.11320v2 §6.2, eq. nested_wait_thresholds)', () => {
  it('decode lengths (20,40,80,160) at rates 20:40:80:160 give thresholds 15:14:12:8 before the margin', () => {
    const rates = [20, 40, 80, 160];
    const stages = segmentStages([20, 40, 80, 160], 'paper').count;
    expect(stages).toEqual([21, 20, 40, 80]);
    // batchCap = sum_k stages_k n_k for n = (15, 14, 12, 8): the base is exactly the tail sums / 20.
    const one = proportionalThresholds(rates, stages, 21 * 15 + 20 * 14 + 40 * 12 + 80 * 8);
    expect(one.base).toEqual([15, 14, 12, 8]);
    // Exact proportions meet n_{k+1}/n_k = p_k with equality: the strict condition fails everywhere.
    expect(thresholdRatioViolations(one.base, rates)).toEqual([1, 2, 3]);
    // The margin rule raises n_{k+1} to floor(p_k n_k) + 1.
    expect(one.thresholds).toEqual([15, 15, 13, 9]);
    expect(ratioConditionHolds(one.thresholds, rates)).toBe(true);
    expect(thresholdRatioViolations(one.thresholds, rates)).toEqual([]);

    const ten = proportionalThresholds(rates, stages, 10 * 1715);
    expect(ten.base).toEqual([150, 140, 120, 80]);
    expect(ten.thresholds).toEqual([150, 141, 121, 81]);
    expect(ratioConditionHolds(ten.thresholds, rates)).toBe(true);
    // Within one prompt per stage of the paper's ratio at this scale.
    ten.thresholds.forEach((n, k) => expect(n - [150, 140, 120, 80][k]).toBeLessThanOrEqual(1));
  });

  it('the 10-bin LMSYS rates 23:11:8:7:6:4:3:2:1:1 give 66:43:32:24:17:11:7:4:2:1 before the margin', () => {
    const rates = [23, 11, 8, 7, 6, 4, 3, 2, 1, 1];
    const boundaries = segmentBoundaries({ count: 10 }, 500);
    expect(boundaries).toEqual([50, 100, 150, 200, 250, 300, 350, 400, 450, 500]);
    const stages = segmentStages(boundaries, 'paper').count;
    expect(stages).toEqual([51, 50, 50, 50, 50, 50, 50, 50, 50, 50]);
    const tails = [66, 43, 32, 24, 17, 11, 7, 4, 2, 1];
    const cap = tails.reduce((s, t, k) => s + stages[k] * t, 0);
    const r = proportionalThresholds(rates, stages, cap);
    expect(r.base).toEqual(tails);
    expect(r.thresholds).toEqual([66, 44, 33, 25, 18, 12, 8, 5, 3, 2]);
    expect(ratioConditionHolds(r.thresholds, rates)).toBe(true);
    // The same proportions under the vllm stage mapping (segment 1 has 50 stages).
    const v = proportionalThresholds(rates, segmentStages(boundaries, 'vllm').count, 50 * 207);
    expect(v.base).toEqual(tails);
  });

  it('scales down to the batch cap with every threshold at least 1', () => {
    const r = proportionalThresholds(
      [23, 11, 8, 7, 6, 4, 3, 2, 1, 1],
      [51, 50, 50, 50, 50, 50, 50, 50, 50, 50],
      128,
    );
    expect(r.base).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(r.thresholds).toEqual(r.base);
    expect(ratioConditionHolds(r.thresholds, [23, 11, 8, 7, 6, 4, 3, 2, 1, 1])).toBe(true);
    const s = proportionalThresholds([20, 40, 80, 160], [21, 20, 40, 80], 5000);
    expect([21, 20, 40, 80].reduce((a, c, k) => a + c * s.base[k], 0)).toBeLessThanOrEqual(5000);
  });
});

describe('segment budgets of the code variant (docs/paper-model.md: the authors seg_total_limit)', () => {
  it('are the segments shares of batchCap, floor(batchCap stages_k T_k / sum_j stages_j T_j)', () => {
    // The synthetic instance of §6.2: the shares are 21 x 15, 20 x 14, 40 x 12, 80 x 8, the base thresholds times
    // the stages, even where the margin rule raised n_k (15:15:13:9).
    const rates = [20, 40, 80, 160];
    const stages = [21, 20, 40, 80];
    const n = proportionalThresholds(rates, stages, 1715).thresholds;
    expect(n).toEqual([15, 15, 13, 9]);
    expect(segmentBudgets(rates, stages, 1715, n)).toEqual([315, 280, 480, 640]);
  });

  it('are clamped to [n_k, n_k stages_k]', () => {
    // LMSYS bins at batchCap 128: every n_k is 1; the shares are 41.4, 26.4, ..., 1.2, 0.6.
    const rates = [23, 11, 8, 7, 6, 4, 3, 2, 1, 1];
    const stages = [51, 50, 50, 50, 50, 50, 50, 50, 50, 50];
    const ones = new Array<number>(10).fill(1);
    expect(segmentBudgets(rates, stages, 128, ones)).toEqual([41, 26, 19, 14, 10, 6, 4, 2, 1, 1]);
    // A share above n_k stages_k could never bind: B_k = n_k stages_k (the paper rule).
    expect(segmentBudgets([1, 1], [3, 2], 1000, [2, 1])).toEqual([6, 2]);
    // Nobody reaches segment 2: share 0, clamped to n_2.
    expect(segmentBudgets([5, 0], [3, 2], 10, [1, 3])).toEqual([3, 3]);
    expect(() => segmentBudgets([1], [1, 2], 8, [1])).toThrow(RangeError);
    expect(() => segmentBudgets([1], [1], 0, [1])).toThrow(RangeError);
  });

  it('are part of the plan, with either threshold rule', () => {
    const list = requestList([
      [0, 10, 20],
      [1, 10, 160],
    ]);
    const plan = planNestedWaitSegments(
      { segments: { boundaries: [20, 160] }, thresholds: [2, 1], batchCap: 64 },
      list,
      1,
      'paper',
    );
    // Stages 21 and 140, tails 2 and 1: shares 64 x 42 / 182 = 14.8 and 64 x 140 / 182 = 49.2.
    expect(plan.stages.count).toEqual([21, 140]);
    expect(plan.budgets).toEqual([14, 49]);
  });
});

describe('segments', () => {
  it('count: equal-width segments over [1, largest output], matching the output-length bins', () => {
    expect(segmentBoundaries({ count: 4 }, 10)).toEqual([2, 5, 7, 10]);
    expect(segmentBoundaries({ count: 5 }, 3)).toEqual([1, 2, 3]);
    const rows: [number, number, number][] = [];
    for (let i = 0; i < 200; i++) rows.push([i, 5 + (i % 7), 1 + ((i * 37) % 200)]); // D = 200, width 20
    const list = requestList(rows);
    const plan = planNestedWaitSegments(
      { segments: { count: 10 }, thresholds: 'proportional', batchCap: 128 },
      list,
      4,
      'paper',
    );
    const binned = requestTypes(list, 4, null, 10).types.map((t) => t.rate);
    expect(plan.rates.filter((r) => r > 0)).toEqual(binned);
    expect(plan.rates.reduce((a, b) => a + b, 0)).toBeCloseTo(4, 12);
  });

  it('maps segments to stages per token model', () => {
    expect(segmentStages([2, 5], 'paper')).toEqual({ first: [0, 3], last: [2, 5], count: [3, 3] });
    expect(segmentStages([2, 5], 'vllm')).toEqual({ first: [0, 2], last: [1, 4], count: [2, 3] });
  });
});

describe('bad parameters are input errors naming the field', () => {
  const list = requestList([
    [0, 10, 20],
    [1, 10, 160],
  ]);
  const ctx = contextFor(list, { kvCapacityBlocks: 10_000, blockSize: 1, tokenModel: 'paper' });
  const spec = (over: Partial<NestedWaitSpec>): NestedWaitSpec => ({
    ...NestedWaitSpecSchema.parse({ policy: 'nested-wait' }),
    ...over,
  });
  function inputError(f: () => unknown): InputError {
    try {
      f();
    } catch (e) {
      if (e instanceof InputError) return e;
      throw e;
    }
    throw new Error('no error thrown');
  }

  it('segments that do not cover the decode range', () => {
    const e = inputError(
      () => new NestedWaitScheduler(spec({ segments: { boundaries: [20, 40, 80] } }), ctx),
    );
    expect(e.location.field).toBe('segments');
    expect(e.message).toMatch(/^segments: /);
    expect(e.message).toContain('80');
    expect(e.message).toContain('160');
  });

  it('boundaries that are not strictly increasing positive integers', () => {
    for (const boundaries of [[20, 20, 160], [40, 20, 160], [0, 160], [2.5, 160], []]) {
      const e = inputError(() => new NestedWaitScheduler(spec({ segments: { boundaries } }), ctx));
      expect(e.location.field).toBe('segments');
      expect(e.message).toMatch(/^segments: /);
    }
    const e = inputError(
      () => new NestedWaitScheduler(spec({ segments: { boundaries: [40, 20, 160] } }), ctx),
    );
    expect(e.message).toContain('20');
    expect(e.message).toContain('[40, 20, 160]');
    // The schema refuses them too (so a sweep spec fails at the entry's line).
    const parsed = NestedWaitSpecSchema.safeParse({
      policy: 'nested-wait',
      segments: { boundaries: [40, 20, 160] },
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0].message).toMatch(/^segments: boundaries must be strictly increasing/);
    expect(parsed.error?.issues[0].path).toEqual(['segments', 'boundaries']);
  });

  it('a threshold list whose length is not the number of segments', () => {
    const e = inputError(
      () =>
        new NestedWaitScheduler(spec({ segments: { boundaries: [20, 40, 160] }, thresholds: [3, 2] }), ctx),
    );
    expect(e.location.field).toBe('thresholds');
    expect(e.message).toMatch(/^thresholds: 2 value\(s\) \[3, 2\] for 3 segment\(s\)/);
  });

  it('schema: unknown keys and non-positive values', () => {
    expect(NestedWaitSpecSchema.safeParse({ policy: 'nested-wait', batchcap: 3 }).success).toBe(false);
    expect(NestedWaitSpecSchema.safeParse({ policy: 'nested-wait', batchCap: 0 }).success).toBe(false);
    expect(NestedWaitSpecSchema.safeParse({ policy: 'nested-wait', delta: 1 }).success).toBe(false);
    expect(NestedWaitSpecSchema.safeParse({ policy: 'nested-wait', thresholds: [1, 0] }).success).toBe(false);
    expect(NestedWaitSpecSchema.parse({ policy: 'nested-wait' })).toEqual({
      policy: 'nested-wait',
      segments: { count: 10 },
      thresholds: 'proportional',
      variant: 'paper',
      batchCap: 128,
      delta: 0.01,
    });
  });
});
