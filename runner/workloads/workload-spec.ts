/**
 * The schema of ONE fully-expanded workload entry of a sweep spec.
 *
 * The sweep layer expands every list-valued scalar into grid points before it validates an entry
 * with {@link WorkloadSpecSchema}, so every field here is a scalar except `types` (the paper's typed
 * mix, arXiv 2504.11320v2 §2). The random seed is not a workload field: the sweep passes it to
 * `buildRequestList`.
 *
 * A workload has exactly one source:
 * - `trace` (+ optional `rate`): replay a recorded trace (arrival times and lengths);
 * - `lengths` + `arrival`: lengths from a length-only file, arrivals from a process;
 * - `promptTokens` + `outputTokens` + `arrival`: synthetic lengths and arrivals;
 * - `types`: the paper's typed mix, each type a Poisson stream with fixed lengths.
 *
 * Every object is `.strict()`, so a misspelt or unknown field is rejected with its name. Units:
 * rates in requests per second, lengths in tokens, times in seconds unless `timeUnit` says otherwise.
 */
import { z } from 'zod';
import { InputError } from '../errors.js';
import { SloSpecSchema } from './slo-spec.js';
import { MAX_TOKEN_COUNT } from './token-count.js';

/** Lowest rate, req/s: slower would put arrival times and durations beyond a sensible range. */
export const MIN_RATE = 1e-6;
/** Highest rate, req/s. */
export const MAX_RATE = 1e9;

const positiveInt = z.number().int().positive();
/** A token count: the engine keeps them in Int32Arrays (runner/engine/replica-engine.ts). */
const tokenCount = positiveInt.max(MAX_TOKEN_COUNT);
const positiveRate = z
  .number()
  .min(MIN_RATE, { error: `a rate must be at least ${MIN_RATE} requests per second (and positive)` })
  .max(MAX_RATE, { error: `a rate must be at most ${MAX_RATE} requests per second` });
const nonEmptyString = z.string().min(1);
/** `clip` is a Poisson-only option: present on another process, it is an error that names it. */
const clipOnlyWithPoisson = z
  .never({ error: '`clip` applies only to `process: poisson` (Vidur clips only its Poisson gaps)' })
  .optional();

/**
 * Arrival process of synthetic and lengths-only workloads; `rate` is the mean rate (req/s, > 0).
 * - `poisson`: exponential inter-arrival times with mean 1/rate (Vidur
 *   `vidur/request_generator/poisson_request_interval_generator.py`). Optional `clip`:
 *   - absent: the exact Poisson process;
 *   - `vidur`: each gap truncated at 3/rate, as Vidur's and Sarathi-Serve's "poisson" generator does
 *     (gap = min(Exp(rate), 3/rate)), so results compare like for like with theirs. The mean gap is
 *     (1 - e^-3)/rate, so the offered rate is rate/(1 - e^-3), about 1.0524 x `rate`. `rate` stays
 *     the nominal rate as written (what a sweep's rate axis and the reported nominal rate show),
 *     matching Vidur's `qps`; see `offeredRate` in `arrival-process.ts` for the true mean.
 * - `gamma`: Gamma inter-arrival times with mean 1/rate and EITHER `cv` (coefficient of variation of
 *   the inter-arrival time, shape k = 1/cv^2: Vidur `gamma_request_interval_generator.py`) OR
 *   `burstiness` (vLLM `benchmarks/benchmark_serving.py` `get_request`: shape k = burstiness, scale
 *   1/(rate*k), so CV = 1/sqrt(k); burstiness 1 is Poisson, < 1 burstier, > 1 more regular).
 * - `deterministic`: constant inter-arrival time 1/rate.
 *
 * `clip` on `gamma` or `deterministic` is rejected with a message naming it (Vidur clips only its
 * Poisson generator).
 */
