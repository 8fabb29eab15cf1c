import { z } from 'zod';
import type { EngineView, Scheduler } from '../engine/scheduler.js';
import { InputError } from '../errors.js';
import type { PromptType } from '../fluid/prompt-type.js';
import { requestTypes } from '../fluid/request-types.js';
import {
  checkWaitThresholds,
  codeThresholds,
  fluidThresholds,
  paperThresholds,
  waitTypeBudgets,
} from '../fluid/wait-thresholds.js';
import type { SchedulerContext } from './scheduler-context.js';
import { StageLists } from './stage-lists.js';
import { StageQueues } from './stage-queues.js';
import { clusterFields } from './cluster-fields.js';
import { prefixCachingField } from './prefix-caching.js';

const positiveInt = z.number().int().positive().max(2_147_483_647); // Int32, as the engine holds it

/**
 * `wait` parameters in a sweep spec (see WaitScheduler; arXiv 2504.11320v2 §4):
 * - `thresholds`: n_j, prompts per stage of each type: `paper` (default; the rule the paper states,
 *   B rho_j / S_j, see paperThresholds), `code` (the rule the authors' simulator computes,
 *   B lambda_j / sum_i lambda_i S_i, see codeThresholds), `fluid` (least solution of eq.
 *   wait_thresholds on the machine's d0, d1, see fluidThresholds) or an explicit list of positive
 *   integers, one per type in type order;
 * - `batchCap`: B of the `paper` and `code` rules, requests (default 128, the baselines' batch cap);
 * - `bins`: number of output-length bins that make the types of an untyped workload (default 10,
 *   as for the real data of §6.2; typed workloads use their declared types);
 * - `variant`: which batch rule runs: `paper` (default; Algorithm 1 as printed) or `code` (the
 *   authors' simulator, "modified booking limit", docs/paper-model.md#the-authors-simulator); see
 *   WaitScheduler.
 */
export const WaitSpecSchema = z
  .object({
    policy: z.literal('wait'),
    prefixCaching: prefixCachingField,
    ...clusterFields,
    thresholds: z.union([z.enum(['paper', 'code', 'fluid']), z.array(positiveInt).min(1)]).default('paper'),
    batchCap: positiveInt.default(128),
    bins: positiveInt.max(1_000_000).default(10),
    variant: z.enum(['paper', 'code']).default('paper'),
  })
  .strict();

/** A validated `wait` policy entry (defaults filled in). */
export type WaitSpec = z.infer<typeof WaitSpecSchema>;

/** Batch rule of a WAIT run: `paper` or `code` (see WaitScheduler). */
export type WaitVariant = WaitSpec['variant'];

/** Thresholds of a WAIT run from its spec (arXiv 2504.11320v2 §4, §6.1). @throws InputError naming `thresholds` */
function resolveThresholds(spec: WaitSpec, types: PromptType[], ctx: SchedulerContext): number[] {
  const { d0, d1, d2 = 0 } = ctx.machine;
  if (Array.isArray(spec.thresholds)) {
    if (spec.thresholds.length !== types.length) {
      throw new InputError(
        `thresholds: ${spec.thresholds.length} value(s) given but the workload has ${types.length} prompt type(s); ` +
          `give one threshold per type, in type order`,
        { field: 'thresholds' },
      );
    }
    const bad = spec.thresholds.find((x) => !(Number.isSafeInteger(x) && x >= 1));
    if (bad !== undefined) {
      throw new InputError(`thresholds: ${bad} is not a positive integer`, { field: 'thresholds' });
    }
    return [...spec.thresholds];
  }
  if (spec.thresholds === 'fluid') {
    if (!(Number.isFinite(d0) && Number.isFinite(d1))) {
      throw new InputError(
        "thresholds: fluid needs the machine's linear iteration-time model (d0, d1), and this GPU worker has no calibration yet: run `schedbench profile` first, or use paper, code or a list",
        { field: 'thresholds' },
      );
    }
    try {
      return fluidThresholds(types, d0, d1, ctx.tokenModel, d2);
    } catch (e) {
      if (e instanceof RangeError) {
        throw new InputError(`thresholds: fluid: ${e.message}`, { field: 'thresholds' });
      }
      throw e;
    }
  }
  if (spec.thresholds === 'code') return codeThresholds(types, spec.batchCap, ctx.tokenModel);
  return paperThresholds(types, spec.batchCap, ctx.tokenModel);
}

