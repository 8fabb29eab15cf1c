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
}

const COLUMNS = 'requests, finished, points, codec, ttft_s, e2e_s, output_bins_json';

/**
 * The `run_digests` table (migrations/0011_column_blobs.sql): each done run's RunDigest, its
 * order statistics encoded as Float64 columns (encodeDigest). No method starts a transaction.
 */
export class RunDigestsTable {
  private readonly insertRow: Database.Statement;
  private readonly selectRow: Database.Statement;
  private readonly selectRaw: Database.Statement;

  /** @param db open connection whose schema has `run_digests` (schema 11 or later) */
  constructor(db: Database.Database) {
    this.insertRow = db.prepare(
      `INSERT INTO run_digests (run_id, ${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.selectRow = db.prepare(`SELECT ${COLUMNS} FROM run_digests WHERE run_id = ?`);
    this.selectRaw = db.prepare(`SELECT ${COLUMNS} FROM run_digests WHERE run_id = ?`).raw(true);
  }

  /**
   * Stores a run's digest.
   *
   * @throws Error when the two order statistics were encoded with different codecs
   * @throws SqliteError when the run has a digest already, does not exist, or a count violates
   *   the schema (finished > requests, points > finished)
   */
  insert(runId: number, digest: EncodedDigest): void {
    const { ttftS, e2eS } = digest;
    if (ttftS.codec !== e2eS.codec || ttftS.length !== e2eS.length) {
      throw new Error(`run ${runId}: the digest's ttft and e2e order statistics are encoded differently`);
    }
    this.insertRow.run(
      runId,
      digest.requests,
      digest.finished,
      ttftS.length,
      ttftS.codec,
      ttftS.data,
      e2eS.data,
      digest.outputBinsJson,
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
    };
  }

  /** Copies the digest of run `from` of another database (if it has one) to run `to` here, as stored. */
  copyFrom(source: RunDigestsTable, from: number, to: number): void {
    const row = source.selectRaw.get(from) as unknown[] | undefined;
    if (row !== undefined) this.insertRow.run(to, ...row);
  }
}