export const ArrivalSpecSchema = z.discriminatedUnion('process', [
  z
    .object({ process: z.literal('poisson'), rate: positiveRate, clip: z.enum(['vidur']).optional() })
    .strict(),
  z
    .object({
      process: z.literal('gamma'),
      rate: positiveRate,
      cv: z.number().positive().max(100).optional(),
      burstiness: z.number().min(1e-4).max(1e4).optional(),
      clip: clipOnlyWithPoisson,
    })
    .strict()
    .superRefine((v, ctx) => {
      if ((v.cv === undefined) === (v.burstiness === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: v.cv === undefined ? ['cv'] : ['burstiness'],
          message:
            'a gamma arrival process needs exactly one of `cv` or `burstiness` (burstiness k = 1/cv^2)',
        });
      }
    }),
  z.object({ process: z.literal('deterministic'), rate: positiveRate, clip: clipOnlyWithPoisson }).strict(),
]);
/** Arrival process of a synthetic or lengths-only workload (see {@link ArrivalSpecSchema}). */
export type ArrivalSpec = z.infer<typeof ArrivalSpecSchema>;

/** Column names of a length-only file; default `num_prefill_tokens`, `num_decode_tokens`. */
export const LengthColumnsSchema = z.object({ prompt: nonEmptyString, output: nonEmptyString }).strict();
/** Column names of a length-only file (see {@link LengthColumnsSchema}). */
export type LengthColumns = z.infer<typeof LengthColumnsSchema>;

/** Largest `max` of a zipf distribution: its CDF table holds `max` doubles. */
export const ZIPF_MAX_SUPPORT = 10_000_000;

/**
 * Distribution of one synthetic length (tokens, integers >= 1):
 * - `fixed`: always `value`.
 * - `uniform`: integers `min..max` inclusive, equally likely.
 * - `lognormal`: X = round(exp(N(mu, sigma^2))), clamped to >= 1 and to <= `max` when given. Give
 *   `mu` (the mean of ln X) OR `mean` (the arithmetic mean of the unrounded, unclamped X, tokens;
 *   then mu = ln(mean) - sigma^2/2). `sigma` > 0 is the standard deviation of ln X.
 * - `zipf`: finite support 1..max, P(k) proportional to k^-s (s >= 0), sampled by inverse CDF.
 * - `file`: values of one column (`prompt` or `output`) of a length-only file, drawn uniformly
 *   with replacement; `columns` overrides the file's column names like `lengths.columns`.
 */
export const LengthDistributionSchema = z.discriminatedUnion('dist', [
  z.object({ dist: z.literal('fixed'), value: tokenCount }).strict(),
  z
    .object({ dist: z.literal('uniform'), min: tokenCount, max: tokenCount })
    .strict()
    .superRefine((v, ctx) => {
      if (v.min > v.max) ctx.addIssue({ code: 'custom', path: ['max'], message: '`max` must be >= `min`' });
    }),
  z
    .object({
      dist: z.literal('lognormal'),
      mean: z.number().positive().max(MAX_TOKEN_COUNT).optional(),
      mu: z.number().min(-1000).max(1000).optional(),
      sigma: z.number().positive().max(100),
      max: tokenCount.optional(),
    })
    .strict()
    .superRefine((v, ctx) => {
      if ((v.mean === undefined) === (v.mu === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: v.mean === undefined ? ['mean'] : ['mu'],
          message: 'a lognormal distribution needs exactly one of `mean` (tokens) or `mu` (mean of ln X)',
        });
      }
    }),
  z
    .object({
      dist: z.literal('zipf'),
      s: z.number().nonnegative(),
      max: positiveInt.max(ZIPF_MAX_SUPPORT),
    })
    .strict(),
  z
    .object({
      dist: z.literal('file'),
      path: nonEmptyString,
      column: z.enum(['prompt', 'output']),
      columns: LengthColumnsSchema.optional(),
    })
    .strict(),
]);
/** Distribution of one synthetic length (see {@link LengthDistributionSchema}). */
export type LengthDistributionSpec = z.infer<typeof LengthDistributionSchema>;

/** Field names of a generic csv/jsonl trace: arrival time, prompt tokens, output tokens. */
export const TraceColumnsSchema = z
  .object({ arrival: nonEmptyString, prompt: nonEmptyString, output: nonEmptyString })
  .strict();
