import type { ReplicaLoad } from '../metrics/replica-loads.js';
import type { RunMetrics } from '../metrics/metric-keys.js';
import type { StabilityResult } from '../metrics/stability.js';

/**
 * One run as a report sees it: what was run (workload, policy with its parameters, seed,
 * arrival rate, machine), how it ended, and its metrics.
 */
export interface ReportRun {
  /** Run id in the store. */
  id: number;
  /** Id of the sweep the run belongs to. */
  sweepId: number;
  /** Workload name (reports group runs by it, one section each). */
  workload: string;
  /** Policy (scheduler) name, e.g. `vllm`. */
  policy: string;
  /** Policy parameters as given in the spec (JSON-compatible values). */
  params: Record<string, unknown>;
  /** Seed of the request list (same seed = same requests for every policy). */
  seed: number;
  /** Arrival rate in requests per second; `null` when the workload's own timing is used (a trace). */
  rate: number | null;
  /** Machine name the run ran on. */
  machine: string;
  /**
   * Host name of the computer the run's sweep ran on (RunRow.originHost: this host for local
   * sweeps, the source's for imported ones); null or absent where it is not known.
   */
  originHost?: string | null;
  status: 'queued' | 'running' | 'done' | 'failed';
  /** Why the run failed; `null` unless `status` is `failed`. */
  error: string | null;
  /** Metrics of a done run; `null` for runs that have not completed. */
  metrics: RunMetrics | null;
  /**
   * Stability verdict of a done run (docs/metrics.md, "Stability"): true stable, false
   * unstable (the number of requests in system grew), null when not done, too short to judge,
   * or stored before stability detection.
   */
  stable: boolean | null;
  /** The verdict's details (method, reason, slope, p-value, ...), or null where there is none. */
  stability: StabilityResult | null;
  /**
   * What each replica served (runner/metrics/replica-loads.ts), for a done run on a cluster of
   * replicas (its digest's); absent otherwise.
   */
  replicaLoads?: ReplicaLoad[];
}

/** The fluid benchmark (arXiv 2504.11320v2 §3) of one workload at one arrival rate. */
export interface FluidOverlayPoint {
  /** Total arrival rate, requests per second. */
  rate: number;
  /** Throughput* = sum_j lambda_j l'_j at this rate, output tokens per second. */
  throughputStarTokS: number;
  /**
   * Throughput* at the stability limit of this rate's type mix (the most the mix can sustain),
   * tokens per second; null when the machine has no limit (d1 = 0).
   */
  maxThroughputTokS: number | null;
  /**
   * The value the report draws: throughputStarTokS while the rate is stable, else
   * maxThroughputTokS. Tokens per second.
   */
  lineTokS: number;
  /** Equilibrium KV memory M*, tokens; null beyond the stability limit. */
  mStarTokens: number | null;
  /** Fluid load rho = d1 sum_j lambda_j S_j m_j (stable iff < 1). */
  load: number;
  stable: boolean;
}

/** The fluid-benchmark overlay of one workload's rate charts. */
export interface FluidOverlay {
  /** One point per numeric rate with a done run, ascending. */
  points: FluidOverlayPoint[];
  /**
   * The fluid stability limit, requests per second: the largest total rate with the mix's type
   * proportions whose load is below 1 (from the mix at the highest rate); null without a limit.
   */
  maxStableRateRps: number | null;
  /** Throughput* at that limit, tokens per second; null without a limit. */
  maxThroughputTokS: number | null;
  /** `declared`: a typed workload's own types; `binned`: output lengths binned (docs/fluid-benchmark.md). */
  types: 'declared' | 'binned';
  /** What the overlay is and how it was computed, shown under the charts. */
  note: string;
}

/**
 * A done run's latency samples in a report: TTFT and E2E seconds, ascending order statistics
 * standing for `finished` completed requests, or every sample when `finished` is absent.
 */
export interface RunDistribution {
  ttft: number[];
  e2e: number[];
  /** Completed requests the values stand for (>= their count); absent: one value per request. */
  finished?: number;
}

/** Everything a sweep report shows. Built by the caller (the CLI or the GUI) from the store. */
export interface ReportData {
  /** Report title (shown as the page heading and `<title>`). */
  title: string;
  /** When the report was generated, ISO 8601. */
  generatedAt: string;
  /** The sweep: id, name, the spec as written (YAML text) and when it was created (ISO 8601). */
  sweep: { id: number; name: string; specYaml: string; createdAt: string };
  /** The machine the sweep ran on, with free-form details (GPU, model, dtype, ...). */
  machine: { name: string; description: string; details: Record<string, string | number> };
  /** Every run of the sweep, whatever its status. */
  runs: ReportRun[];
  /**
   * Per done run id: its TTFT and E2E latencies in seconds, either every completed request's
   * sample (`finished` absent) or, as loadReportData gives them, the run digest's ascending order
   * statistics (RunDigest ttftS / e2eS, at most 1,001) with `finished` the number of completed
   * requests they stand for (pooledCdf weighs them by it). The report embeds them cut to its
   * sample budget (html-report.ts) and rounded to 4 significant digits.
   */
  distributions: Record<number, RunDistribution>;
  /**
   * Per workload label: the fluid-benchmark overlay (Throughput* line, stability limit). Absent
   * for a workload (or entirely) when it cannot be computed, e.g. a sweep stored before the
   * machine's linear model was recorded.
   */
  fluid?: Record<string, FluidOverlay>;
}
