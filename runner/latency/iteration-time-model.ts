import type { BatchShape } from './batch-shape.js';

/**
 * Predicts how long one iteration (one batch) takes on a machine. Implementations: `linear`
 * (arXiv 2504.11320v2 §2, eq. time_consump). Later: profile-based (Vidur operator tables) and
 * fitted-from-a-GPU-worker models implement the same interface.
 */
export interface IterationTimeModel {
  /** Model kind, e.g. `linear`. */
  readonly kind: string;
  /**
   * Duration of one iteration, seconds, > 0.
   * @param batch the batch's shape; never empty (the engine does not run empty batches)
   */
  iterationTime(batch: BatchShape): number;
  /** Parameters for reports and storage, e.g. `{d0: 0.0113, d1: 2.68e-7}`. */
  describe(): Record<string, number | string>;
}
