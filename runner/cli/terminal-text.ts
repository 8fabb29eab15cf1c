/**
 * Width of the terminal `stream` writes to, in characters: its `columns` when it is a terminal,
 * else `$COLUMNS` when that is a positive integer, else `fallback`.
 */
export function terminalWidth(
  stream: { isTTY?: boolean; columns?: number } = process.stdout,
  fallback = 100,
  env: NodeJS.ProcessEnv = process.env,
): number {
  if (stream.isTTY && stream.columns !== undefined && stream.columns > 0) return stream.columns;
  const columns = Number(env.COLUMNS);
  return Number.isSafeInteger(columns) && columns > 0 ? columns : fallback;
}

/**
 * Wraps `text` at spaces into lines of at most `width` characters (a word longer than that gets
 * a line of its own); the first line keeps the text's leading spaces, the others start with
 * `indent`, which counts towards the width. Spaces between words become one.
 * @returns the lines, without line ends (one empty line for empty text)
 */
export function wrapText(text: string, width: number, indent = ''): string[] {
  const lead = /^ */.exec(text)![0];
  const words = text.split(' ').filter((w) => w.length > 0);
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    const start = lines.length === 0 ? lead : indent;
    if (line === '') line = start + word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = indent + word;
    }
  }
  lines.push(line);
  return lines;
}
