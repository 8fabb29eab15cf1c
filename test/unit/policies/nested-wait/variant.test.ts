import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blocksFor } from '../../../../runner/engine/kv-blocks.js';
import { segmentBoundaries } from '../../../../runner/fluid/nested-wait-segments.js';
import { computeRunMetrics } from '../../../../runner/metrics/run-metrics.js';
import { NestedWaitSpecSchema } from '../../../../runner/schedulers/nested-wait.js';
import { createUniform, RandomStream } from '../../../../runner/workloads/random-streams.js';
import { generateTypedMix } from '../../../../runner/workloads/typed-mix.js';
import { requestList } from '../../../helpers/request-lists.js';
import { runNestedWait, steps } from './helpers.js';

describe('variant: paper (Algorithm 2 as printed) or code (the authors simulator, docs/paper-model.md)', () => {
  it('defaults to paper, accepts code, refuses anything else', () => {
    expect(NestedWaitSpecSchema.parse({ policy: 'nested-wait' }).variant).toBe('paper');
    expect(NestedWaitSpecSchema.parse({ policy: 'nested-wait', variant: 'code' }).variant).toBe('code');
    const bad = NestedWaitSpecSchema.safeParse({ policy: 'nested-wait', variant: 'vidur' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0].path).toEqual(['variant']);
  });
});

describe('variant code, hand-worked (paper tokens, 1 s iterations, ample memory)', () => {
  // One segment, boundaries [3]: stages 0..3 (4 stages), entry stage 0. n_1 = 1; batchCap 2 gives
  // the segment budget B_1 = min(n_1 x 4, max(n_1, floor(2 x 4 T_1 / 4 T_1))) = 2 prompts past
  // stage 0. A and B (output 3) arrive at t = 0 and 2, C (output 1) at 30, D (output 1) at 40: the
  // last arrival, after which both variants drain.
  const rows: [number, number, number][] = [
    [0, 5, 3],
    [2, 5, 3],
    [30, 5, 1],
    [40, 5, 1],
  ];
  const policy = { segments: { boundaries: [3] }, thresholds: [1], batchCap: 2 };
  const opts = { kvCapacityBlocks: 1000, blockSize: 1 };

  it('light load: paper waits for an arrival at every step, code keeps a full segment running', () => {
    const paper = runNestedWait({ ...policy, variant: 'paper' }, requestList(rows), opts);
    const code = runNestedWait({ ...policy, variant: 'code' }, requestList(rows), opts);
    expect(code.inner.plan.budgets).toEqual([2]);

    // Paper: segment 1 runs only while stage 0 holds n_1 = 1 prompt, i.e. once per arrival.
    const p = steps(paper.audit);
    expect([...p.keys()]).toEqual([1, 2, 3, 4, 5]);
    expect(p.get(1)).toBe('prefill A5'); // t = 0; then nothing until B arrives at t = 2
    expect(p.get(2)).toBe('decode A, prefill B5'); // t = 2; then nothing until t = 30
    expect(p.get(3)).toBe('decode A, decode B, prefill C5'); // t = 30; then nothing until t = 40
    expect(p.get(4)).toBe('decode A, decode B, decode C, prefill D5'); // t = 40: drain
    expect(p.get(5)).toBe('decode B, decode D');
    expect(Array.from(paper.out.records.finish)).toEqual([41, 42, 41, 42]);

    // Code: segment 1 starts when stage 0 holds min(n_1, B_1 - I_1) prompts, I_1 = prompts past
    // stage 0. After A (t = 0) I_1 = 1 < B_1, so it still waits for B; once A and B are both
    // inside (I_1 = 2 = B_1) the limit is 0 and it runs without arrivals, admitting nobody.
    const c = steps(code.audit);
    expect([...c.keys()]).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(c.get(1)).toBe('prefill A5'); // t = 0
    expect(c.get(2)).toBe('decode A, prefill B5'); // t = 2: B's arrival; I_1 becomes 2
    expect(c.get(3)).toBe('decode A, decode B'); // t = 3: no arrival, the budget is full
    expect(c.get(4)).toBe('decode A, decode B'); // t = 4: A produces its last token
    // I_1 = 1 again: B (two tokens produced) waits for the next arrival, as under paper.
    expect(c.get(5)).toBe('decode B, prefill C5'); // t = 30
    expect(c.get(6)).toBe('decode C, prefill D5'); // t = 40: drain
    expect(c.get(7)).toBe('decode D');
    expect(Array.from(code.out.records.finish)).toEqual([5, 31, 41, 42]);
    expect(code.audit.finishedCount).toEqual([1, 1, 1, 1]);
    expect(code.protocol.budgetStarts).toBe(2);
  });

  it('the entry stage takes min(n_1, B_1 - I_1) prompts', () => {
    // n_1 = 2, batchCap 3: B_1 = min(8, max(2, 3)) = 3. A, B at t = 0, C, D at t = 1, E at t = 50.
    const rows2: [number, number, number][] = [
      [0, 5, 3],
      [0, 5, 3],
      [1, 5, 3],
      [1, 5, 3],
      [50, 5, 1],
    ];
    const p2 = { segments: { boundaries: [3] }, thresholds: [2], batchCap: 3 };
    const paper = steps(runNestedWait({ ...p2, variant: 'paper' }, requestList(rows2), opts).audit);
    const run = runNestedWait({ ...p2, variant: 'code' }, requestList(rows2), opts);
    const code = steps(run.audit);
    expect(run.inner.plan.budgets).toEqual([3]);
    expect(paper.get(1)).toBe('prefill A5, prefill B5');
    expect(code.get(1)).toBe('prefill A5, prefill B5');
    // t = 1: paper admits n_1 = 2; code only B_1 - I_1 = 1 (and starts with 1 < n_1 would do).
    expect(paper.get(2)).toBe('decode A, decode B, prefill C5, prefill D5');
    expect(code.get(2)).toBe('decode A, decode B, prefill C5');
    // t = 2: I_1 = 3 = B_1: the segment runs on with nobody admitted although D waits.
    expect(code.get(3)).toBe('decode A, decode B, decode C');
    expect(run.audit.finishedCount).toEqual([1, 1, 1, 1, 1]);
  });
});

