/**
 * How the New sweep form names the policies and their parameters. The parameters themselves
 * (their forms, bounds and defaults) come from the runner: `machines.list` reports every
 * registered policy with the parameters of its spec schema (runner/api/policy-parameters.ts), so
 * a policy or parameter the runner adds shows up in the form without a change here; this module
 * only gives the known ones readable labels and picks the parameter shown beside each policy
 * (the others are under "more").
 */
export interface PolicyLabel {
  /** The name shown beside the checkbox. */
  label: string;
  /** The parameter shown beside the policy and always written into the spec. */
  primary: string;
}

export const POLICY_LABELS: Readonly<Record<string, PolicyLabel>> = {
  vllm: { label: 'vLLM (v0)', primary: 'maxNumBatchedTokens' },
  sarathi: { label: 'Sarathi-Serve', primary: 'chunkSize' },
  fcfs: { label: 'FCFS', primary: 'maxNumSeqs' },
  'vllm-v1': { label: 'vLLM (v1)', primary: 'maxNumBatchedTokens' },
  wait: { label: 'WAIT', primary: 'thresholds' },
  'nested-wait': { label: 'Nested WAIT', primary: 'segments' },
  'mc-sf': { label: 'MC-SF', primary: 'epsilon' },
};

/** Policies checked when the form opens. */
export const DEFAULT_POLICIES: readonly string[] = ['vllm', 'sarathi'];

/** Readable names of the parameters (a parameter not listed shows its spec key). */
export const PARAM_LABELS: Readonly<Record<string, string>> = {
  maxNumSeqs: 'max sequences',
  maxNumBatchedTokens: 'max batched tokens',
  chunkSize: 'chunk size',
  watermark: 'KV watermark (fraction)',
  evictedTo: 'evicted requests go to the',
  longPrefillTokenThreshold: 'long prefill threshold (tokens)',
  thresholds: 'thresholds',
  batchCap: 'batch cap',
  bins: 'output-length bins',
  variant: 'variant',
  segments: 'segments',
  delta: 'delta',
  horizonIterations: 'horizon (iterations)',
  predictor: 'predictor',
  epsilon: 'prediction error \u03b5',
  prefixCaching: 'prefix caching',
  replicas: 'replicas',
  routing: 'routing (replicas > 1)',
};

/** The label of a parameter: its readable name, else its spec key. */
export function paramLabel(key: string): string {
  return PARAM_LABELS[key] ?? key;
}
