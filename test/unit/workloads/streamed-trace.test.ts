import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../runner/errors.js';
import { MAX_RECORD_CHARS } from '../../../runner/workloads/csv-records.js';
import { csvTableSink, parseCsv } from '../../../runner/workloads/csv-table.js';
import {
  DEFAULT_CSV_TRACE_COLUMNS,
  parseTraceText,
  readGenericTrace,
  type GenericTraceOptions,
} from '../../../runner/workloads/generic-trace.js';
import { streamInputFile } from '../../../runner/workloads/input-file.js';
import { readLengthsFile } from '../../../runner/workloads/lengths-file.js';
import { MOONCAKE_TRACE_OPTIONS } from '../../../runner/workloads/mooncake-trace.js';
import {
  TEXT_CHUNK_BYTES,
  countLineEnds,
  readTextChunks,
  type TextSink,
} from '../../../runner/workloads/text-chunks.js';
import { LengthColumnsBuilder, MAX_TRACE_ROWS } from '../../../runner/workloads/trace-table.js';

// Traces are read in chunks (text-chunks.ts) and split into records as the text arrives
// (csv-records.ts, jsonl-records.ts): whatever the chunk size, the rows, their line numbers and the
// error messages must be those of the text parsed whole.

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'schedbench-stream-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string | Buffer): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

function inputError(f: () => unknown): InputError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError');
}

/** The pieces a file's text arrives in, read with `chunkBytes`. */
function pieces(file: string, chunkBytes: number): { pieces: string[]; ended: boolean } {
  const got = { pieces: [] as string[], ended: false };
  const sink: TextSink = { push: (t) => got.pieces.push(t), end: () => (got.ended = true) };
  const fd = openSync(file, 'r');
  try {
    readTextChunks(fd, sink, chunkBytes);
  } finally {
    closeSync(fd);
  }
  return got;
}

/** Every CSV row (header first) of a file streamed with `chunkBytes`, with its line. */
function streamedCsv(file: string, chunkBytes?: number): { header: string[]; rows: [number, string[]][] } {
  const out = { header: [] as string[], rows: [] as [number, string[]][] };
  streamInputFile(
    file,
    undefined,
    () =>
      csvTableSink(
        file,
        (h) => (out.header = [...h.header]),
        (cells, line) => out.rows.push([line, [...cells]]),
      ),
    { chunkBytes },
  );
  return out;
}

