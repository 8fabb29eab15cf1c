import { formatNumber as formatReportNumber } from '../../runner/reports/format-number.js';

/**
 * A number as people read it in tables, by the HTML report's rule (runner/reports/
 * format-number.ts): integers in full, others with 4 significant digits, 10,000 and more as
 * integers, tiny or huge ones in exponent form; `null` or `undefined` gives `-`.
 */
export function formatNumber(value: number | null | undefined): string {
  return formatReportNumber(value ?? null);
}

/** A signed percentage: `+12.3 %`, `-0.4 %`, `-` for null. */
export function formatPercent(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '-';
  const digits = Math.abs(value) >= 100 ? 0 : 1;
  return `${value > 0 ? '+' : value < 0 ? '\u2212' : '\u00b1'}${Math.abs(value).toFixed(digits)} %`;
}

/** A duration in seconds as `1 h 02 min`, `3 min 05 s`, `42 s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** An ISO 8601 time as `2025-06-01 14:03` (the viewer's local time). */
export function formatDate(iso: string | null): string {
  if (!iso) return '-';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** Policy parameters as `key=value` pairs (objects as compact JSON), keys sorted. */
export function formatParams(params: Record<string, unknown>): string {
  return Object.keys(params)
    .sort()
    .map((key) => {
      const value = params[key];
      return `${key}=${typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)}`;
    })
    .join(' ');
}
