import type { TokenModel } from '../engine/token-model.js';
import type { PromptType } from './prompt-type.js';

/**
 * The paper's fluid benchmark for one type mix on one linear machine (arXiv 2504.11320v2 §3;
 * docs/paper-model.md).
 */
export interface FluidEquilibrium {
  /**
   * Load rho = d1 * sum_j lambda_j * S_j * m_j, where S_j is the number of iterations a type-j
   * prompt needs and m_j its mean KV footprint over them (paper: S_j = l'_j + 1,
   * m_j = l_j + l'_j/2). Stable iff rho < 1 (§3, prop. large_rate, one type; for m types
   * M* of eq. memory_multi2 needs it).
   */
  load: number;
  stable: boolean;
  /** n*_j = (d0 + d1 M*) lambda_j S_j, prompts of type j in the system (§3); null when unstable. */
  nStar: number[] | null;
  /** M* = d0 sum lambda_j S_j m_j / (1 - rho), tokens (eq. memory_multi2); null when unstable. */
  mStarTokens: number | null;
  /** Equilibrium iteration time d0 / (1 - rho), seconds (eq. time_fluid); null when unstable. */
  iterationTimeStarS: number | null;
  /** Throughput* = sum lambda_j l'_j, output tokens per second (eq. throughput_fluid_multiple). */
  throughputStarTokS: number;
  /** Total arrival rate sum lambda_j, requests per second. */
  totalRateRps: number;
  /** The largest total rate with the same type proportions that is still stable (rho = 1), req/s. */
  maxStableRateRps: number;
  /** Throughput* at the stability limit (the most this mix can sustain), tokens per second. */
  maxThroughputTokS: number;
}

/**
 * Iterations a prompt needs and its mean KV tokens over them, by token model.
 * - `paper` (arXiv 2504.11320v2 §2-3): stages 0..l' (l'+1 iterations), KV l+s at stage s, mean l + l'/2.
 * - `vllm`: the prefill also produces the first token: l' iterations, KV l+s for s = 0..l'-1,
 *   mean l + (l'-1)/2.
 */
export function stagesAndMeanMemory(
  type: Pick<PromptType, 'prompt' | 'output'>,
  tokenModel: TokenModel,
): { stages: number; meanMemory: number } {
  return tokenModel === 'paper'
    ? { stages: type.output + 1, meanMemory: type.prompt + type.output / 2 }
    : { stages: type.output, meanMemory: type.prompt + (type.output - 1) / 2 };
}

/**
 * Computes the fluid equilibrium of arXiv 2504.11320v2 §3 for prompt types on a linear machine
 * tau = d0 + d1 * (KV tokens of the batch).
 * @param types prompt types (at least one)
 * @param d0 fixed iteration overhead, seconds
 * @param d1 seconds per KV token
 * @param tokenModel how iterations map to tokens (see stagesAndMeanMemory); the paper's is `paper`
 * @throws RangeError for no types, non-positive lengths or rates, or d1 <= 0 with d0 <= 0
 */
export function fluidEquilibrium(
  types: PromptType[],
  d0: number,
  d1: number,
  tokenModel: TokenModel = 'paper',
): FluidEquilibrium {
  if (types.length === 0) throw new RangeError('fluid benchmark needs at least one prompt type');
  let work = 0; // sum_j lambda_j S_j m_j, KV-token-iterations per second
  let throughput = 0;
  let total = 0;
  for (const t of types) {
    if (!(t.prompt >= 1 && t.output >= 1 && t.rate > 0)) {
      throw new RangeError(`prompt type needs prompt >= 1, output >= 1, rate > 0 (got ${JSON.stringify(t)})`);
    }
    const { stages, meanMemory } = stagesAndMeanMemory(t, tokenModel);
    work += t.rate * stages * meanMemory;
    throughput += t.rate * t.output;
    total += t.rate;
  }
  const load = d1 * work;
  const stable = load < 1;
  const iterationTime = stable ? d0 / (1 - load) : null;
  const maxStableRate = d1 > 0 ? total / load : Infinity;
  return {
    load,
    stable,
    nStar:
      iterationTime === null
        ? null
        : types.map((t) => iterationTime * t.rate * stagesAndMeanMemory(t, tokenModel).stages),
    mStarTokens: iterationTime === null ? null : iterationTime * work,
    iterationTimeStarS: iterationTime,
    throughputStarTokS: throughput,
    totalRateRps: total,
    maxStableRateRps: maxStableRate,
    maxThroughputTokS: (throughput / total) * maxStableRate,
  };
}
