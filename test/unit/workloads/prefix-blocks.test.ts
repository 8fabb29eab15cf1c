import { afterAll, describe, expect, it } from 'vitest';
import {
  buildRequestList,
  loadWorkload,
  traceWindowStart,
} from '../../../runner/workloads/build-workload.js';
import { readMooncakeTrace } from '../../../runner/workloads/mooncake-trace.js';
import {
  slicePrefixBlocks,
  truncatePrefixBlocks,
  validatePrefixBlocks,
  windowPrefixBlocks,
  type PrefixBlocks,
} from '../../../runner/workloads/prefix-blocks.js';
import { prefixReuseBound } from '../../../runner/workloads/prefix-reuse-bound.js';
import { workloadAtRate } from '../../../runner/workloads/workload-at-rate.js';
import { WorkloadSpecSchema } from '../../../runner/workloads/workload-spec.js';
import { ROOT, dataFile, removeTempFiles, writeTemp } from './helpers.js';

afterAll(removeTempFiles);

/** Prefix blocks from per-request id arrays. */
function blocksOf(rows: number[][], blockTokens = 4): PrefixBlocks {
  const offsets = new Int32Array(rows.length + 1);
  rows.forEach((r, i) => (offsets[i + 1] = offsets[i] + r.length));
  return { blockTokens, offsets, ids: Float64Array.from(rows.flat()) };
}

/** Per-request id arrays of prefix blocks. */
function rowsOf(pb: PrefixBlocks): number[][] {
  const out: number[][] = [];
  for (let i = 0; i + 1 < pb.offsets.length; i++) {
    out.push(Array.from(pb.ids.subarray(pb.offsets[i], pb.offsets[i + 1])));
  }
  return out;
}

describe('validatePrefixBlocks', () => {
  const prompts = Int32Array.from([8, 5, 1]);

  it('accepts ids within each prompt, fewer ids than blocks included', () => {
    expect(() => validatePrefixBlocks(blocksOf([[1, 2], [1, 3], []]), prompts)).not.toThrow();
  });

  it('names what is wrong', () => {
    const good = blocksOf([[1, 2], [1, 3], [9]]);
    expect(() => validatePrefixBlocks(blocksOf([[1, 2, 3], [], []]), prompts, 'trace.jsonl')).toThrow(
      'trace.jsonl: request #0 has 3 block ids but its 8 prompt tokens fill at most 2 blocks of 4 tokens',
    );
    expect(() => validatePrefixBlocks({ ...good, offsets: Int32Array.from([1, 2, 4, 5]) }, prompts)).toThrow(
      'prefixBlocks: offsets[0] is 1; it must be 0',
    );
    expect(() => validatePrefixBlocks({ ...good, offsets: Int32Array.from([0, 2, 4]) }, prompts)).toThrow(
      'prefixBlocks: offsets has 3 entries; expected 4 (requests + 1)',
    );
    expect(() => validatePrefixBlocks({ ...good, offsets: Int32Array.from([0, 2, 4, 4]) }, prompts)).toThrow(
      'prefixBlocks: offsets[3] is 4; it must equal the number of ids, 5',
    );
    expect(() =>
      validatePrefixBlocks({ ...good, offsets: Int32Array.from([0, 3, 2, 5]) }, Int32Array.from([20, 5, 20])),
    ).toThrow('prefixBlocks: offsets decrease at request #1 (3 then 2)');
    expect(() =>
      validatePrefixBlocks({ ...good, ids: Float64Array.from([1, 2, 1, 3, 0.5]) }, prompts),
    ).toThrow('prefixBlocks: ids[4] is 0.5; block ids must be integers in [0, 2^53)');
    expect(() => validatePrefixBlocks({ ...good, blockTokens: 0 }, prompts)).toThrow(
      'prefixBlocks: blockTokens 0 is not a positive integer',
    );
  });
});

