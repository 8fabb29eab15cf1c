import type Database from 'better-sqlite3';
import { hostname } from 'node:os';
import type { IterationRecords, RequestRecords, RunResult, TimeSeries } from '../engine/run-result.js';
import { InputError } from '../errors.js';
import { checkCalibration } from './calibration-check.js';
import type { CalibrationRow, NewCalibration } from './calibration-row.js';
import type { ColumnarTable } from './columnar-table.js';
import type { DatabaseIdentity } from './database-identity.js';
import { DatasetsTable } from './datasets-table.js';
import { iterationRecordsTable } from './iteration-records-table.js';
import { decodeMetrics, encodeMetrics } from './metrics-json.js';
import { decodeStability, encodeStability } from './stability-json.js';
import { openDatabase } from './open-database.js';
import type { OpenDatabaseOptions } from './open-database.js';
import { requestRecordsTable } from './request-records-table.js';
import { RUN_STATUSES } from './run-row.js';
import type { NewRun, RunCounts, RunFilter, RunRow, RunStatus } from './run-row.js';
import { StoreStateError } from './store-state-error.js';
import type { NewSweep, SweepRow } from './sweep-row.js';
import { timeSeriesTable } from './time-series-table.js';
import { checkWorkerMachine } from './worker-machine-check.js';
import type {
  HostKeyPolicy,
  NewWorkerMachine,
  WorkerMachine,
  WorkerMachineKind,
} from './worker-machine-row.js';

/** A `sweeps` row as SQLite returns it, with the host it ran on (see SWEEP_SELECT). */
interface SweepDbRow {
  id: number;
  name: string;
  spec_yaml: string;
  spec_json: string;
  spec_hash: string;
  spec_path: string | null;
  machine_json: string;
  created_at: string;
  finished_at: string | null;
  origin_db: string | null;
  origin_sweep_id: number | null;
  origin_host: string | null;
  /** origin_host, or this database's host when NULL (sweeps stored before schema 4). */
  sweep_host: string | null;
}

/** A `runs` row joined with its `run_metrics` (metrics and stability), as SQLite returns it. */
interface RunDbRow {
  id: number;
  sweep_id: number;
  run_key: string;
  workload: string;
  workload_json: string;
  policy: string;
  params_json: string;
  seed: number;
  rate: number | null;
  machine: string;
  status: RunStatus;
  error: string | null;
  warnings_json: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** The host its sweep ran on (SweepDbRow.sweep_host). */
  sweep_host: string | null;
  metrics_json: string | null;
  /** 1, 0 or NULL (no verdict, not done, or stored before migration 0002). */
  stable: number | null;
  stability_json: string | null;
}

/** A `database_identity` row as SQLite returns it. */
interface IdentityDbRow {
  id: string;
  host: string | null;
  created_at: string;
}

/** A `worker_machines` row as SQLite returns it. */
interface WorkerMachineDbRow {
  name: string;
  kind: WorkerMachineKind;
  python: string | null;
  host: string | null;
  user: string | null;
  port: number | null;
  identity_file: string | null;
  known_hosts_file: string | null;
  strict_host_key_checking: HostKeyPolicy;
  created_at: string;
}

/** A `calibrations` row as SQLite returns it. */
interface CalibrationDbRow {
  id: number;
  machine: string;
  model: string;
  dtype: string;
  device: string;
  gpu_name: string | null;
  gpu_memory_bytes: number | null;
  torch: string;
  python: string;
  kv_blocks: number;
  block_size: number;
  fit_json: string;
  created_at: string;
}

/** The host a sweep `s` ran on: its origin_host, or this database's host (sweeps stored before schema 4). */
const SWEEP_HOST = 'coalesce(s.origin_host, (SELECT host FROM database_identity)) AS sweep_host';

const SWEEP_SELECT = `SELECT s.*, ${SWEEP_HOST} FROM sweeps s`;

