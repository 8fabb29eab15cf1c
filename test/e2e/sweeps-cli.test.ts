import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, REPO, runCli } from '../helpers/cli.js';
import { storedElementsSql } from '../helpers/stored-runs.js';

/**
 * `schedbench sweeps rename` and `schedbench sweeps delete` end to end, on a database built by
 * real sweeps through the CLI: unknown ids and bad names exit 2; `delete` without `--yes` refuses
 * when stdin is not a terminal and asks when it is (a pseudo-terminal made by util-linux
 * `script`); a deleted sweep takes its runs and all their results and nothing else.
 */
let dir: string;
let db: string;
let first = 0;
let second = 0;

/** Writes a spec of two runs (two seeds) of 40 typed requests and runs it into `db`; returns the sweep id. */
function sweep(name: string): number {
  const spec = join(dir, `${name}.yaml`);
  writeFileSync(
    spec,
    [
      `name: ${name}`,
      'machine: a100-llama2-7b',
      'requests: 40',
      'seeds: [1, 2]',
      'workloads:',
      '  - name: typed',
      '    types: [{ prompt: 20, output: 20, rate: 5 }]',
      'policies: [{ policy: fcfs }]',
      '',
    ].join('\n'),
  );
  const r = runCli(['sweep', spec, '--db', db, '--jobs', '1']);
  expect(r.code, r.stderr).toBe(0);
  return Number(r.stdout.trim().split('\n').at(-1));
}

/** Rows per table of the database (read on a connection of its own). */
function counts(): Record<string, number> {
  const conn = new Database(db, { readonly: true });
  try {
    const tables = conn
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .pluck()
      .all() as string[];
    return Object.fromEntries(
      tables.map((t) => [t, conn.prepare(`SELECT count(*) FROM "${t}"`).pluck().get() as number]),
    );
  } finally {
    conn.close();
  }
}

