import type Database from 'better-sqlite3';
import { insertSql } from './insert-sql.js';
import { decodeMetrics } from './metrics-json.js';
import { RUN_STATUSES } from './run-row.js';
import type { NewRun, RunCounts, RunFilter, RunRow, RunStatus } from './run-row.js';
import { sqliteErrorCode } from './sqlite-error-code.js';
import { decodeStability } from './stability-json.js';
import type { NewSweep, SweepRow } from './sweep-row.js';

/**
 * The columns of `sweeps` (migrations/0001_initial.sql, 0004_database_origin.sql) other than the
 * id, in the order of {@link INSERT_SWEEP_SQL}'s parameters.
 */
export const SWEEP_COLUMNS = [
  'name',
  'spec_yaml',
  'spec_json',
  'spec_hash',
  'spec_path',
  'machine_json',
  'created_at',
  'finished_at',
  'origin_db',
  'origin_sweep_id',
  'origin_host',
] as const;

/** A column of `sweeps` other than the id. */
export type SweepColumn = (typeof SWEEP_COLUMNS)[number];

/** A `sweeps` row as SQLite returns it (`SELECT *`); timestamps are ISO 8601 UTC text. */
export interface SweepDbRow {
  id: number;
  name: string;
  spec_yaml: string;
  spec_json: string;
  spec_hash: string;
  spec_path: string | null;
  machine_json: string;
  created_at: string;
  finished_at: string | null;
  /** Identity id of the database an imported sweep was created in; null for this database's own. */
  origin_db: string | null;
  /** The imported sweep's id there; null exactly when origin_db is. */
  origin_sweep_id: number | null;
  /** Host the sweep was created on; null for sweeps stored before schema 4. */
  origin_host: string | null;
}

/** The values of a new `sweeps` row, by column ({@link INSERT_SWEEP_SQL}). */
export type SweepValues = Pick<SweepDbRow, SweepColumn>;

/** Inserts a `sweeps` row: parameters are the {@link SWEEP_COLUMNS} values, in that order. */
export const INSERT_SWEEP_SQL = insertSql('sweeps', SWEEP_COLUMNS);

/**
 * The columns of `runs` (migrations/0001_initial.sql) other than the id, in the order of
 * {@link INSERT_RUN_SQL}'s parameters.
 */
export const RUN_COLUMNS = [
  'sweep_id',
  'run_key',
  'workload',
  'workload_json',
  'policy',
  'params_json',
  'seed',
  'rate',
  'machine',
  'status',
  'error',
  'warnings_json',
  'created_at',
  'started_at',
  'finished_at',
] as const;

/** A column of `runs` other than the id. */
export type RunColumn = (typeof RUN_COLUMNS)[number];

/** A `runs` row as SQLite returns it (`SELECT *`); timestamps are ISO 8601 UTC text. */
export interface RunDbRow {
  id: number;
  sweep_id: number;
  run_key: string;
  workload: string;
  workload_json: string;
  policy: string;
  params_json: string;
  seed: number;
  /** Requests per second, or null. */
  rate: number | null;
  machine: string;
  status: RunStatus;
  error: string | null;
  warnings_json: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

/** The values of a new `runs` row, by column ({@link INSERT_RUN_SQL}). */
export type RunValues = Pick<RunDbRow, RunColumn>;

/** Inserts a `runs` row: parameters are the {@link RUN_COLUMNS} values, in that order. */
export const INSERT_RUN_SQL = insertSql('runs', RUN_COLUMNS);

/** A `sweeps` row with the host it ran on (see SWEEP_SELECT). */
interface HostedSweepDbRow extends SweepDbRow {
  /** origin_host, or this database's host when NULL (sweeps stored before schema 4). */
  sweep_host: string | null;
}

/** A `runs` row with its sweep's host and its `run_metrics` (metrics and stability) (see RUN_SELECT). */
interface JoinedRunDbRow extends RunDbRow {
  /** The host its sweep ran on (HostedSweepDbRow.sweep_host). */
  sweep_host: string | null;
  metrics_json: string | null;
  /** 1, 0 or NULL (no verdict, not done, or stored before migration 0002). */
  stable: number | null;
  stability_json: string | null;
}

/** The host a sweep `s` ran on: its origin_host, or this database's host (sweeps stored before schema 4). */
const SWEEP_HOST = 'coalesce(s.origin_host, (SELECT host FROM database_identity)) AS sweep_host';

const SWEEP_SELECT = `SELECT s.*, ${SWEEP_HOST} FROM sweeps s`;

const RUN_SELECT =
  `SELECT r.*, ${SWEEP_HOST}, m.metrics_json, m.stable, m.stability_json FROM runs r ` +
  'JOIN sweeps s ON s.id = r.sweep_id LEFT JOIN run_metrics m ON m.run_id = r.id';

/**
 * The `sweeps` and `runs` tables (migrations/0001_initial.sql, 0004_database_origin.sql): sweeps,
 * their runs and the runs' life cycle (see Store). Statements are prepared once; no method starts
 * a transaction: the Store calls them inside its own.
 */
export class SweepsAndRunsTables {
  private readonly stmts;

