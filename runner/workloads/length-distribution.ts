/**
 * Synthetic length distributions (prompt or output tokens), prepared once per workload load and
 * sampled per request list.
 */
import { createLognormalSampler } from './lognormal-sampler.js';
import type { Uniform } from './random-streams.js';
import { MAX_TOKEN_COUNT } from './token-count.js';
import type { LengthTable } from './trace-table.js';
import { buildZipfTable, sampleZipf, type ZipfTable } from './zipf-distribution.js';
import type { LengthDistributionSpec } from './workload-spec.js';

/** A length distribution ready to sample (parameters resolved, tables built, files read). */
export type PreparedLengthDistribution =
  | { readonly dist: 'fixed'; readonly value: number }
  | { readonly dist: 'uniform'; readonly min: number; readonly max: number }
  | { readonly dist: 'lognormal'; readonly mu: number; readonly sigma: number; readonly max: number }
  | { readonly dist: 'zipf'; readonly table: ZipfTable }
  | { readonly dist: 'file'; readonly file: string; readonly values: Int32Array };

/**
 * Prepares a distribution: lognormal `mean` becomes mu = ln(mean) - sigma^2/2 (so E[exp(N(mu,
 * sigma^2))] = mean), zipf gets its CDF table, `file` keeps the chosen column of the file's table.
 * @param spec the validated distribution
 * @param fileTable the length file already read, required for `dist: file`
 * @throws Error when `dist: file` comes without its table (a caller bug, not an input error)
 */
export function prepareLengthDistribution(
  spec: LengthDistributionSpec,
  fileTable?: LengthTable,
): PreparedLengthDistribution {
  switch (spec.dist) {
    case 'fixed':
      return { dist: 'fixed', value: spec.value };
    case 'uniform':
      return { dist: 'uniform', min: spec.min, max: spec.max };
    case 'lognormal': {
      const mu = spec.mu ?? Math.log(spec.mean ?? 1) - (spec.sigma * spec.sigma) / 2;
      return { dist: 'lognormal', mu, sigma: spec.sigma, max: spec.max ?? MAX_TOKEN_COUNT };
    }
    case 'zipf':
      return { dist: 'zipf', table: buildZipfTable(spec.s, spec.max) };
    case 'file': {
      if (fileTable === undefined) throw new Error('prepareLengthDistribution: dist file needs its table');
      const values = spec.column === 'prompt' ? fileTable.promptTokens : fileTable.outputTokens;
      return { dist: 'file', file: fileTable.file, values };
    }
  }
}

/**
 * Draws n lengths, one per request, in order (so the first m of n draws equal an m-draw list).
 * - fixed: the value.
 * - uniform: min + floor(U * (max - min + 1)).
 * - lognormal: round(exp(N(mu, sigma^2))) (lognormal-sampler.ts: stdlib's draws), then clamped to
 *   [1, max] (max defaults to 2^31 - 1); rounding and clamping shift the mean slightly from `mean`.
 * - zipf: inverse CDF over the table (see `zipf-distribution.ts`).
 * - file: a uniformly chosen row's value, with replacement.
 * @param dist the prepared distribution
 * @param n number of draws
 * @param uniform this length's stream
 * @returns lengths in tokens, each >= 1
 */
export function sampleLengths(dist: PreparedLengthDistribution, n: number, uniform: Uniform): Int32Array {
  const out = new Int32Array(n);
  switch (dist.dist) {
    case 'fixed':
      out.fill(dist.value);
      break;
    case 'uniform': {
      const width = dist.max - dist.min + 1;
      for (let i = 0; i < n; i++) out[i] = dist.min + Math.floor(uniform() * width);
      break;
    }
    case 'lognormal': {
      const draw = createLognormalSampler(dist.mu, dist.sigma, uniform);
      for (let i = 0; i < n; i++) out[i] = Math.min(dist.max, Math.max(1, Math.round(draw())));
      break;
    }
    case 'zipf':
      for (let i = 0; i < n; i++) out[i] = sampleZipf(dist.table, uniform());
      break;
    case 'file': {
      const { values } = dist;
      for (let i = 0; i < n; i++) out[i] = values[Math.floor(uniform() * values.length)];
      break;
    }
  }
  return out;
}
