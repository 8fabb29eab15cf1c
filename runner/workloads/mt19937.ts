/**
 * MT19937, the 32-bit Mersenne Twister (Matsumoto and Nishimura 1998, ACM TOMACS 8(1); the
 * reference `mt19937ar.c`), written to reproduce `@stdlib/random-base-mt19937` 0.2 exactly:
 * the same seeding (`init_genrand` for one integer, `init_by_array` for an array) and the same
 * [0, 1) doubles (`normalized`: 27 + 26 bits of two consecutive words, `genrand_res53`).
 * test/unit/workloads/samplers.test.ts compares its output with stdlib's for many seeds.
 */

/** Words of state. */
const N = 624;
/** Middle word offset of the recurrence. */
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;
/** 2^-53: turns a 53-bit integer into a double in [0, 1). */
const FLOAT64_NORMALIZATION = 1 / 9007199254740992;
/** 2^26. */
const TWO_26 = 67108864;

/** A seeded MT19937 generator. */
export interface Mt19937 {
  /** The next 32-bit word, an integer in 0..2^32 - 1. */
  readonly uint32: () => number;
  /** The next double in [0, 1) with 53 random bits (uses two words). */
  readonly normalized: () => number;
}

/** `init_genrand`: fills the state from one 32-bit seed (stdlib's `createState`). */
function initGenrand(state: Uint32Array, seed: number): void {
  state[0] = seed >>> 0;
  for (let i = 1; i < N; i++) {
    const s = state[i - 1] ^ (state[i - 1] >>> 30);
    state[i] = (Math.imul(s, 1812433253) >>> 0) + i;
  }
}

/** `init_by_array`: seeds from an array of 32-bit words (stdlib's `initState`). */
function initByArray(state: Uint32Array, key: ArrayLike<number>): void {
  initGenrand(state, 19650218);
  let i = 1;
  let j = 0;
  for (let k = Math.max(N, key.length); k > 0; k--) {
    const s = state[i - 1] ^ (state[i - 1] >>> 30);
    state[i] = ((state[i] ^ Math.imul(s, 1664525)) >>> 0) + (key[j] >>> 0) + j;
    i++;
    j++;
    if (i >= N) {
      state[0] = state[N - 1];
      i = 1;
    }
    if (j >= key.length) j = 0;
  }
  for (let k = N - 1; k > 0; k--) {
    const s = state[i - 1] ^ (state[i - 1] >>> 30);
    state[i] = ((state[i] ^ Math.imul(s, 1566083941)) >>> 0) - i;
    i++;
    if (i >= N) {
      state[0] = state[N - 1];
      i = 1;
    }
  }
  state[0] = 0x80000000; // a non-zero initial state
}

/** Regenerates the 624 words of state (the reference `genrand_int32`'s refill). */
function twist(state: Uint32Array): void {
  let i = 0;
  for (; i < N - M; i++) {
    const w = (state[i] & UPPER_MASK) | (state[i + 1] & LOWER_MASK);
    state[i] = state[i + M] ^ (w >>> 1) ^ (w & 1 ? MATRIX_A : 0);
  }
  for (; i < N - 1; i++) {
    const w = (state[i] & UPPER_MASK) | (state[i + 1] & LOWER_MASK);
    state[i] = state[i + M - N] ^ (w >>> 1) ^ (w & 1 ? MATRIX_A : 0);
  }
  const w = (state[N - 1] & UPPER_MASK) | (state[0] & LOWER_MASK);
  state[N - 1] = state[M - 1] ^ (w >>> 1) ^ (w & 1 ? MATRIX_A : 0);
}

/**
 * Creates a generator.
 * @param seed one unsigned 32-bit integer (`init_genrand`) or an array of them (`init_by_array`,
 *   as stdlib does for any array of two or more words; a one-word array counts as that word)
 * @returns the generator; draws are identical to `@stdlib/random-base-mt19937`'s `factory({ seed })`
 * @throws RangeError when a seed word is not an integer in 0..2^32 - 1, or the array is empty
 */
export function createMt19937(seed: number | readonly number[]): Mt19937 {
  const words = typeof seed === 'number' ? [seed] : seed;
  if (words.length === 0) throw new RangeError('MT19937 seed: empty array');
  for (const w of words) {
    if (!Number.isInteger(w) || w < 0 || w > 0xffffffff) {
      throw new RangeError(`MT19937 seed: ${w} is not an integer between 0 and 4294967295`);
    }
  }
  const state = new Uint32Array(N);
  if (words.length === 1) initGenrand(state, words[0]);
  else initByArray(state, words);
  let index = N;
  const uint32 = (): number => {
    if (index >= N) {
      twist(state);
      index = 0;
    }
    let r = state[index++];
    r ^= r >>> 11;
    r ^= (r << 7) & 0x9d2c5680;
    r ^= (r << 15) & 0xefc60000;
    r ^= r >>> 18;
    return r >>> 0;
  };
  const normalized = (): number => {
    const x = uint32() >>> 5;
    const y = uint32() >>> 6;
    return (x * TWO_26 + y) * FLOAT64_NORMALIZATION;
  };
  return { uint32, normalized };
}
