import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../runner/errors.js';
import {
  buildRequestList,
  loadWorkload,
  nominalRate,
  resolveRequestCount,
  traceWindowStart,
  type LoadedTraceWorkload,
} from '../../../runner/workloads/build-workload.js';
import { requestCount } from '../../../runner/workloads/request-list.js';
import type { WorkloadSpec } from '../../../runner/workloads/workload-spec.js';
import { ROOT, mean, sameArray, sameList, writeTemp, removeTempFiles } from './helpers.js';

afterAll(removeTempFiles);

const AZURE_CONV: WorkloadSpec = {
  name: 'azure-conv',
  trace: { path: 'data/azure-llm-2023/AzureLLMInferenceTrace_conv.csv', format: 'azure' },
};
const SHAREGPT = 'data/metron-length-traces/sharegpt_8k_filtered_stats_llama2_tokenizer.csv';
const load = (spec: WorkloadSpec) => loadWorkload(spec, { specDir: ROOT });

function expectSorted(arrival: Float64Array): void {
  expect(arrival[0]).toBe(0);
  for (let i = 1; i < arrival.length; i++) {
    if (arrival[i] < arrival[i - 1]) throw new Error(`arrival ${i} decreases`);
  }
}

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('expected an InputError');
}

describe('trace replay', () => {
  const loaded = load(AZURE_CONV) as LoadedTraceWorkload;

  it('replays every row as recorded when requests is absent', () => {
    const list = buildRequestList(loaded, { seed: 1 });
    expect(requestCount(list)).toBe(19_366);
    expectSorted(list.arrival);
    expect(list.arrival[list.arrival.length - 1]).toBeCloseTo(3501.72, 2);
    expect(list.typeIndex).toBeUndefined();
    expect(nominalRate(loaded)).toBeCloseTo(19_365 / 3501.721937, 6);
  });

  it('replays a window of N consecutive rows of the real trace, chosen by the seed', () => {
    const { table } = loaded;
    const rows = table.arrival.length;
    const starts = [1, 2, 3].map((seed) => traceWindowStart(rows, 100, seed));
    expect(new Set(starts).size).toBe(3);
    for (const [k, seed] of [1, 2, 3].entries()) {
      const start = starts[k];
      const list = buildRequestList(loaded, { seed, requests: 100 });
      expect(requestCount(list)).toBe(100);
      expect(sameArray(list.promptTokens, table.promptTokens.slice(start, start + 100))).toBe(true);
      expect(sameArray(list.outputTokens, table.outputTokens.slice(start, start + 100))).toBe(true);
      // Arrivals as recorded, shifted so that the window's first request arrives at 0.
      expect(list.arrival[0]).toBe(0);
      for (const i of [1, 50, 99]) {
        expect(list.arrival[i]).toBeCloseTo(table.arrival[start + i] - table.arrival[start], 9);
      }
      // The same seed gives the same window, bit for bit.
      expect(sameList(buildRequestList(loaded, { seed, requests: 100 }), list)).toBe(true);
    }
    const [one, two] = [1, 2].map((seed) => buildRequestList(loaded, { seed, requests: 100 }));
    expect(sameArray(one.promptTokens, two.promptTokens)).toBe(false);
    // Seed 1 draws its window too: not the trace's first 100 rows ([374, 396, 879, ...]).
    expect(starts[0]).not.toBe(0);
    // The workload's own requests wins over the sweep's.
    const own = load({ ...AZURE_CONV, requests: 10 });
    expect(requestCount(buildRequestList(own, { seed: 1, requests: 500 }))).toBe(10);
  });

  it('draws window starts over the whole trace, and replays the whole trace for N = rows', () => {
    const rows = loaded.table.arrival.length;
    const starts = Array.from({ length: 200 }, (_, seed) => traceWindowStart(rows, 2000, seed));
    for (const s of starts) {
      expect(Number.isInteger(s) && s >= 0 && s <= rows - 2000).toBe(true);
    }
    const span = rows - 2000;
    expect(Math.min(...starts)).toBeLessThan(span / 10);
    expect(Math.max(...starts)).toBeGreaterThan(span * 0.9);
    expect(starts.filter((s) => s < span / 2).length).toBeGreaterThan(70);
    expect(starts.filter((s) => s < span / 2).length).toBeLessThan(130);
    expect(traceWindowStart(rows, rows, 7)).toBe(0);
    const whole = [1, 2].map((seed) => buildRequestList(loaded, { seed, requests: rows }));
    expect(sameList(whole[0], whole[1])).toBe(true);
  });

  it('keeps the window when only the rate changes, and rates a recorded trace over all its rows', () => {
    const asIs = buildRequestList(loaded, { seed: 4, requests: 500 });
    const scaled = buildRequestList(load({ ...AZURE_CONV, rate: 3 }), { seed: 4, requests: 500 });
    expect(sameArray(asIs.promptTokens, scaled.promptTokens)).toBe(true);
    expect(499 / scaled.arrival[499]).toBeCloseTo(3, 9);
    // The nominal rate of a recorded replay does not depend on the seed's window: the whole trace's.
    expect(nominalRate(loaded, 100)).toBeCloseTo(19_365 / 3501.721937, 6);
    expect(nominalRate(loaded, 100)).toBe(nominalRate(loaded));
  });

  it('rescales to a mean rate: (N - 1)/span = rate', () => {
    for (const rate of [0.5, 2, 37.5]) {
      const scaled = load({ ...AZURE_CONV, rate });
      for (const requests of [50, 2000, undefined]) {
        const list = buildRequestList(scaled, { seed: 9, requests });
        const n = requestCount(list);
        expect((n - 1) / list.arrival[n - 1]).toBeCloseTo(rate, 9);
        expectSorted(list.arrival);
      }
      expect(nominalRate(scaled)).toBe(rate);
    }
  });

  it('rescaling keeps the relative gaps', () => {
    const asIs = buildRequestList(loaded, { seed: 1, requests: 1000 });
    const fast = buildRequestList(load({ ...AZURE_CONV, rate: 20 }), { seed: 1, requests: 1000 });
    const factor = fast.arrival[999] / asIs.arrival[999];
    for (const i of [1, 10, 500]) expect(fast.arrival[i]).toBeCloseTo(asIs.arrival[i] * factor, 9);
  });

  it('applies maxTokens to trace rows', () => {
    const capped = buildRequestList(load({ ...AZURE_CONV, maxTokens: 2048 }), { seed: 1 });
    for (let i = 0; i < capped.promptTokens.length; i++) {
      if (capped.promptTokens[i] + capped.outputTokens[i] > 2048) throw new Error(`row ${i} over the cap`);
    }
  });

  it('reads Mooncake, generic CSV and generic JSONL traces', () => {
    const moon = load({
      name: 'm',
      trace: { path: 'data/mooncake-fast25/conversation_trace.jsonl', format: 'mooncake' },
    });
    const list = buildRequestList(moon, { seed: 1 });
    expect(requestCount(list)).toBe(12_031);
    expect(mean(list.promptTokens)).toBeCloseTo(12_035.1, 1);
    const vidur = load({
      name: 'v',
      trace: { path: 'data/vidur/data/processed_traces/splitwise_code.csv', format: 'csv' },
    });
    expect(requestCount(buildRequestList(vidur, { seed: 1 }))).toBe(8_819);
    const jsonl = writeTemp(
      'trace.jsonl',
      '{"t": "2024-01-01T00:00:00Z", "in": 5, "out": 2}\n{"t": "2024-01-01T01:00:00.25+01:00", "in": 6, "out": 3}\n',
    );
    const generic = load({
      name: 'g',
      trace: {
        path: jsonl,
        format: 'jsonl',
        columns: { arrival: 't', prompt: 'in', output: 'out' },
        timestampFormat: 'datetime',
      },
    });
    const g = buildRequestList(generic, { seed: 1 });
    expect(Array.from(g.arrival)).toEqual([0, 0.25]);
    expect(Array.from(g.promptTokens)).toEqual([5, 6]);
  });

  it('rejects N above the trace rows, naming requests', () => {
    const err = inputError(() => buildRequestList(loaded, { seed: 1, requests: 20_000 }));
    expect(err.message).toContain('requests');
    expect(err.message).toContain('19366');
    expect(err.location.field).toBe('requests');
    expect(() => load({ ...AZURE_CONV, requests: 20_000 })).toThrow(InputError);
  });

  it('rejects rescaling a window whose requests all arrive at once', () => {
    const rows = ['arrived_at,num_prefill_tokens,num_decode_tokens'];
    for (let i = 0; i < 6; i++) rows.push(`5,${10 + i},3`);
    const burst = load({
      name: 'b',
      trace: { path: writeTemp('burst.csv', `${rows.join('\n')}\n`), format: 'csv' },
      rate: 5,
    });
    for (const seed of [1, 2]) {
      const err = inputError(() => buildRequestList(burst, { seed, requests: 3 }));
      expect(err.message).toContain('span 0 s');
      expect(err.location.field).toBe('requests');
    }
    expect(requestCount(buildRequestList(burst, { seed: 1, requests: 1 }))).toBe(1);
  });
});