describe('slicing and cutting', () => {
  const pb = blocksOf([[1, 2], [3], [], [4, 5, 6]]);

  it('slicePrefixBlocks follows indices in any order, repeats included', () => {
    const s = slicePrefixBlocks(pb, Int32Array.from([3, 0, 2, 0]));
    expect(rowsOf(s)).toEqual([[4, 5, 6], [1, 2], [], [1, 2]]);
    expect(s.blockTokens).toBe(4);
    expect(s.offsets[s.offsets.length - 1]).toBe(s.ids.length);
  });

  it('windowPrefixBlocks equals slicing consecutive indices', () => {
    expect(rowsOf(windowPrefixBlocks(pb, 1, 3))).toEqual([[3], [], [4, 5, 6]]);
    expect(windowPrefixBlocks(pb, 1, 3)).toEqual(slicePrefixBlocks(pb, Int32Array.from([1, 2, 3])));
  });

  it('truncatePrefixBlocks keeps ceil(prompt / blockTokens) ids of each cut prompt', () => {
    const cut = truncatePrefixBlocks(pb, Int32Array.from([5, 4, 3, 4]));
    expect(rowsOf(cut)).toEqual([[1, 2], [3], [], [4]]);
    expect(() => validatePrefixBlocks(cut, Int32Array.from([5, 4, 3, 4]))).not.toThrow();
    const same = Int32Array.from([8, 1, 1, 12]);
    expect(truncatePrefixBlocks(pb, same)).toBe(pb);
  });
});

describe('Mooncake hash_ids', () => {
  const conversation = readMooncakeTrace(dataFile('mooncake-fast25/conversation_trace.jsonl'));
  const synthetic = readMooncakeTrace(dataFile('mooncake-fast25/synthetic_trace.jsonl'));

  it('are kept as 512-token prefix blocks, one id per prompt block (the README check)', () => {
    for (const t of [conversation, synthetic]) {
      const pb = t.prefixBlocks!;
      expect(pb.blockTokens).toBe(512);
      validatePrefixBlocks(pb, t.promptTokens, t.file);
      for (let i = 0; i < t.promptTokens.length; i++) {
        expect(pb.offsets[i + 1] - pb.offsets[i]).toBe(Math.ceil(t.promptTokens[i] / 512));
      }
    }
    // the first line: {"timestamp": 0, "input_length": 6758, ..., "hash_ids": [0, 1, ..., 13]}
    expect(rowsOf(conversation.prefixBlocks!)[0]).toEqual([...Array(14).keys()]);
    expect(conversation.prefixBlocks!.ids.length / 12_031).toBeCloseTo(23.98, 2);
    expect(synthetic.prefixBlocks!.ids.length / 3_993).toBeCloseTo(30.52, 2);
  });

  it("give the traces' own infinite-cache reuse bounds (data/mooncake-fast25/README.md)", () => {
    const c = prefixReuseBound(conversation);
    expect(c.blocks.toFixed(3)).toBe('0.366');
    expect(c.tokens.toFixed(3)).toBe('0.374');
    const s = prefixReuseBound(synthetic);
    expect(s.blocks.toFixed(3)).toBe('0.640');
    expect(s.tokens.toFixed(3)).toBe('0.651');
  });

  it('a list without prefix blocks has a bound of 0', () => {
    const { prefixBlocks: _, ...plain } = conversation;
    expect(prefixReuseBound(plain)).toEqual({ blocks: 0, tokens: 0, ids: 0, hitIds: 0 });
  });

  it('the reuse bound counts only the leading seen ids', () => {
    const list = {
      arrival: new Float64Array(3),
      promptTokens: Int32Array.from([12, 12, 10]),
      outputTokens: Int32Array.from([1, 1, 1]),
      prefixBlocks: blocksOf([
        [1, 2, 3],
        [1, 9, 3],
        [1, 2, 3],
      ]),
    };
    const r = prefixReuseBound(list);
    expect(r.hitIds).toBe(4); // request 1: [1]; request 2: [1, 2, 3]
    expect(r.blocks).toBeCloseTo(4 / 9, 12);
    expect(r.tokens).toBeCloseTo((4 + 10) / 34, 12);
  });

  it('travel with the window a seed picks, a rescaled rate and maxTokens', () => {
    const spec = WorkloadSpecSchema.parse({
      name: 'mc',
      trace: { path: 'data/mooncake-fast25/conversation_trace.jsonl', format: 'mooncake' },
      requests: 500,
      maxTokens: 4096,
    });
    const loaded = workloadAtRate(loadWorkload(spec, { specDir: ROOT }), 7);
    const table = readMooncakeTrace(dataFile('mooncake-fast25/conversation_trace.jsonl'));
    for (const seed of [1, 2]) {
      const list = buildRequestList(loaded, { seed });
      const pb = list.prefixBlocks!;
      validatePrefixBlocks(pb, list.promptTokens);
      const start = traceWindowStart(12_031, 500, seed);
      expect(Array.from(list.outputTokens.subarray(0, 3))).toEqual(
        Array.from(table.outputTokens.subarray(start, start + 3)).map((o, i) =>
          table.promptTokens[start + i] + o > 4096 ? list.outputTokens[i] : o,
        ),
      );
      const full = rowsOf(windowPrefixBlocks(table.prefixBlocks!, start, 500));
      const got = rowsOf(pb);
      expect(got.filter((ids, i) => ids.length < full[i].length).length).toBeGreaterThan(100); // cut
      for (let i = 0; i < 500; i++) {
        expect(got[i]).toEqual(full[i].slice(0, Math.ceil(list.promptTokens[i] / 512)));
        expect(list.promptTokens[i] + list.outputTokens[i]).toBeLessThanOrEqual(4096);
      }
    }
  });
});

