import type Database from 'better-sqlite3';
import { insertSql } from './insert-sql.js';
import type { HostKeyPolicy, WorkerMachine, WorkerMachineKind } from './worker-machine-row.js';

/**
 * The settings of a worker machine (`worker_machines` columns but the name and created_at): what
 * must match for two stored machines of one name to be the same machine.
 */
export const WORKER_MACHINE_SETTINGS = [
  'kind',
  'python',
  'host',
  'user',
  'port',
  'identity_file',
  'known_hosts_file',
  'strict_host_key_checking',
] as const;

/**
 * The columns of `worker_machines` (migrations/0003_worker_machines.sql), in the order of
 * {@link INSERT_WORKER_MACHINE_SQL}'s parameters.
 */
export const WORKER_MACHINE_COLUMNS = ['name', ...WORKER_MACHINE_SETTINGS, 'created_at'] as const;

/** A `worker_machines` row as SQLite returns it (`SELECT *`); null settings mean the driver's default. */
export interface WorkerMachineDbRow {
  name: string;
  kind: WorkerMachineKind;
  python: string | null;
  host: string | null;
  user: string | null;
  port: number | null;
  identity_file: string | null;
  known_hosts_file: string | null;
  strict_host_key_checking: HostKeyPolicy;
  /** ISO 8601 UTC. */
  created_at: string;
}

/** Inserts a `worker_machines` row: parameters are the {@link WORKER_MACHINE_COLUMNS} values, in that order. */
export const INSERT_WORKER_MACHINE_SQL = insertSql('worker_machines', WORKER_MACHINE_COLUMNS);

/**
 * The `worker_machines` table (migrations/0003_worker_machines.sql): the GPU worker machines
 * runs and calibrations execute on, by name. Statements are prepared once; no method starts a
 * transaction: the Store calls them inside its own.
 */
export class WorkerMachinesTable {
  private readonly stmts;

  /** @param db open connection migrated to the current schema */
  constructor(db: Database.Database) {
    this.stmts = {
      byName: db.prepare('SELECT * FROM worker_machines WHERE name = ?'),
      all: db.prepare('SELECT * FROM worker_machines ORDER BY name'),
      insert: db.prepare(INSERT_WORKER_MACHINE_SQL),
      remove: db.prepare('DELETE FROM worker_machines WHERE name = ?'),
    };
  }

  /** The machine with this name (case-sensitive), if stored. */
  byName(name: string): WorkerMachine | undefined {
    const row = this.stmts.byName.get(name) as WorkerMachineDbRow | undefined;
    return row === undefined ? undefined : workerMachineFromDb(row);
  }

  /** Every machine, by name (byte order of the UTF-8 names: uppercase before lowercase). */
  list(): WorkerMachine[] {
    return (this.stmts.all.all() as WorkerMachineDbRow[]).map(workerMachineFromDb);
  }

  /**
   * Inserts a machine checked by checkWorkerMachine.
   *
   * @throws SqliteError when a machine of that name exists or the row violates the schema
   */
  insert(machine: WorkerMachine): void {
    const values: WorkerMachineDbRow = {
      name: machine.name,
      kind: machine.kind,
      python: machine.python,
      host: machine.host,
      user: machine.user,
      port: machine.port,
      identity_file: machine.identityFile,
      known_hosts_file: machine.knownHostsFile,
      strict_host_key_checking: machine.strictHostKeyChecking,
      created_at: machine.createdAt,
    };
    this.stmts.insert.run(WORKER_MACHINE_COLUMNS.map((c) => values[c]));
  }

  /**
   * Deletes the machine with this name.
   *
   * @returns false when no such machine existed
   */
  remove(name: string): boolean {
    return this.stmts.remove.run(name).changes > 0;
  }
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
