import type Database from 'better-sqlite3';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { IterationRecords, RequestRecords, TimeSeries } from '../engine/run-records.js';
import type { RunDigest } from '../metrics/run-digest.js';
import { InputError } from '../errors.js';
import { checkCalibration } from './calibration-check.js';
import type { CalibrationRow, NewCalibration } from './calibration-row.js';
import { CalibrationsTable } from './calibrations-table.js';
import { databaseIdentityFromDb, SELECT_DATABASE_IDENTITY_SQL } from './database-identity.js';
import type { DatabaseIdentity, DatabaseIdentityDbRow } from './database-identity.js';
import { DatasetsTable } from './datasets-table.js';
import type { StorableRunResult } from './encoded-run-result.js';
import { databaseFault, openDatabase } from './open-database.js';
import type { OpenDatabaseOptions } from './open-database.js';
import type { NewRun, RunCounts, RunFilter, RunRow, RunStatus } from './run-row.js';
import { RunResultsTables } from './run-results-tables.js';
import { StoreStateError } from './store-state-error.js';
import { checkSweepName } from './sweep-row.js';
import type { NewSweep, SweepRow } from './sweep-row.js';
import { SweepsAndRunsTables } from './sweeps-and-runs-tables.js';
import { SweepBusyError } from './sweep-busy-error.js';
import { leaseIsStale, type LeaseClaim, type LeaseJudge, type SweepLeaseRow } from './sweep-lease-row.js';
import { SweepLeasesTable } from './sweep-leases-table.js';
import { SlurmArraysTable, type NewSlurmArray, type SlurmArrayRow } from './slurm-arrays-table.js';
import { checkWorkerMachine } from './worker-machine-check.js';
import type { NewWorkerMachine, WorkerMachine } from './worker-machine-row.js';
import { WorkerMachinesTable } from './worker-machines-table.js';

/**
 * A done run's records or time series are missing (a damaged database, or a shard or import
 * source edited by hand): every done run has them stored, zero-length ones included.
 */
function noRecords(runId: number): never {
  throw new Error(`run ${runId}: done but its records are not stored (a damaged database)`);
}

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
 *
 * The Store is a facade: it owns the connection and the transactions, and leaves the SQL of each
 * table group to its module (sweeps-and-runs-tables.ts, run-results-tables.ts,
 * worker-machines-table.ts, calibrations-table.ts, datasets-table.ts), whose statements it calls
 * inside its transactions.
 */
export class Store {
  /** `sweeps` and `runs`. */
  private readonly sweeps: SweepsAndRunsTables;
  /** `run_metrics`, `run_columns`, `run_digests`. */
  private readonly results: RunResultsTables;
  /** `worker_machines`. */
  private readonly machines: WorkerMachinesTable;
  /** `sweep_leases`. */
  private readonly leases: SweepLeasesTable;
  /** `slurm_arrays`. */
  private readonly slurmArrays: SlurmArraysTable;
  /** `calibrations`. */
  private readonly calibrations: CalibrationsTable;
  /** `database_identity`. */
  private readonly identity: Database.Statement;
  /** Traces the user imported (migrations/0005_datasets.sql). */
  readonly datasets: DatasetsTable;

