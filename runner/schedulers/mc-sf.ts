import { z } from 'zod';
import { blocksFor } from '../engine/kv-blocks.js';
import type { EngineView, Scheduler } from '../engine/scheduler.js';
import type { TokenModel } from '../engine/token-model.js';
import { predictOutputLengths } from './output-length-predictor.js';
import type { SchedulerContext } from './scheduler-context.js';
import { clusterFields } from './cluster-fields.js';
import { prefixCachingField } from './prefix-caching.js';

/**
 * `mc-sf` parameters in a sweep spec (see McSfScheduler), zod 4, strict.
 * - `predictor`: `oracle` (true output lengths, default) or `noisy` (see output-length-predictor.ts);
 * - `epsilon`: relative prediction error bound of `noisy`, number >= 0, default 0 (ignored by
 *   `oracle`); a negative value is rejected with a message naming `epsilon`;
 * - `maxNumSeqs`: most requests holding KV cache at once, positive integer, default 128 (the batch
 *   cap the other policies share).
 * Source: MC-SF, Jaillet et al., arXiv 2502.07115 (docs/paper-model.md#mc-sf).
 */
export const McSfSpecSchema = z
  .object({
    policy: z.literal('mc-sf'),
    prefixCaching: prefixCachingField,
    ...clusterFields,
    predictor: z.enum(['oracle', 'noisy']).default('oracle'),
    epsilon: z
      .number({ error: 'epsilon must be a number >= 0 (relative output-length prediction error)' })
      .min(0, { error: 'epsilon must be >= 0 (relative output-length prediction error)' })
      .default(0),
    maxNumSeqs: z.number().int().positive().max(2_147_483_647).default(128),
  })
  .strict();

/** A validated `mc-sf` policy entry, defaults filled in (see McSfSpecSchema). */
export type McSfSpec = z.infer<typeof McSfSpecSchema>;

/**
 * Memory-Constrained Shortest-First (MC-SF; Jaillet et al., arXiv 2502.07115, as described by
 * secondary summaries; docs/paper-model.md#mc-sf).
 *
 * Non-preemptive: a started request runs in every iteration until it finishes (its whole prompt
 * prefilled in its first iteration, then one decode per iteration). Each iteration:
 * 1. every started request continues (decodes);
 * 2. the waiting requests, sorted by predicted output length õ ascending (ties by arrival), are
 *    started one by one while `maxNumSeqs` allows and the *future memory feasibility check* holds;
 *    the first request that fails stops admission (strictly shortest-first, no skipping).
 *
 * Future memory check, in KV blocks of the machine: admitting candidate c keeps, for every future
 * iteration t' >= now, Σ_{i started or admitted} KV_i(t') <= capacity, where KV_i(t') is the
 * number of blocks request i holds in iteration t' under its predicted output length and 0 after
 * its predicted last iteration E_i. A started request's KV grows by one token per iteration, so
 * between two predicted completions the sum only grows: it suffices to check the current
 * iteration and every predicted last iteration E_j >= now of the started requests and of c.
 *
 * Predicted steps and KV, for a request about to be started in iteration `now` with prefill
 * target T (its prompt, or prompt + produced tokens after a `vllm` recompute eviction), g output
 * tokens already produced and prediction õ:
 * - `vllm` token model: the prefill iteration produces a token, so it runs n = max(õ − g, 1)
 *   iterations, holding T + k − 1 KV tokens in its k-th (k = 1..n): peak prompt + õ − 1 (T when õ <= g);
 * - `paper` token model: prefill produces no token (and g = 0 after an eviction), so it runs
 *   n = õ + 1 iterations, holding T + k − 1 tokens in its k-th: peak prompt + õ.
 * Either way the request holds T + (t' − now) tokens in iteration t' ∈ [now, E] with E = now + n − 1,
 * and KV_i(t') = blocksFor(T + t' − now, blockSize) (ceil to whole blocks, exactly what the engine
 * allocates since MC-SF never reserves ahead). A started request's offset (T − now) and E are fixed
 * at its start, because it runs in every iteration. Iterations are the engine's numbers
 * (`view.iteration`), which advance by one per planned iteration while anything is started.
 *
 * Predictions (output-length-predictor.ts): `oracle` is the true length (MC-SF is clairvoyant by
 * design); `noisy` is the true length times a seeded uniform factor in [1 − ε, 1 + ε]. Every
 * prediction is then clamped to the largest output whose predicted peak fits the whole KV cache
 * (capacity·blockSize − prompt, +1 for `vllm`): otherwise an over-predicted request could never pass
 * the check, even on an empty machine. The true length always fits (the engine refuses the workload
 * otherwise), so the clamp never changes an oracle prediction, and an idle machine always starts the
 * shortest waiting request (no `no-progress`).
 *
 * Under-predictions (noisy only): a request still running after its predicted last iteration is
 * treated as finishing after at least 1 more token, i.e. it counts in the current iteration's check
 * only. If the KV cache cannot hold this iteration's decodes, the most recently started requests are
 * evicted (LIFO, as in arXiv 2504.11320v2 §2) until the rest fit, and put back in the waiting list (ordered
 * by their unchanged prediction õ). This is the only case MC-SF evicts; with oracle predictions it
 * never happens and no request is ever preempted.
 *
 * Cost: the policy keeps, for each distinct predicted last iteration E of a started request (the
 * checkpoints), the predicted load Σ KV_i(E), updated incrementally when requests start, finish or
 * are evicted (O(checkpoints) each). Checking a candidate costs O(checkpoints) plus O(started) when
 * its E is a new checkpoint, so an iteration costs O(started · (admitted + 1)), not O(M²).
 * The waiting list is a sorted array (binary-search insertion).
 */
