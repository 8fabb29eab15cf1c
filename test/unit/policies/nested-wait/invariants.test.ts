import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blocksFor } from '../../../../runner/engine/kv-blocks.js';
import type { TokenModel } from '../../../../runner/engine/token-model.js';
import { segmentBoundaries } from '../../../../runner/fluid/nested-wait-segments.js';
import { computeRunMetrics } from '../../../../runner/metrics/run-metrics.js';
import { requestList } from '../../../helpers/request-lists.js';
import { runNestedWait } from './helpers.js';
import { expectEngineInvariants } from '../../../helpers/engine-invariants.js';

const workloadArb = fc.array(
  fc.tuple(
    fc.oneof(fc.constant(0), fc.double({ min: 0, max: 2, noNaN: true })),
    fc.integer({ min: 1, max: 200 }),
    fc.integer({ min: 1, max: 60 }),
  ),
  { minLength: 1, maxLength: 40 },
);

/**
 * For `code`: more requests, so that segments fill their budgets before the last arrival (and
 * start on a full budget rather than on their entry threshold).
 */
const codeWorkloadArb = fc.array(
  fc.tuple(
    fc.oneof(fc.constant(0), fc.double({ min: 0, max: 2, noNaN: true })),
    fc.integer({ min: 1, max: 200 }),
    fc.integer({ min: 1, max: 60 }),
  ),
  { minLength: 1, maxLength: 80, size: 'medium' },
);

/** Segments: a count, or boundaries = a random strictly increasing set ending at or above the largest output. */
const segmentsArb = fc.oneof(
  fc.record({ count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({
    cuts: fc.uniqueArray(fc.integer({ min: 1, max: 59 }), { maxLength: 6 }),
    beyond: fc.integer({ min: 0, max: 5 }),
  }),
);

/** Proportional thresholds scaled to a batch cap, or an explicit list (and, for `code`, a cap for the budgets). */
interface ThresholdsChoice {
  batchCap?: number;
  explicit?: number[];
}

const explicitArb = fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 8, maxLength: 8 });

const thresholdsArb: fc.Arbitrary<ThresholdsChoice> = fc.oneof(
  fc.record({ batchCap: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ explicit: explicitArb }),
);

/** For `code`: the batch cap also sets the segment budgets, so it varies with explicit thresholds too. */
const codeThresholdsArb: fc.Arbitrary<ThresholdsChoice> = fc.oneof(
  fc.record({ batchCap: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ explicit: explicitArb, batchCap: fc.integer({ min: 1, max: 16 }) }),
);

/**
 * Runs the property on random workloads, segments, thresholds, block sizes, capacities and token
 * models under one variant, every iteration audited by ProtocolAudit (the variant's rule) and
 * AuditingScheduler (engine accounting).
 * @returns how many runs evicted, paused a segment, started a segment on a full budget or ran an
 *   entry stage below n_k (both `code` only), and the iterations checked
 */
function checkInvariants(
  variant: 'paper' | 'code',
  workloads: typeof workloadArb,
  thresholdsChoices: fc.Arbitrary<ThresholdsChoice>,
  seed: number,
): {
  evictingRuns: number;
  pausingRuns: number;
  budgetRuns: number;
  cappedRuns: number;
  checkedIterations: number;
} {
  let evictingRuns = 0;
  let pausingRuns = 0;
  let budgetRuns = 0;
  let cappedRuns = 0;
  let checkedIterations = 0;
  fc.assert(
    fc.property(
      workloads,
      segmentsArb,
      thresholdsChoices,
      fc.constantFrom(1, 4, 16),
      fc.double({ min: 1, max: 4, noNaN: true }),
      fc.constantFrom<TokenModel>('vllm', 'paper'),
      (rows, seg, thr, blockSize, slack, tokenModel) => {
        let t = 0;
        const list = requestList(rows.map(([gap, p, o]) => [(t += gap), p, o]));
        const n = rows.length;
        const maxOut = Math.max(...rows.map((r) => r[2]));
        const segments =
          'count' in seg
            ? { count: seg.count }
            : {
                boundaries: [
                  ...seg.cuts.filter((c) => c < maxOut).sort((a, b) => a - b),
                  maxOut + seg.beyond,
                ],
              };
        const m = segmentBoundaries(segments, maxOut).length;
        const policy = {
          segments,
          variant,
          ...(thr.batchCap !== undefined ? { batchCap: thr.batchCap } : {}),
          ...(thr.explicit ? { thresholds: thr.explicit.slice(0, m) } : {}),
        };
        // Capacity from just enough for the largest request to a few times it: evictions happen.
        const peak = Math.max(...rows.map(([, p, o]) => blocksFor(p + o, blockSize)));
        const capacity = Math.ceil(peak * slack);
        const { audit, out, protocol } = runNestedWait(policy, list, {
          kvCapacityBlocks: capacity,
          blockSize,
          tokenModel,
          d0: 0.01,
          d1: 1e-4,
        });
        checkedIterations += protocol.iterations;
        if (protocol.pausedIterations > 0) pausingRuns++;
        if (protocol.budgetStarts > 0) budgetRuns++;
        if (protocol.budgetCaps > 0) cappedRuns++;
        const evictions = expectEngineInvariants(out, audit, { capacity, tokenModel });
        // Whole-prompt prefills only: every prefill completes its target.
        expect(audit.decisions.filter((d) => d.kind === 'prefill').length).toBe(audit.prefillCompletions);
        if (evictions.length > 0) evictingRuns++;
        const metrics = computeRunMetrics(out, 0);
        expect(metrics.completed).toBe(n);
        expect(metrics.unfinished).toBe(0);
        expect(metrics.kv_peak_frac).toBeLessThanOrEqual(1);
      },
    ),
    { numRuns: 400, seed },
  );
  return { evictingRuns, pausingRuns, budgetRuns, cappedRuns, checkedIterations };
}

describe('Nested WAIT invariants on random workloads, segments and thresholds', () => {
  it('follows Algorithm 2, keeps KV within capacity, completes every request once, conserves tokens, TTFT <= E2E', () => {
    const r = checkInvariants('paper', workloadArb, thresholdsArb, 20261122);
    // The generated machines are tight enough that the LIFO eviction path is exercised, and
    // segments pause (later segments wait for their thresholds) in many runs.
    expect(r.evictingRuns).toBeGreaterThan(20);
    expect(r.pausingRuns).toBeGreaterThan(10);
    expect(r.checkedIterations).toBeGreaterThan(10_000);
    expect(r.budgetRuns).toBe(0);
  });

  it('variant code: follows the authors rule, keeps KV within capacity, completes every request once, conserves tokens, TTFT <= E2E', () => {
    const r = checkInvariants('code', codeWorkloadArb, codeThresholdsArb, 20261124);
    expect(r.evictingRuns).toBeGreaterThan(20);
    expect(r.pausingRuns).toBeGreaterThan(10);
    expect(r.checkedIterations).toBeGreaterThan(10_000);
    // Segments start on a full budget (fewer than n_k prompts at their entry) in many runs.
    expect(r.budgetRuns).toBeGreaterThan(20);
    // ... and run with entry limits below n_k (budget nearly full) in most runs.
    expect(r.cappedRuns).toBeGreaterThan(200);
  });
});