  private constructor(
    private readonly db: Database.Database,
    /** The database file (absolute path) or `:memory:`. */
    readonly file: string,
    /** This machine's host name (StoreOptions.host); null when it is empty. */
    readonly host: string | null,
  ) {
    this.sweeps = new SweepsAndRunsTables(db);
    this.results = new RunResultsTables(db);
    this.machines = new WorkerMachinesTable(db);
    this.leases = new SweepLeasesTable(db);
    this.slurmArrays = new SlurmArraysTable(db);
    this.calibrations = new CalibrationsTable(db);
    this.datasets = new DatasetsTable(db);
    this.identity = db.prepare(SELECT_DATABASE_IDENTITY_SQL);
    if (host !== null && !db.readonly && (this.identity.get() as DatabaseIdentityDbRow).host === null) {
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
   *   what was applied, `host` for this machine's host name (see StoreOptions), `readonly` to
   *   open an existing database for reading only (no migration, no host recorded, no writes)
   * @throws InputError naming the file when it cannot be used (not a SQLite database, corrupt,
   *   locked, read-only, another application's database, ...; see openDatabase)
   * @throws MigrationError when the schema cannot be brought up to date
   */
  static open(file: string, opts: StoreOptions = {}): Store {
    const db = openDatabase(file, opts);
    // db.name is the URI of a database opened `immutable` (openDatabase): the path is the file's.
    const path = file === ':memory:' ? file : resolve(file);
    try {
      const host = opts.host ?? hostname();
      return new Store(db, path, host.length > 0 ? host : null);
    } catch (err) {
      db.close();
      throw databaseFault(err, path);
    }
  }

  /** Closes the connection (checkpointing the WAL); the Store is unusable afterwards. */
  close(): void {
    this.db.close();
  }

  /** This database's identity (id, host, creation time): the one row of `database_identity`. */
  databaseIdentity(): DatabaseIdentity {
    return databaseIdentityFromDb(this.identity.get() as DatabaseIdentityDbRow);
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
    return this.sweeps.sweepByHash(hash);
  }

  /**
   * Stores a new sweep of this database and all of its runs (status `queued`) in one transaction:
   * either all of it is stored or nothing. Its originHost is this Store's host. With `lease`, the
   * same transaction gives the new sweep's lease to that claim (see claimSweepLease).
   *
   * @returns the new sweep's id
   * @throws Error naming the run key when two runs share a run key or a run is invalid (seed
   *   not a safe integer, rate not null or a finite number > 0, params not a JSON object, ...),
   *   or naming the hash when a sweep of this database with the same spec hash exists (imported
   *   sweeps do not count); nothing is stored then
   */
  createSweep(input: NewSweep, lease?: LeaseClaim): number {
    return this.db
      .transaction((): number => {
        const id = this.sweeps.insertSweep(input, now(), this.host);
        if (lease) this.leases.put(id, lease, now(), Date.now());
        return id;
      })
      .immediate();
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
        added += this.sweeps.insertRun(sweepId, run, created, `sweep ${sweepId}`, true);
      }
      if (added > 0) this.sweeps.reopenSweep(sweepId);
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
      return this.sweeps.finishSweep(sweepId, now());
    });
    return finish.immediate();
  }

  /**
   * Deletes a sweep with all of its runs and every row of their results (`run_metrics`,
   * `run_columns`, `run_digests`), in one IMMEDIATE transaction: either
   * all of it goes or nothing does. The rows go by the schema's ON DELETE CASCADE (openDatabase
   * switches foreign keys on). Other sweeps, worker machines, calibrations and datasets are not
   * touched; an imported sweep comes back when its database is imported again.
   *
   * A sweep whose lease is held (a process is executing it, see claimSweepLease) is not deleted.
   *
   * @returns false when no such sweep existed (nothing changed)
   * @throws SweepBusyError naming the holder when a process holds the sweep's lease (nothing
   *   changed)
   */
  deleteSweep(sweepId: number): boolean {
    return this.db
      .transaction((): boolean => {
        const held = this.sweepHolder(sweepId);
        if (held !== undefined) {
          throw new SweepBusyError(sweepId, held, Date.now(), 'cancel or stop it before deleting it');
        }
        return this.sweeps.deleteSweep(sweepId);
      })
      .immediate();
  }

