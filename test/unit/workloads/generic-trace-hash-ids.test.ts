import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../runner/errors.js';
import { buildRequestList, loadWorkload } from '../../../runner/workloads/build-workload.js';
import { genericTraceOptions } from '../../../runner/workloads/generic-trace.js';
import { readMooncakeTrace } from '../../../runner/workloads/mooncake-trace.js';
import { validatePrefixBlocks, type PrefixBlocks } from '../../../runner/workloads/prefix-blocks.js';
import { readTrace } from '../../../runner/workloads/read-trace.js';
import { TraceSpecSchema, parseWorkloadSpec } from '../../../runner/workloads/workload-spec.js';
import { dataFile, removeTempFiles, sameArray, writeTemp } from './helpers.js';
import { workloadSpecError } from '../../helpers/workload-spec-error.js';

afterAll(removeTempFiles);

/** Per-request id arrays of prefix blocks. */
function rowsOf(pb: PrefixBlocks): number[][] {
  const out: number[][] = [];
  for (let i = 0; i + 1 < pb.offsets.length; i++) {
    out.push(Array.from(pb.ids.subarray(pb.offsets[i], pb.offsets[i + 1])));
  }
  return out;
}

/** The fields of {@link jsonlSpec}'s traces. */
const COLUMNS = { arrival: 't', prompt: 'in', output: 'out', hashIds: 'ids' };

/** A generic JSONL trace spec with fields `t`, `in`, `out` and hash ids in `ids`. */
function jsonlSpec(path: string, blockTokens?: number) {
  return TraceSpecSchema.parse({
    path,
    format: 'jsonl',
    columns: COLUMNS,
    ...(blockTokens === undefined ? {} : { blockTokens }),
  });
}

/** One row of a trace in {@link jsonlSpec}'s fields; `ids` is written as is (omitted when undefined). */
function row(t: number, input: number, ids?: string): string {
  return `{"t": ${t}, "in": ${input}, "out": 3${ids === undefined ? '' : `, "ids": ${ids}`}}`;
}

function parseError(value: unknown): InputError {
  return workloadSpecError(value, 'workloads[0]');
}