  /** @param db open connection migrated to the current schema */
  constructor(private readonly db: Database.Database) {
    this.stmts = {
      sweepById: db.prepare(`${SWEEP_SELECT} WHERE s.id = ?`),
      sweepByHash: db.prepare(`${SWEEP_SELECT} WHERE s.spec_hash = ? AND s.origin_db IS NULL`),
      latestSweep: db.prepare(`${SWEEP_SELECT} ORDER BY s.id DESC LIMIT 1`),
      allSweeps: db.prepare(`${SWEEP_SELECT} ORDER BY s.id DESC`),
      insertSweep: db.prepare(INSERT_SWEEP_SQL),
      deleteSweep: db.prepare('DELETE FROM sweeps WHERE id = ?'),
      renameSweep: db.prepare('UPDATE sweeps SET name = ? WHERE id = ?'),
      finishSweep: db.prepare(
        'UPDATE sweeps SET finished_at = ? WHERE id = ? AND NOT EXISTS ' +
          "(SELECT 1 FROM runs WHERE sweep_id = sweeps.id AND status IN ('queued', 'running'))",
      ),
      reopenSweep: db.prepare('UPDATE sweeps SET finished_at = NULL WHERE id = ?'),
      insertRun: db.prepare(INSERT_RUN_SQL),
      insertRunIfMissing: db.prepare(`${INSERT_RUN_SQL} ON CONFLICT (sweep_id, run_key) DO NOTHING`),
      runStatus: db.prepare('SELECT status FROM runs WHERE id = ?').pluck(),
      runById: db.prepare(`${RUN_SELECT} WHERE r.id = ?`),
      pendingRuns: db.prepare(
        `${RUN_SELECT} WHERE r.sweep_id = ? AND r.status IN ('queued', 'failed') ORDER BY r.id`,
      ),
      requeueOne: db.prepare(
        "UPDATE runs SET status = 'queued', started_at = NULL WHERE sweep_id = ? AND id = ? AND status = 'running'",
      ),
      requeue: db.prepare(
        "UPDATE runs SET status = 'queued', started_at = NULL WHERE sweep_id = ? AND status = 'running'",
      ),
      markRunning: db.prepare(
        "UPDATE runs SET status = 'running', started_at = ?, finished_at = NULL, error = NULL, warnings_json = NULL " +
          "WHERE id = ? AND status IN ('queued', 'failed')",
      ),
      markDone: db.prepare(
        "UPDATE runs SET status = 'done', error = NULL, warnings_json = ?, started_at = coalesce(started_at, ?), " +
          'finished_at = ? WHERE id = ?',
      ),
      markFailed: db.prepare(
        "UPDATE runs SET status = 'failed', error = ?, finished_at = ? WHERE id = ? AND status IN ('queued', 'running')",
      ),
      runCounts: db.prepare('SELECT status, count(*) AS n FROM runs WHERE sweep_id = ? GROUP BY status'),
    };
  }

