/**
 * Importing a user's trace: the whole file is read with the user's mapping (any bad row refuses
 * the import, naming its line and column), copied into the folder `datasets/` beside the
 * database, and recorded in the `datasets` table (migrations/0005_datasets.sql). The copy is
 * named by the content's hash, so a sweep that names it reads the same requests for as long as
 * the database lives, whatever happens to the original.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import { checkDatasetName, type DatasetRow } from '../store/datasets-table.js';
import type { Store } from '../store/store.js';
import { parseTraceText } from '../workloads/generic-trace.js';
import { decodeInputText, readInputBytes } from '../workloads/input-file.js';
import type { TimeUnit } from '../workloads/timestamp.js';
import type { TraceColumns } from '../workloads/workload-spec.js';
import { builtInDatasets } from './built-in-datasets.js';
import { summarizeDataset, type DatasetSummary } from './dataset-summary.js';

/** What to import. */
export interface DatasetImport {
  /** Unique name (also the default workload name): 1 to 80 characters, not a built-in's. */
  name: string;
  /** Absolute path of the trace. */
  path: string;
  format: 'csv' | 'jsonl';
  columns: TraceColumns;
  timestampFormat: 'seconds' | 'datetime';
  /** Unit of numeric timestamps (default `s`); must be absent for datetimes. */
  timeUnit?: TimeUnit | undefined;
}

/**
 * The folder imported traces are copied to: `datasets/` beside the database file.
 * @throws InputError for an in-memory database (it has no folder)
 */
export function datasetsFolder(store: Store): string {
  if (store.file === ':memory:' || store.file === '') {
    throw new InputError('an in-memory database cannot keep imported datasets; open a database file');
  }
  return join(dirname(store.file), 'datasets');
}

/**
 * Imports a trace.
 * @returns the stored dataset and its summary
 * @throws InputError with field `name` for a bad, taken or built-in name; naming the path for a
 *   missing file; `file:line: column "c": ...` for a bad row; `timeUnit` with datetimes. Nothing
 *   is stored, and no copy is left, when it throws.
 */
export function importDataset(
  store: Store,
  input: DatasetImport,
): { dataset: DatasetRow; summary: DatasetSummary } {
  const name = checkDatasetName(input.name);
  if (builtInDatasets().some((d) => d.name === name)) {
    throw new InputError(`name: "${name}" is a built-in dataset's name; choose another`, { field: 'name' });
  }
  if (store.datasets.byName(name) !== undefined) {
    throw new InputError(`name: a dataset named "${name}" exists already`, { field: 'name' });
  }
  if (input.timestampFormat === 'datetime' && input.timeUnit !== undefined) {
    throw new InputError('timeUnit: applies to numeric timestamps only, not to datetimes', {
      field: 'timeUnit',
    });
  }
  const timeUnit = input.timestampFormat === 'datetime' ? null : (input.timeUnit ?? 's');
  const bytes = readInputBytes(input.path, 'path'); // read once: parsed, hashed and copied
  const table = parseTraceText(
    decodeInputText(bytes),
    input.path,
    {
      format: input.format,
      columns: input.columns,
      timeUnit: timeUnit ?? 's',
      timestampFormat: input.timestampFormat,
    },
    'columns',
  );
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const folder = datasetsFolder(store);
  const copy = join(folder, `${sha256.slice(0, 16)}-${basename(input.path)}`);
  const created = !existsSync(copy);
  if (created) {
    mkdirSync(folder, { recursive: true });
    const partial = `${copy}.${process.pid}.partial`;
    writeFileSync(partial, bytes);
    renameSync(partial, copy);
  }
  try {
    const dataset = store.datasets.add({
      name,
      format: input.format,
      path: copy,
      originalPath: input.path,
      sha256,
      columns: input.columns,
      timeUnit,
      timestampFormat: input.timestampFormat,
      requests: table.promptTokens.length,
    });
    return { dataset, summary: summarizeDataset(table) };
  } catch (e) {
    if (created && !store.datasets.list().some((d) => d.path === copy)) rmSync(copy, { force: true });
    throw e;
  }
}
