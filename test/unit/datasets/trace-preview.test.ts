import { afterAll, describe, expect, it } from 'vitest';
import { PREVIEW_ROWS, previewTrace } from '../../../runner/datasets/trace-preview.js';
import { InputError } from '../../../runner/errors.js';
import { dataFile, removeTempFiles, writeTemp } from '../workloads/helpers.js';

afterAll(removeTempFiles);

/** A BurstGPT-style export: relative seconds, a 0-token response (a failed request) on line 4. */
const BURST = [
  'Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type',
  '0,ChatGPT,472,18,490,Conversation log',
  '2,ChatGPT,1021,301,1322,Conversation log',
  '2,GPT-4,77,0,77,Conversation log',
  '7,ChatGPT,350,42,392,API log',
  '',
].join('\n');

describe('trace preview', () => {
  it('shows a CSV export with its fields, rows and guessed mapping, and reads it all', () => {
    const file = writeTemp('burst.csv', BURST);
    const p = previewTrace({ path: file });
    expect(p.format).toBe('csv');
    expect(p.fields).toEqual([
      'Timestamp',
      'Model',
      'Request tokens',
      'Response tokens',
      'Total tokens',
      'Log Type',
    ]);
    expect(p.rows.map((r) => r.line)).toEqual([2, 3, 4, 5]);
    expect(p.rows[2].cells).toEqual(['2', 'GPT-4', '77', '0', '77', 'Conversation log']);
    expect(p.mapping).toEqual({
      columns: { arrival: 'Timestamp', prompt: 'Request tokens', output: 'Response tokens' },
      timestampFormat: 'seconds',
      timeUnit: 's',
    });
    expect(p.check).not.toBeNull();
    if (!p.check?.ok) throw new Error('expected the trace to read');
    expect(p.check.summary.requests).toBe(4);
    expect(p.check.summary.zeroOutputRows).toBe(1);
    expect(p.check.summary.arrival?.durationS).toBe(7);
  });

  it("takes the user's choices over the guesses, and says which line and column break them", () => {
    const file = writeTemp('burst.csv', BURST);
    const p = previewTrace({ path: file, columns: { output: 'Log Type' } });
    expect(p.mapping.columns).toEqual({ arrival: 'Timestamp', prompt: 'Request tokens', output: 'Log Type' });
    expect(p.check).toMatchObject({ ok: false, problem: { line: 2, column: 'Log Type' } });
    if (p.check?.ok !== false) throw new Error('expected a problem');
    expect(p.check.problem.message).toMatch(/burst\.csv:2: column "Log Type"/);

    const missing = previewTrace({ path: file, columns: { arrival: 'time' } });
    expect(missing.check).toMatchObject({ ok: false, problem: { line: 1, column: 'time' } });
    if (missing.check?.ok !== false) throw new Error('expected a problem');
    expect(missing.check.problem.message).toMatch(/missing column "time" \(set by `columns\.arrival`\)/);
  });

  it('reads a unit choice: the same trace in milliseconds lasts a thousandth as long', () => {
    const file = writeTemp('burst.csv', BURST);
    const p = previewTrace({ path: file, timeUnit: 'ms' });
    expect(p.check?.ok && p.check.summary.arrival?.durationS).toBeCloseTo(0.007, 12);
  });

  it('finds a decreasing timestamp deep in the file, past the rows shown', () => {
    const lines = ['t,prompt_tokens,output_tokens'];
    for (let i = 0; i < 50; i++) lines.push(`${i},10,10`);
    lines.push('3,10,10');
    const p = previewTrace({ path: writeTemp('late.csv', `${lines.join('\n')}\n`) });
    expect(p.rows).toHaveLength(PREVIEW_ROWS);
    expect(p.mapping.columns).toEqual({ prompt: 'prompt_tokens', output: 'output_tokens' });
    expect(p.check).toBeNull(); // no arrival column guessed: nothing to read yet
    const chosen = previewTrace({ path: p.path, columns: { arrival: 't' } });
    expect(chosen.check).toMatchObject({ ok: false, problem: { line: 52, column: 't' } });
  });

  it('previews the real Mooncake JSONL trace with the keys of its objects', () => {
    const p = previewTrace({ path: dataFile('mooncake-fast25/conversation_trace.jsonl'), timeUnit: 'ms' });
    expect(p.format).toBe('jsonl');
    expect(p.fields).toEqual(['timestamp', 'input_length', 'output_length', 'hash_ids']);
    expect(p.rows).toHaveLength(PREVIEW_ROWS);
    expect(p.rows[0].cells[3]).toMatch(/^\[/); // the hash_ids array, shown as JSON
    if (!p.check?.ok) throw new Error('expected the trace to read');
    expect(p.check.summary.requests).toBe(12_031);
  });

  it('refuses a missing file, a directory, and a file of the wrong format with a clear message', () => {
    expect(() => previewTrace({ path: '/nonexistent/trace.csv' })).toThrow(
      /\/nonexistent\/trace\.csv: file not found/,
    );
    const file = writeTemp('t.csv', BURST);
    expect(() => previewTrace({ path: file.replace(/\/t\.csv$/, '') })).toThrow(/is a directory/);
    let error: unknown;
    try {
      previewTrace({ path: file, format: 'jsonl' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toMatch(/t\.csv:1: not valid JSON .*choose CSV/);
    expect((error as InputError).location.field).toBe('format');
  });
});
