/**
 * Parsing the arrival timestamp of one trace row: a number in a time unit, or a calendar datetime.
 *
 * Datetimes keep sub-second precision beyond JavaScript's Date (milliseconds): the whole seconds
 * and the fraction are kept apart and only their differences from the first row are added, so the
 * Azure 2023 trace's 7 fractional digits (100 ns) survive.
 */
import { cellError, showValue, type CellLocation } from './cell-location.js';

/** Unit of a numeric timestamp. */
export type TimeUnit = 's' | 'ms' | 'us';

/** Seconds per unit of a numeric timestamp. */
export const SECONDS_PER_UNIT: Readonly<Record<TimeUnit, number>> = { s: 1, ms: 1e-3, us: 1e-6 };

/**
 * Parses a numeric timestamp (a JSON number, or text holding a number).
 * @param raw the cell
 * @param at where the cell is
 * @returns the value in the file's own unit (any finite number; negative allowed)
 * @throws InputError naming file, line and column when the cell is missing, empty or not a finite number
 */
export function parseNumericTimestamp(raw: unknown, at: CellLocation): number {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
    throw cellError(at, 'missing timestamp');
  }
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : Number.NaN;
  if (!Number.isFinite(value)) throw cellError(at, `timestamp ${showValue(raw)} is not a number`);
  return value;
}

/** A datetime split into whole seconds since 1970-01-01 UTC (an integer) and a fraction in [0, 1). */
export interface DatetimeValue {
  readonly wholeSeconds: number;
  readonly fraction: number;
}

const DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Parses `YYYY-MM-DD HH:MM[:SS[.fffffffff]]` (a `T` may replace the space; up to 9 fraction
 * digits; optional `Z` or `+HH:MM` / `-HHMM` offset). Without an offset the time is read as UTC:
 * only differences between rows matter, and reading every row the same way keeps them exact (no
 * daylight-saving jumps).
 * @param raw the cell
 * @param at where the cell is
 * @returns whole seconds and fraction (see {@link DatetimeValue})
 * @throws InputError naming file, line and column for a missing cell, another format, or an
 *   impossible date/time (month 13, 31 April, hour 24, ...)
 */
export function parseDatetime(raw: unknown, at: CellLocation): DatetimeValue {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
    throw cellError(at, 'missing timestamp');
  }
  const m = typeof raw === 'string' ? DATETIME.exec(raw.trim()) : null;
  if (m === null) {
    throw cellError(at, `timestamp ${showValue(raw)} is not a datetime like 2023-11-16 18:15:46.6805900`);
  }
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(ms);
  if (
    month < 1 ||
    month > 12 ||
    check.getUTCDate() !== day ||
    check.getUTCMonth() !== month - 1 ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    throw cellError(at, `timestamp ${showValue(raw)} is not a valid date and time`);
  }
  let wholeSeconds = ms / 1000;
  const offset = m[8];
  if (offset !== undefined && offset !== 'Z') {
    const digits = offset.replace(':', '');
    const sign = digits.startsWith('-') ? -1 : 1;
    const hours = Number(digits.slice(1, 3));
    const minutes = digits.length > 3 ? Number(digits.slice(3, 5)) : 0;
    if (hours > 23 || minutes > 59)
      throw cellError(at, `timestamp ${showValue(raw)} has an invalid UTC offset`);
    wholeSeconds -= sign * (hours * 3600 + minutes * 60);
  }
  const fraction = m[7] === undefined ? 0 : Number(m[7]) / 10 ** m[7].length;
  return { wholeSeconds, fraction };
}
