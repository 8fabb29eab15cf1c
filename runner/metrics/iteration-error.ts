import type { IterationRecords } from '../engine/run-records.js';
import type { BatchShape } from '../latency/batch-shape.js';
import type { IterationTimeModel } from '../latency/iteration-time-model.js';
import { mean, percentileSorted } from './percentile.js';

/**
 * Per-iteration error of an iteration-time model against the iterations a GPU-in-the-loop run
 * measured (Store.getIterations), for `schedbench gpu-report` (runner/cli/gpu-report-twin-runs.ts).
 */

/**
 * The BatchShape of stored iteration `k`, rebuilt from its aggregate columns. The store keeps
 * only the number of prefill chunks and their total tokens, so each chunk is taken as an equal
 * share of the tokens (the remainder spread one token each over the first chunks) with no cached
 * tokens before it. Exact for whole-prompt prefills of one request per iteration; for several
 * chunks of unequal size it underestimates the prefill attention term (sum of c^2 is smallest
 * for equal c), and chunks that continue a cached prompt (chunked prefill) are taken as new.
 * @param k iteration index, in [0, iterations.timeS.length)
 */
export function approximateBatchShape(iterations: IterationRecords, k: number): BatchShape {
  const n = iterations.numPrefills[k];
  const total = iterations.prefillTokens[k];
  const chunks = new Int32Array(n);
  for (let i = 0; i < n; i++) chunks[i] = Math.floor(total / n) + (i < total % n ? 1 : 0);
  return {
    numPrefills: n,
    prefillTokens: chunks,
    prefillKvBefore: new Int32Array(n),
    totalPrefillTokens: total,
    numDecodes: iterations.numDecodes[k],
    decodeKvTokens: iterations.decodeKvTokens[k],
  };
}

/** Which stored iterations an error summary covers. */
export type IterationSubset = 'all' | 'decode-only' | 'with prefill';

/** A model's per-iteration errors over a subset of a run's measured iterations. */
export interface IterationErrorSummary {
  subset: IterationSubset;
  /** Iterations in the subset. */
  iterations: number;
  /** Mean of |predicted - measured| / measured x 100 (null when the subset is empty). */
  meanAbsPct: number | null;
  /** Median of the same. */
  medianAbsPct: number | null;
  /** 90th percentile of the same. */
  p90AbsPct: number | null;
  /** (sum of predicted - sum of measured) / sum of measured x 100: the bias over the run's busy time. */
  totalPct: number | null;
}

/**
 * Errors of `model` on every measured iteration (BatchShape from approximateBatchShape), over all
 * iterations, the decode-only ones and those with prefill.
 * @param iterations a run's stored iterations; timeS is the worker-measured time, seconds
 * @returns one summary per subset, in the order all, decode-only, with prefill
 */
export function iterationErrors(
  iterations: IterationRecords,
  model: IterationTimeModel,
): IterationErrorSummary[] {
  const n = iterations.timeS.length;
  const subsets: { subset: IterationSubset; keep: (k: number) => boolean }[] = [
    { subset: 'all', keep: () => true },
    { subset: 'decode-only', keep: (k) => iterations.numPrefills[k] === 0 },
    { subset: 'with prefill', keep: (k) => iterations.numPrefills[k] > 0 },
  ];
  const predicted = new Float64Array(n);
  for (let k = 0; k < n; k++) predicted[k] = model.iterationTime(approximateBatchShape(iterations, k));
  return subsets.map(({ subset, keep }) => {
    const pct: number[] = [];
    let sumPredicted = 0;
    let sumMeasured = 0;
    for (let k = 0; k < n; k++) {
      if (!keep(k)) continue;
      const measured = iterations.timeS[k];
      pct.push((Math.abs(predicted[k] - measured) / measured) * 100);
      sumPredicted += predicted[k];
      sumMeasured += measured;
    }
    const sorted = Float64Array.from(pct).sort();
    return {
      subset,
      iterations: pct.length,
      meanAbsPct: mean(sorted),
      medianAbsPct: percentileSorted(sorted, 50),
      p90AbsPct: percentileSorted(sorted, 90),
      totalPct: pct.length === 0 ? null : ((sumPredicted - sumMeasured) / sumMeasured) * 100,
    };
  });
}