  /**
   * Renames a sweep: only its name changes (not its spec text, spec hash, runs or origin), so
   * running its spec again still resumes it, under the new name.
   *
   * @param name the new name; trimmed (checkSweepName)
   * @returns the sweep as stored now
   * @throws InputError (field `name`) when the name is empty, longer than MAX_SWEEP_NAME (200) or
   *   holds a control character; nothing changes then
   * @throws StoreStateError when the sweep does not exist
   */
  renameSweep(sweepId: number, name: string): SweepRow {
    const checked = checkSweepName(name);
    const rename = this.db.transaction((): SweepRow => {
      if (!this.sweeps.renameSweep(sweepId, checked)) {
        throw new StoreStateError(`sweep ${sweepId} does not exist`);
      }
      return this.sweeps.sweepById(sweepId) as SweepRow;
    });
    return rename.immediate();
  }

  /** The sweep with this id, if stored. */
  getSweep(id: number): SweepRow | undefined {
    return this.sweeps.sweepById(id);
  }

  /** The most recently created sweep (highest id), if any. */
  latestSweep(): SweepRow | undefined {
    return this.sweeps.latestSweep();
  }

  /** Every sweep, newest first. */
  listSweeps(): SweepRow[] {
    return this.sweeps.listSweeps();
  }

  // ---- leases (one writer per sweep) -------------------------------------------------------

  /**
   * Takes the sweep's lease for `claim`, in one IMMEDIATE transaction: when no lease is stored,
   * when the stored one is `claim.owner`'s, or when it is stale (leaseIsStale: its holder on this
   * host is not alive, or its heartbeat is older than the time to live), the lease becomes
   * `claim`'s (heartbeat now); otherwise nothing changes.
   *
   * @param judge overrides of the staleness rule's time, time to live and liveness check (tests)
   * @returns undefined when the lease is now `claim`'s; else the lease's live holder
   * @throws StoreStateError when the sweep does not exist
   */
  claimSweepLease(
    sweepId: number,
    claim: LeaseClaim,
    judge: Partial<Omit<LeaseJudge, 'host'>> = {},
  ): SweepLeaseRow | undefined {
    return this.db
      .transaction((): SweepLeaseRow | undefined => {
        this.requireSweep(sweepId);
        const nowMs = judge.nowMs ?? Date.now();
        const held = this.leases.get(sweepId);
        if (
          held !== undefined &&
          held.owner !== claim.owner &&
          !leaseIsStale(held, { ...judge, host: this.host, nowMs })
        ) {
          return held;
        }
        this.leases.put(sweepId, claim, new Date(nowMs).toISOString(), nowMs);
        return undefined;
      })
      .immediate();
  }

  /**
   * Renews `owner`'s lease of the sweep (its heartbeat becomes `nowMs`).
   * @returns false when the lease is not `owner`'s any more (another process took it over after
   *   it went stale, or the sweep was deleted)
   */
  renewSweepLease(sweepId: number, owner: string, nowMs = Date.now()): boolean {
    return this.db.transaction((): boolean => this.leases.renew(sweepId, owner, nowMs)).immediate();
  }

  /** Gives up `owner`'s lease of the sweep; false when they held none. */
  releaseSweepLease(sweepId: number, owner: string): boolean {
    return this.db.transaction((): boolean => this.leases.release(sweepId, owner)).immediate();
  }

  /** The sweep's stored lease, live or stale, if any. */
  sweepLease(sweepId: number): SweepLeaseRow | undefined {
    return this.leases.get(sweepId);
  }

  /**
   * The process executing the sweep now: its lease when one is stored and live (not
   * leaseIsStale); undefined when no process holds it.
   */
  sweepHolder(sweepId: number): SweepLeaseRow | undefined {
    const held = this.leases.get(sweepId);
    return held !== undefined && !leaseIsStale(held, { host: this.host, nowMs: Date.now() })
      ? held
      : undefined;
  }

  // ---- Slurm job arrays --------------------------------------------------------------------

  /**
   * Records a Slurm job array the sweep was submitted as (migrations/0009_slurm_arrays.sql).
   * @returns the array's id
   * @throws StoreStateError when the sweep does not exist
   */
  addSlurmArray(sweepId: number, array: NewSlurmArray): number {
    return this.db
      .transaction((): number => {
        this.requireSweep(sweepId);
        return this.slurmArrays.insert(sweepId, array, now());
      })
      .immediate();
  }

