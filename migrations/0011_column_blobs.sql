-- 0011_column_blobs: a done run's struct-of-arrays stored as one compressed blob per column, and
-- its digest stored with it.
--
-- Until now run_requests, run_time_series and run_iterations held one row per request, sample or
-- iteration (about 84 bytes of database per request, and 50-60 ms of inserts per 10,000-request
-- run on the thread that owns the database). Now each field of RequestRecords, TimeSeries and
-- IterationRecords (runner/engine/run-records.ts) is one row of run_columns whose blob holds the
-- whole typed array, encoded losslessly by runner/store/column-blob-codec.ts (the elements'
-- little-endian bytes, byte-shuffled, zlib-deflated; `codec` names the encoding). The checks the
-- row tables made (tokens >= 1, a NaN arrival, sample or iteration time refused, counts and
-- durations >= 0) are made in JS before encoding (runner/store/encoded-struct.ts).
--
-- run_digests holds each done run's RunDigest (runner/metrics/run-digest.ts): what reports and
-- Compare draw, so they never decode the per-request records.
--
-- SQL cannot encode typed arrays, so the conversion of the old rows is a data step in JS that
-- migrate.ts runs right after this file, in the same transaction (runner/store/migration-data-steps.ts,
-- `0011_column_blobs`): it encodes every run's rows into run_columns, computes and stores the
-- digest of every done run, and then drops run_requests, run_time_series and run_iterations.

-- One column of one struct of a run. A rowid table (not WITHOUT ROWID): its rows are tens of
-- kilobytes, and SQLite advises WITHOUT ROWID only for rows well under a twentieth of a page.
-- A run stores every column of `requests` and `time_series` (zero-length ones included) and, when
-- it ran on a GPU worker, of `iterations`.
CREATE TABLE run_columns (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  struct TEXT NOT NULL CHECK (struct IN ('requests', 'time_series', 'iterations')),
  -- The field's stored name (arrival_s, prompt_tokens, ...; runner/store/struct-columns.ts).
  column_name TEXT NOT NULL CHECK (length(column_name) > 0),
  -- Elements of the array (requests, samples or iterations); the same for every column of a struct.
  length INTEGER NOT NULL CHECK (typeof(length) = 'integer' AND length >= 0),
  codec TEXT NOT NULL CHECK (length(codec) > 0),
  data BLOB NOT NULL CHECK (typeof(data) = 'blob'),
  PRIMARY KEY (run_id, struct, column_name)
);

-- The digest of a done run: latency order statistics (ascending, seconds; K = min(finished, 1001)
-- evenly spaced ranks) encoded as run_columns' Float64 columns are, and output-length bins.
CREATE TABLE run_digests (
  run_id INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
  requests INTEGER NOT NULL CHECK (typeof(requests) = 'integer' AND requests >= 0),
  finished INTEGER NOT NULL CHECK (typeof(finished) = 'integer' AND finished BETWEEN 0 AND requests),
  -- Order statistics stored per latency (K).
  points INTEGER NOT NULL CHECK (typeof(points) = 'integer' AND points BETWEEN 0 AND finished),
  codec TEXT NOT NULL CHECK (length(codec) > 0),
  ttft_s BLOB NOT NULL CHECK (typeof(ttft_s) = 'blob'),
  e2e_s BLOB NOT NULL CHECK (typeof(e2e_s) = 'blob'),
  -- [{"prompt": mean prompt tokens, "output": mean output tokens, "count": requests}, ...]
  output_bins_json TEXT NOT NULL CHECK (json_valid(output_bins_json) AND json_type(output_bins_json) = 'array')
);
