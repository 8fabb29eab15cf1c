import type Database from 'better-sqlite3';
import type { CalibrationRow, NewCalibration } from './calibration-row.js';
import { insertSql } from './insert-sql.js';

/**
 * The columns of `calibrations` (migrations/0003_worker_machines.sql) other than the id, in the
 * order of {@link INSERT_CALIBRATION_SQL}'s parameters.
 */
export const CALIBRATION_COLUMNS = [
  'machine',
  'model',
  'dtype',
  'device',
  'gpu_name',
  'gpu_memory_bytes',
  'torch',
  'python',
  'kv_blocks',
  'block_size',
  'fit_json',
  'created_at',
] as const;

/** A column of `calibrations` other than the id. */
export type CalibrationColumn = (typeof CALIBRATION_COLUMNS)[number];

/** A `calibrations` row as SQLite returns it (`SELECT *`). */
export interface CalibrationDbRow {
  id: number;
  machine: string;
  model: string;
  dtype: string;
  device: string;
  gpu_name: string | null;
  /** Bytes. */
  gpu_memory_bytes: number | null;
  torch: string;
  python: string;
  /** KV-cache blocks that fit on the device. */
  kv_blocks: number;
  /** Tokens per KV-cache block. */
  block_size: number;
  /** The fitted iteration-time model, a JSON object. */
  fit_json: string;
  /** ISO 8601 UTC. */
  created_at: string;
}

/** The values of a new `calibrations` row, by column ({@link INSERT_CALIBRATION_SQL}). */
export type CalibrationValues = Pick<CalibrationDbRow, CalibrationColumn>;

/** Inserts a `calibrations` row: parameters are the {@link CALIBRATION_COLUMNS} values, in that order. */
export const INSERT_CALIBRATION_SQL = insertSql('calibrations', CALIBRATION_COLUMNS);

/**
 * The `calibrations` table (migrations/0003_worker_machines.sql): what calibrating a model on a
 * worker machine measured, newest first by (created_at, id). Statements are prepared once; no
 * method starts a transaction: the Store calls them inside its own.
 */
export class CalibrationsTable {
  private readonly stmts;

  /** @param db open connection migrated to the current schema */
  constructor(db: Database.Database) {
    this.stmts = {
      insert: db.prepare(INSERT_CALIBRATION_SQL),
      byId: db.prepare('SELECT * FROM calibrations WHERE id = ?'),
      latest: db.prepare(
        'SELECT * FROM calibrations WHERE machine = ? AND model = ? ORDER BY created_at DESC, id DESC LIMIT 1',
      ),
      latestOfDtype: db.prepare(
        'SELECT * FROM calibrations WHERE machine = ? AND model = ? AND dtype = ? ' +
          'ORDER BY created_at DESC, id DESC LIMIT 1',
      ),
      all: db.prepare('SELECT * FROM calibrations ORDER BY created_at DESC, id DESC'),
      ofMachine: db.prepare('SELECT * FROM calibrations WHERE machine = ? ORDER BY created_at DESC, id DESC'),
    };
  }

  /**
   * Inserts a calibration checked by checkCalibration.
   *
   * @param fitJson `c.fit` as JSON text (checkCalibration's result)
   * @param createdAt ISO 8601 UTC
   * @returns the new row's id
   * @throws SqliteError when the row violates the schema
   */
  insert(c: NewCalibration, fitJson: string, createdAt: string): number {
    const values: CalibrationValues = {
      machine: c.machine,
      model: c.model,
      dtype: c.dtype,
      device: c.device,
      gpu_name: c.gpuName,
      gpu_memory_bytes: c.gpuMemoryBytes,
      torch: c.torch,
      python: c.python,
      kv_blocks: c.kvBlocks,
      block_size: c.blockSize,
      fit_json: fitJson,
      created_at: createdAt,
    };
    return Number(this.stmts.insert.run(CALIBRATION_COLUMNS.map((k) => values[k])).lastInsertRowid);
  }

  /** The calibration with this id, if stored. */
  byId(id: number): CalibrationRow | undefined {
    const row = this.stmts.byId.get(id) as CalibrationDbRow | undefined;
    return row === undefined ? undefined : calibrationFromDb(row);
  }

  /**
   * The newest calibration of a model on a machine (latest created_at, then highest id).
   *
   * @param dtype only calibrations of this dtype; any dtype when omitted
   */
  latest(machine: string, model: string, dtype?: string): CalibrationRow | undefined {
    const row = (
      dtype === undefined
        ? this.stmts.latest.get(machine, model)
        : this.stmts.latestOfDtype.get(machine, model, dtype)
    ) as CalibrationDbRow | undefined;
    return row === undefined ? undefined : calibrationFromDb(row);
  }

  /**
   * Stored calibrations, newest first (latest created_at, then highest id).
   *
   * @param machine only this machine's; all when omitted
   */
  list(machine?: string): CalibrationRow[] {
    const rows = (
      machine === undefined ? this.stmts.all.all() : this.stmts.ofMachine.all(machine)
    ) as CalibrationDbRow[];
    return rows.map(calibrationFromDb);
  }
}

/** Maps a `calibrations` row to a CalibrationRow, parsing fit_json. */
function calibrationFromDb(row: CalibrationDbRow): CalibrationRow {
  return {
    id: row.id,
    machine: row.machine,
    model: row.model,
    dtype: row.dtype,
    device: row.device,
    gpuName: row.gpu_name,
    gpuMemoryBytes: row.gpu_memory_bytes,
    torch: row.torch,
    python: row.python,
    kvBlocks: row.kv_blocks,
    blockSize: row.block_size,
    fit: JSON.parse(row.fit_json) as Record<string, unknown>,
    createdAt: row.created_at,
  };
}
