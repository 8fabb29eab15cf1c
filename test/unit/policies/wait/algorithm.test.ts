import { describe, expect, it } from 'vitest';
import type { TokenModel } from '../../../../runner/engine/token-model.js';
import type { PromptType } from '../../../../runner/fluid/prompt-type.js';
import { poissonTypedList, runAudited, sum, typedRows } from './wait-harness.js';

/** Runs typed rows through WAIT (d0 = 1 s, d1 = 0: iteration k of a busy stretch ends 1 s after it starts). */
function steps(
  types: PromptType[],
  rows: [number, number][],
  thresholds: number[],
  kvCapacityBlocks = 1000,
  tokenModel: TokenModel = 'paper',
) {
  const list = typedRows(types, rows);
  const run = runAudited(list, {
    kvCapacityBlocks,
    blockSize: 1,
    tokenModel,
    declaredTypes: types,
    wait: { thresholds },
  });
  const byIteration = [...run.audit.byIteration()].map(([iteration, ds]) => [
    iteration,
    ds.map((d) => `${d.kind} ${'ABCDEFGH'[d.id]}${d.kind === 'prefill' ? d.tokens : ''}`).join(', '),
  ]);
  return { ...run, byIteration };
}

describe('Algorithm 1 step by step (arXiv 2504.11320v2 §4; hand-worked, tokenModel paper)', () => {
  it('waits for n_j0 >= n_j, runs min(n_j, n_js) per stage, pauses types below threshold, drains at the end', () => {
    // Type X: prompt 1, output 3 (stages 0..3), n = 2. Type Y: prompt 1, output 1 (stages 0..1), n = 1.
    const types: PromptType[] = [
      { prompt: 1, output: 3, rate: 1 },
      { prompt: 1, output: 1, rate: 1 },
    ];
    // A, B: X at 0; C: Y at 0.5; D: X at 1.5; E: X at 2.5; F: Y at 5 (the last arrival).
    const { byIteration, out, clock } = steps(
      types,
      [
        [0, 0],
        [0, 0],
        [0.5, 1],
        [1.5, 0],
        [2.5, 0],
        [5, 1],
      ],
      [2, 1],
    );
    expect(byIteration).toEqual([
      [1, 'prefill A1, prefill B1'], // t = 0: X has 2 >= 2 at stage 0; Y has none
      [2, 'prefill C1'], // t = 1: Y has 1 >= 1; X has 0 < 2 at stage 0: A and B pause with their KV
      // t = 2: D alone at X's stage 0 (1 < 2), Y's stage 0 empty: nothing runs, WAIT waits for E.
      [3, 'decode A, decode B, prefill D1, prefill E1'], // t = 2.5: X again; C (Y, stage 1) stays paused
      // t = 3.5: nothing (X stage 0 empty, Y stage 0 empty); F arrives at 5: all arrived, drain.
      [4, 'decode A, decode B, decode D, decode E, decode C, prefill F1'], // drain: every type runs
      [5, 'decode A, decode B, decode D, decode E, decode F'],
      [6, 'decode D, decode E'],
    ]);
    expect(clock.starts.slice(1)).toEqual([0, 1, 2.5, 5, 6, 7]);
    expect([...out.records.finish]).toEqual([7, 7, 6, 8, 8, 7]);
    // The engine counts a pause whenever a request that ran is left out of the next planning,
    // including the empty plannings at t = 2 and 3.5 (A, B: iterations 2 and at 3.5; C: at 2; D, E: at 3.5).
    expect([...out.records.preemptions]).toEqual([2, 2, 1, 1, 1, 0]);
    expect(sum(out.records.evictions)).toBe(0);
    // Iteration 2 holds A's and B's KV (1 token each) besides C's prefill.
    expect(out.timeSeries.kvBlocks[1]).toBe(3);
  });

  it("tracks stages with the vllm token model (the prefill produces the first token: l' stages)", () => {
    // One type, prompt 2, output 3: stages 0 (prefill + token 1), 1 (token 2), 2 (token 3); n = 2.
    const types: PromptType[] = [{ prompt: 2, output: 3, rate: 1 }];
    const { byIteration, out } = steps(
      types,
      [
        [0, 0],
        [0, 0],
        [0.5, 0],
        [1, 0],
        [1.5, 0],
      ],
      [2],
      1000,
      'vllm',
    );
    expect(byIteration).toEqual([
      [1, 'prefill A2, prefill B2'],
      [2, 'decode A, decode B, prefill C2, prefill D2'],
      [3, 'decode A, decode B, decode C, decode D, prefill E2'], // E is the last arrival: drain
      [4, 'decode C, decode D, decode E'],
      [5, 'decode E'],
    ]);
    expect([...out.records.finish]).toEqual([3, 3, 4, 4, 5]);
  });
});

