import Database from 'better-sqlite3';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApiService } from '../../../runner/api/api-service.js';
import { Store } from '../../../runner/store/store.js';
import { executeSweep } from '../../../runner/sweeps/sweep-executor.js';
import { planSweep } from '../../../runner/sweeps/sweep-plan.js';
import { tinyTypedSpec } from '../../helpers/tiny-spec.js';

// A database fault met after the API opened its database (here a corrupt page of the per-request
// table, on a real file) is answered `internal` with a message naming the database file and
// SQLite's cause, and no stack (runner/api/api-errors.ts).

const dir = mkdtempSync(join(tmpdir(), 'schedbench-api-fault-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('API errors from the database', () => {
  it('a corrupt page read by runs.requests: internal, naming the file and the cause, no stack', async () => {
    const spec = join(dir, 'tiny.yaml');
    writeFileSync(spec, tinyTypedSpec('tiny'));
    const file = join(dir, 'results.db');
    const writer = Store.open(file);
    const outcome = await executeSweep(planSweep(spec), writer, { jobs: 1 });
    writer.close();
    expect(outcome.done).toBe(1);

    // Overwrite the column table's root page with garbage (the WAL is checkpointed on close).
    const raw = new Database(file, { readonly: true });
    const pageSize = raw.pragma('page_size', { simple: true }) as number;
    const root = raw
      .prepare("SELECT rootpage FROM sqlite_schema WHERE name = 'run_columns'")
      .pluck()
      .get() as number;
    raw.close();
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (root - 1) * pageSize);
    closeSync(fd);

    const store = Store.open(file);
    const api = createApiService(store, { jobs: 1, cwd: dir });
    try {
      const listed = await api.call('runs.list', {});
      expect(listed.ok).toBe(true);
      const result = await api.call('runs.requests', { runId: 1 });
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error.code).toBe('internal');
      expect(result.error.message).toMatch(
        new RegExp(
          `^database ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: the database is corrupt or truncated; restore it from a copy \\(SQLite SQLITE_CORRUPT`,
        ),
      );
      expect(result.error.message).not.toMatch(/\n\s+at /);
    } finally {
      await api.close();
      store.close();
    }
  });
});
