import { describe, expect, it } from 'vitest';
import { simulate } from '../../../../runner/engine/replica-engine.js';
import { LinearIterationTimeModel } from '../../../../runner/latency/linear-model.js';
import { fluidEquilibrium } from '../../../../runner/fluid/fluid-equilibrium.js';
import { createUniform, RandomStream } from '../../../../runner/workloads/random-streams.js';
import { generateTypedMix } from '../../../../runner/workloads/typed-mix.js';
import { requestList } from '../../../helpers/request-lists.js';
import { nestedWaitFor, runNestedWait, steps } from './helpers.js';

describe('Algorithm 2, hand-worked (paper tokens, 1 s iterations, ample memory)', () => {
  // Two prompts (prompt 5) arrive at t = 0, 1, ..., 5, outputs alternating 2 and 4; boundaries
  // [2, 4]: segment 1 = stages 0..2, segment 2 = stages 3..4 (entry stage 3); n = [2, 2].
  const rows: [number, number, number][] = [];
  for (let t = 0; t < 6; t++) rows.push([t, 5, 2], [t, 5, 4]);
  const { audit, out } = runNestedWait(
    { segments: { boundaries: [2, 4] }, thresholds: [2, 2] },
    requestList(rows),
    {
      kvCapacityBlocks: 1000,
      blockSize: 1,
    },
  );
  const s = steps(audit);

  it('runs segment 1 alone while segment 2 waits for its threshold, then both', () => {
    expect(s.get(1)).toBe('prefill A5, prefill B5');
    expect(s.get(2)).toBe('decode A, decode B, prefill C5, prefill D5');
    // A finishes at the end of segment 1; B moves to segment 2's entry stage.
    expect(s.get(3)).toBe('decode A, decode B, decode C, decode D, prefill E5, prefill F5');
    // Segment 2 has 1 < n_2 prompt at its entry: B pauses with its KV cache kept.
    expect(s.get(4)).toBe('decode C, decode D, decode E, decode F, prefill G5, prefill H5');
    // D joins B: segment 2 runs, highest stage first.
    expect(s.get(5)).toBe(
      'decode B, decode D, decode E, decode F, decode G, decode H, prefill I5, prefill J5',
    );
    expect(out.records.preemptions[1]).toBe(1);
    expect(out.records.evictions.every((e) => e === 0)).toBe(true);
  });

  it('completes every request once', () => {
    expect(audit.finishedCount.every((c) => c === 1)).toBe(true);
    expect(Array.from(out.records.generatedTokens)).toEqual(rows.map((r) => r[2]));
  });
});

describe('overflow: LIFO eviction', () => {
  it('evicts the most recently admitted prompt, which re-enters the queue and completes', () => {
    // A, B, C (prompt 4, output 3) all at t = 0, so arrivals are over (thresholds do not block);
    // one segment, n_1 = 2 prompts per stage; capacity 13 < 2 x 7.
    const list = requestList([
      [0, 4, 3],
      [0, 4, 3],
      [0, 4, 3],
    ]);
    const { audit, out } = runNestedWait({ segments: { boundaries: [3] }, thresholds: [2] }, list, {
      kvCapacityBlocks: 13,
      blockSize: 1,
    });
    const s = steps(audit);
    expect(s.get(1)).toBe('prefill A4, prefill B4');
    // C's 4 blocks do not fit after the decodes' growth (head-of-line admission).
    expect(s.get(2)).toBe('decode A, decode B');
    expect(s.get(3)).toBe('decode A, decode B');
    // Stage 3 needs 2 more blocks with 1 free: B (admitted after A) is evicted and rejoins the
    // back of the queue; A finishes; C is admitted; B is not re-admitted in the same iteration.
    expect(s.get(4)).toBe('evict B, decode A, prefill C4');
    expect(s.get(5)).toBe('decode C, prefill B4');
    expect(audit.finishedCount).toEqual([1, 1, 1]);
    expect(Array.from(out.records.evictions)).toEqual([0, 1, 0]);
    expect(audit.maxUsedBlocks).toBe(13);
  });
});