describe('light load: code has a much lower mean E2E than paper', () => {
  it('Poisson 0.5 req/s, outputs 1..60, two segments, ample memory: 5 seeds', () => {
    // Segments [30, 60]: 31 and 30 stages (paper tokens), n = (1, 1); batchCap 8 gives the
    // budgets (5, 2). Under paper a prompt moves one stage per arrival, so it spends about
    // stages / rate in a segment; under code a segment fills up to B_k and then flows, so about
    // B_k / rate.
    const types = Array.from({ length: 60 }, (_, j) => ({ prompt: 20, output: j + 1, rate: 0.5 / 60 }));
    for (let seed = 1; seed <= 5; seed++) {
      const g = generateTypedMix(
        types,
        300,
        createUniform(seed, RandomStream.arrivals),
        createUniform(seed, RandomStream.types),
      );
      const list = { arrival: g.arrival, promptTokens: g.promptTokens, outputTokens: g.outputTokens };
      const mean = (variant: string) => {
        const { out, inner, audit } = runNestedWait({ segments: { count: 2 }, batchCap: 8, variant }, list, {
          kvCapacityBlocks: 100_000,
          blockSize: 1,
          d0: 0.02,
          d1: 0,
          rateRps: 0.5,
        });
        expect(inner.plan.thresholds).toEqual([1, 1]);
        expect(inner.plan.budgets).toEqual([5, 2]);
        expect(audit.finishedCount.every((c) => c === 1)).toBe(true);
        expect(out.records.evictions.every((e) => e === 0)).toBe(true);
        const e2e = computeRunMetrics(out, 0).e2e_mean_s;
        if (e2e === null) throw new Error('no completed request');
        return e2e;
      };
      const paper = mean('paper');
      const code = mean('code');
      expect(paper).toBeGreaterThan(40);
      expect(code).toBeLessThan(paper / 3);
    }
  });
});

describe('budgets at n_k x stages_k: code makes the decisions of paper', () => {
  it('random workloads, segments and thresholds (paper tokens, tight memory: evictions too)', () => {
    let evictions = 0;
    let paused = 0;
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.oneof(fc.constant(0), fc.double({ min: 0, max: 2, noNaN: true })),
            fc.integer({ min: 1, max: 100 }),
            fc.integer({ min: 1, max: 40 }),
          ),
          { minLength: 1, maxLength: 30 },
        ),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 5, maxLength: 5 }),
        fc.double({ min: 1, max: 3, noNaN: true }),
        (rows, count, thresholds, slack) => {
          let t = 0;
          const list = requestList(rows.map(([gap, p, o]) => [(t += gap), p, o]));
          const capacity = Math.ceil(Math.max(...rows.map(([, p, o]) => blocksFor(p + o, 1))) * slack);
          const m = segmentBoundaries({ count }, Math.max(...rows.map((r) => r[2]))).length;
          const run = (variant: string) =>
            runNestedWait(
              { segments: { count }, thresholds: thresholds.slice(0, m), batchCap: 1_000_000, variant },
              list,
              { kvCapacityBlocks: capacity, blockSize: 1, d0: 0.01, d1: 1e-4 },
            );
          const paper = run('paper');
          const code = run('code');
          const { budgets, thresholds: n, stages, requestCounts } = code.inner.plan;
          // Every segment some request reaches has B_k = n_k x stages_k.
          let reached = requestCounts.reduce((a, b) => a + b, 0);
          budgets.forEach((b, k) => {
            if (reached > 0) expect(b).toBe(n[k] * stages.count[k]);
            reached -= requestCounts[k];
          });
          expect(code.audit.decisions).toEqual(paper.audit.decisions);
          evictions += code.audit.decisions.filter((d) => d.kind === 'evict').length;
          paused += code.protocol.pausedIterations;
        },
      ),
      { numRuns: 150, seed: 20261123 },
    );
    // The eviction path and paused segments are exercised.
    expect(evictions).toBeGreaterThan(50);
    expect(paused).toBeGreaterThan(5);
  });
});