  /** The sweep's Slurm arrays not ended yet (`all`: every one), oldest first. */
  slurmArraysOf(sweepId: number, all = false): SlurmArrayRow[] {
    return this.slurmArrays.list(sweepId, all);
  }

  /** Marks a Slurm array ended (none of its tasks is queued or running any more). */
  endSlurmArray(arrayId: number): void {
    this.db.transaction(() => this.slurmArrays.end(arrayId, now())).immediate();
  }

  /**
   * Puts the given `running` runs of the sweep back to `queued` (others are left as they are), in
   * one transaction: runs whose Slurm task ended without storing them.
   * @returns how many were requeued
   */
  requeueRuns(sweepId: number, runIds: readonly number[]): number {
    return this.db
      .transaction((): number => {
        let n = 0;
        for (const id of runIds) n += this.sweeps.requeueRun(sweepId, id);
        return n;
      })
      .immediate();
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
    return this.db.transaction(() => this.sweeps.requeueRunning(sweepId)).immediate();
  }

  /**
   * The runs of a sweep that still have to be executed: `queued` and `failed` ones (failed runs
   * are retried when a sweep is run again), in id order, which is the order they were created.
   */
  pendingRuns(sweepId: number): RunRow[] {
    return this.sweeps.pendingRuns(sweepId);
  }

