import { format } from 'prettier';
import { describe, expect, it } from 'vitest';
import { markdownTable } from '../../../runner/reports/markdown-table.js';

describe('markdownTable', () => {
  it('lays a table out exactly as prettier does', async () => {
    const table = markdownTable(
      ['metric', 'GPU', 'gap'],
      [
        ['mean TTFT (ms)', '40.70', '-16.67 %'],
        ['iterations', '2569', '16.70 %'],
        ['µs per token, R²', 'x', ''],
      ],
    );
    expect(table.split('\n')[1]).toBe('| ---------------- | ----: | -------: |');
    expect(await format(`${table}\n`, { parser: 'markdown' })).toBe(`${table}\n`);
  });

  it('honours the alignment, pads short columns to three and escapes pipes', async () => {
    const table = markdownTable(['', 'a|b'], [['x', 'y']], ['left', 'left']);
    expect(table).toBe(['|     | a\\|b |', '| --- | ---- |', '| x   | y    |'].join('\n'));
    expect(await format(`${table}\n`, { parser: 'markdown' })).toBe(`${table}\n`);
  });

  it('rejects a row with the wrong number of cells', () => {
    expect(() => markdownTable(['a', 'b'], [['1']])).toThrow(/row 0 has 1 cells, the header 2/);
  });
});
