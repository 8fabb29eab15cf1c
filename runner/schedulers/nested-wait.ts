import { z } from 'zod';
import type { EngineView, Scheduler } from '../engine/scheduler.js';
import type { TokenModel } from '../engine/token-model.js';
import { nestedWaitMemory, type NestedWaitMemory } from '../fluid/nested-wait-memory.js';
import {
  boundariesProblem,
  planNestedWaitSegments,
  thresholdRatioViolations,
  type NestedWaitSegmentPlan,
} from '../fluid/nested-wait-segments.js';
import type { SchedulerContext } from './scheduler-context.js';

const positiveInt = z.number().int().positive();

/**
 * `nested-wait` parameters in a sweep spec (see NestedWaitScheduler):
 * - `segments`: `{boundaries: [b_1, ..., b_m]}` (output tokens, strictly increasing, last >= the
 *   largest output length) or `{count: L}` equal-width segments of [1, largest output length];
 *   default `{count: 10}` (PAPER.md §7.4);
 * - `thresholds`: `proportional` (default; n_k proportional to the tail rates, scaled to
 *   `batchCap`, then the margin rule of eq. nested_wait_thresholds) or one n_k per segment;
 * - `batchCap`: batch-size limit the proportional thresholds are scaled to, default 128;
 * - `delta`: overflow probability of the memory bound (eq. nested_wait_memory_total), default 0.01;
 * - `horizonIterations`: T of the memory bound, iterations; default the number of requests.
 */
export const NestedWaitSpecSchema = z
  .object({
    policy: z.literal('nested-wait'),
    segments: z
      .union([
        z
          .object({
            boundaries: z
              .array(positiveInt)
              .min(1)
              .superRefine((b, ctx) => {
                const problem = boundariesProblem(b);
                if (problem) ctx.addIssue({ code: 'custom', message: problem });
              }),
          })
          .strict(),
        z.object({ count: positiveInt }).strict(),
      ])
      .default({ count: 10 }),
    thresholds: z.union([z.literal('proportional'), z.array(positiveInt).min(1)]).default('proportional'),
    batchCap: positiveInt.default(128),
    delta: z.number().gt(0).lt(1).default(0.01),
    horizonIterations: positiveInt.optional(),
  })
  .strict();

/** A validated `nested-wait` policy entry. */
export type NestedWaitSpec = z.infer<typeof NestedWaitSpecSchema>;

const NONE = -1;

/**
 * Nested WAIT (PAPER.md §4, Algorithm 2; §5.7 for L segments): scheduling without knowing output
 * lengths. The decode range is cut into segments (runner/fluid/nested-wait-segments.ts); a prompt
 * classifies itself by finishing inside a segment or reaching the next one.
 *
 * State: Q_{k,s}, the prompts of segment k at stage s (stage = iterations run since the prompt's
 * admission; stage 0 = waiting for its whole-prompt prefill), as one FIFO queue per stage.
 * Each iteration:
 * 1. k* = the largest k such that every segment k' <= k has at least n_{k'} prompts at its entry
 *    stage (stage 0 for segment 1). Once every request of the run has arrived, thresholds stop
 *    blocking: k* = m and every segment runs with what it has (drain; the authors' code left such
 *    prompts unscheduled, PAPER.md §8.3, we never drop a request). Before that, k* = 0 schedules
 *    nothing and the engine waits for the next arrival.
 * 2. The batch takes the first min(n_k, Q_{k,s}) prompts of every stage s of segments 1..k*;
 *    segments after k* pause with their KV caches kept. Decodes are reserved first: if their new
 *    blocks exceed the free blocks, the most recently admitted prompts holding KV are evicted
 *    (LIFO, PAPER.md §1.3) until they fit. An evicted prompt re-enters stage 0 as a new arrival
 *    (`paper`: it restarts; `vllm`: its re-prefill produces its next token, so it resumes at the
 *    stage after the one it left) and is not re-admitted in the iteration that evicted it.
 * 3. Then the stage-0 prompts of the batch are prefilled in queue order while their blocks fit;
 *    the first that does not fit stops admission for this iteration (head-of-line, as fcfs).
 * 4. Every scheduled prompt moves to the next stage at once; a prompt that produced its last token
 *    is finished by the engine (onFinish removes it), the others that leave segment k wait at the
 *    entry stage of segment k+1.
 *
 * On the first schedule() call it warns when the machine's KV capacity (blocks x block size, in
 * tokens) is below the memory bound of eq. nested_wait_memory_total, and when the thresholds break
 * eq. nested_wait_thresholds (d0 + d1 M^pi < n_1 / sum lambda, and n_{k+1}/n_k > p_k).
 *
 * Data structures are allocated once per run: intrusive doubly linked lists over request ids (one
 * per stage, plus the admission order of the prompts holding KV) and a bitset of non-empty stages,
 * so an iteration costs O(batch + stages / 32).
 */
