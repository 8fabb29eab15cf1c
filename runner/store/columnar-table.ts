import type Database from 'better-sqlite3';

/** One typed-array field of a struct-of-arrays and the table column that stores it. */
export interface ColumnSpec<T> {
  /** Field of the struct-of-arrays. */
  readonly field: keyof T & string;
  /** Column of the table. */
  readonly column: string;
  /**
   * `real`: a Float64Array whose NaN entries (event never happened) are stored as NULL and
   * read back as NaN. `integer`: an Int32Array, NOT NULL.
   */
  readonly kind: 'real' | 'integer';
}

type Column = Float64Array | Int32Array;

/** Rows per multi-row INSERT; 64 rows x 13 parameters stay far below SQLite's 32,766 limit. */
const BATCH_ROWS = 64;

/**
 * Stores a struct-of-arrays (RequestRecords, TimeSeries, IterationRecords) as rows `(run_id, idx, columns...)` of
 * a `WITHOUT ROWID` table keyed by (run_id, idx), idx being the array index, and reads it back
 * into typed arrays. Statements are prepared once; writes are multi-row INSERTs of
 * {@link BATCH_ROWS} rows (fewer statement executions: about 1.5 us per row, so 10,000 requests
 * store in under 20 ms) and must run inside the caller's transaction.
 */
export class ColumnarTable<T extends object> {
  private readonly insertRow: Database.Statement;
  private readonly insertBatch: Database.Statement;
  private readonly selectRows: Database.Statement;

  /**
   * @param db open connection whose schema has the table
   * @param table table name (a constant of the caller, never user input: it is spliced into SQL)
   * @param label how messages name the struct (`requests`, `timeSeries`, `iterations`)
   * @param columns the fields, in any order; every field of T must appear exactly once
   */
  constructor(
    db: Database.Database,
    private readonly table: string,
    private readonly label: string,
    private readonly columns: readonly ColumnSpec<T>[],
  ) {
    const names = columns.map((c) => c.column);
    const tuple = `(?, ?, ${names.map(() => '?').join(', ')})`;
    const insert = `INSERT INTO ${table} (run_id, idx, ${names.join(', ')}) VALUES `;
    this.insertRow = db.prepare(insert + tuple);
    this.insertBatch = db.prepare(insert + Array.from({ length: BATCH_ROWS }, () => tuple).join(', '));
    this.selectRows = db
      .prepare(`SELECT idx, ${names.join(', ')} FROM ${table} WHERE run_id = ? ORDER BY idx`)
      .raw(true);
  }

  /**
   * The common length of the struct's arrays.
   *
   * @param values the struct-of-arrays
   * @param what names the run in messages (`run 12`)
   * @returns the number of entries (rows to store)
   * @throws Error naming the field when a field is not the expected typed array or the lengths
   *   differ
   */
  length(values: T, what: string): number {
    let length = -1;
    let first = '';
    for (const spec of this.columns) {
      const array = (values as Record<string, unknown>)[spec.field];
      const expected = spec.kind === 'real' ? Float64Array : Int32Array;
      if (!(array instanceof expected)) {
        throw new Error(`${what}: ${this.label}.${spec.field} must be a ${expected.name}`);
      }
      if (length === -1) {
        length = array.length;
        first = spec.field;
      } else if (array.length !== length) {
        throw new Error(
          `${what}: ${this.label}.${spec.field} has ${array.length} entries but ` +
            `${this.label}.${first} has ${length}; all arrays must have the same length`,
        );
      }
    }
    return Math.max(length, 0);
  }

  /**
   * Inserts rows 0..length-1 for a run; call inside a transaction, after {@link length}
   * validated the struct.
   *
   * @throws SqliteError on a constraint violation (a CHECK, or rows already stored for the run)
   */
  insert(runId: number, values: T, length: number): void {
    const arrays = this.columns.map((c) => (values as Record<string, Column>)[c.field]);
    const nullable = this.columns.map((c) => c.kind === 'real');
    const width = arrays.length + 2;
    const fill = (args: (number | null)[], row: number, at: number): void => {
      args[at] = runId;
      args[at + 1] = row;
      for (let c = 0; c < arrays.length; c++) {
        const v = arrays[c][row];
        args[at + 2 + c] = nullable[c] && Number.isNaN(v) ? null : v;
      }
    };
    const batch: (number | null)[] = new Array(width * BATCH_ROWS);
    let i = 0;
    for (; i + BATCH_ROWS <= length; i += BATCH_ROWS) {
      for (let k = 0; k < BATCH_ROWS; k++) fill(batch, i + k, k * width);
      this.insertBatch.run(batch);
    }
    const single: (number | null)[] = new Array(width);
    for (; i < length; i++) {
      fill(single, i, 0);
      this.insertRow.run(single);
    }
  }

  /**
   * Reads a run's rows back into typed arrays (NULL in a `real` column becomes NaN). A run
   * without rows reads as arrays of length 0.
   *
   * @throws Error when the stored idx values are not 0, 1, 2, ... (a corrupted database)
   */
  read(runId: number): T {
    const rows = this.selectRows.all(runId) as (number | null)[][];
    const n = rows.length;
    const arrays = this.columns.map((c) => (c.kind === 'real' ? new Float64Array(n) : new Int32Array(n)));
    for (let i = 0; i < n; i++) {
      const row = rows[i];
      if (row[0] !== i) throw new Error(`${this.table}: run ${runId} has no row idx ${i} (found ${row[0]})`);
      for (let c = 0; c < arrays.length; c++) {
        const v = row[c + 1];
        arrays[c][i] = v === null ? NaN : v;
      }
    }
    const out: Record<string, Column> = {};
    this.columns.forEach((c, k) => (out[c.field] = arrays[k]));
    return out as T;
  }
}