describe('LIFO eviction when the thresholds overflow the KV cache (C < M^pi)', () => {
  it('evicts the most recently admitted prompt, which restarts from stage 0 (tokenModel paper)', () => {
    // One type, prompt 2, output 4, n = 2: M^pi = 2 x (2+3+4+5+6) = 40 tokens, machine 12.
    // A, B at 0; C, D at 0.5; E, F at 1.5; G at 20 (so no drain before t = 20).
    const types: PromptType[] = [{ prompt: 2, output: 4, rate: 1 }];
    const { byIteration, out, audit } = steps(
      types,
      [
        [0, 0],
        [0, 0],
        [0.5, 0],
        [0.5, 0],
        [1.5, 0],
        [1.5, 0],
        [20, 0],
      ],
      [2],
      12,
    );
    expect(out.warnings).toEqual([
      'WAIT thresholds need M = 40 KV tokens but the machine has 12; expect LIFO evictions',
    ]);
    expect(byIteration.slice(0, 6)).toEqual([
      [1, 'prefill A2, prefill B2'], // 4 of 12 blocks
      [2, 'decode A, decode B, prefill C2, prefill D2'], // 3 + 3 + 2 + 2 = 10
      // The 4 decodes need 4 blocks, 2 are free: D (admitted last) is evicted and rejoins stage 0
      // at the back; E's prefill (2 blocks) does not fit the 1 block left: E and F wait in front.
      [3, 'evict D, decode A, decode B, decode C'],
      [4, 'evict C, decode A, decode B, prefill E2'], // C is now the latest admitted; F does not fit
      [5, 'evict E, decode A, decode B'], // A and B finish: 6 + 6 = 12 blocks
      [6, 'prefill F2, prefill D2'], // stage 0 holds F, D, C, E: FIFO, the evicted ones re-queued as arrivals
    ]);
    // The cascade goes on while thresholds exceed the capacity (arXiv 2504.11320v2 §2); the oldest
    // admitted prompts are never the victims.
    expect([...out.records.evictions]).toEqual([0, 0, 2, 1, 2, 0, 2]);
    expect(audit.maxUsedBlocks).toBe(12);
    expect(out.records.finish.every((f) => !Number.isNaN(f))).toBe(true);
  });
});

describe('drain: arrivals that leave fewer than n_j prompts waiting still complete', () => {
  it('runs the last prompts of every type below threshold once all have arrived (both token models)', () => {
    // 3 types with thresholds 5, 7, 9; 7 + 11 + 4 requests: 2, 4 and 4 prompts are left below threshold.
    const types: PromptType[] = [
      { prompt: 3, output: 4, rate: 1 },
      { prompt: 5, output: 2, rate: 1 },
      { prompt: 2, output: 6, rate: 1 },
    ];
    const rows: [number, number][] = [];
    const counts = [7, 11, 4];
    let t = 0;
    for (let j = 0; j < 3; j++) for (let k = 0; k < counts[j]; k++) rows.push([(t += 0.3), j]);
    for (const tokenModel of ['paper', 'vllm'] as const) {
      const { out, audit } = steps(types, rows, [5, 7, 9], 1000, tokenModel);
      const r = out.records;
      expect(r.finish.every((f) => !Number.isNaN(f))).toBe(true);
      expect(audit.finishedCount.every((c) => c === 1)).toBe(true);
      const lastArrival = rows[rows.length - 1][0];
      // The 2 + 4 + 4 prompts below threshold start only once every request has arrived.
      const late = [5, 6, 14, 15, 16, 17, 18, 19, 20, 21];
      for (const id of late) expect(r.firstScheduled[id]).toBeGreaterThanOrEqual(lastArrival);
      for (const id of [0, 1, 2, 3, 4, 7, 8, 9, 10, 11, 12, 13])
        expect(r.firstScheduled[id]).toBeLessThan(lastArrival);
    }
  });

  it('completes every request of a random typed workload with large thresholds', () => {
    const types: PromptType[] = [
      { prompt: 4, output: 6, rate: 2 },
      { prompt: 8, output: 3, rate: 1 },
    ];
    const list = poissonTypedList(types, 300, 9);
    for (const tokenModel of ['paper', 'vllm'] as const) {
      const { out } = runAudited(list, {
        kvCapacityBlocks: 400,
        blockSize: 4,
        tokenModel,
        declaredTypes: types,
        wait: { thresholds: [17, 23] },
      });
      expect(out.records.finish.every((f) => !Number.isNaN(f))).toBe(true);
    }
  });
});