describe('lengths file + arrival process', () => {
  const spec: WorkloadSpec = {
    name: 'sharegpt',
    lengths: { path: SHAREGPT },
    arrival: { process: 'poisson', rate: 4 },
  };
  const loaded = load(spec);

  it('requires requests', () => {
    const err = inputError(() => buildRequestList(loaded, { seed: 1 }));
    expect(err.location.field).toBe('requests');
    expect(err.message).toContain('requests: required');
  });

  it('draws rows without replacement after a seeded shuffle', () => {
    const list = buildRequestList(loaded, { seed: 3, requests: 30_731 });
    const table = loaded.kind === 'lengths' ? loaded.table : undefined;
    // Every row exactly once: same multiset of (prompt, output) pairs.
    const key = (p: number, o: number) => p * 100_000 + o;
    const want = Array.from(table!.promptTokens, (p, i) => key(p, table!.outputTokens[i])).sort(
      (a, b) => a - b,
    );
    const got = Array.from(list.promptTokens, (p, i) => key(p, list.outputTokens[i])).sort((a, b) => a - b);
    expect(sameArray(Float64Array.from(got), Float64Array.from(want))).toBe(true);
    expect(Array.from(list.promptTokens.slice(0, 20))).not.toEqual(
      Array.from(table!.promptTokens.slice(0, 20)),
    );
    expect(mean(list.promptTokens)).toBeCloseTo(2340.0, 1);
  });

  it('draws with replacement when more requests than rows are asked for', () => {
    const list = buildRequestList(loaded, { seed: 3, requests: 40_000 });
    expect(requestCount(list)).toBe(40_000);
    expect(Math.abs(mean(list.promptTokens) - 2340) / 2340).toBeLessThan(0.03);
  });

  it('is deterministic per seed, and N1 < N2 gives a prefix', () => {
    const a = buildRequestList(loaded, { seed: 8, requests: 1000 });
    const b = buildRequestList(loaded, { seed: 8, requests: 1000 });
    const c = buildRequestList(loaded, { seed: 9, requests: 1000 });
    expect(sameList(a, b)).toBe(true);
    expect(sameArray(c.promptTokens, a.promptTokens)).toBe(false);
    expect(sameArray(c.arrival, a.arrival)).toBe(false);
    const longer = buildRequestList(loaded, { seed: 8, requests: 2000 });
    expect(sameArray(longer.promptTokens.slice(0, 1000), a.promptTokens)).toBe(true);
    expect(sameArray(longer.arrival.slice(0, 1000), a.arrival)).toBe(true);
  });

  it('keeps the lengths when only the arrival rate or process changes (common random numbers)', () => {
    const base = buildRequestList(loaded, { seed: 5, requests: 500 });
    for (const arrival of [
      { process: 'poisson', rate: 40 } as const,
      { process: 'gamma', rate: 4, cv: 3 } as const,
      { process: 'deterministic', rate: 1 } as const,
    ]) {
      const other = buildRequestList(load({ ...spec, arrival }), { seed: 5, requests: 500 });
      expect(sameArray(other.promptTokens, base.promptTokens)).toBe(true);
      expect(sameArray(other.outputTokens, base.outputTokens)).toBe(true);
    }
    const faster = buildRequestList(load({ ...spec, arrival: { process: 'poisson', rate: 40 } }), {
      seed: 5,
      requests: 500,
    });
    expect(faster.arrival[499]).toBeCloseTo(base.arrival[499] / 10, 9);
    expect(nominalRate(loaded)).toBe(4);
  });

  it('accepts arXiv with maxTokens and Splitwise CSVs as length files', () => {
    const arxiv = load({
      name: 'arxiv',
      lengths: {
        path: 'data/vidur/data/processed_traces/arxiv_summarization_stats_llama2_tokenizer_filtered_v2.csv',
      },
      arrival: { process: 'poisson', rate: 1 },
      maxTokens: 4096,
    });
    const list = buildRequestList(arxiv, { seed: 1, requests: 5000 });
    let changed = false;
    const unCapped = buildRequestList(
      { ...arxiv, spec: { ...arxiv.spec, maxTokens: undefined } },
      { seed: 1, requests: 5000 },
    );
    for (let i = 0; i < 5000; i++) if (list.promptTokens[i] !== unCapped.promptTokens[i]) changed = true;
    expect(changed).toBe(false); // the file is already filtered to <= 4096 total
    const splitwise = load({
      name: 's',
      lengths: { path: 'data/vidur/data/processed_traces/splitwise_conv.csv' },
      arrival: { process: 'poisson', rate: 1 },
    });
    expect(requestCount(buildRequestList(splitwise, { seed: 1, requests: 10 }))).toBe(10);
  });
});

