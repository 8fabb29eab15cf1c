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
 * - `variant`: `paper` (default; Algorithm 2 as printed, PAPER.md §4.3) or `code` (the start rule
 *   of the authors' simulator, §7.6, with segment budgets); see NestedWaitScheduler;
 * - `batchCap`: batch-size limit the proportional thresholds are scaled to, and that the `code`
 *   variant's segment budgets share out (with either threshold rule), default 128;
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
    variant: z.enum(['paper', 'code']).default('paper'),
    batchCap: positiveInt.default(128),
    delta: z.number().gt(0).lt(1).default(0.01),
    horizonIterations: positiveInt.optional(),
  })
  .strict();

/** A validated `nested-wait` policy entry. */
export type NestedWaitSpec = z.infer<typeof NestedWaitSpecSchema>;

/** Which start rule Nested WAIT follows (see NestedWaitScheduler). */
export type NestedWaitVariant = NestedWaitSpec['variant'];

const NONE = -1;

/**
 * Nested WAIT (PAPER.md §4, Algorithm 2; §5.7 for L segments): scheduling without knowing output
 * lengths. The decode range is cut into segments (runner/fluid/nested-wait-segments.ts); a prompt
 * classifies itself by finishing inside a segment or reaching the next one.
 *
 * State: Q_{k,s}, the prompts of segment k at stage s (stage = iterations run since the prompt's
 * admission; stage 0 = waiting for its whole-prompt prefill), as one FIFO queue per stage. The
 * entry stage e_k of segment k is stage 0 for k = 1, else the stage after segment k-1's last;
 * I_k = the prompts of segment k past its entry stage (stages e_k+1 .. last).
 * Each iteration:
 * 1. k* = the number of segments that run, always a prefix 1..k* (later segments pause). The two
 *    variants differ only in when a segment starts and in how many prompts its entry stage takes:
 *    - `paper` (default; PAPER.md §4.3, Algorithm 2 as printed, lines 11-13): k* = the largest k
 *      such that every segment k' <= k has Q_{k',e_k'} >= n_{k'}; the entry stage takes up to n_k.
 *      So segment 1 runs only while stage 0 holds n_1 prompts: at light load nothing advances
 *      between arrivals, and every prompt moves one stage per arrival.
 *    - `code` (PAPER.md §7.6, what the authors' simulator does in
 *      `general_nested_booking_limit_replica_scheduler.py`): segments are scanned in order;
 *      segment k starts iff Q_{k,e_k} >= min(n_k, B_k - I_k), otherwise it and all later segments
 *      are skipped; its entry stage takes up to max(0, min(n_k, B_k - I_k)) prompts, the other
 *      stages up to n_k. B_k is the segment budget (segmentBudgets in
 *      runner/fluid/nested-wait-segments.ts: the segment's share of `batchCap`, as the authors'
 *      `seg_total_limit`, clamped to [n_k, n_k x stages_k]). So a segment whose budget is full
 *      (I_k >= B_k) keeps running without new arrivals, admitting nobody, until a prompt leaves
 *      it; below its budget it waits for its entry prompts as under `paper`. At light load a
 *      prompt thus spends about B_k / rate in segment k instead of stages_k / rate: `code` helps
 *      only where B_k is well below n_k x stages_k, and with B_k = n_k x stages_k it makes exactly
 *      Algorithm 2's decisions (segment k never holds more than n_k (stages_k - 1) prompts past
 *      its entry).
 *    Once every request of the run has arrived, the start tests stop blocking: k* = m and every
 *    segment runs with what it has, within the same per-stage limits (under `code`, entry stages
 *    within the budgets too). This drain replaces the authors' `force_clear`, which dropped such
 *    prompts (PAPER.md §7.6, §8.3): we never drop a request. Before the drain, k* = 0 schedules
 *    nothing and the engine waits for the next arrival.
 * 2. The batch takes the first min(limit, Q_{k,s}) prompts of every stage s of segments 1..k*, the
 *    limit being n_k (entry stages: as in 1); segments after k* pause with their KV caches kept.
 *    Start tests and entry limits use the queues as they were when the iteration began (except
 *    after evictions, below). Decodes are reserved first: if their new blocks exceed the free
 *    blocks, the most recently admitted prompts holding KV are evicted (LIFO, PAPER.md §1.3) until
 *    they fit, the growth recomputed after each victim. Under `code` the evicted prompts leave
 *    their segments' budgets, so the entry limits are then recomputed from the remaining prompts
 *    (they can only grow) and the reservation checked again. An evicted prompt re-enters stage 0
 *    as a new arrival (token model `paper`: it restarts; `vllm`: its re-prefill produces its next
 *    token, so it resumes at the stage after the one it left) and is not re-admitted in the
 *    iteration that evicted it.
 * 3. Then the stage-0 prompts of the batch (at most segment 1's entry limit) are prefilled in
 *    queue order while their blocks fit; the first that does not fit stops admission for this
 *    iteration (head-of-line, as fcfs). Neither the paper nor the authors' code checks memory
 *    (§4.5, §7.6); this check and the LIFO eviction of 2 are ours, the same for both variants.
 * 4. Every scheduled prompt moves to the next stage at once; a prompt that produced its last token
 *    is finished by the engine (onFinish removes it), the others that leave segment k wait at the
 *    entry stage of segment k+1.
 *
 * On the first schedule() call it warns when the machine's KV capacity (blocks x block size, in
 * tokens) is below the memory bound of eq. nested_wait_memory_total, and when the thresholds break
 * eq. nested_wait_thresholds (d0 + d1 M^pi < n_1 / sum lambda, and n_{k+1}/n_k > p_k). Both are
 * Algorithm 2's conditions; they are checked for the `code` variant too (the paper states none
 * for it).
 *
 * Data structures are allocated once per run: intrusive doubly linked lists over request ids (one
 * per stage, plus the admission order of the prompts holding KV), a bitset of non-empty stages and
 * per-segment counts I_k kept up to date on every move, so an iteration costs
 * O(batch + stages / 32 + segments), plus O(batch) per eviction.
 */
