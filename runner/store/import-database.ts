import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../errors.js';
import { CALIBRATION_COLUMNS, INSERT_CALIBRATION_SQL } from './calibrations-table.js';
import type { CalibrationValues } from './calibrations-table.js';
import { databaseIdentityFromDb, SELECT_DATABASE_IDENTITY_SQL } from './database-identity.js';
import type { DatabaseIdentity, DatabaseIdentityDbRow } from './database-identity.js';
import type { ImportSummary } from './import-summary.js';
import { BUSY_TIMEOUT_MS } from './open-database.js';
import type { RunStatus } from './run-row.js';
import { hasRequestsSql } from './has-requests-sql.js';
import { RunResultsTables } from './run-results-tables.js';
import { sqliteErrorCode } from './sqlite-error-code.js';
import { checkWorkerMachine } from './worker-machine-check.js';
import type { Store } from './store.js';
import { INSERT_RUN_SQL, INSERT_SWEEP_SQL, RUN_COLUMNS, SWEEP_COLUMNS } from './sweeps-and-runs-tables.js';
import type { RunDbRow, RunValues, SweepDbRow, SweepValues } from './sweeps-and-runs-tables.js';
import {
  INSERT_WORKER_MACHINE_SQL,
  WORKER_MACHINE_COLUMNS,
  WORKER_MACHINE_SETTINGS,
} from './worker-machines-table.js';
import type { WorkerMachineDbRow } from './worker-machines-table.js';

export type { ImportSummary } from './import-summary.js';

/**
 * The first schema with a database identity (migrations/0004_database_origin.sql). An older
 * database has none, so it has no origin to record for its sweeps, and importing it twice could
 * not be told apart from importing two databases.
 */
const FIRST_IMPORTABLE_SCHEMA = 4;

/** A `schema_migrations` row (both databases). */
interface SchemaMigration {
  version: number;
  name: string;
  checksum: string;
}

/** A sweep here, with what tells two sweeps with the same origin apart. */
type SweepIdentity = Pick<SweepDbRow, 'id' | 'spec_hash' | 'created_at'>;

/** Where a sweep was created: the database (identity id), its id there, the host it ran on. */
interface Origin {
  readonly db: string;
  readonly sweepId: number;
  readonly host: string | null;
}

/**
 * Merges the sweeps, runs, calibrations and worker machines of another schedbench database (one
 * copied from a GPU server, say) into `target`, without duplicates and keeping where each sweep
 * came from; importing the same database again adds nothing.
 *
 * The source is opened read-only and is never written or migrated (in WAL mode SQLite may leave
 * empty `-wal` and `-shm` companions next to it). It must have been written by this build's
 * migrations: schema 4 (the first with a database identity) up to the target's, with the same
 * recorded migration checksums; tables and columns of later schemas are not read. A source with
 * an older schema is refused: opening it once with this schedbench upgrades it and gives it its
 * identity. Everything is read from one snapshot of the source and written in one IMMEDIATE
 * transaction of the target: all of it is imported or nothing.
 *
 * - Sweeps. A source sweep's origin is its own origin when it was imported into the source, else
 *   (source identity, its id there, its host or the source's host). A sweep here with that origin
 *   (or, when the origin is this database, this database's own sweep with that id) that has the
 *   same spec hash and creation time is merged into; otherwise the sweep is stored as a new sweep
 *   with that origin, its name, spec, machine and timestamps as in the source. Imported sweeps are
 *   never resumed by spec hash (Store.findSweepByHash finds this database's own sweeps only).
 * - Runs. A run is identified by its sweep and run key. A run not here is stored as it is in the
 *   source (status, error, warnings, timestamps, and for a done run its metrics, stability
 *   verdict, requests, time series and iterations); a run `running` in the source is stored
 *   `queued` (its results were never stored there). A run here that is not done (queued, failed,
 *   or running: then the process executing it will fail to store its results) gets the source's
 *   results when the source's run is done: status done, error, warnings, started_at and
 *   finished_at as there. Any other run here is left as it is; a done run here never changes. A
 *   merged sweep's finished_at is cleared when runs are queued or running in it after the import,
 *   else set to the source's when it had none.
 * - Worker machines are stored by name when none of that name is here (kept otherwise, counted
 *   when their settings differ); calibrations when none with the same machine, model, dtype and
 *   createdAt is here.
 *
 * @param target the database to import into
 * @param sourceFile the database file to import, a path (relative to the working directory)
 * @returns what was imported
 * @throws InputError naming the file, with nothing imported, when it does not exist or is not a
 *   file, is not a SQLite database or is damaged (truncated, corrupt), is not a schedbench
 *   database or was written with other migration files, has a newer schema than the target or
 *   one older than 4, is the target itself or a copy of it (the same database identity), has a
 *   `done` run without its results (metrics row, requests) or a worker machine `machines add`
 *   would refuse (checkWorkerMachine), or has
 *   a sweep whose origin is that of a sweep here with another spec hash or creation time (one
 *   database is a diverged copy of the other)
 */
