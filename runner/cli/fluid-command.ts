import { fluidEquilibrium } from '../fluid/fluid-equilibrium.js';
import type { PromptType } from '../fluid/prompt-type.js';
import { requestTypes } from '../fluid/request-types.js';
import { formatTable } from '../reports/runs-table.js';
import { InputError } from '../errors.js';
import type { MachineRegistry } from '../machines/machine-registry.js';
import type { Machine } from '../machines/machine.js';
import { planClusterSizes } from '../sweeps/cluster-sizes.js';
import { planSweep, requestListKey, type SweepPlan } from '../sweeps/sweep-plan.js';

/** Formats of `schedbench fluid`. */
export const FLUID_FORMATS = ['table', 'json'] as const;
export type FluidFormat = (typeof FLUID_FORMATS)[number];

/** One prompt type of a `schedbench fluid` row, with its equilibrium population. */
export interface FluidRowType extends PromptType {
  /** n*_j = tau* lambda_j S_j, type-j prompts in the system at equilibrium; null when unstable. */
  n_star: number | null;
}

/** One row of `schedbench fluid`: the fluid benchmark of one workload grid point. */
export interface FluidRow {
  workload: string;
  rate_rps: number;
  /** `declared` (typed workload) or `binned` (10 output-length bins of the first seed's requests). */
  types_source: string;
  /** The types (l_j, l'_j, lambda_j) and their n*_j. */
  types: FluidRowType[];
  load: number;
  throughput_star_tok_s: number;
  m_star_tokens: number | null;
  iteration_time_star_s: number | null;
  /** Prompt tokens prefilled per equilibrium iteration, tau* sum_j lambda_j l_j; null when unstable. */
  prefill_star_tokens: number | null;
  stable: boolean;
  max_stable_rate_rps: number;
  max_throughput_tok_s: number;
  kv_capacity_tokens: number;
  /** C >= M* (arXiv 2504.11320v2 §3: the fluid Throughput* needs it). */
  memory_sufficient: boolean | null;
}

/**
 * `schedbench fluid SPEC.yaml`: the paper's fluid benchmark (arXiv 2504.11320v2 §3; docs/fluid-benchmark.md)
 * for every workload grid point of a spec, on the spec's machine (its linear model d0, d1 and the
 * prefill cost d2, fluidEquilibrium) and token model; a spec over a `machine` list gets one section
 * per machine (JSON: `{machines: [...]}`, one document per machine). Types come from a
 * typed workload exactly, or from the first seed's requests by binning output lengths into 10 bins
 * (as for the paper's real data, §6.2). The rows are one replica's at the whole rate; a spec whose
 * policies run on clusters says so in the note (JSON: `cluster_sizes`), N replicas being bounded by
 * N times the stability limit and throughput (perfect balance).
 * @param registry opens the database, for `profile:` and worker machines
 * @returns the text to print (a table, or JSON with the types)
 * @throws InputError on a bad spec (the CLI exits 2)
 */
export function fluidCommand(
  specPath: string,
  format: FluidFormat,
  registry?: () => MachineRegistry,
): string {
  const plan = planSweep(specPath, registry ? { registry } : {});
  const sections = plan.machines.map(({ machine }) => fluidOnMachine(plan, machine, specPath));
  if (format === 'json') {
    const documents = sections.map((section) => section.document);
    return `${JSON.stringify(documents.length === 1 ? documents[0] : { machines: documents }, null, 2)}\n`;
  }
  return sections.map((section) => section.text).join('\n');
}

/** The fluid benchmark of every workload of `plan` on one of its machines: a JSON document and a table. */
function fluidOnMachine(
  plan: SweepPlan,
  machine: Machine,
  specPath: string,
): { document: Record<string, unknown>; text: string } {
  const { d0, d1, exact } = machine.linear;
  const d2 = machine.linear.d2 ?? 0;
  if (!(Number.isFinite(d0) && Number.isFinite(d1))) {
    throw new InputError(
      `${specPath}: machine ${machine.name} has no linear iteration-time model (d0, d1) yet: calibrate it with \`schedbench profile\``,
      { file: specPath, field: 'machine' },
    );
  }
  const capacity = machine.kvCapacityBlocks * machine.blockSize;
  const seed = plan.spec.seeds[0];
  // Cluster sizes the spec's policies ask for (`replicas` > 1): N replicas bound at N times these.
  const clusters = planClusterSizes(plan).filter((n) => n > 1);
  const rows: FluidRow[] = plan.workloads.map((w, wi) => {
    const list = plan.requestLists.get(requestListKey(wi, seed))!;
    const declared = w.loaded.kind === 'types' ? [...w.loaded.types] : null;
    const { types, source } = requestTypes(list, w.rate, declared);
    const f = fluidEquilibrium(types, d0, d1, plan.spec.tokenModel, d2);
    return {
      workload: w.label,
      rate_rps: w.rate,
      types_source: source,
      types: types.map((t, j) => ({
        prompt: t.prompt,
        output: t.output,
        rate: t.rate,
        n_star: f.nStar === null ? null : f.nStar[j],
      })),
      load: f.load,
      throughput_star_tok_s: f.throughputStarTokS,
      m_star_tokens: f.mStarTokens,
      iteration_time_star_s: f.iterationTimeStarS,
      prefill_star_tokens: f.prefillStarTokens,
      stable: f.stable,
      max_stable_rate_rps: f.maxStableRateRps,
      max_throughput_tok_s: f.maxThroughputTokS,
      kv_capacity_tokens: capacity,
      memory_sufficient: f.mStarTokens === null ? null : capacity >= f.mStarTokens,
    };
  });
  const note =
    `machine ${machine.name}: d0 = ${d0} s, d1 = ${d1} s per KV token` +
    (d2 !== 0 ? `, d2 = ${d2} s per prefilled prompt token` : '') +
    (exact
      ? ' (its linear iteration-time model)'
      : ' (the linear fit of its non-linear iteration-time model)') +
    `; token model ${plan.spec.tokenModel}; KV capacity ${capacity} tokens` +
    (clusters.length > 0
      ? `; one replica at the whole rate: the spec's clusters of ${clusters.join(', ')} replicas are ` +
        'bounded by N x max_stable_rate_rps and N x max_throughput_tok_s (perfect balance)'
      : '');
  const document = {
    machine: machine.name,
    d0,
    d1,
    d2,
    linear_model_exact: exact,
    token_model: plan.spec.tokenModel,
    ...(clusters.length > 0 ? { cluster_sizes: clusters } : {}),
    rows,
  };
  const table = rows.map((r) => ({
    workload: r.workload,
    rate_rps: r.rate_rps,
    types: `${r.types.length} ${r.types_source}`,
    load: r.load,
    throughput_star_tok_s: r.throughput_star_tok_s,
    m_star_tokens: r.m_star_tokens,
    iteration_time_star_s: r.iteration_time_star_s,
    stable: String(r.stable),
    max_stable_rate_rps: r.max_stable_rate_rps,
    kv_capacity_tokens: r.kv_capacity_tokens,
    memory_sufficient: r.memory_sufficient === null ? '-' : String(r.memory_sufficient),
  }));
  return { document, text: `${note}\n${formatTable(table)}` };
}
