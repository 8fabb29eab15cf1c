import type Database from 'better-sqlite3';
import type { ColumnCodec } from './column-blob-codec.js';
import type { EncodedStruct, NamedEncodedColumn } from './encoded-struct.js';
import type { StructName } from './struct-columns.js';

/** A `run_columns` row as SQLite returns it. */
interface RunColumnDbRow {
  column_name: string;
  length: number;
  codec: ColumnCodec;
  data: Uint8Array;
}

/**
 * The `run_columns` table (migrations/0011_column_blobs.sql): each done run's struct-of-arrays
 * (struct `requests`, `time_series`, `iterations`), one row per column holding the whole typed
 * array as an encoded blob (runner/store/column-blob-codec.ts). Statements are prepared once; no
 * method starts a transaction (callers write inside their own).
 */
export class ColumnBlobTable {
  private readonly insertRow: Database.Statement;
  private readonly selectStruct: Database.Statement;
  private readonly selectRun: Database.Statement;

  /** @param db open connection whose schema has `run_columns` (schema 11 or later) */
  constructor(db: Database.Database) {
    this.insertRow = db.prepare(
      'INSERT INTO run_columns (run_id, struct, column_name, length, codec, data) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.selectStruct = db.prepare(
      'SELECT column_name, length, codec, data FROM run_columns WHERE run_id = ? AND struct = ?',
    );
    this.selectRun = db
      .prepare('SELECT struct, column_name, length, codec, data FROM run_columns WHERE run_id = ?')
      .raw(true);
  }

  /**
   * Stores a run's encoded struct, one row per column.
   *
   * @throws SqliteError when the run already has that struct stored, or does not exist
   */
  insert(runId: number, struct: StructName, encoded: EncodedStruct): void {
    for (const c of encoded.columns) this.insertRow.run(runId, struct, c.column, c.length, c.codec, c.data);
  }

  /**
   * A run's stored struct, its columns still encoded (decodeStruct decodes them).
   *
   * @returns undefined when the run has no column of that struct
   * @throws Error naming the run when its columns differ in length (a damaged database)
   */
  read(runId: number, struct: StructName): EncodedStruct | undefined {
    const rows = this.selectStruct.all(runId, struct) as RunColumnDbRow[];
    if (rows.length === 0) return undefined;
    const length = rows[0].length;
    const bad = rows.find((r) => r.length !== length);
    if (bad !== undefined) {
      throw new Error(
        `run ${runId} ${struct}.${bad.column_name}: ${bad.length} elements but ` +
          `${struct}.${rows[0].column_name} has ${length} (a damaged database)`,
      );
    }
    const columns: NamedEncodedColumn[] = rows.map((r) => ({
      column: r.column_name,
      codec: r.codec,
      length: r.length,
      data: r.data,
    }));
    return { length, columns };
  }

  /**
   * Copies every stored column of run `from` of another database to run `to` of this one, as
   * stored (the blobs are not decoded).
   *
   * @throws SqliteError when `to` has columns already or does not exist
   */
  copyFrom(source: ColumnBlobTable, from: number, to: number): void {
    for (const row of source.selectRun.all(from) as unknown[][]) this.insertRow.run(to, ...row);
  }
}
