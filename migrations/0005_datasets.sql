-- 0005_datasets: traces a user imported (runner/datasets/import-dataset.ts), so that the
-- Datasets page lists them beside the built-in ones and a sweep can name them.
--
-- * datasets: one imported trace. The file was copied, on import, into the folder `datasets/`
--   beside the database (path: the copy, absolute; original_path: where it was imported from;
--   sha256: of the copy's bytes), so the dataset does not change or vanish when the original
--   does. format/columns/time_unit/timestamp_format: how to read it, exactly the fields of a
--   sweep spec's `trace` entry of format csv or jsonl (runner/workloads/workload-spec.ts).
--   requests: rows read on import (every row parsed; a file that fails is not imported).

CREATE TABLE datasets (
  id INTEGER PRIMARY KEY,
  -- Unique, non-empty, at most 80 characters, no control characters (it names a workload).
  name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 80 AND name NOT GLOB '*[' || char(1, 9, 10, 13) || ']*'),
  format TEXT NOT NULL CHECK (format IN ('csv', 'jsonl')),
  path TEXT NOT NULL CHECK (length(path) > 0),
  original_path TEXT NOT NULL CHECK (length(original_path) > 0),
  sha256 TEXT NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
  -- Field names: {"arrival": ..., "prompt": ..., "output": ...}.
  columns_json TEXT NOT NULL CHECK (json_valid(columns_json) AND json_type(columns_json) = 'object'),
  time_unit TEXT CHECK (time_unit IS NULL OR time_unit IN ('s', 'ms', 'us')),
  timestamp_format TEXT NOT NULL CHECK (timestamp_format IN ('seconds', 'datetime')),
  requests INTEGER NOT NULL CHECK (typeof(requests) = 'integer' AND requests > 0),
  created_at TEXT NOT NULL,
  -- A datetime timestamp has no unit.
  CHECK (timestamp_format = 'seconds' OR time_unit IS NULL)
);