export class NestedWaitScheduler implements Scheduler {
  readonly name = 'nested-wait';
  /** Segments, rates and thresholds of this run. */
  readonly plan: NestedWaitSegmentPlan;
  /** Memory bound of this run (eq. nested_wait_memory_total). */
  readonly memory: NestedWaitMemory;

  private readonly totalRequests: number;
  private readonly m: number;
  private readonly thresholds: Int32Array;
  private readonly firstStage: Int32Array;
  private readonly lastStage: Int32Array;
  /** n_k of the segment each stage belongs to (sink: 0). */
  private readonly capOfStage: Int32Array;
  private readonly tokenModel: TokenModel;
  // Stage queues: intrusive doubly linked lists.
  private readonly qHead: Int32Array;
  private readonly qTail: Int32Array;
  private readonly qCount: Int32Array;
  private readonly nonEmpty: Uint32Array;
  private readonly qPrev: Int32Array;
  private readonly qNext: Int32Array;
  private readonly queuedAt: Int32Array;
  /** Stage a prompt moves to when its prefill runs (1, or where a vllm re-prefill resumes). */
  private readonly resumeStage: Int32Array;
  /** Iteration in which a request was last evicted (0 = never). */
  private readonly evictedIn: Int32Array;
  // Admission order of the prompts holding KV (tail = most recently admitted).
  private readonly aPrev: Int32Array;
  private readonly aNext: Int32Array;
  private readonly holdsKv: Uint8Array;
  private aTail = NONE;
  private arrived = 0;
  private warned = false;
  private readonly warnings: string[] = [];

  /**
   * @param spec a validated `nested-wait` entry
   * @param ctx the run's context: requests (their output lengths only as a distribution: segment
   *   rates and the decode range), rate, machine (for the warnings) and token model
   * @throws InputError naming `segments` or `thresholds` (see planNestedWaitSegments)
   */
  constructor(spec: NestedWaitSpec, ctx: SchedulerContext) {
    const n = ctx.requests.arrival.length;
    const plan = planNestedWaitSegments(spec, ctx.requests, ctx.rateRps, ctx.tokenModel);
    this.plan = plan;
    this.memory = nestedWaitMemory({
      boundaries: plan.boundaries,
      thresholds: plan.thresholds,
      segmentRates: plan.requestCounts,
      promptTokens: plan.meanPromptTokens,
      tokenModel: ctx.tokenModel,
      delta: spec.delta,
      horizonIterations: spec.horizonIterations ?? Math.max(1, n),
    });
    this.totalRequests = n;
    const m = plan.boundaries.length;
    this.m = m;
    this.thresholds = Int32Array.from(plan.thresholds);
    this.firstStage = Int32Array.from(plan.stages.first);
    this.lastStage = Int32Array.from(plan.stages.last);
    const sink = plan.stages.last[m - 1] + 1;
    this.capOfStage = new Int32Array(sink + 1);
    for (let k = 0; k < m; k++) {
      for (let s = plan.stages.first[k]; s <= plan.stages.last[k]; s++)
        this.capOfStage[s] = plan.thresholds[k];
    }
    this.tokenModel = ctx.tokenModel;
    this.qHead = new Int32Array(sink + 1).fill(NONE);
    this.qTail = new Int32Array(sink + 1).fill(NONE);
    this.qCount = new Int32Array(sink + 1);
    this.nonEmpty = new Uint32Array((sink >> 5) + 1);
    this.qPrev = new Int32Array(n).fill(NONE);
    this.qNext = new Int32Array(n).fill(NONE);
    this.queuedAt = new Int32Array(n).fill(NONE);
    this.resumeStage = new Int32Array(n).fill(1);
    this.evictedIn = new Int32Array(n);
    this.aPrev = new Int32Array(n).fill(NONE);
    this.aNext = new Int32Array(n).fill(NONE);
    this.holdsKv = new Uint8Array(n);
    this.collectWarnings(ctx);
  }

