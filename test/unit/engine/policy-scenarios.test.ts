import { describe, expect, it } from 'vitest';
import { simulate } from '../../../runner/engine/replica-engine.js';
import type { TokenModel } from '../../../runner/engine/token-model.js';
import { LinearIterationTimeModel } from '../../../runner/latency/linear-model.js';
import { schedulerFor } from '../../helpers/scheduler-for.js';
import { AuditingScheduler } from '../../helpers/auditing-scheduler.js';
import { requestList } from '../../helpers/request-lists.js';

/** Every iteration takes exactly 1 s (d0 = 1, d1 = 0), so iteration k ends at t = k. */
function run(
  rows: [number, number, number][],
  policy: object,
  kvCapacityBlocks: number,
  tokenModel: TokenModel = 'vllm',
) {
  const list = requestList(rows);
  const audit = new AuditingScheduler(
    schedulerFor(policy, list, { kvCapacityBlocks, blockSize: 1, tokenModel }),
    rows.length,
  );
  const out = simulate(
    list,
    { kvCapacityBlocks, blockSize: 1, iterationTime: new LinearIterationTimeModel(1, 0), tokenModel },
    audit,
  );
  const steps = [...audit.byIteration()].map(([iteration, ds]) => [
    iteration,
    ds.map((d) => `${d.kind} ${'ABCDEFG'[d.id]}${d.kind === 'prefill' ? d.tokens : ''}`).join(', '),
  ]);
  return { audit, out, steps };
}

describe('vllm (hand-worked, block size 1, capacity 10, watermark 0)', () => {
  // A and B (prompt 3, output 5) at t=0; C (prompt 5, output 2) at t=0.5.
  const { out, steps, audit } = run(
    [
      [0, 3, 5],
      [0, 3, 5],
      [0.5, 5, 2],
    ],
    { policy: 'vllm', watermark: 0 },
    10,
  );

  it('prefills first, never mixes prefill and decode, evicts the latest arrival to the front of the queue', () => {
    expect(steps).toEqual([
      [1, 'prefill A3, prefill B3'], // both prompts fit; prefill emits each request's first token
      [2, 'decode A, decode B'], // C needs 5 blocks, only 4 free: head-of-line blocked
      [3, 'decode A, decode B'],
      [4, 'evict B, decode A'], // KV full: B (latest arrival) evicted, put at the FRONT, ahead of C
      [5, 'decode A'], // B must re-prefill prompt + 3 produced tokens = 6 > 4 free
      [6, 'prefill B6'], // B re-admitted before C although C waited longer
      [7, 'decode B'],
      [8, 'prefill C5'],
      [9, 'decode C'],
    ]);
    for (const ds of audit.byIteration().values()) {
      const kinds = new Set(ds.filter((d) => d.kind !== 'evict').map((d) => d.kind));
      expect(kinds.size).toBe(1);
    }
  });

  it('records eviction, recomputed tokens and latencies', () => {
    const r = out.records;
    expect([...r.evictions]).toEqual([0, 1, 0]);
    expect([...r.recomputedTokens]).toEqual([0, 5, 0]); // B held 3 prompt + 2 decoded tokens of KV
    expect([...r.finish]).toEqual([5, 7, 9]);
    expect([...r.firstToken]).toEqual([1, 1, 8]); // B keeps the first token it already produced
    expect([...r.firstScheduled]).toEqual([0, 0, 7]);
    expect(out.totals.iterations).toBe(9);
  });
});

describe('vllm prefill iterations pause running decodes (preemption with KV kept)', () => {
  it('counts the stall of a decoding request during a prefill-only iteration', () => {
    // A decodes; B arrives at t=1.5 and is prefilled alone in iteration 3, pausing A once.
    const { steps, out } = run(
      [
        [0, 2, 4],
        [1.5, 2, 1],
      ],
      { policy: 'vllm', watermark: 0 },
      100,
    );
    expect(steps).toEqual([
      [1, 'prefill A2'],
      [2, 'decode A'],
      [3, 'prefill B2'],
      [4, 'decode A'],
      [5, 'decode A'],
    ]);
    expect([...out.records.preemptions]).toEqual([1, 0]);
  });
});

