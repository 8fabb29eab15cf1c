/**
 * The input files shipped in the repository's data/ folder (data/README.md) that the New sweep
 * form offers. Paths are relative to the runner's working directory (`sweeps.validate` and
 * `sweeps.start` resolve them there when no `dir` is given), which is the repository root when
 * `schedbench serve` is started from it.
 */

/** A recorded trace: arrival times and lengths. */
export interface BuiltInTrace {
  id: string;
  label: string;
  path: string;
  format: 'azure' | 'mooncake';
}

/** A length-only file (prompt and output tokens per request). */
export interface BuiltInLengths {
  id: string;
  label: string;
  path: string;
}

export const BUILT_IN_TRACES: readonly BuiltInTrace[] = [
  {
    id: 'azure-conv',
    label: 'Azure LLM 2023, conversation (19,366 requests)',
    path: 'data/azure-llm-2023/AzureLLMInferenceTrace_conv.csv',
    format: 'azure',
  },
  {
    id: 'azure-code',
    label: 'Azure LLM 2023, code (8,819 requests)',
    path: 'data/azure-llm-2023/AzureLLMInferenceTrace_code.csv',
    format: 'azure',
  },
  {
    id: 'mooncake-conv',
    label: 'Mooncake FAST\u201925, conversation (12,031 requests)',
    path: 'data/mooncake-fast25/conversation_trace.jsonl',
    format: 'mooncake',
  },
  {
    id: 'mooncake-synth',
    label: 'Mooncake FAST\u201925, synthetic (3,993 requests)',
    path: 'data/mooncake-fast25/synthetic_trace.jsonl',
    format: 'mooncake',
  },
];

export const BUILT_IN_LENGTHS: readonly BuiltInLengths[] = [
  {
    id: 'sharegpt',
    label: 'ShareGPT-8k lengths (Llama-2 tokenizer)',
    path: 'data/metron-length-traces/sharegpt_8k_filtered_stats_llama2_tokenizer.csv',
  },
  {
    id: 'bwb',
    label: 'BWB lengths (Llama-2 tokenizer)',
    path: 'data/metron-length-traces/bwb_stats_llama2_tokenizer_filtered_v2.csv',
  },
  {
    id: 'arxiv',
    label: 'arXiv summarization lengths (Vidur)',
    path: 'data/vidur/data/processed_traces/arxiv_summarization_stats_llama2_tokenizer_filtered_v2.csv',
  },
];
