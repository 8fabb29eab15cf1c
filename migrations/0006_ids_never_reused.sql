-- 0006_ids_never_reused: sweep and run ids are never given again once their sweep is deleted.
--
-- Without AUTOINCREMENT SQLite gives a new row the highest id + 1, so deleting the newest sweep
-- (Store.deleteSweep) handed its id, and its runs' ids, to the next sweep: an old link
-- (`#/sweeps/ID`, `#/runs/ID`) opened another sweep's results, and a database that had imported
-- the deleted sweep then saw this database as a diverged copy (runner/store/import-database.ts).
-- With AUTOINCREMENT the largest id ever used is kept in sqlite_sequence. SQLite cannot add
-- AUTOINCREMENT to a table, so sweeps and runs are rebuilt (create, copy, drop, rename) with the
-- same columns, checks and indexes; foreign keys are off during migrations, so the tables that
-- reference them keep doing so by name and the DROPs delete nothing else.

CREATE TABLE sweeps_new (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL CHECK (length(name) > 0),
  spec_yaml TEXT NOT NULL,
  spec_json TEXT NOT NULL CHECK (json_valid(spec_json)),
  spec_hash TEXT NOT NULL CHECK (length(spec_hash) > 0),
  spec_path TEXT,
  machine_json TEXT NOT NULL CHECK (json_valid(machine_json)),
  created_at TEXT NOT NULL,
  -- Set when a pass over the sweep ended with no run queued or running (failed runs allowed).
  finished_at TEXT,
  origin_db TEXT CHECK (origin_db IS NULL OR length(origin_db) > 0),
  origin_sweep_id INTEGER CHECK (
    origin_sweep_id IS NULL OR (typeof(origin_sweep_id) = 'integer' AND origin_sweep_id > 0)
  ),
  origin_host TEXT CHECK (origin_host IS NULL OR length(origin_host) > 0),
  CHECK ((origin_db IS NULL) = (origin_sweep_id IS NULL))
);

INSERT INTO sweeps_new (id, name, spec_yaml, spec_json, spec_hash, spec_path, machine_json, created_at,
    finished_at, origin_db, origin_sweep_id, origin_host)
  SELECT id, name, spec_yaml, spec_json, spec_hash, spec_path, machine_json, created_at,
    finished_at, origin_db, origin_sweep_id, origin_host
  FROM sweeps;

DROP TABLE sweeps;

ALTER TABLE sweeps_new RENAME TO sweeps;

CREATE UNIQUE INDEX sweeps_local_spec_hash ON sweeps (spec_hash) WHERE origin_db IS NULL;

CREATE UNIQUE INDEX sweeps_origin ON sweeps (origin_db, origin_sweep_id) WHERE origin_db IS NOT NULL;

CREATE TABLE runs_new (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  sweep_id INTEGER NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
  run_key TEXT NOT NULL CHECK (length(run_key) > 0),
  workload TEXT NOT NULL,
  workload_json TEXT NOT NULL CHECK (json_valid(workload_json)),
  policy TEXT NOT NULL,
  params_json TEXT NOT NULL CHECK (json_type(params_json) = 'object'),
  seed INTEGER NOT NULL CHECK (typeof(seed) = 'integer'),
  -- Arrival rate, requests per second; NULL when the workload fixes its own arrivals (a trace).
  rate REAL CHECK (rate IS NULL OR rate > 0),
  machine TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
  error TEXT CHECK (status <> 'failed' OR error IS NOT NULL),
  warnings_json TEXT CHECK (warnings_json IS NULL OR json_type(warnings_json) = 'array'),
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT CHECK (status NOT IN ('done', 'failed') OR finished_at IS NOT NULL),
  UNIQUE (sweep_id, run_key)
);

INSERT INTO runs_new (id, sweep_id, run_key, workload, workload_json, policy, params_json, seed, rate,
    machine, status, error, warnings_json, created_at, started_at, finished_at)
  SELECT id, sweep_id, run_key, workload, workload_json, policy, params_json, seed, rate,
    machine, status, error, warnings_json, created_at, started_at, finished_at
  FROM runs;

DROP TABLE runs;

ALTER TABLE runs_new RENAME TO runs;

CREATE INDEX runs_status ON runs (status, sweep_id);
