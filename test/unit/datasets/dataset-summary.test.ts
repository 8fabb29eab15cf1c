import { describe, expect, it } from 'vitest';
import {
  rateBinSeconds,
  summarizeDataset,
  tokenDistribution,
} from '../../../runner/datasets/dataset-summary.js';
import { readAzureTrace } from '../../../runner/workloads/azure-trace.js';
import { readLengthsFile } from '../../../runner/workloads/lengths-file.js';
import type { TraceTable } from '../../../runner/workloads/trace-table.js';
import { dataFile } from '../workloads/helpers.js';

describe('dataset summary', () => {
  it('bins token counts about √2 apart and takes NumPy-style percentiles (worked by hand)', () => {
    const d = tokenDistribution(Int32Array.from([55, 1, 2, 3, 5, 8, 13, 21, 34, 1]));
    expect(d.histogram.edges).toEqual([1, 2, 3, 4, 6, 8, 11, 16, 23, 32, 45, 64]);
    //                      [1,2) [2,3) [3,4) [4,6) [6,8) [8,11) [11,16) [16,23) [23,32) [32,45) [45,64)
    expect(d.histogram.counts).toEqual([2, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1]);
    expect(d.min).toBe(1);
    expect(d.max).toBe(55);
    expect(d.mean).toBeCloseTo(14.3, 12);
    expect(d.p50).toBeCloseTo(6.5, 12); // between the 5th (5) and 6th (8) of 10
    expect(d.p90).toBeCloseTo(34 + 0.1 * 21, 12);
  });

  it('puts the largest value in the last bin even when it sits on an edge', () => {
    const d = tokenDistribution(Int32Array.from([1, 4, 16]));
    expect(d.histogram.edges[d.histogram.edges.length - 1]).toBeGreaterThan(16);
    expect(d.histogram.counts.reduce((a, b) => a + b, 0)).toBe(3);
  });

  it('chooses rate bins of 1, 2 or 5 × 10^k seconds, about 100 over the trace', () => {
    expect(rateBinSeconds(3600)).toBe(50);
    expect(rateBinSeconds(200)).toBe(2);
    expect(rateBinSeconds(100)).toBe(1);
    expect(rateBinSeconds(1e5)).toBe(1000);
  });

  it('gives the arrival rate per bin, the mean rate and the burstiness of a trace (worked by hand)', () => {
    const table: TraceTable = {
      file: 'hand.csv',
      arrival: Float64Array.from([0, 1, 1.5, 3, 200]),
      promptTokens: Int32Array.from([10, 20, 30, 40, 50]),
      outputTokens: Int32Array.from([1, 2, 3, 4, 5]),
      zeroPromptRows: 0,
      zeroOutputRows: 1,
    };
    const s = summarizeDataset(table);
    expect(s.requests).toBe(5);
    expect(s.zeroOutputRows).toBe(1);
    const a = s.arrival!;
    expect(a.durationS).toBe(200);
    expect(a.meanRateRps).toBeCloseTo(4 / 200, 12);
    expect(a.binS).toBe(2);
    expect(a.tS).toHaveLength(101);
    expect(a.rateRps[0]).toBe(1.5); // 0, 1, 1.5 in [0, 2)
    expect(a.rateRps[1]).toBe(0.5); // 3 in [2, 4)
    expect(a.rateRps[100]).toBe(0.5); // 200 in the last bin
    expect(a.rateRps.slice(2, 100).every((r) => r === 0)).toBe(true);
    expect(a.peakRateRps).toBe(1.5);
    // gaps 1, 0.5, 1.5, 197: mean 50, sample variance (49² + 49.5² + 48.5² + 147²) / 3
    expect(a.interArrivalCv).toBeCloseTo(Math.sqrt(28812.5 / 3) / 50, 10);
  });

  it('summarises the real Azure conversation trace consistently', () => {
    const table = readAzureTrace(dataFile('azure-llm-2023/AzureLLMInferenceTrace_conv.csv'));
    const s = summarizeDataset(table);
    expect(s.requests).toBe(19_366);
    expect(s.promptTokens.mean).toBeCloseTo(1154.7, 1);
    expect(s.promptTokens.max).toBe(14_050);
    for (const d of [s.promptTokens, s.outputTokens]) {
      expect(d.histogram.counts.reduce((x, y) => x + y, 0)).toBe(19_366);
      expect(d.min).toBeLessThanOrEqual(d.p50);
      expect(d.p50).toBeLessThanOrEqual(d.p90);
      expect(d.p90).toBeLessThanOrEqual(d.p99);
      expect(d.p99).toBeLessThanOrEqual(d.max);
    }
    const a = s.arrival!;
    expect(a.binS).toBe(50);
    expect(a.rateRps.reduce((x, y) => x + y, 0) * a.binS).toBeCloseTo(19_366, 6);
    expect(a.meanRateRps).toBeCloseTo(19_365 / a.durationS, 12);
    expect(a.durationS).toBeCloseTo(3501.7, 1);
  });

  it('has no arrival summary for a length file', () => {
    const table = readLengthsFile(
      dataFile('metron-length-traces/sharegpt_8k_filtered_stats_llama2_tokenizer.csv'),
    );
    const s = summarizeDataset(table);
    expect(s.arrival).toBeNull();
    expect(s.requests).toBe(30_731);
  });
});
