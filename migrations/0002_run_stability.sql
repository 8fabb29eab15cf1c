-- 0002_run_stability: the stability verdict of each done run (runner/metrics/stability.ts,
-- docs/metrics.md "Stability"), stored with its metrics in the same transaction.
--
-- * stable: 1 stable, 0 unstable, NULL no verdict (run too short to judge, or stored before
--   this migration: such runs keep NULL in both columns; their records are not re-assessed).
-- * stability_json: the whole verdict (StabilityResult: method, reason, slope, p-value, ...),
--   a JSON object whose `stable` member matches the `stable` column; NULL for runs stored
--   before this migration.
ALTER TABLE run_metrics ADD COLUMN stable INTEGER CHECK (stable IS NULL OR stable IN (0, 1));
ALTER TABLE run_metrics ADD COLUMN stability_json TEXT CHECK (
  (stability_json IS NULL AND stable IS NULL)
  OR (json_type(stability_json) = 'object' AND stable IS json_extract(stability_json, '$.stable'))
);
