import type { ReplicaLoad } from '../metrics/replica-loads.js';
import { z } from 'zod';
import type { DatasetSummary } from '../datasets/dataset-summary.js';
import type { DatasetRemoval } from '../datasets/remove-dataset.js';
import type { TracePreview } from '../datasets/trace-preview.js';
import type { RunMetrics } from '../metrics/metric-keys.js';
import type { Verdict } from '../metrics/paired-verdicts.js';
import type { StabilityResult } from '../metrics/stability.js';
import type { SweepSummaryData } from '../reports/verdicts.js';
import type { CapacityRow } from '../sweeps/capacity-report.js';
import type { ImportSummary } from '../store/import-summary.js';

/**
 * The runner's API: everything the desktop UI (and the browser mode) does, as named operations
 * with a validated input and a typed output, plus pushed events. One contract, three transports:
 * Electron IPC (electron/ relays it to the runner process), the CLI (`schedbench api OP JSON`) and
 * HTTP (`schedbench serve`: `POST /api/OP`, events as server-sent events on `GET /api/events`).
 *
 * Inputs are zod schemas (strict: unknown fields are refused), checked by every transport before
 * the operation runs (ApiService.call). Outputs are plain JSON (no typed arrays, no NaN: a missing
 * value is null). Units follow the field suffixes: `_s`/`S` seconds, `TokS` tokens per second.
 * This module imports nothing from Node, so the renderer bundles it.
 */

/** Version of this contract; a client checks `health.apiVersion`. */
export const API_VERSION = 1;

const id = z.number().int().positive();
const runIds = z.array(id).min(1).max(5000);

/** Filters of `runs.list` (all optional; values within one filter are OR-ed, filters AND-ed). */
export const RunQuerySchema = z
  .object({
    sweepIds: z.array(id).optional(),
    policies: z.array(z.string()).optional(),
    workloads: z.array(z.string()).optional(),
    machines: z.array(z.string()).optional(),
    statuses: z.array(z.enum(['queued', 'running', 'done', 'failed'])).optional(),
    /** Arrival rate range, requests per second (inclusive). */
    rateMin: z.number().optional(),
    rateMax: z.number().optional(),
    /** Creation date range, ISO 8601 (inclusive). */
    createdAfter: z.string().optional(),
    createdBefore: z.string().optional(),
    /** Sort key: a RunSummary field or a metric key; default `id`. */
    sortBy: z.string().optional(),
    descending: z.boolean().optional(),
    limit: z.number().int().positive().max(100_000).optional(),
  })
  .strict();
export type RunQuery = z.infer<typeof RunQuerySchema>;

const fieldName = z.string().min(1);
/** Field names of a trace: arrival time, prompt tokens, output tokens. */
const traceColumns = z.object({ arrival: fieldName, prompt: fieldName, output: fieldName }).strict();
const traceFormat = z.enum(['csv', 'jsonl']);
const timestampFormat = z.enum(['seconds', 'datetime']);
const timeUnit = z.enum(['s', 'ms', 'us']);

