import Database from 'better-sqlite3';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReplicaLoad } from '../../../runner/metrics/replica-loads.js';
import { openDatabase } from '../../../runner/store/open-database.js';
import { Store } from '../../../runner/store/store.js';
import { newSweep, sampleResult, tempDir } from './fixtures.js';

const REPO_MIGRATIONS = fileURLToPath(new URL('../../../migrations/', import.meta.url));

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

/** A migrations folder with the repository's migrations up to `last` (inclusive). */
function migrationsUpTo(last: number): string {
  const folder = join(dir, `migrations-${last}`);
  mkdirSync(folder);
  for (const f of readdirSync(REPO_MIGRATIONS).filter((f) => /^\d{4}_.*\.sql$/.test(f))) {
    if (Number(f.slice(0, 4)) <= last) copyFileSync(join(REPO_MIGRATIONS, f), join(folder, f));
  }
  return folder;
}

/** A Store with one sweep whose first run is done with `result`'s digest carrying `loads`. */
let sweeps = 0;
function storeDoneRun(store: Store, loads?: ReplicaLoad[]): number {
  const sweepId = store.createSweep(newSweep({ specHash: `hash-${++sweeps}` }));
  const runId = store.listRuns({ sweepId })[0].id;
  store.markRunning(runId);
  const result = sampleResult(20);
  store.completeRun(runId, loads ? { ...result, digest: { ...result.digest, replicaLoads: loads } } : result);
  return runId;
}

const LOADS: ReplicaLoad[] = [
  { replica: 0, requests: 12, completed: 10, tokens: 9000 },
  { replica: 1, requests: 8, completed: 7, tokens: 7000 },
];

describe('migration 0012: replica loads with the digest', () => {
  it('stores and reads back a cluster run loads; a one-replica run has none', () => {
    const store = Store.open(join(dir, 'new.db'));
    try {
      const cluster = storeDoneRun(store, LOADS);
      expect(store.getRunDigest(cluster).replicaLoads).toEqual(LOADS);
      const single = storeDoneRun(store);
      expect(store.getRunDigest(single).replicaLoads).toBeUndefined();
    } finally {
      store.close();
    }
  });

  it('refuses loads that do not add up, naming the field', () => {
    const store = Store.open(join(dir, 'bad.db'));
    try {
      const bad = [{ ...LOADS[0], completed: 13 }, LOADS[1]];
      expect(() => storeDoneRun(store, bad)).toThrow(/digest\.replicaLoads must be/);
      const tooMany = [LOADS[0], { ...LOADS[1], requests: 9 }]; // 21 requests of 20
      expect(() => storeDoneRun(store, tooMany)).toThrow(/at most 20 requests in all/);
    } finally {
      store.close();
    }
  });

  it('migrates a schema-11 database: its done runs keep their digests, without loads', () => {
    const file = join(dir, 'old.db');
    const db = openDatabase(file, { migrationsDir: migrationsUpTo(11) });
    expect(db.pragma('user_version', { simple: true })).toBe(11);
    db.close();
    // A schema-11 build stored a done run.
    const old = Store.open(file, { migrationsDir: join(dir, 'migrations-11') });
    let runId: number;
    try {
      runId = storeDoneRun(old);
    } finally {
      old.close();
    }
    // Read-only, this build reads it at schema 11 without migrating it.
    const readOnly = Store.open(file, { readonly: true });
    try {
      expect(readOnly.getRunDigest(runId)).toMatchObject({ requests: 20 });
      expect(readOnly.getRunDigest(runId).replicaLoads).toBeUndefined();
    } finally {
      readOnly.close();
    }
    const check = new Database(file, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(11);
    check.close();
    // Opened for writing, it migrates to 12 and stores cluster runs beside the old one.
    const store = Store.open(file);
    let cluster: number;
    try {
      expect(store.getRunDigest(runId).replicaLoads).toBeUndefined();
      cluster = storeDoneRun(store, LOADS);
      expect(store.getRunDigest(cluster).replicaLoads).toEqual(LOADS);
    } finally {
      store.close();
    }
    const migrated = new Database(file, { readonly: true });
    try {
      expect(migrated.pragma('user_version', { simple: true })).toBe(12);
      // The column holds JSON or NULL only.
      const stored = migrated
        .prepare('SELECT run_id, replica_loads_json FROM run_digests ORDER BY run_id')
        .raw(true)
        .all();
      expect(stored).toEqual([
        [runId, null],
        [cluster, JSON.stringify(LOADS)],
      ]);
    } finally {
      migrated.close();
    }
  });
});
