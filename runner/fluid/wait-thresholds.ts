import type { TokenModel } from '../engine/token-model.js';
import { stagesAndMeanMemory } from './fluid-equilibrium.js';
import type { PromptType } from './prompt-type.js';

/**
 * Relative tolerance of the threshold inequality lambda_j * DeltaT <= n_j: products that exceed
 * an integer by floating-point noise only (4.000000000000001) still count as satisfied, so that
 * fluidThresholds and checkWaitThresholds agree with hand arithmetic.
 */
const RELATIVE_TOLERANCE = 1e-12;

/** Most fixed-point steps fluidThresholds takes before giving up (never reached below load 1 - 1e-9). */
const MAX_FIXED_POINT_STEPS = 1_000_000;

/**
 * Memory bound M^pi of WAIT with per-stage thresholds n_j (arXiv 2504.11320v2 §4, eq. wait_thresholds):
 * M^pi = sum_j n_j * S_j * m_j tokens, where S_j is the number of stages and m_j the mean KV
 * footprint over them (stagesAndMeanMemory; `paper`: S_j m_j = (l'_j + 1)(l_j + l'_j/2)). It is
 * the KV held when every stage of every type holds n_j prompts.
 * @param types prompt types, in type order
 * @param thresholds n_j per type (same length as types)
 * @param tokenModel how iterations map to tokens
 * @returns tokens
 */
export function waitMemoryTokens(
  types: PromptType[],
  thresholds: ArrayLike<number>,
  tokenModel: TokenModel,
): number {
  let memory = 0;
  for (let j = 0; j < types.length; j++) {
    const { stages, meanMemory } = stagesAndMeanMemory(types[j], tokenModel);
    memory += thresholds[j] * stages * meanMemory;
  }
  return memory;
}

/**
 * Prompt tokens WAIT prefills per iteration with per-stage thresholds n_j: P^pi = sum_j n_j l_j,
 * since stage 0 of type j holds n_j prompts, each prefilled in one iteration (the prefill term of
 * the extended iteration time tau = d0 + d1 M + d2 P; docs/fluid-benchmark.md, "Prefill").
 * @param types prompt types, in type order
 * @param thresholds n_j per type (same length as types)
 * @returns tokens
 */
export function waitPrefillTokens(types: PromptType[], thresholds: ArrayLike<number>): number {
  let prefill = 0;
  for (let j = 0; j < types.length; j++) prefill += thresholds[j] * types[j].prompt;
  return prefill;
}

/**
 * Type budgets of WAIT's `code` variant (docs/paper-model.md#the-authors-simulator):
 * b_j = n_j * S_j prompts, the most type-j prompts resident when every one of its S_j stages holds n_j (stagesAndMeanMemory: S_j = l'_j + 1
 * with tokenModel `paper`, l'_j with `vllm`; not an integer when l'_j is a bin's mean). The authors'
 * simulator uses the unrounded share total_limit * lambda_j S_j / sum_i lambda_i S_i instead, which
 * is b_j up to the rounding of n_j (codeThresholds) and exists only for that threshold rule.
 * @param types prompt types, in type order
 * @param thresholds n_j per type (same length as types)
 * @param tokenModel how iterations map to tokens
 * @returns one budget per type, prompts
 * @throws RangeError when thresholds and types differ in length
 */
export function waitTypeBudgets(
  types: readonly PromptType[],
  thresholds: ArrayLike<number>,
  tokenModel: TokenModel,
): number[] {
  if (thresholds.length !== types.length) {
    throw new RangeError(`${thresholds.length} thresholds for ${types.length} prompt types`);
  }
  return types.map((t, j) => thresholds[j] * stagesAndMeanMemory(t, tokenModel).stages);
}

/** Whether n >= x up to floating-point noise (relative RELATIVE_TOLERANCE). */
function atLeast(n: number, x: number): boolean {
  return n >= x * (1 - RELATIVE_TOLERANCE);
}

/** Smallest integer >= x up to floating-point noise (so 4.000000000000001 gives 4). */
function tolerantCeil(x: number): number {
  return Math.ceil(x * (1 - RELATIVE_TOLERANCE));
}

function checkTypes(types: PromptType[]): void {
  if (types.length === 0) throw new RangeError('WAIT thresholds need at least one prompt type');
  for (const t of types) {
    if (!(t.prompt >= 1 && t.output >= 1 && t.rate > 0)) {
      throw new RangeError(`prompt type needs prompt >= 1, output >= 1, rate > 0 (got ${JSON.stringify(t)})`);
    }
  }
}