/**
 * WAIT, Waiting for Accumulated Inference Threshold (arXiv 2504.11320v2 §4), in two variants
 * (`variant`): `paper`, Algorithm 1 as printed, and `code`, the rule of the authors' simulator
 * (`modified_booking_limit_replica_scheduler.py`, docs/paper-model.md#the-authors-simulator).
 *
 * Every request has a type j (known at arrival: a typed workload's declared types, else its
 * output-length bin, see requestTypes) and a stage s = iterations it has completed: with
 * tokenModel `paper` stage 0 is the whole-prompt prefill and stage s >= 1 the decode of token s
 * (S_j = l'+1 stages); with `vllm` the prefill also produces token 1 and stage s >= 1 produces
 * token s+1 (S_j = l' stages). A prompt at a stage s >= 1 is "in flight". n_j is the per-stage
 * threshold of type j (`thresholds`, eq. wait_thresholds). The policy keeps one FIFO queue per
 * (type, stage) and, each iteration:
 *
 * 1. Whether a batch forms, and with which types.
 *    - `paper`: the types taking part are those with n_j0 >= n_j (prompts at stage 0 at least the
 *      threshold); other types pause with their KV cache kept (counted as preemptions by the
 *      engine). So a type's prompts in flight advance only when n_j new prompts of that type have
 *      accumulated: at light load a prompt moves about one stage per n_j arrivals of its type.
 *    - `code`: with the type budget b_j = n_j S_j (S_j of the type's declared or mean output length,
 *      stagesAndMeanMemory) and k_j = min(n_j, floor(b_j - type-j prompts in flight)), a batch
 *      forms as soon as ANY type has n_j0 >= k_j (the authors' commit "add modified, not wait for
 *      others"), and every type takes part. When no type qualifies nothing runs and the engine
 *      waits for the next arrival. With declared types and no evictions no stage holds more than
 *      n_j prompts, so b_j - in flight >= n_j and k_j = n_j: the batch forms when some type has
 *      n_j waiting, and then moves the prompts in flight of every type. (The authors' budget is
 *      the unrounded share total_limit lambda_j S_j / sum_i lambda_i S_i, truncated by int() after
 *      subtracting; n_j S_j equals it up to the rounding of n_j and is defined for every threshold
 *      rule, `fluid` and explicit lists included, which have no total limit. See waitTypeBudgets.)
 *    - Drain rule (both): once every request of the run has arrived (onArrival called
 *      requests.arrival.length times), the stage-0 condition is waived: with `paper` every type
 *      with a request left takes part whatever its stage-0 count, with `code` a batch forms
 *      whatever the stage-0 counts. Leftover prompts are never dropped (the authors' code drops
 *      them, `force_clear`, docs/paper-model.md#the-authors-simulator).
 * 2. Which prompts of a taking-part type run.
 *    - `paper`: the first min(n_j, n_js) prompts of each stage queue s >= 1 (all of them in the
 *      drain; without evictions no stage holds more than n_j anyway) and the first min(n_j, n_j0)
 *      prompts at stage 0.
 *    - `code`: all of its prompts in flight and the first min(k_j, n_j0) prompts at stage 0 (none
 *      when k_j <= 0: only after evictions, or in a binned type whose prompts outlive its mean
 *      S_j), the drain included.
 *    Prompts in flight decode (or, after a `vllm` eviction, re-prefill: see 4); stage-0 prompts
 *    are prefilled whole.
 * 3. KV overflow (both variants; the authors' code has no memory check, docs/paper-model.md): if the
 *    decodes' new blocks exceed the free blocks, the most recently admitted prompts holding KV
 *    (admission = a prefill giving the prompt its KV) are evicted, LIFO (arXiv 2504.11320v2 §2), until
 *    they fit; an evicted prompt in the batch leaves it. Prefills (re-prefills first, then new
 *    prompts in type order) are the latest admissions, so they are never the cause of an
 *    eviction: they join the batch in order while their blocks fit, and the first that does not
 *    fit stops the rest (they stay at the head of their queues). With thresholds satisfying
 *    C >= M^pi (checkWaitThresholds) nothing is ever evicted or held back, in either variant.
 * 4. An evicted prompt (tokenModel `paper`) restarts from stage 0 at the back of its type's
 *    stage-0 queue, like a new arrival (arXiv 2504.11320v2 §2); with `vllm` it keeps its produced tokens
 *    and its stage, stays at (or returns to the head of) its stage queue, and runs that stage
 *    as a re-prefill of prompt + produced tokens, which occupies the same KV as the decode would.
 *
 * Progress: in the drain phase every prompt holding KV is in the batch and the oldest admitted
 * one is never evicted (its whole peak fits the machine), and with no KV in use the first
 * prefill fits (with `code`, a type with k_j <= 0 has prompts in flight, which run); so every
 * request completes and the engine's no-progress rule never fires.
 *
 * Warnings from checkWaitThresholds are recorded on the run at the first schedule() call.
 * The output length is read through view.oracleOutputTokens only to know in which iteration a
 * prompt leaves its last stage (bookkeeping; the decisions use the type alone).
 *
 * Data structures: the stage-0 queue of each type (StageQueues, stage-queues.ts, shared with
 * Nested WAIT), the (type, stage >= 1) queues as one list per type in batch-walk order
 * (StageLists, stage-lists.ts) and the admission order of the prompts holding KV (an intrusive
 * list), so an iteration costs O(types + prompts in flight of the types taking part), plus
 * O(prompts in flight of the victim's type) per eviction. When nothing can be evicted and a
 * type's walk takes all its prompts in flight (no stage over its limit), they decode and move
 * up a stage in place in the list (StageLists.wholeWalk); the result is the same as taking them
 * off their queues and pushing them back one stage higher.
 */