/** Input schemas of every operation. */
export const API_INPUTS = {
  /** Versions and the database in use. */
  health: z.object({}).strict(),
  /** Every sweep with its run counts, newest first. */
  'sweeps.list': z.object({}).strict(),
  /** One sweep with its spec text and machine. */
  'sweeps.get': z.object({ sweepId: id }).strict(),
  /**
   * Validates a spec without storing anything: the run count and machine, each workload's fluid
   * stability limit, or the first error with its line and field. `dir` resolves relative paths (default: the runner's working dir).
   */
  'sweeps.validate': z.object({ yaml: z.string(), dir: z.string().optional() }).strict(),
  /** Validates, stores and starts a sweep in the background (a known spec resumes its sweep). */
  'sweeps.start': z.object({ yaml: z.string(), dir: z.string().optional() }).strict(),
  /** Executes the runs of a stored sweep that are not done (after a restart, or a cancel). */
  'sweeps.resume': z.object({ sweepId: id }).strict(),
  /** Stops a running sweep: no new run starts, running runs go back to the queue. */
  'sweeps.cancel': z.object({ sweepId: id }).strict(),
  /** Progress of a sweep: counts, ETA, and the live state of its running runs. */
  'sweeps.progress': z.object({ sweepId: id }).strict(),
  /**
   * A sweep's seed summary (the same as `schedbench summary --format json`): per workload, rate
   * and key metric the best policy and every other one against it, paired over seeds with a 95 %
   * interval (docs/metrics.md, "Verdicts"); per workload, rate and policy each key metric's mean
   * over seeds with its 95 % interval.
   */
  'sweeps.summary': z.object({ sweepId: id }).strict(),
  /**
   * A sweep's capacity searches (the same as `schedbench capacity --format json`): per workload
   * and policy the largest offered rate sustained, its bracket, probes and limiting criterion,
   * with the fluid stability limit; and per workload the capacity verdict (docs/metrics.md,
   * "Capacity").
   */
  'sweeps.capacity': z.object({ sweepId: id }).strict(),
  /**
   * Renames a sweep: its name only (trimmed; 1 to 200 characters, no control characters); its
   * spec, spec hash and runs are unchanged, so its spec still resumes it. Returns it as listed.
   */
  'sweeps.rename': z.object({ sweepId: id, name: z.string() }).strict(),
  /**
   * Deletes a sweep, its runs and all of their results, in one transaction. Refused (`conflict`)
   * while this runner executes it: cancel it first. Runs a killed process left `running` do not
   * count (nothing executes them).
   */
  'sweeps.delete': z.object({ sweepId: id }).strict(),
  /** Runs across sweeps and machines, filtered and sorted. */
  'runs.list': RunQuerySchema,
  /**
   * One run: what `runs.list` gives, plus its run key, workload description, warnings, stability
   * verdict with its reason and test, timestamps and its sweep's machine.
   */
  'runs.get': z.object({ runId: id }).strict(),
  /** Per-request records of a done run, decimated to at most `maxPoints` requests. */
  'runs.requests': z
    .object({ runId: id, maxPoints: z.number().int().min(10).max(1_000_000).default(20_000) })
    .strict(),
  /** The bounded time series of a done run (queue, running, KV, batch composition). */
  'runs.timeSeries': z.object({ runId: id }).strict(),
  /**
   * Runs side by side: differing parameters, metrics with their change against the baseline
   * (default the first run), seed-to-seed spread, and the data of every comparison chart; the
   * runs grouped into configurations (every parameter but the rate and the seed), each compared
   * rate by rate with the baseline's configuration (docs/metrics.md, "Compare by configuration").
   */
  'runs.compare': z
    .object({ runIds, baselineId: id.optional(), maxPointsPerRun: z.number().int().min(10).default(2_000) })
    .strict(),
  /** A report of runs: self-contained HTML, CSV or JSON, returned as text. */
  'export.report': z.object({ runIds, format: z.enum(['html', 'csv', 'json']) }).strict(),
  /** Simulated machines, GPU worker machines and calibrations; and the policies with their parameters. */
  'machines.list': z.object({}).strict(),
  /**
   * The built-in datasets and the imported traces, with their summaries (token distributions,
   * arrival rate); `summaries: false` skips reading the files (a form that only lists them).
   */
  'datasets.list': z.object({ summaries: z.boolean().default(true) }).strict(),
  /**
   * A user's trace (CSV with a header or JSON Lines; `path` on the runner's machine, relative to
   * its working directory) before import: its fields and first rows, the mapping (the given
   * choices, the rest guessed) and, when the mapping is complete, the whole file read with it.
   */
  'datasets.preview': z
    .object({
      path: z.string().min(1),
      format: traceFormat.optional(),
      columns: traceColumns.partial().optional(),
      timestampFormat: timestampFormat.optional(),
      timeUnit: timeUnit.optional(),
    })
    .strict(),
  /**
   * Imports a trace with a complete mapping: every row is read (a bad one refuses the import with
   * its line and column), the file is copied beside the database, and the dataset is listed.
   */
  'datasets.import': z
    .object({
      name: z.string().min(1).max(80),
      path: z.string().min(1),
      format: traceFormat,
      columns: traceColumns,
      timestampFormat: timestampFormat.default('seconds'),
      timeUnit: timeUnit.optional(),
    })
    .strict(),
  /**
   * Removes an imported dataset; its copy is deleted unless a stored sweep or another dataset
   * still names it (runner/datasets/remove-dataset.ts). Built-in datasets cannot be removed.
   */
  'datasets.remove': z.object({ name: z.string().min(1) }).strict(),
  /** Merges the sweeps and runs of another Schedbench database (see importDatabase). */
  'database.import': z.object({ path: z.string().min(1) }).strict(),
} as const;

