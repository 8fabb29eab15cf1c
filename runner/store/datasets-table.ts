import type Database from 'better-sqlite3';
import { InputError } from '../errors.js';
import type { TraceColumns } from '../workloads/workload-spec.js';
import type { TimeUnit } from '../workloads/timestamp.js';

/** A trace to store in `datasets` (migrations/0005_datasets.sql); see DatasetsTable.add. */
export interface NewDataset {
  /** Unique name: 1 to 80 characters, no control characters. */
  readonly name: string;
  readonly format: 'csv' | 'jsonl';
  /** Absolute path of the managed copy (the folder `datasets/` beside the database). */
  readonly path: string;
  /** Absolute path the file was imported from. */
  readonly originalPath: string;
  /** sha256 of the copy's bytes, 64 lowercase hex digits. */
  readonly sha256: string;
  /** Field names of arrival time, prompt tokens and output tokens. */
  readonly columns: TraceColumns;
  /** Unit of numeric timestamps; null for `datetime` timestamps. */
  readonly timeUnit: TimeUnit | null;
  readonly timestampFormat: 'seconds' | 'datetime';
  /** Requests (rows) in the file, > 0. */
  readonly requests: number;
}

/** A stored dataset, as read back. */
export type DatasetRow = NewDataset & {
  readonly id: number;
  /** ISO 8601 UTC. */
  readonly createdAt: string;
};

interface DatasetDbRow {
  id: number;
  name: string;
  format: 'csv' | 'jsonl';
  path: string;
  original_path: string;
  sha256: string;
  columns_json: string;
  time_unit: TimeUnit | null;
  timestamp_format: 'seconds' | 'datetime';
  requests: number;
  created_at: string;
}

/** Longest dataset name (it becomes a workload name in specs and tables). */
export const MAX_DATASET_NAME = 80;

/**
 * Checks a dataset name.
 * @returns the name, trimmed
 * @throws InputError with field `name` when it is empty, longer than MAX_DATASET_NAME or holds a
 *   control character
 */
export function checkDatasetName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0) throw new InputError('name: give the dataset a name', { field: 'name' });
  if (trimmed.length > MAX_DATASET_NAME) {
    throw new InputError(`name: at most ${MAX_DATASET_NAME} characters`, { field: 'name' });
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) {
    throw new InputError('name: no control characters', { field: 'name' });
  }
  return trimmed;
}

/**
 * The `datasets` table: traces a user imported (runner/datasets/import-dataset.ts). Writes are
 * IMMEDIATE transactions, like every Store write.
 */
export class DatasetsTable {
  private readonly stmts;

  constructor(private readonly db: Database.Database) {
    this.stmts = {
      insert: db.prepare(
        'INSERT INTO datasets (name, format, path, original_path, sha256, columns_json, time_unit, ' +
          'timestamp_format, requests, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      byId: db.prepare('SELECT * FROM datasets WHERE id = ?'),
      byName: db.prepare('SELECT * FROM datasets WHERE name = ?'),
      all: db.prepare('SELECT * FROM datasets ORDER BY id'),
      remove: db.prepare('DELETE FROM datasets WHERE id = ?'),
    };
  }

  /**
   * Stores a dataset, created now.
   * @returns the dataset as stored
   * @throws InputError with field `name` when the name is invalid or taken; nothing is stored then
   */
  add(d: NewDataset): DatasetRow {
    const name = checkDatasetName(d.name);
    return this.db
      .transaction((): DatasetRow => {
        if (this.stmts.byName.get(name) !== undefined) {
          throw new InputError(`name: a dataset named "${name}" exists already`, { field: 'name' });
        }
        const id = this.stmts.insert.run(
          name,
          d.format,
          d.path,
          d.originalPath,
          d.sha256,
          JSON.stringify(d.columns),
          d.timestampFormat === 'datetime' ? null : d.timeUnit,
          d.timestampFormat,
          d.requests,
          new Date().toISOString(),
        ).lastInsertRowid;
        return fromDb(this.stmts.byId.get(id) as DatasetDbRow);
      })
      .immediate();
  }

  /** The dataset with this name, if stored. */
  byName(name: string): DatasetRow | undefined {
    const row = this.stmts.byName.get(name) as DatasetDbRow | undefined;
    return row === undefined ? undefined : fromDb(row);
  }

  /** The dataset with this id, if stored. */
  byId(id: number): DatasetRow | undefined {
    const row = this.stmts.byId.get(id) as DatasetDbRow | undefined;
    return row === undefined ? undefined : fromDb(row);
  }

  /** Every stored dataset, oldest first. */
  list(): DatasetRow[] {
    return (this.stmts.all.all() as DatasetDbRow[]).map(fromDb);
  }

  /**
   * Deletes a dataset's row (its managed copy is the caller's to delete).
   * @returns false when no such dataset existed
   */
  remove(id: number): boolean {
    return this.db.transaction(() => this.stmts.remove.run(id).changes > 0).immediate();
  }
}

function fromDb(row: DatasetDbRow): DatasetRow {
  return {
    id: row.id,
    name: row.name,
    format: row.format,
    path: row.path,
    originalPath: row.original_path,
    sha256: row.sha256,
    columns: JSON.parse(row.columns_json) as TraceColumns,
    timeUnit: row.time_unit,
    timestampFormat: row.timestamp_format,
    requests: row.requests,
    createdAt: row.created_at,
  };
}