const RUN_SELECT =
  `SELECT r.*, ${SWEEP_HOST}, m.metrics_json, m.stable, m.stability_json FROM runs r ` +
  'JOIN sweeps s ON s.id = r.sweep_id LEFT JOIN run_metrics m ON m.run_id = r.id';

const RUN_INSERT_COLUMNS =
  'INSERT INTO runs (sweep_id, run_key, workload, workload_json, policy, params_json, seed, rate, machine, ' +
  "status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?)";

/** The current time as ISO 8601 UTC, the format of every stored timestamp. */
function now(): string {
  return new Date().toISOString();
}

/** Options of {@link Store.open}: those of openDatabase, and this machine's host name. */
export interface StoreOptions extends OpenDatabaseOptions {
  /**
   * Host name of this machine: recorded as the database's host (DatabaseIdentity.host) when it
   * has none yet, and as the host of every sweep created through this Store (SweepRow.originHost).
   * os.hostname() by default; tests pass their own to tell two databases' machines apart.
   */
  host?: string;
}

/**
 * The results database of sweeps and runs: the runner's single point of access to SQLite.
 *
 * Run life cycle: createSweep / addMissingRuns store runs `queued`; a (re-)run of a sweep calls
 * requeueInterruptedRuns (runs a killed process left `running`), then pendingRuns, and for each
 * run markRunning, then completeRun or failRun; finally finishSweep. Failed runs are retried:
 * pendingRuns returns them and markRunning accepts them, so running a sweep again re-executes
 * exactly the runs that are not done. A run's results are stored once, atomically, together with
 * its `done` status: nothing half-written is ever marked done, and a done run never changes.
 *
 * The database also holds the GPU worker machines runs can execute on (addWorkerMachine, ...)
 * and the calibrations measured on them (addCalibration, latestCalibration, ...); a run executed
 * on a worker stores its measured iterations with its results (completeRun, getIterations).
 *
 * Every write is one IMMEDIATE transaction (it takes the write lock up front, waiting up to the
 * busy timeout for another process). Not safe to share across worker threads; open one Store
 * per thread or process.
 */
export class Store {
  private readonly requests: ColumnarTable<RequestRecords>;
  private readonly timeSeries: ColumnarTable<TimeSeries>;
  private readonly iterations: ColumnarTable<IterationRecords>;
  private readonly stmts;
  /** Traces the user imported (migrations/0005_datasets.sql). */
  readonly datasets: DatasetsTable;

