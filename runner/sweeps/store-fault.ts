import { sqliteErrorCode } from '../store/sqlite-error-code.js';

/**
 * How long the sweep executor keeps retrying a store write that failed with SQLITE_BUSY (another
 * process holds the database's write lock), ms, counted from the first try; each try itself waits
 * the connection's busy timeout (BUSY_TIMEOUT_MS, 5 s) first. SCHEDBENCH_STORE_BUSY_WAIT_MS in
 * the environment overrides it: for tests only (test/e2e/store-faults.test.ts), like
 * SCHEDBENCH_HOLD_RUNS.
 */
export const STORE_BUSY_WAIT_MS = 30_000;

/** STORE_BUSY_WAIT_MS, or SCHEDBENCH_STORE_BUSY_WAIT_MS (test-only) when set to a number >= 0. */
export function storeBusyWaitMs(): number {
  const env = Number(process.env.SCHEDBENCH_STORE_BUSY_WAIT_MS);
  return process.env.SCHEDBENCH_STORE_BUSY_WAIT_MS !== undefined && Number.isFinite(env) && env >= 0
    ? env
    : STORE_BUSY_WAIT_MS;
}

/**
 * True when `err` is a fault of the database rather than of the data written: a SqliteError whose
 * code is not a constraint, type or size violation (SQLITE_FULL, SQLITE_IOERR_*, SQLITE_BUSY,
 * SQLITE_READONLY, SQLITE_CORRUPT, SQLITE_CANTOPEN, ...), or a closed connection.
 */
export function isStoreFault(err: unknown): boolean {
  const code = sqliteErrorCode(err);
  if (code === undefined || !code.startsWith('SQLITE_')) {
    return err instanceof TypeError && /database connection is not open/.test(err.message);
  }
  return !/^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/.test(code);
}

function isBusy(err: unknown): boolean {
  return /^SQLITE_(BUSY|LOCKED)/.test(sqliteErrorCode(err) ?? '');
}

/**
 * Calls `write` (a synchronous store write), and again after a growing pause (0.1 s doubling up to
 * 2 s) while it fails with SQLITE_BUSY / SQLITE_LOCKED and `waitMs` has not passed since the first
 * try.
 * @returns what `write` returns: the value itself when the first try succeeds, else a promise of it
 * @throws what the first try threw when it is not SQLITE_BUSY / SQLITE_LOCKED (synchronously);
 *   the promise rejects with what the last try threw
 */
export function retryWhileBusy<T>(write: () => T, waitMs: number): T | Promise<T> {
  // The first try is synchronous: a write that succeeds at once returns its value, not a promise,
  // so the caller can report it before anything else runs (the sweep's progress events).
  const deadline = Date.now() + waitMs;
  try {
    return write();
  } catch (err) {
    if (!isBusy(err) || waitMs <= 0) throw err;
  }
  return retryLater(write, deadline);
}

async function retryLater<T>(write: () => T, deadline: number): Promise<T> {
  let pause = 100;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, Math.max(0, deadline - Date.now()))));
    pause = Math.min(pause * 2, 2000);
    try {
      return write();
    } catch (err) {
      if (!isBusy(err) || deadline - Date.now() <= 0) throw err;
    }
  }
}

/** What a SQLite fault means, in words. */
function describeFault(err: unknown): string {
  const code = sqliteErrorCode(err);
  const base = code?.replace(/_[A-Z]+$/, '');
  const words =
    code === 'SQLITE_FULL'
      ? 'disk full'
      : base === 'SQLITE_IOERR' || code === 'SQLITE_IOERR'
        ? 'I/O error'
        : code?.startsWith('SQLITE_BUSY') || code?.startsWith('SQLITE_LOCKED')
          ? 'locked by another process for too long'
          : code?.startsWith('SQLITE_READONLY')
            ? 'read-only'
            : code?.startsWith('SQLITE_CORRUPT')
              ? 'corrupt'
              : undefined;
  const message = err instanceof Error ? err.message : String(err);
  if (words && code) return `${words} (${code})`;
  return code ? `${message} (${code})` : message;
}

function adviceFor(err: unknown): string {
  const code = sqliteErrorCode(err) ?? '';
  if (code === 'SQLITE_FULL') return 'free space and run it again to resume';
  if (/^SQLITE_(BUSY|LOCKED)/.test(code))
    return 'stop the other process that writes to the database and run it again to resume';
  if (code.startsWith('SQLITE_READONLY')) return 'make the database writable and run it again to resume';
  return 'fix the cause and run it again to resume';
}

/**
 * A store write of a sweep failed because of the database (disk full, I/O error, lock held too
 * long, read-only file...), not because of a run: the sweep stopped, no run failed for it, the
 * runs in flight were queued again (or will be by the next invocation), and what ended is kept.
 */
export class StoreFaultError extends Error {
  /**
   * @param file the database file
   * @param cause the store's error
   * @param runId the run being stored when it happened, if any
   * @param done runs of the sweep done and kept (undefined when unknown)
   */
  constructor(
    readonly file: string,
    cause: unknown,
    readonly runId: number | undefined,
    readonly done: number | undefined,
  ) {
    super(
      `database ${file}: ${describeFault(cause)}` +
        (runId === undefined ? '' : ` while storing run ${runId}`) +
        '; the sweep stopped' +
        (done === undefined ? '' : `, ${done} run(s) done are kept`) +
        `; ${adviceFor(cause)}`,
      { cause },
    );
    this.name = 'StoreFaultError';
  }
}
