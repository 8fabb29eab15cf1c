import type Database from 'better-sqlite3';

/** A Slurm job array a sweep was submitted as (`slurm_arrays`, migrations/0009_slurm_arrays.sql). */
export interface SlurmArrayRow {
  id: number;
  sweepId: number;
  /** Slurm's job id of the array (`sbatch --parsable`). */
  jobId: string;
  /** Absolute path of the array's manifest (runner/sweeps/sweep-shard.ts). */
  manifest: string;
  /** Array tasks, numbered 0..tasks - 1. */
  tasks: number;
  /** `local`, or `ssh USER@HOST:PORT`. */
  reachedBy: string;
  /** ISO 8601 UTC. */
  submittedAt: string;
  /** ISO 8601 UTC; null while some task may still be queued or running. */
  endedAt: string | null;
}

/** An array to record (the Store adds its id, sweep and submission time). */
export interface NewSlurmArray {
  jobId: string;
  manifest: string;
  tasks: number;
  reachedBy: string;
}

interface SlurmArrayDbRow {
  id: number;
  sweep_id: number;
  job_id: string;
  manifest: string;
  tasks: number;
  reached_by: string;
  submitted_at: string;
  ended_at: string | null;
}

function fromDb(row: SlurmArrayDbRow): SlurmArrayRow {
  return {
    id: row.id,
    sweepId: row.sweep_id,
    jobId: row.job_id,
    manifest: row.manifest,
    tasks: row.tasks,
    reachedBy: row.reached_by,
    submittedAt: row.submitted_at,
    endedAt: row.ended_at,
  };
}

function prepare(db: Database.Database) {
  return {
    insert: db.prepare(
      'INSERT INTO slurm_arrays (sweep_id, job_id, manifest, tasks, reached_by, submitted_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    open: db.prepare('SELECT * FROM slurm_arrays WHERE sweep_id = ? AND ended_at IS NULL ORDER BY id'),
    all: db.prepare('SELECT * FROM slurm_arrays WHERE sweep_id = ? ORDER BY id'),
    end: db.prepare('UPDATE slurm_arrays SET ended_at = ? WHERE id = ? AND ended_at IS NULL'),
  };
}

/**
 * The `slurm_arrays` table. Statements are prepared on first use (a database opened read-only may
 * predate the table); no method starts a transaction: the Store calls them inside its own.
 */
export class SlurmArraysTable {
  private prepared: ReturnType<typeof prepare> | undefined;

  /** @param db open connection (migrated to the current schema before the first use) */
  constructor(private readonly db: Database.Database) {}

  private get stmts(): ReturnType<typeof prepare> {
    return (this.prepared ??= prepare(this.db));
  }

  /** Records an array of the sweep; @returns its id */
  insert(sweepId: number, array: NewSlurmArray, submittedAt: string): number {
    return Number(
      this.stmts.insert.run(sweepId, array.jobId, array.manifest, array.tasks, array.reachedBy, submittedAt)
        .lastInsertRowid,
    );
  }

  /** The sweep's arrays not ended, oldest first (`all`: every array). */
  list(sweepId: number, all = false): SlurmArrayRow[] {
    return ((all ? this.stmts.all : this.stmts.open).all(sweepId) as SlurmArrayDbRow[]).map(fromDb);
  }

  /** Marks an array ended; false when it was already. */
  end(id: number, endedAt: string): boolean {
    return this.stmts.end.run(endedAt, id).changes > 0;
  }
}
