import type { BatchShape } from './batch-shape.js';
import type { IterationTimeModel } from './iteration-time-model.js';

/**
 * The paper's linear iteration time (arXiv 2504.11320v2 §2, eq. time_consump):
 *
 *   tau = d0 + d1 * (prompt tokens prefilled in the batch + KV tokens of every decoding request)
 *
 * d0 is the fixed per-iteration overhead (seconds), d1 the time per KV token touched (seconds per
 * token). Exact for decode-only batches, an approximation for mixed batches (the paper, §2).
 */
export class LinearIterationTimeModel implements IterationTimeModel {
  readonly kind = 'linear';

  /**
   * @param d0 fixed overhead per iteration, seconds, >= 0
   * @param d1 seconds per KV token touched, >= 0; d0 + d1 must be > 0
   * @throws RangeError on negative or non-finite coefficients
   */
  constructor(
    readonly d0: number,
    readonly d1: number,
  ) {
    if (!(Number.isFinite(d0) && d0 >= 0 && Number.isFinite(d1) && d1 >= 0 && d0 + d1 > 0)) {
      throw new RangeError(
        `linear model needs finite d0 >= 0 and d1 >= 0, not both 0 (got d0=${d0}, d1=${d1})`,
      );
    }
  }

  iterationTime(batch: BatchShape): number {
    return this.d0 + this.d1 * (batch.totalPrefillTokens + batch.decodeKvTokens);
  }

  describe(): Record<string, number | string> {
    return { model: 'linear', d0: this.d0, d1: this.d1 };
  }
}