  /**
   * Claims several `queued` or `failed` runs of a sweep at once, in one transaction (runs submitted
   * together to a cluster): each becomes `running` as markRunning makes it.
   * @throws StoreStateError naming the first run that is not queued or failed (nothing changed)
   */
  markRunsSubmitted(sweepId: number, runIds: readonly number[]): void {
    this.db
      .transaction(() => {
        this.requireSweep(sweepId);
        const at = now();
        for (const id of runIds) {
          if (!this.sweeps.markRunning(id, at)) {
            throw this.stateError(id, 'cannot be submitted; only queued or failed runs can');
          }
        }
      })
      .immediate();
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
      if (!this.sweeps.markRunning(runId, now())) {
        throw this.stateError(runId, 'cannot be started; only queued or failed runs can');
      }
    });
    claim.immediate();
  }

  /**
   * Stores a run's results and marks it `done`, all in one transaction: the metrics and the
   * stability verdict, the per-request records, the time series and, when the run executed on a
   * GPU worker (`iterations`), its measured iterations, each as one encoded blob per column
   * (`run_columns`), the digest (`run_digests`), its warnings, finished_at. If anything fails
   * nothing is stored and the run keeps its status (`running`, typically; the caller then calls
   * failRun).
   *
   * A plain RunResult is checked and encoded here (a few milliseconds per 10,000 requests); an
   * EncodedRunResult (encodeRunResult, done on the worker thread that simulated the run) was
   * checked and encoded already, and only its rows are inserted (well under a millisecond).
   *
   * @param runId a run in status `running` (or `queued`, for callers that skip markRunning)
   * @param result what the run produced, encoded or not
   * @throws StoreStateError when the run does not exist or is `done` or `failed` (results are
   *   stored exactly once)
   * @throws Error naming the field when the result is malformed: a metric key missing or
   *   unknown, a metric NaN or infinite, a malformed stability verdict (see encodeStability),
   *   arrays of one struct with different lengths, iterations that are not an IterationRecords
   *   object, a value breaking its column's rule (tokens < 1, a NaN arrival, sample or iteration
   *   time, a negative iteration duration, negative counts; see encodeStruct), a malformed digest
   */
  completeRun(runId: number, result: StorableRunResult): void {
    const what = `run ${runId}`;
    const checked = this.results.check(result, what);
    if (!Array.isArray(result.warnings) || result.warnings.some((w) => typeof w !== 'string')) {
      throw new Error(`${what}: warnings must be an array of strings`);
    }
    const complete = this.db.transaction(() => {
      const status = this.sweeps.runStatus(runId);
      if (status !== 'running' && status !== 'queued') {
        throw this.stateError(runId, 'cannot be completed; only running or queued runs can', status);
      }
      this.results.insert(runId, checked);
      this.sweeps.markDone(runId, JSON.stringify(result.warnings), now());
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
      if (!this.sweeps.markFailed(runId, error, now())) {
        throw this.stateError(runId, 'cannot be marked failed; only queued or running runs can');
      }
    });
    fail.immediate();
  }

  /** The run with this id, with its metrics and stability verdict when done, if stored. */
  getRun(runId: number): RunRow | undefined {
    return this.sweeps.runById(runId);
  }

  /**
   * Runs matching a filter (see RunFilter: by sweep, by ids, by run key, any combination, or all), in id order, each
   * with its parsed params, warnings and, when done, metrics and stability verdict.
   */
  listRuns(filter: RunFilter = {}): RunRow[] {
    return this.sweeps.listRuns(filter);
  }

  /**
   * The per-request records of a done run, indexed like its request list; times that were NaN
   * when stored are NaN again.
   *
   * @throws StoreStateError when the run does not exist or is not `done`
   */
  getRequestRecords(runId: number): RequestRecords {
    return this.readResults(
      runId,
      () => this.results.readStruct<RequestRecords>(runId, 'requests') ?? noRecords(runId),
    );
  }

  /**
   * The digest of a done run (latency order statistics and output-length bins, RunDigest), as
   * stored with it (`run_digests`): what reports and Compare draw, without reading the
   * per-request records. Every done run has one: completeRun and importDatabase store it with the
   * results, and migration 0011 computed it for the runs done before. Only a database of schema
   * 6-10 opened read-only (never migrated; StoreOptions.readonly) has none: there it is computed
   * from the records.
   *
   * @throws StoreStateError when the run does not exist or is not `done`
   * @throws Error naming the run when its digest is missing or corrupt (a damaged database)
   */
  getRunDigest(runId: number): RunDigest {
    return this.readResults(runId, () => {
      const digest = this.results.readDigest(runId);
      if (digest === undefined)
        throw new Error(`run ${runId}: done but no stored digest (a damaged database)`);
      return digest;
    });
  }

  /**
   * The time series of a done run.
   *
   * @throws StoreStateError when the run does not exist or is not `done`
   */
  getTimeSeries(runId: number): TimeSeries {
    return this.readResults(
      runId,
      () => this.results.readStruct<TimeSeries>(runId, 'time_series') ?? noRecords(runId),
    );
  }

  /**
   * The measured iterations of a done run that executed on a GPU worker, in execution order.
   *
   * @returns undefined when the run has no stored iterations: a simulated run (none stored), or
   *   one stored with zero iterations
   * @throws StoreStateError when the run does not exist or is not `done`
   */
  getIterations(runId: number): IterationRecords | undefined {
    return this.readResults(runId, () => {
      const iterations = this.results.readStruct<IterationRecords>(runId, 'iterations');
      return iterations === undefined || iterations.startS.length === 0 ? undefined : iterations;
    });
  }

  /** How many of the sweep's runs are in each status (all zero for an unknown sweep). */
  runCounts(sweepId: number): RunCounts {
    return this.sweeps.runCounts(sweepId);
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
      if (this.machines.byName(name) !== undefined) {
        throw new InputError(
          `machine "${name}" already exists; remove it first with \`schedbench machines remove ${name}\``,
          { field: 'name' },
        );
      }
      this.machines.insert({ ...machine, createdAt: now() });
      return this.machines.byName(name) as WorkerMachine;
    });
    return add.immediate();
  }

  /** The worker machine with this name (names are case-sensitive), if stored. */
  getWorkerMachine(name: string): WorkerMachine | undefined {
    return this.machines.byName(name);
  }

  /** Every worker machine, by name (byte order of the UTF-8 names: uppercase before lowercase). */
  listWorkerMachines(): WorkerMachine[] {
    return this.machines.list();
  }

  /**
   * Deletes a worker machine. Its calibrations and the runs that executed on it are kept (they
   * name the machine, they do not reference it).
   *
   * @returns false when no such machine existed
   */
  removeWorkerMachine(name: string): boolean {
    return this.db.transaction(() => this.machines.remove(name)).immediate();
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
      const id = this.calibrations.insert(c, fitJson, now());
      return this.calibrations.byId(id) as CalibrationRow;
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
    return this.calibrations.latest(machine, model, dtype);
  }

  /**
   * The KV capacity a worker machine sized for itself (migrations/0010_worker_kv_sizes.sql), if
   * it was measured: MachineRegistry.workerKvBlocks.
   * @param dtype the spec's dtype, undefined for the worker's default
   */
  workerKvBlocks(
    machine: string,
    model: string,
    dtype: string | undefined,
    blockSize: number,
  ): number | undefined {
    let statement: Database.Statement;
    try {
      statement = this.db.prepare(
        'SELECT kv_blocks FROM worker_kv_sizes WHERE machine = ? AND model = ? AND dtype = ? AND block_size = ?',
      );
    } catch {
      return undefined; // a database opened read-only before migration 0010 has none
    }
    const row = statement.get(machine, model, dtype ?? '', blockSize) as { kv_blocks: number } | undefined;
    return row?.kv_blocks;
  }

  /**
   * Stores the KV capacity a worker machine sized for itself, replacing an earlier measurement of
   * the same machine, model, dtype and block size.
   * @param kvBlocks a positive integer
   * @param loadedDtype the dtype the worker loaded
   */
  setWorkerKvBlocks(
    machine: string,
    model: string,
    dtype: string | undefined,
    blockSize: number,
    kvBlocks: number,
    loadedDtype: string,
  ): void {
    if (!(Number.isSafeInteger(kvBlocks) && kvBlocks > 0)) {
      throw new Error(`worker ${machine}: KV capacity ${kvBlocks} blocks is not a positive integer`);
    }
    this.db
      .transaction(() =>
        this.db
          .prepare(
            'INSERT OR REPLACE INTO worker_kv_sizes (machine, model, dtype, block_size, kv_blocks, loaded_dtype, measured_at) ' +
              'VALUES (?, ?, ?, ?, ?, ?, ?)',
          )
          .run(machine, model, dtype ?? '', blockSize, kvBlocks, loadedDtype, now()),
      )
      .immediate();
  }

  /**
   * Stored calibrations, newest first (latest createdAt, then highest id).
   *
   * @param machine only the calibrations of this machine; all when omitted
   */
  listCalibrations(machine?: string): CalibrationRow[] {
    return this.calibrations.list(machine);
  }

  // ---- helpers ----------------------------------------------------------------------------

  /** @throws StoreStateError when the sweep does not exist */
  private requireSweep(sweepId: number): void {
    if (this.sweeps.sweepById(sweepId) === undefined) {
      throw new StoreStateError(`sweep ${sweepId} does not exist`);
    }
  }

  /**
   * The error for an operation a run's status does not allow.
   *
   * @param problem what cannot be done, after `run N is STATUS and `
   * @param status the run's status when the caller read it; read now when omitted
   */
  private stateError(runId: number, problem: string, status?: RunStatus): StoreStateError {
    const current = status ?? this.sweeps.runStatus(runId);
    return new StoreStateError(
      current === undefined ? `run ${runId} does not exist` : `run ${runId} is ${current} and ${problem}`,
    );
  }

  /**
   * Reads a done run's results with `read`, in one (deferred) transaction with the status check.
   *
   * @throws StoreStateError when the run does not exist or is not `done`
   */
  private readResults<T>(runId: number, read: () => T): T {
    return this.db.transaction((): T => {
      const status = this.sweeps.runStatus(runId);
      if (status !== 'done') {
        throw this.stateError(runId, 'has no stored results; only done runs have', status);
      }
      return read();
    })();
  }
}
