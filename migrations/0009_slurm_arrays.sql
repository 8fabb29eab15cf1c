-- 0009_slurm_arrays: the Slurm job arrays a sweep was submitted as (`schedbench sweep --executor
-- slurm`, runner/sweeps/slurm-executor.ts).
--
-- Each array runs chunks of the sweep's runs, one chunk per array task; its manifest (a JSON file
-- in the work directory on the cluster's shared filesystem) lists each task's run keys, and each
-- task writes its own SQLite shard beside it. The driver merges a task's shard into this database
-- when the task has left Slurm's queue, and marks the array ended when none of its tasks is left.
-- A driver killed and run again attaches to the arrays not ended: it merges what finished and
-- waits for the tasks still queued or running, instead of submitting their runs again.

CREATE TABLE slurm_arrays (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
  -- Slurm's job id of the array (sbatch --parsable), e.g. '4242' (or '4242;cluster').
  job_id TEXT NOT NULL CHECK (length(job_id) > 0),
  -- Absolute path of the manifest JSON on the shared filesystem.
  manifest TEXT NOT NULL CHECK (length(manifest) > 0),
  tasks INTEGER NOT NULL CHECK (tasks > 0),
  -- Where Slurm was reached: 'local' or 'ssh USER@HOST:PORT'.
  reached_by TEXT NOT NULL,
  -- ISO 8601 UTC.
  submitted_at TEXT NOT NULL,
  -- ISO 8601 UTC; NULL while some task may still be queued or running.
  ended_at TEXT
);
CREATE INDEX slurm_arrays_sweep ON slurm_arrays (sweep_id);
