import { METRIC_KEYS } from '../metrics/metric-keys.js';
import type { RunMetrics } from '../metrics/metric-keys.js';
import type { StabilityResult } from '../metrics/stability.js';
import { formatNumber } from './format-number.js';
import type { ReportRun } from './report-data.js';
import { stableJson } from '../stable-json.js';

/** One flat row of the runs table: column name -> value (`null` where there is none). */
export type RunsTableRow = Record<string, string | number | boolean | null>;

/**
 * Columns of {@link runsTableRows}, in order: the run's identity and status, `stable` (the
 * stability verdict: true, false, or null when there is none), where it ran (`machine`, the
 * simulated or GPU machine's name, and `origin_host`, the host name of the computer its sweep ran
 * on, empty where unknown), then every metric key of METRIC_KEYS (units in the key's suffix, see
 * metric-keys.ts).
 */
export const RUNS_TABLE_COLUMNS: readonly string[] = [
  'id',
  'sweep_id',
  'workload',
  'policy',
  'params',
  'seed',
  'rate',
  'status',
  'stable',
  'machine',
  'origin_host',
  ...METRIC_KEYS,
];

/**
 * Flattens runs into table rows with the columns of {@link RUNS_TABLE_COLUMNS}: `params` is
 * compact JSON with sorted keys, `rate` is requests per second (`null` for a trace's own
 * timing), `stable` a boolean or `null`, and every metric is `null` for a run without metrics.
 * Rows keep the order of `runs`.
 */
export function runsTableRows(runs: readonly ReportRun[]): RunsTableRow[] {
  return runs.map((run) => {
    const row: RunsTableRow = {
      id: run.id,
      sweep_id: run.sweepId,
      workload: run.workload,
      policy: run.policy,
      params: stableJson(run.params),
      seed: run.seed,
      rate: run.rate,
      status: run.status,
      stable: run.stable,
      machine: run.machine,
      origin_host: run.originHost ?? null,
    };
    for (const key of METRIC_KEYS) row[key] = run.metrics ? run.metrics[key] : null;
    return row;
  });
}

/**
 * CSV text (RFC 4180): a header line, then one line per row, CRLF line ends. A field with a
 * comma, double quote, CR or LF is quoted, inner quotes doubled; `null` is an empty field;
 * numbers are written in full precision (JavaScript's shortest round-trip form), booleans as
 * `true` / `false`.
 *
 * @param columns columns to write, in order; default: the keys of the first row, or
 *   RUNS_TABLE_COLUMNS when there are no rows
 */
export function toCsv(rows: readonly RunsTableRow[], columns?: readonly string[]): string {
  const cols = columns ?? (rows.length > 0 ? Object.keys(rows[0]) : RUNS_TABLE_COLUMNS);
  const lines = [cols.map(csvField).join(',')];
  for (const row of rows) lines.push(cols.map((col) => csvField(row[col] ?? null)).join(','));
  return lines.map((line) => `${line}\r\n`).join('');
}

function csvField(value: string | number | boolean | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * One run in the JSON export: its identity, where it ran (machine, origin host), status, error,
 * stability verdict, and metrics (`null` without metrics).
 */
export interface RunJson {
  id: number;
  sweep_id: number;
  workload: string;
  policy: string;
  params: Record<string, unknown>;
  seed: number;
  /** Requests per second; `null` for a trace's own timing. */
  rate: number | null;
  /** The machine's name (a simulated machine or a registered GPU worker). */
  machine: string;
  /** Host name of the computer the run's sweep ran on; null where unknown. */
  origin_host: string | null;
  status: ReportRun['status'];
  error: string | null;
  /** true stable, false unstable, null no verdict (docs/metrics.md, "Stability"). */
  stable: boolean | null;
  /** The verdict's details (method, reason, slope, p-value, ...), or null where there is none. */
  stability: StabilityResult | null;
  /** Every METRIC_KEYS key in display order, or `null` for a run that has no metrics. */
  metrics: RunMetrics | null;
}

/** The JSON export record of one run (see {@link RunJson}). */
export function runJson(run: ReportRun): RunJson {
  let metrics: RunMetrics | null = null;
  if (run.metrics) {
    const source = run.metrics;
    metrics = Object.fromEntries(METRIC_KEYS.map((key) => [key, source[key] ?? null])) as RunMetrics;
  }
  return {
    id: run.id,
    sweep_id: run.sweepId,
    workload: run.workload,
    policy: run.policy,
    params: run.params,
    seed: run.seed,
    rate: run.rate,
    machine: run.machine,
    origin_host: run.originHost ?? null,
    status: run.status,
    error: run.error,
    stable: run.stable,
    stability: run.stability,
    metrics,
  };
}

/** JSON text of the runs: an array of {@link RunJson}, indented by 2 spaces, with a final newline. */
export function toJson(runs: readonly ReportRun[]): string {
  return `${JSON.stringify(runs.map(runJson), null, 2)}\n`;
}

/**
 * A plain-text table for the terminal: a header line, a dashed rule, one line per row, columns
 * separated by two spaces. Numbers are right-aligned with 4 significant digits (see
 * formatNumber), text and booleans (`true` / `false`) are left-aligned, `null` prints as `-`.
 * No trailing spaces, final newline.
 *
 * @param columns columns to print, in order; default: the keys of the first row
 * @param options.maxWidth the widest line wanted: the widest text columns are narrowed (never
 *   below their title, nor below 8 characters) and their longer cells cut with `…` until the
 *   table fits, or no column can be narrowed further
 */
export function formatTable(
  rows: readonly RunsTableRow[],
  columns?: readonly string[],
  options: { maxWidth?: number } = {},
): string {
  const cols = columns ?? (rows.length > 0 ? Object.keys(rows[0]) : []);
  let cells = rows.map((row) => cols.map((col) => cellText(row[col] ?? null)));
  const numeric = cols.map((col) => rows.some((row) => typeof row[col] === 'number'));
  const widths = cols.map((col, i) => Math.max(col.length, ...cells.map((line) => line[i].length)));
  if (options.maxWidth !== undefined) {
    const floor = cols.map((col, i) =>
      numeric[i] ? widths[i] : Math.max(col.length, Math.min(8, widths[i])),
    );
    let total = widths.reduce((a, b) => a + b, 0) + 2 * Math.max(0, cols.length - 1);
    while (total > options.maxWidth) {
      let widest = -1;
      widths.forEach((w, i) => {
        if (w > floor[i] && (widest < 0 || w > widths[widest])) widest = i;
      });
      if (widest < 0) break;
      widths[widest]--;
      total--;
    }
    cells = cells.map((line) =>
      line.map((text, i) => (text.length > widths[i] ? `${text.slice(0, widths[i] - 1)}…` : text)),
    );
  }
  const pad = (text: string, i: number): string =>
    numeric[i] ? text.padStart(widths[i]) : text.padEnd(widths[i]);
  const lines = [
    cols.map(pad).join('  '),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...cells.map((line) => line.map(pad).join('  ')),
  ];
  return lines.map((line) => `${line.trimEnd()}\n`).join('');
}

function cellText(value: string | number | boolean | null): string {
  if (typeof value === 'boolean') return String(value);
  return typeof value === 'number' || value === null ? formatNumber(value) : value.replace(/\s+/g, ' ');
}