describe('Mooncake reader and hash_ids errors', () => {
  const line = (ids: string, input = 1000): string =>
    `{"timestamp": 0, "input_length": ${input}, "output_length": 5${ids === '' ? '' : `, "hash_ids": ${ids}`}}`;

  it('a trace without hash_ids reads as before, without prefix blocks', () => {
    const t = readMooncakeTrace(writeTemp('plain.jsonl', `${line('')}\n${line('')}\n`));
    expect(t.prefixBlocks).toBeUndefined();
    expect(Array.from(t.promptTokens)).toEqual([1000, 1000]);
  });

  it('a row without hash_ids among rows with them has no ids', () => {
    const t = readMooncakeTrace(writeTemp('mixed.jsonl', `${line('[4, 7]')}\n${line('')}\n${line('[4]')}\n`));
    expect(rowsOf(t.prefixBlocks!)).toEqual([[4, 7], [], [4]]);
  });

  it('names file, line and field for bad hash_ids', () => {
    const bad = (ids: string, input?: number): string => {
      const file = writeTemp('bad.jsonl', `${line('[1]')}\n${line(ids, input)}\n`);
      try {
        readMooncakeTrace(file);
      } catch (err) {
        return (err as Error).message.replace(file, 'F');
      }
      return 'no error';
    };
    expect(bad('[1, 2, 3]')).toBe(
      'F:2: column "hash_ids": 3 block ids but the prompt\'s 1000 tokens fill at most 2 blocks of 512 tokens',
    );
    expect(bad('"abc"')).toBe('F:2: column "hash_ids": "abc" is not an array of block ids');
    expect(bad('[1, -2]')).toBe(
      'F:2: column "hash_ids": block id "-2" (position 1) is not an integer in [0, 2^53)',
    );
    expect(bad('[1.5]')).toBe(
      'F:2: column "hash_ids": block id "1.5" (position 0) is not an integer in [0, 2^53)',
    );
    expect(bad('[1]', 0)).toBe('no error'); // 0 prompt tokens count as 1: one block
  });
});