/** Field names of a generic trace (see {@link TraceColumnsSchema}). */
export type TraceColumns = z.infer<typeof TraceColumnsSchema>;

/** Prompt tokens per hash id of a generic JSONL trace when `blockTokens` is not given (Mooncake's). */
export const DEFAULT_HASH_ID_BLOCK_TOKENS = 512;

/**
 * Field names of a generic JSONL trace: those of {@link TraceColumnsSchema} plus, optionally,
 * `hashIds`, the field holding each row's prompt-block ids (a JSON array of integers in
 * [0, 2^53), one per `blockTokens` prompt tokens, in prompt order, as Mooncake's `hash_ids`).
 */
export const JsonlTraceColumnsSchema = TraceColumnsSchema.extend({
  hashIds: nonEmptyString.optional(),
}).strict();
/** Field names of a generic JSONL trace (see {@link JsonlTraceColumnsSchema}). */
export type JsonlTraceColumns = z.infer<typeof JsonlTraceColumnsSchema>;

const JSONL_ONLY = 'hash ids are read from JSONL traces only (`format: jsonl`); a CSV trace cannot name them';
/** Field names of a generic CSV trace: `hashIds` is refused with a message that names it. */
const CsvTraceColumnsSchema = TraceColumnsSchema.extend({
  hashIds: z.never({ error: JSONL_ONLY }).optional(),
}).strict();

const timeShape = {
  path: nonEmptyString,
  timeUnit: z.enum(['s', 'ms', 'us']).optional(),
  timestampFormat: z.enum(['seconds', 'datetime']).optional(),
};
const noUnitWithDatetime = (
  v: { timeUnit?: string | undefined; timestampFormat?: string | undefined },
  ctx: z.RefinementCtx,
): void => {
  if (v.timestampFormat === 'datetime' && v.timeUnit !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['timeUnit'],
      message: '`timeUnit` applies to numeric timestamps only, not to `timestampFormat: datetime`',
    });
  }
};

/**
 * A recorded trace file. `path` is relative to the spec file's directory.
 * - `azure`: Azure LLM inference trace 2023 CSV, `TIMESTAMP,ContextTokens,GeneratedTokens`.
 * - `mooncake`: Mooncake FAST'25 JSONL, `timestamp` (ms), `input_length`, `output_length`,
 *   `hash_ids` (512-token prompt blocks).
 * - `csv` / `jsonl`: any trace; `columns` maps the fields (default csv: Vidur's
 *   `arrived_at,num_prefill_tokens,num_decode_tokens`; default jsonl: Mooncake's
 *   `timestamp,input_length,output_length`), `timestampFormat` is `seconds` (numbers in `timeUnit`,
 *   default `s`) or `datetime` (`YYYY-MM-DD[ T]HH:MM:SS[.fraction][Z|+HH:MM]`); default `seconds`.
 * - `jsonl` only: `columns.hashIds` names a field of prompt-block ids (prefix identity, read as
 *   the Mooncake reader reads `hash_ids`), `blockTokens` (integer >= 1, default
 *   {@link DEFAULT_HASH_ID_BLOCK_TOKENS}) the prompt tokens per id; `blockTokens` without
 *   `columns.hashIds` is refused at `blockTokens`, and `columns.hashIds` or `blockTokens` on a
 *   `csv` trace at its own field.
 */
export const TraceSpecSchema = z.discriminatedUnion('format', [
  z.object({ path: nonEmptyString, format: z.literal('azure') }).strict(),
  z.object({ path: nonEmptyString, format: z.literal('mooncake') }).strict(),
  z
    .object({
      ...timeShape,
      format: z.literal('csv'),
      columns: CsvTraceColumnsSchema.optional(),
      blockTokens: z
        .never({ error: `\`blockTokens\` is the size of a hash id's block; ${JSONL_ONLY}` })
        .optional(),
    })
    .strict()
    .superRefine(noUnitWithDatetime),
  z
    .object({
      ...timeShape,
      format: z.literal('jsonl'),
      columns: JsonlTraceColumnsSchema.optional(),
      blockTokens: tokenCount.optional(),
    })
    .strict()
    .superRefine((v, ctx) => {
      noUnitWithDatetime(v, ctx);
      if (v.blockTokens !== undefined && v.columns?.hashIds === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['blockTokens'],
          message:
            '`blockTokens` is the prompt tokens per hash id; it applies only with `columns.hashIds` ' +
            '(the field holding the ids)',
        });
      }
    }),
]);
/** A recorded trace file (see {@link TraceSpecSchema}). */
export type TraceSpec = z.infer<typeof TraceSpecSchema>;

