import { z } from 'zod';

/**
 * vLLM V0's admission watermark, shared by the `vllm` and `sarathi` policies: the fraction of the
 * KV blocks that must stay free when a new request is admitted, so that running requests can
 * still grow. Source: vLLM V0 `vllm/core/block_manager_v1.py` (`watermark`,
 * `watermark_blocks = int(watermark * num_gpu_blocks)`); Vidur (commit 7d47513)
 * `vidur/config/config.py` (`watermark_blocks_fraction`, default 0.01) and
 * `vidur/scheduler/replica_scheduler/vllm_replica_scheduler.py`,
 * `sarathi_replica_scheduler.py` (`int(watermark_blocks_fraction * num_blocks)`).
 *
 * Spec field: a number in [0, 0.5], default 0.01.
 */
export const WatermarkSchema = z.number().min(0).max(0.5).default(0.01);

/**
 * Blocks kept free at admission: floor(watermark x capacity).
 * @param watermark fraction of the KV blocks, in [0, 0.5]
 * @param kvCapacityBlocks the machine's KV capacity, blocks
 * @returns blocks (an integer >= 0)
 */
export function watermarkBlocks(watermark: number, kvCapacityBlocks: number): number {
  return Math.floor(watermark * kvCapacityBlocks);
}

/**
 * Scheduler.reservedBlocks of a vLLM V0-style policy: the watermark blocks plus one. A decode
 * continues only while a block is free (makeRoomToDecode, from vLLM V0's `can_append_slots`), so
 * a request alone on the machine can hold at most capacity - 1 blocks, else it evicts itself
 * forever.
 * @param watermark fraction of the KV blocks, in [0, 0.5]
 * @param kvCapacityBlocks the machine's KV capacity, blocks
 * @returns blocks no request can use (an integer >= 1)
 */
export function watermarkReservedBlocks(watermark: number, kvCapacityBlocks: number): number {
  return watermarkBlocks(watermark, kvCapacityBlocks) + 1;
}
