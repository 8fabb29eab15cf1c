import { describe, expect, it } from 'vitest';
import { EnginePrefixCache } from '../../../runner/engine/engine-prefix-cache.js';
import { simulate, type EngineConfig } from '../../../runner/engine/replica-engine.js';
import { LinearIterationTimeModel } from '../../../runner/latency/linear-model.js';
import { readMooncakeTrace } from '../../../runner/workloads/mooncake-trace.js';
import { windowPrefixBlocks, type PrefixBlocks } from '../../../runner/workloads/prefix-blocks.js';
import { prefixReuseBound } from '../../../runner/workloads/prefix-reuse-bound.js';
import type { RequestList } from '../../../runner/workloads/request-list.js';
import { AuditingScheduler } from '../../helpers/auditing-scheduler.js';
import { expectEngineInvariants } from '../../helpers/engine-invariants.js';
import { schedulerFor } from '../../helpers/scheduler-for.js';
import { dataFile } from '../workloads/helpers.js';

/** Prefix ids, one row per request (CSR). */
function blocksOf(rows: number[][], blockTokens: number): PrefixBlocks {
  const offsets = new Int32Array(rows.length + 1);
  rows.forEach((r, i) => (offsets[i + 1] = offsets[i] + r.length));
  return { blockTokens, offsets, ids: Float64Array.from(rows.flat()) };
}

/** A list of [arrival s, prompt tokens, output tokens] rows with prefix ids. */
function listOf(rows: [number, number, number][], ids: number[][], blockTokens: number): RequestList {
  return {
    arrival: Float64Array.from(rows.map((r) => r[0])),
    promptTokens: Int32Array.from(rows.map((r) => r[1])),
    outputTokens: Int32Array.from(rows.map((r) => r[2])),
    prefixBlocks: blocksOf(ids, blockTokens),
  };
}

/** vllm-v1 with prefix caching, block size 4, every iteration 1 s (iteration k ends at t = k). */
function run(list: RequestList, kvCapacityBlocks: number, prefixCaching = true) {
  const blockSize = 4;
  const audit = new AuditingScheduler(
    schedulerFor({ policy: 'vllm-v1' }, list, { kvCapacityBlocks, blockSize }),
    list.arrival.length,
    { sharedBlocks: prefixCaching },
  );
  const config: EngineConfig = {
    kvCapacityBlocks,
    blockSize,
    iterationTime: new LinearIterationTimeModel(1, 0),
    prefixCaching,
  };
  const out = simulate(list, config, audit);
  const prefills = audit.decisions
    .filter((d) => d.kind === 'prefill')
    .map((d) => [d.iteration, d.id, d.tokens]);
  expectEngineInvariants(out, audit, { capacity: kvCapacityBlocks, tokenModel: 'vllm' });
  return { out, audit, prefills };
}