export class WaitScheduler implements Scheduler {
  readonly name = 'wait';
  /** The run's prompt types, in type order. */
  readonly types: readonly PromptType[];
  /** n_j per type: prompts per stage (eq. wait_thresholds). */
  readonly thresholds: readonly number[];
  /** Batch rule (see the class comment). */
  readonly variant: WaitVariant;

  /** Requests that will arrive: the run's, or those arrived when the cluster says no more come. */
  private n: number;
  private readonly typeOf: Int32Array;
  private readonly cap: Int32Array;
  /** `code` variant: type budget b_j = n_j S_j, prompts (not an integer for binned types). */
  private readonly budget: Float64Array;
  /** 1 with tokenModel `paper` (l'+1 stages), 0 with `vllm` (l' stages). */
  private readonly extraStage: number;
  /** Stage-0 queue of type j: queue j. */
  private readonly stage0: StageQueues;
  /** The type-j prompts at stages s >= 1 (stage of a request: stageOf). */
  private readonly inFlight: StageLists;
  /** Requests of type j still in its queues (arrived, not in their last iteration). */
  private readonly queued: Int32Array;
  private readonly stageOf: Int32Array;
  /** Round in which a request was planned to decode (0 = not planned). */
  private readonly plannedIn: Int32Array;
  private round = 0;
  /** Type j's prompts in flight that must re-prefill (evicted with tokenModel `vllm`, not yet prefilled again). */
  private readonly reprefills: Int32Array;
  private arrived = 0;
  /** KV holders in admission order (doubly linked; the tail is evicted first). */
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly linked: Uint8Array;
  private tail = -1;
  /** Plan buffers of the iteration being scheduled. */
  private readonly picked: Int32Array;
  private readonly segmentType: Int32Array;
  /** The taking-part types of the iteration being planned, with their limits (see schedule). */
  private readonly partType: Int32Array;
  private readonly partStageCap: Float64Array;
  private readonly partStage0Cap: Float64Array;
  /** Prompts of partType[p]'s stage-0 queue that may be admitted this iteration (from its front). */
  private readonly admitCount: Int32Array;
  /** The stage a request leaves after: its output length + extraStage (read at its arrival). */
  private readonly lastStage: Int32Array;
  private readonly segmentEnd: Int32Array;
  private readonly decodes: Int32Array;
  private readonly prefills: Int32Array;
  private pendingWarnings: string[] | null;