  // ---- sweeps -----------------------------------------------------------------------------

  /** The sweep with this id, if stored. */
  sweepById(id: number): SweepRow | undefined {
    return sweepFromDb(this.stmts.sweepById.get(id) as HostedSweepDbRow | undefined);
  }

  /** This database's own sweep (origin_db NULL) whose spec hash is `hash`, if stored. */
  sweepByHash(hash: string): SweepRow | undefined {
    return sweepFromDb(this.stmts.sweepByHash.get(hash) as HostedSweepDbRow | undefined);
  }

  /** The sweep with the highest id, if any. */
  latestSweep(): SweepRow | undefined {
    return sweepFromDb(this.stmts.latestSweep.get() as HostedSweepDbRow | undefined);
  }

  /** Every sweep, highest id first. */
  listSweeps(): SweepRow[] {
    return (this.stmts.allSweeps.all() as HostedSweepDbRow[]).map((row) => sweepFromDb(row) as SweepRow);
  }

  /**
   * Inserts a sweep of this database (no origin database; not finished) and its runs, `queued`.
   * Call inside a transaction: on an error, what was inserted must be rolled back.
   *
   * @param input the sweep and its runs
   * @param created its creation time and its runs', ISO 8601 UTC
   * @param host the host it is created on (SweepRow.originHost), or null
   * @returns the new sweep's id
   * @throws Error naming the hash when a sweep of this database has the same spec hash, naming
   *   the sweep when the database rejects it, or naming the run key when a run is invalid (see
   *   {@link insertRun})
   */
  insertSweep(input: NewSweep, created: string, host: string | null): number {
    const values: SweepValues = {
      name: input.name,
      spec_yaml: input.specYaml,
      spec_json: input.specJson,
      spec_hash: input.specHash,
      spec_path: input.specPath,
      machine_json: input.machineJson,
      created_at: created,
      finished_at: null,
      origin_db: null,
      origin_sweep_id: null,
      origin_host: host,
    };
    let id: number;
    try {
      id = Number(this.stmts.insertSweep.run(SWEEP_COLUMNS.map((c) => values[c])).lastInsertRowid);
    } catch (err) {
      if (sqliteErrorCode(err) === 'SQLITE_CONSTRAINT_UNIQUE') {
        const existing = this.sweepByHash(input.specHash);
        throw new Error(
          `sweep "${input.name}": a sweep with spec hash ${input.specHash} already exists (sweep ${existing?.id})`,
          { cause: err },
        );
      }
      // A fault of the database (read-only, full, I/O) is passed on as SQLite gave it.
      if (!isDataError(err)) throw err;
      throw new Error(`sweep "${input.name}": ${(err as Error).message}`, { cause: err });
    }
    for (const run of input.runs) this.insertRun(id, run, created, `sweep "${input.name}"`, false);
    return id;
  }

  /**
   * Deletes a sweep; its runs and their results go with it (foreign keys cascade).
   *
   * @returns false when no such sweep existed
   */
  deleteSweep(sweepId: number): boolean {
    return this.stmts.deleteSweep.run(sweepId).changes > 0;
  }

  /**
   * Sets a sweep's name (nothing else changes: not its spec text, spec hash or runs).
   *
   * @param name a name the caller has checked (non-empty)
   * @returns false when no such sweep existed
   */
  renameSweep(sweepId: number, name: string): boolean {
    return this.stmts.renameSweep.run(name, sweepId).changes > 0;
  }

  /**
   * Sets a sweep's finished_at when none of its runs is `queued` or `running`.
   *
   * @param finishedAt ISO 8601 UTC
   * @returns true when finished_at was set
   */
  finishSweep(sweepId: number, finishedAt: string): boolean {
    return this.stmts.finishSweep.run(finishedAt, sweepId).changes > 0;
  }

