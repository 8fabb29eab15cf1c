import Database from 'better-sqlite3';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

/**
 * `schedbench import` end to end: three real databases built by real sweeps through the CLI.
 * A (the desktop) has its own sweep; B (a GPU server) has its own; C (a laptop) has its own and
 * an import of B. B is imported into A twice, then C: every run must be stored once, B's sweep
 * keeping B as its origin even when it arrives through C.
 */
let dir: string;
let A: string;
let B: string;
let C: string;

/** One row of `schedbench api runs.list`, the fields this test reads. */
interface ListedRun {
  id: number;
  sweepId: number;
  sweepName: string;
  policy: string;
  seed: number;
  originHost: string | null;
  status: string;
  metrics: Record<string, number | null> | null;
}

/** One row of `schedbench runs --format json`, the fields this test reads. */
interface RunJson {
  id: number;
  sweep_id: number;
  policy: string;
  seed: number;
  status: string;
  metrics: Record<string, number | null> | null;
}

/** The ImportSummary printed by `schedbench import --format json`. */
interface Summary {
  file: string;
  source: { id: string; host: string | null; createdAt: string };
  sweepsAdded: number;
  sweepsMerged: number;
  runsAdded: number;
  runsCompleted: number;
  runsSkipped: number;
  calibrationsAdded: number;
  machinesAdded: number;
  machinesSkipped: number;
  skippedMachines: string[];
}

/** Writes a tiny typed-workload sweep spec (300 requests per run) and runs it into `db`. */
function sweep(db: string, name: string, seeds: number[], policies: string[]): void {
  const spec = join(dir, `${name}.yaml`);
  writeFileSync(
    spec,
    [
      `name: ${name}`,
      'machine: a100-llama2-7b-linear',
      'requests: 300',
      `seeds: [${seeds.join(', ')}]`,
      'workloads:',
      '  - name: typed',
      '    types: [{ prompt: 20, output: 100, rate: 6 }, { prompt: 20, output: 200, rate: 4 }]',
      `policies: [${policies.map((p) => `{ policy: ${p} }`).join(', ')}]`,
      '',
    ].join('\n'),
  );
  const r = runCli(['sweep', spec, '--db', db, '--jobs', '2']);
  expect(r.code, r.stderr).toBe(0);
}

