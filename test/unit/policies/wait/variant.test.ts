import { describe, expect, it } from 'vitest';
import type { EngineOutput } from '../../../../runner/engine/replica-engine.js';
import { fluidEquilibrium } from '../../../../runner/fluid/fluid-equilibrium.js';
import type { PromptType } from '../../../../runner/fluid/prompt-type.js';
import { waitTypeBudgets } from '../../../../runner/fluid/wait-thresholds.js';
import { computeRunMetrics } from '../../../../runner/metrics/run-metrics.js';
import type { WaitScheduler, WaitVariant } from '../../../../runner/schedulers/wait.js';
import type { RequestList } from '../../../../runner/workloads/request-list.js';
import { requestList } from '../../../helpers/request-lists.js';
import { schedulerFor } from '../../../helpers/scheduler-for.js';
import { poissonTypedList, runAudited, runPlain, sum, typedRows } from './wait-harness.js';

/**
 * Runs a list through WAIT with the given variant (d0 = 1 s, d1 = 0, tokenModel paper, block size
 * 1, roomy machine: every iteration lasts 1 s) and lists each iteration's decisions.
 */
function steps(list: RequestList, types: PromptType[] | null, wait: object) {
  const run = runAudited(list, {
    kvCapacityBlocks: 1000,
    blockSize: 1,
    tokenModel: 'paper',
    declaredTypes: types,
    wait,
  });
  const byIteration = [...run.audit.byIteration()].map(([iteration, ds]) => [
    iteration,
    ds.map((d) => `${d.kind} ${'ABCDEFGH'[d.id]}${d.kind === 'prefill' ? d.tokens : ''}`).join(', '),
  ]);
  return { ...run, byIteration };
}

describe("variant `paper` (Algorithm 1 as printed) vs `code` (the authors' simulator, docs/paper-model.md), hand-worked", () => {
  // Type X: prompt 1, output 3 (stages 0..3, S = 4), n = 1. Type Y: prompt 1, output 1 (S = 2), n = 1.
  // Budgets n_j S_j = 4 and 2. A: X at 0; B, C, D: Y at 2, 4, 6; E: X at 10 (the last arrival).
  const types: PromptType[] = [
    { prompt: 1, output: 3, rate: 1 },
    { prompt: 1, output: 1, rate: 1 },
  ];
  const list = typedRows(types, [
    [0, 0],
    [2, 1],
    [4, 1],
    [6, 1],
    [10, 0],
  ]);

  it('light load: `paper` pauses the in-flight X prompt until X arrivals come; `code` decodes it at every Y arrival', () => {
    const paper = steps(list, types, { thresholds: [1, 1], variant: 'paper' });
    expect(paper.byIteration).toEqual([
      [1, 'prefill A1'], // t = 0: X has 1 >= 1 at stage 0
      // t = 1: both stage-0 queues empty: nothing runs until B arrives.
      [2, 'prefill B1'], // t = 2: Y has 1 >= 1; X's stage 0 is empty, so A (stage 1) stays paused
      [3, 'decode B, prefill C1'], // t = 4: Y again; A still paused
      [4, 'decode C, prefill D1'], // t = 6: same
      [5, 'decode A, decode D, prefill E1'], // t = 10: E is the last arrival: drain
      [6, 'decode A, decode E'],
      [7, 'decode A, decode E'],
      [8, 'decode E'],
    ]);
    expect([...paper.out.records.finish]).toEqual([13, 5, 7, 11, 14]);

    const code = steps(list, types, { thresholds: [1, 1], variant: 'code' });
    expect(code.byIteration).toEqual([
      [1, 'prefill A1'], // t = 0: X has 1 >= min(1, 4 - 0)
      // t = 1: X has 0 < min(1, 4 - 1), Y 0 < min(1, 2 - 0): nothing runs until B arrives.
      [2, 'decode A, prefill B1'], // t = 2: Y qualifies, and the batch takes every prompt in flight
      [3, 'decode A, decode B, prefill C1'], // t = 4
      [4, 'decode A, decode C, prefill D1'], // t = 6: A's last stage
      [5, 'decode D, prefill E1'], // t = 10: drain
      [6, 'decode E'],
      [7, 'decode E'],
      [8, 'decode E'],
    ]);
    expect([...code.out.records.finish]).toEqual([7, 5, 7, 11, 14]);
    // A: E2E 13 s with `paper` (it waits for E, the next X), 7 s with `code`.
    expect(sum(paper.out.records.evictions) + sum(code.out.records.evictions)).toBe(0);
  });

  it('`code` admits the waiting prompts of every type when any type qualifies; `paper` keeps them for their threshold', () => {
    // X: prompt 2, output 2 (S = 3), n = 2, budget 6. Y: prompt 1, output 1 (S = 2), n = 1, budget 2.
    // A: X at 0; B: Y at 0.5; C: X at 5 (the last arrival).
    const t2: PromptType[] = [
      { prompt: 2, output: 2, rate: 1 },
      { prompt: 1, output: 1, rate: 1 },
    ];
    const rows = typedRows(t2, [
      [0, 0],
      [0.5, 1],
      [5, 0],
    ]);
    const paper = steps(rows, t2, { thresholds: [2, 1] });
    expect(paper.byIteration).toEqual([
      // t = 0: X has 1 < 2: nothing runs.
      [1, 'prefill B1'], // t = 0.5: Y has 1 >= 1; A waits for a second X
      [2, 'decode B, prefill A2, prefill C2'], // t = 5: drain
      [3, 'decode A, decode C'],
      [4, 'decode A, decode C'],
    ]);
    expect([...paper.out.records.finish]).toEqual([8, 6, 8]);
    const code = steps(rows, t2, { thresholds: [2, 1], variant: 'code' });
    expect(code.byIteration).toEqual([
      // t = 0: X has 1 < min(2, 6 - 0), Y 0 < 1: nothing runs.
      [1, 'prefill A2, prefill B1'], // t = 0.5: Y qualifies; X takes its min(2, 1) = 1 waiting prompt
      [2, 'decode A, decode B, prefill C2'], // t = 5: drain
      [3, 'decode A, decode C'],
      [4, 'decode C'],
    ]);
    expect([...code.out.records.finish]).toEqual([7, 6, 8]);
  });

  it('`code`: once the prompts in flight use up the type budget (k_j <= 0), they run without new arrivals', () => {
    // One binned type (bins: 1) of outputs 3, 3, 1, 1, 1, 1: mean output 10/6, S = 8/3 stages
    // (tokenModel paper), n = 1, budget b = 8/3. k = min(1, floor(b - in flight)): 1 with one
    // prompt in flight, 0 with two (floor(2/3)), so two prompts in flight form a batch by themselves.
    const rows = requestList([
      [0, 1, 3],
      [1.5, 1, 3],
      [20, 1, 1],
      [21, 1, 1],
      [22, 1, 1],
      [23, 1, 1],
    ]);
    const code = steps(rows, null, { thresholds: [1], bins: 1, variant: 'code' });
    expect(waitTypeBudgets((code.inner as WaitScheduler).types, [1], 'paper')[0]).toBeCloseTo(8 / 3, 12);
    expect(code.byIteration).toEqual([
      [1, 'prefill A1'], // t = 0: 1 >= min(1, floor(8/3)) = 1
      // t = 1: 0 < min(1, floor(8/3 - 1)) = 1: nothing runs.
      [2, 'decode A, prefill B1'], // t = 1.5: B arrives
      [3, 'decode A, decode B'], // t = 2.5: 0 >= min(1, floor(8/3 - 2)) = 0: A and B run alone
      [4, 'decode A, decode B'], // t = 3.5: same; A completes
      // t = 4.5: B alone in flight: 0 < 1 again, B pauses at its last stage until C arrives.
      [5, 'decode B, prefill C1'], // t = 20
      [6, 'decode C, prefill D1'], // t = 21
      [7, 'decode D, prefill E1'], // t = 22
      [8, 'decode E, prefill F1'], // t = 23: drain
      [9, 'decode F'],
    ]);
    expect([...code.out.records.finish]).toEqual([4.5, 21, 22, 23, 24, 25]);
  });
});