/** A length-only file (CSV with a header); `path` is relative to the spec file's directory. */
export const LengthsSpecSchema = z
  .object({ path: nonEmptyString, columns: LengthColumnsSchema.optional() })
  .strict();
/** A length-only file (see {@link LengthsSpecSchema}). */
export type LengthsSpec = z.infer<typeof LengthsSpecSchema>;

/** One type of the paper's typed mix: fixed prompt/output tokens, Poisson rate (req/s). */
export const TypeSpecSchema = z
  .object({ prompt: tokenCount, output: tokenCount, rate: positiveRate })
  .strict();
/** One type of the typed mix (see {@link TypeSpecSchema}). */
export type TypeSpec = z.infer<typeof TypeSpecSchema>;

/** Most distinct system prompts of a `sharedPrefix` (their ids are 0 .. prompts - 1). */
export const MAX_SHARED_PROMPTS = MAX_TOKEN_COUNT;

/**
 * Shared system prompts of a generated workload (`shared-prefix.ts`): `prompts` (K, integer
 * 1..{@link MAX_SHARED_PROMPTS}) distinct system prompts of `tokens` (L, integer 1..2^31 - 1)
 * tokens each; each request, independently with probability `fraction` (f, in [0, 1]), gets one of
 * the K drawn uniformly, prepended to its prompt (prompt tokens L + its own), and the others keep
 * their prompt. The prompts' identity travels as the list's prefix blocks (one id of L tokens).
 */
export const SharedPrefixSpecSchema = z
  .object({
    prompts: positiveInt.max(MAX_SHARED_PROMPTS),
    tokens: tokenCount,
    fraction: z.number().min(0).max(1),
  })
  .strict();
/** Shared system prompts of a generated workload (see {@link SharedPrefixSpecSchema}). */
export type SharedPrefixSpec = z.infer<typeof SharedPrefixSpecSchema>;

/** Most turns of one multi-turn session (`sessions.turns`). */
export const MAX_SESSION_TURNS = 10_000;
/** Largest mean of a geometric `sessions.turns`: its draws above {@link MAX_SESSION_TURNS} are then negligible. */
export const MAX_GEOMETRIC_MEAN_TURNS = 1000;
/** Largest mean think time of a multi-turn session, seconds (about 11.6 days). */
export const MAX_THINK_TIME_S = 1e6;

const turnCount = positiveInt.max(MAX_SESSION_TURNS);

/**
 * Turns per session of a multi-turn workload (`multi-turn.ts`), drawn once per session:
 * - an integer T (1..{@link MAX_SESSION_TURNS}), or `{dist: fixed, value: T}`: always T turns;
 * - `{dist: uniform, min, max}`: integers min..max inclusive, equally likely;
 * - `{dist: geometric, mean}`: P(T = k) = (1 - p)^(k - 1) p for k >= 1 with p = 1/mean (mean in
 *   1..{@link MAX_GEOMETRIC_MEAN_TURNS}), capped at {@link MAX_SESSION_TURNS}.
 */
