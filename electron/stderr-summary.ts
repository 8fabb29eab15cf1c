/**
 * The gist of a dead runner's standard error, for the supervisor's status message and the
 * error dialog: the last line that states an error (`SqliteError: unable to open database
 * file`, `Error: ...`, `schedbench: ...`), else the last few lines. Node's own trailer
 * (`Node.js v20.x`), stack frames and the source excerpt it prints above an uncaught error are
 * skipped.
 */

/** A line that states an error: `SqliteError: ...`, `Error [ERR_X]: ...`, `schedbench: ...`. */
const ERROR_LINE = /^(?:[A-Za-z_$][\w$]*(?:Error|Exception)(?: \[[A-Z0-9_]+\])?|schedbench|runner): /;

/** Lines that never explain anything. */
const NOISE = /^(?:at |Node\.js v\d|\^+$|[{}]$)/;

/** See the module comment. @returns one to `maxLines` lines, or '' for an empty text */
export function stderrSummary(text: string, maxLines = 3): string {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  for (let i = lines.length - 1; i >= 0; i--) {
    if (ERROR_LINE.test(lines[i]!)) return lines[i]!;
  }
  return lines
    .filter((line) => !NOISE.test(line))
    .slice(-maxLines)
    .join('\n');
}
