/**
 * The seeded random streams a request list is drawn from.
 *
 * One MT19937 generator (mt19937.ts, draws identical to `@stdlib/random-base-mt19937`'s) per
 * purpose, each seeded with the array `[seed, stream]` (MT19937's `init_by_array`), so one run
 * seed drives everything while the purposes never share draws. Consequence (common random
 * numbers): changing the arrival rate or process does not change the lengths drawn, changing a
 * length distribution does not change the arrival times, and prompt and output lengths do not
 * disturb each other.
 */
import { InputError } from '../errors.js';
import { createMt19937 } from './mt19937.js';

/** The purposes that get their own stream; the number is the stream id mixed into the seed. */
export const RandomStream = {
  /** Inter-arrival times. */
  arrivals: 1,
  /** Synthetic prompt lengths (and `file` draws for prompts). */
  promptTokens: 2,
  /** Synthetic output lengths (and `file` draws for outputs). */
  outputTokens: 3,
  /** Type of each request of a typed mix. */
  types: 4,
  /** Which rows of a length-only file are used, and in which order. */
  rowOrder: 5,
  /**
   * Where the window of N consecutive rows a trace replays starts, when N is below the trace's
   * rows (build-workload.ts, traceWindowStart).
   */
  traceWindow: 6,
  /** Which requests get a shared system prompt, and which one (shared-prefix.ts). */
  sharedPrefix: 7,
  /** How many turns each multi-turn session has (multi-turn.ts). */
  sessionTurns: 8,
  /** Think times between the turns of a multi-turn session (multi-turn.ts). */
  thinkTimes: 9,
  /**
   * Output-length prediction noise of the policies that schedule by predicted length (`mc-sf`
   * with `predictor: noisy`, runner/schedulers/output-length-predictor.ts). Id 101, not the next
   * free one: the predictor drew from [seed, 101] before it was listed here, and keeping the id
   * keeps its earlier runs reproducible.
   */
  predictionNoise: 101,
} as const;
/** A stream id (see {@link RandomStream}). */
export type RandomStreamId = (typeof RandomStream)[keyof typeof RandomStream];

/** Largest run seed: MT19937 seeds are unsigned 32-bit integers. */
export const MAX_SEED = 4_294_967_295;

/** A uniform generator on [0, 1) (53-bit resolution). */
export type Uniform = () => number;

/**
 * Creates the uniform generator of one stream.
 * @param seed run seed, an integer in 0..{@link MAX_SEED}
 * @param stream which purpose (see {@link RandomStream})
 * @returns MT19937's `normalized` generator, values in [0, 1) (53 bits; two 32-bit words per
 *   value); the samplers of this folder (gamma-sampler.ts, lognormal-sampler.ts) draw from it
 * @throws InputError naming field `seed` when the seed is not an integer in range
 */
export function createUniform(seed: number, stream: RandomStreamId): Uniform {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new InputError(`seed: ${seed} is not an integer between 0 and ${MAX_SEED}`, { field: 'seed' });
  }
  return createMt19937([seed, stream]).normalized;
}
