import type { BatchShape } from './batch-shape.js';
import type { IterationTimeModel } from './iteration-time-model.js';

/**
 * The paper's linear iteration time (arXiv 2504.11320v2 §2, eq. time_consump) with an optional
 * cost per prefilled prompt token (docs/fluid-benchmark.md, "Prefill"):
 *
 *   tau = d0 + d1 * (prompt tokens prefilled in the batch + KV tokens of every decoding request)
 *            + d2 * (prompt tokens prefilled in the batch)
 *
 * d0 is the fixed per-iteration overhead (seconds), d1 the time per KV token touched (seconds per
 * token), d2 the extra time per prompt token prefilled (seconds per token). d2 = 0 (the default)
 * is the paper's model, exact for decode-only batches and an approximation for mixed batches
 * (the paper, §2); d2 > 0 prices prompt processing, which the paper's d1 alone makes nearly free
 * on real machines (docs/linear-fit.md).
 */
export class LinearIterationTimeModel implements IterationTimeModel {
  readonly kind = 'linear';

  /**
   * @param d0 fixed overhead per iteration, seconds, >= 0
   * @param d1 seconds per KV token touched, >= 0; d0 + d1 must be > 0
   * @param d2 seconds per prompt token prefilled on top of d1, >= 0; default 0 (the paper's model)
   * @throws RangeError on negative or non-finite coefficients
   */
  constructor(
    readonly d0: number,
    readonly d1: number,
    readonly d2: number = 0,
  ) {
    if (!(
      Number.isFinite(d0) &&
      d0 >= 0 &&
      Number.isFinite(d1) &&
      d1 >= 0 &&
      d0 + d1 > 0 &&
      Number.isFinite(d2) &&
      d2 >= 0
    )) {
      throw new RangeError(
        `linear model needs finite d0 >= 0, d1 >= 0 and d2 >= 0, d0 and d1 not both 0 (got d0=${d0}, d1=${d1}, d2=${d2})`,
      );
    }
  }

  iterationTime(batch: BatchShape): number {
    // With d2 = 0 the last term is an exact +0: the paper's times, bit for bit.
    return (
      this.d0 +
      this.d1 * (batch.totalPrefillTokens + batch.decodeKvTokens) +
      this.d2 * batch.totalPrefillTokens
    );
  }

  /** `{model: 'linear', d0, d1}`, plus `d2` when it is not 0 (so the paper's machines describe themselves as before). */
  describe(): Record<string, number | string> {
    return this.d2 === 0
      ? { model: 'linear', d0: this.d0, d1: this.d1 }
      : { model: 'linear', d0: this.d0, d1: this.d1, d2: this.d2 };
  }
}
