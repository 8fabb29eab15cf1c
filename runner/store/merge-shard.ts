/**
 * Merging a shard (a SQLite file one task of a sharded sweep wrote its runs to, see
 * runner/sweeps/sweep-shard.ts) into the sweep's own database: the done runs of the shard complete
 * the runs with the same run key of the sweep, with their results copied as stored.
 *
 * Unlike importDatabase, which stores another database's sweeps as imported sweeps of their own,
 * a shard's runs are runs of a sweep already here: nothing but their results and status moves.
 */
import type Database from 'better-sqlite3';
import { resolve } from 'node:path';
import { InputError } from '../errors.js';
import { hasRequestsSql } from './has-requests-sql.js';
import { openDatabase } from './open-database.js';
import { RunResultsTables } from './run-results-tables.js';
import type { RunStatus } from './run-row.js';
import { StoreStateError } from './store-state-error.js';
import type { Store } from './store.js';

/** Outcome of {@link mergeShard}: the shard's runs, by what happened to them. */
export interface MergeShardOutcome {
  /** Done in the shard, not done here before: their results are stored here now, and they are done. */
  merged: number;
  /** Done in the shard and already done here: left as they are (a shard merged again). */
  alreadyDone: number;
  /** Not done in the shard (queued, running or failed: a task killed or failing): left alone. */
  notDone: number;
}

/** A `runs` row of the shard, as mergeShard reads it. */
interface ShardRunDbRow {
  id: number;
  run_key: string;
  status: RunStatus;
  warnings_json: string | null;
  started_at: string | null;
  finished_at: string | null;
}

/**
 * Merges a shard's done runs into sweep `sweepId` of `store`, in one IMMEDIATE transaction of
 * `store`, reading the shard in one snapshot: all of the shard is merged or nothing is.
 *
 * The shard is opened read-only (openDatabase's `readonly`, as Store.open with `readonly`: never
 * written or migrated) and must hold exactly one sweep, whose spec hash is the sweep's here (the
 * same spec planned in the same directory: run keys alone do not tell two specs apart that differ
 * in, say, their request count). Each run of the shard is matched by run key with a run of the
 * sweep here:
 * - done in the shard, not done here (queued, running or failed): its stored results are copied
 *   as stored (the `run_metrics` row with metrics and stability JSON byte for byte, and every row
 *   of `run_columns` and `run_digests`, blobs as they are), and it is marked done with the
 *   shard run's warnings, started_at and finished_at; `merged`;
 * - done in both: left as it is (a done run never changes); `alreadyDone`; merging the same shard
 *   twice changes nothing the second time;
 * - not done in the shard: left alone here; `notDone` (the driver queues it again).
 *
 * The sweep's finished_at is not changed: the driver calls Store.finishSweep once every shard is
 * merged.
 *
 * @param store the sweep's database, open for writing
 * @param sweepId the sweep here that the shard's task executed runs of
 * @param shardFile the shard's database file
 * @returns how many of the shard's runs were merged, were done here already, and were not done
 * @throws InputError naming the shard file when it cannot be opened or read (missing, not a
 *   schedbench database, corrupt, see openDatabase), holds no sweep or several, holds a sweep of
 *   another spec hash, holds a run whose key is not a run of the sweep here (naming the key), or a
 *   done run without its stored results (a damaged shard); nothing is merged then
 * @throws StoreStateError when sweep `sweepId` does not exist here
 * @throws SqliteError of `store` (busy past its timeout, disk full, read-only...) as Store's own
 *   writes throw them; nothing is merged then
 */
export function mergeShard(store: Store, sweepId: number, shardFile: string): MergeShardOutcome {
  const file = resolve(shardFile);
  const shard = openDatabase(file, { readonly: true });
  try {
    // One read transaction of the shard: one snapshot, even if its task still writes to it.
    const merge = shard.transaction(() => store.writeTransaction((db) => mergeIn(db, shard, sweepId, file)));
    return merge();
  } finally {
    shard.close();
  }
}

