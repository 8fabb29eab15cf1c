import { describe, expect, it } from 'vitest';
import type { PromptType } from '../../../../runner/fluid/prompt-type.js';
import { fluidEquilibrium } from '../../../../runner/fluid/fluid-equilibrium.js';
import { fluidThresholds } from '../../../../runner/fluid/wait-thresholds.js';
import { schedulerFor } from '../../../helpers/scheduler-for.js';
import { poissonTypedList, runAudited, sum } from './wait-harness.js';

/*
 * arXiv 2504.11320v2 §4.1, Example 2: l = 1, l' = 1, C = 12 tokens, about 4 arrivals per iteration. With
 * d0 = 1 s and d1 = 0 every iteration takes exactly 1 s, so "per second" = "per iteration". The
 * fluid equilibrium holds 4 prompts per stage: 4 prefills (4 tokens) + 4 decodes (4 x 2 tokens)
 * = 12 = C = M*, and 4 completions per iteration.
 *
 * Arrivals are Poisson with mean 4 per iteration (seeded), 10,000 requests (about 2,500
 * iterations). Random arrivals reproduce the example's unbalanced states by themselves (any
 * iteration with 6 arrivals after one with 2 is the example's start), and keep doing so for the
 * whole run, which is what makes FCFS's loss permanent rather than a transient.
 */
const type: PromptType = { prompt: 1, output: 1, rate: 4 };
const list = poissonTypedList([type], 10_000, 7);
const lastArrival = list.arrival[list.arrival.length - 1];
const machine = { kvCapacityBlocks: 12, blockSize: 1, d0: 1, d1: 0, tokenModel: 'paper' as const };

describe("the paper's Example 2 (§4.1): FCFS cascades, WAIT does not (C = M* = 12, l = l' = 1, 4 arrivals/iteration)", () => {
  it('the fluid equilibrium and the WAIT threshold of the instance are n = 4 per stage, M* = 12', () => {
    const eq = fluidEquilibrium([type], 1, 0, 'paper');
    expect(eq.nStar).toEqual([8]); // 4 per stage x 2 stages
    expect(eq.mStarTokens).toBe(12);
    expect(fluidThresholds([type], 1, 0, 'paper')).toEqual([4]);
  });

  it('fcfs completes clearly fewer than 4 prompts per iteration in steady state, with evictions', () => {
    const { out, clock } = runAudited(list, {
      ...machine,
      rateRps: 4,
      declaredTypes: [type],
      scheduler: schedulerFor({ policy: 'fcfs' }, list, { ...machine, rateRps: 4, declaredTypes: [type] }),
    });
    // Steady state: iterations ending in the second half of the arrival window.
    const from = lastArrival / 2;
    let iterations = 0;
    for (const start of clock.starts)
      if (start !== undefined && start + 1 > from && start + 1 <= lastArrival) iterations++;
    let completed = 0;
    for (const f of out.records.finish) if (f > from && f <= lastArrival) completed++;
    const perIteration = completed / iterations;
    console.info(
      `Example 2, fcfs: ${perIteration.toFixed(3)} completions per iteration, ${sum(out.records.evictions)} evictions`,
    );
    expect(iterations).toBeGreaterThan(1000);
    expect(perIteration).toBeLessThan(3.7);
    expect(perIteration).toBeGreaterThan(2.5);
    expect(sum(out.records.evictions)).toBeGreaterThan(100);
    // FCFS never idles in that window: it is saturated, so this is its capacity.
    expect(iterations).toBe(Math.round(lastArrival - from));
  });

  it('wait with n = 4 completes exactly 4 prompts in every iteration it runs, with zero evictions', () => {
    const { out, audit, inner } = runAudited(list, {
      ...machine,
      rateRps: 4,
      declaredTypes: [type],
      wait: { thresholds: [4] },
    });
    expect(inner).toHaveProperty('thresholds', [4]);
    expect(sum(out.records.evictions)).toBe(0);
    expect(out.warnings).toEqual([]); // 1 + 0 * 12 <= 4/4 and M = 12 <= C
    expect(audit.maxUsedBlocks).toBe(12);
    const perIteration = [...audit.byIteration().values()];
    // Before the drain (the last few iterations), each batch is 4 prefills + 4 decodes (l' = 1:
    // every decode completes its prompt), except the very first batch.
    const steady = perIteration.slice(1, -3);
    expect(steady.length).toBeGreaterThan(2000);
    for (const ds of steady) {
      expect(ds.filter((d) => d.kind === 'decode')).toHaveLength(4);
      expect(ds.filter((d) => d.kind === 'prefill')).toHaveLength(4);
    }
    expect(out.records.finish.every((f) => !Number.isNaN(f))).toBe(true);
    const completedByLastArrival = out.records.finish.filter((f) => f <= lastArrival).length;
    console.info(
      `Example 2, wait: 4 completions per iteration it runs; ${(completedByLastArrival / lastArrival).toFixed(3)} per second over the arrival window`,
    );
    // It idles only while fewer than 4 prompts wait, so it keeps up with the arrivals (4/s), where
    // FCFS (saturated above) manages about 3 per second.
    expect(completedByLastArrival / lastArrival).toBeGreaterThan(3.8);
  });
});