export const SessionTurnsSchema = z.union([
  turnCount,
  z.discriminatedUnion('dist', [
    z.object({ dist: z.literal('fixed'), value: turnCount }).strict(),
    z
      .object({ dist: z.literal('uniform'), min: turnCount, max: turnCount })
      .strict()
      .superRefine((v, ctx) => {
        if (v.min > v.max) ctx.addIssue({ code: 'custom', path: ['max'], message: '`max` must be >= `min`' });
      }),
    z
      .object({ dist: z.literal('geometric'), mean: z.number().min(1).max(MAX_GEOMETRIC_MEAN_TURNS) })
      .strict(),
  ]),
]);
/** Turns per session (see {@link SessionTurnsSchema}). */
export type SessionTurnsSpec = z.infer<typeof SessionTurnsSchema>;

/**
 * Multi-turn sessions of a generated workload (`multi-turn.ts`): requests come in sessions of
 * `turns` turns (see {@link SessionTurnsSchema}); turn i + 1's prompt is turn i's prompt, turn i's
 * output and a new user message, and it arrives a think time after turn i finishes (exponential
 * draws of mean `thinkTimeS` seconds, 0..{@link MAX_THINK_TIME_S}; 0: at once). Each new message
 * (a first turn's whole prompt) is a draw of the workload's prompt lengths, each turn's output one
 * of its output lengths. Sessions start as the workload's arrival process at `arrival.rate` /
 * mean turns, so `arrival.rate` is the offered request rate if service took no time.
 */
export const SessionsSpecSchema = z
  .object({
    turns: SessionTurnsSchema,
    thinkTimeS: z.number().min(0).max(MAX_THINK_TIME_S),
  })
  .strict();
/** Multi-turn sessions of a generated workload (see {@link SessionsSpecSchema}). */
export type SessionsSpec = z.infer<typeof SessionsSpecSchema>;

const SOURCE_FIELDS = ['trace', 'lengths', 'promptTokens/outputTokens', 'types'] as const;
/** Which of the four sources a workload uses. */
export type WorkloadSourceKind = 'trace' | 'lengths' | 'synthetic' | 'types';

/**
 * One workload entry. Common fields: `name` (required), `requests` (positive integer: N
 * consecutive requests of a trace from a start the seed draws, or N generated requests; overrides
 * the sweep's default), `maxTokens` (integer
 * >= 2: Vidur's cap on prompt + output, see `max-tokens.ts`), `slo` (this workload's SLO, see
 * `slo-spec.ts`: it replaces the sweep spec's `slo` as a whole, bounds it leaves out do not
 * apply), `sharedPrefix` (shared system prompts prepended to generated prompts, see
 * {@link SharedPrefixSpecSchema}; refused with a `trace`, whose prompts are recorded), `sessions`
 * (multi-turn sessions, see {@link SessionsSpecSchema}; only with `lengths` or synthetic lengths,
 * and without `sharedPrefix`; with `maxTokens` the cap is each session's context window). Source fields:
 * see the file comment;
 * the cross-field rules (exactly one source, `rate` only with `trace` (rescale) or `types` (total
 * rate; the types' rates become proportions), `arrival` required with
 * `lengths` and synthetic lengths, forbidden otherwise) are checked here and name the field.
 */
