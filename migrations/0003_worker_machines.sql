-- 0003_worker_machines: the GPU worker machines runs execute on, their calibrations, and the
-- measured iterations of runs executed on a worker (runner/workers/, docs/worker-protocol.md).
--
-- * worker_machines: one named machine that starts a Python worker, on this host (`local`) or
--   over ssh (`ssh`). NULL columns mean the default of runner/workers/local-worker.ts and
--   ssh-worker.ts: python /usr/bin/python3, port 22, ssh's own key and known_hosts file.
-- * calibrations: what calibrating a model on a machine measured. machine is a name, not a
--   foreign key: a calibration outlives its machine's entry (removing a machine keeps its
--   calibrations) and can be imported from another database.
-- * run_iterations: IterationRecords (runner/engine/run-result.ts) of a done run, stored with its
--   results in the same transaction; simulated runs have no rows.

-- A worker machine. name: non-empty, without '/', ':' or whitespace (the whitespace of
-- JavaScript's \s, listed by code point), so it can be a path segment and a CLI argument.
CREATE TABLE worker_machines (
  name TEXT NOT NULL PRIMARY KEY CHECK (
    length(name) > 0
    AND name NOT GLOB (
      '*[/:' || char(9, 10, 11, 12, 13, 32, 160, 5760, 8192, 8193, 8194, 8195, 8196, 8197, 8198, 8199,
        8200, 8201, 8202, 8232, 8233, 8239, 8287, 12288, 65279) || ']*'
    )
  ),
  kind TEXT NOT NULL CHECK (kind IN ('local', 'ssh')),
  -- Python interpreter with PyTorch; NULL = /usr/bin/python3.
  python TEXT CHECK (python IS NULL OR length(python) > 0),
  host TEXT CHECK (host IS NULL OR length(host) > 0),
  user TEXT CHECK (user IS NULL OR length(user) > 0),
  -- SSH port; NULL = 22.
  port INTEGER CHECK (port IS NULL OR (typeof(port) = 'integer' AND port BETWEEN 1 AND 65535)),
  -- Private key file (ssh -i); NULL = ssh's default keys.
  identity_file TEXT CHECK (identity_file IS NULL OR length(identity_file) > 0),
  -- known_hosts file; NULL = ssh's own.
  known_hosts_file TEXT CHECK (known_hosts_file IS NULL OR length(known_hosts_file) > 0),
  -- ssh's StrictHostKeyChecking.
  strict_host_key_checking TEXT NOT NULL DEFAULT 'yes'
    CHECK (strict_host_key_checking IN ('yes', 'accept-new', 'no')),
  created_at TEXT NOT NULL,
  -- An ssh machine has a host and a user; a local machine has none of the ssh settings (its
  -- strict_host_key_checking keeps the default, 'yes', and is unused).
  CHECK (kind <> 'ssh' OR (host IS NOT NULL AND user IS NOT NULL)),
  CHECK (
    kind <> 'local'
    OR (
      host IS NULL AND user IS NULL AND port IS NULL AND identity_file IS NULL AND known_hosts_file IS NULL
      AND strict_host_key_checking = 'yes'
    )
  )
);

-- One calibration of a model on a machine. fit_json: the fitted iteration-time model, a JSON
-- object. gpu_memory_bytes: total memory of the GPU, bytes. kv_blocks: KV-cache blocks of
-- block_size tokens each that fit on the device.
CREATE TABLE calibrations (
  id INTEGER PRIMARY KEY,
  machine TEXT NOT NULL CHECK (length(machine) > 0),
  model TEXT NOT NULL CHECK (length(model) > 0),
  dtype TEXT NOT NULL CHECK (length(dtype) > 0),
  device TEXT NOT NULL CHECK (length(device) > 0),
  gpu_name TEXT,
  gpu_memory_bytes INTEGER CHECK (
    gpu_memory_bytes IS NULL OR (typeof(gpu_memory_bytes) = 'integer' AND gpu_memory_bytes > 0)
  ),
  torch TEXT NOT NULL CHECK (length(torch) > 0),
  python TEXT NOT NULL CHECK (length(python) > 0),
  kv_blocks INTEGER NOT NULL CHECK (typeof(kv_blocks) = 'integer' AND kv_blocks > 0),
  block_size INTEGER NOT NULL CHECK (typeof(block_size) = 'integer' AND block_size > 0),
  fit_json TEXT NOT NULL CHECK (json_valid(fit_json) AND json_type(fit_json) = 'object'),
  created_at TEXT NOT NULL
);

-- The newest calibration of a model on a machine (Store.latestCalibration).
CREATE INDEX calibrations_latest ON calibrations (machine, model, created_at);

-- The measured iterations of a done run executed on a worker (IterationRecords), one row per
-- iteration in execution order, idx = the iteration's index (0-based).
CREATE TABLE run_iterations (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  idx INTEGER NOT NULL CHECK (idx >= 0),
  start_s REAL NOT NULL,
  time_s REAL NOT NULL CHECK (time_s >= 0),
  wall_s REAL NOT NULL CHECK (wall_s >= 0),
  num_prefills INTEGER NOT NULL CHECK (num_prefills >= 0),
  prefill_tokens INTEGER NOT NULL CHECK (prefill_tokens >= 0),
  num_decodes INTEGER NOT NULL CHECK (num_decodes >= 0),
  decode_kv_tokens INTEGER NOT NULL CHECK (decode_kv_tokens >= 0),
  PRIMARY KEY (run_id, idx)
) WITHOUT ROWID;
