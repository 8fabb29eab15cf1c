import { describe, expect, it } from 'vitest';
import { readAzureTrace } from '../../../runner/workloads/azure-trace.js';
import { DEFAULT_CSV_TRACE_COLUMNS, readGenericTrace } from '../../../runner/workloads/generic-trace.js';
import { readLengthsFile } from '../../../runner/workloads/lengths-file.js';
import { readMooncakeTrace } from '../../../runner/workloads/mooncake-trace.js';
import { dataFile, mean, sameArray } from './helpers.js';

const AZURE_CONV = dataFile('azure-llm-2023/AzureLLMInferenceTrace_conv.csv');
const AZURE_CODE = dataFile('azure-llm-2023/AzureLLMInferenceTrace_code.csv');

describe('Azure 2023 reader', () => {
  const conv = readAzureTrace(AZURE_CONV);

  it('reads the conversation trace with the published statistics', () => {
    expect(conv.arrival.length).toBe(19_366);
    expect(mean(conv.promptTokens)).toBeCloseTo(1154.7, 1);
    expect(mean(conv.outputTokens)).toBeCloseTo(211.1, 1);
    expect(conv.arrival[0]).toBe(0);
    expect(conv.arrival[conv.arrival.length - 1]).toBeCloseTo(3501.7, 1);
    expect(Math.min(...conv.promptTokens)).toBe(2);
    expect(Math.max(...conv.promptTokens)).toBe(14_050);
    expect(conv.zeroOutputRows).toBe(0);
  });

  it('keeps sub-millisecond precision (matches Vidur splitwise_conv.csv arrived_at to 1e-6 s)', () => {
    // Vidur's processed copy stores seconds from the first request with 6 decimals.
    const vidur = readGenericTrace(dataFile('vidur/data/processed_traces/splitwise_conv.csv'), {
      format: 'csv',
      columns: DEFAULT_CSV_TRACE_COLUMNS,
      timeUnit: 's',
      timestampFormat: 'seconds',
    });
    expect(vidur.arrival.length).toBe(conv.arrival.length);
    let worst = 0;
    for (let i = 0; i < conv.arrival.length; i++) {
      worst = Math.max(worst, Math.abs(conv.arrival[i] - vidur.arrival[i]));
    }
    expect(worst).toBeLessThan(1e-6);
    expect(conv.arrival[1]).toBeCloseTo(4.314579, 9); // 18:15:50.9951690 - 18:15:46.6805900
    expect(sameArray(vidur.promptTokens, conv.promptTokens)).toBe(true);
    expect(sameArray(vidur.outputTokens, conv.outputTokens)).toBe(true);
  });

  it('reads the code trace', () => {
    const code = readAzureTrace(AZURE_CODE);
    expect(code.arrival.length).toBe(8_819);
    expect(mean(code.promptTokens)).toBeCloseTo(2047.8, 1);
    expect(mean(code.outputTokens)).toBeCloseTo(27.9, 1);
    expect(code.arrival[code.arrival.length - 1]).toBeCloseTo(3435.9, 1);
  });
});

describe('Mooncake reader', () => {
  it('reads the conversation trace (timestamps in ms)', () => {
    const t = readMooncakeTrace(dataFile('mooncake-fast25/conversation_trace.jsonl'));
    expect(t.arrival.length).toBe(12_031);
    expect(mean(t.promptTokens)).toBeCloseTo(12_035.1, 1);
    expect(mean(t.outputTokens)).toBeCloseTo(342.6, 1);
    expect(t.arrival[t.arrival.length - 1]).toBeCloseTo(3536.999, 6);
    expect(t.arrival[0]).toBe(0);
    // hash_ids kept as 512-token prefix blocks: line 2 is [0, 14, 15, ..., 27]
    const pb = t.prefixBlocks!;
    expect(pb.blockTokens).toBe(512);
    expect(pb.offsets.length).toBe(12_032);
    expect(Array.from(pb.ids.subarray(pb.offsets[1], pb.offsets[2]))).toEqual([
      0,
      ...Array.from({ length: 14 }, (_, k) => 14 + k),
    ]);
  });

  it('reads the synthetic trace', () => {
    const t = readMooncakeTrace(dataFile('mooncake-fast25/synthetic_trace.jsonl'));
    expect(t.arrival.length).toBe(3_993);
    expect(mean(t.promptTokens)).toBeCloseTo(15_325.5, 1);
    expect(t.arrival[t.arrival.length - 1]).toBeCloseTo(1022.025, 6);
  });
});

describe('length files', () => {
  it('reads ShareGPT-8k', () => {
    const t = readLengthsFile(
      dataFile('metron-length-traces/sharegpt_8k_filtered_stats_llama2_tokenizer.csv'),
    );
    expect(t.promptTokens.length).toBe(30_731);
    expect(mean(t.promptTokens)).toBeCloseTo(2340.0, 1);
    expect(mean(t.outputTokens)).toBeCloseTo(438.7, 1);
  });

  it('reads arXiv summarization, whose totals are at most 4,096', () => {
    const t = readLengthsFile(
      dataFile('vidur/data/processed_traces/arxiv_summarization_stats_llama2_tokenizer_filtered_v2.csv'),
    );
    expect(t.promptTokens.length).toBe(28_257);
    let maxTotal = 0;
    for (let i = 0; i < t.promptTokens.length; i++) {
      maxTotal = Math.max(maxTotal, t.promptTokens[i] + t.outputTokens[i]);
    }
    expect(maxTotal).toBe(4_096);
  });

  it('reads BWB', () => {
    const t = readLengthsFile(dataFile('metron-length-traces/bwb_stats_llama2_tokenizer_filtered_v2.csv'));
    expect(t.promptTokens.length).toBe(33_768);
    expect(mean(t.outputTokens)).toBeCloseTo(1612.8, 1);
  });

  it('accepts a Splitwise CSV (arrived_at ignored) and other column names', () => {
    const t = readLengthsFile(dataFile('vidur/data/processed_traces/splitwise_code.csv'));
    expect(t.promptTokens.length).toBe(8_819);
    const azure = readLengthsFile(AZURE_CODE, { prompt: 'ContextTokens', output: 'GeneratedTokens' });
    expect(sameArray(azure.promptTokens, t.promptTokens)).toBe(true);
  });
});