  private constructor(
    private readonly db: Database.Database,
    /** The database file (absolute path) or `:memory:`. */
    readonly file: string,
    /** This machine's host name (StoreOptions.host); null when it is empty. */
    readonly host: string | null,
  ) {
    this.requests = requestRecordsTable(db);
    this.timeSeries = timeSeriesTable(db);
    this.iterations = iterationRecordsTable(db);
    this.datasets = new DatasetsTable(db);
    this.stmts = {
      sweepById: db.prepare(`${SWEEP_SELECT} WHERE s.id = ?`),
      sweepByHash: db.prepare(`${SWEEP_SELECT} WHERE s.spec_hash = ? AND s.origin_db IS NULL`),
      latestSweep: db.prepare(`${SWEEP_SELECT} ORDER BY s.id DESC LIMIT 1`),
      allSweeps: db.prepare(`${SWEEP_SELECT} ORDER BY s.id DESC`),
      insertSweep: db.prepare(
        'INSERT INTO sweeps (name, spec_yaml, spec_json, spec_hash, spec_path, machine_json, created_at, ' +
          'origin_host) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      deleteSweep: db.prepare('DELETE FROM sweeps WHERE id = ?'),
      finishSweep: db.prepare(
        'UPDATE sweeps SET finished_at = ? WHERE id = ? AND NOT EXISTS ' +
          "(SELECT 1 FROM runs WHERE sweep_id = sweeps.id AND status IN ('queued', 'running'))",
      ),
      reopenSweep: db.prepare('UPDATE sweeps SET finished_at = NULL WHERE id = ?'),
      insertRun: db.prepare(RUN_INSERT_COLUMNS),
      insertRunIfMissing: db.prepare(`${RUN_INSERT_COLUMNS} ON CONFLICT (sweep_id, run_key) DO NOTHING`),
      runStatus: db.prepare('SELECT status FROM runs WHERE id = ?').pluck(),
      runById: db.prepare(`${RUN_SELECT} WHERE r.id = ?`),
      pendingRuns: db.prepare(
        `${RUN_SELECT} WHERE r.sweep_id = ? AND r.status IN ('queued', 'failed') ORDER BY r.id`,
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
      insertMetrics: db.prepare(
        'INSERT INTO run_metrics (run_id, metrics_json, stable, stability_json) VALUES (?, ?, ?, ?)',
      ),
      runCounts: db.prepare('SELECT status, count(*) AS n FROM runs WHERE sweep_id = ? GROUP BY status'),
      machineByName: db.prepare('SELECT * FROM worker_machines WHERE name = ?'),
      allMachines: db.prepare('SELECT * FROM worker_machines ORDER BY name'),
      insertMachine: db.prepare(
        'INSERT INTO worker_machines (name, kind, python, host, user, port, identity_file, known_hosts_file, ' +
          'strict_host_key_checking, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      deleteMachine: db.prepare('DELETE FROM worker_machines WHERE name = ?'),
      insertCalibration: db.prepare(
        'INSERT INTO calibrations (machine, model, dtype, device, gpu_name, gpu_memory_bytes, torch, python, ' +
          'kv_blocks, block_size, fit_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      calibrationById: db.prepare('SELECT * FROM calibrations WHERE id = ?'),
      latestCalibration: db.prepare(
        'SELECT * FROM calibrations WHERE machine = ? AND model = ? ORDER BY created_at DESC, id DESC LIMIT 1',
      ),
      latestCalibrationOfDtype: db.prepare(
        'SELECT * FROM calibrations WHERE machine = ? AND model = ? AND dtype = ? ' +
          'ORDER BY created_at DESC, id DESC LIMIT 1',
      ),
      allCalibrations: db.prepare('SELECT * FROM calibrations ORDER BY created_at DESC, id DESC'),
      machineCalibrations: db.prepare(
        'SELECT * FROM calibrations WHERE machine = ? ORDER BY created_at DESC, id DESC',
      ),
      identity: db.prepare('SELECT id, host, created_at FROM database_identity'),
    };
    if (host !== null && (this.stmts.identity.get() as IdentityDbRow).host === null) {
      db.prepare('UPDATE database_identity SET host = ? WHERE host IS NULL').run(host);
    }
  }

  /**
   * Opens the database file, creating it and its parent folders if needed, and migrates it to
   * the current schema (see openDatabase for the connection settings). A database whose identity
   * has no host yet (new, or just upgraded to schema 4) gets this machine's (`opts.host`).
   *
   * @param file path of the database file, or `:memory:`
   * @param opts `migrationsDir` to migrate with another folder (tests), `onMigrated` to learn
   *   what was applied, `host` for this machine's host name (see StoreOptions)
   * @throws InputError when the file is not a SQLite database
   * @throws MigrationError when the schema cannot be brought up to date
   */
  static open(file: string, opts: StoreOptions = {}): Store {
    const db = openDatabase(file, opts);
    try {
      const host = opts.host ?? hostname();
      return new Store(db, db.name, host.length > 0 ? host : null);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** Closes the connection (checkpointing the WAL); the Store is unusable afterwards. */
  close(): void {
    this.db.close();
  }

  /** This database's identity (id, host, creation time): the one row of `database_identity`. */
  databaseIdentity(): DatabaseIdentity {
    const row = this.stmts.identity.get() as IdentityDbRow;
    return { id: row.id, host: row.host, createdAt: row.created_at };
  }

  /**
   * Runs `fn` in one IMMEDIATE transaction of this store's connection (it takes the write lock up
   * front, waiting up to the busy timeout) and returns what `fn` returns; when `fn` throws,
   * everything it wrote is rolled back and the error is rethrown.
   *
   * Internal to runner/store: for store modules that write several tables with their own SQL
   * (importDatabase); everything else uses the Store's methods. `fn` must keep the Store's
   * invariants (a run is `done` exactly when its results are stored, ...), must not keep the
   * connection after it returns, and must not start or end transactions itself (the Store's own
   * methods may be called: their transactions nest as savepoints).
   */
  writeTransaction<T>(fn: (db: Database.Database) => T): T {
    return this.db.transaction((): T => fn(this.db)).immediate();
  }

  // ---- sweeps -----------------------------------------------------------------------------

  /**
   * This database's own sweep whose spec hash is `hash`, if one is stored: the sweep running the
   * same spec resumes. Imported sweeps (SweepRow.originDb set) are never found, even with the same
   * spec hash: they ran elsewhere.
   */
  findSweepByHash(hash: string): SweepRow | undefined {
    return sweepFromDb(this.stmts.sweepByHash.get(hash) as SweepDbRow | undefined);
  }

  /**
   * Stores a new sweep of this database and all of its runs (status `queued`) in one transaction:
   * either all of it is stored or nothing. Its originHost is this Store's host.
   *
   * @returns the new sweep's id
   * @throws Error naming the run key when two runs share a run key or a run is invalid (seed
   *   not a safe integer, rate not null or a finite number > 0, params not a JSON object, ...),
   *   or naming the hash when a sweep of this database with the same spec hash exists (imported
   *   sweeps do not count); nothing is stored then
   */
  createSweep(input: NewSweep): number {
    const create = this.db.transaction((): number => {
      const created = now();
      let id: number;
      try {
        id = Number(
          this.stmts.insertSweep.run(
            input.name,
            input.specYaml,
            input.specJson,
            input.specHash,
            input.specPath,
            input.machineJson,
            created,
            this.host,
          ).lastInsertRowid,
        );
      } catch (err) {
        if (sqliteCode(err) === 'SQLITE_CONSTRAINT_UNIQUE') {
          const existing = this.findSweepByHash(input.specHash);
          throw new Error(
            `sweep "${input.name}": a sweep with spec hash ${input.specHash} already exists (sweep ${existing?.id})`,
            { cause: err },
          );
        }
        throw new Error(`sweep "${input.name}": ${(err as Error).message}`, { cause: err });
      }
      for (const run of input.runs) {
        this.insertRun(this.stmts.insertRun, id, run, created, `sweep "${input.name}"`);
      }
      return id;
    });
    return create.immediate();
  }

  /**
   * Adds the runs whose run key the sweep does not have yet (status `queued`), in one
   * transaction; runs whose key exists are left untouched, whatever their status. Calling it
   * again with the same runs adds nothing. When runs are added the sweep's finished_at is
   * cleared (it has work again).
   *
   * @returns how many runs were added
   * @throws StoreStateError when the sweep does not exist
   * @throws Error naming the run key when a run is invalid; nothing is added then
   */
  addMissingRuns(sweepId: number, runs: readonly NewRun[]): number {
    const add = this.db.transaction((): number => {
      this.requireSweep(sweepId);
      const created = now();
      let added = 0;
      for (const run of runs) {
        added += this.insertRun(this.stmts.insertRunIfMissing, sweepId, run, created, `sweep ${sweepId}`);
      }
      if (added > 0) this.stmts.reopenSweep.run(sweepId);
      return added;
    });
    return add.immediate();
  }

  /**
   * Sets finished_at of a sweep to now if none of its runs is `queued` or `running`. Failed runs
   * do not keep a sweep open: the pass over it ended (with failures, see runCounts); running the
   * sweep again retries them and calls finishSweep again, which moves finished_at.
   *
   * @returns true when finished_at was set, false when runs are still queued or running
   * @throws StoreStateError when the sweep does not exist
   */
  finishSweep(sweepId: number): boolean {
    const finish = this.db.transaction((): boolean => {
      this.requireSweep(sweepId);
      return this.stmts.finishSweep.run(now(), sweepId).changes > 0;
    });
    return finish.immediate();
  }

  /**
   * Deletes a sweep with all of its runs and their results (foreign keys cascade).
   *
   * @returns false when no such sweep existed
   */
  deleteSweep(sweepId: number): boolean {
    return this.stmts.deleteSweep.run(sweepId).changes > 0;
  }

  /** The sweep with this id, if stored. */
  getSweep(id: number): SweepRow | undefined {
    return sweepFromDb(this.stmts.sweepById.get(id) as SweepDbRow | undefined);
  }

  /** The most recently created sweep (highest id), if any. */
  latestSweep(): SweepRow | undefined {
    return sweepFromDb(this.stmts.latestSweep.get() as SweepDbRow | undefined);
  }

  /** Every sweep, newest first. */
  listSweeps(): SweepRow[] {
    return (this.stmts.allSweeps.all() as SweepDbRow[]).map((row) => sweepFromDb(row) as SweepRow);
  }

  // ---- runs -------------------------------------------------------------------------------

  /**
   * Puts the sweep's `running` runs back to `queued`: when a sweep starts, a run still marked
   * running was left by a process that was killed, and its results were never stored (they are
   * stored atomically with `done`). Call it before pendingRuns. Not safe while another process
   * is executing the same sweep.
   *
   * @returns how many runs were requeued
   */
  requeueInterruptedRuns(sweepId: number): number {
    return this.db.transaction(() => this.stmts.requeue.run(sweepId).changes).immediate();
  }

  /**
   * The runs of a sweep that still have to be executed: `queued` and `failed` ones (failed runs
   * are retried when a sweep is run again), in id order, which is the order they were created.
   */
  pendingRuns(sweepId: number): RunRow[] {
    return (this.stmts.pendingRuns.all(sweepId) as RunDbRow[]).map(runFromDb);
  }

  /**
   * Claims a `queued` or `failed` run for execution: status `running`, started_at now; a
   * previous failure's error and finished_at are cleared.
   *
   * @throws StoreStateError when the run does not exist or is `running` or `done` (claimed by
   *   another process, or already executed)
   */
  markRunning(runId: number): void {
    const claim = this.db.transaction(() => {
      if (this.stmts.markRunning.run(now(), runId).changes === 0) {
        throw this.stateError(runId, 'cannot be started; only queued or failed runs can');
      }
    });
    claim.immediate();
  }

  /**
   * Stores a run's results and marks it `done`, all in one transaction: the metrics and the
   * stability verdict, one row per request (NaN times as NULL), one row per time-series sample,
   * one row per measured iteration when the run executed on a GPU worker (`result.iterations`),
   * its warnings, finished_at. If
   * anything fails nothing is stored and the run keeps its status (`running`, typically; the
   * caller then calls failRun). 10,000 requests store in a few milliseconds.
   *
   * @param runId a run in status `running` (or `queued`, for callers that skip markRunning)
   * @param result what the run produced
   * @throws StoreStateError when the run does not exist or is `done` or `failed` (results are
   *   stored exactly once)
   * @throws Error naming the field when the result is malformed: a metric key missing or
   *   unknown, a metric NaN or infinite, a malformed stability verdict (see encodeStability),
   *   arrays of one struct with different lengths, iterations that are not an IterationRecords
   *   object, a value violating the schema's checks (tokens < 1, a NaN arrival, sample or
   *   iteration time, a negative iteration duration, negative counts)
   */
  completeRun(runId: number, result: RunResult): void {
    const what = `run ${runId}`;
    const metricsJson = encodeMetrics(result.metrics, what);
    const stability = encodeStability(result.stability, what);
    const nRequests = this.requests.length(result.requests, what);
    const nSamples = this.timeSeries.length(result.timeSeries, what);
    const iterations = result.iterations;
    if (iterations !== undefined && (iterations === null || typeof iterations !== 'object')) {
      throw new Error(`${what}: iterations must be an IterationRecords object or absent`);
    }
    const nIterations = iterations === undefined ? 0 : this.iterations.length(iterations, what);
    if (!Array.isArray(result.warnings) || result.warnings.some((w) => typeof w !== 'string')) {
      throw new Error(`${what}: warnings must be an array of strings`);
    }
    const complete = this.db.transaction(() => {
      const status = this.stmts.runStatus.get(runId) as RunStatus | undefined;
      if (status !== 'running' && status !== 'queued') {
        throw this.stateError(runId, 'cannot be completed; only running or queued runs can', status);
      }
      this.stmts.insertMetrics.run(runId, metricsJson, stability.stable, stability.json);
      try {
        this.requests.insert(runId, result.requests, nRequests);
        this.timeSeries.insert(runId, result.timeSeries, nSamples);
        if (iterations !== undefined) this.iterations.insert(runId, iterations, nIterations);
      } catch (err) {
        throw new Error(`${what}: results rejected by the database: ${(err as Error).message}`, {
          cause: err,
        });
      }
      const finished = now();
      this.stmts.markDone.run(JSON.stringify(result.warnings), finished, finished, runId);
    });
    complete.immediate();
  }

  /**
   * Marks a `queued` or `running` run `failed` with an error message; finished_at is now.
   * Failed runs are retried when the sweep is run again (see pendingRuns).
   *
   * @param error what went wrong, shown to the user
   * @throws StoreStateError when the run does not exist or is `done` or already `failed`
   */
  failRun(runId: number, error: string): void {
    const fail = this.db.transaction(() => {
      if (this.stmts.markFailed.run(error, now(), runId).changes === 0) {
        throw this.stateError(runId, 'cannot be marked failed; only queued or running runs can');
      }
    });
    fail.immediate();
  }

  /** The run with this id, with its metrics and stability verdict when done, if stored. */
  getRun(runId: number): RunRow | undefined {
    const row = this.stmts.runById.get(runId) as RunDbRow | undefined;
    return row === undefined ? undefined : runFromDb(row);
  }

  /**
   * Runs matching a filter (see RunFilter: by sweep, by ids, by run key, any combination, or all), in id order, each
   * with its parsed params, warnings and, when done, metrics and stability verdict.
   */
  listRuns(filter: RunFilter = {}): RunRow[] {
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
    return (this.db.prepare(sql).all(...params) as RunDbRow[]).map(runFromDb);
  }

  /**
   * The per-request records of a done run, indexed like its request list; times that were NaN
   * when stored are NaN again.
   *
   * @throws StoreStateError when the run does not exist or is not `done`
   */
  getRequestRecords(runId: number): RequestRecords {
    return this.readResults(runId, () => this.requests.read(runId));
  }

  /**
   * The time series of a done run.
   *
   * @throws StoreStateError when the run does not exist or is not `done`
   */
  getTimeSeries(runId: number): TimeSeries {
    return this.readResults(runId, () => this.timeSeries.read(runId));
  }

  /**
   * The measured iterations of a done run that executed on a GPU worker, in execution order.
   *
   * @returns undefined when the run has no stored iterations: a simulated run, or one stored with
   *   zero iterations (both store no rows)
   * @throws StoreStateError when the run does not exist or is not `done`
   */
  getIterations(runId: number): IterationRecords | undefined {
    return this.readResults(runId, () => {
      const iterations = this.iterations.read(runId);
      return iterations.startS.length === 0 ? undefined : iterations;
    });
  }

  /** How many of the sweep's runs are in each status (all zero for an unknown sweep). */
  runCounts(sweepId: number): RunCounts {
    const counts = Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as RunCounts;
    for (const row of this.stmts.runCounts.all(sweepId) as { status: RunStatus; n: number }[]) {
      counts[row.status] = row.n;
    }
    return counts;
  }

  // ---- worker machines ---------------------------------------------------------------------

  /**
   * Stores a new worker machine, created now. It is validated first (checkWorkerMachine): omitted
   * settings are stored as null (the driver's default), an omitted strictHostKeyChecking as `yes`.
   *
   * @returns the machine as stored
   * @throws InputError naming the field (also in `location.field`) when the machine is invalid
   *   (see checkWorkerMachine), or naming the machine and the command that removes it when a
   *   machine of that name exists; nothing is stored then
   */
  addWorkerMachine(m: NewWorkerMachine): WorkerMachine {
    const machine = checkWorkerMachine(m);
    const add = this.db.transaction((): WorkerMachine => {
      const { name } = machine;
      if (this.stmts.machineByName.get(name) !== undefined) {
        throw new InputError(
          `machine "${name}" already exists; remove it first with \`schedbench machines remove ${name}\``,
          { field: 'name' },
        );
      }
      this.stmts.insertMachine.run(
        name,
        machine.kind,
        machine.python,
        machine.host,
        machine.user,
        machine.port,
        machine.identityFile,
        machine.knownHostsFile,
        machine.strictHostKeyChecking,
        now(),
      );
      return workerMachineFromDb(this.stmts.machineByName.get(name) as WorkerMachineDbRow);
    });
    return add.immediate();
  }

  /** The worker machine with this name (names are case-sensitive), if stored. */
  getWorkerMachine(name: string): WorkerMachine | undefined {
    const row = this.stmts.machineByName.get(name) as WorkerMachineDbRow | undefined;
    return row === undefined ? undefined : workerMachineFromDb(row);
  }

  /** Every worker machine, by name (byte order of the UTF-8 names: uppercase before lowercase). */
  listWorkerMachines(): WorkerMachine[] {
    return (this.stmts.allMachines.all() as WorkerMachineDbRow[]).map(workerMachineFromDb);
  }

  /**
   * Deletes a worker machine. Its calibrations and the runs that executed on it are kept (they
   * name the machine, they do not reference it).
   *
   * @returns false when no such machine existed
   */
  removeWorkerMachine(name: string): boolean {
    return this.db.transaction(() => this.stmts.deleteMachine.run(name).changes > 0).immediate();
  }

  // ---- calibrations -----------------------------------------------------------------------

  /**
   * Stores a calibration, created now. The machine need not be a stored worker machine (see
   * NewCalibration.machine).
   *
   * @returns the calibration as stored, with its id and createdAt
   * @throws Error naming the field when the calibration is invalid (see checkCalibration: an
   *   empty string field, a count that is not a positive integer, a fit that is not a JSON
   *   object); nothing is stored then
   */
  addCalibration(c: NewCalibration): CalibrationRow {
    const fitJson = checkCalibration(c);
    const add = this.db.transaction((): CalibrationRow => {
      const id = this.stmts.insertCalibration.run(
        c.machine,
        c.model,
        c.dtype,
        c.device,
        c.gpuName,
        c.gpuMemoryBytes,
        c.torch,
        c.python,
        c.kvBlocks,
        c.blockSize,
        fitJson,
        now(),
      ).lastInsertRowid;
      return calibrationFromDb(this.stmts.calibrationById.get(id) as CalibrationDbRow);
    });
    return add.immediate();
  }

  /**
   * The newest calibration of a model on a machine (latest createdAt, then highest id).
   *
   * @param machine worker machine name
   * @param model model name, as stored
   * @param dtype only calibrations of this dtype; any dtype when omitted
   * @returns undefined when there is none
   */
  latestCalibration(machine: string, model: string, dtype?: string): CalibrationRow | undefined {
    const row = (
      dtype === undefined
        ? this.stmts.latestCalibration.get(machine, model)
        : this.stmts.latestCalibrationOfDtype.get(machine, model, dtype)
    ) as CalibrationDbRow | undefined;
    return row === undefined ? undefined : calibrationFromDb(row);
  }

  /**
   * Stored calibrations, newest first (latest createdAt, then highest id).
   *
   * @param machine only the calibrations of this machine; all when omitted
   */
  listCalibrations(machine?: string): CalibrationRow[] {
    const rows = (
      machine === undefined ? this.stmts.allCalibrations.all() : this.stmts.machineCalibrations.all(machine)
    ) as CalibrationDbRow[];
    return rows.map(calibrationFromDb);
  }

  // ---- helpers ----------------------------------------------------------------------------

  /** Inserts one run with `stmt`; returns 1 if a row was inserted, 0 if its key existed. */
  private insertRun(
    stmt: Database.Statement,
    sweepId: number,
    run: NewRun,
    created: string,
    where: string,
  ): number {
    const what = `${where}, run "${run.runKey}"`;
    if (!Number.isSafeInteger(run.seed)) throw new Error(`${what}: seed ${run.seed} is not a safe integer`);
    if (run.rate !== null && !(Number.isFinite(run.rate) && run.rate > 0)) {
      throw new Error(`${what}: rate ${run.rate} must be null or a finite number > 0`);
    }
    try {
      return stmt.run(
        sweepId,
        run.runKey,
        run.workload,
        run.workloadJson,
        run.policy,
        run.paramsJson,
        run.seed,
        run.rate,
        run.machine,
        created,
      ).changes;
    } catch (err) {
      const message =
        sqliteCode(err) === 'SQLITE_CONSTRAINT_UNIQUE'
          ? `duplicate run key "${run.runKey}"`
          : (err as Error).message;
      throw new Error(`${what}: ${message}`, { cause: err });
    }
  }

  private requireSweep(sweepId: number): void {
    if (this.stmts.sweepById.get(sweepId) === undefined) {
      throw new StoreStateError(`sweep ${sweepId} does not exist`);
    }
  }

  private stateError(runId: number, problem: string, status?: RunStatus): StoreStateError {
    const current = status ?? (this.stmts.runStatus.get(runId) as RunStatus | undefined);
    return new StoreStateError(
      current === undefined ? `run ${runId} does not exist` : `run ${runId} is ${current} and ${problem}`,
    );
  }

  private readResults<T>(runId: number, read: () => T): T {
    return this.db.transaction((): T => {
      const status = this.stmts.runStatus.get(runId) as RunStatus | undefined;
      if (status !== 'done') {
        throw this.stateError(runId, 'has no stored results; only done runs have', status);
      }
      return read();
    })();
  }
}

/** The SQLite error code (`SQLITE_CONSTRAINT_UNIQUE`, ...) of a thrown error, if it has one. */
function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Maps a `sweeps` row to a SweepRow (undefined stays undefined). */
function sweepFromDb(row: SweepDbRow | undefined): SweepRow | undefined {
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

/** Maps a `worker_machines` row to a WorkerMachine. */
function workerMachineFromDb(row: WorkerMachineDbRow): WorkerMachine {
  return {
    name: row.name,
    kind: row.kind,
    python: row.python,
    host: row.host,
    user: row.user,
    port: row.port,
    identityFile: row.identity_file,
    knownHostsFile: row.known_hosts_file,
    strictHostKeyChecking: row.strict_host_key_checking,
    createdAt: row.created_at,
  };
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

/** Maps a `runs` row (with its metrics and stability) to a RunRow, parsing the JSON columns. */
function runFromDb(row: RunDbRow): RunRow {
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
