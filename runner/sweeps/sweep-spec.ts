import { z } from 'zod';
import { MachineRefSchema, type MachineRef } from '../machines/machine-ref.js';
import { SloSpecSchema } from '../workloads/slo-spec.js';

const entry = z.record(z.string(), z.unknown());

/** Default most runs a sweep may plan (workload points x policy points x seeds); `limits.runs` raises it. */
export const DEFAULT_RUN_LIMIT = 10_000;
/** Default most requests per run (`requests`, spec or workload); `limits.requests` raises it. */
export const DEFAULT_REQUEST_LIMIT = 10_000_000;
/** Largest `limits.runs` a spec may set. */
export const MAX_RUN_LIMIT = 10_000_000;
/** Largest `limits.requests` a spec may set: the engine indexes requests with Int32 arrays. */
export const MAX_REQUEST_LIMIT = 2 ** 31 - 1;
/** Largest seed: MT19937 takes a 32-bit unsigned seed. */
export const MAX_SEED = 2 ** 32 - 1;
/** Largest `horizon`, seconds (about 31.7 years of simulated time). */
export const MAX_HORIZON_S = 1e9;
/** Most machines one sweep lists (`machine: [...]`). */
export const MAX_MACHINES = 64;

/**
 * Size limits of a sweep, checked before anything is expanded or allocated (sweep-plan.ts): a
 * spec over them is refused, naming the count and this field.
 */
export const SpecLimitsSchema = z
  .object({
    runs: z
      .number()
      .int()
      .positive()
      .max(MAX_RUN_LIMIT)
      .optional()
      .describe(`Most runs (workload points x policy points x seeds); default ${DEFAULT_RUN_LIMIT}.`),
    requests: z
      .number()
      .int()
      .positive()
      .max(MAX_REQUEST_LIMIT)
      .optional()
      .describe(`Most requests per run (\`requests\`, spec or workload); default ${DEFAULT_REQUEST_LIMIT}.`),
  })
  .strict();

/**
 * A sweep spec file (YAML), before grid expansion. Workload and policy entries are validated one
 * grid point at a time (WorkloadSpecSchema, PolicySpecSchema) after their list-valued fields are
 * expanded (runner/sweeps/grid.ts). The published JSON Schema is docs/sweep-spec.schema.json.
 */
export const SweepSpecSchema = z
  .object({
    /** Sweep name, shown in reports. */
    name: z.string().min(1),
    /** Free text for the report. */
    description: z.string().optional(),
    /**
     * The machine the runs execute on: a built-in name (`a100-llama2-7b`), an inline linear
     * machine, a `profile:NAME/MODEL` calibration or a GPU worker; or a list of them, a grid axis
     * like any other (every run on every machine, the same requests on each: see specMachines).
     */
    machine: z.union([MachineRefSchema, z.array(MachineRefSchema).min(1).max(MAX_MACHINES)]),
    /**
     * Requests per run: a window of N consecutive rows of a trace (its start drawn per seed), or N
     * generated (a workload's own `requests` wins).
     */
    requests: z.number().int().positive().optional(),
    /**
     * Seeds; each (workload, seed) gives every policy the identical request list. Default [1]. A
     * seed whose list repeats an earlier seed's (a trace replayed whole) is left out of that
     * workload with a warning (sweep-plan.ts, identical-seeds.ts).
     */
    seeds: z.array(z.number().int().nonnegative().max(MAX_SEED)).min(1).default([1]),
    /** Stop every run at this simulated time, seconds; unfinished requests are then reported. */
    horizon: z.number().positive().max(MAX_HORIZON_S).optional(),
    /** `vllm` (prefill emits the first token; default) or `paper` (arXiv 2504.11320v2 §2); see TokenModel. */
    tokenModel: z.enum(['vllm', 'paper']).default('vllm'),
    /**
     * Latency bounds, seconds, for the goodput metrics (`{ttft_s, tpot_s, e2e_s}`, any non-empty
     * subset; vLLM `bench serve --goodput` semantics, runner/workloads/slo-spec.ts). A workload's
     * own `slo` replaces this one whole. Absent: the goodput metrics are null.
     */
    slo: SloSpecSchema.optional(),
    /**
     * What to do with requests that can never fit in the KV cache under a policy (absent means
     * `refuse`): `refuse` rejects the sweep, naming how many and the first few; `skip` runs each
     * run without them and reports their count as the run's `rejected` metric and a warning.
     */
    oversize: z
      .enum(['refuse', 'skip'])
      .optional()
      .describe(
        'Requests that can never fit in the KV cache: refuse the sweep (default) or skip them, ' +
          'reported as the run metric `rejected`.',
      ),
    /**
     * Raises the size limits (`{runs, requests}`): by default a sweep of more than
     * DEFAULT_RUN_LIMIT runs, or with more than DEFAULT_REQUEST_LIMIT requests per run, is refused.
     */
    limits: SpecLimitsSchema.optional().describe(
      `Size limits: runs (default ${DEFAULT_RUN_LIMIT}) and requests per run (default ` +
        `${DEFAULT_REQUEST_LIMIT}); a larger sweep is refused unless raised here.`,
    ),
    /** Workload entries; list-valued fields are grid axes (except `types`). */
    workloads: z.array(entry).min(1),
    /** Policy entries; list-valued fields are grid axes. */
    policies: z.array(entry).min(1),
  })
  .strict();

/** A validated sweep spec (entries not yet expanded). */
export type SweepSpec = z.infer<typeof SweepSpecSchema>;

/**
 * The machines of a spec as a list: the `machine` list itself, or the one machine.
 * @param spec a validated spec
 */
export function specMachines(spec: Pick<SweepSpec, 'machine'>): MachineRef[] {
  return Array.isArray(spec.machine) ? spec.machine : [spec.machine];
}
