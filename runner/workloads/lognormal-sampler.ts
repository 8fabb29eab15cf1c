/**
 * Lognormal draws exp(mu + sigma Z), Z standard normal, as `@stdlib/random-base-lognormal` 0.2
 * draws them from an external uniform generator (Z by the improved ziggurat,
 * standard-normal.ts), so the same stream gives the same values.
 */
import type { Uniform } from './random-streams.js';
import { createStandardNormal } from './standard-normal.js';

/**
 * Creates a lognormal sampler.
 * @param mu location: mean of the underlying normal (log scale)
 * @param sigma scale: standard deviation of the underlying normal, > 0
 * @param uniform a generator of doubles in [0, 1) (one uniform is drawn at once, see
 *   createStandardNormal)
 * @returns the sampler; identical draws to `@stdlib/random-base-lognormal`'s
 *   `factory(mu, sigma, { prng: uniform })`
 * @throws RangeError when mu is not finite or sigma is not a positive finite number
 */
export function createLognormalSampler(mu: number, sigma: number, uniform: Uniform): () => number {
  if (!Number.isFinite(mu)) throw new RangeError(`lognormal mu: ${mu} is not finite`);
  if (!(Number.isFinite(sigma) && sigma > 0)) throw new RangeError(`lognormal sigma: ${sigma} must be > 0`);
  const normal = createStandardNormal(uniform);
  return () => Math.exp(mu + sigma * normal());
}