/** Name of an API operation. */
export type ApiOp = keyof typeof API_INPUTS;

/** Every operation name. */
export const API_OPS = Object.keys(API_INPUTS) as ApiOp[];

/** Validated input of an operation (defaults applied). */
export type ApiInput<Op extends ApiOp> = z.output<(typeof API_INPUTS)[Op]>;
/** Input of an operation as a client sends it (defaults optional). */
export type ApiRequest<Op extends ApiOp> = z.input<(typeof API_INPUTS)[Op]>;

// ---- outputs ------------------------------------------------------------------------------------

/** Run counts by status. */
export interface RunCountsOut {
  queued: number;
  running: number;
  done: number;
  failed: number;
}

/** One sweep in `sweeps.list`. */
export interface SweepSummary {
  id: number;
  name: string;
  /** Machine name of the sweep's runs. */
  machine: string;
  createdAt: string;
  finishedAt: string | null;
  /** Host the sweep ran on (another machine's for an imported sweep). */
  originHost: string | null;
  /** Whether it came from another database (`database.import`). */
  imported: boolean;
  counts: RunCountsOut;
  /** Whether this runner is executing it now. */
  active: boolean;
  /**
   * The other process executing it now (it holds the sweep's lease: a `schedbench sweep` on the
   * CLI, a Slurm driver, another app), with when it took it; null when none or when it is this
   * runner. Its counts move as that process stores runs.
   */
  runBy: { pid: number; host: string; since: string } | null;
}

/** `sweeps.get`. */
export interface SweepDetail extends SweepSummary {
  specYaml: string;
  specPath: string | null;
  /** The machine description stored with the sweep (name, KV capacity, iteration-time model). */
  machineInfo: Record<string, unknown>;
}

/** A problem with a spec, located where possible. */
export interface SpecProblem {
  message: string;
  /** 1-based line in the YAML text. */
  line: number | null;
  field: string | null;
}

/**
 * The fluid benchmark's stability limit of one workload grid point of a validated spec
 * (docs/fluid-benchmark.md): the largest arrival rate its request mix can sustain on the spec's
 * machine, beside the rate the spec asks for.
 */
export interface ValidateFluidOut {
  /** Workload label (as `workloads` names it). */
  workload: string;
  /** The machine the limit is for (a sweep over a `machine` list has one entry per machine). */
  machine: string;
  /** Nominal rate of the grid point, req/s (a trace replayed as recorded: its mean rate); null for a capacity search. */
  rateRps: number | null;
  /** A capacity search's bounds, req/s; null for a fixed rate. */
  search: { minRps: number; maxRps: number } | null;
  /**
   * The fluid stability limit, req/s: the first seed's requests binned into types (or a typed
   * workload's types) on the machine's linear model; null when unbounded or the machine has no
   * linear model (d0, d1). One replica's: a cluster of N replicas (a policy's `replicas`) is
   * bounded by N times it.
   */
  maxStableRateRps: number | null;
  /** The cluster sizes the spec's policies run on (their `replicas`), ascending, distinct; [1] for none. */
  replicas: number[];
}

/** `sweeps.validate`. */
export type ValidateOut =
  | {
      ok: true;
      runs: number;
      /** The machine's name; a sweep over a `machine` list: the names joined with `, `. */
      machine: string;
      workloads: string[];
      policies: string[];
      warnings: string[];
      /** Capacity searches (workload x policy): their probes are added as each search goes. */
      searches: number;
      /** One entry per workload grid point and machine, machine by machine, in plan order. */
      fluid: ValidateFluidOut[];
    }
  | { ok: false; problem: SpecProblem };

/** A running run's live state (from the engine's progress reports). */
export interface LiveRunOut {
  runId: number;
  label: string;
  /** Simulated clock, seconds since the first arrival. */
  simTimeS: number;
  finished: number;
  total: number;
  queueLength: number;
  running: number;
  /** Output tokens of completed requests per simulated second so far. */
  throughputTokS: number;
}