  /** Clears a sweep's finished_at (it has work again). */
  reopenSweep(sweepId: number): void {
    this.stmts.reopenSweep.run(sweepId);
  }

  // ---- runs -------------------------------------------------------------------------------

  /**
   * Inserts one run of a sweep, `queued`.
   *
   * @param sweepId the sweep it belongs to
   * @param run the run
   * @param created its creation time, ISO 8601 UTC
   * @param where names the sweep in messages (`sweep "name"`, `sweep 12`)
   * @param ifMissing true: a run whose run key the sweep has already is skipped; false: it is an error
   * @returns 1 if a row was inserted, 0 if its key existed (only with `ifMissing`)
   * @throws Error naming the run key when the seed is not a safe integer, the rate is not null or
   *   a finite number > 0, the key exists (without `ifMissing`), or the database rejects the run
   *   (params not a JSON object, ...)
   */
  insertRun(sweepId: number, run: NewRun, created: string, where: string, ifMissing: boolean): number {
    const what = `${where}, run "${run.runKey}"`;
    if (!Number.isSafeInteger(run.seed)) throw new Error(`${what}: seed ${run.seed} is not a safe integer`);
    if (run.rate !== null && !(Number.isFinite(run.rate) && run.rate > 0)) {
      throw new Error(`${what}: rate ${run.rate} must be null or a finite number > 0`);
    }
    const values: RunValues = {
      sweep_id: sweepId,
      run_key: run.runKey,
      workload: run.workload,
      workload_json: run.workloadJson,
      policy: run.policy,
      params_json: run.paramsJson,
      seed: run.seed,
      rate: run.rate,
      machine: run.machine,
      status: 'queued',
      error: null,
      warnings_json: null,
      created_at: created,
      started_at: null,
      finished_at: null,
    };
    const stmt = ifMissing ? this.stmts.insertRunIfMissing : this.stmts.insertRun;
    try {
      return stmt.run(RUN_COLUMNS.map((c) => values[c])).changes;
    } catch (err) {
      if (!isDataError(err)) throw err;
      const message =
        sqliteErrorCode(err) === 'SQLITE_CONSTRAINT_UNIQUE'
          ? `duplicate run key "${run.runKey}"`
          : (err as Error).message;
      throw new Error(`${what}: ${message}`, { cause: err });
    }
  }

  /** The status of the run with this id, or undefined when there is none. */
  runStatus(runId: number): RunStatus | undefined {
    return this.stmts.runStatus.get(runId) as RunStatus | undefined;
  }

  /** The run with this id, with its metrics and stability verdict when done, if stored. */
  runById(runId: number): RunRow | undefined {
    const row = this.stmts.runById.get(runId) as JoinedRunDbRow | undefined;
    return row === undefined ? undefined : runFromDb(row);
  }

  /** The sweep's `queued` and `failed` runs, in id order. */
  pendingRuns(sweepId: number): RunRow[] {
    return (this.stmts.pendingRuns.all(sweepId) as JoinedRunDbRow[]).map(runFromDb);
  }

  /**
   * Runs matching a filter (see RunFilter; the conditions combine with AND), in id order. The
   * statement is prepared per call (its WHERE clause depends on the filter).
   */
  listRuns(filter: RunFilter): RunRow[] {
    const where: string[] = [];
    const params: (number | string)[] = [];
    if (filter.sweepId !== undefined) {
      where.push('r.sweep_id = ?');
      params.push(filter.sweepId);
    }
    if (filter.runKey !== undefined) {
      where.push('r.run_key = ?');
      params.push(filter.runKey);
    }
    if (filter.runIds !== undefined) {
      if (filter.runIds.length === 0) return [];
      where.push('r.id IN (SELECT value FROM json_each(?))');
      params.push(JSON.stringify(filter.runIds));
    }
    const sql = `${RUN_SELECT}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY r.id`;
    return (this.db.prepare(sql).all(...params) as JoinedRunDbRow[]).map(runFromDb);
  }