export function importDatabase(target: Store, sourceFile: string): ImportSummary {
  const file = resolve(sourceFile);
  const source = openSource(file);
  try {
    // A read transaction on the source: one snapshot, even if another process writes to it.
    const snapshot = source.transaction(() =>
      target.writeTransaction((db) => {
        const targetId = target.databaseIdentity().id;
        const identity = checkSource(source, db, file, targetId);
        checkContents(source, file);
        return new DatabaseImport(db, source, file, targetId).run(identity);
      }),
    );
    return snapshot();
  } catch (err) {
    throw unreadable(err, file) ?? err;
  } finally {
    source.close();
  }
}

/**
 * Opens the source file read-only.
 *
 * @throws InputError naming the file when it is missing, not a file, or cannot be opened
 */
function openSource(file: string): Database.Database {
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch {
    throw new InputError(`${file}: no such file`, { file });
  }
  if (!isFile) throw new InputError(`${file}: not a file (a schedbench database was expected)`, { file });
  try {
    return new Database(file, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  } catch (err) {
    throw new InputError(`${file}: cannot be opened: ${(err as Error).message}`, { file });
  }
}

/**
 * The InputError for an error that says the source cannot be read as a database (SQLITE_NOTADB,
 * SQLITE_CORRUPT*, SQLITE_IOERR*), or undefined for any other error.
 */
function unreadable(err: unknown, file: string): InputError | undefined {
  const code = sqliteErrorCode(err);
  if (code === undefined) return undefined;
  if (code === 'SQLITE_NOTADB') return new InputError(`${file}: not a SQLite database`, { file });
  if (code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_IOERR')) {
    return new InputError(
      `${file}: damaged database (truncated or corrupt: ${(err as Error).message}); nothing was imported`,
      { file },
    );
  }
  return undefined;
}

/**
 * Checks that the source is a schedbench database this build can import and not the target (see
 * importDatabase), before anything else is read from it.
 *
 * @param source the source's read-only connection
 * @param db the target's connection
 * @param file the source file, for messages
 * @param targetId the target's database identity id
 * @returns the source's identity
 * @throws InputError naming the file otherwise
 */
function checkSource(
  source: Database.Database,
  db: Database.Database,
  file: string,
  targetId: string,
): DatabaseIdentity {
  const version = source.pragma('user_version', { simple: true }) as number;
  const tracked = source
    .prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'")
    .pluck()
    .get() as number;
  if (version === 0 || tracked === 0) {
    throw new InputError(`${file}: not a schedbench database (it has no schema migrations)`, { file });
  }
  const known = db.pragma('user_version', { simple: true }) as number;
  if (version > known) {
    throw new InputError(
      `${file} was written by a newer schedbench (schema ${version}, this database has ${known}); ` +
        'import it with a newer schedbench',
      { file },
    );
  }
  const checksums = new Map(
    (db.prepare('SELECT version, checksum FROM schema_migrations').all() as SchemaMigration[]).map((m) => [
      m.version,
      m.checksum,
    ]),
  );
  const recorded = source
    .prepare('SELECT version, name, checksum FROM schema_migrations WHERE version <= ? ORDER BY version')
    .all(version) as SchemaMigration[];
  for (let v = 1; v <= version; v++) {
    const m = recorded[v - 1];
    if (m === undefined || m.version !== v || m.checksum !== checksums.get(v)) {
      throw new InputError(
        `${file}: not a schedbench database, or written with other migration files ` +
          `(its record of schema migration ${v} is ${m?.version === v ? 'different' : 'missing'})`,
        { file },
      );
    }
  }
  if (version < FIRST_IMPORTABLE_SCHEMA) {
    throw new InputError(
      `${file} has schema ${version}, from before databases had an identity (schema ` +
        `${FIRST_IMPORTABLE_SCHEMA}); open it once with this schedbench to upgrade it ` +
        `(any command with --db, e.g. \`schedbench runs --db ${file}\`), then import it`,
      { file },
    );
  }
  const problems = source.pragma('quick_check') as { quick_check: string }[];
  if (problems.length !== 1 || problems[0].quick_check !== 'ok') {
    throw new InputError(
      `${file}: damaged database (quick_check: ${problems
        .slice(0, 3)
        .map((p) => p.quick_check)
        .join('; ')}); nothing was imported`,
      { file },
    );
  }
  const rows = source.prepare(SELECT_DATABASE_IDENTITY_SQL).all() as DatabaseIdentityDbRow[];
  if (rows.length !== 1) {
    throw new InputError(`${file}: damaged database (${rows.length} database identities, 1 expected)`, {
      file,
    });
  }
  const identity = databaseIdentityFromDb(rows[0]);
  if (identity.id === targetId) {
    throw new InputError(
      `${file} is this database or a copy of it (both have database identity ${targetId}); nothing to import`,
      { file },
    );
  }
  return identity;
}

/** How many problems of one kind checkContents lists before "and N more". */
const LISTED_PROBLEMS = 5;

/**
 * Checks what the source would bring in, before anything is written: every `done` run carries
 * its results (a `run_metrics` row, its per-request records and digest; hasRequestsSql), and
 * every worker machine
 * passes the checks `machines add` applies (checkWorkerMachine).
 *
 * @param source the source's read-only connection
 * @param file the source file, for messages
 * @throws InputError naming the file and the runs or machine at fault; nothing is imported
 */
function checkContents(source: Database.Database, file: string): void {
  // A done run needs its metrics row and its per-request records (hasRequestsSql).
  const incomplete = source
    .prepare(
      'SELECT r.id, r.sweep_id AS sweepId, m.run_id IS NOT NULL AS hasMetrics FROM runs r ' +
        'LEFT JOIN run_metrics m ON m.run_id = r.id ' +
        "WHERE r.status = 'done' AND (m.run_id IS NULL OR " +
        `NOT EXISTS (${hasRequestsSql(source)})) ORDER BY r.id`,
    )
    .all() as { id: number; sweepId: number; hasMetrics: number }[];
  if (incomplete.length > 0) {
    const listed = incomplete
      .slice(0, LISTED_PROBLEMS)
      .map((r) => `run ${r.id} of sweep ${r.sweepId} (no ${r.hasMetrics ? 'requests' : 'metrics'})`)
      .join(', ');
    const more =
      incomplete.length > LISTED_PROBLEMS ? ` and ${incomplete.length - LISTED_PROBLEMS} more` : '';
    throw new InputError(
      `${file}: ${incomplete.length} run(s) marked done have no stored results: ${listed}${more}; ` +
        'the database is incomplete or damaged; nothing was imported',
      { file },
    );
  }
  const machines = source
    .prepare(`SELECT ${WORKER_MACHINE_COLUMNS.join(', ')} FROM worker_machines ORDER BY name`)
    .all() as WorkerMachineDbRow[];
  for (const m of machines) {
    try {
      checkWorkerMachine({
        name: m.name,
        kind: m.kind,
        python: m.python,
        host: m.host,
        user: m.user,
        port: m.port,
        identityFile: m.identity_file,
        knownHostsFile: m.known_hosts_file,
        strictHostKeyChecking: m.strict_host_key_checking,
      });
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      throw new InputError(
        `${file}: a worker machine \`machines add\` would refuse: ${err.message}; nothing was imported`,
        { file, field: err.location.field },
      );
    }
  }
}

/** One import: the copy from a checked source, inside the caller's transactions. */
class DatabaseImport {
  private sweepsAdded = 0;
  private sweepsMerged = 0;
  private runsAdded = 0;
  private runsCompleted = 0;
  private runsSkipped = 0;
  private readonly stmts;
  private readonly results;

  /**
   * @param db the target's connection, inside an IMMEDIATE transaction
   * @param source the source's read-only connection, inside a read transaction
   * @param file the source file, for messages
   * @param targetId the target's database identity id
   */
  constructor(
    private readonly db: Database.Database,
    private readonly source: Database.Database,
    private readonly file: string,
    private readonly targetId: string,
  ) {
    this.stmts = {
      sourceSweeps: source.prepare(`SELECT id, ${SWEEP_COLUMNS.join(', ')} FROM sweeps ORDER BY id`),
      sourceRuns: source.prepare(
        `SELECT id, ${RUN_COLUMNS.join(', ')} FROM runs WHERE sweep_id = ? ORDER BY id`,
      ),
      localSweep: db.prepare(
        'SELECT id, spec_hash, created_at FROM sweeps WHERE id = ? AND origin_db IS NULL',
      ),
      sweepByOrigin: db.prepare(
        'SELECT id, spec_hash, created_at FROM sweeps WHERE origin_db = ? AND origin_sweep_id = ?',
      ),
      insertSweep: db.prepare(INSERT_SWEEP_SQL),
      updateFinished: db.prepare(
        'UPDATE sweeps SET finished_at = CASE WHEN EXISTS (SELECT 1 FROM runs WHERE sweep_id = sweeps.id ' +
          "AND status IN ('queued', 'running')) THEN NULL ELSE coalesce(finished_at, ?) END WHERE id = ?",
      ),
      runByKey: db.prepare('SELECT id, status FROM runs WHERE sweep_id = ? AND run_key = ?'),
      insertRun: db.prepare(INSERT_RUN_SQL),
      markDone: db.prepare(
        "UPDATE runs SET status = 'done', error = NULL, warnings_json = ?, started_at = ?, finished_at = ? " +
          "WHERE id = ? AND status <> 'done'",
      ),
    };
    this.results = { source: new RunResultsTables(source), target: new RunResultsTables(db) };
  }

  /**
   * Imports the source.
   *
   * @param identity the source's identity (checkSource)
   */
  run(identity: DatabaseIdentity): ImportSummary {
    const machines = this.importMachines();
    const calibrationsAdded = this.importCalibrations();
    for (const sweep of this.stmts.sourceSweeps.all() as SweepDbRow[]) {
      const origin: Origin = {
        db: sweep.origin_db ?? identity.id,
        sweepId: sweep.origin_sweep_id ?? sweep.id,
        host: sweep.origin_host ?? identity.host,
      };
      this.importSweep(sweep, origin);
    }
    return {
      file: this.file,
      source: identity,
      sweepsAdded: this.sweepsAdded,
      sweepsMerged: this.sweepsMerged,
      runsAdded: this.runsAdded,
      runsCompleted: this.runsCompleted,
      runsSkipped: this.runsSkipped,
      calibrationsAdded,
      machinesAdded: machines.added,
      machinesSkipped: machines.skipped.length,
      skippedMachines: machines.skipped,
    };
  }

  /** Stores the source's worker machines whose name is free here. */
  private importMachines(): { added: number; skipped: string[] } {
    const byName = this.db.prepare('SELECT * FROM worker_machines WHERE name = ?');
    const insert = this.db.prepare(INSERT_WORKER_MACHINE_SQL);
    let added = 0;
    const skipped: string[] = [];
    const select = this.source.prepare(
      `SELECT ${WORKER_MACHINE_COLUMNS.join(', ')} FROM worker_machines ORDER BY name`,
    );
    for (const m of select.all() as WorkerMachineDbRow[]) {
      const here = byName.get(m.name) as WorkerMachineDbRow | undefined;
      if (here === undefined) {
        insert.run(WORKER_MACHINE_COLUMNS.map((c) => m[c]));
        added++;
      } else if (WORKER_MACHINE_SETTINGS.some((c) => here[c] !== m[c])) {
        skipped.push(m.name);
      }
    }
    return { added, skipped };
  }

  /** Stores the source's calibrations not here (same machine, model, dtype, created_at). */
  private importCalibrations(): number {
    const exists = this.db.prepare(
      'SELECT 1 FROM calibrations WHERE machine = ? AND model = ? AND dtype = ? AND created_at = ?',
    );
    const insert = this.db.prepare(INSERT_CALIBRATION_SQL);
    const select = this.source.prepare(
      `SELECT ${CALIBRATION_COLUMNS.join(', ')} FROM calibrations ORDER BY id`,
    );
    let added = 0;
    for (const c of select.all() as CalibrationValues[]) {
      if (exists.get(c.machine, c.model, c.dtype, c.created_at) === undefined) {
        insert.run(CALIBRATION_COLUMNS.map((k) => c[k]));
        added++;
      }
    }
    return added;
  }

  /** Merges one source sweep and its runs into the sweep here with its origin, or adds it. */
  private importSweep(sweep: SweepDbRow, origin: Origin): void {
    let sweepId = this.findSweep(sweep, origin);
    if (sweepId === undefined) {
      const values: SweepValues = {
        ...sweep,
        origin_db: origin.db,
        origin_sweep_id: origin.sweepId,
        origin_host: origin.host,
      };
      sweepId = Number(this.stmts.insertSweep.run(SWEEP_COLUMNS.map((c) => values[c])).lastInsertRowid);
      this.sweepsAdded++;
    } else {
      this.sweepsMerged++;
    }
    for (const run of this.stmts.sourceRuns.all(sweep.id) as RunDbRow[]) this.importRun(sweepId, run);
    this.stmts.updateFinished.run(sweep.finished_at, sweepId);
  }

  /**
   * The sweep here that `sweep` (of the source, with `origin`) is: this database's own sweep with
   * the origin's id when the origin is this database, or the sweep imported with that origin;
   * either must have the same spec hash and creation time.
   *
   * @returns its id, or undefined when it is not here
   * @throws InputError when a sweep here has the origin but another spec hash or creation time
   */
  private findSweep(sweep: SweepDbRow, origin: Origin): number | undefined {
    const same = (here: SweepIdentity): boolean =>
      here.spec_hash === sweep.spec_hash && here.created_at === sweep.created_at;
    if (origin.db === this.targetId) {
      // This database's own sweep coming back; if it was deleted here and its id reused, the
      // sweep is stored again as an imported one, with this database as its origin.
      const own = this.stmts.localSweep.get(origin.sweepId) as SweepIdentity | undefined;
      if (own !== undefined && same(own)) return own.id;
    }
    const imported = this.stmts.sweepByOrigin.get(origin.db, origin.sweepId) as SweepIdentity | undefined;
    if (imported === undefined) return undefined;
    if (!same(imported)) {
      throw new InputError(
        `${this.file}: its sweep ${sweep.id} ("${sweep.name}") is sweep ${origin.sweepId} of database ` +
          `${origin.db}, but sweep ${imported.id} here, imported with that origin, has another spec hash or ` +
          'creation time; one of the databases involved is a diverged copy of another (copies share an ' +
          'identity); nothing was imported',
        { file: this.file },
      );
    }
    return imported.id;
  }

  /** Adds a source run to sweep `sweepId` here, completes the run here with its results, or skips it. */
  private importRun(sweepId: number, run: RunDbRow): void {
    const here = this.stmts.runByKey.get(sweepId, run.run_key) as
      { id: number; status: RunStatus } | undefined;
    if (here === undefined) {
      // A run left running there never stored its results: it is queued (as requeueInterruptedRuns does).
      const stored: RunValues =
        run.status === 'running'
          ? { ...run, sweep_id: sweepId, status: 'queued', started_at: null, finished_at: null }
          : { ...run, sweep_id: sweepId };
      const runId = Number(this.stmts.insertRun.run(RUN_COLUMNS.map((c) => stored[c])).lastInsertRowid);
      if (run.status === 'done') this.copyResults(run.id, runId);
      this.runsAdded++;
    } else if (here.status !== 'done' && run.status === 'done') {
      this.copyResults(run.id, here.id);
      this.stmts.markDone.run(run.warnings_json, run.started_at, run.finished_at, here.id);
      this.runsCompleted++;
    } else {
      this.runsSkipped++;
    }
  }

  /** Copies the stored results of source run `from` to run `to` here (which has none). */
  private copyResults(from: number, to: number): void {
    this.results.target.copyFrom(this.results.source, from, to);
  }
}
