-- 0012_replica_loads: what each replica of a cluster run served, stored with the run's digest.
--
-- A run on a cluster of replicas (policy field `replicas` > 1) routes each request to one replica
-- (runner/engine/cluster-engine.ts). Its digest now carries the per-replica load
-- (runner/metrics/replica-loads.ts: per replica, in replica order, the requests routed to it,
-- how many completed, and their prompt + output tokens) as JSON, so the run detail page, Compare
-- and reports show it without decoding the per-request records. NULL for a run on one replica and
-- for every run stored before this migration (no run before it ran on a cluster).
ALTER TABLE run_digests ADD COLUMN replica_loads_json TEXT
  CHECK (replica_loads_json IS NULL OR json_valid(replica_loads_json));