describe('synthetic', () => {
  const spec: WorkloadSpec = {
    name: 'syn',
    arrival: { process: 'gamma', rate: 2, burstiness: 0.5 },
    promptTokens: { dist: 'uniform', min: 10, max: 20 },
    outputTokens: { dist: 'lognormal', mean: 200, sigma: 0.8, max: 5000 },
    requests: 4000,
  };
  const loaded = load(spec);

  it('draws the asked distributions', () => {
    const list = buildRequestList(loaded, { seed: 2 });
    expect(requestCount(list)).toBe(4000);
    expectSorted(list.arrival);
    expect(Math.min(...list.promptTokens)).toBe(10);
    expect(Math.max(...list.promptTokens)).toBe(20);
    expect(Math.abs(mean(list.outputTokens) - 200) / 200).toBeLessThan(0.05);
    expect(Math.max(...list.outputTokens)).toBeLessThanOrEqual(5000);
    expect(Math.min(...list.outputTokens)).toBeGreaterThanOrEqual(1);
    expect(nominalRate(loaded)).toBe(2);
  });

  it('is deterministic, seed-sensitive, and keeps the other side when one length changes', () => {
    expect(sameList(buildRequestList(loaded, { seed: 2 }), buildRequestList(loaded, { seed: 2 }))).toBe(true);
    const reseeded = buildRequestList(loaded, { seed: 3 });
    expect(sameArray(reseeded.outputTokens, buildRequestList(loaded, { seed: 2 }).outputTokens)).toBe(false);
    expect(sameArray(reseeded.arrival, buildRequestList(loaded, { seed: 2 }).arrival)).toBe(false);
    const other = load({ ...spec, promptTokens: { dist: 'zipf', s: 1.2, max: 1000 } });
    const a = buildRequestList(loaded, { seed: 2 });
    const b = buildRequestList(other, { seed: 2 });
    expect(sameArray(b.outputTokens, a.outputTokens)).toBe(true);
    expect(sameArray(b.arrival, a.arrival)).toBe(true);
    expect(sameArray(b.promptTokens, a.promptTokens)).toBe(false);
  });

  it('samples a file column', () => {
    const fromFile = load({
      name: 'f',
      arrival: { process: 'poisson', rate: 1 },
      promptTokens: { dist: 'file', path: SHAREGPT, column: 'prompt' },
      outputTokens: { dist: 'file', path: SHAREGPT, column: 'output' },
    });
    const list = buildRequestList(fromFile, { seed: 1, requests: 20_000 });
    expect(Math.abs(mean(list.promptTokens) - 2340) / 2340).toBeLessThan(0.03);
    expect(Math.abs(mean(list.outputTokens) - 438.7) / 438.7).toBeLessThan(0.03);
  });
});