/**
 * The practical thresholds of the paper's experiments (arXiv 2504.11320v2 §6.1):
 * n_j = B * rho_j / S_j with rho_j = lambda_j / sum_j' lambda_j', rounded DOWN and then raised to
 * at least 1. S_j is the number of stages of a type-j prompt: l'_j + 1 with tokenModel `paper`
 * (the paper's formula), l'_j with `vllm` (the prefill also produces the first token, so there is
 * one stage fewer). Rounding down keeps the resident prompts sum_j n_j S_j within the batch cap B
 * whenever every n_j >= 1 before the clamp; the clamp at 1 mirrors the authors' code
 * (`int(max(x, 1))`, docs/paper-model.md#the-authors-simulator) and keeps every type servable.
 * Quotients below an integer by floating-point noise only (2.9999999999999996) round to that integer (relative tolerance 1e-12).
 * @param types prompt types (lengths in tokens, rates in req/s), at least one
 * @param batchCap B, the batch-size limit shared with the baselines (requests, >= 1)
 * @param tokenModel `paper` or `vllm` (see above)
 * @returns one positive integer per type, prompts per stage
 * @throws RangeError for no types, a type with non-positive lengths or rate, or batchCap < 1
 */
export function paperThresholds(types: PromptType[], batchCap: number, tokenModel: TokenModel): number[] {
  checkTypes(types);
  if (!(batchCap >= 1)) throw new RangeError(`batchCap must be >= 1, got ${batchCap}`);
  const total = types.reduce((sum, t) => sum + t.rate, 0);
  return types.map((t) => {
    const { stages } = stagesAndMeanMemory(t, tokenModel);
    return Math.max(1, Math.floor(((batchCap * (t.rate / total)) / stages) * (1 + RELATIVE_TOLERANCE)));
  });
}

/**
 * The thresholds the authors' simulator computes (docs/paper-model.md#the-authors-simulator,
 * `modified_booking_limit_replica_scheduler.py`): type j's share of the batch cap is B lambda_j S_j / sum_i lambda_i S_i, spread
 * over its S_j stages, so n_j = B lambda_j / sum_i lambda_i S_i per stage, rounded down, at least 1
 * (`int(max(x, 1))`). Unlike the paper's stated rule (paperThresholds), the per-stage counts are
 * proportional to the arrival rates, as in the fluid equilibrium (n*_j / S_j = Delta T lambda_j,
 * arXiv 2504.11320v2 §3), so no type becomes the bottleneck at saturation. The sum of n_j S_j stays
 * within B.
 * @param types prompt types (lengths in tokens, rates in req/s), at least one
 * @param batchCap B, the batch-size limit shared with the baselines (requests, >= 1)
 * @param tokenModel `paper` (S_j = l'_j + 1) or `vllm` (S_j = l'_j)
 * @returns one positive integer per type, prompts per stage
 * @throws RangeError for no types, a type with non-positive lengths or rate, or batchCap < 1
 */
export function codeThresholds(types: PromptType[], batchCap: number, tokenModel: TokenModel): number[] {
  checkTypes(types);
  if (!(batchCap >= 1)) throw new RangeError(`batchCap must be >= 1, got ${batchCap}`);
  const weighted = types.reduce((sum, t) => sum + t.rate * stagesAndMeanMemory(t, tokenModel).stages, 0);
  return types.map((t) =>
    Math.max(1, Math.floor(((batchCap * t.rate) / weighted) * (1 + RELATIVE_TOLERANCE))),
  );
}

/**
 * The least integer thresholds satisfying eq. wait_thresholds (arXiv 2504.11320v2 §4), with the
 * iteration time extended by a prefill term (docs/fluid-benchmark.md, "Prefill"):
 * d0 + d1 * M^pi(n) + d2 * P^pi(n) <= n_j / lambda_j for every type j, with
 * M^pi(n) = sum_j n_j S_j m_j (waitMemoryTokens), P^pi(n) = sum_j n_j l_j (waitPrefillTokens),
 * and n_j >= 1. d2 = 0 is the paper's eq. wait_thresholds.
 *
 * Computed by the monotone fixed-point iteration
 * n_j <- max(1, ceil(lambda_j (d0 + d1 M^pi(n) + d2 P^pi(n)))) from n_j = max(1, ceil(lambda_j d0));
 * the map is monotone and every solution lies above the start, so the first fixed point reached is
 * the least solution. A solution exists iff the load rho = d1 sum_j lambda_j S_j m_j +
 * d2 sum_j lambda_j l_j is below 1 (the fluid load of fluidEquilibrium: summing n_j >= lambda_j
 * DeltaT weighted by S_j m_j and by l_j gives DeltaT (1 - rho) >= d0; conversely n_j =
 * ceil(lambda_j T) with T = (d0 + d1 sum_j S_j m_j + d2 sum_j l_j) / (1 - rho) solves it).
 * Products that exceed an integer by floating-point noise only are rounded down (relative
 * tolerance 1e-12).
 * @param types prompt types (lengths in tokens, rates in req/s), at least one
 * @param d0 fixed iteration overhead, seconds (>= 0)
 * @param d1 seconds per KV token (>= 0)
 * @param tokenModel how iterations map to tokens (stagesAndMeanMemory)
 * @param d2 seconds per prefilled prompt token (>= 0); default 0, the paper's model
 * @returns one positive integer per type, prompts per stage
 * @throws RangeError for invalid types or coefficients, and when no thresholds exist (load >= 1)
 *   or the iteration does not settle within 1,000,000 steps; the message gives the load
 */
