import { z } from 'zod';
import type { EngineView, Scheduler } from '../engine/scheduler.js';
import { ArrivalOrderedSet } from './arrival-ordered-set.js';
import { makeRoomToDecode } from './make-room-to-decode.js';
import { RequestDeque } from './request-deque.js';
import { watermarkBlocks, watermarkReservedBlocks, WatermarkSchema } from './watermark.js';
import { clusterFields } from './cluster-fields.js';
import { prefixCachingField } from './prefix-caching.js';

/**
 * `vllm` parameters in a sweep spec (see VllmScheduler), zod 4, strict; defaults are vLLM V0's /
 * Vidur's:
 * - `maxNumSeqs`: most requests holding KV cache at once (vLLM `max_num_seqs`, Vidur
 *   `batch_size_cap`), positive integer, default 128;
 * - `maxNumBatchedTokens`: token limit of a prefill batch, counted as requests x longest prompt
 *   (Vidur `max_tokens_in_batch`), positive integer, default 4096;
 * - `watermark`: fraction of KV blocks kept free at admission (watermark.ts), default 0.01.
 */
export const VllmSpecSchema = z
  .object({
    policy: z.literal('vllm'),
    prefixCaching: prefixCachingField,
    ...clusterFields,
    maxNumSeqs: z.number().int().positive().max(2_147_483_647).default(128),
    maxNumBatchedTokens: z.number().int().positive().max(2_147_483_647).default(4096),
    watermark: WatermarkSchema,
  })
  .strict();

/** A validated `vllm` policy entry, defaults filled in (see VllmSpecSchema). */
export type VllmSpec = z.infer<typeof VllmSpecSchema>;

/**
 * vLLM V0's default scheduler as Vidur models it (a baseline of arXiv 2504.11320v2 §6).
 * Source: Vidur `vidur/scheduler/replica_scheduler/vllm_replica_scheduler.py` (commit 7d47513)
 * and vLLM V0 `vllm/core/scheduler.py`, `vllm/core/block_manager_v1.py` (`can_append_slots`).
 *
 * - Prefill first: while the head of the FIFO waiting queue fits (free blocks minus its prompt
 *   blocks stay at or above the watermark; requests x longest prompt <= maxNumBatchedTokens;
 *   fewer than maxNumSeqs requests hold KV), admit it and prefill its whole prompt. The first
 *   request that does not fit blocks the queue (head-of-line blocking).
 * - If anything was admitted, the iteration is prefill-only: prefill and decode never mix.
 * - Otherwise decode every running request in arrival order. A request continues only while at
 *   least one block is free (vLLM V0 requires a free block per running sequence); if none is,
 *   the most recently arrived running request not yet scheduled is evicted and put at the front
 *   of the waiting queue (recompute); if the request itself is the latest, it is evicted.
 *
 * Oversized prompts: a prompt longer than maxNumBatchedTokens would block the queue
 * forever in Vidur (real vLLM refuses such a configuration at start-up). Our choice: it is
 * admitted alone in its own prefill iteration and the run records a warning, so no request vanishes.
 */
export class VllmScheduler implements Scheduler {
  readonly name = 'vllm';
  private readonly waiting = new RequestDeque();
  private readonly running = new ArrivalOrderedSet();

  /** @param params a validated `vllm` entry (see VllmSpecSchema) */
  constructor(private readonly params: Omit<VllmSpec, 'policy'>) {}

  /** The watermark blocks plus the free block every decode needs (see watermarkReservedBlocks). */
  reservedBlocks(kvCapacityBlocks: number): number {
    return watermarkReservedBlocks(this.params.watermark, kvCapacityBlocks);
  }

  onArrival(id: number): void {
    this.waiting.pushBack(id);
  }

  onFinish(id: number): void {
    this.running.remove(id);
  }

  schedule(view: EngineView): void {
    if (this.admitPrefills(view) > 0) return;
    this.decodeRunning(view);
  }

  private admitPrefills(view: EngineView): number {
    const { maxNumSeqs, maxNumBatchedTokens } = this.params;
    const watermark = watermarkBlocks(this.params.watermark, view.kvCapacityBlocks);
    let admitted = 0;
    let longest = 0;
    while (this.waiting.size > 0) {
      const id = this.waiting.peekFront();
      const tokens = view.remainingPrefill(id);
      if (view.freeBlocks() - view.blocksToPrefill(id, tokens) < watermark) break;
      const nextLongest = Math.max(longest, tokens);
      const oversized = (admitted + 1) * nextLongest > maxNumBatchedTokens;
      if (oversized && admitted > 0) break;
      if (this.running.size >= maxNumSeqs) break;
      if (oversized)
        view.warn(`prompt longer than maxNumBatchedTokens (${maxNumBatchedTokens}) prefilled alone`);
      this.waiting.popFront();
      view.prefill(id, tokens);
      this.running.insert(id);
      admitted++;
      longest = nextLongest;
      if (oversized) break;
    }
    return admitted;
  }

  private decodeRunning(view: EngineView): void {
    const ids = this.running.ids;
    for (let i = 0; i < ids.length; i++) {
      if (!makeRoomToDecode(view, this.running, i, this.waiting)) return;
      view.decode(ids[i]);
    }
  }
}
