import type Database from 'better-sqlite3';
import type { IterationRecords, RequestRecords, TimeSeries } from '../engine/run-records.js';
import type { RunResult } from '../metrics/run-result.js';
import type { ColumnarTable } from './columnar-table.js';
import { insertSql } from './insert-sql.js';
import { iterationRecordsTable } from './iteration-records-table.js';
import { encodeMetrics } from './metrics-json.js';
import { requestRecordsTable } from './request-records-table.js';
import { encodeStability } from './stability-json.js';
import { timeSeriesTable } from './time-series-table.js';

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

/** A RunResult checked and encoded for storing ({@link RunResultsTables.check}). */
export interface CheckedRunResult {
  /** The result as given. */
  readonly result: RunResult;
  /** Names the run in messages (`run 12`). */
  readonly what: string;
  /** `run_metrics.metrics_json`. */
  readonly metricsJson: string;
  /** `run_metrics.stable`. */
  readonly stable: 0 | 1 | null;
  /** `run_metrics.stability_json`. */
  readonly stabilityJson: string;
  /** Rows of `run_requests` (requests). */
  readonly nRequests: number;
  /** Rows of `run_time_series` (samples). */
  readonly nSamples: number;
  /** Rows of `run_iterations` (measured iterations; 0 when the result has none). */
  readonly nIterations: number;
}

/**
 * The tables of a done run's results: `run_metrics` (metrics and stability verdict, one row),
 * `run_requests`, `run_time_series` and `run_iterations` (struct-of-arrays stored row per entry by
 * ColumnarTable, migrations/0001_initial.sql and 0003_worker_machines.sql). Statements are
 * prepared once; no method starts a transaction: the Store (or importDatabase) calls them inside
 * its own.
 */
export class RunResultsTables {
  /** `run_requests`: one row per request. */
  readonly requests: ColumnarTable<RequestRecords>;
  /** `run_time_series`: one row per sampled iteration. */
  readonly timeSeries: ColumnarTable<TimeSeries>;
  /** `run_iterations`: one row per measured iteration (GPU worker runs only). */
  readonly iterations: ColumnarTable<IterationRecords>;
  private readonly stmts;

  /** @param db open connection whose schema has the four tables (schema 3 or later) */
  constructor(db: Database.Database) {
    this.requests = requestRecordsTable(db);
    this.timeSeries = timeSeriesTable(db);
    this.iterations = iterationRecordsTable(db);
    this.stmts = {
      insertMetrics: db.prepare(INSERT_RUN_METRICS_SQL),
      metricsValues: db
        .prepare('SELECT metrics_json, stable, stability_json FROM run_metrics WHERE run_id = ?')
        .raw(true),
    };
  }

  /**
   * Checks and encodes a run's result, before any transaction: the metrics (encodeMetrics), the
   * stability verdict (encodeStability), the lengths of the requests, time series and iterations.
   *
   * @param what names the run in messages (`run 12`)
   * @returns what {@link insert} stores
   * @throws Error naming the field when a metric key is missing or unknown, a metric is NaN or
   *   infinite, the stability verdict is malformed, the arrays of one struct differ in length or
   *   are not the expected typed arrays, or iterations are present but not an IterationRecords
   *   object
   */
  check(result: RunResult, what: string): CheckedRunResult {
    const metricsJson = encodeMetrics(result.metrics, what);
    const stability = encodeStability(result.stability, what);
    const nRequests = this.requests.length(result.requests, what);
    const nSamples = this.timeSeries.length(result.timeSeries, what);
    const iterations = result.iterations;
    if (iterations !== undefined && (iterations === null || typeof iterations !== 'object')) {
      throw new Error(`${what}: iterations must be an IterationRecords object or absent`);
    }
    const nIterations = iterations === undefined ? 0 : this.iterations.length(iterations, what);
    return {
      result,
      what,
      metricsJson,
      stable: stability.stable,
      stabilityJson: stability.json,
      nRequests,
      nSamples,
      nIterations,
    };
  }

  /**
   * Stores a checked result for a run that has none (inside the caller's transaction).
   *
   * @throws SqliteError when the run has a `run_metrics` row already (or does not exist)
   * @throws Error naming the run (`results rejected by the database: ...`) when a row violates a
   *   CHECK of the schema (tokens < 1, a NaN arrival, sample or iteration time, a negative
   *   iteration duration, negative counts)
   */
  insert(runId: number, checked: CheckedRunResult): void {
    const { result } = checked;
    this.stmts.insertMetrics.run(runId, checked.metricsJson, checked.stable, checked.stabilityJson);
    try {
      this.requests.insert(runId, result.requests, checked.nRequests);
      this.timeSeries.insert(runId, result.timeSeries, checked.nSamples);
      if (result.iterations !== undefined)
        this.iterations.insert(runId, result.iterations, checked.nIterations);
    } catch (err) {
      throw new Error(`${checked.what}: results rejected by the database: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /**
   * Copies the stored results of run `from` of another database to run `to` of this one (which
   * has none), as stored: the `run_metrics` row when there is one, and every row of the three
   * struct-of-arrays tables (inside the caller's transactions of both databases).
   *
   * @param source the other database's tables (only read)
   * @throws SqliteError when `to` has results already or a row violates the schema
   */
  copyFrom(source: RunResultsTables, from: number, to: number): void {
    const metrics = source.stmts.metricsValues.get(from) as unknown[] | undefined;
    if (metrics !== undefined) this.stmts.insertMetrics.run(to, ...metrics);
    const requests = source.requests.read(from);
    this.requests.insert(to, requests, requests.arrival.length);
    const timeSeries = source.timeSeries.read(from);
    this.timeSeries.insert(to, timeSeries, timeSeries.t.length);
    const iterations = source.iterations.read(from);
    this.iterations.insert(to, iterations, iterations.startS.length);
  }
}
