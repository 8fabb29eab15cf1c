import type { RunMetrics } from '../metrics/metric-keys.js';
import type { StabilityResult } from '../metrics/stability.js';

/**
 * Life cycle of a run: `queued` -> `running` -> `done` | `failed`. A `running` run left by a
 * killed process goes back to `queued` (requeueInterruptedRuns); a `failed` run is retried
 * when its sweep is run again (pendingRuns returns it, markRunning accepts it).
 */
export type RunStatus = 'queued' | 'running' | 'done' | 'failed';

/** Every status, in life-cycle order. */
export const RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'done', 'failed'];

/** One run to store (createSweep, addMissingRuns); it starts `queued`. */
export interface NewRun {
  /** The run's identity inside its sweep; stable across re-runs of the same spec. */
  readonly runKey: string;
  /** Workload name, for display and filtering. */
  readonly workload: string;
  /** Full workload description, JSON. */
  readonly workloadJson: string;
  /** Policy name. */
  readonly policy: string;
  /** The policy's parameters, a JSON object. */
  readonly paramsJson: string;
  /** Random seed; a safe integer. */
  readonly seed: number;
  /** Arrival rate, requests per second (> 0); null when the workload fixes its arrivals. */
  readonly rate: number | null;
  /** Name of the machine the run executes on. */
  readonly machine: string;
}

/** A stored run, as read back from `runs` (with its metrics when done). */
export interface RunRow {
  readonly id: number;
  readonly sweepId: number;
  readonly runKey: string;
  readonly workload: string;
  /** Full workload description, JSON as stored. */
  readonly workloadJson: string;
  readonly policy: string;
  /** The policy's parameters, parsed from params_json. */
  readonly params: Record<string, unknown>;
  readonly seed: number;
  /** Requests per second, or null. */
  readonly rate: number | null;
  readonly machine: string;
  /**
   * Host name of the machine the run's sweep ran on (SweepRow.originHost): this host for local
   * sweeps, the other machine's for sweeps imported from its database (importDatabase).
   */
  readonly originHost: string | null;
  readonly status: RunStatus;
  /** Why the run failed; null unless `failed`. */
  readonly error: string | null;
  /** Warnings of the last completed run (RunResult.warnings); empty when none. */
  readonly warnings: string[];
  /** The run's metrics when `done`, else null. */
  readonly metrics: RunMetrics | null;
  /**
   * Stability verdict of a done run (docs/metrics.md, "Stability"): true stable, false unstable,
   * null when not done, too short to judge, or stored before stability detection (migration 0002).
   */
  readonly stable: boolean | null;
  /** The verdict's details when `done` and stored with migration 0002 or later, else null. */
  readonly stability: StabilityResult | null;
  /** ISO 8601 UTC timestamps. */
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
}

/** Selects runs for listRuns; the conditions combine with AND; an empty filter selects all. */
export interface RunFilter {
  readonly sweepId?: number;
  /** Only these ids (ids not in the database are skipped); an empty list selects nothing. */
  readonly runIds?: readonly number[];
  /** Only runs with this run key (the same workload, policy, seed and engine settings; any sweep). */
  readonly runKey?: string;
}

/** How many runs of a sweep are in each status. */
export type RunCounts = Record<RunStatus, number>;
