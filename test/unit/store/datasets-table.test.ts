import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewDataset } from '../../../runner/store/datasets-table.js';
import { Store } from '../../../runner/store/store.js';
import { tempDir } from './fixtures.js';

/** The `datasets` table (migration 0005) on a real SQLite file. */
let tmp: ReturnType<typeof tempDir>;
let file: string;
let store: Store;

const dataset = (over: Partial<NewDataset> = {}): NewDataset => ({
  name: 'burst',
  format: 'csv',
  path: '/data/datasets/0123-burst.csv',
  originalPath: '/home/me/burst.csv',
  sha256: 'a'.repeat(64),
  columns: { arrival: 'Timestamp', prompt: 'Request tokens', output: 'Response tokens' },
  timeUnit: 's',
  timestampFormat: 'seconds',
  requests: 1000,
  ...over,
});

beforeEach(() => {
  tmp = tempDir();
  file = join(tmp.dir, 'results.db');
  store = Store.open(file);
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

describe('datasets table', () => {
  it('stores a dataset and reads it back, across a reopen', () => {
    const stored = store.datasets.add(dataset());
    expect(stored).toMatchObject({ ...dataset(), id: 1 });
    expect(stored.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    store.datasets.add(dataset({ name: 'azure-like', timestampFormat: 'datetime', timeUnit: 'ms' }));
    store.close();
    store = Store.open(file);
    expect(store.datasets.list().map((d) => [d.name, d.timeUnit])).toEqual([
      ['burst', 's'],
      ['azure-like', null], // a datetime has no unit
    ]);
    expect(store.datasets.byName('burst')?.columns).toEqual(dataset().columns);
    expect(store.datasets.byId(2)?.name).toBe('azure-like');
    expect(store.datasets.remove(1)).toBe(true);
    expect(store.datasets.remove(1)).toBe(false);
  });

  it('refuses a taken name, an empty one and control characters, naming the field', () => {
    store.datasets.add(dataset());
    expect(() => store.datasets.add(dataset())).toThrow(/name: a dataset named "burst" exists already/);
    expect(() => store.datasets.add(dataset({ name: ' ' }))).toThrow(/name: give the dataset a name/);
    expect(() => store.datasets.add(dataset({ name: 'a\tb' }))).toThrow(/name: no control characters/);
    expect(() => store.datasets.add(dataset({ name: 'x'.repeat(81) }))).toThrow(/at most 80/);
    expect(store.datasets.list()).toHaveLength(1);
  });

  it('keeps its rules in the schema too (rows written by other tools)', () => {
    store.close();
    const raw = new Database(file);
    const insert = (name: string, sha: string, unit: string | null, format: string, requests: number) =>
      raw
        .prepare(
          'INSERT INTO datasets (name, format, path, original_path, sha256, columns_json, time_unit, ' +
            "timestamp_format, requests, created_at) VALUES (?, 'csv', '/p', '/o', ?, '{}', ?, ?, ?, 'now')",
        )
        .run(name, sha, unit, format, requests);
    expect(() => insert('ok', 'b'.repeat(64), 's', 'seconds', 5)).not.toThrow();
    expect(() => insert('short-sha', 'abc', 's', 'seconds', 5)).toThrow(/CHECK constraint/);
    expect(() => insert('unit-on-datetime', 'b'.repeat(64), 'ms', 'datetime', 5)).toThrow(/CHECK constraint/);
    expect(() => insert('no-requests', 'b'.repeat(64), 's', 'seconds', 0)).toThrow(/CHECK constraint/);
    expect(() => insert('ok', 'b'.repeat(64), 's', 'seconds', 5)).toThrow(/UNIQUE/);
    expect(() => insert('new\nline', 'b'.repeat(64), 's', 'seconds', 5)).toThrow(/CHECK constraint/);
    raw.close();
    store = Store.open(file);
  });
});
