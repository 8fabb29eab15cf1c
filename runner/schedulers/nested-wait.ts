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
import { StageQueues } from './stage-queues.js';
import { clusterFields } from './cluster-fields.js';
import { prefixCachingField } from './prefix-caching.js';

const positiveInt = z.number().int().positive().max(2_147_483_647); // Int32, as the engine holds it

/**
 * `nested-wait` parameters in a sweep spec (see NestedWaitScheduler):
 * - `segments`: `{boundaries: [b_1, ..., b_m]}` (output tokens, strictly increasing, last >= the
 *   largest output length) or `{count: L}` equal-width segments of [1, largest output length];
 *   default `{count: 10}` (arXiv 2504.11320v2 §6.2);
 * - `thresholds`: `proportional` (default; n_k proportional to the tail rates, scaled to
 *   `batchCap`, then the margin rule of eq. nested_wait_thresholds) or one n_k per segment;
 * - `variant`: `paper` (default; Algorithm 2 as printed, arXiv 2504.11320v2 §5) or `code` (the
 *   start rule of the authors' simulator, docs/paper-model.md#the-authors-simulator, with segment
 *   budgets); see NestedWaitScheduler;
 * - `batchCap`: batch-size limit the proportional thresholds are scaled to, and that the `code`
 *   variant's segment budgets share out (with either threshold rule), default 128;
 * - `delta`: overflow probability of the memory bound (eq. nested_wait_memory_total), default 0.01;
 * - `horizonIterations`: T of the memory bound, iterations; default the number of requests.
 */
