import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blocksFor } from '../../../../runner/engine/kv-blocks.js';
import type { TokenModel } from '../../../../runner/engine/token-model.js';
import { computeRunMetrics } from '../../../../runner/metrics/run-metrics.js';
import { requestList } from '../../../helpers/request-lists.js';
import { expectRunInvariants, workloadArb } from './invariants.js';
import { mcSfFor, runScheduler } from './run-mc-sf.js';

describe('mc-sf with oracle predictions', () => {
  it('never exceeds memory, never evicts or preempts; every request completes once, tokens conserved, TTFT <= E2E', () => {
    fc.assert(
      fc.property(
        workloadArb,
        fc.constantFrom(1, 4, 16),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.constantFrom<TokenModel>('vllm', 'paper'),
        fc.constantFrom(1, 3, 8, 128),
        (rows, blockSize, slack, tokenModel, maxNumSeqs) => {
          let t = 0;
          const list = requestList(rows.map(([gap, p, o]) => [(t += gap), p, o]));
          const peak = Math.max(...rows.map(([, p, o]) => blocksFor(p + o, blockSize)));
          const capacity = Math.ceil(peak * slack);
          const o = { kvCapacityBlocks: capacity, blockSize, tokenModel, d0: 0.01, d1: 1e-4 };
          const run = runScheduler(list, mcSfFor(list, { maxNumSeqs }, o), o);
          expectRunInvariants(run, list, capacity, tokenModel);
          const r = run.out.records;
          expect(r.evictions.every((e) => e === 0)).toBe(true);
          expect(r.preemptions.every((p) => p === 0)).toBe(true);
          expect(r.recomputedTokens.every((x) => x === 0)).toBe(true);
          expect(run.audit.decisions.some((d) => d.kind === 'evict')).toBe(false);
          const m = computeRunMetrics(run.out, 0);
          expect(m.completed).toBe(rows.length);
        },
      ),
      { numRuns: 300, seed: 20502071 },
    );
  });
});
