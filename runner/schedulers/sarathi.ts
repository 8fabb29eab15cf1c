import { z } from 'zod';
import type { EngineView, Scheduler } from '../engine/scheduler.js';
import { ArrivalOrderedSet } from './arrival-ordered-set.js';
import { makeRoomToDecode } from './make-room-to-decode.js';
import { RequestDeque } from './request-deque.js';
import { watermarkBlocks, watermarkReservedBlocks, WatermarkSchema } from './watermark.js';
import { clusterFields } from './cluster-fields.js';
import { prefixCachingField } from './prefix-caching.js';

/**
 * `sarathi` parameters in a sweep spec (see SarathiScheduler), zod 4, strict; defaults are Vidur's:
 * - `chunkSize`: token budget of one iteration, shared by decodes (1 each) and prefill chunks
 *   (Vidur `chunk_size`), positive integer, default 512;
 * - `maxNumSeqs`: most requests holding KV cache at once, and most requests in one batch (Vidur
 *   `batch_size_cap`), positive integer, default 128;
 * - `watermark`: fraction of KV blocks kept free at admission (watermark.ts), default 0.01.
 */
export const SarathiSpecSchema = z
  .object({
    policy: z.literal('sarathi'),
    prefixCaching: prefixCachingField,
    ...clusterFields,
    chunkSize: z.number().int().positive().max(2_147_483_647).default(512),
    maxNumSeqs: z.number().int().positive().max(2_147_483_647).default(128),
    watermark: WatermarkSchema,
  })
  .strict();

/** A validated `sarathi` policy entry, defaults filled in (see SarathiSpecSchema). */
export type SarathiSpec = z.infer<typeof SarathiSpecSchema>;

/**
 * Sarathi-Serve chunked prefill with stall-free batching, as Vidur models it (a
 * baseline of arXiv 2504.11320v2 §6). Source: Vidur `vidur/scheduler/replica_scheduler/sarathi_replica_scheduler.py`
 * (commit 7d47513); Agrawal et al., "Taming Throughput-Latency Tradeoff in LLM Inference with
 * Sarathi-Serve", OSDI 2024.
 *
 * Each iteration has a budget of chunkSize tokens:
 * 1. every running request whose prefill is complete decodes (1 token of budget each), in
 *    arrival order; on block shortage the latest-arrived running request not yet scheduled is
 *    evicted to the front of the waiting queue (the request itself if it is the latest);
 * 2. running requests with an unfinished prefill get the next chunk, min(remaining prompt,
 *    budget left);
 * 3. new requests are admitted from the FIFO waiting queue while the budget, the batch cap and
 *    the watermark allow; their whole prompt's KV is reserved at admission and the first chunk
 *    is prefilled in the same iteration. Decodes and prefill chunks share one batch.
 */
export class SarathiScheduler implements Scheduler {
  readonly name = 'sarathi';
  private readonly waiting = new RequestDeque();
  private readonly running = new ArrivalOrderedSet();
  private readonly partialPrefills: number[] = [];

  /** @param params a validated `sarathi` entry (see SarathiSpecSchema) */
  constructor(private readonly params: Omit<SarathiSpec, 'policy'>) {}

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
    const { chunkSize, maxNumSeqs } = this.params;
    const ids = this.running.ids;
    const partial = this.partialPrefills;
    partial.length = 0;
    let budgetUsed = 0;
    let batched = 0;

    // 1. Decodes of running requests, oldest first; collect the unfinished prefills.
    let i = 0;
    while (i < ids.length && batched < maxNumSeqs) {
      const id = ids[i];
      if (view.remainingPrefill(id) > 0) {
        partial.push(id);
        i++;
        continue;
      }
      if (!makeRoomToDecode(view, this.running, i, this.waiting)) break;
      view.decode(id);
      budgetUsed += 1;
      batched++;
      i++;
    }

    // 2. Next chunks of prefills already under way.
    for (const id of partial) {
      const chunk = Math.min(view.remainingPrefill(id), chunkSize - budgetUsed);
      if (chunk <= 0) continue;
      view.prefill(id, chunk);
      budgetUsed += chunk;
      batched++;
    }

    // 3. New requests, FIFO, whole prompt reserved at admission.
    const watermark = watermarkBlocks(this.params.watermark, view.kvCapacityBlocks);
    while (this.waiting.size > 0 && this.running.size < maxNumSeqs && batched < maxNumSeqs) {
      const id = this.waiting.peekFront();
      const target = view.remainingPrefill(id);
      if (view.freeBlocks() - view.blocksToPrefill(id, target) < watermark) break;
      const chunk = Math.min(target, chunkSize - budgetUsed);
      if (chunk <= 0) break;
      this.waiting.popFront();
      view.prefill(id, chunk, view.kvTokens(id) + target);
      this.running.insert(id);
      budgetUsed += chunk;
      batched++;
    }
  }
}
