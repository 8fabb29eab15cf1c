import { z } from 'zod';
import type { EngineView, Scheduler } from '../engine/scheduler.js';
import { RequestDeque } from './request-deque.js';
import { clusterFields } from './cluster-fields.js';
import { prefixCachingField } from './prefix-caching.js';

/**
 * `fcfs` parameters in a sweep spec (see FcfsScheduler), zod 4, strict:
 * - `maxNumSeqs`: most requests holding KV cache at once (the paper compares policies at the
 *   same batch cap), positive integer, default 128;
 * - `evictedTo`: where an evicted request rejoins the waiting queue: `back` (default; as a new
 *   arrival, arXiv 2504.11320v2 §2) or `front`.
 */
export const FcfsSpecSchema = z
  .object({
    policy: z.literal('fcfs'),
    prefixCaching: prefixCachingField,
    ...clusterFields,
    maxNumSeqs: z.number().int().positive().max(2_147_483_647).default(128),
    evictedTo: z.enum(['back', 'front']).default('back'),
  })
  .strict();

/** A validated `fcfs` policy entry, defaults filled in (see FcfsSpecSchema). */
export type FcfsSpec = z.infer<typeof FcfsSpecSchema>;

/**
 * The paper's first-come-first-served strawman (arXiv 2504.11320v2 §2 and §4.1; docs/paper-model.md#fcfs): admit
 * prompts in arrival order whenever memory permits, run every admitted prompt in every iteration
 * (whole-prompt prefill mixed with decodes), and when the KV cache overflows evict the most
 * recently admitted prompts (LIFO) until the rest fit; evicted prompts lose their KV cache and
 * restart from prefill, re-entering the queue as new arrivals.
 *
 * Each iteration: (1) reserve the decode growth of all running prompts, evicting LIFO while it
 * exceeds the free blocks; (2) admit waiting prompts in order while their whole prompt fits in
 * the remaining free blocks and fewer than maxNumSeqs hold KV (head-of-line blocking).
 */
export class FcfsScheduler implements Scheduler {
  readonly name = 'fcfs';
  private readonly waiting = new RequestDeque();
  /** Requests holding KV, in admission order (the last one is the most recently admitted). */
  private running: number[] = [];

  /** @param params a validated `fcfs` entry (see FcfsSpecSchema) */
  constructor(private readonly params: Omit<FcfsSpec, 'policy'>) {}

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
    let growth = 0;
    for (const id of running) growth += view.blocksToDecode(id);
    while (growth > view.freeBlocks()) {
      const victim = running.pop();
      if (victim === undefined) break;
      growth -= view.blocksToDecode(victim);
      view.evict(victim);
      if (this.params.evictedTo === 'front') this.waiting.pushFront(victim);
      else this.waiting.pushBack(victim);
    }
    for (const id of running) {
      if (view.remainingPrefill(id) === 0) view.decode(id);
    }
    while (this.waiting.size > 0 && running.length < this.params.maxNumSeqs) {
      const id = this.waiting.peekFront();
      const tokens = view.remainingPrefill(id);
      if (view.blocksToPrefill(id, tokens) > view.freeBlocks()) break;
      this.waiting.popFront();
      view.prefill(id, tokens);
      running.push(id);
    }
  }
}
