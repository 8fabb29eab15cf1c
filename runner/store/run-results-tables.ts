import type Database from 'better-sqlite3';
import type { IterationRecords, RequestRecords } from '../engine/run-records.js';
import { runDigest, type RunDigest } from '../metrics/run-digest.js';
import { ColumnBlobTable } from './column-blob-table.js';
import { decodeDigest, encodeDigest } from './encoded-digest.js';
import { encodeRunResult, isEncodedRunResult, type EncodedRunColumns } from './encoded-run-result.js';
import type { StorableRunResult } from './encoded-run-result.js';
import { decodeStruct, encodeStruct } from './encoded-struct.js';
import { insertSql } from './insert-sql.js';
import { LegacyRowTables } from './legacy-row-tables.js';
import { encodeMetrics } from './metrics-json.js';
import { RunDigestsTable } from './run-digests-table.js';
import { encodeStability } from './stability-json.js';
import type { StructName } from './struct-columns.js';

/**
 * The columns of `run_metrics` (migrations/0001_initial.sql, 0002_run_stability.sql), in the
 * order of {@link INSERT_RUN_METRICS_SQL}'s parameters.
 */
export const RUN_METRICS_COLUMNS = ['run_id', 'metrics_json', 'stable', 'stability_json'] as const;

/** A `run_metrics` row as SQLite returns it. */
export interface RunMetricsDbRow {
  run_id: number;
  /** RunMetrics as a JSON object (encodeMetrics). */
  metrics_json: string;
  /** 1 stable, 0 unstable, NULL no verdict (or stored before migration 0002). */
  stable: 0 | 1 | null;
  /** StabilityResult as a JSON object (encodeStability); NULL exactly when `stable` is. */
  stability_json: string | null;
}

/** Inserts a `run_metrics` row: parameters are the {@link RUN_METRICS_COLUMNS} values, in that order. */
export const INSERT_RUN_METRICS_SQL = insertSql('run_metrics', RUN_METRICS_COLUMNS);

/** A result checked and encoded for storing ({@link RunResultsTables.check}). */
export interface CheckedRunResult {
  /** Names the run in messages (`run 12`). */
  readonly what: string;
  /** `run_metrics.metrics_json`. */
  readonly metricsJson: string;
  /** `run_metrics.stable`. */
  readonly stable: 0 | 1 | null;
  /** `run_metrics.stability_json`. */
  readonly stabilityJson: string;
  /** The encoded struct-of-arrays and digest (`run_columns`, `run_digests`). */
  readonly encoded: EncodedRunColumns;
}

/**
 * The tables of a done run's results: `run_metrics` (metrics and stability verdict, one row),
 * `run_columns` (its RequestRecords, TimeSeries and, for a GPU worker run, IterationRecords, one
 * encoded blob per column; ColumnBlobTable) and `run_digests` (its RunDigest), schema 11
 * (migrations/0011_column_blobs.sql). On a database of an older schema (a read-only import
 * source, schema 4-10) the struct-of-arrays are read from the row tables of those schemas
 * (LegacyRowTables) and the digest computed from the records. Statements are prepared once; no
 * method starts a transaction: the Store (or importDatabase) calls them inside its own.
 */
export class RunResultsTables {
  /** `run_columns`; undefined on a database of schema 10 or older. */
  private readonly columns: ColumnBlobTable | undefined;
  /** `run_digests`; undefined on a database of schema 10 or older. */
  private readonly digests: RunDigestsTable | undefined;
  /** The row tables of schemas 3-10, on a database of such a schema (no `run_columns`). */
  private readonly legacy: LegacyRowTables | undefined;
  private readonly stmts;

  /** @param db open connection of schema 11 or later, or (only read: copyFrom's source) 4 to 10 */
  constructor(db: Database.Database) {
    const blobs = db
      .prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'run_columns'")
      .pluck()
      .get();
    if (blobs === 1) {
      this.columns = new ColumnBlobTable(db);
      this.digests = new RunDigestsTable(db);
    } else {
      this.legacy = new LegacyRowTables(db);
    }
    this.stmts = {
      insertMetrics: db.prepare(INSERT_RUN_METRICS_SQL),
      metricsValues: db
        .prepare('SELECT metrics_json, stable, stability_json FROM run_metrics WHERE run_id = ?')
        .raw(true),
    };
  }