export const NestedWaitSpecSchema = z
  .object({
    policy: z.literal('nested-wait'),
    prefixCaching: prefixCachingField,
    ...clusterFields,
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
 * Nested WAIT (arXiv 2504.11320v2 §5, Algorithm 2; §7.2 for L segments): scheduling without knowing output
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
 *    - `paper` (default; Algorithm 2 as printed, lines 11-13): k* = the largest k
 *      such that every segment k' <= k has Q_{k',e_k'} >= n_{k'}; the entry stage takes up to n_k.
 *      So segment 1 runs only while stage 0 holds n_1 prompts: at light load nothing advances
 *      between arrivals, and every prompt moves one stage per arrival.
 *    - `code` (docs/paper-model.md#the-authors-simulator, what the authors' simulator does in
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
 *    prompts (docs/paper-model.md#the-authors-simulator): we never drop a request. Before the drain, k* = 0 schedules
 *    nothing and the engine waits for the next arrival.
 * 2. The batch takes the first min(limit, Q_{k,s}) prompts of every stage s of segments 1..k*, the
 *    limit being n_k (entry stages: as in 1); segments after k* pause with their KV caches kept.
 *    Start tests and entry limits use the queues as they were when the iteration began (except
 *    after evictions, below). Decodes are reserved first: if their new blocks exceed the free
 *    blocks, the most recently admitted prompts holding KV are evicted (LIFO, arXiv 2504.11320v2 §2) until
 *    they fit, the growth recomputed after each victim. Under `code` the evicted prompts leave
 *    their segments' budgets, so the entry limits are then recomputed from the remaining prompts
 *    (they can only grow) and the reservation checked again. An evicted prompt re-enters stage 0
 *    as a new arrival (token model `paper`: it restarts; `vllm`: its re-prefill produces its next
 *    token, so it resumes at the stage after the one it left) and is not re-admitted in the
 *    iteration that evicted it.
 * 3. Then the stage-0 prompts of the batch (at most segment 1's entry limit) are prefilled in
 *    queue order while their blocks fit; the first that does not fit stops admission for this
 *    iteration (head-of-line, as fcfs). Neither the paper (its memory bound, eq.
 *    nested_wait_memory_total, only makes overflow unlikely) nor the authors' code checks memory
 *    (docs/paper-model.md#the-authors-simulator); this check and the LIFO eviction of 2 are ours, the same for both variants.
 * 4. Every scheduled prompt moves to the next stage at once; a prompt that produced its last token
 *    is finished by the engine (onFinish removes it), the others that leave segment k wait at the
 *    entry stage of segment k+1.
 *
 * On the first schedule() call it warns when the machine's KV capacity (blocks x block size, in
 * tokens) is below the memory bound of eq. nested_wait_memory_total, and when the thresholds break
 * eq. nested_wait_thresholds (d0 + d1 M^pi < n_1 / sum lambda, plus d2 n_1 l on a machine with a
 * prefill cost d2, and n_{k+1}/n_k > p_k). Both are
 * Algorithm 2's conditions; they are checked for the `code` variant too (the paper states none
 * for it).
 *
 * Data structures are allocated once per run: the stage queues (StageQueues, stage-queues.ts:
 * intrusive lists over request ids and a bitset of the non-empty stages, shared with WAIT), the
 * admission order of the prompts holding KV (an intrusive list too) and per-segment counts I_k
 * kept up to date on every move, so an iteration costs O(batch + stages / 32 + segments), plus
 * O(batch) per eviction.
 */
export class NestedWaitScheduler implements Scheduler {
  readonly name = 'nested-wait';
  /** Start rule in force (see the class note). */
  readonly variant: NestedWaitVariant;
  /** Segments, rates and thresholds of this run. */
  readonly plan: NestedWaitSegmentPlan;
  /** Memory bound of this run (eq. nested_wait_memory_total). */
  readonly memory: NestedWaitMemory;

  private totalRequests: number;
  private readonly m: number;
  /** n_k per segment. */
  private readonly thresholds: Int32Array;
  /** Entry stage e_k of each segment. */
  private readonly firstStage: Int32Array;
  /** Last stage of each segment. */
  private readonly lastStage: Int32Array;
  /**
   * Most prompts each stage gives a batch: n_k of its segment, except at an entry stage e_k, where
   * it is this iteration's entry limit (`paper`: always n_k; `code`: see activeSegments). Sink: 0.
   */
  private readonly stageLimit: Int32Array;
  /** Segment each stage past its segment's entry belongs to, or -1 (entry stages, sink). */
  private readonly innerSegment: Int32Array;
  /** B_k (`code`); unused under `paper`. */
  private readonly budgets: Int32Array;
  /** I_k: prompts queued past the entry stage of segment k. */
  private readonly inside: Int32Array;
  /** Prompts queued at stages >= 1: a bound of the decodes that is free to keep. */
  private queuedPastStage0 = 0;
  private readonly tokenModel: TokenModel;
  /** Q_{k,s}: stage queue s holds the prompts at stage s (of the segment s belongs to). */
  private readonly queues: StageQueues;
  /** Stage queue of each request, or -1. */
  private readonly queuedAt: Int32Array;
  /** This iteration's decodes: stages highest first, each queue front first. */
  private readonly batch: Int32Array;
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
    this.stageLimit = new Int32Array(sink + 1);
    this.innerSegment = new Int32Array(sink + 1).fill(NONE);
    for (let k = 0; k < m; k++) {
      for (let s = plan.stages.first[k]; s <= plan.stages.last[k]; s++) {
        this.stageLimit[s] = plan.thresholds[k];
        if (s > plan.stages.first[k]) this.innerSegment[s] = k;
      }
    }
    this.budgets = Int32Array.from(plan.budgets);
    this.inside = new Int32Array(m);
    this.tokenModel = ctx.tokenModel;
    this.queues = new StageQueues(sink + 1, n);
    this.queuedAt = new Int32Array(n).fill(NONE);
    this.batch = new Int32Array(n);
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

  /** Algorithm 2 line 5: a new prompt enters segment 1 at stage 0. */
  /** A cluster routed its last request: the requests arrived here are all this replica gets (drain). */
  noMoreArrivals(): void {
    this.totalRequests = this.arrived;
  }

  onArrival(id: number): void {
    this.arrived++;
    this.enqueue(0, id);
  }

  onFinish(id: number): void {
    if (this.queuedAt[id] !== NONE) this.dequeue(id);
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
    // Algorithm 2 lines 11-12: k*, the segments 1..k* that run (0: wait for the next arrival).
    const active = this.activeSegments();
    if (active === 0) return;
    const top = this.lastStage[active - 1];

    // Line 13: the batch, min(limit, Q_{k,s}) prompts of every stage s of segments 1..k*; first
    // the decodes (stages >= 1). A decode needs at most one new block, so they fit when there are
    // no more of them (counted only when the prompts past stage 0 alone could exceed the free
    // blocks) than free blocks; otherwise the most recently admitted prompts are evicted until
    // they do (ours, step 2). Then they are taken off their queues.
    const free = view.freeBlocks();
    if (this.queuedPastStage0 > free && this.queues.count(top, 1, this.stageLimit) > free) {
      this.makeRoomForDecodes(view, active, top);
    }
    const batch = this.batch;
    const decodes = this.queues.take(top, 1, this.stageLimit, batch);

    // Line 14, then line 7: every decode advances one stage (the batch was taken from the queues
    // as they were before any prompt moved).
    for (let i = 0; i < decodes; i++) {
      const id = batch[i];
      const stage = this.queuedAt[id];
      view.decode(id);
      this.left(id);
      this.enqueue(stage + 1, id);
    }

    // Line 13 at stage 0: the first min(entry limit, Q_{1,0}) waiting prompts are prefilled, in
    // order, while their blocks fit (ours, step 3); a prompt evicted in this iteration waits.
    const take = Math.min(this.stageLimit[0], this.queues.size(0));
    const iteration = view.iteration;
    let position = 0;
    for (let i = 0; i < take; i++) {
      const id = this.queues.at(0, position);
      if (this.evictedIn[id] === iteration) {
        position++;
        continue;
      }
      const tokens = view.remainingPrefill(id);
      if (view.blocksToPrefill(id, tokens) > view.freeBlocks()) break;
      view.prefill(id, tokens);
      this.queues.removeAt(0, position);
      this.left(id);
      this.enqueue(this.resumeStage[id], id);
      this.admit(id);
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
      while (k < this.m && this.queues.size(this.firstStage[k]) >= this.thresholds[k]) k++;
      return k;
    }
    let k = 0;
    while (k < this.m) {
      const limit = this.codeEntryLimit(k);
      if (!draining && this.queues.size(this.firstStage[k]) < limit) break;
      this.stageLimit[this.firstStage[k]] = limit;
      k++;
    }
    return k;
  }

  /** `code`: entry limit of segment k, min(n_k, B_k - I_k), at least 0. */
  private codeEntryLimit(k: number): number {
    return Math.min(this.thresholds[k], Math.max(0, this.budgets[k] - this.inside[k]));
  }

  /**
   * The decodes of this iteration as the queues stand: the first min(limit, Q_s) prompts of every
   * non-empty stage s in 1..top, copied into `batch` (left in their queues).
   * @returns how many
   */
  private selectDecodes(top: number): number {
    return this.queues.select(top, 1, this.stageLimit, this.batch);
  }

  /**
   * Evicts the most recently admitted prompts holding KV while the decodes' new blocks exceed the
   * free blocks, re-selecting the decodes after each victim: the victim's own decode leaves the
   * batch (and another prompt of its stage may take its place), so subtracting only the blocks it
   * held would evict too many, possibly every prompt holding KV (then nothing could run).
   * `code`: evicted prompts no longer use their segment's budget, so the entry limits are
   * recomputed after evictions (they can only grow, up to n_k), and the growth checked again.
   * Without this, an iteration that evicted the prompts filling a budget could schedule nothing.
   * Uses `batch` as scratch; the decodes stay in their queues.
   */
  private makeRoomForDecodes(view: EngineView, active: number, top: number): void {
    let decodes = this.selectDecodes(top);
    for (;;) {
      while (this.aTail !== NONE && this.decodeGrowth(view, decodes) > view.freeBlocks()) {
        this.evict(view, this.aTail);
        decodes = this.selectDecodes(top);
      }
      if (this.variant !== 'code' || !this.refreshEntryLimits(active)) return;
      decodes = this.selectDecodes(top);
    }
  }

  /**
   * `code`, after evictions: entry limits of segments 1..active from the current I_k.
   * @returns whether some limit changed
   */
  private refreshEntryLimits(active: number): boolean {
    let changed = false;
    for (let k = 0; k < active; k++) {
      const limit = this.codeEntryLimit(k);
      const entry = this.firstStage[k];
      if (limit !== this.stageLimit[entry]) {
        this.stageLimit[entry] = limit;
        changed = true;
      }
    }
    return changed;
  }

  /** Blocks the first `decodes` prompts of `batch` would allocate now. */
  private decodeGrowth(view: EngineView, decodes: number): number {
    let total = 0;
    for (let i = 0; i < decodes; i++) total += view.blocksToDecode(this.batch[i]);
    return total;
  }

  /** Evicts a prompt holding KV; it re-enters stage 0 as a new arrival. */
  private evict(view: EngineView, id: number): void {
    const stage = this.queuedAt[id];
    view.evict(id);
    this.unadmit(id);
    this.dequeue(id);
    this.resumeStage[id] = this.tokenModel === 'vllm' ? stage + 1 : 1;
    this.evictedIn[id] = view.iteration;
    this.enqueue(0, id);
  }

  /** Queues a prompt at the back of stage `stage`, counting it in I_k. */
  private enqueue(stage: number, id: number): void {
    this.queues.pushBack(stage, id);
    this.queuedAt[id] = stage;
    if (stage > 0) this.queuedPastStage0++;
    const k = this.innerSegment[stage];
    if (k !== NONE) this.inside[k]++;
  }

  /** Takes a queued prompt off its stage queue, uncounting it from I_k. */
  private dequeue(id: number): void {
    this.queues.remove(this.queuedAt[id], id);
    this.left(id);
  }

  /** Bookkeeping of a prompt already off its stage queue: uncounts it from I_k. */
  private left(id: number): void {
    const stage = this.queuedAt[id];
    if (stage > 0) this.queuedPastStage0--;
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
    // An uncalibrated GPU worker has no d0/d1 (NaN): the check is then left out. With a prefill
    // cost d2, segment 1's entry stage prefills n_1 prompts of l tokens per iteration
    // (docs/fluid-benchmark.md, "Prefill"); d2 = 0 is the paper's iteration time.
    const d2 = ctx.machine.d2 ?? 0;
    const dt =
      ctx.machine.d0 + ctx.machine.d1 * mem.mPiTokens + d2 * plan.thresholds[0] * plan.meanPromptTokens;
    if (totalRate > 0 && Number.isFinite(dt)) {
      const limit = plan.thresholds[0] / totalRate;
      if (!(dt < limit)) {
        this.warnings.push(
          `nested-wait: thresholds [${plan.thresholds.join(', ')}] break eq. nested_wait_thresholds: ` +
            `iteration time ${d2 === 0 ? 'd0 + d1 M^pi' : 'd0 + d1 M^pi + d2 n_1 l'} = ${dt.toPrecision(4)} s is not below n_1 / sum lambda = ${limit.toPrecision(4)} s`,
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
