import { InputError } from '../errors.js';
import { toReportRun } from '../reports/load-report-data.js';
import { formatTable, runsTableRows, RUNS_TABLE_COLUMNS, toCsv, toJson } from '../reports/runs-table.js';
import type { Store } from '../store/store.js';
import { requireSweep } from './report-command.js';

/** Formats of `schedbench runs`. */
export const RUNS_FORMATS = ['table', 'json', 'csv'] as const;
export type RunsFormat = (typeof RUNS_FORMATS)[number];

/**
 * Every column `schedbench runs --columns` accepts, in their default order: the runs table's
 * columns (RUNS_TABLE_COLUMNS: identity, status, stability, machine and origin host, every metric
 * key).
 */
export const RUNS_COLUMNS: readonly string[] = RUNS_TABLE_COLUMNS;

/**
 * The columns of the terminal table without `--columns`: who ran what, how it ended, and the
 * output throughput and tail latencies. With long text cells shortened (…) the table fits
 * {@link DEFAULT_TABLE_WIDTH} characters.
 */
export const DEFAULT_RUNS_COLUMNS: readonly string[] = [
  'id',
  'sweep_id',
  'machine',
  'workload',
  'policy',
  'params',
  'seed',
  'rate',
  'status',
  'stable',
  'throughput_tok_s',
  'ttft_p99_s',
  'tpot_p99_s',
  'e2e_p99_s',
];

/** Width the default terminal table fits in, characters. */
export const DEFAULT_TABLE_WIDTH = 160;

/** An inclusive range of arrival rates, requests per second (`--rate`). */
export interface RateRange {
  min: number;
  max: number;
}

/** What `schedbench runs` lists and how. */
export interface RunsOptions {
  format: RunsFormat;
  /** Only the runs of this sweep. */
  sweepId?: number;
  /** Columns to print (parseColumns); default: DEFAULT_RUNS_COLUMNS in a table, every column in CSV, full records in JSON. */
  columns?: readonly string[];
  /** Only runs of these policies (by name, e.g. `vllm`). */
  policies?: readonly string[];
  /** Only runs whose arrival rate is in this range (a trace's own timing has no rate and is left out). */
  rate?: RateRange;
  /** Where notes go (no run matched the filters); default stderr. */
  warn?: (line: string) => void;
}

/**
 * Parses `--columns a,b,c`: column names from RUNS_COLUMNS, or `all` for every one.
 * @throws InputError (exit 2) naming an unknown column and listing the valid ones
 */
export function parseColumns(raw: string): string[] {
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length === 0)
    throw new InputError('--columns needs at least one column name', { field: '--columns' });
  const columns = names.flatMap((name) => (name === 'all' ? [...RUNS_COLUMNS] : [name]));
  const unknown = columns.filter((c) => !RUNS_COLUMNS.includes(c));
  if (unknown.length > 0) {
    throw new InputError(
      `--columns: unknown column${unknown.length === 1 ? '' : 's'} ${unknown.map((c) => `"${c}"`).join(', ')}; ` +
        `valid columns (or all): ${RUNS_COLUMNS.join(', ')}`,
      { field: '--columns' },
    );
  }
  return [...new Set(columns)];
}

/**
 * Parses `--rate`: one rate (`4`), or an inclusive range `MIN..MAX`, `MIN..` or `..MAX`, in
 * requests per second.
 * @throws InputError (exit 2) for anything else
 */
export function parseRateRange(raw: string): RateRange {
  const text = raw.trim();
  const number = (s: string, fallback: number): number => {
    if (s.trim() === '') return fallback;
    const n = Number(s);
    if (!Number.isFinite(n) || n < 0) throw bad();
    return n;
  };
  const bad = (): InputError =>
    new InputError(`--rate must be a rate in req/s (4) or a range MIN..MAX (2..6, 2.., ..6), got "${raw}"`, {
      field: '--rate',
    });
  const parts = text.split('..');
  if (parts.length > 2 || text === '' || text === '..') throw bad();
  if (parts.length === 1) {
    const r = number(parts[0], NaN);
    return { min: r, max: r };
  }
  const range = { min: number(parts[0], 0), max: number(parts[1], Infinity) };
  if (range.min > range.max) throw bad();
  return range;
}

/** Whether `rate` is in `range`, allowing for the rounding of a rate written in a spec. */
function inRange(rate: number | null, range: RateRange): boolean {
  if (rate === null) return false;
  const slack = (x: number): number => (Number.isFinite(x) ? 1e-9 * Math.max(1, Math.abs(x)) : 0);
  return rate >= range.min - slack(range.min) && rate <= range.max + slack(range.max);
}

/**
 * `schedbench runs`: one row per run of one sweep, or of all sweeps, optionally filtered by
 * policy and arrival rate. Table: the chosen columns (default DEFAULT_RUNS_COLUMNS, shortened to
 * fit DEFAULT_TABLE_WIDTH); CSV: the chosen columns (default every column of RUNS_COLUMNS);
 * JSON: each run's full record (runJson, machine included), or with `columns` flat objects of
 * those columns.
 * @returns the text to print
 * @throws InputError (exit 2) for a sweep that does not exist
 */
export function runsCommand(store: Store, options: RunsOptions): string {
  const { format, sweepId, columns, policies, rate } = options;
  if (sweepId !== undefined) requireSweep(store, sweepId);
  const all = store.listRuns(sweepId === undefined ? {} : { sweepId }).map(toReportRun);
  const runs = all.filter(
    (run) =>
      (policies === undefined || policies.includes(run.policy)) &&
      (rate === undefined || inRange(run.rate, rate)),
  );
  if (runs.length === 0 && all.length > 0) {
    const warn = options.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
    const names = [...new Set(all.map((r) => r.policy))].sort();
    const rates = [...new Set(all.map((r) => r.rate).filter((r) => r !== null))].sort((a, b) => a - b);
    warn(
      `schedbench: no run matches the filters (policies here: ${names.join(', ')}; rates: ${rates.length > 0 ? rates.join(', ') : 'none'})`,
    );
  }
  if (format === 'json') {
    if (columns) {
      const rows = runsTableRows(runs).map((row) =>
        Object.fromEntries(columns.map((c) => [c, row[c] ?? null])),
      );
      return `${JSON.stringify(rows, null, 2)}\n`;
    }
    return toJson(runs);
  }
  const rows = runsTableRows(runs);
  if (format === 'csv') return toCsv(rows, columns ?? RUNS_COLUMNS);
  return formatTable(rows, columns ?? DEFAULT_RUNS_COLUMNS, {
    maxWidth: columns ? undefined : DEFAULT_TABLE_WIDTH,
  });
}
