-- 0004_database_origin: the identity of each database, and where each sweep came from, so the
-- sweeps and runs of another schedbench database (a GPU server's, say) can be merged into this
-- one without duplicates (runner/store/import-database.ts).
--
-- * database_identity: exactly one row, created with the database (or by this migration): id, a
--   random 128-bit id as 32 lowercase hex digits; host, the host name of the machine the database
--   lives on (NULL until a Store opens it and fills in os.hostname()); created_at.
-- * sweeps.origin_db, origin_sweep_id: for a sweep imported from another database, the identity
--   id of the database the sweep was created in and its id there (both NULL for this database's
--   own sweeps). An origin is stored at most once (sweeps_origin), so importing again merges.
-- * sweeps.origin_host: the host name of the machine the sweep ran on (set when a Store creates
--   or imports it; NULL for sweeps stored before this migration: the database's own host).
-- * spec_hash is unique among this database's own sweeps only (sweeps_local_spec_hash): an
--   imported sweep can have the spec of a local one, and resuming by spec hash finds the local
--   one. SQLite cannot drop a UNIQUE column constraint, so sweeps is rebuilt (create, copy, drop,
--   rename; foreign keys are off during migrations, so runs keep referencing it by name and the
--   DROP deletes no run).

CREATE TABLE database_identity (
  id TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 32 AND id NOT GLOB '*[^0-9a-f]*'),
  host TEXT CHECK (host IS NULL OR length(host) > 0),
  created_at TEXT NOT NULL
);

INSERT INTO database_identity (id, host, created_at)
  VALUES (lower(hex(randomblob(16))), NULL, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

-- The one row stays the only one, and its id never changes (copies of a database share it).
CREATE TRIGGER database_identity_no_insert BEFORE INSERT ON database_identity
BEGIN
  SELECT RAISE(ABORT, 'database_identity holds exactly one row');
END;

CREATE TRIGGER database_identity_no_delete BEFORE DELETE ON database_identity
BEGIN
  SELECT RAISE(ABORT, 'database_identity holds exactly one row');
END;

CREATE TRIGGER database_identity_fixed_id BEFORE UPDATE OF id, created_at ON database_identity
BEGIN
  SELECT RAISE(ABORT, 'the id and created_at of a database identity never change');
END;

-- sweeps of 0001_initial.sql without UNIQUE on spec_hash, plus the origin columns.
CREATE TABLE sweeps_new (
  id INTEGER PRIMARY KEY,
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
    finished_at)
  SELECT id, name, spec_yaml, spec_json, spec_hash, spec_path, machine_json, created_at, finished_at
  FROM sweeps;

DROP TABLE sweeps;

ALTER TABLE sweeps_new RENAME TO sweeps;

-- Resume by spec hash (Store.findSweepByHash) among this database's own sweeps.
CREATE UNIQUE INDEX sweeps_local_spec_hash ON sweeps (spec_hash) WHERE origin_db IS NULL;

-- An imported sweep is stored once (importDatabase merges into it).
CREATE UNIQUE INDEX sweeps_origin ON sweeps (origin_db, origin_sweep_id) WHERE origin_db IS NOT NULL;