describe('generic jsonl hash ids', () => {
  it('are read as prefix blocks of blockTokens prompt tokens, aligned with the rows', () => {
    const text = [row(0, 250, '[7, 8, 9]'), row(1, 100, '[7]'), row(1, 201, '[7, 8, 42]')].join('\n');
    const file = writeTemp('ids.jsonl', `${text}\n`);
    const table = readTrace(jsonlSpec(file, 100), file);
    const pb = table.prefixBlocks!;
    validatePrefixBlocks(pb, table.promptTokens, file);
    expect(pb.blockTokens).toBe(100);
    expect(rowsOf(pb)).toEqual([[7, 8, 9], [7], [7, 8, 42]]);
    expect(Array.from(table.promptTokens)).toEqual([250, 100, 201]);
  });

  it('default to 512 tokens per id, and travel into the request list a workload builds', () => {
    const file = writeTemp('default.jsonl', `${row(0, 1024, '[1, 2]')}\n${row(2, 600, '[1, 5]')}\n`);
    const spec = parseWorkloadSpec(
      { name: 'g', trace: { path: file, format: 'jsonl', columns: COLUMNS } },
      { file: 's.yaml' },
    );
    const list = buildRequestList(loadWorkload(spec, { specDir: '/' }), { seed: 1 });
    expect(list.prefixBlocks!.blockTokens).toBe(512);
    expect(rowsOf(list.prefixBlocks!)).toEqual([
      [1, 2],
      [1, 5],
    ]);
  });

  it('a row without the field, or with null, has no ids; a file without any has no prefix blocks', () => {
    const text = [row(0, 300, '[4]'), row(1, 300), row(2, 300, 'null'), row(3, 300, '[]')].join('\n');
    const file = writeTemp('mixed.jsonl', text);
    const table = readTrace(jsonlSpec(file), file);
    validatePrefixBlocks(table.prefixBlocks!, table.promptTokens);
    expect(rowsOf(table.prefixBlocks!)).toEqual([[4], [], [], []]);
    const none = writeTemp('none.jsonl', `${row(0, 300)}\n${row(1, 300, 'null')}\n`);
    expect(readTrace(jsonlSpec(none), none).prefixBlocks).toBeUndefined();
  });

  it('names file, line and field for ids that are not an array, not integers, or too many', () => {
    const bad = (ids: string): InputError => {
      const file = writeTemp('bad.jsonl', `${row(0, 200, '[1]')}\n${row(1, 200, ids)}\n`);
      try {
        readTrace(jsonlSpec(file, 100), file);
      } catch (err) {
        expect(err).toBeInstanceOf(InputError);
        const e = err as InputError;
        expect(e.location).toEqual({ file, line: 2, field: 'ids' });
        expect(e.message.startsWith(`${file}:2: column "ids": `)).toBe(true);
        return e;
      }
      throw new Error(`expected an InputError for ${ids}`);
    };
    expect(bad('"1,2"').message).toMatch(/"1,2" is not an array of block ids$/);
    expect(bad('{"a": 1}').message).toMatch(/is not an array of block ids$/);
    expect(bad('[1, 2.5]').message).toMatch(
      /block id "2.5" \(position 1\) is not an integer in \[0, 2\^53\)$/,
    );
    expect(bad('[-1]').message).toMatch(/block id "-1" \(position 0\) is not an integer in \[0, 2\^53\)$/);
    expect(bad('[9007199254740992]').message).toMatch(/is not an integer in \[0, 2\^53\)$/);
    expect(bad('[1, 2, 3]').message).toMatch(
      /3 block ids but the prompt's 200 tokens fill at most 2 blocks of 100 tokens$/,
    );
  });

  it('refuses blockTokens without columns.hashIds, at blockTokens', () => {
    const err = parseError({
      name: 'g',
      trace: { path: 't.jsonl', format: 'jsonl', blockTokens: 64 },
    });
    expect(err.location.field).toBe('workloads[0].trace.blockTokens');
    expect(err.message).toMatch(/workloads\[0\]\.trace\.blockTokens: .*applies only with `columns\.hashIds`/);
    const zero = parseError({
      name: 'g',
      trace: { path: 't.jsonl', format: 'jsonl', blockTokens: 0, columns: COLUMNS },
    });
    expect(zero.location.field).toBe('workloads[0].trace.blockTokens');
  });

  it('refuses hash ids on a csv trace, at columns.hashIds (and blockTokens), JSONL only', () => {
    const err = parseError({
      name: 'g',
      trace: {
        path: 't.csv',
        format: 'csv',
        columns: { arrival: 'a', prompt: 'p', output: 'o', hashIds: 'h' },
      },
    });
    expect(err.location.field).toBe('workloads[0].trace.columns.hashIds');
    expect(err.message).toMatch(/trace\.columns\.hashIds: hash ids are read from JSONL traces only/);
    const tokens = parseError({ name: 'g', trace: { path: 't.csv', format: 'csv', blockTokens: 512 } });
    expect(tokens.location.field).toBe('workloads[0].trace.blockTokens');
    expect(tokens.message).toMatch(/JSONL traces only/);
  });

  it('a Mooncake file read as generic jsonl gives the Mooncake reader’s prefix blocks', () => {
    const lines = readFileSync(dataFile('mooncake-fast25/conversation_trace.jsonl'), 'utf8').split('\n');
    const file = writeTemp('mooncake-500.jsonl', `${lines.slice(0, 500).join('\n')}\n`);
    const generic = readTrace(
      TraceSpecSchema.parse({
        path: file,
        format: 'jsonl',
        columns: {
          arrival: 'timestamp',
          prompt: 'input_length',
          output: 'output_length',
          hashIds: 'hash_ids',
        },
        timeUnit: 'ms',
      }),
      file,
    );
    const mooncake = readMooncakeTrace(file);
    const [g, m] = [generic.prefixBlocks!, mooncake.prefixBlocks!];
    expect(m.offsets.length).toBe(501);
    expect(g.blockTokens).toBe(m.blockTokens);
    expect(sameArray(g.offsets, m.offsets)).toBe(true);
    expect(sameArray(g.ids, m.ids)).toBe(true);
    expect(sameArray(generic.arrival, mooncake.arrival)).toBe(true);
    expect(sameArray(generic.promptTokens, mooncake.promptTokens)).toBe(true);
    validatePrefixBlocks(g, generic.promptTokens, file);
  });
});

describe('genericTraceOptions', () => {
  it('reads hash ids only from jsonl, with blockTokens only beside them', () => {
    const columns = { arrival: 'a', prompt: 'p', output: 'o', hashIds: 'h' };
    expect(genericTraceOptions({ format: 'jsonl', columns, blockTokens: 16 }).prefixBlocks).toEqual({
      column: 'h',
      blockTokens: 16,
    });
    expect(genericTraceOptions({ format: 'jsonl', columns }).columns).toEqual({
      arrival: 'a',
      prompt: 'p',
      output: 'o',
    });
    expect(genericTraceOptions({ format: 'jsonl' }).prefixBlocks).toBeUndefined();
    expect(() => genericTraceOptions({ format: 'csv', columns })).toThrow(/^trace\.columns\.hashIds: /);
    expect(() => genericTraceOptions({ format: 'jsonl', blockTokens: 16 })).toThrow(/^trace\.blockTokens: /);
  });
});
