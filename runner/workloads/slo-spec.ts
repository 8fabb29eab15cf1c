/**
 * The service-level objective (SLO) of a sweep spec or of one workload: per-request latency
 * bounds that decide which completed requests count as "good" for the goodput metrics
 * (`goodput_rps`, `goodput_tok_s`, `slo_attainment`; docs/metrics.md, "Goodput and SLO").
 *
 * Semantics are those of vLLM's `bench serve --goodput` (`calculate_metrics` in
 * `vllm/benchmarks/serve.py`, vllm-project/vllm at 009e6d4a1cd6ba3fb2a9fc00f4ec06f5297232a1):
 * a request is good when it completed and each bound given holds with `value <= bound`; vLLM
 * takes the bounds in milliseconds (`ttft`, `tpot`, `e2el`), a spec writes them in seconds.
 *
 * Lives with the workloads (the lowest layer) because both the sweep spec and a workload entry
 * may carry one, and the metrics layer reads it.
 */
import { z } from 'zod';

const bound = (field: string): z.ZodOptional<z.ZodNumber> =>
  z
    .number({ error: `\`${field}\` must be a number of seconds` })
    .positive({ error: `\`${field}\` must be a positive number of seconds` })
    .optional();

/**
 * `slo: {ttft_s, tpot_s, e2e_s}`: any non-empty subset of the three bounds, each a positive
 * number of seconds.
 * - `ttft_s`: largest time to first token (first token − arrival);
 * - `tpot_s`: largest time per output token after the first, (E2E − TTFT) / (output tokens − 1);
 *   a request with one output token has no TPOT and meets this bound (vLLM counts its TPOT as 0);
 * - `e2e_s`: largest end-to-end latency (last token − arrival).
 */
export const SloSpecSchema = z
  .object({
    ttft_s: bound('ttft_s'),
    tpot_s: bound('tpot_s'),
    e2e_s: bound('e2e_s'),
  })
  .strict()
  .refine((s) => s.ttft_s !== undefined || s.tpot_s !== undefined || s.e2e_s !== undefined, {
    error: 'an SLO needs at least one of `ttft_s`, `tpot_s`, `e2e_s` (seconds)',
  })
  // For the published JSON Schema (docs/sweep-spec.schema.json), which cannot run the refinement.
  .meta({
    description:
      'Latency bounds in seconds (any non-empty subset) for goodput_rps, goodput_tok_s and ' +
      'slo_attainment: a request is good when it completed within every bound given (vLLM bench ' +
      "serve --goodput). A workload's slo replaces the spec's whole.",
    minProperties: 1,
  });

/** Latency bounds of an SLO, seconds (see {@link SloSpecSchema}); absent bounds do not apply. */
export type Slo = z.infer<typeof SloSpecSchema>;