  /**
   * @param spec a validated `wait` entry
   * @param ctx the run's context: request list, rate, declared types, machine (d0, d1, d2 and KV
   *   capacity for `fluid` thresholds and the threshold check), token model
   * @throws InputError naming `thresholds` when an explicit list has a length other than the
   *   number of types, or `fluid` thresholds do not exist (load >= 1)
   */
  constructor(spec: WaitSpec, ctx: SchedulerContext) {
    const n = ctx.requests.arrival.length;
    this.n = n;
    this.extraStage = ctx.tokenModel === 'paper' ? 1 : 0;
    this.variant = spec.variant;
    if (n === 0) {
      this.types = [];
      this.thresholds = [];
      this.typeOf = new Int32Array(0);
      this.pendingWarnings = null;
    } else {
      const { types, typeOf } = requestTypes(ctx.requests, ctx.rateRps, ctx.declaredTypes, spec.bins);
      const thresholds = resolveThresholds(spec, types, ctx);
      const { d0, d1, d2 = 0, kvCapacityBlocks, blockSize } = ctx.machine;
      this.types = types;
      this.thresholds = thresholds;
      this.typeOf = typeOf;
      const warnings = checkWaitThresholds(
        types,
        thresholds,
        d0,
        d1,
        kvCapacityBlocks * blockSize,
        ctx.tokenModel,
        d2,
      );
      this.pendingWarnings = warnings.length > 0 ? warnings : null;
    }
    const m = this.types.length;
    this.cap = Int32Array.from(this.thresholds);
    this.budget = Float64Array.from(waitTypeBudgets(this.types, this.thresholds, ctx.tokenModel));
    this.stage0 = new StageQueues(m, n);
    this.queued = new Int32Array(m);
    this.reprefills = new Int32Array(m);
    this.stageOf = new Int32Array(n);
    this.inFlight = new StageLists(this.typeOf, m, this.stageOf);
    this.plannedIn = new Int32Array(n);
    this.prev = new Int32Array(n);
    this.next = new Int32Array(n);
    this.linked = new Uint8Array(n);
    this.picked = new Int32Array(n);
    this.segmentType = new Int32Array(m);
    this.partType = new Int32Array(m);
    this.partStageCap = new Float64Array(m);
    this.partStage0Cap = new Float64Array(m);
    this.admitCount = new Int32Array(m);
    this.lastStage = new Int32Array(n);
    this.segmentEnd = new Int32Array(m);
    this.decodes = new Int32Array(n);
    this.prefills = new Int32Array(n);
  }

  reservedBlocks(): number {
    return 0;
  }

  /** A cluster routed its last request: the requests arrived here are all this replica gets (drain). */
  noMoreArrivals(): void {
    this.n = this.arrived;
  }

  onArrival(id: number, view: EngineView): void {
    this.lastStage[id] = view.oracleOutputTokens(id) + this.extraStage;
    this.arrived++;
    const j = this.typeOf[id];
    this.stageOf[id] = 0;
    this.stage0.pushBack(j, id);
    this.queued[j]++;
  }

  onFinish(id: number): void {
    this.unlink(id);
  }

