import { z } from 'zod';

/**
 * The `prefixCaching` field every policy entry of a sweep spec takes: automatic prefix caching on
 * (true) or off (false) for the policy's runs (the engine's EngineConfig.prefixCaching, vLLM V1's
 * semantics: runner/engine/engine-prefix-cache.ts). Absent means the policy's default
 * (prefixCachingOf): on for `vllm-v1`, as vLLM V1 serves (`enable_prefix_caching` defaults to
 * True in vLLM v0.9 `vllm/config.py` CacheConfig for V1), off for the others, whose engines
 * and papers have none.
 */
export const prefixCachingField = z
  .boolean()
  .optional()
  .describe(
    'Automatic prefix caching (vLLM V1 semantics): requests share cached KV blocks of equal prefixes. ' +
      'Default: true for vllm-v1, false for the other policies.',
  );

/** Policies that cache prefixes unless their entry says `prefixCaching: false`. */
const CACHING_BY_DEFAULT: ReadonlySet<string> = new Set(['vllm-v1']);

/**
 * Whether a policy entry's runs cache prefixes: its `prefixCaching` when given, else the
 * policy's default (true for `vllm-v1` only; see prefixCachingField).
 * @param policy a validated policy entry
 */
export function prefixCachingOf(policy: {
  readonly policy: string;
  readonly prefixCaching?: boolean;
}): boolean {
  return policy.prefixCaching ?? CACHING_BY_DEFAULT.has(policy.policy);
}

/**
 * A run's stored policy parameters with `prefixCaching` set to its effective value (the entry's,
 * else the policy's default), for labels: a `vllm-v1` run that caches by default then reads
 * `prefixCaching=true` beside one with `prefixCaching=false`, rather than `prefixCaching=-`.
 * @param policy the policy's name
 * @param params the run's stored parameters (the policy entry without `policy`)
 * @returns a new object; `params` is not changed
 */
export function withEffectivePrefixCaching(
  policy: string,
  params: Record<string, unknown>,
): Record<string, unknown> {
  const given = params.prefixCaching;
  return {
    ...params,
    prefixCaching: prefixCachingOf({ policy, prefixCaching: typeof given === 'boolean' ? given : undefined }),
  };
}