describe('typed mix', () => {
  // The paper's synthetic setting: prefill 10, decode 20/40/80/160, rates in ratio 20:40:80:160.
  const types = [
    { prompt: 10, output: 20, rate: 2 },
    { prompt: 10, output: 40, rate: 4 },
    { prompt: 10, output: 80, rate: 8 },
    { prompt: 10, output: 160, rate: 16 },
  ];
  const loaded = load({ name: 'paper', types });

  it('draws types in proportion to their rates at the total rate', () => {
    const list = buildRequestList(loaded, { seed: 4, requests: 30_000 });
    expect(list.typeIndex).toBeDefined();
    const counts = [0, 0, 0, 0];
    let mismatched = 0;
    for (let i = 0; i < 30_000; i++) {
      const j = list.typeIndex![i];
      counts[j] += 1;
      if (list.outputTokens[i] !== types[j].output || list.promptTokens[i] !== 10) mismatched += 1;
    }
    expect(mismatched).toBe(0);
    for (let j = 0; j < 4; j++) expect(Math.abs(counts[j] / 30_000 - types[j].rate / 30)).toBeLessThan(0.01);
    expect(nominalRate(loaded)).toBe(30);
    expect(Math.abs(29_999 / list.arrival[29_999] - 30) / 30).toBeLessThan(0.03);
    expectSorted(list.arrival);
  });

  it('is deterministic and requires requests', () => {
    const a = buildRequestList(loaded, { seed: 1, requests: 100 });
    expect(sameList(a, buildRequestList(loaded, { seed: 1, requests: 100 }))).toBe(true);
    expect(sameList(a, buildRequestList(loaded, { seed: 2, requests: 100 }))).toBe(false);
    expect(() => buildRequestList(loaded, { seed: 1 })).toThrow(/requests/);
    expect(resolveRequestCount(loaded, 7)).toBe(7);
    expect(() => resolveRequestCount(loaded, 0)).toThrow(/positive integer/);
  });

  it('applies maxTokens to typed requests', () => {
    const capped = load({ name: 'c', types: [{ prompt: 3000, output: 2000, rate: 1 }], maxTokens: 4096 });
    const list = buildRequestList(capped, { seed: 1, requests: 3 });
    expect(Array.from(list.promptTokens)).toEqual([2457, 2457, 2457]);
    expect(Array.from(list.outputTokens)).toEqual([1638, 1638, 1638]);
  });
});
