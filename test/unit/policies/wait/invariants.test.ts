import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blocksFor } from '../../../../runner/engine/kv-blocks.js';
import type { TokenModel } from '../../../../runner/engine/token-model.js';
import { InputError } from '../../../../runner/errors.js';
import { fluidEquilibrium } from '../../../../runner/fluid/fluid-equilibrium.js';
import type { PromptType } from '../../../../runner/fluid/prompt-type.js';
import { computeRunMetrics } from '../../../../runner/metrics/run-metrics.js';
import type { WaitScheduler } from '../../../../runner/schedulers/wait.js';
import type { RequestList } from '../../../../runner/workloads/request-list.js';
import { runAudited, sum } from './wait-harness.js';

const d0 = 0.01;
const d1 = 1e-4;

const typeArb = fc.record({
  prompt: fc.integer({ min: 1, max: 30 }),
  output: fc.integer({ min: 1, max: 20 }),
  rate: fc.double({ min: 0.5, max: 5, noNaN: true }),
});

/** 2-3 types and up to 60 requests: [gap to the previous arrival s, type index]. */
const workloadArb = fc.array(typeArb, { minLength: 2, maxLength: 3 }).chain((types) =>
  fc.record({
    types: fc.constant(types),
    rows: fc.array(
      fc.tuple(
        fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })),
        fc.integer({ min: 0, max: types.length - 1 }),
      ),
      { minLength: 1, maxLength: 60 },
    ),
    thresholds: fc.oneof(
      fc.constant('paper' as const),
      fc.constant('fluid' as const),
      fc.array(fc.integer({ min: 1, max: 6 }), { minLength: types.length, maxLength: types.length }),
    ),
    batchCap: fc.integer({ min: 1, max: 64 }),
  }),
);

function typedList(types: PromptType[], rows: [number, number][]): RequestList {
  let t = 0;
  const arrival = Float64Array.from(rows.map(([gap]) => (t += gap)));
  return {
    arrival,
    promptTokens: Int32Array.from(rows.map(([, j]) => types[j].prompt)),
    outputTokens: Int32Array.from(rows.map(([, j]) => types[j].output)),
    typeIndex: Int32Array.from(rows.map(([, j]) => j)),
  };
}

/** Runs WAIT, or returns null when `fluid` thresholds do not exist (checked to be the load >= 1 case). */
function run(
  list: RequestList,
  types: PromptType[],
  wait: object,
  kvCapacityBlocks: number,
  blockSize: number,
  tokenModel: TokenModel,
) {
  try {
    return runAudited(list, {
      kvCapacityBlocks,
      blockSize,
      d0,
      d1,
      tokenModel,
      declaredTypes: types,
      rateRps: types.reduce((s, t) => s + t.rate, 0),
      wait,
    });
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    expect(e.message).toMatch(/^thresholds: fluid/);
    expect(fluidEquilibrium(types, d0, d1, tokenModel).stable).toBe(false);
    return null;
  }
}