export const WorkloadSpecSchema = z
  .object({
    name: nonEmptyString,
    requests: positiveInt.optional(),
    maxTokens: z.number().int().min(2).max(MAX_TOKEN_COUNT).optional(),
    trace: TraceSpecSchema.optional(),
    rate: positiveRate.optional(),
    lengths: LengthsSpecSchema.optional(),
    arrival: ArrivalSpecSchema.optional(),
    promptTokens: LengthDistributionSchema.optional(),
    outputTokens: LengthDistributionSchema.optional(),
    types: z.array(TypeSpecSchema).min(1).optional(),
    slo: SloSpecSchema.optional(),
    sharedPrefix: SharedPrefixSpecSchema.optional(),
    sessions: SessionsSpecSchema.optional(),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const present: string[] = [];
    if (spec.trace) present.push('trace');
    if (spec.lengths) present.push('lengths');
    if (spec.promptTokens || spec.outputTokens) present.push('promptTokens/outputTokens');
    if (spec.types) present.push('types');
    if (present.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message:
          present.length === 0
            ? `a workload needs exactly one source: ${SOURCE_FIELDS.join(', ')}`
            : `a workload has exactly one source, but this one has ${present.join(' and ')}`,
      });
      return;
    }
    const issue = (field: string, message: string): void => {
      ctx.addIssue({ code: 'custom', path: [field], message });
    };
    if (spec.rate !== undefined && !spec.trace && !spec.types) {
      issue('rate', 'put the rate in `arrival.rate`; `rate` applies only to `trace` and `types`');
    }
    if (spec.trace && spec.arrival) {
      issue('arrival', 'a trace has its own arrival times; use `rate` to rescale them instead of `arrival`');
    }
    if (spec.types && spec.arrival) {
      issue(
        'arrival',
        "a typed mix is a superposition of Poisson streams with the types' rates; remove `arrival`",
      );
    }
    if ((spec.lengths || spec.promptTokens || spec.outputTokens) && !spec.arrival) {
      issue('arrival', 'required: an arrival process, e.g. {process: poisson, rate: 2}');
    }
    if (spec.trace && spec.sharedPrefix) {
      issue(
        'sharedPrefix',
        'a trace has its own prompts (and, with hash ids, their prefix identity); `sharedPrefix` ' +
          'applies only to `lengths`, `promptTokens`/`outputTokens` and `types` workloads',
      );
    }
    if (spec.sessions && (spec.trace || spec.types)) {
      issue(
        'sessions',
        spec.trace
          ? 'a trace has its own requests and arrival times; `sessions` applies only to `lengths` and ' +
              '`promptTokens`/`outputTokens` workloads'
          : "a typed mix's types have fixed prompt lengths, which a session's growing prompts would " +
              'break; `sessions` applies only to `lengths` and `promptTokens`/`outputTokens` workloads',
      );
    }
    if (spec.sessions && spec.sharedPrefix) {
      issue(
        'sessions',
        '`sessions` and `sharedPrefix` cannot be combined: a session carries its own prefix identity ' +
          '(its history); remove one of them',
      );
    }
    if ((spec.promptTokens || spec.outputTokens) && (!spec.promptTokens || !spec.outputTokens)) {
      issue(
        spec.promptTokens ? 'outputTokens' : 'promptTokens',
        'synthetic lengths need both `promptTokens` and `outputTokens`',
      );
    }
  });

/** One fully-expanded, validated workload entry (see {@link WorkloadSpecSchema}). */
export type WorkloadSpec = z.infer<typeof WorkloadSpecSchema>;

/**
 * The source a validated workload uses.
 * @param spec a workload already validated by {@link WorkloadSpecSchema}
 */
export function workloadSourceKind(spec: WorkloadSpec): WorkloadSourceKind {
  if (spec.trace) return 'trace';
  if (spec.lengths) return 'lengths';
  if (spec.types) return 'types';
  return 'synthetic';
}

/**
 * Validates one workload entry and returns it typed.
 *
 * @param value the entry as read from YAML/JSON
 * @param where `file`: the spec file (for messages); `field`: where the entry sits in that file,
 *   e.g. `workloads[2]` (prefixed to every field path)
 * @returns the validated workload
 * @throws InputError listing every problem as `file: field.path: message` (unknown fields are named
 *   with their full path); `location.field` is the first problem's path
 */
export function parseWorkloadSpec(value: unknown, where: { file: string; field?: string }): WorkloadSpec {
  const result = WorkloadSpecSchema.safeParse(value);
  if (result.success) return result.data;
  const lines: string[] = [];
  let firstField: string | undefined;
  for (const issue of result.error.issues) {
    const base = formatFieldPath(where.field, issue.path);
    const fields =
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((k) => formatFieldPath(base, [k]) ?? k)
        : [base ?? '(workload)'];
    firstField ??= fields[0];
    const message = issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message;
    for (const field of fields) lines.push(`${where.file}: ${field}: ${message}`);
  }
  throw new InputError(lines.join('\n'), { file: where.file, field: firstField });
}

function formatFieldPath(prefix: string | undefined, path: readonly PropertyKey[]): string | undefined {
  let out = prefix ?? '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? undefined : out;
}
