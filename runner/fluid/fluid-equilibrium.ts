import type { TokenModel } from '../engine/token-model.js';
import type { PromptType } from './prompt-type.js';

/**
 * The paper's fluid benchmark for one type mix on one linear machine (arXiv 2504.11320v2 §3;
 * docs/paper-model.md), extended by a cost per prefilled prompt token d2 (docs/fluid-benchmark.md,
 * "Prefill"); with d2 = 0 every field is the paper's.
 */
export interface FluidEquilibrium {
  /**
   * Load rho = d1 * sum_j lambda_j * S_j * m_j + d2 * sum_j lambda_j * l_j, where S_j is the
   * number of iterations a type-j prompt needs and m_j its mean KV footprint over them (paper:
   * S_j = l'_j + 1, m_j = l_j + l'_j/2): the share of each second the machine spends on KV tokens
   * and on prefilled prompt tokens. Stable iff rho < 1 (§3, prop. large_rate, one type; for m
   * types M* of eq. memory_multi2 needs it; with d2 it also implies d2 * sum_j lambda_j l_j < 1).
   */
  load: number;
  stable: boolean;
  /** n*_j = tau* lambda_j S_j, prompts of type j in the system (§3); null when unstable. */
  nStar: number[] | null;
  /**
   * M* = tau* sum_j lambda_j S_j m_j = d0 sum_j lambda_j S_j m_j / (1 - rho), tokens
   * (eq. memory_multi2 when d2 = 0); null when unstable.
   */
  mStarTokens: number | null;
  /**
   * Equilibrium iteration time tau* = d0 / (1 - rho) = (d0 + d1 M*) / (1 - d2 sum_j lambda_j l_j),
   * seconds (eq. time_fluid when d2 = 0); null when unstable.
   */
  iterationTimeStarS: number | null;
  /** Prompt tokens prefilled per equilibrium iteration, tau* sum_j lambda_j l_j; null when unstable. */
  prefillStarTokens: number | null;
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
 * tau = d0 + d1 * (KV tokens of the batch) + d2 * (prompt tokens prefilled in the batch).
 *
 * At equilibrium each type j keeps n_j prompts spread evenly over its S_j stages, so every
 * iteration of length tau admits (and prefills) n_j / S_j = tau lambda_j type-j prompts: the
 * batch holds M = tau W KV tokens (W = sum_j lambda_j S_j m_j) and prefills tau L prompt tokens
 * (L = sum_j lambda_j l_j). The fixed point tau = d0 + d1 tau W + d2 tau L gives
 * tau* = d0 / (1 - rho) with rho = d1 W + d2 L (docs/fluid-benchmark.md, "Prefill"). With d2 = 0
 * this is the paper's eq. time_fluid, eq. memory_multi2 and prop. large_rate, bit for bit.
 * @param types prompt types (at least one)
 * @param d0 fixed iteration overhead, seconds
 * @param d1 seconds per KV token
 * @param tokenModel how iterations map to tokens (see stagesAndMeanMemory); the paper's is `paper`
 * @param d2 seconds per prefilled prompt token on top of d1, >= 0; 0 (the default) is the paper's model
 * @throws RangeError for no types, non-positive lengths or rates, or a negative or non-finite d2
 */
export function fluidEquilibrium(
  types: PromptType[],
  d0: number,
  d1: number,
  tokenModel: TokenModel = 'paper',
  d2 = 0,
): FluidEquilibrium {
  if (types.length === 0) throw new RangeError('fluid benchmark needs at least one prompt type');
  if (!(Number.isFinite(d2) && d2 >= 0)) throw new RangeError(`d2 must be finite and >= 0, got ${d2}`);
  let work = 0; // W = sum_j lambda_j S_j m_j, KV-token-iterations per second
  let prefill = 0; // L = sum_j lambda_j l_j, prompt tokens per second
  let throughput = 0;
  let total = 0;
  for (const t of types) {
    if (!(t.prompt >= 1 && t.output >= 1 && t.rate > 0)) {
      throw new RangeError(`prompt type needs prompt >= 1, output >= 1, rate > 0 (got ${JSON.stringify(t)})`);
    }
    const { stages, meanMemory } = stagesAndMeanMemory(t, tokenModel);
    work += t.rate * stages * meanMemory;
    prefill += t.rate * t.prompt;
    throughput += t.rate * t.output;
    total += t.rate;
  }
  // rho = d1 W + d2 L; d2 = 0 adds an exact 0, so the paper's load is unchanged bit for bit.
  const load = d1 * work + d2 * prefill;
  const stable = load < 1;
  const iterationTime = stable ? d0 / (1 - load) : null;
  // rho is proportional to the total rate at fixed proportions; no limit when it is 0 (d1 = d2 = 0).
  const maxStableRate = load > 0 ? total / load : Infinity;
  return {
    load,
    stable,
    nStar:
      iterationTime === null
        ? null
        : types.map((t) => iterationTime * t.rate * stagesAndMeanMemory(t, tokenModel).stages),
    mStarTokens: iterationTime === null ? null : iterationTime * work,
    iterationTimeStarS: iterationTime,
    prefillStarTokens: iterationTime === null ? null : iterationTime * prefill,
    throughputStarTokS: throughput,
    totalRateRps: total,
    maxStableRateRps: maxStableRate,
    maxThroughputTokS: (throughput / total) * maxStableRate,
  };
}