describe('prefix caching in the engine (vllm-v1, hand-worked, block size 4)', () => {
  it('a second request sharing 3 full blocks skips their 12 tokens of prefill', () => {
    // A and B: 13-token prompts whose first 12 tokens (3 blocks) are equal. A at t=0, B at t=0.5.
    const list = listOf(
      [
        [0, 13, 3],
        [0.5, 13, 3],
      ],
      [
        [1, 2, 3, 10],
        [1, 2, 3, 20],
      ],
      4,
    );
    const { out, prefills } = run(list, 20);
    // [iteration, request, tokens computed]: B computes 1 token (13 - 3 cached blocks x 4).
    expect(prefills).toEqual([
      [1, 0, 13],
      [2, 1, 1],
    ]);
    expect([...out.prefixCache!.cachedTokens]).toEqual([0, 12]);
    expect([...out.prefixCache!.admissions]).toEqual([1, 1]);
    expect([...out.records.cachedTokens!]).toEqual([0, 12]);
    // Iteration 2 holds A's 4 blocks and B's 1 new block: the 3 shared blocks count once.
    expect(out.timeSeries.kvBlocks[1]).toBe(5);
    // Without prefix caching B computes its whole prompt and holds 4 blocks of its own.
    const plain = run(list, 20, false);
    expect(plain.prefills[1]).toEqual([2, 1, 13]);
    expect(plain.out.timeSeries.kvBlocks[1]).toBe(8);
    expect(plain.out.prefixCache).toBeUndefined();
  });

  it('never serves a whole prompt from the cache: at least one token is computed', () => {
    // B's prompt is exactly A's first 3 blocks: its hit is capped at 2 blocks (11 tokens max).
    const list = listOf(
      [
        [0, 13, 2],
        [0.5, 12, 2],
      ],
      [
        [1, 2, 3, 10],
        [1, 2, 3],
      ],
      4,
    );
    const { out, prefills } = run(list, 20);
    expect(out.prefixCache!.cachedTokens[1]).toBe(8);
    expect(prefills[1]).toEqual([2, 1, 4]);
  });

  it('maps 512-token trace blocks onto the engine block size', () => {
    // Trace blocks of 8 tokens = 2 engine blocks each; prompts share the first trace block only.
    const list = listOf(
      [
        [0, 16, 2],
        [0.5, 16, 2],
      ],
      [
        [7, 8],
        [7, 9],
      ],
      8,
    );
    const { out } = run(list, 20);
    expect(out.prefixCache!.cachedTokens[1]).toBe(8); // engine blocks 0 and 1 of trace block 7
  });

  it('reuses a freed cached block, evicting the least recently freed first (a tail before its prefix)', () => {
    // A (13 tokens, ids 1 2 3 | 10) finishes at t=1; its 4 blocks are freed tail first, so the
    // free queue is [4 5 6 7 | A's blocks 3 2 1 0]. C (24 private tokens, 6 blocks) at t=1.5 takes
    // 4 5 6 7 then A's blocks 3 (no key: partial) and 2 (key of ids 1 2 3): the least recently
    // freed. B (ids 1 2 3 | 99) at t=3 then finds A's first two blocks still cached: 8 tokens.
    const list = listOf(
      [
        [0, 13, 1],
        [1.5, 24, 1],
        [3, 13, 1],
      ],
      [[1, 2, 3, 10], [], [1, 2, 3, 99]],
      4,
    );
    const { out, prefills } = run(list, 8);
    expect(prefills).toEqual([
      [1, 0, 13],
      [2, 1, 24],
      [3, 2, 5],
    ]);
    expect([...out.prefixCache!.cachedTokens]).toEqual([0, 0, 8]);
    expect([...out.records.evictions]).toEqual([0, 0, 0]);
  });

  it('evicts cached free blocks before it preempts a running request', () => {
    // A (16 tokens, output 1) finishes at t=1 and leaves 4 cached free blocks of 6. B (8 private
    // tokens, output 12) grows to 19 KV tokens = 5 blocks: its 3 extra blocks come from A's cached
    // ones (least recently freed first: A's blocks 3, 2, 1), and B is never preempted. E with A's
    // prefix then finds only A's block 0 cached.
    const list = listOf(
      [
        [0, 16, 1],
        [1.5, 8, 12],
        [20, 16, 1],
      ],
      [[1, 2, 3, 4], [], [1, 2, 3, 4]],
      4,
    );
    const { out } = run(list, 6);
    expect([...out.records.evictions]).toEqual([0, 0, 0]);
    expect([...out.records.preemptions]).toEqual([0, 0, 0]);
    expect(Math.max(...out.timeSeries.kvBlocks)).toBe(5);
    expect([...out.prefixCache!.cachedTokens]).toEqual([0, 0, 4]);
  });

  it("a preempted request's re-admission hits its own cached blocks, output blocks included", () => {
    // Capacity 5: A (8 tokens, output 8) and B (8 tokens, output 8) both admitted; decoding, B
    // is preempted when A needs a block; when A finishes, B comes back and its own blocks freed
    // at the preemption, still cached, serve its re-admission.
    const list = listOf(
      [
        [0, 8, 8],
        [0, 8, 8],
      ],
      [[], []],
      4,
    );
    const { out } = run(list, 5);
    expect(out.records.evictions[1]).toBe(1);
    expect(out.prefixCache!.admissions[1]).toBe(2);
    expect(out.prefixCache!.cachedTokens[1]).toBe(0); // nothing shared at its first admission
    expect(out.prefixCache!.readmissionCachedTokens[1]).toBeGreaterThan(0);
    const plain = run(list, 5, false);
    expect(out.totals.iterations).toBeLessThanOrEqual(plain.out.totals.iterations);
    expect(out.records.finish[1]).toBeLessThanOrEqual(plain.out.records.finish[1]);
  });
});

