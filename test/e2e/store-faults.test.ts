import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { expectEveryRunDoneOnce } from '../helpers/stored-runs.js';

// docs/decisions.md, "A store failure never fails another run": a store fault (disk full, a lock
// held by another process too long) stops the sweep with one message, fails no run, and the same
// command resumes it once the cause is gone.

const dirs: string[] = [];
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) {
    try {
      execFileSync('umount', [m]);
    } catch {
      // already unmounted
    }
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'schedbench-store-faults-'));
  dirs.push(dir);
  return dir;
}

function writeSpec(dir: string, requests: number, seeds: number): string {
  const spec = join(dir, 'spec.yaml');
  writeFileSync(
    spec,
    [
      'name: store-faults',
      'machine: a100-llama2-7b',
      `requests: ${requests}`,
      `seeds: [${Array.from({ length: seeds }, (_, i) => i + 1).join(', ')}]`,
      'workloads:',
      '  - { name: typed, types: [{ prompt: 200, output: 100, rate: 6 }] }',
      'policies: [{ policy: vllm }, { policy: fcfs }]',
      '',
    ].join('\n'),
  );
  return spec;
}

function statusCounts(db: string): Record<string, number> {
  const conn = new Database(db, { readonly: true, fileMustExist: true });
  try {
    const rows = conn.prepare('SELECT status, count(*) AS n FROM runs GROUP BY status').all() as {
      status: string;
      n: number;
    }[];
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  } finally {
    conn.close();
  }
}

/** Why a tmpfs cannot be mounted at `dir` (undefined when it was), after trying. */
function mountTmpfs(dir: string, size: string): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (mounting a tmpfs needs it)';
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    mounts.push(dir);
    return undefined;
  } catch (e) {
    return `mount -t tmpfs failed: ${(e as Error).message.split('\n')[0]}`;
  }
}

describe('a sweep on a full disk', () => {
  it('stops with one message, fails no run, and the same command completes it after space is freed', (ctx) => {
    const dir = tempDir();
    const mnt = join(dir, 'mnt');
    mkdirSync(mnt);
    const reason = mountTmpfs(mnt, '1m');
    if (reason) {
      if (process.env.SCHEDBENCH_REQUIRE_ALL === '1') {
        throw new Error(`SCHEDBENCH_REQUIRE_ALL=1 but ${reason}: the disk-full test cannot run`);
      }
      console.warn(
        `SKIPPED the disk-full sweep test: ${reason}. Set SCHEDBENCH_REQUIRE_ALL=1 to make this an error.`,
      );
      ctx.skip();
      return;
    }
    const RUNS = 8;
    const REQUESTS = 3000; // about 270 kB stored per run: a 1 MB tmpfs fills after 2 or 3
    const spec = writeSpec(dir, REQUESTS, RUNS / 2);
    const db = join(mnt, 'full.db');
    const args = ['sweep', spec, '--db', db, '--jobs', '2'];

    const full = runCli(args);
    expect(full.code, full.stderr).toBe(1);
    const messages = full.stderr.split('\n').filter((l) => l.startsWith('schedbench:'));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(
      new RegExp(
        `^schedbench: database ${db.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: disk full \\(SQLITE_FULL\\) ` +
          'while storing run \\d+; the sweep stopped, \\d+ run\\(s\\) done are kept; free space and run it again to resume:$',
      ),
    );
    expect(full.stderr).not.toMatch(/internal error|Terminating worker thread|\n\s+at /);
    const after = statusCounts(db);
    expect(after.failed ?? 0).toBe(0);
    expect(after.done ?? 0).toBeLessThan(RUNS);
    // Requeued by this invocation when the store still could, else by the next one.
    expect((after.done ?? 0) + (after.queued ?? 0) + (after.running ?? 0)).toBe(RUNS);

    execFileSync('mount', ['-o', 'remount,size=32m', mnt]);
    const resumed = runCli(args);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming sweep 1/);
    expectEveryRunDoneOnce(db, RUNS, REQUESTS);
  });
});

describe('a sweep while another connection holds the write lock', () => {
  const RUNS = 6;
  const REQUESTS = 20_000; // runs of about a second each, so the lock is taken mid-sweep

  /** Starts the sweep, takes the lock once its first run is done; resolves when the sweep exits. */
  async function sweepUnderLock(
    busyWaitMs: number,
    holdMs: number | 'until-exit',
  ): Promise<{
    code: number | null;
    stderr: string;
    db: string;
    spec: string;
    heldMs: number;
    wallMs: number;
  }> {
    const dir = tempDir();
    const spec = writeSpec(dir, REQUESTS, RUNS / 2);
    const db = join(dir, 'locked.db');
    const begun = Date.now();
    const child = startCli(['sweep', spec, '--db', db, '--jobs', '1'], {
      env: { SCHEDBENCH_STORE_BUSY_WAIT_MS: String(busyWaitMs) },
    });
    let stderr = '';
    let locker: Database.Database | undefined;
    let lockedAt = 0;
    let heldMs = 0;
    const release = (): void => {
      if (!locker) return;
      locker.exec('COMMIT');
      locker.close();
      heldMs = Date.now() - lockedAt;
      locker = undefined;
    };
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.setEncoding('utf8').on('data', (text: string) => {
        stderr += text;
        if (lockedAt === 0 && /^\[1\/\d+\] run \d+ /m.test(stderr)) {
          locker = new Database(db);
          locker.exec('BEGIN EXCLUSIVE');
          lockedAt = Date.now();
          if (holdMs !== 'until-exit') setTimeout(release, holdMs);
        }
      });
      child.on('exit', (c) => {
        release();
        resolve(c);
      });
    });
    expect(existsSync(db)).toBe(true);
    return { code, stderr, db, spec, heldMs, wallMs: Date.now() - begun };
  }

  it('waits for a lock released within the bound, then completes', async () => {
    // Held 7 s: past the connection's 5 s busy timeout, so the retry is what waits.
    const r = await sweepUnderLock(20_000, 7000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.heldMs).toBeGreaterThanOrEqual(7000);
    expect(r.stderr).not.toMatch(/schedbench:/);
    expectEveryRunDoneOnce(r.db, RUNS, REQUESTS);
  }, 60_000);

  it('stops with one message when the lock is held past the bound; the same command resumes', async () => {
    const r = await sweepUnderLock(1000, 'until-exit');
    expect(r.code, r.stderr).toBe(1);
    const messages = r.stderr.split('\n').filter((l) => l.startsWith('schedbench:'));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(
      /^schedbench: database .*locked\.db: locked by another process for too long \(SQLITE_BUSY\) while storing run \d+; the sweep stopped, \d+ run\(s\) done are kept; stop the other process/,
    );
    const after = statusCounts(r.db);
    expect(after.failed ?? 0).toBe(0);
    expect(after.done ?? 0).toBeLessThan(RUNS);
    const resumed = runCli(['sweep', r.spec, '--db', r.db, '--jobs', '1']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expectEveryRunDoneOnce(r.db, RUNS, REQUESTS);
  }, 60_000);
});