export class McSfScheduler implements Scheduler {
  readonly name = 'mc-sf';
  /** Predicted output length õ of each request (tokens, >= 1), after the capacity clamp. */
  readonly predictedOutput: Int32Array;

  private readonly tokenModel: TokenModel;
  private readonly blockSize: number;
  private readonly capacity: number;
  private readonly maxNumSeqs: number;
  /** Waiting requests sorted by (õ, id) DESCENDING: the last element is admitted next. */
  private readonly waiting: number[] = [];
  /** Started requests (holding KV), in start order: the last one is evicted first. */
  private readonly started: number[] = [];
  /** KV tokens of a started request in iteration t are kvOffset[id] + t. */
  private readonly kvOffset: Float64Array;
  /** Predicted last iteration E of a started request (absolute iteration number). */
  private readonly lastIteration: Float64Array;
  /** Checkpoints, sorted ascending: a predicted last iteration E of some started request ... */
  private readonly cpIteration: number[] = [];
  /** ... the predicted KV blocks in use in iteration E (started requests with E_i >= E) ... */
  private readonly cpLoad: number[] = [];
  /** ... and how many started requests have E as their predicted last iteration. */
  private readonly cpOwners: number[] = [];

  /**
   * @param spec validated `mc-sf` entry (see McSfSpecSchema)
   * @param ctx the run's request list (true output lengths for the predictions), machine, token
   *   model and seed
   * @param predictions optional predicted output lengths (tokens, one per request) that replace the
   *   spec's predictor, for tests that need a given prediction error; still clamped to the capacity
   * @throws RangeError when the predictions do not cover every request, or (noisy) the seed is not
   *   an integer in [0, 2³²)
   */
  constructor(spec: Omit<McSfSpec, 'policy'>, ctx: SchedulerContext, predictions?: ArrayLike<number>) {
    const n = ctx.requests.outputTokens.length;
    this.tokenModel = ctx.tokenModel;
    this.blockSize = ctx.machine.blockSize;
    this.capacity = ctx.machine.kvCapacityBlocks;
    this.maxNumSeqs = spec.maxNumSeqs;
    const raw =
      predictions ?? predictOutputLengths(ctx.requests.outputTokens, spec.predictor, spec.epsilon, ctx.seed);
    if (raw.length !== n) {
      throw new RangeError(`${raw.length} output-length predictions for ${n} requests`);
    }
    const tokensFit = this.capacity * this.blockSize + (this.tokenModel === 'vllm' ? 1 : 0);
    this.predictedOutput = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const fit = tokensFit - ctx.requests.promptTokens[i];
      this.predictedOutput[i] = Math.max(1, Math.min(Math.round(raw[i]), fit));
    }
    this.kvOffset = new Float64Array(n);
    this.lastIteration = new Float64Array(n);
  }

  /** MC-SF keeps no watermark: its future-memory check plans the whole capacity. @returns 0 blocks */
  reservedBlocks(): number {
    return 0;
  }

  /** A request arrived: it joins the waiting list at its (õ, id) position. */
  onArrival(id: number): void {
    this.enqueue(id);
  }

  /** A started request finished (possibly before or after its predicted last iteration). */
  onFinish(id: number, view: EngineView): void {
    const i = this.started.indexOf(id);
    if (i < 0) return;
    this.started.splice(i, 1);
    // Finished in view.iteration: drop its predicted load from the later checkpoints.
    this.forget(id, view.iteration + 1);
  }

  /**
   * Plans one iteration: LIFO evictions if the decodes do not fit (under-predictions only), a
   * decode for every started request, then shortest-predicted-first admission under the future
   * memory check (see the class comment).
   * @throws Error when the engine's machine or token model differs from the SchedulerContext's
   *   (a wiring bug: the predictions and the check would use the wrong capacity)
   */
  schedule(view: EngineView): void {
    if (
      view.blockSize !== this.blockSize ||
      view.kvCapacityBlocks !== this.capacity ||
      view.tokenModel !== this.tokenModel
    ) {
      throw new Error(
        `mc-sf: the engine (${view.kvCapacityBlocks} blocks of ${view.blockSize}, ${view.tokenModel} tokens) is not the context's machine (${this.capacity} blocks of ${this.blockSize}, ${this.tokenModel} tokens)`,
      );
    }
    const now = view.iteration;
    this.dropCheckpointsBefore(now);
    const started = this.started;

    // Under-predictions only: evict the most recently started (LIFO) while the decodes do not fit.
    let growth = 0;
    for (const id of started) growth += view.blocksToDecode(id);
    while (growth > view.freeBlocks()) {
      const victim = started.pop();
      if (victim === undefined) break;
      growth -= view.blocksToDecode(victim);
      this.forget(victim, now);
      view.evict(victim);
      this.enqueue(victim);
    }
    for (const id of started) view.decode(id);

    const waiting = this.waiting;
    while (waiting.length > 0 && started.length < this.maxNumSeqs) {
      if (!this.tryStart(waiting[waiting.length - 1], view, now)) break;
      waiting.pop();
    }
  }

  /**
   * Starts a waiting request in iteration `now` if the future memory check allows it.
   * @returns whether it was started (prefilled, registered in `started` and the checkpoints)
   */
  private tryStart(id: number, view: EngineView, now: number): boolean {
    const bs = this.blockSize;
    const cap = this.capacity;
    const target = view.prefillTarget(id);
    const predictedLeft = Math.max(this.predictedOutput[id] - view.generatedTokens(id), 1);
    const steps = this.tokenModel === 'vllm' ? predictedLeft : predictedLeft + 1;
    const end = now + steps - 1;
    const offset = target - now;

    // The current iteration (includes requests that outlived their prediction).
    if (blocksFor(target, bs) > view.freeBlocks()) return false;
    // Existing checkpoints up to the candidate's predicted last iteration.
    const cpIteration = this.cpIteration;
    const cpLoad = this.cpLoad;
    let k = 0;
    for (; k < cpIteration.length && cpIteration[k] <= end; k++) {
      if (cpLoad[k] + blocksFor(offset + cpIteration[k], bs) > cap) return false;
    }
    // The candidate's own predicted last iteration.
    const exists = k > 0 && cpIteration[k - 1] === end;
    let endLoad = 0;
    if (!exists) {
      endLoad = blocksFor(offset + end, bs);
      for (const j of this.started) {
        if (this.lastIteration[j] >= end) endLoad += blocksFor(this.kvOffset[j] + end, bs);
      }
      if (endLoad > cap) return false;
    }

    // The whole prompt in one chunk: the target, less what the prefix cache already holds (when
    // the run caches prefixes; the memory checks above stay conservative and count it all).
    view.prefill(id, view.remainingPrefill(id));
    this.started.push(id);
    this.kvOffset[id] = offset;
    this.lastIteration[id] = end;
    for (let i = 0; i < k; i++) cpLoad[i] += blocksFor(offset + cpIteration[i], bs);
    if (exists) {
      this.cpOwners[k - 1]++;
    } else {
      cpIteration.splice(k, 0, end);
      cpLoad.splice(k, 0, endLoad);
      this.cpOwners.splice(k, 0, 1);
    }
    return true;
  }

  /**
   * Removes a started request's predicted load from the checkpoints at iterations >= `from` and
   * releases its own checkpoint (removed when no started request ends there any more).
   */
  private forget(id: number, from: number): void {
    const end = this.lastIteration[id];
    const offset = this.kvOffset[id];
    const cpIteration = this.cpIteration;
    for (let k = 0; k < cpIteration.length && cpIteration[k] <= end; k++) {
      if (cpIteration[k] < from) continue;
      this.cpLoad[k] -= blocksFor(offset + cpIteration[k], this.blockSize);
    }
    const k = this.findCheckpoint(end);
    if (k >= 0 && --this.cpOwners[k] === 0) {
      cpIteration.splice(k, 1);
      this.cpLoad.splice(k, 1);
      this.cpOwners.splice(k, 1);
    }
  }

  /** Index of the checkpoint at iteration `iteration`, or -1. */
  private findCheckpoint(iteration: number): number {
    const cpIteration = this.cpIteration;
    let lo = 0;
    let hi = cpIteration.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (cpIteration[mid] === iteration) return mid;
      if (cpIteration[mid] < iteration) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Checkpoints before `now` are in the past: their owners finished or outlived their prediction. */
  private dropCheckpointsBefore(now: number): void {
    let drop = 0;
    while (drop < this.cpIteration.length && this.cpIteration[drop] < now) drop++;
    if (drop > 0) {
      this.cpIteration.splice(0, drop);
      this.cpLoad.splice(0, drop);
      this.cpOwners.splice(0, drop);
    }
  }

  /** Inserts a waiting request at its (õ, id) position (binary search; the array is descending). */
  private enqueue(id: number): void {
    const waiting = this.waiting;
    const p = this.predictedOutput[id];
    let lo = 0;
    let hi = waiting.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const other = waiting[mid];
      const q = this.predictedOutput[other];
      if (q > p || (q === p && other > id)) lo = mid + 1;
      else hi = mid;
    }
    waiting.splice(lo, 0, id);
  }
}
