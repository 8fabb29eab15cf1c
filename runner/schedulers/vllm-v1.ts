import { z } from 'zod';
import type { EngineView, Scheduler } from '../engine/scheduler.js';
import { RequestDeque } from './request-deque.js';
import { clusterFields } from './cluster-fields.js';
import { prefixCachingField } from './prefix-caching.js';

/**
 * `vllm-v1` parameters in a sweep spec (see VllmV1Scheduler), zod 4, strict:
 * - `maxNumBatchedTokens`: token budget of one iteration (vLLM `max_num_batched_tokens`), positive
 *   integer, default 2048 (vLLM's serving default on A100);
 * - `maxNumSeqs`: most requests holding KV cache at once (vLLM `max_num_seqs`), positive integer,
 *   default 128 like the other policies here;
 * - `longPrefillTokenThreshold`: largest prefill chunk of one request per iteration, tokens, 0 =
 *   no limit (vLLM `long_prefill_token_threshold`), integer >= 0, default 0.
 */
export const VllmV1SpecSchema = z
  .object({
    policy: z.literal('vllm-v1'),
    prefixCaching: prefixCachingField,
    ...clusterFields,
    maxNumBatchedTokens: z.number().int().positive().max(2_147_483_647).default(2048),
    maxNumSeqs: z.number().int().positive().max(2_147_483_647).default(128),
    longPrefillTokenThreshold: z.number().int().nonnegative().max(2_147_483_647).default(0),
  })
  .strict();

/** A validated `vllm-v1` policy entry, defaults filled in (see VllmV1SpecSchema). */
export type VllmV1Spec = z.infer<typeof VllmV1SpecSchema>;

/**
 * vLLM V1's scheduler (FCFS policy, chunked prefill, no prefix caching).
 * Source: vLLM `vllm/v1/core/sched/scheduler.py` (`Scheduler.schedule`) and
 * `vllm/v1/core/kv_cache_manager.py` (`allocate_slots`).
 *
 * There is no prefill or decode phase: each request has tokens still to compute (the rest of
 * its prompt, or 1 for a decode), and one token budget serves everything:
 * 1. running requests first, in the order they were admitted: each gets min(tokens to compute,
 *    longPrefillTokenThreshold, budget left) tokens and blocks for just those tokens; when the
 *    blocks are not free, the most recently admitted running request is preempted by recompute
 *    (its KV freed, prepended to the waiting queue) until they are, or until the request itself
 *    is the one preempted; then the pass stops;
 * 2. only if nothing was preempted in this iteration, waiting requests are admitted in FIFO
 *    order while the budget lasts and fewer than maxNumSeqs run, each with a chunk of its
 *    prompt (prompt plus produced tokens after a preemption); the first that cannot get its
 *    blocks stops admission. There is no watermark in V1.
 */
export class VllmV1Scheduler implements Scheduler {
  readonly name = 'vllm-v1';
  private readonly waiting = new RequestDeque();
  /** Requests holding KV cache, in admission order; the last is preempted first. */
  private readonly running: number[] = [];

  /** @param params a validated `vllm-v1` entry (see VllmV1SpecSchema) */
  constructor(private readonly params: Omit<VllmV1Spec, 'policy'>) {}

  reservedBlocks(): number {
    return 0;
  }

  onArrival(id: number): void {
    this.waiting.pushBack(id);
  }

  onFinish(id: number): void {
    const i = this.running.indexOf(id);
    if (i >= 0) this.running.splice(i, 1);
  }

  schedule(view: EngineView): void {
    const running = this.running;
    let budget = this.params.maxNumBatchedTokens;
    let preempted = false;

    for (let i = 0; i < running.length && budget > 0; i++) {
      const id = running[i];
      const prefill = view.remainingPrefill(id) > 0;
      const tokens = prefill ? this.chunk(view.remainingPrefill(id), budget) : 1;
      let selfPreempted = false;
      while ((prefill ? view.blocksToPrefill(id, tokens) : view.blocksToDecode(id)) > view.freeBlocks()) {
        const victim = running.pop()!;
        view.evict(victim);
        this.waiting.pushFront(victim);
        preempted = true;
        if (victim === id) {
          selfPreempted = true;
          break;
        }
      }
      if (selfPreempted) break;
      if (prefill) view.prefill(id, tokens);
      else view.decode(id);
      budget -= tokens;
    }

    if (preempted) return;
    while (this.waiting.size > 0 && budget > 0 && running.length < this.params.maxNumSeqs) {
      const id = this.waiting.peekFront();
      const tokens = this.chunk(view.remainingPrefill(id), budget);
      if (view.blocksToPrefill(id, tokens) > view.freeBlocks()) break;
      this.waiting.popFront();
      view.prefill(id, tokens);
      running.push(id);
      budget -= tokens;
    }
  }

  private chunk(remaining: number, budget: number): number {
    const threshold = this.params.longPrefillTokenThreshold;
    return Math.min(remaining, budget, threshold > 0 ? threshold : Infinity);
  }
}
