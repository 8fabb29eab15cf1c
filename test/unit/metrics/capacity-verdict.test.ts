import { describe, expect, it } from 'vitest';
import { CAPACITY_VERDICT_NOTE, capacityVerdicts } from '../../../runner/metrics/capacity-verdict.js';

describe('capacityVerdicts', () => {
  it('compares brackets: disjoint brackets are significant, overlapping ones are not', () => {
    const [v] = capacityVerdicts([
      { workload: 'arxiv', policy: 'vllm', lowerRps: 2.04, upperRps: 2.07, seeds: 2 },
      { workload: 'arxiv', policy: 'sarathi', lowerRps: 2.24, upperRps: 2.27, seeds: 2 },
      { workload: 'arxiv', policy: 'wait', lowerRps: 2.22, upperRps: 2.25, seeds: 2 },
    ]);
    expect(v).toMatchObject({
      workload: 'arxiv',
      metric: 'max_rate_rps',
      direction: 'higher',
      best_policy: 'sarathi',
      rate_rps: null,
      seeds: 2,
      note: CAPACITY_VERDICT_NOTE,
    });
    const [wait, vllm] = v.comparisons;
    // wait: ratio 2.22/2.24; range [2.22/2.27, 2.25/2.24] covers 1.
    expect(wait.policy).toBe('wait');
    expect(wait.ratio).toBeCloseTo(2.22 / 2.24, 12);
    expect(wait.ci_low).toBeCloseTo(2.22 / 2.27, 12);
    expect(wait.ci_high).toBeCloseTo(2.25 / 2.24, 12);
    expect(wait.significant).toBe(false);
    // vllm fails at 2.07 while sarathi sustains 2.24: [2.04/2.27, 2.07/2.24] lies below 1.
    expect(vllm.ci_high).toBeCloseTo(2.07 / 2.24, 12);
    expect(vllm.significant).toBe(true);
  });

  it('leaves the range open above for a policy sustained at its max, and judges nothing with one policy', () => {
    const [v] = capacityVerdicts([
      { workload: 'w', policy: 'a', lowerRps: 8, upperRps: null, seeds: 1 },
      { workload: 'w', policy: 'b', lowerRps: 8, upperRps: null, seeds: 1 },
      { workload: 'solo', policy: 'a', lowerRps: 1, upperRps: 1.02, seeds: 1 },
    ]);
    expect(v.workload).toBe('w');
    expect(v.comparisons[0]).toEqual({ policy: 'b', ratio: 1, ci_low: 0, ci_high: null, significant: false });
    expect(
      capacityVerdicts([{ workload: 'solo', policy: 'a', lowerRps: 1, upperRps: 1.02, seeds: 1 }]),
    ).toEqual([]);
  });
});