function wholeCsv(file: string): { header: string[]; rows: [number, string[]][] } {
  let text = readFileSync(file, 'utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const t = parseCsv(text, file);
  return { header: [...t.header], rows: t.rows.map((r, i) => [t.lines[i], [...r]]) };
}

describe('readTextChunks', () => {
  it('decodes UTF-8 characters split across chunk edges, at every chunk size', () => {
    const text = 'a,é\n€,𝄞\n"ü\nß",x\r\n';
    const file = write('utf8.csv', text);
    for (let size = 1; size <= 9; size++) {
      const got = pieces(file, size);
      expect(got.pieces.join(''), `chunk ${size}`).toBe(text);
      expect(got.ended).toBe(true);
    }
  });

  it('removes a leading byte-order mark, also when it is split across chunks, and only that one', () => {
    const file = write('bom.csv', '\ufeffa,b\n\ufeff1,2\n');
    for (const size of [1, 2, 3, 4, 1024])
      expect(pieces(file, size).pieces.join('')).toBe('a,b\n\ufeff1,2\n');
  });

  it('hands nothing but end() for an empty file', () => {
    expect(pieces(write('empty.txt', ''), 4)).toEqual({ pieces: [], ended: true });
  });

  it('countLineEnds counts every \\n byte, across chunks', () => {
    const file = write('lines.txt', 'a\nbb\n\n€\r\nlast');
    const fd = openSync(file, 'r');
    try {
      for (const size of [1, 2, 3, 1024]) expect(countLineEnds(fd, size)).toBe(4);
    } finally {
      closeSync(fd);
    }
  });
});

describe('CSV records across the real 1 MiB chunk edge', () => {
  /** A CSV whose byte TEXT_CHUNK_BYTES (the second chunk's first) is the first byte of `after`. */
  function fileWithEdgeAt(name: string, before: Buffer, after: Buffer): string {
    const header = 'arrived_at,num_prefill_tokens,num_decode_tokens,note\n';
    const rows: string[] = [header];
    let bytes = header.length;
    const target = TEXT_CHUNK_BYTES - before.length;
    let i = 0;
    for (; bytes < target - 40; i++) {
      rows.push(`${i},${i + 1},${i + 2},plain\n`);
      bytes += rows[rows.length - 1].length;
    }
    rows.push(`${i},1,1,${'x'.repeat(target - bytes - `${i},1,1,\n`.length)}\n`);
    const head = Buffer.from(rows.join(''));
    expect(head.length + before.length).toBe(TEXT_CHUNK_BYTES);
    return write(name, Buffer.concat([head, before, after]));
  }

  it('a quoted field holding a newline and a 3-byte character split at the edge', () => {
    const euro = Buffer.from('€'); // E2 82 AC: the edge falls after its first byte
    const file = fileWithEdgeAt(
      'edge-quoted.csv',
      Buffer.concat([Buffer.from('100000000,5,6,"line one\nmid '), euro.subarray(0, 1)]),
      Buffer.concat([euro.subarray(1), Buffer.from(' end"\n100000001,7,8,after\n')]),
    );
    expect(readFileSync(file).subarray(TEXT_CHUNK_BYTES - 1, TEXT_CHUNK_BYTES + 2)).toEqual(euro);
    const streamed = streamedCsv(file);
    expect(streamed).toEqual(wholeCsv(file));
    const [quotedLine, quoted] = streamed.rows.at(-2)!;
    expect(quoted).toEqual(['100000000', '5', '6', 'line one\nmid € end']);
    expect(streamed.rows.at(-1)).toEqual([quotedLine + 1, ['100000001', '7', '8', 'after']]);
    const trace = readGenericTrace(file, CSV_SECONDS);
    expect(trace.arrival.length).toBe(streamed.rows.length);
    expect(trace.promptTokens.at(-2)).toBe(5);
    expect(trace.outputTokens.at(-1)).toBe(8);
  });

  it('a quote-free row split at the edge', () => {
    const file = fileWithEdgeAt(
      'edge-plain.csv',
      Buffer.from('100000000,12'),
      Buffer.from('3,45,split row\n100000001,1,2,last'),
    );
    const streamed = streamedCsv(file);
    expect(streamed).toEqual(wholeCsv(file));
    expect(streamed.rows.at(-2)![1]).toEqual(['100000000', '123', '45', 'split row']);
    expect(streamed.rows.at(-1)![1]).toEqual(['100000001', '1', '2', 'last']);
  });
});

const CSV_SECONDS: GenericTraceOptions = {
  format: 'csv',
  columns: DEFAULT_CSV_TRACE_COLUMNS,
  timeUnit: 's',
  timestampFormat: 'seconds',
};

const CSV_TEXT = [
  'arrived_at, num_prefill_tokens ,num_decode_tokens,note',
  '0,10,0,plain',
  '',
  '0.5,20,3,"quoted, with comma"',
  '1.25,0,4,"two',
  'lines ""and"" quotes"',
  '  2 , 30 , 5 ,  spaced  ',
  '3,40,6,"é€𝄞"',
  '4,50,7,last',
].join('\n');

describe('streamed traces equal the text parsed whole', () => {
  const sizes = [1, 2, 3, 5, 7, 13, 64, 1024];

  it('CSV with quotes, empty lines and zero counts, LF and CRLF, with and without a BOM', () => {
    for (const [name, text] of [
      ['lf.csv', CSV_TEXT],
      ['crlf.csv', CSV_TEXT.replaceAll('\n', '\r\n') + '\r\n'],
      ['bom.csv', `\ufeff${CSV_TEXT}\n`],
    ]) {
      const file = write(name, text);
      const whole = parseTraceText(text.replace(/^\ufeff/, ''), file, CSV_SECONDS);
      expect(Array.from(whole.arrival)).toEqual([0, 0.5, 1.25, 2, 3, 4]);
      expect(Array.from(whole.promptTokens)).toEqual([10, 20, 1, 30, 40, 50]);
      expect(whole.zeroPromptRows).toBe(1);
      expect(whole.zeroOutputRows).toBe(1);
      for (const size of sizes) {
        expect(readGenericTrace(file, CSV_SECONDS, undefined, undefined, { chunkBytes: size })).toEqual(
          whole,
        );
      }
      const whole3 = wholeCsv(file);
      expect(streamedCsv(file, 3)).toEqual(whole3);
      // Each row's own line, a CRLF inside a quoted field counted once (csv-parse's info.lines
      // counts it twice).
      expect(whole3.rows.map(([line]) => line)).toEqual([2, 4, 6, 7, 8, 9]);
    }
  });

  it('quote-free CSV (the fast path) and a length file', () => {
    const text = 'arrived_at,num_prefill_tokens,num_decode_tokens\r\n0,1,2\r\n\r\n1,3,4\r\n2,5,0';
    const file = write('plain.csv', text);
    const whole = parseTraceText(text, file, CSV_SECONDS);
    expect(whole.arrival.length).toBe(3);
    for (const size of sizes) {
      expect(readGenericTrace(file, CSV_SECONDS, undefined, undefined, { chunkBytes: size })).toEqual(whole);
      const lengths = readLengthsFile(file, undefined, undefined, { chunkBytes: size });
      expect(Array.from(lengths.promptTokens)).toEqual([1, 3, 5]);
      expect(Array.from(lengths.outputTokens)).toEqual([2, 4, 1]);
      expect(lengths.zeroOutputRows).toBe(1);
    }
  });

  it('JSON Lines, with blank lines and CRLF', () => {
    const text =
      '{"timestamp": 0, "input_length": 600, "output_length": 1, "hash_ids": [1, 2]}\r\n' +
      '\n' +
      '{"timestamp": 1500, "input_length": 7, "output_length": 0, "note": "é€"}\r\n' +
      '  {"timestamp": 3000, "input_length": 9, "output_length": 2}';
    const file = write('trace.jsonl', text);
    const whole = parseTraceText(text, file, MOONCAKE_TRACE_OPTIONS);
    expect(Array.from(whole.arrival)).toEqual([0, 1.5, 3]);
    expect(Array.from(whole.prefixBlocks!.offsets)).toEqual([0, 2, 2, 2]); // hash_ids kept, streamed alike
    for (const size of sizes) {
      expect(
        readGenericTrace(file, MOONCAKE_TRACE_OPTIONS, undefined, undefined, { chunkBytes: size }),
      ).toEqual(whole);
    }
  });

  it('columns are trimmed to the rows read', () => {
    const t = parseTraceText(CSV_TEXT, 'x.csv', CSV_SECONDS);
    expect(t.arrival.length).toBe(6);
    expect(t.promptTokens.length).toBe(6);
    expect(t.outputTokens.length).toBe(6);
  });
});

describe('messages of streamed reads name the same file and line as whole reads', () => {
  function sameError(name: string, text: string, options: GenericTraceOptions, expected: RegExp): void {
    const file = write(name, text);
    const whole = inputError(() => parseTraceText(text, file, options)).message;
    expect(whole).toMatch(expected);
    for (const size of [1, 4, 7, 1024]) {
      expect(
        inputError(() => readGenericTrace(file, options, undefined, undefined, { chunkBytes: size })).message,
      ).toBe(whole);
    }
  }

  it('a bad cell after a quoted multi-line field', () => {
    sameError(
      'bad-cell.csv',
      'arrived_at,num_prefill_tokens,num_decode_tokens,n\n0,1,1,"a\nb"\n1,x,1,c\n',
      CSV_SECONDS,
      /bad-cell\.csv:4: column "num_prefill_tokens": "x" is not a number/,
    );
  });

  it('a decreasing timestamp', () => {
    sameError(
      'decreasing.csv',
      'arrived_at,num_prefill_tokens,num_decode_tokens\n5,1,1\n\n4,1,1\n',
      CSV_SECONDS,
      /decreasing\.csv:4: column "arrived_at": timestamp "4" is earlier than the previous row's \(line 2\)/,
    );
  });

  it('a row with a different number of fields', () => {
    sameError(
      'fields.csv',
      'arrived_at,num_prefill_tokens,num_decode_tokens\n0,1,1\n1,2\n',
      CSV_SECONDS,
      /fields\.csv:3: row has 2 fields but the header has 3/,
    );
  });

  it('an unclosed quote, its line offset to the file', () => {
    sameError(
      'unclosed.csv',
      'arrived_at,num_prefill_tokens,num_decode_tokens\n0,1,1\n1,1,1\n2,1,"1\n3,1,1\n',
      CSV_SECONDS,
      /unclosed\.csv:5: not valid CSV: Quote Not Closed: .* at line 5/,
    );
  });

  it('a missing column, an empty file, a file without rows', () => {
    sameError('missing.csv', 'a,b\n1,2\n', CSV_SECONDS, /missing\.csv:1: missing column "arrived_at"/);
    sameError('empty.csv', '\n\n', CSV_SECONDS, /empty\.csv: empty file: expected a header row/);
    sameError(
      'header-only.csv',
      'arrived_at,num_prefill_tokens,num_decode_tokens\n',
      CSV_SECONDS,
      /header-only\.csv: the trace has no requests/,
    );
  });

  it('invalid JSON and a line that is not an object', () => {
    sameError(
      'bad.jsonl',
      '{"timestamp": 0, "input_length": 1, "output_length": 1}\n\n{"timestamp": \n',
      MOONCAKE_TRACE_OPTIONS,
      /bad\.jsonl:3: not valid JSON/,
    );
    sameError(
      'array.jsonl',
      '{"timestamp": 0, "input_length": 1, "output_length": 1}\n[1]\n',
      MOONCAKE_TRACE_OPTIONS,
      /array\.jsonl:2: expected one JSON object per line/,
    );
  });
});

describe('limits of streamed reads', () => {
  it('refuses a file with more lines than the row limit before parsing it, and takes one at it', () => {
    const file = write('rows.csv', 'arrived_at,num_prefill_tokens,num_decode_tokens\n0,1,1\n1,1,1\n2,1,1\n');
    // 4 lines (as `wc -l` counts them): refused over a limit of 3, read at 4.
    const e = inputError(() => readGenericTrace(file, CSV_SECONDS, 'trace.path', undefined, { maxRows: 3 }));
    expect(e.message).toBe(
      `${file}: has 4 lines, over the limit of 3 rows for a trace or lengths file (16 bytes of memory ` +
        `a row) (named by \`trace.path\`); cut it to fewer rows (e.g. \`head -n 3 ${file} > smaller.csv\`)`,
    );
    expect(e.location).toEqual({ file, field: 'trace.path' });
    expect(inputError(() => readLengthsFile(file, undefined, undefined, { maxRows: 3 })).message).toMatch(
      /has 4 lines, over the limit of 3 rows/,
    );
    expect(readGenericTrace(file, CSV_SECONDS, undefined, undefined, { maxRows: 4 }).arrival.length).toBe(3);
    // Text held whole is checked the same way.
    expect(
      inputError(() => parseTraceText('a\n'.repeat(MAX_TRACE_ROWS + 1), file, CSV_SECONDS)).message,
    ).toMatch(/has 40,000,001 lines, over the limit of 40,000,000 rows/);
    expect(MAX_TRACE_ROWS).toBe(40_000_000);
  });

  it('refuses a file over the byte limit, naming its size and the limit', () => {
    const file = write('bytes.csv', 'arrived_at,num_prefill_tokens,num_decode_tokens\n0,1,1\n');
    expect(
      inputError(() => readLengthsFile(file, undefined, 'lengths.path', { maxBytes: 16 })).message,
    ).toMatch(
      /bytes\.csv: is 54 bytes \(54 bytes\), over the 16 bytes limit for a trace or lengths file \(named by `lengths\.path`\)/,
    );
  });

  it('refuses a record that runs past MAX_RECORD_CHARS (no line end) instead of holding it', () => {
    const file = write(
      'no-newline.csv',
      Buffer.concat([
        Buffer.from('arrived_at,num_prefill_tokens,num_decode_tokens\n'),
        Buffer.alloc(MAX_RECORD_CHARS + 2 * 1024 * 1024, 'x'),
      ]),
    );
    expect(inputError(() => readGenericTrace(file, CSV_SECONDS)).message).toBe(
      `${file}:2: not valid CSV: no end of record within 16 MiB of text from this line ` +
        '(a quote left open, or not a text file?)',
    );
  });

  it('a builder refuses a row past its capacity (a file grown since its lines were counted)', () => {
    const b = new LengthColumnsBuilder(1);
    const at = { file: 'grew.csv', line: 2, column: 'p' };
    b.add('1', at, '1', at);
    expect(inputError(() => b.add('1', { ...at, line: 3 }, '1', at)).message).toBe(
      'grew.csv:3: more rows than the 0 line ends counted before reading: the file changed while being read',
    );
  });
});
