/**
 * The policies the New sweep form offers, each with its main parameter (runner/schedulers/
 * policy-spec.ts and the policy files): a number parameter takes a comma list (a grid axis),
 * a choice parameter one of its values. Other parameters keep their defaults; the YAML editor
 * sets any of them.
 */
export interface PolicyChoice {
  policy: string;
  label: string;
  param:
    | { kind: 'numbers'; key: string; label: string; default: string; integer: boolean }
    | { kind: 'choice'; key: string; label: string; options: string[]; default: string }
    | { kind: 'count'; key: string; label: string; default: string; wrap: string };
}

export const POLICY_CHOICES: readonly PolicyChoice[] = [
  {
    policy: 'vllm',
    label: 'vLLM (v0)',
    param: {
      kind: 'numbers',
      key: 'maxNumBatchedTokens',
      label: 'max batched tokens',
      default: '4096',
      integer: true,
    },
  },
  {
    policy: 'sarathi',
    label: 'Sarathi-Serve',
    param: { kind: 'numbers', key: 'chunkSize', label: 'chunk size', default: '512', integer: true },
  },
  {
    policy: 'fcfs',
    label: 'FCFS',
    param: { kind: 'numbers', key: 'maxNumSeqs', label: 'max sequences', default: '128', integer: true },
  },
  {
    policy: 'vllm-v1',
    label: 'vLLM (v1)',
    param: {
      kind: 'numbers',
      key: 'maxNumBatchedTokens',
      label: 'max batched tokens',
      default: '2048',
      integer: true,
    },
  },
  {
    policy: 'wait',
    label: 'WAIT',
    param: {
      kind: 'choice',
      key: 'thresholds',
      label: 'thresholds',
      options: ['paper', 'code', 'fluid'],
      default: 'paper',
    },
  },
  {
    policy: 'nested-wait',
    label: 'Nested WAIT',
    param: { kind: 'count', key: 'segments', label: 'segments', default: '10', wrap: 'count' },
  },
  {
    policy: 'mc-sf',
    label: 'MC-SF',
    param: {
      kind: 'numbers',
      key: 'epsilon',
      label: 'prediction error \u03b5',
      default: '0',
      integer: false,
    },
  },
];
