/**
 * The real workloads shipped in data/ (data/README.md gives their origin, license and checksum),
 * as the Datasets page and the New sweep form offer them. Each one is the `trace` or `lengths`
 * entry a sweep spec uses for it; paths are absolute (the installation's data/ folder), so a
 * spec written from them works whatever the runner's working directory.
 */
import { repositoryPath } from '../repository-path.js';
import type { LengthsSpec, TraceSpec } from '../workloads/workload-spec.js';

/** A dataset's source entry for a workload: a recorded trace or a length-only file. */
export type DatasetSource = { kind: 'trace'; trace: TraceSpec } | { kind: 'lengths'; lengths: LengthsSpec };

/** A dataset shipped in data/. */
export interface BuiltInDataset {
  /** Stable identifier, also the default workload name (`azure-conv`). */
  readonly name: string;
  /** One line for lists. */
  readonly label: string;
  /** Where it comes from, its license and what to cite. */
  readonly description: string;
  readonly source: DatasetSource;
}

const AZURE =
  'Azure LLM inference trace 2023 (Splitwise), about one hour of one service; CC-BY 4.0, cite Patel et al., ISCA 2024.';
const MOONCAKE =
  'Mooncake (Kimi) FAST\u201925 trace, timestamps in ms; Apache-2.0, cite Qin et al., FAST 2025.';
const METRON =
  'Token lengths with the Llama-2 tokenizer, as Sarathi-Serve, Vidur and Metron use them (no arrival times); Apache-2.0 (project-metron/metron).';

/** Every built-in dataset, traces first. */
export function builtInDatasets(): BuiltInDataset[] {
  const data = (...parts: string[]): string => repositoryPath('data', ...parts);
  return [
    {
      name: 'azure-conv',
      label: 'Azure LLM 2023, conversation',
      description: AZURE,
      source: {
        kind: 'trace',
        trace: { path: data('azure-llm-2023', 'AzureLLMInferenceTrace_conv.csv'), format: 'azure' },
      },
    },
    {
      name: 'azure-code',
      label: 'Azure LLM 2023, code',
      description: AZURE,
      source: {
        kind: 'trace',
        trace: { path: data('azure-llm-2023', 'AzureLLMInferenceTrace_code.csv'), format: 'azure' },
      },
    },
    {
      name: 'mooncake-conv',
      label: 'Mooncake FAST\u201925, conversation',
      description: MOONCAKE,
      source: {
        kind: 'trace',
        trace: { path: data('mooncake-fast25', 'conversation_trace.jsonl'), format: 'mooncake' },
      },
    },
    {
      name: 'mooncake-synth',
      label: 'Mooncake FAST\u201925, synthetic',
      description: MOONCAKE,
      source: {
        kind: 'trace',
        trace: { path: data('mooncake-fast25', 'synthetic_trace.jsonl'), format: 'mooncake' },
      },
    },
    {
      name: 'sharegpt',
      label: 'ShareGPT-8k lengths (Llama-2 tokenizer)',
      description: METRON,
      source: {
        kind: 'lengths',
        lengths: { path: data('metron-length-traces', 'sharegpt_8k_filtered_stats_llama2_tokenizer.csv') },
      },
    },
    {
      name: 'bwb',
      label: 'BWB lengths (Llama-2 tokenizer)',
      description: METRON,
      source: {
        kind: 'lengths',
        lengths: { path: data('metron-length-traces', 'bwb_stats_llama2_tokenizer_filtered_v2.csv') },
      },
    },
    {
      name: 'arxiv',
      label: 'arXiv summarization lengths (Vidur)',
      description:
        'arXiv summarization prompt and output lengths with the Llama-2 tokenizer, from microsoft/vidur; MIT, cite Agrawal et al., MLSys 2024.',
      source: {
        kind: 'lengths',
        lengths: {
          path: data(
            'vidur',
            'data',
            'processed_traces',
            'arxiv_summarization_stats_llama2_tokenizer_filtered_v2.csv',
          ),
        },
      },
    },
  ];
}
