import type { BatchShape } from '../latency/batch-shape.js';

/**
 * One planned iteration as an {@link IterationExecutor} sees it. The engine reuses this object and
 * its arrays from one iteration to the next: read it during `execute`, never keep it.
 */
export interface IterationBatch {
  /** 1-based iteration number within the run. */
  iteration: number;
  /** Run clock at the start of the iteration, seconds. */
  startS: number;
  /** The batch: prefill chunks (with their cached tokens before the chunk) and decodes. */
  readonly shape: BatchShape;
  /** Request indices of the prefill chunks, valid on [0, shape.numPrefills). */
  readonly prefillIds: Int32Array;
  /** Request indices of the decodes, valid on [0, shape.numDecodes). */
  readonly decodeIds: Int32Array;
  /**
   * Requests whose KV cache the engine dropped since the previous executed batch (finished, or
   * evicted by the policy while planning this batch), valid on [0, numReleased). An executor that
   * holds real KV must free these before running the batch.
   */
  readonly released: Int32Array;
  numReleased: number;
}

/**
 * Executes the engine's batches somewhere real (a GPU worker) instead of predicting their
 * duration with an iteration-time model; see simulateOn in replica-engine.ts.
 *
 * Token positions follow the engine's token model: a prefill chunk of `c` tokens for a request
 * with `prefillKvBefore` cached tokens covers positions [kvBefore, kvBefore + c); a decode writes
 * the token at position (cached tokens) and produces the next one.
 */
export interface IterationExecutor {
  /**
   * Runs one batch.
   * @returns how far the run's clock advances, seconds (> 0, finite)
   * @throws whatever the executor's transport throws; the run then fails
   */
  execute(batch: IterationBatch): Promise<number>;
  /**
   * Called when the engine's clock jumps over an idle gap to time `t` (seconds of the run's clock),
   * before the next batch is executed. A wall-clock executor waits until then; a virtual clock
   * ignores it.
   */
  waitUntil?(t: number): Promise<void>;
}
