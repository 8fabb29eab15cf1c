/**
 * The header filters of the runs table that take a comparison: `4` (equal), `>=4`, `<8`,
 * `2..8` or `2-8` (inclusive range) for numbers; for dates (`YYYY-MM-DD HH:MM` text) a prefix
 * (`2025-06`), `>=2025-06-01` or `<2025-06-02`, or `2025-06-01..2025-06-03`.
 */

/** Whether a number matches a filter text (see the module comment); an empty filter matches all. */
export function numberMatches(filter: string, value: number | null): boolean {
  const text = filter.trim();
  if (text === '') return true;
  if (value === null) return false;
  const range = /^(-?[\d.eE+]+)\s*(?:\.\.|-|\u2013)\s*(-?[\d.eE+]+)$/.exec(text);
  if (range) return value >= Number(range[1]) && value <= Number(range[2]);
  const cmp = /^(>=|<=|>|<|=)?\s*(-?[\d.eE+]+)$/.exec(text);
  if (!cmp) return false;
  const bound = Number(cmp[2]);
  if (Number.isNaN(bound)) return false;
  switch (cmp[1]) {
    case '>=':
      return value >= bound;
    case '<=':
      return value <= bound;
    case '>':
      return value > bound;
    case '<':
      return value < bound;
    default:
      return value === bound;
  }
}

/** Whether a `YYYY-MM-DD HH:MM` date matches a filter text (see the module comment). */
export function dateMatches(filter: string, value: string): boolean {
  const text = filter.trim();
  if (text === '') return true;
  const range = /^(\S+)\s*\.\.\s*(\S+)$/.exec(text);
  // An upper bound `2025-06-03` covers that whole day: compare against its prefix.
  const upTo = (bound: string): boolean => value <= bound || value.startsWith(bound);
  if (range) return value >= range[1] && upTo(range[2]);
  const cmp = /^(>=|<=|>|<)\s*(.+)$/.exec(text);
  if (!cmp) return value.startsWith(text) || value.includes(text);
  const bound = cmp[2].trim();
  switch (cmp[1]) {
    case '>=':
      return value >= bound;
    case '>':
      return value > bound && !value.startsWith(bound);
    case '<=':
      return upTo(bound);
    default:
      return value < bound;
  }
}