  /**
   * Stage at which a request is queued (0 = waiting for its prefill; a prompt that ran stage s is
   * queued at s + 1), or -1 when it is not queued (not arrived yet, or finished). For audits.
   * @param id request id
   */
  stageOf(id: number): number {
    return this.queuedAt[id];
  }

  reservedBlocks(): number {
    return 0;
  }

  onArrival(id: number): void {
    this.arrived++;
    this.push(0, id);
  }

  onFinish(id: number): void {
    if (this.queuedAt[id] !== NONE) this.unlink(id);
    if (this.holdsKv[id]) this.unadmit(id);
  }

  schedule(view: EngineView): void {
    if (!this.warned) {
      this.warned = true;
      if (view.tokenModel !== this.tokenModel) {
        throw new Error(
          `nested-wait planned its stages for token model ${this.tokenModel}, the engine runs ${view.tokenModel}`,
        );
      }
      for (const w of this.warnings) view.warn(w);
    }
    const active = this.activeSegments();
    if (active === 0) return;
    const top = this.lastStage[active - 1];

    // 1. Reserve the decode growth of the batch, evicting LIFO while it does not fit.
    if (this.plannedDecodes(top) > view.freeBlocks()) {
      for (;;) {
        let deficit = this.decodeGrowth(view, top) - view.freeBlocks();
        if (deficit <= 0 || this.aTail === NONE) break;
        while (deficit > 0 && this.aTail !== NONE) {
          const victim = this.aTail;
          deficit -= view.blocksHeld(victim);
          this.evict(view, victim);
        }
      }
    }

    // 2. Decodes, highest stage first so that a prompt moved up is not scheduled twice.
    let s = top;
    while (s >= 1) {
      s = this.highestNonEmptyAtMost(s);
      if (s < 1) break;
      const take = Math.min(this.capOfStage[s], this.qCount[s]);
      let id = this.qHead[s];
      for (let i = 0; i < take; i++) {
        const next = this.qNext[id];
        view.decode(id);
        this.unlink(id);
        this.push(s + 1, id);
        id = next;
      }
      s--;
    }

    // 3. Admissions: the first min(n_1, Q_{1,0}) waiting prompts, in order, while they fit.
    const take = Math.min(this.thresholds[0], this.qCount[0]);
    const iteration = view.iteration;
    let id = this.qHead[0];
    for (let i = 0; i < take && id !== NONE; i++) {
      const next = this.qNext[id];
      if (this.evictedIn[id] !== iteration) {
        const tokens = view.remainingPrefill(id);
        if (view.blocksToPrefill(id, tokens) > view.freeBlocks()) break;
        view.prefill(id, tokens);
        this.unlink(id);
        this.push(this.resumeStage[id], id);
        this.admit(id);
      }
      id = next;
    }
  }

  /** k*: number of segments that run this iteration (0 = none). */
  private activeSegments(): number {
    if (this.arrived >= this.totalRequests) return this.m;
    let k = 0;
    while (k < this.m && this.qCount[this.firstStage[k]] >= this.thresholds[k]) k++;
    return k;
  }

  /** Upper bound of the blocks the decodes of stages 1..top need (each decode needs <= 1 block). */
  private plannedDecodes(top: number): number {
    let total = 0;
    let s = top;
    while (s >= 1) {
      s = this.highestNonEmptyAtMost(s);
      if (s < 1) break;
      total += Math.min(this.capOfStage[s], this.qCount[s]);
      s--;
    }
    return total;
  }

  /** Blocks the decodes of stages 1..top would allocate now. */
  private decodeGrowth(view: EngineView, top: number): number {
    let total = 0;
    let s = top;
    while (s >= 1) {
      s = this.highestNonEmptyAtMost(s);
      if (s < 1) break;
      const take = Math.min(this.capOfStage[s], this.qCount[s]);
      let id = this.qHead[s];
      for (let i = 0; i < take; i++) {
        total += view.blocksToDecode(id);
        id = this.qNext[id];
      }
      s--;
    }
    return total;
  }

