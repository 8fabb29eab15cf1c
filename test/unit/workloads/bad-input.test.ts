import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../runner/errors.js';
import { loadWorkload } from '../../../runner/workloads/build-workload.js';
import { readAzureTrace } from '../../../runner/workloads/azure-trace.js';
import { DEFAULT_CSV_TRACE_COLUMNS, readGenericTrace } from '../../../runner/workloads/generic-trace.js';
import { readLengthsFile } from '../../../runner/workloads/lengths-file.js';
import { readMooncakeTrace } from '../../../runner/workloads/mooncake-trace.js';
import type { WorkloadSpec } from '../../../runner/workloads/workload-spec.js';
import { writeTemp, removeTempFiles } from './helpers.js';

afterAll(removeTempFiles);

/** Runs fn, expects an InputError, and returns it. */
function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('expected an InputError');
}

const CSV_SECONDS = {
  format: 'csv' as const,
  columns: DEFAULT_CSV_TRACE_COLUMNS,
  timeUnit: 's' as const,
  timestampFormat: 'seconds' as const,
};

describe('bad token counts name file, line and column', () => {
  it('length file: non-numeric count on line 3', () => {
    const file = writeTemp('lengths.csv', 'num_prefill_tokens,num_decode_tokens\n10,20\n30,abc\n40,50\n');
    const err = inputError(() => readLengthsFile(file));
    expect(err.message).toContain(file);
    expect(err.message).toContain(':3');
    expect(err.message).toContain('num_decode_tokens');
    expect(err.message).toContain('not a number');
    expect(err.location).toEqual({ file, line: 3, field: 'num_decode_tokens' });
  });

  it('Azure trace: non-numeric ContextTokens on line 3', () => {
    const file = writeTemp(
      'azure.csv',
      'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,374,44\n2023-11-16 18:15:50.9951690,x1,109',
    );
    const err = inputError(() => readAzureTrace(file));
    expect(err.message).toContain(`${file}:3`);
    expect(err.message).toContain('ContextTokens');
  });

  it('Mooncake trace: non-numeric input_length on line 3', () => {
    const file = writeTemp(
      'm.jsonl',
      '{"timestamp": 0, "input_length": 5, "output_length": 2}\n{"timestamp": 1, "input_length": 5, "output_length": 2}\n' +
        '{"timestamp": 2, "input_length": "lots", "output_length": 2}\n',
    );
    const err = inputError(() => readMooncakeTrace(file));
    expect(err.message).toContain(`${file}:3`);
    expect(err.message).toContain('input_length');
  });

  it('negative and non-integer counts are rejected', () => {
    const neg = writeTemp('neg.csv', 'num_prefill_tokens,num_decode_tokens\n10,20\n-3,5\n');
    expect(inputError(() => readLengthsFile(neg)).message).toMatch(
      /:3: column "num_prefill_tokens": .*negative/,
    );
    const frac = writeTemp('frac.csv', 'num_prefill_tokens,num_decode_tokens\n10,20\n3,5.5\n');
    expect(inputError(() => readLengthsFile(frac)).message).toMatch(
      /:3: column "num_decode_tokens": .*not an integer/,
    );
    const empty = writeTemp('empty.csv', 'num_prefill_tokens,num_decode_tokens\n10,20\n3,\n');
    expect(inputError(() => readLengthsFile(empty)).message).toMatch(/:3: column "num_decode_tokens": empty/);
  });

  it('quoted CSV files (csv-parse path) report the same line', () => {
    const file = writeTemp('q.csv', 'num_prefill_tokens,num_decode_tokens\n"10","20"\n"30","abc"\n');
    const err = inputError(() => readLengthsFile(file));
    expect(err.message).toContain(`${file}:3: column "num_decode_tokens"`);
  });

  it('line numbers count empty lines and CRLF ends', () => {
    const file = writeTemp('crlf.csv', 'num_prefill_tokens,num_decode_tokens\r\n10,20\r\n\r\n30,x\r\n');
    expect(inputError(() => readLengthsFile(file)).message).toContain(`${file}:4:`);
  });
});

describe('zero token counts', () => {
  it('are counted as 1 and reported', () => {
    const file = writeTemp('zero.csv', 'num_prefill_tokens,num_decode_tokens\n10,0\n0,5\n7,0\n');
    const t = readLengthsFile(file);
    expect(Array.from(t.promptTokens)).toEqual([10, 1, 7]);
    expect(Array.from(t.outputTokens)).toEqual([1, 5, 1]);
    expect(t.zeroOutputRows).toBe(2);
    expect(t.zeroPromptRows).toBe(1);
    const loaded = loadWorkload(
      { name: 'z', lengths: { path: file }, arrival: { process: 'poisson', rate: 1 } },
      { specDir: '/' },
    );
    expect(loaded.warnings.join('\n')).toContain('2 rows have 0 output tokens');
  });
});

