import { z } from 'zod';
import { MachineRefSchema } from '../machines/machine-ref.js';
import { SloSpecSchema } from '../workloads/slo-spec.js';

const entry = z.record(z.string(), z.unknown());

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
    /** A built-in machine name (`a100-llama2-7b`) or an inline linear machine. */
    machine: MachineRefSchema,
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
    seeds: z.array(z.number().int().nonnegative()).min(1).default([1]),
    /** Stop every run at this simulated time, seconds; unfinished requests are then reported. */
    horizon: z.number().positive().optional(),
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
    /** Workload entries; list-valued fields are grid axes (except `types`). */
    workloads: z.array(entry).min(1),
    /** Policy entries; list-valued fields are grid axes. */
    policies: z.array(entry).min(1),
  })
  .strict();

/** A validated sweep spec (entries not yet expanded). */
export type SweepSpec = z.infer<typeof SweepSpecSchema>;
