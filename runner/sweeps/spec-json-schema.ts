import { z } from 'zod';
import { PolicySpecSchema } from '../schedulers/policy-spec.js';
import { WorkloadSpecSchema } from '../workloads/workload-spec.js';
import { SweepSpecSchema } from './sweep-spec.js';
import { RateSearchSchema } from './rate-search.js';

/**
 * The JSON Schema published as docs/sweep-spec.schema.json, generated from the zod schemas the
 * CLI validates with (zod's `toJSONSchema`). Workload and policy entries are described as one
 * grid point; in a spec any scalar field may also be a list, which makes it a grid axis.
 */
export function sweepSpecJsonSchema(): Record<string, unknown> {
  const documented = SweepSpecSchema.extend({
    workloads: z
      .array(WorkloadSpecSchema)
      .min(1)
      .describe(
        'Workload entries. Any list-valued field except `types` is a grid axis: one run per element.',
      ),
    policies: z
      .array(PolicySpecSchema)
      .min(1)
      .describe('Policy entries (vllm, sarathi, fcfs). Any list-valued field is a grid axis.'),
  });
  const schema = z.toJSONSchema(documented, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  allowRateSearch(schema);
  return {
    ...schema,
    $id: 'https://schedbench.dev/schema/sweep-spec.json',
    title: 'Schedbench sweep spec',
    description:
      'A sweep: a machine, workloads and policies. Any scalar field of a workload or policy entry may be written as a list, which makes it a grid axis (the runs are the cartesian product). Relative paths resolve against the spec file.',
  };
}

/**
 * Lets a workload's `rate` and every arrival process's `rate` be a capacity search
 * (`{search: {min, max, precision, attainment}}`, RateSearchSchema) as well as a number: the
 * planner takes the search out before it validates the entry (extractRateSearch), so the zod
 * schema of one grid point has a number there.
 */
function allowRateSearch(schema: Record<string, unknown>): void {
  const search = z.toJSONSchema(
    RateSearchSchema.describe(
      'A capacity search instead of a fixed rate: per policy, the largest rate (req/s) that is stable and meets the SLO for `attainment` of the requests (docs/metrics.md, "Capacity").',
    ),
    { io: 'input' },
  ) as Record<string, unknown>;
  delete search.$schema;
  const orSearch = (rate: unknown): unknown => ({ anyOf: [rate, search] });
  type Node = { properties?: Record<string, unknown>; oneOf?: Node[] };
  const workload = (schema as { properties: { workloads: { items: Node } } }).properties.workloads.items;
  const props = workload.properties!;
  props.rate = orSearch(props.rate);
  for (const process of (props.arrival as Node).oneOf ?? []) {
    process.properties!.rate = orSearch(process.properties!.rate);
  }
}