  schedule(view: EngineView): void {
    if (this.pendingWarnings) {
      for (const w of this.pendingWarnings) view.warn(w);
      this.pendingWarnings = null;
    }
    const drain = this.arrived === this.n;
    const code = this.variant === 'code';
    // 1. `code`: nothing runs unless some type qualifies (or all requests have arrived).
    if (code && !drain && !this.someTypeQualifies()) return;
    const round = ++this.round;
    const { stage0, inFlight, picked, decodes, prefills, plannedIn } = this;
    const { partType, partStageCap, partStage0Cap, admitCount, segmentType, segmentEnd } = this;

    // 1. The taking-part types, with the most prompts each runs per stage s >= 1 and at stage 0.
    let parts = 0;
    let listed = 0;
    let allWhole = true;
    for (let j = 0; j < this.types.length; j++) {
      let stageCap: number;
      let stage0Cap: number;
      if (code) {
        if (this.queued[j] === 0) continue;
        stageCap = Infinity;
        stage0Cap = this.stage0Limit(j);
      } else {
        const cap = this.cap[j];
        if (drain ? this.queued[j] === 0 : stage0.size(j) < cap) continue;
        stageCap = drain ? Infinity : cap;
        stage0Cap = cap;
      }
      partType[parts] = j;
      partStageCap[parts] = stageCap;
      partStage0Cap[parts++] = stage0Cap;
      listed += inFlight.size(j);
      if (inFlight.wholeWalk(j, stageCap) < 0) allWhole = false;
    }
    // Nothing is evicted (3.) when the decodes' new blocks fit in the free blocks: surely when the
    // prompts in flight of the taking-part types do (a decode adds at most one block), else
    // counted when the walk takes every one of them (all but the re-prefills decode). Then each
    // type's decodes run as soon as it is planned (in the same order as after planning every type).
    const free = view.freeBlocks();
    let roomy = listed <= free;
    if (!roomy && allWhole) {
      let need = 0;
      for (let p = 0; p < parts; p++) {
        const j = partType[p];
        const count = inFlight.size(j);
        const start = inFlight.listStart(j);
        const reprefills = this.reprefills[j] > 0;
        for (let i = start; i < start + count; i++) {
          const id = inFlight.items[i];
          if (!(reprefills && view.remainingPrefill(id) > 0)) need += view.blocksToDecode(id);
        }
      }
      roomy = need <= free;
    }

    // 2. Plan: pop the prompts of every taking-part type off their stage queues, in type order.
    // Unless roomy, the decodes of segmentType[g] are decodes[segmentEnd[g - 1] .. segmentEnd[g]).
    let segments = 0;
    let nd = 0;
    let np = 0;
    for (let p = 0; p < parts; p++) {
      const j = partType[p];
      const stageCap = partStageCap[p];
      // Stages s >= 1, highest first: the first min(limit, n_js) prompts of each; they decode,
      // or re-prefill when evicted since their last stage.
      const whole = roomy ? inFlight.wholeWalk(j, stageCap) : -1;
      if (whole >= 0) {
        np = this.decodeInPlace(j, whole, np, view);
      } else {
        const from = nd;
        if (this.reprefills[j] === 0) {
          nd += inFlight.take(j, stageCap, decodes, nd);
        } else {
          const taken = inFlight.take(j, stageCap, picked, 0);
          for (let i = 0; i < taken; i++) {
            const id = picked[i];
            if (view.remainingPrefill(id) > 0) prefills[np++] = id;
            else decodes[nd++] = id;
          }
        }
        if (roomy) {
          this.decodeTaken(j, from, nd, false, view);
          nd = from;
        } else {
          segmentType[segments] = j;
          segmentEnd[segments++] = nd;
        }
      }
      admitCount[p] = Math.max(0, Math.min(partStage0Cap[p], stage0.size(j)));
    }

    if (!roomy) {
      // 3. Make room for the decodes, evicting the most recently admitted KV holders.
      // A decode adds at most one block, so nd free blocks always suffice.
      let evicted = false;
      if (nd > view.freeBlocks()) {
        let need = 0;
        for (let i = 0; i < nd; i++) {
          need += view.blocksToDecode(decodes[i]);
          plannedIn[decodes[i]] = round;
        }
        while (need > view.freeBlocks() && this.tail >= 0) {
          const victim = this.tail;
          const planned = plannedIn[victim] === round;
          if (planned) {
            need -= view.blocksToDecode(victim);
            plannedIn[victim] = 0;
          }
          this.evict(victim, planned, view);
          evicted = true;
        }
      }
      for (let g = 0, from = 0; g < segments; g++) {
        this.decodeTaken(segmentType[g], from, segmentEnd[g], evicted, view);
        from = segmentEnd[g];
      }
    }

    // Prefills: re-prefills, then new prompts (the first admitCount[p] of each taking-part type's
    // stage-0 queue, which stay queued until admitted), while their blocks fit.
    let admitted = 0;
    for (; admitted < np; admitted++) {
      const id = prefills[admitted];
      const tokens = view.remainingPrefill(id);
      if (view.blocksToPrefill(id, tokens) > view.freeBlocks()) break;
      view.prefill(id, tokens);
      this.reprefills[this.typeOf[id]]--;
      this.link(id);
      this.advance(id);
    }
    if (admitted === np) {
      admit: for (let p = 0; p < parts; p++) {
        const j = partType[p];
        for (let k = admitCount[p]; k > 0; k--) {
          const id = stage0.at(j, 0);
          const tokens = view.remainingPrefill(id);
          if (view.blocksToPrefill(id, tokens) > view.freeBlocks()) break admit;
          stage0.popFront(j);
          view.prefill(id, tokens);
          this.link(id);
          this.advance(id);
        }
      }
    }
    // Re-prefills that did not fit return to the front of their stage.
    for (let i = np - 1; i >= admitted; i--) inFlight.pushFront(this.typeOf[prefills[i]], prefills[i]);
    inFlight.settle();
  }

