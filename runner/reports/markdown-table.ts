/** How a column of a Markdown table is aligned. */
export type Alignment = 'left' | 'right';

/**
 * A GitHub-flavoured Markdown table laid out as prettier lays it out (every cell padded to its
 * column's width, right-aligned columns marked `---:`), so a generated document passes
 * `prettier --check` unchanged. Widths count code points, so cells should avoid wide (East Asian)
 * characters; a `|` inside a cell is escaped.
 * @param header column titles
 * @param rows cells, as many per row as there are titles
 * @param align per column (default: the first column left, the others right)
 * @returns the table's lines joined with newlines, without a trailing newline
 * @throws RangeError when a row has another number of cells than the header
 */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Alignment[] = header.map((_, i) => (i === 0 ? 'left' : 'right')),
): string {
  rows.forEach((row, r) => {
    if (row.length !== header.length) {
      throw new RangeError(`markdownTable: row ${r} has ${row.length} cells, the header ${header.length}`);
    }
  });
  const escape = (cell: string): string => cell.replace(/\|/g, '\\|');
  const all = [header, ...rows].map((row) => row.map(escape));
  const width = header.map((_, c) => Math.max(3, ...all.map((row) => [...row[c]].length)));
  const pad = (cell: string, c: number): string => {
    const fill = ' '.repeat(width[c] - [...cell].length);
    return align[c] === 'right' ? fill + cell : cell + fill;
  };
  const line = (cells: readonly string[]): string => `| ${cells.map(pad).join(' | ')} |`;
  const rule = width.map((w, c) => (align[c] === 'right' ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w)));
  return [line(all[0]), `| ${rule.join(' | ')} |`, ...all.slice(1).map(line)].join('\n');
}
