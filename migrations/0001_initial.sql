-- 0001_initial: sweeps, their runs, and each done run's metrics, per-request records and time series.
--
-- Conventions (every later migration follows them):
-- * Applied by runner/store/migrate.ts inside one transaction, with foreign keys switched off
--   and checked (PRAGMA foreign_key_check) before the commit; so no BEGIN/COMMIT here.
-- * Once applied anywhere, a migration file is never edited (its sha256 is recorded);
--   changes go into a new NNNN_name.sql.
-- * Timestamps are ISO 8601 UTC strings (new Date().toISOString()).
-- * Columns holding JSON are checked with json_valid / json_type.
-- * Times are seconds (suffix _s). A REAL time that is NULL means the event never happened
--   (NaN in the engine's typed arrays).

-- One sweep: a grid of runs expanded from one spec file. spec_hash identifies the spec (the
-- same spec run twice resumes the same sweep instead of creating a new one).
CREATE TABLE sweeps (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL CHECK (length(name) > 0),
  spec_yaml TEXT NOT NULL,
  spec_json TEXT NOT NULL CHECK (json_valid(spec_json)),
  spec_hash TEXT NOT NULL UNIQUE CHECK (length(spec_hash) > 0),
  spec_path TEXT,
  machine_json TEXT NOT NULL CHECK (json_valid(machine_json)),
  created_at TEXT NOT NULL,
  -- Set when a pass over the sweep ended with no run queued or running (failed runs allowed).
  finished_at TEXT
);

-- One run: one policy on one workload with one seed on one machine. run_key is the run's
-- identity inside its sweep (stable across re-runs of the same spec).
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
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

CREATE INDEX runs_status ON runs (status, sweep_id);

-- The metrics of a done run: a JSON object with every key of METRIC_KEYS
-- (runner/metrics/metric-keys.ts), each a finite number or null.
CREATE TABLE run_metrics (
  run_id INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
  metrics_json TEXT NOT NULL CHECK (json_type(metrics_json) = 'object')
);

-- Per-request records of a done run (RequestRecords in runner/engine/run-result.ts), one row
-- per request, idx = the request's index in the run's request list (0-based).
CREATE TABLE run_requests (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  idx INTEGER NOT NULL CHECK (idx >= 0),
  arrival_s REAL NOT NULL CHECK (arrival_s >= 0),
  prompt_tokens INTEGER NOT NULL CHECK (prompt_tokens >= 1),
  output_tokens INTEGER NOT NULL CHECK (output_tokens >= 1),
  first_scheduled_s REAL,
  first_token_s REAL,
  finish_s REAL,
  generated_tokens INTEGER NOT NULL CHECK (generated_tokens >= 0),
  evictions INTEGER NOT NULL CHECK (evictions >= 0),
  preemptions INTEGER NOT NULL CHECK (preemptions >= 0),
  recomputed_tokens INTEGER NOT NULL CHECK (recomputed_tokens >= 0),
  max_itl_s REAL CHECK (max_itl_s IS NULL OR max_itl_s >= 0),
  PRIMARY KEY (run_id, idx)
) WITHOUT ROWID;

-- The bounded time series of a done run (TimeSeries in runner/engine/run-result.ts), one row
-- per sampled iteration, idx = the sample's index (0-based).
CREATE TABLE run_time_series (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  idx INTEGER NOT NULL CHECK (idx >= 0),
  t_s REAL NOT NULL,
  queue_length INTEGER NOT NULL CHECK (queue_length >= 0),
  running INTEGER NOT NULL CHECK (running >= 0),
  kv_blocks INTEGER NOT NULL CHECK (kv_blocks >= 0),
  prefill_tokens INTEGER NOT NULL CHECK (prefill_tokens >= 0),
  decode_count INTEGER NOT NULL CHECK (decode_count >= 0),
  PRIMARY KEY (run_id, idx)
) WITHOUT ROWID;