describe('EnginePrefixCache keys', () => {
  it('gives requests with equal ids equal keys and keeps private blocks apart', () => {
    const list = listOf(
      [
        [0, 12, 1],
        [0, 12, 1],
        [0, 12, 1],
      ],
      [[5, 6, 7], [5, 6, 8], []],
      4,
    );
    const cache = new EnginePrefixCache(list.promptTokens, 30, 4, list.prefixBlocks);
    expect(cache.admit(0, 12, 12, 0)).toBe(0);
    expect(cache.hitBlocks(1, 12)).toBe(2); // blocks of ids 5 and 6; 8 differs
    expect(cache.hitBlocks(2, 12)).toBe(0); // no ids, never admitted
    cache.pool.checkInvariants();
    expect(cache.admit(1, 12, 4, 0)).toBe(8);
    expect(cache.pool.usedBlocks).toBe(4); // 3 + 1: two shared
    cache.free(0, true);
    cache.free(1, true);
    cache.pool.checkInvariants();
    expect(cache.pool.usedBlocks).toBe(0);
  });
});

describe('prefix caching on the Mooncake conversation trace (real file)', () => {
  const trace = readMooncakeTrace(dataFile('mooncake-fast25/conversation_trace.jsonl'));
  const n = 400;
  const list: RequestList = {
    arrival: trace.arrival.slice(0, n),
    promptTokens: trace.promptTokens.slice(0, n),
    outputTokens: trace.outputTokens.slice(0, n),
    prefixBlocks: windowPrefixBlocks(trace.prefixBlocks!, 0, n),
  };

  /** vllm-v1 with prefix caching on the window, KV capacity in blocks of 16 tokens. */
  function cachedRun(kvCapacityBlocks: number) {
    const blockSize = 16;
    const audit = new AuditingScheduler(
      schedulerFor({ policy: 'vllm-v1' }, list, { kvCapacityBlocks, blockSize }),
      n,
      { sharedBlocks: true },
    );
    const iterationTime = new LinearIterationTimeModel(0.01, 1e-7, 1e-5);
    const out = simulate(list, { kvCapacityBlocks, blockSize, iterationTime, prefixCaching: true }, audit);
    expectEngineInvariants(out, audit, { capacity: kvCapacityBlocks, tokenModel: 'vllm' });
    expect(out.records.evictions.reduce((a, b) => a + b, 0)).toBe(0); // every hit is a first admission's
    const cached = out.prefixCache!.cachedTokens.reduce((a, b) => a + b, 0);
    const prompt = list.promptTokens.reduce((a, b) => a + b, 0);
    const plain = simulate(
      list,
      { kvCapacityBlocks, blockSize, iterationTime },
      schedulerFor({ policy: 'vllm-v1' }, list, { kvCapacityBlocks, blockSize }),
    );
    return { out, plain, hitRate: cached / prompt };
  }
  const bound = prefixReuseBound(list).tokens;

  it("hits above zero and below the trace's own reuse bound with a finite cache, and TTFT falls", () => {
    const { out, plain, hitRate } = cachedRun(100_000); // 1.6M tokens: evicted blocks miss
    expect(hitRate).toBeGreaterThan(0);
    expect(hitRate).toBeLessThan(bound);
    const ttft = (o: typeof out) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += o.records.firstToken[i] - o.records.arrival[i];
      return s / n;
    };
    expect(ttft(out)).toBeLessThan(ttft(plain));
  });

  it('comes within 1e-4 of the bound with a cache that never evicts a block', () => {
    // 2M blocks hold every prompt of the window: each request hits all its leading seen ids, less
    // the last block of a prompt seen whole (at least one token is computed), which the bound counts.
    const { hitRate } = cachedRun(2_000_000);
    expect(hitRate).toBeLessThanOrEqual(bound);
    expect(hitRate).toBeGreaterThan(bound - 1e-4);
    expect(bound.toFixed(4)).toBe('0.1369');
  });
});