export class NestedWaitScheduler implements Scheduler {
  readonly name = 'nested-wait';
  /** Start rule in force (see the class note). */
  readonly variant: NestedWaitVariant;
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
  /** Segment whose entry stage each stage is, or -1. */
  private readonly entrySegment: Int32Array;
  /** Segment each stage past its segment's entry belongs to, or -1 (entry stages, sink). */
  private readonly innerSegment: Int32Array;
  /** B_k (`code`); unused under `paper`. */
  private readonly budgets: Int32Array;
  /** I_k: prompts queued past the entry stage of segment k. */
  private readonly inside: Int32Array;
  /** This iteration's limit of each active segment's entry stage (`paper`: always n_k). */
  private readonly entryLimit: Int32Array;
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
    this.variant = spec.variant;
    const m = plan.boundaries.length;
    this.m = m;
    this.thresholds = Int32Array.from(plan.thresholds);
    this.firstStage = Int32Array.from(plan.stages.first);
    this.lastStage = Int32Array.from(plan.stages.last);
    const sink = plan.stages.last[m - 1] + 1;
    this.capOfStage = new Int32Array(sink + 1);
    this.entrySegment = new Int32Array(sink + 1).fill(NONE);
    this.innerSegment = new Int32Array(sink + 1).fill(NONE);
    for (let k = 0; k < m; k++) {
      this.entrySegment[plan.stages.first[k]] = k;
      for (let s = plan.stages.first[k]; s <= plan.stages.last[k]; s++) {
        this.capOfStage[s] = plan.thresholds[k];
        if (s > plan.stages.first[k]) this.innerSegment[s] = k;
      }
    }
    this.budgets = Int32Array.from(plan.budgets);
    this.inside = new Int32Array(m);
    this.entryLimit = Int32Array.from(plan.thresholds);
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

    // 1. Reserve the decode growth of the batch, evicting LIFO while it does not fit. The growth
    // is recomputed after every victim: the victim's own decode leaves the batch (and another
    // prompt of its stage may take its place), so subtracting only the blocks it held would
    // evict too many, possibly every prompt holding KV (then nothing could run).
    // `code`: evicted prompts no longer use their segment's budget, so the entry limits are
    // recomputed after evictions (they can only grow, up to n_k), and the growth checked again.
    // Without this, an iteration that evicted the prompts filling a budget could schedule nothing.
    if (this.plannedDecodes(top) > view.freeBlocks()) {
      do {
        while (this.aTail !== NONE && this.decodeGrowth(view, top) > view.freeBlocks()) {
          this.evict(view, this.aTail);
        }
      } while (this.variant === 'code' && this.refreshEntryLimits(active));
    }

    // 2. Decodes, highest stage first so that a prompt moved up is not scheduled twice.
    let s = top;
    while (s >= 1) {
      s = this.highestNonEmptyAtMost(s);
      if (s < 1) break;
      const take = this.stageTake(s);
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

    // 3. Admissions: the first min(entry limit, Q_{1,0}) waiting prompts, in order, while they fit.
    const take = this.stageTake(0);
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

  /**
   * k*: number of segments that run this iteration (0 = none). Under `code` it also sets the
   * entry limits of segments 1..k* (under `paper` they stay n_k).
   */
  private activeSegments(): number {
    const draining = this.arrived >= this.totalRequests;
    if (this.variant === 'paper') {
      if (draining) return this.m;
      let k = 0;
      while (k < this.m && this.qCount[this.firstStage[k]] >= this.thresholds[k]) k++;
      return k;
    }
    let k = 0;
    while (k < this.m) {
      const limit = Math.min(this.thresholds[k], Math.max(0, this.budgets[k] - this.inside[k]));
      if (!draining && this.qCount[this.firstStage[k]] < limit) break;
      this.entryLimit[k] = limit;
      k++;
    }
    return k;
  }

  /**
   * `code`, after evictions: entry limits of segments 1..active from the current I_k.
   * @returns whether some limit changed
   */
  private refreshEntryLimits(active: number): boolean {
    let changed = false;
    for (let k = 0; k < active; k++) {
      const limit = Math.min(this.thresholds[k], Math.max(0, this.budgets[k] - this.inside[k]));
      if (limit !== this.entryLimit[k]) {
        this.entryLimit[k] = limit;
        changed = true;
      }
    }
    return changed;
  }

  /** Prompts stage s gives this iteration: min(limit, Q_s), limit = n_k or the entry limit. */
  private stageTake(s: number): number {
    const k = this.entrySegment[s];
    return Math.min(k === NONE ? this.capOfStage[s] : this.entryLimit[k], this.qCount[s]);
  }

  /** Upper bound of the blocks the decodes of stages 1..top need (each decode needs <= 1 block). */
  private plannedDecodes(top: number): number {
    let total = 0;
    let s = top;
    while (s >= 1) {
      s = this.highestNonEmptyAtMost(s);
      if (s < 1) break;
      total += this.stageTake(s);
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
      const take = this.stageTake(s);
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
    const k = this.innerSegment[stage];
    if (k !== NONE) this.inside[k]++;
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
    const k = this.innerSegment[stage];
    if (k !== NONE) this.inside[k]--;
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
    // An uncalibrated GPU worker has no d0/d1 (NaN): the check is then left out.
    const dt = ctx.machine.d0 + ctx.machine.d1 * mem.mPiTokens;
    if (totalRate > 0 && Number.isFinite(dt)) {
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
