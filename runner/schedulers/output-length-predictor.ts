/**
 * Output-length predictions for policies that schedule by predicted length (MC-SF, arXiv
 * 2502.07115: a prediction õ_i of each output length is available; docs/paper-model.md#mc-sf).
 *
 * - `oracle`: the true output length (õ_i = o_i), as in MC-SF's analysis with exact predictions.
 * - `noisy`: õ_i = max(1, round(o_i · f_i)) with f_i drawn uniformly from [1 − ε, 1 + ε]
 *   (so |õ_i − o_i| ≤ ε·o_i before rounding; ε > 1 can ask for factors ≤ 0, which become 1
 *   token). The secondary summaries of the paper report robustness runs with ε ∈ {0.2, 0.5, 0.8}
 *   but not the error distribution; the symmetric uniform factor is this project's choice.
 *
 * Randomness: the run's `predictionNoise` stream of the random-stream registry
 * (runner/workloads/random-streams.ts), so predictions never share draws with the workload. One
 * draw per request in id (arrival) order, all at once: a request's prediction depends only on the
 * seed, ε and its id, never on the policy's decisions.
 */
import { createUniform, MAX_SEED, RandomStream } from '../workloads/random-streams.js';

/** Where output-length predictions come from (see the module comment). */
export type OutputLengthPredictorKind = 'oracle' | 'noisy';

/**
 * Predicts every request's output length once, for a whole run.
 * @param outputTokens true output length of each request (tokens, >= 1), indexed by request id
 * @param predictor `oracle` (exact) or `noisy` (uniform relative error, see the module comment)
 * @param epsilon relative error bound ε >= 0 of `noisy`; ignored by `oracle`
 * @param seed run seed, an integer in [0, 2³²); ignored by `oracle`
 * @returns predicted output lengths õ (tokens, each >= 1), a new array of the same length
 * @throws RangeError when epsilon is negative or not finite, or the seed is not an integer in range
 */
export function predictOutputLengths(
  outputTokens: ArrayLike<number>,
  predictor: OutputLengthPredictorKind,
  epsilon: number,
  seed: number,
): Int32Array {
  const n = outputTokens.length;
  const predicted = new Int32Array(n);
  if (predictor === 'oracle') {
    for (let i = 0; i < n; i++) predicted[i] = outputTokens[i];
    return predicted;
  }
  if (!(epsilon >= 0 && Number.isFinite(epsilon))) {
    throw new RangeError(`epsilon: ${epsilon} is not a finite number >= 0`);
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new RangeError(`seed: ${seed} is not an integer between 0 and ${MAX_SEED}`);
  }
  const uniform = createUniform(seed, RandomStream.predictionNoise);
  for (let i = 0; i < n; i++) {
    const factor = 1 + epsilon * (2 * uniform() - 1);
    predicted[i] = Math.max(1, Math.round(outputTokens[i] * factor));
  }
  return predicted;
}