  /**
   * Checks and encodes a run's result, before any transaction: the metrics (encodeMetrics), the
   * stability verdict (encodeStability), and, unless the result is encoded already
   * (EncodedRunResult, checked where it was encoded), the struct-of-arrays and the digest
   * (encodeRunResult).
   *
   * @param what names the run in messages (`run 12`)
   * @returns what {@link insert} stores
   * @throws Error naming the field when a metric key is missing or unknown, a metric is NaN or
   *   infinite, the stability verdict is malformed, the arrays of one struct differ in length or
   *   are not the expected typed arrays, a value breaks its column's rule (tokens < 1, a NaN
   *   arrival, sample or iteration time, a negative count or duration; encodeStruct), iterations
   *   are present but not an IterationRecords object, or the digest is malformed
   */
  check(result: StorableRunResult, what: string): CheckedRunResult {
    const metricsJson = encodeMetrics(result.metrics, what);
    const stability = encodeStability(result.stability, what);
    const encoded = isEncodedRunResult(result) ? result.encoded : encodeRunResult(result, what).encoded;
    return { what, metricsJson, stable: stability.stable, stabilityJson: stability.json, encoded };
  }

  /**
   * Stores a checked result for a run that has none (inside the caller's transaction): one
   * `run_metrics` row, one `run_columns` row per column, one `run_digests` row.
   *
   * @throws SqliteError when the run has results already (or does not exist)
   */
  insert(runId: number, checked: CheckedRunResult): void {
    const columns = this.writable();
    const { encoded } = checked;
    this.stmts.insertMetrics.run(runId, checked.metricsJson, checked.stable, checked.stabilityJson);
    columns.insert(runId, 'requests', encoded.requests);
    columns.insert(runId, 'time_series', encoded.timeSeries);
    if (encoded.iterations !== undefined) columns.insert(runId, 'iterations', encoded.iterations);
    this.digests!.insert(runId, encoded.digest);
  }

  /**
   * A run's stored struct-of-arrays, decoded.
   *
   * @returns undefined when the run has no column of the struct stored
   * @throws Error naming the run and column when a stored column is corrupt
   */
  readStruct<T>(runId: number, struct: StructName): T | undefined {
    if (this.legacy !== undefined) {
      return this.legacy.has(runId, struct) ? this.legacy.read<T>(runId, struct) : undefined;
    }
    const encoded = this.columns!.read(runId, struct);
    return encoded === undefined ? undefined : decodeStruct<T>(struct, encoded, `run ${runId}`);
  }

  /**
   * A run's stored digest (on a database of schema 10 or older: computed from its records).
   *
   * @returns undefined when the run has none stored (a run that is not done)
   */
  readDigest(runId: number): RunDigest | undefined {
    if (this.legacy !== undefined) return runDigest(this.legacy.read<RequestRecords>(runId, 'requests'));
    const encoded = this.digests!.read(runId);
    return encoded === undefined ? undefined : decodeDigest(encoded, `run ${runId}`);
  }

  /**
   * Copies the stored results of run `from` of another database to run `to` of this one (which
   * has none): the `run_metrics` row when there is one, the columns and the digest as stored (the
   * blobs are not decoded). From a source of schema 10 or older, its rows are encoded here and
   * its digest computed (convertLegacy).
   *
   * @param source the other database's tables (only read)
   * @throws SqliteError when `to` has results already
   */
  copyFrom(source: RunResultsTables, from: number, to: number): void {
    const metrics = source.stmts.metricsValues.get(from) as unknown[] | undefined;
    if (metrics !== undefined) this.stmts.insertMetrics.run(to, ...metrics);
    if (source.legacy !== undefined) {
      this.convertLegacy(source.legacy, from, to, true);
      return;
    }
    this.writable().copyFrom(source.columns!, from, to);
    this.digests!.copyFrom(source.digests!, from, to);
  }

  /**
   * Stores the results run `from` has in the row tables of schemas 1-10 (`legacy`, this database's
   * own during migration 0011, or an import source's) as run `to`'s columns: `requests` and
   * `time_series` always (empty when it has no rows), `iterations` when it has rows; and, when
   * `done`, its digest computed from its records (runDigest).
   *
   * @throws Error naming the run when a stored value breaks a column's rule (the row tables'
   *   CHECKs made the same, so only a database edited by hand)
   */
  convertLegacy(legacy: LegacyRowTables, from: number, to: number, done: boolean): void {
    const columns = this.writable();
    const what = `run ${from}`;
    const requests = legacy.read<RequestRecords>(from, 'requests');
    const encodedRequests = encodeStruct('requests', requests, what);
    columns.insert(to, 'requests', encodedRequests);
    columns.insert(to, 'time_series', encodeStruct('time_series', legacy.read(from, 'time_series'), what));
    if (legacy.has(from, 'iterations')) {
      const iterations = legacy.read<IterationRecords>(from, 'iterations');
      columns.insert(to, 'iterations', encodeStruct('iterations', iterations, what));
    }
    if (done) this.digests!.insert(to, encodeDigest(runDigest(requests), encodedRequests.length, what));
  }

  /** `run_columns`; throws on a database of an older schema (only ever read). */
  private writable(): ColumnBlobTable {
    if (this.columns === undefined)
      throw new Error('results of a database of schema 10 or older are only read');
    return this.columns;
  }
}
