import Database from 'better-sqlite3';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RequestRecords } from '../../../runner/engine/run-records.js';
import { runDigest } from '../../../runner/metrics/run-digest.js';
import { MigrationError } from '../../../runner/store/migration-error.js';
import { openDatabase } from '../../../runner/store/open-database.js';
import { Store } from '../../../runner/store/store.js';
import { sampleMetrics, tempDir } from './fixtures.js';

const REPO_MIGRATIONS = fileURLToPath(new URL('../../../migrations/', import.meta.url));

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

/** A database file at schema 10, made by applying the repository's migrations 0001-0010 from their files. */
function schema10Database(name: string): string {
  const folder = join(dir, `${name}-migrations`);
  mkdirSync(folder);
  for (const f of readdirSync(REPO_MIGRATIONS).filter((f) => /^00(0\d|10)_.*\.sql$/.test(f))) {
    copyFileSync(join(REPO_MIGRATIONS, f), join(folder, f));
  }
  const file = join(dir, name);
  const db = openDatabase(file, { migrationsDir: folder });
  expect(db.pragma('user_version', { simple: true })).toBe(10);
  const at = "'2025-01-01T00:00:00.000Z'";
  const metrics = (requests: number): string => JSON.stringify({ ...sampleMetrics(), requests });
  db.exec(`
    INSERT INTO sweeps (id, name, spec_yaml, spec_json, spec_hash, machine_json, created_at)
      VALUES (1, 'old', 'name: old', '{}', 'h-old', '{"name":"sim"}', ${at});
    INSERT INTO runs (id, sweep_id, run_key, workload, workload_json, policy, params_json, seed, rate,
        machine, status, warnings_json, created_at, started_at, finished_at)
      VALUES (1, 1, 'sim', 'w', '{}', 'fcfs', '{}', 1, 2, 'sim', 'done', '[]', ${at}, ${at}, ${at}),
        (2, 1, 'gpu', 'w', '{}', 'vllm', '{}', 1, 2, 'gpu1/m', 'done', '[]', ${at}, ${at}, ${at}),
        (3, 1, 'none', 'w', '{}', 'vllm', '{}', 2, 2, 'sim', 'done', '[]', ${at}, ${at}, ${at}),
        (4, 1, 'todo', 'w', '{}', 'vllm', '{}', 3, 2, 'sim', 'queued', NULL, ${at}, NULL, NULL);
    INSERT INTO run_metrics (run_id, metrics_json) VALUES (1, '${metrics(4)}'), (2, '${metrics(1)}'),
      (3, '${metrics(0)}');
    INSERT INTO run_requests (run_id, idx, arrival_s, prompt_tokens, output_tokens, first_scheduled_s,
        first_token_s, finish_s, generated_tokens, evictions, preemptions, recomputed_tokens, max_itl_s)
      VALUES (1, 0, 0.5, 10, 4, 0.5, 0.625, 1.0, 4, 0, 0, 0, 0.125),
        (1, 1, 0.75, 2000, 1, 0.75, 0.9, 0.9, 1, 1, 2, 300, NULL),
        (1, 2, 1.0000000000000002, 7, 9, NULL, NULL, NULL, 0, 0, 0, 0, NULL),
        (1, 3, 5e-324, 1, 1, 1e300, 1e300, 1e300, 1, 0, 0, 0, NULL),
        (2, 0, 0.25, 3, 2, 0.25, 0.3, 0.35, 2, 0, 0, 0, 0.05);
    INSERT INTO run_time_series (run_id, idx, t_s, queue_length, running, kv_blocks, prefill_tokens,
        decode_count) VALUES (1, 0, 0.625, 1, 1, 2, 10, 0), (1, 1, 1.0, 0, 1, 3, 0, 1);
    INSERT INTO run_iterations (run_id, idx, start_s, time_s, wall_s, num_prefills, prefill_tokens,
        num_decodes, decode_kv_tokens) VALUES (2, 0, 0.25, 0.0125, 0.013, 1, 3, 0, 0),
      (2, 1, 0.2625, 0.01, 0.011, 0, 0, 1, 4);
  `);
  db.close();
  return file;
}

/** Typed arrays as plain arrays (toEqual compares NaN as equal to NaN). */
function plain(struct: object): Record<string, number[]> {
  return Object.fromEntries(Object.entries(struct).map(([k, v]) => [k, Array.from(v as ArrayLike<number>)]));
}