/** `sweeps.progress` and the `progress` event. */
export interface SweepProgressOut {
  sweepId: number;
  name: string;
  active: boolean;
  counts: RunCountsOut;
  total: number;
  /** Estimated seconds to the end; null before the first run of this execution ended. */
  etaS: number | null;
  live: LiveRunOut[];
}

/** `sweeps.summary`: `rows` (SummaryRow, runner/reports/seed-summary.ts) and `verdicts` (Verdict, runner/metrics/paired-verdicts.ts). */
export type { SweepSummaryData };

/** `sweeps.capacity`: one row per search (CapacityRow, runner/sweeps/capacity-report.ts) and the capacity verdicts. */
export interface CapacityOut {
  searches: CapacityRow[];
  verdicts: Verdict[];
}

/** One run in `runs.list`. */
export interface RunSummary {
  id: number;
  sweepId: number;
  sweepName: string;
  policy: string;
  params: Record<string, unknown>;
  workload: string;
  rate: number | null;
  seed: number;
  machine: string;
  originHost: string | null;
  status: 'queued' | 'running' | 'done' | 'failed';
  error: string | null;
  createdAt: string;
  stable: boolean | null;
  metrics: RunMetrics | null;
}

/** `runs.get`: one run with everything stored about it except its per-request records and time series. */
export interface RunDetail extends RunSummary {
  /** The run's identity inside its sweep. */
  runKey: string;
  /** The workload as its sweep's plan described it (the stored workload JSON). */
  workloadSpec: Record<string, unknown>;
  /** Warnings of the run (RunResult.warnings); empty when none or not done. */
  warnings: string[];
  /**
   * The stability verdict's details (docs/metrics.md, "Stability": the verdict, its reason, the
   * trend test); null when not done or stored before stability detection.
   */
  stability: StabilityResult | null;
  startedAt: string | null;
  finishedAt: string | null;
  /**
   * Its sweep's machine document (name, KV capacity, block size, iteration-time model); null when
   * that document cannot be read (the sweep's page says why).
   */
  machineInfo: Record<string, unknown> | null;
  /**
   * What each replica served, for a done run on a cluster of replicas (policy parameter
   * `replicas` > 1; runner/metrics/replica-loads.ts), in replica order; null otherwise.
   */
  replicaLoads: ReplicaLoad[] | null;
}

/** `sweeps.delete`: what was deleted. */
export interface SweepDeleteOut {
  sweepId: number;
  /** The sweep's name when it was deleted. */
  name: string;
  /** Its runs deleted, with all of their results. */
  runs: number;
}

/** `runs.requests`: per-request columns (null where the event never happened). */
export interface RunRequestsOut {
  runId: number;
  /** Requests in the run. */
  count: number;
  /** Whether `points` holds a subset (every k-th request, the slowest E2E kept). */
  decimated: boolean;
  /** Request indices of the rows returned. */
  index: number[];
  arrivalS: number[];
  promptTokens: number[];
  outputTokens: number[];
  ttftS: (number | null)[];
  e2eS: (number | null)[];
  tpotS: (number | null)[];
  evictions: number[];
  preemptions: number[];
}

/** `runs.timeSeries`. */
export interface RunTimeSeriesOut {
  runId: number;
  tS: number[];
  queueLength: number[];
  running: number[];
  kvBlocks: number[];
  /** KV capacity, blocks (for a fraction axis); a cluster run's is its replicas' summed, as its kvBlocks are. */
  kvCapacityBlocks: number | null;
  prefillTokens: number[];
  decodeCount: number[];
}

/** A metric row of `runs.compare`. */
export interface CompareMetricRow {
  key: string;
  values: (number | null)[];
  /** Change against the baseline, percent (null for the baseline or where undefined). */
  changePct: (number | null)[];
  /**
   * Seed-to-seed spread of each run's configuration: the standard deviation of this metric over
   * the selected runs that differ from it only in seed; null when it has no such sibling; exactly
   * 0 only when every such run has the identical value (seeds that replayed the same requests, say),
   * which is no measured spread: the Compare view shows it as "± n/a (identical)", never "± 0".
   */
  seedSpread: (number | null)[];
}