describe('drain', () => {
  it('completes every request when arrivals stop below the thresholds', () => {
    const rows: [number, number, number][] = [];
    for (let i = 0; i < 12; i++) rows.push([i * 0.37, 3 + (i % 5), 1 + ((i * 7) % 30)]);
    for (const tokenModel of ['paper', 'vllm'] as const) {
      const { audit, out } = runNestedWait(
        { segments: { count: 3 }, thresholds: [50, 40, 30] },
        requestList(rows),
        { kvCapacityBlocks: 10_000, blockSize: 1, tokenModel },
      );
      expect(audit.finishedCount.every((c) => c === 1)).toBe(true);
      // Nothing met n_1 = 50: nothing ran before the last arrival.
      const last = rows[rows.length - 1][0];
      for (let i = 0; i < rows.length; i++)
        expect(out.records.firstScheduled[i]).toBeGreaterThanOrEqual(last);
    }
  });
});

describe('KV capacity at the computed bound never overflows (synthetic instance of arXiv 2504.11320v2 §6.2)', () => {
  it('20 seeds, 3,000 requests, rates 60-70 % of the fluid limit: zero evictions', () => {
    const d0 = 0.0113;
    const d1 = 2.68e-7;
    const shape = [20, 40, 80, 160].map((output, j) => ({ prompt: 10, output, rate: [20, 40, 80, 160][j] }));
    const limit = fluidEquilibrium(shape, d0, d1, 'paper').maxStableRateRps;
    let peakShare = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const rate = [0.6, 0.65, 0.7][seed % 3] * limit;
      const types = shape.map((t) => ({ ...t, rate: (t.rate * rate) / 300 }));
      const g = generateTypedMix(
        types,
        3000,
        createUniform(seed, RandomStream.arrivals),
        createUniform(seed, RandomStream.types),
      );
      const list = { arrival: g.arrival, promptTokens: g.promptTokens, outputTokens: g.outputTokens };
      const policy = { segments: { boundaries: [20, 40, 80, 160] }, batchCap: 2000 };
      const ctx = { blockSize: 1, d0, d1, rateRps: rate, tokenModel: 'paper' as const };
      const bound = nestedWaitFor(policy, list, { ...ctx, kvCapacityBlocks: 1 }).memory.totalTokens;
      const capacity = Math.ceil(bound);
      const inner = nestedWaitFor(policy, list, { ...ctx, kvCapacityBlocks: capacity });
      // Not audited: the auditing proxy would record millions of decisions.
      const out = simulate(
        list,
        {
          kvCapacityBlocks: capacity,
          blockSize: 1,
          iterationTime: new LinearIterationTimeModel(d0, d1),
          tokenModel: 'paper',
        },
        inner,
      );
      expect(inner.plan.thresholds[0]).toBe(17);
      expect(out.warnings).toEqual([]); // the thresholds meet eq. nested_wait_thresholds
      expect(out.records.evictions.reduce((a, b) => a + b, 0)).toBe(0);
      expect(out.records.finish.every((t) => Number.isFinite(t))).toBe(true);
      expect(Array.from(out.records.generatedTokens)).toEqual(Array.from(list.outputTokens));
      expect(out.totals.kvPeakBlocks).toBeLessThanOrEqual(capacity);
      peakShare = Math.max(peakShare, out.totals.kvPeakBlocks / capacity);
    }
    // The bound is not vacuous: runs come close to it.
    expect(peakShare).toBeGreaterThan(0.9);
  });

  it('warns when the capacity is below the bound or the thresholds break the condition', () => {
    const list = requestList([
      [0, 10, 20],
      [0.1, 10, 160],
    ]);
    const { out } = runNestedWait({ segments: { count: 4 }, thresholds: [1, 3, 1, 1] }, list, {
      kvCapacityBlocks: 200,
      blockSize: 1,
      rateRps: 100,
      d0: 0.05,
      d1: 1e-6,
    });
    expect(
      out.warnings.some((w) => w.startsWith('nested-wait: KV capacity 200 tokens is below the memory bound')),
    ).toBe(true);
    expect(out.warnings.some((w) => /is not below n_1 \/ sum lambda/.test(w))).toBe(true);
    expect(out.warnings.some((w) => /n_\{k\+1\}\/n_k > p_k fails for k = 2/.test(w))).toBe(true);
  });
});