describe('sarathi (hand-worked, chunk size 8, block size 1)', () => {
  // A (prompt 4, output 10) at t=0; B (prompt 20, output 2) at t=0.5.
  const { out, steps } = run(
    [
      [0, 4, 10],
      [0.5, 20, 2],
    ],
    { policy: 'sarathi', chunkSize: 8, watermark: 0 },
    100,
  );

  it("shares the token budget: decodes first, then B's prompt in chunks of the budget left", () => {
    expect(steps.slice(0, 5)).toEqual([
      [1, 'prefill A4'],
      [2, 'decode A, prefill B7'], // 8 - 1 decode token = 7
      [3, 'decode A, prefill B7'],
      [4, 'decode A, prefill B6'], // the last 6 prompt tokens; B's first token
      [5, 'decode A, decode B'],
    ]);
    expect(out.records.finish[1]).toBe(5);
    expect(out.records.finish[0]).toBe(10);
  });

  it("reserves B's whole prompt at admission", () => {
    // After iteration 2: A holds 5 KV tokens (4 + 1), B reserved all 20 prompt tokens.
    expect(out.timeSeries.kvBlocks[1]).toBe(25);
  });
});

describe('fcfs (hand-worked, paper token model, block size 1, capacity 12)', () => {
  // Three prompts of 2 tokens with 6 output tokens each, all at t=0.
  const { out, steps, audit } = run(
    [
      [0, 2, 6],
      [0, 2, 6],
      [0, 2, 6],
    ],
    { policy: 'fcfs' },
    12,
    'paper',
  );

  it('admits whenever memory permits and evicts LIFO (most recently admitted first)', () => {
    expect(steps.slice(0, 6)).toEqual([
      [1, 'prefill A2, prefill B2, prefill C2'],
      [2, 'decode A, decode B, decode C'], // stage 1: 3 + 3 + 3 = 9 of 12
      [3, 'decode A, decode B, decode C'], // 12 of 12
      [4, 'evict C, decode A, decode B, prefill C2'], // growth 3 > 0 free: evict C; C fits again as a new arrival
      [5, 'evict C, decode A, decode B'], // the cascade (arXiv 2504.11320v2 §4.1, Example 2)
      [6, 'evict B, decode A, prefill C2, prefill B2'],
    ]);
    const evicted = audit.decisions.filter((d) => d.kind === 'evict').map((d) => d.id);
    expect(evicted).not.toContain(0); // the first admitted prompt is never the victim
    expect(out.records.evictions[0]).toBe(0);
    expect(out.records.generatedTokens[2]).toBe(6);
  });
});

describe('vllm-v1 (hand-worked, token budget 8, block size 1, capacity 10)', () => {
  // A (prompt 6, output 4) and B (prompt 6, output 2) at t=0.
  const { out, steps } = run(
    [
      [0, 6, 4],
      [0, 6, 2],
    ],
    { policy: 'vllm-v1', maxNumBatchedTokens: 8 },
    10,
  );

  it('serves running requests first from one budget, preempts the latest admitted, admits nothing in that step', () => {
    expect(steps).toEqual([
      [1, 'prefill A6, prefill B2'], // the budget left after A (2 tokens) starts B's prompt
      [2, 'decode A, evict B'], // B's next chunk needs 4 blocks, 1 free: B (latest admitted) is preempted
      [3, 'decode A'], // B is first in line again but its 6 blocks are not free
      [4, 'decode A'],
      [5, 'prefill B6'],
      [6, 'decode B'],
    ]);
    expect([...out.records.evictions]).toEqual([0, 1]);
    expect([...out.records.recomputedTokens]).toEqual([0, 2]);
    expect([...out.records.finish]).toEqual([4, 6]);
  });
});