/** A chart series: points (x, y) with a label. */
export interface SeriesOut {
  label: string;
  /** Run ids the points come from, in point order (for tooltips). */
  runIds: number[];
  x: number[];
  y: (number | null)[];
  /** The series' configuration (an index into CompareOut.configurations); absent for bounds. */
  configuration?: number;
}

/**
 * A configuration's runs at one arrival rate (`runs.compare`, docs/metrics.md "Compare by
 * configuration"): its seeds, their stability and each metric's mean, spread and change against
 * the baseline configuration at the same rate.
 */
export interface CompareCell {
  /** Nominal arrival rate, req/s; null for runs replaying a trace at its own timing. */
  rate: number | null;
  /** The cell's runs (every status), in the order compared. */
  runIds: number[];
  /** Their seeds, in the same order. */
  seeds: number[];
  /** Runs with stored metrics (done). */
  measured: number;
  /** Runs judged stable and unstable (the others have no verdict). */
  stable: number;
  unstable: number;
  /** Per metric key: the mean over the cell's runs that have a value; null when none has. */
  mean: Record<string, number | null>;
  /**
   * Per metric key: the sample standard deviation over the cell's runs (seeds); null for fewer
   * than 2 values; exactly 0 only when the values are all identical (CompareMetricRow.seedSpread).
   */
  spread: Record<string, number | null>;
  /**
   * Per metric key: (mean − baseline mean) / |baseline mean| × 100, the baseline being the
   * baseline configuration's cell at the SAME rate; null for the baseline itself, where either
   * mean is missing or the baseline's is 0, and at a rate the baseline has no runs.
   */
  changePct: Record<string, number | null>;
  /** Output tokens per second per user (docs/metrics.md), the mean over the cell's runs. */
  perUserTokS: number | null;
  /**
   * For a configuration on a cluster of replicas: each replica's share of the work (prompt +
   * output tokens routed to it / the cluster's), in replica order, the mean over the cell's runs;
   * absent for one replica.
   */
  replicaShares?: number[];
}

/**
 * A configuration of `runs.compare`: the compared runs with the same policy, parameters, workload
 * (its description without the rate) and machine, i.e. every parameter but the rate and the seed.
 */
export interface CompareConfiguration {
  /** Identity (stable JSON of policy, params, workload, machine). */
  key: string;
  /**
   * Short label: the policy, its parameters that differ among the compared configurations of that
   * policy (`vllm maxNumSeqs=64`), ` · workload` when workloads differ, ` @ machine` when
   * machines differ; unique (a ` (2)` suffix otherwise).
   */
  label: string;
  policy: string;
  params: Record<string, unknown>;
  /** Every parameter as `key=value`, keys sorted; empty for none. */
  paramsText: string;
  workload: string;
  machine: string;
  /** The sweeps its runs come from. */
  sweepIds: number[];
  /** Its runs, in the order compared. */
  runIds: number[];
  /** One cell per rate it was run at, rates ascending (a trace's null last). */
  cells: CompareCell[];
}

/** One point of the Pareto chart: a configuration at one rate (means over seeds). */
export interface ParetoPoint {
  /** Index into CompareOut.configurations. */
  configuration: number;
  rate: number | null;
  /** x: output tokens per second per user (docs/metrics.md). */
  perUserTokS: number;
  /** y: total output throughput, tokens per second (`throughput_tok_s`, one replica). */
  throughputTokS: number;
  /** Not dominated within its front: no other point of the front is at least as good on both. */
  front: boolean;
}

/** The points of one policy (per workload and machine when they differ) and its Pareto front. */
export interface ParetoFront {
  /** `vllm`, `vllm · sharegpt`, `vllm @ h100`. */
  label: string;
  policy: string;
  machine: string;
  points: ParetoPoint[];
}