/** mergeShard inside the read transaction of the shard and the write transaction of the target. */
function mergeIn(
  db: Database.Database,
  shard: Database.Database,
  sweepId: number,
  file: string,
): MergeShardOutcome {
  const target = db.prepare('SELECT spec_hash FROM sweeps WHERE id = ?').pluck().get(sweepId) as
    string | undefined;
  if (target === undefined) throw new StoreStateError(`sweep ${sweepId} does not exist`);
  const sweeps = shard.prepare('SELECT id, spec_hash FROM sweeps ORDER BY id').all() as {
    id: number;
    spec_hash: string;
  }[];
  if (sweeps.length !== 1) {
    throw new InputError(
      `${file}: a shard holds the runs of one sweep, this one holds ${sweeps.length} sweeps; nothing was merged`,
      { file },
    );
  }
  const [source] = sweeps;
  if (source.spec_hash !== target) {
    throw new InputError(
      `${file}: its sweep has spec hash ${source.spec_hash.slice(0, 12)}..., sweep ${sweepId} has ` +
        `${target.slice(0, 12)}...: the shard ran another spec (or the same spec planned elsewhere); ` +
        'nothing was merged',
      { file },
    );
  }
  const runs = shard
    .prepare(
      'SELECT id, run_key, status, warnings_json, started_at, finished_at FROM runs WHERE sweep_id = ? ORDER BY id',
    )
    .all(source.id) as ShardRunDbRow[];
  checkDoneRunsHaveResults(shard, source.id, file);

  const runByKey = db.prepare('SELECT id, status FROM runs WHERE sweep_id = ? AND run_key = ?');
  const markDone = db.prepare(
    "UPDATE runs SET status = 'done', error = NULL, warnings_json = ?, started_at = ?, finished_at = ? " +
      "WHERE id = ? AND status <> 'done'",
  );
  const results = { source: new RunResultsTables(shard), target: new RunResultsTables(db) };
  const outcome: MergeShardOutcome = { merged: 0, alreadyDone: 0, notDone: 0 };
  for (const run of runs) {
    const here = runByKey.get(sweepId, run.run_key) as { id: number; status: RunStatus } | undefined;
    if (here === undefined) {
      throw new InputError(
        `${file}: its run ${run.id} has run key ${run.run_key}, which is not a run of sweep ${sweepId}; ` +
          'nothing was merged',
        { file },
      );
    }
    if (run.status !== 'done') {
      outcome.notDone++;
    } else if (here.status === 'done') {
      outcome.alreadyDone++;
    } else {
      // A run not done here has no results stored (they are stored together with `done`).
      results.target.copyFrom(results.source, run.id, here.id);
      markDone.run(run.warnings_json ?? '[]', run.started_at, run.finished_at, here.id);
      outcome.merged++;
    }
  }
  return outcome;
}

/**
 * Checks that every done run of the shard's sweep has its results: a `run_metrics` row, and
 * per-request records and digest (hasRequestsSql, as importDatabase checks).
 * @throws InputError naming the shard file and the first such run
 */
function checkDoneRunsHaveResults(shard: Database.Database, sweepId: number, file: string): void {
  const incomplete = shard
    .prepare(
      'SELECT r.id, r.run_key AS runKey, m.run_id IS NOT NULL AS hasMetrics FROM runs r ' +
        'LEFT JOIN run_metrics m ON m.run_id = r.id ' +
        "WHERE r.sweep_id = ? AND r.status = 'done' AND (m.run_id IS NULL OR " +
        `NOT EXISTS (${hasRequestsSql(shard)})) ORDER BY r.id LIMIT 1`,
    )
    .get(sweepId) as { id: number; runKey: string; hasMetrics: number } | undefined;
  if (incomplete !== undefined) {
    throw new InputError(
      `${file}: its run ${incomplete.id} (run key ${incomplete.runKey}) is marked done but has no stored ` +
        `${incomplete.hasMetrics ? 'requests' : 'metrics'}: the shard is damaged; nothing was merged`,
      { file },
    );
  }
}