describe('structure errors', () => {
  it('missing column names the file, line 1 and the column', () => {
    const file = writeTemp('cols.csv', 'prompt,output\n1,2\n');
    const err = inputError(() => readLengthsFile(file, undefined, 'lengths.path'));
    expect(err.message).toContain(`${file}:1: missing column "num_prefill_tokens"`);
    expect(err.message).toContain('lengths.columns.prompt');
    expect(err.message).toContain('"prompt", "output"');
  });

  it('row with the wrong number of fields', () => {
    const file = writeTemp('fields.csv', 'num_prefill_tokens,num_decode_tokens\n1,2\n3\n');
    expect(inputError(() => readLengthsFile(file)).message).toContain(`${file}:3: row has 1 fields`);
  });

  it('header-only file', () => {
    const file = writeTemp('hdr.csv', 'num_prefill_tokens,num_decode_tokens\n');
    expect(inputError(() => readLengthsFile(file)).message).toContain('no rows');
  });

  it('invalid JSON line', () => {
    const file = writeTemp(
      'bad.jsonl',
      '{"timestamp": 0, "input_length": 5, "output_length": 2}\n{"timestamp": 1,\n',
    );
    expect(inputError(() => readMooncakeTrace(file)).message).toContain(`${file}:2: not valid JSON`);
  });

  it('missing JSON field names the line and field', () => {
    const file = writeTemp('miss.jsonl', '{"timestamp": 0, "input_length": 5}\n');
    expect(inputError(() => readMooncakeTrace(file)).message).toContain(
      `${file}:1: column "output_length": missing`,
    );
  });
});

describe('timestamps', () => {
  it('bad datetime names file, line and column', () => {
    const file = writeTemp(
      'azure.csv',
      'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,1,1\n2023-13-16 18:15:50.99,1,1\n',
    );
    const err = inputError(() => readAzureTrace(file));
    expect(err.message).toContain(`${file}:3: column "TIMESTAMP"`);
    expect(err.message).toContain('not a valid date');
  });

  it('non-numeric timestamp', () => {
    const file = writeTemp('t.csv', 'arrived_at,num_prefill_tokens,num_decode_tokens\n0,1,1\nsoon,1,1\n');
    expect(inputError(() => readGenericTrace(file, CSV_SECONDS)).message).toContain(
      `${file}:3: column "arrived_at": timestamp "soon" is not a number`,
    );
  });

  it('a decreasing timestamp is rejected with both lines', () => {
    const file = writeTemp(
      't.csv',
      'arrived_at,num_prefill_tokens,num_decode_tokens\n0,1,1\n5,1,1\n4.5,1,1\n',
    );
    const err = inputError(() => readGenericTrace(file, CSV_SECONDS));
    expect(err.message).toContain(`${file}:4: column "arrived_at"`);
    expect(err.message).toContain('line 3');
    expect(err.message).toContain('sorted');
  });

  it('equal timestamps are fine', () => {
    const file = writeTemp('t.csv', 'arrived_at,num_prefill_tokens,num_decode_tokens\n1,1,1\n1,1,1\n2,1,1\n');
    expect(Array.from(readGenericTrace(file, CSV_SECONDS).arrival)).toEqual([0, 0, 1]);
  });
});

describe('missing files', () => {
  it('name the resolved path and the field', () => {
    const spec: WorkloadSpec = { name: 'gone', trace: { path: 'no/such/trace.csv', format: 'azure' } };
    const err = inputError(() => loadWorkload(spec, { specDir: '/tmp/specs' }));
    expect(err.message).toContain('/tmp/specs/no/such/trace.csv');
    expect(err.message).toContain('file not found');
    expect(err.message).toContain('trace.path');
  });

  it('for a file distribution too', () => {
    const spec: WorkloadSpec = {
      name: 'gone',
      arrival: { process: 'poisson', rate: 1 },
      promptTokens: { dist: 'file', path: 'missing.csv', column: 'prompt' },
      outputTokens: { dist: 'fixed', value: 3 },
    };
    const err = inputError(() => loadWorkload(spec, { specDir: '/tmp/specs' }));
    expect(err.message).toContain('/tmp/specs/missing.csv');
    expect(err.message).toContain('promptTokens.path');
  });
});