/** `runs.compare`. */
export interface CompareOut {
  baselineId: number;
  runs: RunSummary[];
  /** Parameters (policy params, workload, rate, seed, machine) whose values differ across runs. */
  differing: { key: string; values: string[] }[];
  /**
   * Per run; `changePct` is against the baseline run and only for runs at its rate (null at
   * other rates: no cross-rate percentages). The configurations' cells compare means instead.
   */
  metrics: CompareMetricRow[];
  /** The runs grouped into configurations, in order of first appearance. */
  configurations: CompareConfiguration[];
  /** Index into configurations of each run (same order as runs). */
  runConfiguration: number[];
  /** The baseline configuration (that of baselineId): the cells' changePct are against it. */
  baselineConfiguration: number;
  /**
   * The configuration fields (policy, params, workload, machine) whose values differ, one value
   * per configuration; parameters collapsed into one `params` text (CompareConfiguration.paramsText).
   */
  configurationFields: { key: string; values: string[] }[];
  /** Every rate of the compared runs, ascending (a trace's null last). */
  rates: (number | null)[];
  charts: {
    /**
     * Per configuration: metric vs arrival rate, one point per rate (mean over seeds); each
     * series names its configuration.
     */
    latencyVsRate: { mean: SeriesOut[]; p99: SeriesOut[] };
    throughputVsRate: SeriesOut[];
    /** The fluid Throughput* per workload where the sweep's machine has a linear model, tokens/s. */
    fluidBound: SeriesOut[];
    /**
     * The fluid stability limit per workload (docs/fluid-benchmark.md), req/s, where it is finite:
     * drawn as a vertical line on the charts against the rate, also when every run has one rate.
     */
    fluidLimits: { label: string; rateRps: number }[];
    /** Empirical CDFs per run, decimated (x seconds, y fraction); labels name the run's machine. */
    ttftCdf: SeriesOut[];
    e2eCdf: SeriesOut[];
    /** Per run over time (x seconds). */
    kvUsage: SeriesOut[];
    queueLength: SeriesOut[];
    batchPrefillTokens: SeriesOut[];
    batchDecodes: SeriesOut[];
    /**
     * Output tokens/s per user against total output throughput, one front per policy (per
     * workload and machine when they differ) over its configurations and rates.
     */
    pareto: ParetoFront[];
  };
}

/** `export.report`. */
export interface ExportOut {
  filename: string;
  mime: string;
  content: string;
}

/**
 * One form a policy parameter's value may take (from the policy's spec schema): a number (a
 * comma list of them in a spec is a grid axis), one of some words, a list of numbers (one value),
 * an object of one key (`{ count: 10 }`), or something a form cannot build (`other`).
 */
export type PolicyParamForm =
  | {
      kind: 'number';
      integer: boolean;
      /** Lower bound; null: none. `exclusiveMin`: the bound itself is not allowed. */
      min: number | null;
      exclusiveMin: boolean;
      max: number | null;
      exclusiveMax: boolean;
    }
  | { kind: 'enum'; values: string[] }
  | { kind: 'list'; item: Extract<PolicyParamForm, { kind: 'number' }>; minItems: number }
  | { kind: 'object'; key: string; value: Extract<PolicyParamForm, { kind: 'number' | 'list' }> }
  | { kind: 'boolean' }
  | { kind: 'other' };

/** One parameter of a policy's sweep-spec entry. */
export interface PolicyParamOut {
  key: string;
  /** Its default (JSON); null when it has none (the entry then leaves it out). */
  default: number | string | boolean | null | unknown[] | Record<string, unknown>;
  description: string | null;
  /** The forms its value may take (several: an `anyOf` of the schema), in the schema's order. */
  forms: PolicyParamForm[];
}

/** A registered policy and its parameters (runner/schedulers/policy-spec.ts), for `machines.list`. */
export interface PolicyOut {
  policy: string;
  params: PolicyParamOut[];
}

/** `machines.list`. */
export interface MachinesOut {
  simulated: {
    name: string;
    description: string;
    gpu: string | null;
    model: string | null;
    kvCapacityBlocks: number;
    blockSize: number;
    iterationTime: Record<string, number | string>;
    linear: { d0: number | null; d1: number | null; exact: boolean; r2: number | null };
  }[];
  workers: { name: string; kind: 'local' | 'ssh'; reachedBy: string; createdAt: string }[];
  calibrations: {
    id: number;
    machineRef: string;
    dtype: string;
    gpu: string;
    torch: string;
    kvBlocks: number;
    heldOutErrorPct: number | null;
    createdAt: string;
  }[];
  /** The policies a sweep spec may name, with their parameters (what the New sweep form offers). */
  policies: PolicyOut[];
}

