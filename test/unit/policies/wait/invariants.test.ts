import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blocksFor } from '../../../../runner/engine/kv-blocks.js';
import type { TokenModel } from '../../../../runner/engine/token-model.js';
import type { EngineView, Scheduler } from '../../../../runner/engine/scheduler.js';
import { InputError } from '../../../../runner/errors.js';
import { fluidEquilibrium } from '../../../../runner/fluid/fluid-equilibrium.js';
import type { PromptType } from '../../../../runner/fluid/prompt-type.js';
import { computeRunMetrics } from '../../../../runner/metrics/run-metrics.js';
import { WaitScheduler, WaitSpecSchema } from '../../../../runner/schedulers/wait.js';
import type { RequestList } from '../../../../runner/workloads/request-list.js';
import { AuditingScheduler } from '../../../helpers/auditing-scheduler.js';
import { contextFor } from '../../../helpers/scheduler-for.js';
import { runAudited, runPlain, sum } from './wait-harness.js';
import { expectEngineInvariants } from '../../../helpers/engine-invariants.js';

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

/** Like workloadArb with 20-80 requests, gaps up to 0.3 s and explicit thresholds up to 3: many batches form before the drain. */
const longWorkloadArb = fc.array(typeArb, { minLength: 2, maxLength: 3 }).chain((types) =>
  fc.record({
    types: fc.constant(types),
    rows: fc.array(
      fc.tuple(fc.double({ min: 0, max: 0.3, noNaN: true }), fc.integer({ min: 0, max: types.length - 1 })),
      { minLength: 20, maxLength: 80 },
    ),
    thresholds: fc.oneof(
      fc.constant('paper' as const),
      fc.constant('fluid' as const),
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: types.length, maxLength: types.length }),
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
  it.each(['paper', 'code'] as const)(
    'keeps KV within capacity, completes every request once, conserves tokens, TTFT <= E2E (variant %s)',
    (variant) => {
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
            const result = run(
              list,
              types,
              { thresholds, batchCap, variant },
              capacity,
              blockSize,
              tokenModel,
            );
            if (!result) return;
            const { out, audit } = result;
            const evictions = expectEngineInvariants(out, audit, { capacity, tokenModel });
            if (evictions.length > 0) evictingRuns[tokenModel]++;
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
    },
  );

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

  it('variant code with C >= M^pi: every planning (empty ones included) is the batch of the simulator rule in docs/paper-model.md', () => {
    let crossTypeMoves = 0;
    fc.assert(
      fc.property(
        longWorkloadArb,
        fc.constantFrom(1, 4, 16),
        fc.integer({ min: 0, max: 20 }),
        fc.constantFrom<TokenModel>('vllm', 'paper'),
        ({ types, rows, thresholds, batchCap }, blockSize, extra, tokenModel) => {
          const list = typedList(types, rows);
          const probe = run(
            list,
            types,
            { thresholds, batchCap, variant: 'code' },
            1e6,
            blockSize,
            tokenModel,
          );
          if (!probe) return;
          const nj = (probe.inner as WaitScheduler).thresholds;
          let capacity = extra;
          types.forEach((t, j) => {
            const stages = tokenModel === 'paper' ? t.output + 1 : t.output;
            for (let s = 0; s < stages; s++) capacity += nj[j] * blocksFor(t.prompt + s, blockSize);
          });
          const o = { kvCapacityBlocks: capacity, blockSize, d0, d1, tokenModel, declaredTypes: types };
          const spec = WaitSpecSchema.parse({ policy: 'wait', thresholds: [...nj], variant: 'code' });
          const audit = new AuditingScheduler(new WaitScheduler(spec, contextFor(list, o)), rows.length);
          const reference = new CodeRuleReference(audit, list, types, nj, tokenModel);
          const out = runPlain(list, o, reference);
          expect(sum(out.records.evictions)).toBe(0);
          expect(audit.finishedCount.every((c) => c === 1)).toBe(true);
          crossTypeMoves += reference.crossTypeMoves;
        },
      ),
      { numRuns: 200, seed: 4711 },
    );
    // The distinguishing case occurs: prompts in flight of a type below its stage-0 count moved by another type.
    expect(crossTypeMoves).toBeGreaterThan(100);
  });
});

/**
 * Reference model of WAIT's `code` variant (docs/paper-model.md#the-authors-simulator) for runs without evictions or held-back
 * prefills: wraps an audited WAIT and, before each planning, predicts its batch from the arrivals
 * and the decisions so far: with b_j = n_j S_j and k_j = min(n_j, floor(b_j - type-j prompts in
 * flight)), nothing unless some type has n_j0 >= k_j or all requests have arrived; otherwise every
 * prompt in flight decodes and, per type, the first min(k_j, n_j0) stage-0 prompts (arrival order)
 * are prefilled. Then it checks that WAIT decided exactly that.
 */
class CodeRuleReference implements Scheduler {
  readonly name = 'wait';
  /** Plannings in which a type with n_j0 < k_j had prompts in flight that ran (before the drain). */
  crossTypeMoves = 0;
  private arrivedCount = 0;
  private readonly arrived: boolean[] = [];
  private readonly runs: number[] = [];
  private readonly finished: boolean[] = [];

  constructor(
    private readonly audit: AuditingScheduler,
    private readonly list: RequestList,
    private readonly types: PromptType[],
    private readonly nj: readonly number[],
    private readonly tokenModel: TokenModel,
  ) {
    for (let i = 0; i < list.arrival.length; i++) this.runs.push(0);
  }

  reservedBlocks(capacity: number): number {
    return this.audit.reservedBlocks(capacity);
  }

  onArrival(id: number, view: EngineView): void {
    this.arrived[id] = true;
    this.arrivedCount++;
    this.audit.onArrival(id, view);
  }

  onFinish(id: number, view: EngineView): void {
    this.finished[id] = true;
    this.audit.onFinish(id, view);
  }

  schedule(view: EngineView): void {
    const typeOf = this.list.typeIndex!;
    const m = this.types.length;
    const stage0: number[][] = this.types.map(() => []);
    const inFlight: number[][] = this.types.map(() => []);
    for (let i = 0; i < this.list.arrival.length; i++) {
      if (!this.arrived[i] || this.finished[i]) continue;
      (this.runs[i] === 0 ? stage0 : inFlight)[typeOf[i]].push(i);
    }
    const k = this.types.map((t, j) => {
      const stages = this.tokenModel === 'paper' ? t.output + 1 : t.output;
      return Math.min(this.nj[j], Math.floor(this.nj[j] * stages - inFlight[j].length));
    });
    const drain = this.arrivedCount === this.list.arrival.length;
    const forms = drain || k.some((kj, j) => stage0[j].length >= kj);
    const expected: string[] = [];
    if (forms) {
      for (let j = 0; j < m; j++) {
        for (const id of inFlight[j]) expected.push(`decode ${id}`);
        for (const id of stage0[j].slice(0, Math.max(0, k[j]))) expected.push(`prefill ${id}`);
        if (!drain && stage0[j].length < k[j] && inFlight[j].length > 0) this.crossTypeMoves++;
      }
    }
    const from = this.audit.decisions.length;
    this.audit.schedule(view);
    const actual = this.audit.decisions.slice(from);
    for (const d of actual) this.runs[d.id]++;
    expect(actual.map((d) => `${d.kind} ${d.id}`).sort()).toEqual(expected.sort());
  }
}
