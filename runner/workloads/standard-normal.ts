/**
 * Standard normal draws by the improved ziggurat method (Doornik 2005, "An Improved Ziggurat
 * Method to Generate Normal Random Samples"), written to reproduce
 * `@stdlib/random-base-improved-ziggurat` 0.2 given an external uniform generator (its `prng`
 * option) exactly: stdlib seeds a second MT19937 for the block indices with
 * floor(1 + (2^32 - 1) U), U the first uniform drawn, and then draws from both. Its `exp` and
 * `ln` are fdlibm's, as V8's Math.exp and Math.log are, so the built-ins give the same bits
 * (test/unit/workloads/samplers.test.ts compares the draws with stdlib's).
 */
import { createMt19937 } from './mt19937.js';
import type { Uniform } from './random-streams.js';

/** Blocks of the ziggurat. */
const NUM_BLOCKS = 128;
/** Where the right tail starts (Doornik's R for 128 blocks). */
const START_RIGHT_TAIL = 3.442619855899;
/** Area of each block (Doornik's V for 128 blocks). */
const BLOCK_AREA = 9.91256303526217e-3;

/** Block right edges X[0..128] (X[0] = V/f(R), X[1] = R, ..., X[128] = 0), as stdlib's coords_array. */
function blockEdges(): Float64Array {
  const x = new Float64Array(NUM_BLOCKS + 1);
  let f = Math.exp(-0.5 * START_RIGHT_TAIL * START_RIGHT_TAIL);
  x[0] = BLOCK_AREA / f;
  x[1] = START_RIGHT_TAIL;
  for (let i = 2; i < NUM_BLOCKS; i++) {
    x[i] = Math.sqrt(-2.0 * Math.log(BLOCK_AREA / x[i - 1] + f));
    f = Math.exp(-0.5 * x[i] * x[i]);
  }
  x[NUM_BLOCKS] = 0;
  return x;
}

const X = blockEdges();
/** R[i] = X[i+1]/X[i]: below it a draw is inside the block's rectangle. */
const R = Float64Array.from({ length: NUM_BLOCKS }, (_, i) => X[i + 1] / X[i]);

/** A draw from the tail beyond `START_RIGHT_TAIL` (Marsaglia 1964), signed. */
function sampleTail(uniform: Uniform, isNegative: boolean): number {
  let x: number;
  let y: number;
  do {
    x = Math.log(uniform()) / START_RIGHT_TAIL;
    y = Math.log(uniform());
  } while (-2.0 * y < x * x);
  return isNegative ? x - START_RIGHT_TAIL : START_RIGHT_TAIL - x;
}

/**
 * Creates a standard normal sampler N(0, 1) over a uniform stream. Draws one uniform at once
 * (the block-index generator's seed), then per draw one uniform and one index word, more when a
 * draw falls outside a block's rectangle.
 * @param uniform a generator of doubles in [0, 1)
 * @returns the sampler; identical draws to `@stdlib/random-base-improved-ziggurat`'s
 *   `factory({ prng: uniform })`
 */
export function createStandardNormal(uniform: Uniform): () => number {
  const blockIndex = createMt19937(Math.floor(1.0 + 4294967295 * uniform())).uint32;
  return () => {
    for (;;) {
      const u = 2.0 * uniform() - 1.0;
      const i = blockIndex() & 127;
      if (Math.abs(u) < R[i]) return u * X[i];
      if (i === 0) return sampleTail(uniform, u < 0.0);
      const x = u * X[i];
      const x2 = x * x;
      const f0 = Math.exp(-0.5 * (X[i] * X[i] - x2));
      const f1 = Math.exp(-0.5 * (X[i + 1] * X[i + 1] - x2));
      if (f1 + uniform() * (f0 - f1) < 1.0) return x;
    }
  };
}
