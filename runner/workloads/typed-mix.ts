/**
 * The paper's typed mix (Ao et al., arXiv 2504.11320v2 §2; docs/paper-model.md): m types,
 * type j with fixed prompt l_j and output l'_j tokens arriving as a Poisson process of rate
 * lambda_j. As the authors' simulator code does, one superposed Poisson stream of total rate
 * sum_j lambda_j is generated and each request's type is drawn independently with probability
 * lambda_j / sum lambda (equivalent in law to m independent Poisson streams).
 */
import { generateArrivals } from './arrival-process.js';
import type { Uniform } from './random-streams.js';
import type { TypeSpec } from './workload-spec.js';

/** Total arrival rate of a typed mix, req/s. */
export function typedMixRate(types: readonly TypeSpec[]): number {
  return types.reduce((sum, t) => sum + t.rate, 0);
}

/**
 * The types with rates scaled so that they sum to `totalRate` (a typed workload's `rate`, which
 * makes the types' own rates proportions and lets a sweep vary the total rate as a grid axis).
 * @param types the declared types (>= 1)
 * @param totalRate total rate, req/s; undefined keeps the declared rates
 * @returns new type objects (the declared ones are not modified)
 */
export function scaleTypesToRate(types: readonly TypeSpec[], totalRate: number | undefined): TypeSpec[] {
  if (totalRate === undefined) return types.map((t) => ({ ...t }));
  const factor = totalRate / typedMixRate(types);
  return types.map((t) => ({ ...t, rate: t.rate * factor }));
}

/**
 * Generates a typed-mix request stream.
 * @param types the types (>= 1)
 * @param n number of requests
 * @param arrivals stream for the superposed Poisson arrival times
 * @param typeDraws stream for the type of each request
 * @returns arrival times (s, first = 0), type index per request, and the type's lengths (tokens)
 */
export function generateTypedMix(
  types: readonly TypeSpec[],
  n: number,
  arrivals: Uniform,
  typeDraws: Uniform,
): { arrival: Float64Array; typeIndex: Int32Array; promptTokens: Int32Array; outputTokens: Int32Array } {
  const total = typedMixRate(types);
  const arrival = generateArrivals({ process: 'poisson', rate: total }, n, arrivals);
  const cumulative = new Float64Array(types.length);
  let sum = 0;
  types.forEach((t, j) => {
    sum += t.rate;
    cumulative[j] = sum;
  });
  const typeIndex = new Int32Array(n);
  const promptTokens = new Int32Array(n);
  const outputTokens = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const target = typeDraws() * sum;
    let j = 0;
    while (j < types.length - 1 && cumulative[j] <= target) j++;
    typeIndex[i] = j;
    promptTokens[i] = types[j].prompt;
    outputTokens[i] = types[j].output;
  }
  return { arrival, typeIndex, promptTokens, outputTokens };
}