  /**
   * `code` variant: k_j = min(n_j, floor(b_j - type-j prompts in flight)), the stage-0 count that
   * qualifies type j and the most stage-0 prompts it runs; <= 0 when the budget is spent. Read
   * before any of type j's prompts leave their queues for this iteration's batch.
   */
  private stage0Limit(j: number): number {
    const inFlight = this.queued[j] - this.stage0.size(j);
    return Math.min(this.cap[j], Math.floor(this.budget[j] - inFlight));
  }

  /**
   * Decodes the taken prompts decodes[from, to) of type j in order (skipping the planned ones
   * evicted this round when `evicted`), then re-lists those with a stage left one stage higher
   * (see advance), in the same order.
   */
  private decodeTaken(j: number, from: number, to: number, evicted: boolean, view: EngineView): void {
    const { decodes, plannedIn, stageOf, round } = this;
    let next = from;
    for (let i = from; i < to; i++) {
      const id = decodes[i];
      if (evicted && plannedIn[id] !== round) continue;
      view.decode(id);
      const s = stageOf[id] + 1;
      if (s >= this.lastStage[id]) {
        this.queued[j]--;
      } else {
        stageOf[id] = s;
        decodes[next++] = id;
      }
    }
    this.inFlight.pushBackAll(j, decodes, from, next);
  }

  /**
   * The same as taking type j's whole list (`count` prompts, StageLists.wholeWalk), sorting out
   * the re-prefills and decodeTaken, without moving the prompts that decode: each moves up one
   * stage in place in the lists' storage, or leaves after its last stage. The re-prefills leave
   * the list for prefills[np ..] (they return to it when prefilled or held back).
   * @returns the new number of prefills
   */
  private decodeInPlace(j: number, count: number, np: number, view: EngineView): number {
    const { inFlight, stageOf, lastStage, prefills } = this;
    const items = inFlight.items;
    const start = inFlight.listStart(j);
    const reprefills = this.reprefills[j] > 0;
    let kept = start;
    for (let i = start; i < start + count; i++) {
      const id = items[i];
      if (reprefills && view.remainingPrefill(id) > 0) {
        prefills[np++] = id;
        continue;
      }
      view.decode(id);
      const s = stageOf[id] + 1;
      if (s >= lastStage[id]) {
        this.queued[j]--;
      } else {
        stageOf[id] = s;
        items[kept++] = id;
      }
    }
    inFlight.endWholeWalk(j, kept - start);
    return np;
  }

  /** `code` variant: whether some type has n_j0 >= k_j (a batch forms). */
  private someTypeQualifies(): boolean {
    for (let j = 0; j < this.types.length; j++) {
      if (this.stage0.size(j) >= this.stage0Limit(j)) return true;
    }
    return false;
  }

  /**
   * Moves a request that runs this iteration to its next stage, or out when this is its last.
   * (schedule does the same for the decodes inline, a type at a time.)
   */
  private advance(id: number): void {
    const j = this.typeOf[id];
    const s = this.stageOf[id] + 1;
    if (s >= this.lastStage[id]) {
      this.queued[j]--;
      return;
    }
    this.stageOf[id] = s;
    this.inFlight.pushBack(j, id);
  }

  /**
   * Evicts a KV holder and puts it where it restarts (see the class comment, point 4).
   * @param planned whether it was popped off its queue for this iteration's batch
   */
  private evict(id: number, planned: boolean, view: EngineView): void {
    const j = this.typeOf[id];
    this.unlink(id);
    view.evict(id);
    if (view.tokenModel === 'paper') {
      if (!planned) this.inFlight.remove(j, id);
      this.stageOf[id] = 0;
      this.stage0.pushBack(j, id);
    } else {
      this.reprefills[j]++;
      if (planned) this.inFlight.pushFront(j, id);
    }
  }

  private link(id: number): void {
    this.linked[id] = 1;
    this.prev[id] = this.tail;
    this.next[id] = -1;
    if (this.tail >= 0) this.next[this.tail] = id;
    this.tail = id;
  }

  private unlink(id: number): void {
    if (!this.linked[id]) return;
    this.linked[id] = 0;
    const p = this.prev[id];
    const q = this.next[id];
    if (p >= 0) this.next[p] = q;
    if (q >= 0) this.prev[q] = p;
    else this.tail = p;
  }
}