describe('migration 0011: row tables to column blobs', () => {
  it('converts every run of a schema-10 database exactly, computes digests and drops the row tables', () => {
    const file = schema10Database('v10.db');
    const store = Store.open(file);
    try {
      const requests = store.getRequestRecords(1);
      expect(requests.arrival).toBeInstanceOf(Float64Array);
      expect(requests.promptTokens).toBeInstanceOf(Int32Array);
      const expected: RequestRecords = {
        arrival: Float64Array.from([0.5, 0.75, 1.0000000000000002, 5e-324]),
        promptTokens: Int32Array.from([10, 2000, 7, 1]),
        outputTokens: Int32Array.from([4, 1, 9, 1]),
        firstScheduled: Float64Array.from([0.5, 0.75, NaN, 1e300]),
        firstToken: Float64Array.from([0.625, 0.9, NaN, 1e300]),
        finish: Float64Array.from([1.0, 0.9, NaN, 1e300]),
        generatedTokens: Int32Array.from([4, 1, 0, 1]),
        evictions: Int32Array.from([0, 1, 0, 0]),
        preemptions: Int32Array.from([0, 2, 0, 0]),
        recomputedTokens: Int32Array.from([0, 300, 0, 0]),
        maxItl: Float64Array.from([0.125, NaN, NaN, NaN]),
      };
      expect(plain(requests)).toEqual(plain(expected));
      expect(plain(store.getTimeSeries(1))).toEqual({
        t: [0.625, 1.0],
        queueLength: [1, 0],
        running: [1, 1],
        kvBlocks: [2, 3],
        prefillTokens: [10, 0],
        decodeCount: [0, 1],
      });
      expect(store.getIterations(1)).toBeUndefined();
      expect(plain(store.getIterations(2)!)).toEqual({
        startS: [0.25, 0.2625],
        timeS: [0.0125, 0.01],
        wallS: [0.013, 0.011],
        numPrefills: [1, 0],
        prefillTokens: [3, 0],
        numDecodes: [0, 1],
        decodeKvTokens: [0, 4],
      });
      expect(store.getRunDigest(1)).toEqual(runDigest(expected));
      expect(store.getRunDigest(1)).toMatchObject({ requests: 4, finished: 3 });
      // A done run without rows (every request skipped) reads as empty, with an empty digest.
      expect(store.getRequestRecords(3).arrival).toEqual(new Float64Array(0));
      expect(store.getTimeSeries(3).t).toEqual(new Float64Array(0));
      expect(store.getRunDigest(3)).toMatchObject({ requests: 0, finished: 0, outputBins: [] });
      expect(() => store.getRunDigest(4)).toThrow(/is queued and has no stored results/);
    } finally {
      store.close();
    }
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(12); // 0011, then 0012
      const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all();
      expect(tables).not.toContain('run_requests');
      expect(tables).not.toContain('run_time_series');
      expect(tables).not.toContain('run_iterations');
      expect(db.prepare('SELECT run_id FROM run_digests ORDER BY run_id').pluck().all()).toEqual([1, 2, 3]);
      // runs 1 and 3: 11 + 6 columns; run 2: 11 + 6 + 7.
      const columns = db.prepare('SELECT run_id, count(*) AS n FROM run_columns GROUP BY run_id').all();
      expect(columns).toEqual([
        { run_id: 1, n: 17 },
        { run_id: 2, n: 24 },
        { run_id: 3, n: 17 },
      ]);
    } finally {
      db.close();
    }
  });

  it('reads a schema-10 database opened read-only without converting it', () => {
    const file = schema10Database('ro.db');
    const store = Store.open(file, { readonly: true });
    try {
      expect(store.getRequestRecords(1).promptTokens).toEqual(Int32Array.from([10, 2000, 7, 1]));
      expect(store.getRunDigest(1)).toEqual(runDigest(store.getRequestRecords(1)));
      expect(store.getIterations(2)?.numDecodes).toEqual(Int32Array.from([0, 1]));
    } finally {
      store.close();
    }
    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(10);
    db.close();
  });

  it('rolls the whole migration back when the conversion fails, keeping the rows', () => {
    const file = schema10Database('gap.db');
    const raw = new Database(file);
    raw.exec('DELETE FROM run_requests WHERE run_id = 1 AND idx = 1'); // a damaged database
    raw.close();
    let error: unknown;
    try {
      Store.open(file).close();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toMatch(
      /migration 0011_column_blobs\.sql failed: run_requests: run 1 has no row idx 1 \(found 2\)/,
    );
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(10);
      expect(db.prepare('SELECT count(*) FROM run_requests').pluck().get()).toBe(4);
      expect(db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'run_columns'").pluck().get()).toBe(
        0,
      );
    } finally {
      db.close();
    }
  });
});