describe('WAIT invariants on random typed workloads', () => {
  it('keeps KV within capacity, completes every request once, conserves tokens, TTFT <= E2E', () => {
    const evictingRuns = { paper: 0, vllm: 0 };
    fc.assert(
      fc.property(
        workloadArb,
        fc.constantFrom(1, 4, 16),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.constantFrom<TokenModel>('vllm', 'paper'),
        ({ types, rows, thresholds, batchCap }, blockSize, slack, tokenModel) => {
          const list = typedList(types, rows);
          const n = rows.length;
          const lastKv = tokenModel === 'vllm' ? 1 : 0;
          const peak = Math.max(
            ...rows.map(([, j]) => blocksFor(types[j].prompt + types[j].output - lastKv, blockSize)),
          );
          // From just enough for the largest request to a few times it: LIFO evictions happen.
          const capacity = Math.ceil(peak * slack);
          const result = run(list, types, { thresholds, batchCap }, capacity, blockSize, tokenModel);
          if (!result) return;
          const { out, audit } = result;
          const r = out.records;
          for (let i = 0; i < n; i++) {
            expect(audit.finishedCount[i]).toBe(1);
            expect(r.generatedTokens[i]).toBe(r.outputTokens[i]);
            expect(r.firstScheduled[i]).toBeGreaterThanOrEqual(r.arrival[i]);
            expect(r.firstToken[i]).toBeGreaterThan(r.firstScheduled[i]);
            expect(r.finish[i]).toBeGreaterThanOrEqual(r.firstToken[i]);
            expect(r.firstToken[i] - r.arrival[i]).toBeLessThanOrEqual(r.finish[i] - r.arrival[i]);
          }
          const sumOutput = sum(r.outputTokens);
          if (tokenModel === 'vllm') expect(audit.decodeSteps + audit.prefillCompletions).toBe(sumOutput);
          else expect(audit.decodeSteps).toBe(sumOutput + audit.outputTokensLost);
          expect(audit.prefillTokens).toBe(sum(audit.finalTarget) + audit.prefillTokensLost);
          const evictions = audit.decisions.filter((d) => d.kind === 'evict');
          if (evictions.length > 0) evictingRuns[tokenModel]++;
          expect(sum(r.evictions)).toBe(evictions.length);
          expect(sum(r.recomputedTokens)).toBe(evictions.reduce((a, d) => a + d.tokens, 0));
          expect(audit.maxUsedBlocks).toBeLessThanOrEqual(capacity);
          const m = computeRunMetrics(out, 0);
          expect(m.completed).toBe(n);
          expect(m.kv_peak_frac).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 300, seed: 20261122 },
    );
    // The generated machines are tight enough that the LIFO eviction path runs in both token models.
    expect(evictingRuns.paper).toBeGreaterThan(10);
    expect(evictingRuns.vllm).toBeGreaterThan(10);
  });

  it('with C >= M^pi (in blocks): no eviction, and before the drain each type runs all-or-nothing with n_j prefills', () => {
    fc.assert(
      fc.property(
        workloadArb,
        fc.constantFrom(1, 4, 16),
        fc.integer({ min: 0, max: 20 }),
        fc.constantFrom<TokenModel>('vllm', 'paper'),
        ({ types, rows, thresholds, batchCap }, blockSize, extra, tokenModel) => {
          const list = typedList(types, rows);
          // Resolve the thresholds with a first, roomy run, then size the machine to them.
          const probe = run(list, types, { thresholds, batchCap }, 1e6, blockSize, tokenModel);
          if (!probe) return;
          const nj = (probe.inner as WaitScheduler).thresholds;
          // Blocks held when every stage s of every type holds n_j prompts of KV prompt + s (+1 with paper).
          let capacity = extra;
          types.forEach((t, j) => {
            const stages = tokenModel === 'paper' ? t.output + 1 : t.output;
            for (let s = 0; s < stages; s++) capacity += nj[j] * blocksFor(t.prompt + s, blockSize);
          });
          const result = run(list, types, { thresholds: nj }, capacity, blockSize, tokenModel);
          const { out, audit, clock } = result!;
          expect(sum(out.records.evictions)).toBe(0);
          expect(out.warnings.filter((w) => w.includes('KV tokens'))).toEqual([]);
          const lastArrival = list.arrival[list.arrival.length - 1];
          const typeOf = list.typeIndex!;
          for (const [iteration, ds] of audit.byIteration()) {
            const prefills = types.map(() => 0);
            const decodes = types.map(() => 0);
            for (const d of ds) (d.kind === 'prefill' ? prefills : decodes)[typeOf[d.id]]++;
            const drain = clock.starts[iteration] >= lastArrival;
            types.forEach((t, j) => {
              expect(prefills[j]).toBeLessThanOrEqual(nj[j]);
              const stages = tokenModel === 'paper' ? t.output : t.output - 1;
              expect(decodes[j]).toBeLessThanOrEqual(nj[j] * stages);
              if (!drain) {
                expect([0, nj[j]]).toContain(prefills[j]);
                if (prefills[j] === 0) expect(decodes[j]).toBe(0);
              }
            });
          }
          expect(out.records.finish.every((f) => !Number.isNaN(f))).toBe(true);
        },
      ),
      { numRuns: 200, seed: 77 },
    );
  });
});
