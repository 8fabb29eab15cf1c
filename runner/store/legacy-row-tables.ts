import type Database from 'better-sqlite3';
import type { Column } from './column-blob-codec.js';
import { STRUCTS, type StructName } from './struct-columns.js';

/**
 * The columns of a struct the row tables had: all but those that may be absent
 * (ColumnSpec.mayBeAbsent), which came after the row tables.
 */
function legacyColumns(struct: StructName) {
  return STRUCTS[struct].columns.filter((c) => c.mayBeAbsent !== true);
}

/** The row table that held each struct before migrations/0011_column_blobs.sql. */
const LEGACY_TABLES: Record<StructName, string> = {
  requests: 'run_requests',
  time_series: 'run_time_series',
  iterations: 'run_iterations',
};

/**
 * Reads the row tables of schemas 1-10 (`run_requests`, `run_time_series`, `run_iterations`: one
 * row `(run_id, idx, columns...)` per element, a NaN time stored as NULL) back into typed arrays:
 * for the data step of migration 0011, which converts them to column blobs, and for importing a
 * database of an older schema (opened read-only, never migrated). Statements are prepared once.
 */
export class LegacyRowTables {
  private readonly selects: Record<StructName, Database.Statement>;

  /** @param db a connection whose schema has the three row tables (schema 3 to 10) */
  constructor(db: Database.Database) {
    const select = (struct: StructName): Database.Statement => {
      const names = legacyColumns(struct).map((c) => c.column);
      return db
        .prepare(
          `SELECT idx, ${names.join(', ')} FROM ${LEGACY_TABLES[struct]} WHERE run_id = ? ORDER BY idx`,
        )
        .raw(true);
    };
    this.selects = {
      requests: select('requests'),
      time_series: select('time_series'),
      iterations: select('iterations'),
    };
  }

  /**
   * A run's rows of one struct as typed arrays (NULL in a real column becomes NaN).
   *
   * @returns the struct-of-arrays; arrays of length 0 when the run has no rows
   * @throws Error when the stored idx values are not 0, 1, 2, ... (a damaged database)
   */
  read<T>(runId: number, struct: StructName): T {
    const rows = this.selects[struct].all(runId) as (number | null)[][];
    const n = rows.length;
    const columns = legacyColumns(struct);
    const arrays: Column[] = columns.map((c) =>
      c.kind === 'real' ? new Float64Array(n) : new Int32Array(n),
    );
    for (let i = 0; i < n; i++) {
      const row = rows[i];
      if (row[0] !== i) {
        throw new Error(`${LEGACY_TABLES[struct]}: run ${runId} has no row idx ${i} (found ${row[0]})`);
      }
      for (let c = 0; c < arrays.length; c++) {
        const v = row[c + 1];
        arrays[c][i] = v === null ? NaN : v;
      }
    }
    const out: Record<string, Column> = {};
    columns.forEach((c, k) => (out[c.field] = arrays[k]));
    return out as T;
  }

  /** Whether the run has any row of the struct. */
  has(runId: number, struct: StructName): boolean {
    return this.selects[struct].get(runId) !== undefined;
  }
}

/** The row tables' names, for the data step that drops them. */
export const LEGACY_ROW_TABLES: readonly string[] = Object.values(LEGACY_TABLES);
