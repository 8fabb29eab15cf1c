/**
 * Shared system prompts on a generated workload (the workload field `sharedPrefix`,
 * workload-spec.ts): K distinct system prompts of L tokens each; each request, independently with
 * probability f, gets one of them, drawn uniformly, prepended to its prompt. This is the
 * prefix-sharing pattern prefix caching exploits (Zheng et al., "SGLang: Efficient Execution of
 * Structured Language Model Programs", arXiv 2312.07104: shared system prompts and few-shot
 * examples; vLLM's automatic prefix caching, docs "Automatic Prefix Caching").
 *
 * Prefix identity: system prompt k is ONE prefix block id k of L tokens (`prefix-blocks.ts`,
 * `blockTokens = L`), so the engine shares exactly its KV blocks lying wholly inside the first L
 * prompt tokens, and a request's own prompt after them is never shared. Requests without a system
 * prompt have no ids.
 *
 * Randomness: its own seeded stream (`RandomStream.sharedPrefix`), so the base list (arrivals,
 * lengths, types) is drawn exactly as without `sharedPrefix`. Every request takes two draws, in
 * request order, whether or not it is chosen: u (chosen when u < f) then v (prompt floor(v x K)).
 * Common random numbers follow: raising f only adds requests (the chosen ones keep their prompt),
 * changing K keeps which requests are chosen, changing L changes only the lengths.
 */
import { InputError } from '../errors.js';
import { createUniform, RandomStream, type Uniform } from './random-streams.js';
import type { RequestList } from './request-list.js';
import { MAX_TOKEN_COUNT } from './token-count.js';
import type { SharedPrefixSpec } from './workload-spec.js';

/**
 * Creates the uniform generator of the system-prompt draws of one run: the stream
 * `RandomStream.sharedPrefix` (random-streams.ts), so no other purpose shares its draws.
 * @param seed run seed, an integer in 0..MAX_SEED (2^32 - 1)
 * @returns values in [0, 1) (53 bits)
 * @throws InputError naming field `seed` when the seed is not an integer in range
 */
export function createSharedPrefixUniform(seed: number): Uniform {
  return createUniform(seed, RandomStream.sharedPrefix);
}

/**
 * Prepends shared system prompts to a generated request list (see the file comment).
 * @param list the base list: n requests, prompt tokens >= 1, without `prefixBlocks` (a generated
 *   source has none); not modified
 * @param spec K = `prompts`, L = `tokens` (tokens), f = `fraction`, as validated by
 *   SharedPrefixSpecSchema
 * @param uniform the run's system-prompt stream ({@link createSharedPrefixUniform}); 2n values are
 *   drawn
 * @returns `list` itself when no request got a system prompt (f = 0, or none drawn); else a new list
 *   sharing `arrival`, `outputTokens` and `typeIndex` with `list`, with fresh `promptTokens` (L +
 *   base for a chosen request, base otherwise) and `prefixBlocks` (blockTokens L; request i's ids
 *   [k] when it got system prompt k in 0..K - 1, [] otherwise)
 * @throws InputError naming field `sharedPrefix.tokens` when L + a base prompt exceeds 2^31 - 1
 *   tokens; Error when `list` already has prefix blocks (a programming error: only generated
 *   sources take `sharedPrefix`)
 */
export function applySharedPrefix(list: RequestList, spec: SharedPrefixSpec, uniform: Uniform): RequestList {
  if (list.prefixBlocks !== undefined) {
    throw new Error('sharedPrefix applies to generated lists, which have no prefix blocks of their own');
  }
  const { prompts, tokens, fraction } = spec;
  const n = list.promptTokens.length;
  const promptTokens = list.promptTokens.slice();
  const offsets = new Int32Array(n + 1);
  const ids = new Float64Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const chosen = uniform() < fraction;
    const prompt = Math.min(Math.floor(uniform() * prompts), prompts - 1);
    if (chosen) {
      const total = promptTokens[i] + tokens;
      if (total > MAX_TOKEN_COUNT) {
        throw new InputError(
          `sharedPrefix.tokens: ${tokens} system-prompt tokens plus request #${i}'s ` +
            `${promptTokens[i]} prompt tokens exceed ${MAX_TOKEN_COUNT} tokens`,
          { field: 'sharedPrefix.tokens' },
        );
      }
      promptTokens[i] = total;
      ids[count] = prompt;
      count += 1;
    }
    offsets[i + 1] = count;
  }
  if (count === 0) return list;
  return { ...list, promptTokens, prefixBlocks: { blockTokens: tokens, offsets, ids: ids.slice(0, count) } };
}
