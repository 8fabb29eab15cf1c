import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simulate } from '../../../runner/engine/replica-engine.js';
import { blocksFor } from '../../../runner/engine/kv-blocks.js';
import type { TokenModel } from '../../../runner/engine/token-model.js';
import { LinearIterationTimeModel } from '../../../runner/latency/linear-model.js';
import { computeRunMetrics } from '../../../runner/metrics/run-metrics.js';
import { PolicySpecSchema } from '../../../runner/schedulers/policy-spec.js';
import { schedulerFor } from '../../helpers/scheduler-for.js';
import { AuditingScheduler } from '../../helpers/auditing-scheduler.js';
import { requestList } from '../../helpers/request-lists.js';
import { expectEngineInvariants } from '../../helpers/engine-invariants.js';

const workloadArb = fc.array(
  fc.tuple(
    fc.oneof(fc.constant(0), fc.double({ min: 0, max: 2, noNaN: true })),
    fc.integer({ min: 1, max: 200 }),
    fc.integer({ min: 1, max: 60 }),
  ),
  { minLength: 1, maxLength: 40 },
);

const policyArb = fc.oneof(
  fc.record({
    policy: fc.constant('vllm'),
    maxNumSeqs: fc.integer({ min: 1, max: 8 }),
    maxNumBatchedTokens: fc.integer({ min: 32, max: 4096 }),
    watermark: fc.constantFrom(0, 0.01, 0.05),
  }),
  fc.record({
    policy: fc.constant('sarathi'),
    chunkSize: fc.integer({ min: 8, max: 512 }),
    maxNumSeqs: fc.integer({ min: 1, max: 8 }),
    watermark: fc.constantFrom(0, 0.01, 0.05),
  }),
  fc.record({
    policy: fc.constant('vllm-v1'),
    maxNumBatchedTokens: fc.integer({ min: 16, max: 2048 }),
    maxNumSeqs: fc.integer({ min: 1, max: 8 }),
    longPrefillTokenThreshold: fc.constantFrom(0, 16, 100),
  }),
  fc.record({
    policy: fc.constant('mc-sf'),
    predictor: fc.constantFrom('oracle', 'noisy'),
    epsilon: fc.constantFrom(0, 0.2, 0.5),
    maxNumSeqs: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({
    policy: fc.constant('wait'),
    thresholds: fc.constantFrom('paper'),
    batchCap: fc.integer({ min: 1, max: 64 }),
    bins: fc.integer({ min: 1, max: 4 }),
  }),
  fc.record({
    policy: fc.constant('nested-wait'),
    segments: fc.constantFrom({ count: 1 }, { count: 3 }, { count: 10 }),
    batchCap: fc.integer({ min: 1, max: 64 }),
  }),
  fc.record({
    policy: fc.constant('fcfs'),
    maxNumSeqs: fc.integer({ min: 1, max: 8 }),
    evictedTo: fc.constantFrom('back', 'front'),
  }),
);

describe('engine invariants on random workloads, every policy', () => {
  it('keeps KV within capacity, completes every request once, conserves tokens, TTFT <= E2E', () => {
    const evictingRuns = new Map<string, number>();
    fc.assert(
      fc.property(
        workloadArb,
        policyArb,
        fc.constantFrom(1, 4, 16),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.constantFrom<TokenModel>('vllm', 'paper'),
        (rows, policyRaw, blockSize, slack, tokenModel) => {
          let t = 0;
          const list = requestList(rows.map(([gap, p, o]) => [(t += gap), p, o]));
          const n = rows.length;
          const spec = PolicySpecSchema.parse(policyRaw);
          const peak = Math.max(...rows.map(([, p, o]) => blocksFor(p + o, blockSize)));
          // Capacity from just enough for the largest request (plus watermark) to a few times it: evictions happen.
          const base = Math.ceil((peak + 1) / (1 - ('watermark' in spec ? spec.watermark : 0)));
          const capacity = Math.ceil(base * slack) + 1;
          const audit = new AuditingScheduler(
            schedulerFor(spec, list, { kvCapacityBlocks: capacity, blockSize, tokenModel }),
            n,
          );
          const out = simulate(
            list,
            {
              kvCapacityBlocks: capacity,
              blockSize,
              iterationTime: new LinearIterationTimeModel(0.01, 1e-4),
              tokenModel,
            },
            audit,
          );
          const evictions = expectEngineInvariants(out, audit, { capacity, tokenModel });
          if (evictions.length > 0) evictingRuns.set(spec.policy, (evictingRuns.get(spec.policy) ?? 0) + 1);
          const m = computeRunMetrics(out, 0);
          expect(m.completed).toBe(n);
          expect(m.unfinished).toBe(0);
          expect(m.kv_peak_frac).toBeLessThanOrEqual(1);
          expect(m.kv_peak_frac).toBeCloseTo(audit.maxUsedBlocks / capacity, 12);
        },
      ),
      { numRuns: 500, seed: 20261121 },
    );
    // The generated machines are tight enough that every policy's eviction path is exercised.
    for (const policy of ['vllm', 'sarathi', 'fcfs', 'vllm-v1'])
      expect(evictingRuns.get(policy) ?? 0).toBeGreaterThan(5);
  });
});

describe('engine invariants with prefix caching on random shared-prefix workloads, every policy', () => {
  it('keeps KV within capacity (shared blocks once), conserves tokens with cached ones, computes >= 1 token per admission', () => {
    const cachingRuns = new Map<string, number>();
    fc.assert(
      fc.property(
        workloadArb,
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.double({ min: 0, max: 1, noNaN: true })), {
          minLength: 40,
          maxLength: 40,
        }),
        policyArb,
        fc.constantFrom(1, 4, 16),
        fc.constantFrom(1, 2),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.constantFrom<TokenModel>('vllm', 'paper'),
        (rows, families, policyRaw, blockSize, blocksPerId, slack, tokenModel) => {
          let t = 0;
          const plain = requestList(rows.map(([gap, p, o]) => [(t += gap), p, o]));
          const n = rows.length;
          // Requests of one family share ids 0, 1, 2, ... for a random leading share of their prompt.
          const blockTokens = blockSize * blocksPerId;
          const offsets = new Int32Array(n + 1);
          const ids: number[] = [];
          for (let i = 0; i < n; i++) {
            const [family, share] = families[i];
            const count = Math.floor(Math.ceil(rows[i][1] / blockTokens) * share);
            for (let k = 0; k < count; k++) ids.push(family * 1000 + k);
            offsets[i + 1] = ids.length;
          }
          const list = { ...plain, prefixBlocks: { blockTokens, offsets, ids: Float64Array.from(ids) } };
          const spec = PolicySpecSchema.parse(policyRaw);
          const peak = Math.max(...rows.map(([, p, o]) => blocksFor(p + o, blockSize)));
          const base = Math.ceil((peak + 1) / (1 - ('watermark' in spec ? spec.watermark : 0)));
          const capacity = Math.ceil(base * slack) + 1;
          const audit = new AuditingScheduler(
            schedulerFor(spec, list, { kvCapacityBlocks: capacity, blockSize, tokenModel }),
            n,
            { sharedBlocks: true },
          );
          const out = simulate(
            list,
            {
              kvCapacityBlocks: capacity,
              blockSize,
              iterationTime: new LinearIterationTimeModel(0.01, 1e-4),
              tokenModel,
              prefixCaching: true,
            },
            audit,
          );
          const { cachedTokens, admissions } = out.prefixCache!;
          expectEngineInvariants(out, audit, { capacity, tokenModel });
          let cached = 0;
          for (let i = 0; i < n; i++) {
            expect(cachedTokens[i] % blockSize).toBe(0);
            // An admission computes at least one token of its prompt.
            expect(cachedTokens[i]).toBeLessThanOrEqual(rows[i][1] - 1);
            expect(admissions[i]).toBe(1 + out.records.evictions[i]);
            cached += cachedTokens[i] + out.prefixCache!.readmissionCachedTokens[i];
          }
          if (cached > 0) cachingRuns.set(spec.policy, (cachingRuns.get(spec.policy) ?? 0) + 1);
          const m = computeRunMetrics(out, 0);
          expect(m.completed).toBe(n);
          expect(m.kv_peak_frac).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 300, seed: 20261208 },
    );
    for (const policy of ['vllm', 'sarathi', 'fcfs', 'vllm-v1', 'mc-sf', 'wait', 'nested-wait'])
      expect(cachingRuns.get(policy) ?? 0).toBeGreaterThan(3);
  });
});
