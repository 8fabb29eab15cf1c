import type { RunMetrics } from '../metrics/metric-keys.js';

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
  status: 'queued' | 'running' | 'done' | 'failed';
  /** Why the run failed; `null` unless `status` is `failed`. */
  error: string | null;
  /** Metrics of a done run; `null` for runs that have not completed. */
  metrics: RunMetrics | null;
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
   * Per done run id: TTFT and E2E latency samples in seconds, one per completed request. The
   * caller may pass up to ~2,000 per run; the report downsamples longer lists.
   */
  distributions: Record<number, { ttft: number[]; e2e: number[] }>;
}
