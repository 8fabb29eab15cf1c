import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IterationBatch, IterationExecutor } from '../../../runner/engine/iteration-executor.js';
import { simulate, simulateOn } from '../../../runner/engine/replica-engine.js';
import { blocksFor } from '../../../runner/engine/kv-blocks.js';
import type { TokenModel } from '../../../runner/engine/token-model.js';
import { LinearIterationTimeModel } from '../../../runner/latency/linear-model.js';
import { PolicySpecSchema } from '../../../runner/schedulers/policy-spec.js';
import type { RequestList } from '../../../runner/workloads/request-list.js';
import { requestList } from '../../helpers/request-lists.js';
import { schedulerFor } from '../../helpers/scheduler-for.js';

/**
 * What a GPU worker does with the engine's batches, kept as plain bookkeeping: the tokens each
 * request has cached. It checks the contract of IterationExecutor that WorkerIterationExecutor
 * relies on (a chunk starts where the request's cache ends; released requests held KV and are
 * freed before the batch; a decode follows a complete prefill) and times each batch with the
 * same linear model simulate uses, so both runs must agree exactly.
 */
class KvKeepingExecutor implements IterationExecutor {
  readonly cached: Int32Array;
  readonly model = new LinearIterationTimeModel(0.01, 1e-4);
  batches = 0;
  frees = 0;
  idleJumps: number[] = [];

  constructor(private readonly requests: RequestList) {
    this.cached = new Int32Array(requests.arrival.length);
  }

  execute(batch: IterationBatch): Promise<number> {
    this.batches++;
    expect(batch.iteration).toBe(this.batches);
    for (let k = 0; k < batch.numReleased; k++) {
      const id = batch.released[k];
      expect(this.cached[id], `request ${id} released without KV`).toBeGreaterThan(0);
      this.cached[id] = 0;
      this.frees++;
    }
    const { shape } = batch;
    for (let k = 0; k < shape.numPrefills; k++) {
      const id = batch.prefillIds[k];
      expect(shape.prefillKvBefore[k], `prefill of ${id}`).toBe(this.cached[id]);
      this.cached[id] += shape.prefillTokens[k];
    }
    let decodeKv = 0;
    for (let k = 0; k < shape.numDecodes; k++) {
      const id = batch.decodeIds[k];
      expect(this.cached[id], `decode of ${id}`).toBeGreaterThanOrEqual(this.requests.promptTokens[id]);
      this.cached[id] += 1;
      decodeKv += this.cached[id];
    }
    expect(decodeKv).toBe(shape.decodeKvTokens);
    return Promise.resolve(this.model.iterationTime(shape));
  }

  waitUntil(t: number): Promise<void> {
    this.idleJumps.push(t);
    return Promise.resolve();
  }
}

const rowsArb = fc.array(
  fc.tuple(
    fc.oneof(fc.constant(0), fc.double({ min: 0, max: 3, noNaN: true })),
    fc.integer({ min: 1, max: 120 }),
    fc.integer({ min: 1, max: 40 }),
  ),
  { minLength: 1, maxLength: 30 },
);

const policyArb = fc.oneof(
  fc.record({ policy: fc.constant('vllm'), maxNumSeqs: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ policy: fc.constant('sarathi'), chunkSize: fc.integer({ min: 8, max: 128 }) }),
  fc.record({ policy: fc.constant('fcfs'), maxNumSeqs: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ policy: fc.constant('vllm-v1'), maxNumBatchedTokens: fc.integer({ min: 16, max: 512 }) }),
  fc.record({ policy: fc.constant('mc-sf') }),
  fc.record({ policy: fc.constant('nested-wait'), segments: fc.constant({ count: 3 }) }),
);

describe('simulateOn: the engine with an external executor', () => {
  it('gives exactly the records of simulate, with a KV-consistent stream of batches and frees', async () => {
    let evicting = 0;
    await fc.assert(
      fc.asyncProperty(
        rowsArb,
        policyArb,
        fc.constantFrom(1, 16),
        fc.constantFrom<TokenModel>('vllm', 'paper'),
        async (rows, raw, blockSize, tokenModel) => {
          let t = 0;
          const list = requestList(rows.map(([gap, p, o]) => [(t += gap), p, o]));
          const spec = PolicySpecSchema.parse(raw);
          const peak = Math.max(...rows.map(([, p, o]) => blocksFor(p + o, blockSize)));
          const capacity = Math.ceil((peak + 2) * 1.3);
          const config = { kvCapacityBlocks: capacity, blockSize, tokenModel };
          const executor = new KvKeepingExecutor(list);
          const model = executor.model;
          const expected = simulate(
            list,
            { ...config, iterationTime: model },
            schedulerFor(spec, list, config),
          );
          const actual = await simulateOn(list, config, schedulerFor(spec, list, config), executor);
          expect(actual).toEqual(expected);
          expect(executor.batches).toBe(expected.totals.iterations);
          // Everything freed during the run was released once per finish or eviction, except
          // the requests that finished in the very last batch (the run ends before another batch).
          const evictions = expected.records.evictions.reduce((a, b) => a + b, 0);
          if (evictions > 0) evicting++;
          const stillCached = executor.cached.reduce((a, c) => a + (c > 0 ? 1 : 0), 0);
          expect(executor.frees + stillCached).toBe(list.arrival.length + evictions);
        },
      ),
      { numRuns: 200, seed: 6 },
    );
    expect(evicting).toBeGreaterThan(5);
  });

  it('tells the executor about every idle jump of the clock, at the next arrival', async () => {
    const list = requestList([
      [0, 10, 2],
      [5, 10, 2],
      [9, 10, 2],
    ]);
    const config = { kvCapacityBlocks: 100, blockSize: 16 };
    const executor = new KvKeepingExecutor(list);
    await simulateOn(list, config, schedulerFor({ policy: 'vllm' }, list, config), executor);
    expect(executor.idleJumps).toEqual([5, 9]);
  });

  it('abandons the run with the error of a failing executor', async () => {
    const list = requestList([[0, 10, 5]]);
    const config = { kvCapacityBlocks: 100, blockSize: 16 };
    let calls = 0;
    const failing: IterationExecutor = {
      execute: () => (++calls === 3 ? Promise.reject(new Error('worker died')) : Promise.resolve(0.01)),
    };
    await expect(
      simulateOn(list, config, schedulerFor({ policy: 'vllm' }, list, config), failing),
    ).rejects.toThrow('worker died');
    expect(calls).toBe(3);
  });

  it('refuses a non-positive iteration time from the executor', async () => {
    const list = requestList([[0, 10, 5]]);
    const config = { kvCapacityBlocks: 100, blockSize: 16 };
    const zero: IterationExecutor = { execute: () => Promise.resolve(0) };
    await expect(
      simulateOn(list, config, schedulerFor({ policy: 'vllm' }, list, config), zero),
    ).rejects.toThrow(/iteration 1 took 0 s/);
  });
});