export function fluidThresholds(
  types: PromptType[],
  d0: number,
  d1: number,
  tokenModel: TokenModel,
  d2 = 0,
): number[] {
  checkTypes(types);
  if (!(Number.isFinite(d0) && d0 >= 0 && Number.isFinite(d1) && d1 >= 0 && Number.isFinite(d2) && d2 >= 0)) {
    throw new RangeError(
      `fluid thresholds need finite d0 >= 0, d1 >= 0 and d2 >= 0 (got d0=${d0}, d1=${d1}, d2=${d2})`,
    );
  }
  let work = 0; // sum_j lambda_j S_j m_j, KV-token-iterations per second
  let prefill = 0; // sum_j lambda_j l_j, prompt tokens per second
  for (const t of types) {
    const { stages, meanMemory } = stagesAndMeanMemory(t, tokenModel);
    work += t.rate * stages * meanMemory;
    prefill += t.rate * t.prompt;
  }
  const load = d1 * work + d2 * prefill;
  if (!(load < 1)) {
    const terms =
      d2 === 0 ? 'd1*sum_j lambda_j*S_j*m_j' : 'd1*sum_j lambda_j*S_j*m_j + d2*sum_j lambda_j*l_j';
    throw new RangeError(
      `no thresholds satisfy ${iterationTimeTerms(d2)} <= n_j/lambda_j: the load ${terms} = ${load} is not below 1 ` +
        `(the arrival rate exceeds what the machine can serve)`,
    );
  }
  const n = types.map((t) => Math.max(1, tolerantCeil(t.rate * d0)));
  for (let step = 0; step < MAX_FIXED_POINT_STEPS; step++) {
    const deltaT = d0 + d1 * waitMemoryTokens(types, n, tokenModel) + d2 * waitPrefillTokens(types, n);
    let changed = false;
    for (let j = 0; j < types.length; j++) {
      const next = Math.max(1, tolerantCeil(types[j].rate * deltaT));
      if (next > n[j]) {
        n[j] = next;
        changed = true;
      }
    }
    if (!changed) return n;
    if (!n.every(Number.isSafeInteger)) break;
  }
  throw new RangeError(
    `thresholds satisfying ${iterationTimeTerms(d2)} <= n_j/lambda_j did not converge (load ${load}, too close to 1)`,
  );
}

/** The iteration time's formula in messages: the paper's when d2 = 0. */
function iterationTimeTerms(d2: number): string {
  return d2 === 0 ? 'd0 + d1*M' : 'd0 + d1*M + d2*P';
}

/**
 * Checks thresholds against eq. wait_thresholds (with the prefill term d2 P^pi of fluidThresholds
 * when d2 > 0) and the memory assumption C >= M^pi (arXiv 2504.11320v2 §4, which assumes C >= M*;
 * WAIT never holds more than M^pi).
 * @param types prompt types, in type order
 * @param thresholds n_j per type (prompts per stage), same length as types
 * @param d0 fixed iteration overhead, seconds
 * @param d1 seconds per KV token
 * @param kvCapacityTokens the machine's KV capacity C, tokens (blocks x block size)
 * @param tokenModel how iterations map to tokens (stagesAndMeanMemory)
 * @param d2 seconds per prefilled prompt token; default 0, the paper's model
 * @returns one human-readable warning per violated inequality (naming the type and both sides,
 *   in seconds) and one when M^pi exceeds C (both in tokens); empty when all hold
 * @throws RangeError when thresholds and types differ in length
 */
export function checkWaitThresholds(
  types: PromptType[],
  thresholds: ArrayLike<number>,
  d0: number,
  d1: number,
  kvCapacityTokens: number,
  tokenModel: TokenModel,
  d2 = 0,
): string[] {
  if (thresholds.length !== types.length) {
    throw new RangeError(`${thresholds.length} thresholds for ${types.length} prompt types`);
  }
  const warnings: string[] = [];
  const memory = waitMemoryTokens(types, thresholds, tokenModel);
  const deltaT = d0 + d1 * memory + d2 * waitPrefillTokens(types, thresholds);
  for (let j = 0; j < types.length; j++) {
    const t = types[j];
    if (!atLeast(thresholds[j], t.rate * deltaT)) {
      warnings.push(
        `WAIT threshold of type ${j} (prompt ${fmt(t.prompt)}, output ${fmt(t.output)}, rate ${fmt(t.rate)}/s) ` +
          `violates eq. wait_thresholds: ${iterationTimeTerms(d2)} = ${fmt(deltaT)} s > n_j/lambda_j = ${thresholds[j]}/${fmt(t.rate)} = ` +
          `${fmt(thresholds[j] / t.rate)} s (type-${j} prompts arrive faster than WAIT serves them)`,
      );
    }
  }
  if (memory > kvCapacityTokens) {
    warnings.push(
      `WAIT thresholds need M = ${fmt(memory)} KV tokens but the machine has ${kvCapacityTokens}; ` +
        `expect LIFO evictions`,
    );
  }
  return warnings;
}

/** Compact number for messages (at most 6 significant digits). */
function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6)));
}
