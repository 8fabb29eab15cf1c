import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blocksFor } from '../../../../runner/engine/kv-blocks.js';
import type { TokenModel } from '../../../../runner/engine/token-model.js';
import { requestList } from '../../../helpers/request-lists.js';
import { expectRunInvariants, workloadArb } from './invariants.js';
import { mcSfFor, runScheduler } from './run-mc-sf.js';

/** A fixed tight workload: 150 requests, prompts 1..60, outputs 1..80, arrivals every 0.02 s. */
function fixedWorkload() {
  const rows: [number, number, number][] = [];
  let x = 12345;
  const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 150; i++)
    rows.push([i * 0.02, 1 + Math.floor(next() * 60), 1 + Math.floor(next() * 80)]);
  return requestList(rows);
}

describe('mc-sf with noisy predictions', () => {
  const list = fixedWorkload();
  const o = { kvCapacityBlocks: 40, blockSize: 4, d0: 0.01, d1: 1e-4 };
  const noisy = { predictor: 'noisy', epsilon: 0.5 };

  it('gives identical runs for the same seed and different runs for different seeds', () => {
    const a = runScheduler(list, mcSfFor(list, noisy, { ...o, seed: 7 }), o);
    const b = runScheduler(list, mcSfFor(list, noisy, { ...o, seed: 7 }), o);
    const c = runScheduler(list, mcSfFor(list, noisy, { ...o, seed: 8 }), o);
    expect(b.audit.decisions).toEqual(a.audit.decisions);
    expect([...b.out.records.finish]).toEqual([...a.out.records.finish]);
    expect(c.audit.decisions).not.toEqual(a.audit.decisions);
    expect([...c.out.records.finish]).not.toEqual([...a.out.records.finish]);
    expectRunInvariants(a, list, o.kvCapacityBlocks, 'vllm');
    expectRunInvariants(c, list, o.kvCapacityBlocks, 'vllm');
  });

  it('draws the predictions once per request from the seed: uniform factor in [1 - ε, 1 + ε], rounded, >= 1', () => {
    const p7 = mcSfFor(list, noisy, { ...o, seed: 7 }).predictedOutput;
    expect([...mcSfFor(list, noisy, { ...o, seed: 7 }).predictedOutput]).toEqual([...p7]);
    expect([...mcSfFor(list, noisy, { ...o, seed: 8 }).predictedOutput]).not.toEqual([...p7]);
    let off = 0;
    for (let i = 0; i < p7.length; i++) {
      const out = list.outputTokens[i];
      expect(p7[i]).toBeGreaterThanOrEqual(Math.max(1, Math.round(out * 0.5) - 1));
      expect(p7[i]).toBeLessThanOrEqual(Math.round(out * 1.5) + 1);
      if (p7[i] !== out) off++;
    }
    expect(off).toBeGreaterThan(100);
  });

  it('with epsilon 0 predicts the true lengths and runs exactly like the oracle', () => {
    const exact = runScheduler(list, mcSfFor(list, { predictor: 'noisy', epsilon: 0 }, o), o);
    const oracle = runScheduler(list, mcSfFor(list, {}, o), o);
    expect(exact.audit.decisions).toEqual(oracle.audit.decisions);
  });

  it('clamps predictions to the largest output that fits the KV cache, so a lone request always starts', () => {
    // One request, prompt 10, output 5, capacity 4 blocks of 4 = 16 tokens; a 100x prediction.
    const one = requestList([[0, 10, 5]]);
    const o1 = { kvCapacityBlocks: 4, blockSize: 4 };
    expect([...mcSfFor(one, {}, o1, [500]).predictedOutput]).toEqual([7]); // 10 + 7 - 1 = 16 (vllm)
    expect([...mcSfFor(one, {}, { ...o1, tokenModel: 'paper' }, [500]).predictedOutput]).toEqual([6]);
    const run = runScheduler(one, mcSfFor(one, {}, o1, [500]), o1);
    expect([...run.out.records.finish]).toEqual([5]);
  });

  it('keeps every invariant on random workloads, both token models (evictions allowed, never preemptions)', () => {
    let evicting = 0;
    fc.assert(
      fc.property(
        workloadArb,
        fc.constantFrom(1, 4, 16),
        fc.double({ min: 1, max: 3, noNaN: true }),
        fc.constantFrom<TokenModel>('vllm', 'paper'),
        fc.constantFrom(0.2, 0.5, 0.8, 1.5),
        fc.integer({ min: 0, max: 1000 }),
        (rows, blockSize, slack, tokenModel, epsilon, seed) => {
          let t = 0;
          const list = requestList(rows.map(([gap, p, o]) => [(t += gap), p, o]));
          const peak = Math.max(...rows.map(([, p, o]) => blocksFor(p + o, blockSize)));
          const capacity = Math.ceil(peak * slack);
          const o = { kvCapacityBlocks: capacity, blockSize, tokenModel, seed, d0: 0.01, d1: 1e-4 };
          const run = runScheduler(list, mcSfFor(list, { predictor: 'noisy', epsilon }, o), o);
          expectRunInvariants(run, list, capacity, tokenModel);
          if (run.audit.decisions.some((d) => d.kind === 'evict')) evicting++;
        },
      ),
      { numRuns: 300, seed: 20250210 },
    );
    // Under-predictions exercise the LIFO eviction path.
    expect(evicting).toBeGreaterThan(10);
  });
});
