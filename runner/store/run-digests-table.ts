import type Database from 'better-sqlite3';
import type { ColumnCodec } from './column-blob-codec.js';
import type { EncodedDigest } from './encoded-digest.js';

/** A `run_digests` row as SQLite returns it. */
interface RunDigestDbRow {
  requests: number;
  finished: number;
  points: number;
  codec: ColumnCodec;
  ttft_s: Uint8Array;
  e2e_s: Uint8Array;
  output_bins_json: string;
  replica_loads_json: string | null;
}

const COLUMNS = 'requests, finished, points, codec, ttft_s, e2e_s, output_bins_json';

/**
 * The `run_digests` table (migrations/0011_column_blobs.sql, 0012_replica_loads.sql): each done
 * run's RunDigest, its order statistics encoded as Float64 columns (encodeDigest). A database
 * opened read-only at schema 11 has no `replica_loads_json`: its digests read as without replica
 * loads (no run before 0012 ran on a cluster). No method starts a transaction.
 */
export class RunDigestsTable {
  private readonly insertRow: Database.Statement;
  /** Whether the table has `replica_loads_json` (schema 12 or later). */
  private readonly hasLoads: boolean;
  private readonly selectRow: Database.Statement;
  private readonly selectRaw: Database.Statement;

  /** @param db open connection whose schema has `run_digests` (schema 11 or later) */
  constructor(db: Database.Database) {
    const hasLoads = (db.pragma('table_info(run_digests)') as { name: string }[]).some(
      (c) => c.name === 'replica_loads_json',
    );
    this.hasLoads = hasLoads;
    const loads = hasLoads ? 'replica_loads_json' : 'NULL AS replica_loads_json';
    // At schema 11 (the 0011 data step, or a read-only source) rows are written without loads.
    this.insertRow = hasLoads
      ? db.prepare(
          `INSERT INTO run_digests (run_id, ${COLUMNS}, replica_loads_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
      : db.prepare(`INSERT INTO run_digests (run_id, ${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.selectRow = db.prepare(`SELECT ${COLUMNS}, ${loads} FROM run_digests WHERE run_id = ?`);
    this.selectRaw = db.prepare(`SELECT ${COLUMNS}, ${loads} FROM run_digests WHERE run_id = ?`).raw(true);
  }

  /**
   * Stores a run's digest.
   *
   * @throws Error when the two order statistics were encoded with different codecs, or when the
   *   digest has replica loads and the table predates them (schema 11)
   * @throws SqliteError when the run has a digest already, does not exist, or a count violates
   *   the schema (finished > requests, points > finished)
   */
  insert(runId: number, digest: EncodedDigest): void {
    const { ttftS, e2eS } = digest;
    if (ttftS.codec !== e2eS.codec || ttftS.length !== e2eS.length) {
      throw new Error(`run ${runId}: the digest's ttft and e2e order statistics are encoded differently`);
    }
    if (!this.hasLoads && digest.replicaLoadsJson !== null) {
      throw new Error(`run ${runId}: run_digests predates replica loads (schema 11)`);
    }
    const loads = this.hasLoads ? [digest.replicaLoadsJson] : [];
    this.insertRow.run(
      runId,
      digest.requests,
      digest.finished,
      ttftS.length,
      ttftS.codec,
      ttftS.data,
      e2eS.data,
      digest.outputBinsJson,
      ...loads,
    );
  }

  /** A run's stored digest, still encoded (decodeDigest decodes it); undefined when it has none. */
  read(runId: number): EncodedDigest | undefined {
    const row = this.selectRow.get(runId) as RunDigestDbRow | undefined;
    if (row === undefined) return undefined;
    const column = (data: Uint8Array) => ({ codec: row.codec, length: row.points, data });
    return {
      requests: row.requests,
      finished: row.finished,
      ttftS: column(row.ttft_s),
      e2eS: column(row.e2e_s),
      outputBinsJson: row.output_bins_json,
      replicaLoadsJson: row.replica_loads_json,
    };
  }

  /** Copies the digest of run `from` of another database (if it has one) to run `to` here, as stored. */
  copyFrom(source: RunDigestsTable, from: number, to: number): void {
    const row = source.selectRaw.get(from) as unknown[] | undefined;
    if (row === undefined) return;
    const loads = row[row.length - 1];
    if (!this.hasLoads && loads !== null)
      throw new Error(`run ${to}: run_digests predates replica loads (schema 11)`);
    this.insertRow.run(to, ...(this.hasLoads ? row : row.slice(0, -1)));
  }
}
