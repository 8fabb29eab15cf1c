import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { renderHtmlReport } from '../reports/html-report.js';
import { loadReportData } from '../reports/load-report-data.js';
import { runsTableRows, toCsv, toJson } from '../reports/runs-table.js';
import type { Store } from '../store/store.js';
import { sweepSummaryOf } from '../sweeps/sweep-summary.js';

/** Formats of `schedbench report`. */
export const REPORT_FORMATS = ['html', 'csv', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/**
 * Writes a sweep's report: a self-contained HTML file (the summary's verdicts first, capacity
 * verdicts included; charts, run table, spec, machine), or the
 * run table as CSV or JSON. Written to a temporary file and renamed, so a failure never leaves a
 * half-written report.
 * @returns the absolute path written
 * @throws InputError when the sweep does not exist
 */
export function writeSweepReport(store: Store, sweepId: number, out: string, format: ReportFormat): string {
  const data = loadReportData(store, sweepId);
  let text: string;
  // The sweep's summary verdicts: paired ones and, with capacity searches, the capacity verdicts.
  if (format === 'html')
    text = renderHtmlReport(data, { verdicts: sweepSummaryOf(store, sweepId, () => store) });
  else if (format === 'csv') text = toCsv(runsTableRows(data.runs));
  else text = toJson(data.runs);
  const path = resolve(out);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
  return path;
}

/**
 * The sweep a `report`, `summary` or `capacity` command means: the given id, or the newest with
 * `--latest`.
 * @throws InputError when neither is given, both are, the sweep does not exist, or the database
 *   has no sweep
 */
export function chooseSweep(store: Store, id: string | undefined, latest: boolean | undefined): number {
  if (id !== undefined && latest)
    throw new InputError('give a sweep ID or --latest, not both', { field: 'ID' });
  if (id !== undefined) {
    const n = Number(id);
    if (!Number.isSafeInteger(n) || n < 1)
      throw new InputError(`sweep ID must be a positive integer, got "${id}"`, { field: 'ID' });
    requireSweep(store, n);
    return n;
  }
  if (!latest) throw new InputError('give a sweep ID (see `schedbench runs`) or --latest', { field: 'ID' });
  const sweep = store.latestSweep();
  if (!sweep) throw new InputError(`the database ${store.file} has no sweep yet`, { field: 'ID' });
  return sweep.id;
}

/**
 * Checks that the database has sweep `id`.
 * @throws InputError (exit 2) naming the database and the sweep ids it has
 */
export function requireSweep(store: Store, id: number): void {
  if (store.getSweep(id)) return;
  const ids = store
    .listSweeps()
    .map((s) => s.id)
    .sort((a, b) => a - b);
  const shown = ids.length > 12 ? [...ids.slice(0, 5), '…', ...ids.slice(-5)] : ids;
  const has = ids.length === 0 ? 'it has no sweep yet' : `its sweeps: ${shown.join(', ')}`;
  throw new InputError(`no sweep ${id} in the database ${store.file} (${has})`, { field: 'ID' });
}