/** A dataset of `datasets.list`. */
export interface DatasetOut {
  /** Unique; the default workload name. */
  name: string;
  label: string;
  /** Origin, license, what to cite; or how it was imported. */
  description: string;
  builtIn: boolean;
  kind: 'trace' | 'lengths';
  /** The file, absolute, on the runner's machine. */
  path: string;
  /** The workload entry that uses it in a sweep spec: `{ trace: {...} }` or `{ lengths: {...} }`. */
  workload: Record<string, unknown>;
  /** Where an imported trace came from, and when it was imported (ISO 8601); null for built-ins. */
  importedFrom: string | null;
  importedAt: string | null;
  /**
   * Requests, token distributions and (traces) arrival rate; null when the file cannot be read, or
   * when `summaries: false` was asked.
   */
  summary: DatasetSummary | null;
  /** Why the file cannot be read (moved, edited into an invalid trace); null when it can. */
  problem: string | null;
}

export type { DatasetRemoval, DatasetSummary, ImportSummary, TracePreview };

/** `database.import`. */
export interface ImportOut {
  /**
   * What the import did (runner/store/import-summary.ts): the source file and identity, sweeps
   * added and merged, runs added, completed and skipped, calibrations and worker machines added,
   * and the names of the worker machines skipped.
   */
  summary: ImportSummary;
}

/** `health`. */
export interface HealthOut {
  apiVersion: number;
  database: string;
  host: string;
  node: string;
}

/** Output of every operation. */
export interface ApiOutputs {
  health: HealthOut;
  'sweeps.list': SweepSummary[];
  'sweeps.get': SweepDetail;
  'sweeps.validate': ValidateOut;
  'sweeps.start': { sweepId: number; resumed: boolean };
  'sweeps.resume': { sweepId: number };
  'sweeps.cancel': { cancelled: boolean };
  'sweeps.progress': SweepProgressOut;
  'sweeps.summary': SweepSummaryData;
  'sweeps.capacity': CapacityOut;
  'sweeps.rename': SweepSummary;
  'sweeps.delete': SweepDeleteOut;
  'runs.list': RunSummary[];
  'runs.get': RunDetail;
  'runs.requests': RunRequestsOut;
  'runs.timeSeries': RunTimeSeriesOut;
  'runs.compare': CompareOut;
  'export.report': ExportOut;
  'machines.list': MachinesOut;
  'datasets.list': DatasetOut[];
  'datasets.preview': TracePreview;
  'datasets.import': DatasetOut;
  'datasets.remove': DatasetRemoval;
  'database.import': ImportOut;
}

/** Output of an operation. */
export type ApiOutput<Op extends ApiOp> = ApiOutputs[Op];

/** Events the runner pushes to subscribers. */
export interface ApiEvents {
  /** A sweep's progress changed (throttled to a few per second per sweep). */
  progress: SweepProgressOut;
  /** A sweep's execution ended (all runs ended, or cancelled). */
  ended: { sweepId: number; cancelled: boolean; done: number; failed: number };
}

/** Name of an event. */
export type ApiEventName = keyof ApiEvents;

/**
 * How an operation failed, on every transport: `bad-input` (the input or the spec is wrong;
 * fix it), `not-found` (no such sweep or run), `conflict` (e.g. the sweep is already running),
 * `internal` (a bug: the message says what).
 */
export interface ApiErrorOut {
  code: 'bad-input' | 'not-found' | 'conflict' | 'internal';
  message: string;
  line?: number;
  field?: string;
}

/** Parses an operation's input. @returns the validated input or a `bad-input` error naming the field */
export function parseApiInput<Op extends ApiOp>(
  op: Op,
  input: unknown,
): { ok: true; value: ApiInput<Op> } | { ok: false; error: ApiErrorOut } {
  const schema = API_INPUTS[op] as z.ZodType;
  const result = schema.safeParse(input ?? {});
  if (result.success) return { ok: true, value: result.data as ApiInput<Op> };
  const issue = result.error.issues[0];
  const field = issue.path.map(String).join('.');
  return {
    ok: false,
    error: {
      code: 'bad-input',
      message: `${op}: ${field ? `${field}: ` : ''}${issue.message}`,
      ...(field ? { field } : {}),
    },
  };
}

/** Whether `op` names an operation of this contract. */
export function isApiOp(op: unknown): op is ApiOp {
  return typeof op === 'string' && Object.prototype.hasOwnProperty.call(API_INPUTS, op);
}
