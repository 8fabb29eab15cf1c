import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blocksFor } from '../../../../runner/engine/kv-blocks.js';
import type { TokenModel } from '../../../../runner/engine/token-model.js';
import { requestList } from '../../../helpers/request-lists.js';
import { workloadArb } from './invariants.js';
import { ReferenceMcSf } from './reference-mc-sf.js';
import { mcSfFor, runScheduler } from './run-mc-sf.js';

describe('mc-sf incremental checkpoints vs the literal O(M²) future-memory check', () => {
  it('makes exactly the same decisions (oracle and noisy, both token models, several block sizes)', () => {
    fc.assert(
      fc.property(
        workloadArb,
        fc.constantFrom(1, 4, 16),
        fc.double({ min: 1, max: 3, noNaN: true }),
        fc.constantFrom<TokenModel>('vllm', 'paper'),
        fc.constantFrom(0, 0.3, 0.8, 1.5),
        fc.constantFrom(2, 5, 128),
        fc.integer({ min: 0, max: 1000 }),
        (rows, blockSize, slack, tokenModel, epsilon, maxNumSeqs, seed) => {
          let t = 0;
          const list = requestList(rows.map(([gap, p, o]) => [(t += gap), p, o]));
          const peak = Math.max(...rows.map(([, p, o]) => blocksFor(p + o, blockSize)));
          const capacity = Math.ceil(peak * slack);
          const o = { kvCapacityBlocks: capacity, blockSize, tokenModel, seed, d0: 0.01, d1: 1e-4 };
          const policy = { predictor: epsilon > 0 ? 'noisy' : 'oracle', epsilon, maxNumSeqs };
          const mcSf = mcSfFor(list, policy, o);
          const fast = runScheduler(list, mcSf, o);
          const slow = runScheduler(list, new ReferenceMcSf(mcSf.predictedOutput, maxNumSeqs), o);
          expect(fast.audit.decisions).toEqual(slow.audit.decisions);
          expect([...fast.out.records.finish]).toEqual([...slow.out.records.finish]);
        },
      ),
      { numRuns: 300, seed: 7115 },
    );
  });
});