/** The sweeps `schedbench api sweeps.list` gives: id and name. */
function sweeps(): { id: number; name: string }[] {
  const r = runCli(['api', 'sweeps.list', '{}', '--db', db]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { id: number; name: string }[]).map(({ id, name }) => ({ id, name }));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'schedbench-sweeps-cli-'));
  db = join(dir, 'cli.db');
  first = sweep('first');
  second = sweep('second');
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('schedbench sweeps rename', () => {
  it('renames a sweep (trimmed) and says so', () => {
    const r = runCli(['sweeps', 'rename', String(first), '  first, renamed ', '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`sweep ${first} renamed: "first" -> "first, renamed"\n`);
    expect(sweeps()).toEqual([
      { id: second, name: 'second' },
      { id: first, name: 'first, renamed' },
    ]);
  });

  it('exits 2 for an unknown id, a bad id, a bad name and a missing database; nothing changes', () => {
    const before = counts();
    const cases: [string[], RegExp][] = [
      [['sweeps', 'rename', '999', 'x', '--db', db], /^schedbench: no sweep with id 999\n$/],
      [['sweeps', 'rename', 'one', 'x', '--db', db], /ID must be a positive integer, got "one"/],
      [['sweeps', 'rename', String(first), '   ', '--db', db], /name: give the sweep a name/],
      [['sweeps', 'rename', String(first), 'a\nb', '--db', db], /name: no control characters/],
      [['sweeps', 'rename', String(first), 'x', '--db', join(dir, 'nope.db')], /no database at/],
    ];
    for (const [args, message] of cases) {
      const r = runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(existsSync(join(dir, 'nope.db'))).toBe(false);
    expect(counts()).toEqual(before);
  });
});

describe('schedbench sweeps delete', () => {
  it('refuses without --yes when stdin is not a terminal, and exits 2 for an unknown id', () => {
    const before = counts();
    const refused = runCli(['sweeps', 'delete', String(second), '--db', db]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `schedbench: not deleting sweep ${second} ("second") and its 2 runs without confirmation: ` +
        'stdin is not a terminal; pass --yes to delete it\n',
    );
    const unknown = runCli(['sweeps', 'delete', '999', '--yes', '--db', db]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('schedbench: no sweep with id 999\n');
    expect(counts()).toEqual(before);
  });

  it.skipIf(!existsSync('/usr/bin/script'))(
    'asks on a terminal: "n" deletes nothing, "y" deletes',
    () => {
      const before = counts();
      const onTerminal = (answer: string): string => {
        // util-linux script runs the command on a pseudo-terminal fed from this stdin.
        const command = [process.execPath, BIN, 'sweeps', 'delete', String(second), '--db', db]
          .map((a) => `'${a}'`)
          .join(' ');
        const r = spawnSync('/usr/bin/script', ['-qec', command, '/dev/null'], {
          cwd: REPO,
          input: `${answer}\n`,
          encoding: 'utf8',
          timeout: 60_000,
        });
        expect(r.status, r.stdout + r.stderr).toBe(0);
        return r.stdout;
      };
      const no = onTerminal('n');
      expect(no).toContain(
        `Delete sweep ${second} ("second") and its 2 runs (2 done, 0 failed, 0 queued) with all of their results? This cannot be undone. [y/N]`,
      );
      expect(no).toContain('nothing deleted');
      expect(counts()).toEqual(before);
      expect(onTerminal('y')).toContain(`deleted sweep ${second} ("second") and its 2 runs`);
      expect(sweeps().map((s) => s.id)).toEqual([first]);
      // Recreate it for the next test.
      second = sweep('second');
    },
    120_000,
  );

  it('with --yes deletes the sweep, its runs and all of their results, and nothing else', () => {
    // One run as a killed process leaves it: marked running, no results stored.
    const conn = new Database(db);
    const killed = conn
      .prepare('SELECT id FROM runs WHERE sweep_id = ? ORDER BY id DESC LIMIT 1')
      .pluck()
      .get(second) as number;
    for (const t of ['run_metrics', 'run_columns', 'run_digests']) {
      conn.prepare(`DELETE FROM ${t} WHERE run_id = ?`).run(killed);
    }
    conn.prepare("UPDATE runs SET status = 'running', finished_at = NULL WHERE id = ?").run(killed);
    const ofRuns = (t: string): number =>
      conn
        .prepare(`SELECT count(*) FROM ${t} WHERE run_id IN (SELECT id FROM runs WHERE sweep_id = ?)`)
        .pluck()
        .get(second) as number;
    const owned: Record<string, number> = {
      sweeps: 1,
      runs: 2,
      run_metrics: ofRuns('run_metrics'),
      run_columns: ofRuns('run_columns'),
      run_digests: ofRuns('run_digests'),
    };
    const requests = conn
      .prepare(storedElementsSql('requests', 'run_id IN (SELECT id FROM runs WHERE sweep_id = ?)'))
      .get(second) as { n: number };
    conn.close();
    // One done run: its 11 request and 6 time-series columns, its digest; 40 requests.
    expect(owned).toMatchObject({ run_metrics: 1, run_columns: 17, run_digests: 1 });
    expect(requests.n).toBe(40);
    const before = counts();

    const r = runCli(['sweeps', 'delete', String(second), '--yes', '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`deleted sweep ${second} ("second") and its 2 runs\n`);
    expect(r.stderr).toBe(
      'schedbench: warning: 1 of its runs are marked running by a schedbench process that was killed ' +
        '(no process is executing the sweep now)\n',
    );
    const after = counts();
    const removed = Object.fromEntries(Object.keys(before).map((t) => [t, before[t] - after[t]]));
    expect(removed).toEqual(Object.fromEntries(Object.keys(before).map((t) => [t, owned[t] ?? 0])));
    expect(sweeps()).toEqual([{ id: first, name: 'first, renamed' }]);
    const runs = runCli(['api', 'runs.list', '{}', '--db', db]);
    expect(runs.code, runs.stderr).toBe(0);
    const listed = JSON.parse(runs.stdout) as { sweepId: number; status: string }[];
    expect(listed).toEqual([
      expect.objectContaining({ sweepId: first, status: 'done' }),
      expect.objectContaining({ sweepId: first, status: 'done' }),
    ]);
  });
});