  /** Evicts a prompt holding KV; it re-enters stage 0 as a new arrival. */
  private evict(view: EngineView, id: number): void {
    const stage = this.queuedAt[id];
    view.evict(id);
    this.unadmit(id);
    this.unlink(id);
    this.resumeStage[id] = this.tokenModel === 'vllm' ? stage + 1 : 1;
    this.evictedIn[id] = view.iteration;
    this.push(0, id);
  }

  /** Highest non-empty stage <= s, or -1. */
  private highestNonEmptyAtMost(s: number): number {
    const bits = this.nonEmpty;
    let w = s >> 5;
    let word = bits[w] & (0xffffffff >>> (31 - (s & 31)));
    while (word === 0) {
      if (--w < 0) return -1;
      word = bits[w];
    }
    return (w << 5) + 31 - Math.clz32(word);
  }

  private push(stage: number, id: number): void {
    const tail = this.qTail[stage];
    this.qPrev[id] = tail;
    this.qNext[id] = NONE;
    if (tail === NONE) {
      this.qHead[stage] = id;
      this.nonEmpty[stage >> 5] |= 1 << (stage & 31);
    } else {
      this.qNext[tail] = id;
    }
    this.qTail[stage] = id;
    this.qCount[stage]++;
    this.queuedAt[id] = stage;
  }

  private unlink(id: number): void {
    const stage = this.queuedAt[id];
    const prev = this.qPrev[id];
    const next = this.qNext[id];
    if (prev === NONE) this.qHead[stage] = next;
    else this.qNext[prev] = next;
    if (next === NONE) this.qTail[stage] = prev;
    else this.qPrev[next] = prev;
    if (--this.qCount[stage] === 0) this.nonEmpty[stage >> 5] &= ~(1 << (stage & 31));
    this.queuedAt[id] = NONE;
  }

  private admit(id: number): void {
    this.holdsKv[id] = 1;
    this.aPrev[id] = this.aTail;
    this.aNext[id] = NONE;
    if (this.aTail !== NONE) this.aNext[this.aTail] = id;
    this.aTail = id;
  }

  private unadmit(id: number): void {
    this.holdsKv[id] = 0;
    const prev = this.aPrev[id];
    const next = this.aNext[id];
    if (prev !== NONE) this.aNext[prev] = next;
    if (next === NONE) this.aTail = prev;
    else this.aPrev[next] = prev;
  }

  private collectWarnings(ctx: SchedulerContext): void {
    const plan = this.plan;
    const mem = this.memory;
    const capacityTokens = ctx.machine.kvCapacityBlocks * ctx.machine.blockSize;
    if (capacityTokens < mem.totalTokens) {
      this.warnings.push(
        `nested-wait: KV capacity ${capacityTokens} tokens is below the memory bound ` +
          `${Number.isFinite(mem.totalTokens) ? Math.ceil(mem.totalTokens) : 'Infinity'} tokens ` +
          `(M^pi ${Math.ceil(mem.mPiTokens)} + buffer ${Number.isFinite(mem.bufferTokens) ? Math.ceil(mem.bufferTokens) : 'Infinity'}); ` +
          `overflow is possible and is resolved by LIFO eviction`,
      );
    }
    const totalRate = plan.rates.reduce((a, b) => a + b, 0);
    if (totalRate > 0) {
      const dt = ctx.machine.d0 + ctx.machine.d1 * mem.mPiTokens;
      const limit = plan.thresholds[0] / totalRate;
      if (!(dt < limit)) {
        this.warnings.push(
          `nested-wait: thresholds [${plan.thresholds.join(', ')}] break eq. nested_wait_thresholds: ` +
            `iteration time d0 + d1 M^pi = ${dt.toPrecision(4)} s is not below n_1 / sum lambda = ${limit.toPrecision(4)} s`,
        );
      }
    }
    const bad = thresholdRatioViolations(plan.thresholds, plan.requestCounts);
    if (bad.length > 0) {
      this.warnings.push(
        `nested-wait: thresholds [${plan.thresholds.join(', ')}] break eq. nested_wait_thresholds: ` +
          `n_{k+1}/n_k > p_k fails for k = ${bad.join(', ')}`,
      );
    }
  }
}