/** `schedbench import FILE --db INTO --format json`, expected to succeed. */
function importJson(file: string, into: string): Summary {
  const r = runCli(['import', file, '--db', into, '--format', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Summary;
}

/** The runs of a database through `schedbench api runs.list`. */
function listRuns(db: string): ListedRun[] {
  const r = runCli(['api', 'runs.list', '{}', '--db', db]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ListedRun[];
}

/** `schedbench runs --db DB --format json`. */
function runsJson(db: string): RunJson[] {
  const r = runCli(['runs', '--db', db, '--format', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as RunJson[];
}

/** The sweeps of a database with their origin, read from the SQLite file (read-only). */
function sweepOrigins(db: string): { name: string; origin_db: string | null; origin_host: string | null }[] {
  const conn = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return conn.prepare('SELECT name, origin_db, origin_host FROM sweeps ORDER BY name').all() as {
      name: string;
      origin_db: string | null;
      origin_host: string | null;
    }[];
  } finally {
    conn.close();
  }
}

/** The database identity id of a database, read from the SQLite file (read-only). */
function identityOf(db: string): string {
  const conn = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return conn.prepare('SELECT id FROM database_identity').pluck().get() as string;
  } finally {
    conn.close();
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'schedbench-import-'));
  A = join(dir, 'desktop-a.db');
  B = join(dir, 'server-b.db');
  C = join(dir, 'laptop-c.db');
  sweep(A, 'desktop-a', [1], ['fcfs', 'vllm-v1']); // 2 runs
  sweep(B, 'server-b', [1, 2], ['vllm', 'sarathi']); // 4 runs
  sweep(C, 'laptop-c', [3], ['fcfs']); // 1 run
  expect(importJson(B, C)).toMatchObject({ sweepsAdded: 1, runsAdded: 4 }); // C holds B's sweep too
});

describe('schedbench import', () => {
  it('merges another database and says what it merged; importing it again adds nothing', () => {
    const first = runCli(['import', B, '--db', A]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe(
      [
        `imported ${B} (database ${identityOf(B)}, created on host ${hostname()}) into ${A}`,
        '  sweeps:          1 new, 0 already here (merged into)',
        '  runs:            4 new, 0 completed with its results, 0 already here (left as they are)',
        '  calibrations:    0 new',
        '  worker machines: 0 new, 0 not imported',
        '',
      ].join('\n'),
    );

    const again = runCli(['import', B, '--db', A]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/\n {2}sweeps: +0 new, 1 already here \(merged into\)\n/);
    expect(again.stdout).toMatch(/\n {2}runs: +0 new, 0 completed with its results, 4 already here/);
    expect(again.stdout).toMatch(/\nnothing new: everything in it was here already\n$/);

    expect(importJson(B, A)).toEqual({
      file: B,
      source: { id: identityOf(B), host: hostname(), createdAt: expect.any(String) as string },
      sweepsAdded: 0,
      sweepsMerged: 1,
      runsAdded: 0,
      runsCompleted: 0,
      runsSkipped: 4,
      calibrationsAdded: 0,
      machinesAdded: 0,
      machinesSkipped: 0,
      skippedMachines: [],
    });
  });

  it('imports a database that itself holds an import of the first without duplicating its runs', () => {
    expect(importJson(C, A)).toMatchObject({
      file: C,
      source: { id: identityOf(C) },
      sweepsAdded: 1, // C's own
      sweepsMerged: 1, // B's, here already
      runsAdded: 1,
      runsSkipped: 4,
    });
    expect(importJson(C, A)).toMatchObject({ sweepsAdded: 0, sweepsMerged: 2, runsAdded: 0, runsSkipped: 5 });
    expect(importJson(B, A)).toMatchObject({ sweepsAdded: 0, runsAdded: 0, runsSkipped: 4 });

    // Every run exactly once: A's 2, B's 4 (arrived twice directly and once through C), C's 1.
    const runs = listRuns(A);
    const keys = runs.map((r) => `${r.sweepName}/${r.policy}/seed ${r.seed}`).sort();
    expect(keys).toEqual([
      'desktop-a/fcfs/seed 1',
      'desktop-a/vllm-v1/seed 1',
      'laptop-c/fcfs/seed 3',
      'server-b/sarathi/seed 1',
      'server-b/sarathi/seed 2',
      'server-b/vllm/seed 1',
      'server-b/vllm/seed 2',
    ]);
    expect(new Set(runs.map((r) => r.id)).size).toBe(7);
    expect(runs.every((r) => r.status === 'done')).toBe(true);
    // All three databases were built on this machine: the host each sweep ran on is kept.
    expect(runs.map((r) => r.originHost)).toEqual(runs.map(() => hostname()));

    // Origins: B's sweep comes from B even though C also brought it; C's own from C.
    expect(sweepOrigins(A)).toEqual([
      { name: 'desktop-a', origin_db: null, origin_host: hostname() },
      { name: 'laptop-c', origin_db: identityOf(C), origin_host: hostname() },
      { name: 'server-b', origin_db: identityOf(B), origin_host: hostname() },
    ]);

    // The imported runs carry their results as they are in B.
    const inA = runsJson(A);
    const bSweepInA = runs.find((r) => r.sweepName === 'server-b')!.sweepId;
    const strip = ({ id: _id, sweep_id: _sweep, ...rest }: RunJson) => rest;
    const bySeedPolicy = (a: RunJson, b: RunJson) => a.seed - b.seed || a.policy.localeCompare(b.policy);
    expect(
      inA
        .filter((r) => r.sweep_id === bSweepInA)
        .sort(bySeedPolicy)
        .map(strip),
    ).toEqual(runsJson(B).sort(bySeedPolicy).map(strip));
  });

  it('refuses a missing file, a file that is not a schedbench database, and the database itself: exit 2, nothing imported', () => {
    const before = runsJson(A);
    const refused = (file: string, into: string, message: string): void => {
      const r = runCli(['import', file, '--db', into]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`schedbench: ${message}\n`);
    };

    const missing = join(dir, 'missing.db');
    refused(missing, A, `${missing}: no such file`);

    const notes = join(dir, 'notes.db');
    writeFileSync(notes, 'these are my notes, not a database '.repeat(200));
    refused(notes, A, `${notes}: not a SQLite database`);

    const plain = join(dir, 'plain.db');
    const other = new Database(plain);
    other.exec('CREATE TABLE notes (text TEXT)');
    other.close();
    refused(plain, A, `${plain}: not a schedbench database (it has no schema migrations)`);

    const id = identityOf(A);
    refused(
      A,
      A,
      `${A} is this database or a copy of it (both have database identity ${id}); nothing to import`,
    );
    const copy = join(dir, 'copy-of-a.db');
    copyFileSync(A, copy);
    refused(
      copy,
      A,
      `${copy} is this database or a copy of it (both have database identity ${id}); nothing to import`,
    );

    const format = runCli(['import', B, '--db', A, '--format', 'xml']);
    expect(format.code).toBe(2);
    expect(format.stderr).toBe('schedbench: --format must be one of text, json, got "xml"\n');

    expect(runsJson(A)).toEqual(before);
  });
});
