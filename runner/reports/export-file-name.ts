/**
 * File names of exported reports (`export.report`, the desktop's PDF): `schedbench-`, the sweep
 * name(s) made safe for a file name, and the date and time, e.g.
 * `schedbench-paper-low-demand-2025-03-04-153012.csv`. Pure (no Node), so the renderer names its
 * PDF the same way.
 */

/** Longest sweep-name part of a file name, characters. */
export const MAX_NAME_CHARS = 60;

/**
 * A sweep name as a file-name part: letters, digits, `.`, `_` and `-` kept (Unicode letters
 * too), every other run of characters (spaces, slashes, colons, quotes, control characters)
 * becomes one `-`; no leading or trailing `-` or `.` (no hidden file, no `..`), at most
 * {@link MAX_NAME_CHARS} characters. An empty result is `sweep`.
 */
export function sanitizeFileNamePart(name: string): string {
  const cleaned = name
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}._-]+/gu, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
  // By code points, so a letter outside the BMP is never cut in half.
  const safe = Array.from(cleaned)
    .slice(0, MAX_NAME_CHARS)
    .join('')
    .replace(/[-.]+$/, '');
  return safe || 'sweep';
}

/** `YYYY-MM-DD-HHMMSS` of a date, in UTC (the runner may run on another machine than the page). */
export function fileDateStamp(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', '-').replace(/:/g, '');
}

/**
 * The name of an exported file (without a folder).
 * @param sweepNames the names of the sweeps the exported runs belong to (duplicates are dropped;
 *   with several, the first two and how many more: `a+b+2-more`)
 * @param date when it is exported
 * @param extension `html`, `csv`, `json`, `pdf`
 */
export function exportFileName(sweepNames: readonly string[], date: Date, extension: string): string {
  const names = [...new Set(sweepNames.map(sanitizeFileNamePart))];
  let part = names.slice(0, 2).join('+');
  if (names.length > 2) part += `+${names.length - 2}-more`;
  return `schedbench-${part || 'sweep'}-${fileDateStamp(date)}.${extension}`;
}