describe('light load: `code` is much faster than `paper` on the same workload', () => {
  it('arXiv 2504.11320v2 §6.1 (ii) types at 20 % of the stability limit: mean E2E of `code` below half that of `paper`', () => {
    // High-demand types (prompt 20, outputs 100/200/300, rates 6:4:2) on the linear machine of
    // heavy-traffic.test.ts, tokenModel paper, default thresholds (paper rule, B = 128: n = 1, 1, 1),
    // a roomy KV cache. Arrivals (~37 req/s) are far apart compared with an iteration (~11 ms), so
    // WAIT's batches are paced by arrivals: with `paper` a type-j prompt moves one stage per type-j
    // arrival (E2E ~ S_j / lambda_j), with `code` one stage per arrival of any type (S_j / lambda).
    const d0 = 0.0113;
    const d1 = 2.68e-7;
    const base: PromptType[] = [
      { prompt: 20, output: 100, rate: 6 },
      { prompt: 20, output: 200, rate: 4 },
      { prompt: 20, output: 300, rate: 2 },
    ];
    const scale = (0.2 * fluidEquilibrium(base, d0, d1, 'paper').maxStableRateRps) / 12;
    const types = base.map((t) => ({ ...t, rate: t.rate * scale }));
    const rateRps = 12 * scale;
    const list = poissonTypedList(types, 2000, 3);
    const machine = { kvCapacityBlocks: 100_000, blockSize: 16, d0, d1, tokenModel: 'paper' as const };
    const o = { ...machine, rateRps, declaredTypes: types };
    /** Mean E2E of a run that completes every request, seconds. */
    const meanE2e = (out: EngineOutput) => {
      expect(out.records.finish.every((f) => !Number.isNaN(f))).toBe(true);
      return computeRunMetrics(out, 0).e2e_mean_s ?? NaN;
    };
    const e2e = (variant: WaitVariant) => {
      const out = runPlain(list, { ...o, wait: { variant } });
      expect(sum(out.records.evictions)).toBe(0);
      return meanE2e(out);
    };
    const paper = e2e('paper');
    const code = e2e('code');
    const sarathi = meanE2e(runPlain(list, o, schedulerFor({ policy: 'sarathi' }, list, o)));
    console.info(
      `light load (${rateRps.toFixed(1)} req/s): mean E2E wait/paper ${paper.toFixed(2)} s, wait/code ${code.toFixed(2)} s, ` +
        `sarathi ${sarathi.toFixed(2)} s`,
    );
    expect(code).toBeLessThan(paper / 2);
  });
});
