-- 0008_sweep_leases: one writer per sweep.
--
-- A process that executes a sweep (`schedbench sweep`, the app's or `serve`'s sweep manager) holds
-- its lease: one row per sweep being run, naming the process (pid, host, a random owner id per
-- invocation), when it took the lease, and its last heartbeat. A second process that wants to run
-- the same sweep reads the row inside the write transaction that would take it over: it may take
-- it only when the holder is gone (on the same host its pid is not alive; on any host its
-- heartbeat is older than the lease's time to live). Otherwise it refuses, naming the holder
-- (runner/store/sweep-lease-row.ts, runner/sweeps/sweep-lease.ts). The row is deleted when the
-- holder ends; a holder killed with SIGKILL leaves it, and the next process takes it over.
--
-- Leases describe processes of this machine's database only: `import` never copies them.

CREATE TABLE sweep_leases (
  sweep_id INTEGER PRIMARY KEY REFERENCES sweeps(id) ON DELETE CASCADE,
  -- Random id of the holding invocation (a process may run several sweeps, one lease each).
  owner TEXT NOT NULL CHECK (length(owner) > 0),
  pid INTEGER NOT NULL CHECK (pid > 0),
  host TEXT NOT NULL,
  -- ISO 8601 UTC.
  acquired_at TEXT NOT NULL,
  -- Milliseconds since the Unix epoch (UTC) of the holder's last heartbeat.
  heartbeat_ms INTEGER NOT NULL
);
