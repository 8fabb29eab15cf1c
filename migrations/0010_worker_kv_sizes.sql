-- 0010_worker_kv_sizes: the KV capacity a worker sized for itself (`kv_blocks: "auto"` of the worker
-- protocol: 90 % of the free device memory after the weights on CUDA, as vLLM's
-- gpu_memory_utilization 0.9; 1024 blocks on CPU), measured once per worker machine, model, dtype
-- and block size when a spec says `kvBlocks: auto` and there is no calibration to take it from
-- (runner/cli/worker-kv-size.ts). Later plans reuse the stored size, so every run of a sweep, and
-- every resume of it, simulates the same KV capacity; a calibration, when there is one, still wins.

CREATE TABLE worker_kv_sizes (
  machine TEXT NOT NULL CHECK (length(machine) > 0),
  model TEXT NOT NULL CHECK (length(model) > 0),
  -- The dtype the spec asked for, or '' for the worker's default.
  dtype TEXT NOT NULL,
  block_size INTEGER NOT NULL CHECK (block_size > 0),
  kv_blocks INTEGER NOT NULL CHECK (kv_blocks > 0),
  -- The dtype the worker loaded (its default when the spec gave none).
  loaded_dtype TEXT NOT NULL,
  -- ISO 8601 UTC.
  measured_at TEXT NOT NULL,
  PRIMARY KEY (machine, model, dtype, block_size)
);
