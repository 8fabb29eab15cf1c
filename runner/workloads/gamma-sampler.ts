/**
 * Gamma draws by Marsaglia and Tsang (2000, "A Simple Method for Generating Gamma Variables",
 * ACM TOMS 26(3)), as `@stdlib/random-base-gamma` 0.2 draws them from an external uniform
 * generator: normals by the improved ziggurat (standard-normal.ts), and for shape < 1 the boost
 * G(shape + 1) U^(1/shape) with stdlib's `pow` (fdlibm-pow.ts; V8's Math.pow rounds differently).
 * The same stream gives the same values (test/unit/workloads/samplers.test.ts).
 */
import { fdlibmPow } from './fdlibm-pow.js';
import type { Uniform } from './random-streams.js';
import { createStandardNormal } from './standard-normal.js';

/**
 * Creates a Gamma(shape, rate) sampler (mean shape/rate).
 * @param shape alpha > 0
 * @param rate beta > 0 (1/scale)
 * @param uniform a generator of doubles in [0, 1) (one uniform is drawn at once, see
 *   createStandardNormal)
 * @returns the sampler; identical draws to `@stdlib/random-base-gamma`'s
 *   `factory(shape, rate, { prng: uniform })`
 * @throws RangeError when shape or rate is not a positive finite number
 */
export function createGammaSampler(shape: number, rate: number, uniform: Uniform): () => number {
  if (!(Number.isFinite(shape) && shape > 0)) throw new RangeError(`gamma shape: ${shape} must be > 0`);
  if (!(Number.isFinite(rate) && rate > 0)) throw new RangeError(`gamma rate: ${rate} must be > 0`);
  const normal = createStandardNormal(uniform);
  const d = shape >= 1.0 ? shape - 1 / 3 : shape + 1.0 - 1 / 3;
  const c = 1.0 / Math.sqrt(9.0 * d);
  const marsagliaTsang = (): number => {
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = normal();
        v = 1.0 + c * x;
      } while (v <= 0.0);
      v *= v * v;
      const x2 = x * x;
      const v0 = 1.0 - 0.331 * x2 * x2;
      const v1 = 0.5 * x2 + d * (1.0 - v + Math.log(v));
      const u = uniform();
      if (u < v0 || Math.log(u) < v1) return (1.0 / rate) * d * v;
    }
  };
  if (shape >= 1.0) return marsagliaTsang;
  const inverseShape = 1.0 / shape;
  return () => marsagliaTsang() * fdlibmPow(uniform(), inverseShape);
}