  /**
   * Puts the sweep's `running` runs back to `queued`, clearing started_at.
   *
   * @returns how many runs were requeued
   */
  requeueRunning(sweepId: number): number {
    return this.stmts.requeue.run(sweepId).changes;
  }

  /** Puts one `running` run of the sweep back to `queued`; @returns 1 when it was running, else 0 */
  requeueRun(sweepId: number, runId: number): number {
    return this.stmts.requeueOne.run(sweepId, runId).changes;
  }

  /**
   * Marks a `queued` or `failed` run `running`, clearing a previous failure's error, warnings and
   * finished_at.
   *
   * @param startedAt ISO 8601 UTC
   * @returns false when the run does not exist or is `running` or `done` (nothing changed)
   */
  markRunning(runId: number, startedAt: string): boolean {
    return this.stmts.markRunning.run(startedAt, runId).changes > 0;
  }

  /**
   * Marks a run `done` (whatever its status: the caller checks it), with its warnings; started_at
   * becomes `finishedAt` when it had none.
   *
   * @param warningsJson RunResult.warnings as a JSON array
   * @param finishedAt ISO 8601 UTC
   */
  markDone(runId: number, warningsJson: string, finishedAt: string): void {
    this.stmts.markDone.run(warningsJson, finishedAt, finishedAt, runId);
  }

  /**
   * Marks a `queued` or `running` run `failed` with an error message.
   *
   * @param finishedAt ISO 8601 UTC
   * @returns false when the run does not exist or is `done` or `failed` (nothing changed)
   */
  markFailed(runId: number, error: string, finishedAt: string): boolean {
    return this.stmts.markFailed.run(error, finishedAt, runId).changes > 0;
  }

  /** How many of the sweep's runs are in each status (all zero for an unknown sweep). */
  runCounts(sweepId: number): RunCounts {
    const counts = Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as RunCounts;
    for (const row of this.stmts.runCounts.all(sweepId) as { status: RunStatus; n: number }[]) {
      counts[row.status] = row.n;
    }
    return counts;
  }
}

/** Maps a `sweeps` row to a SweepRow (undefined stays undefined). */
function sweepFromDb(row: HostedSweepDbRow | undefined): SweepRow | undefined {
  if (row === undefined) return undefined;
  return {
    id: row.id,
    name: row.name,
    specYaml: row.spec_yaml,
    specJson: row.spec_json,
    specHash: row.spec_hash,
    specPath: row.spec_path,
    machineJson: row.machine_json,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
    originDb: row.origin_db,
    originSweepId: row.origin_sweep_id,
    originHost: row.sweep_host,
  };
}

/** Maps a `runs` row (with its metrics and stability) to a RunRow, parsing the JSON columns. */
function runFromDb(row: JoinedRunDbRow): RunRow {
  return {
    id: row.id,
    sweepId: row.sweep_id,
    runKey: row.run_key,
    workload: row.workload,
    workloadJson: row.workload_json,
    policy: row.policy,
    params: JSON.parse(row.params_json) as Record<string, unknown>,
    seed: row.seed,
    rate: row.rate,
    machine: row.machine,
    originHost: row.sweep_host,
    status: row.status,
    error: row.error,
    warnings: row.warnings_json === null ? [] : (JSON.parse(row.warnings_json) as string[]),
    metrics: row.metrics_json === null ? null : decodeMetrics(row.metrics_json),
    stable: row.stable === null ? null : row.stable === 1,
    stability: row.stability_json === null ? null : decodeStability(row.stability_json),
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

/**
 * Whether an insert failed because of the row (a constraint, a type, a size: reported with the
 * sweep or run key), not because of the database (read-only, full, I/O, corrupt: passed on
 * unchanged, so callers see SQLite's code and can treat it as a store fault).
 */
function isDataError(err: unknown): boolean {
  const code = sqliteErrorCode(err);
  return code === undefined || /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/.test(code);
}
