/**
 * From a validated workload spec to the request list a run replays.
 *
 * Two steps, so that every bad input is found before any run starts:
 * 1. {@link loadWorkload} reads and validates every file the workload names, once.
 * 2. {@link buildRequestList} turns the loaded workload into a request list for one seed and N;
 *    it reads no file and is cheap, so a sweep calls it once per (workload point, seed).
 *
 * Randomness: only seeded MT19937 streams (`random-streams.ts`), one per purpose, so the same
 * (workload, seed, N) always gives the identical list, and changing the arrival rate or process does
 * not change the lengths drawn (common random numbers across rates). Replaying a trace draws one
 * number: where its window of N consecutive rows starts when N is below the trace's rows
 * ({@link traceWindowStart}); a whole-trace replay uses no randomness, so every seed gives the
 * same list (the sweep plan runs such a grid point once, sweep-plan.ts). Shared system prompts
 * (`sharedPrefix`, shared-prefix.ts) draw from a stream of their own, after the base list; so do
 * multi-turn sessions (`sessions`, multi-turn.ts: turns per session and think times).
 */
import { InputError } from '../errors.js';
import { generateArrivals } from './arrival-process.js';
import { resolveInputPath } from './input-file.js';
import {
  prepareLengthDistribution,
  sampleLengths,
  type PreparedLengthDistribution,
} from './length-distribution.js';
import { DEFAULT_LENGTH_COLUMNS, readLengthsFile } from './lengths-file.js';
import { applyMaxTokens } from './max-tokens.js';
import { applySessions, createSessionUniforms, meanSessionTurns } from './multi-turn.js';
import { truncatePrefixBlocks, windowPrefixBlocks } from './prefix-blocks.js';
import { readTrace } from './read-trace.js';
import { createUniform, RandomStream } from './random-streams.js';
import type { RequestList } from './request-list.js';
import { sampleRows } from './row-sampling.js';
import { applySharedPrefix, createSharedPrefixUniform } from './shared-prefix.js';
import { measuredRate, traceArrivals } from './trace-rate.js';
import { zeroCountWarnings, type LengthTable, type TraceTable } from './trace-table.js';
import { generateTypedMix, scaleTypesToRate, typedMixRate } from './typed-mix.js';
import {
  workloadSourceKind,
  type ArrivalSpec,
  type LengthColumns,
  type LengthDistributionSpec,
  type TypeSpec,
  type WorkloadSpec,
} from './workload-spec.js';

interface LoadedBase {
  /** The spec it was loaded from. */
  readonly spec: WorkloadSpec;
  /** Notes for the user about the input (e.g. zero token counts counted as 1); may be empty. */
  readonly warnings: readonly string[];
}

/** A trace replayed as recorded (`rate` undefined) or rescaled to mean `rate` req/s. */
export interface LoadedTraceWorkload extends LoadedBase {
  readonly kind: 'trace';
  readonly table: TraceTable;
  readonly rate: number | undefined;
}

/** Lengths from a length-only file, arrivals from a process. */
export interface LoadedLengthsWorkload extends LoadedBase {
  readonly kind: 'lengths';
  readonly table: LengthTable;
  readonly arrival: ArrivalSpec;
}

/** Synthetic lengths and arrivals. */
export interface LoadedSyntheticWorkload extends LoadedBase {
  readonly kind: 'synthetic';
  readonly arrival: ArrivalSpec;
  readonly prompt: PreparedLengthDistribution;
  readonly output: PreparedLengthDistribution;
}

/** The paper's typed mix. */
export interface LoadedTypesWorkload extends LoadedBase {
  readonly kind: 'types';
  /** The types with their effective rates (scaled to the workload's `rate` when it is given). */
  readonly types: readonly TypeSpec[];
}

/** A workload with every file read and validated; immutable, reusable for any seed and N. */
export type LoadedWorkload =
  LoadedTraceWorkload | LoadedLengthsWorkload | LoadedSyntheticWorkload | LoadedTypesWorkload;

/**
 * Reads and validates every file a workload names (trace, length file, `dist: file` files; each
 * once per call, nothing cached across calls) and prepares its distributions.
 * @param spec a workload validated by `WorkloadSpecSchema`
 * @param opts `specDir`: directory of the spec file; relative paths are resolved against it
 * @returns the loaded workload
 * @throws InputError naming the path for a missing file; file, line and column for a bad row
 *   (non-numeric/negative/non-integer token count, bad or decreasing timestamp); file and line 1 for
 *   a missing column; field `requests` when the workload's own `requests` exceeds a trace's rows
 */
export function loadWorkload(spec: WorkloadSpec, opts: { specDir: string }): LoadedWorkload {
  const resolve = (path: string): string => resolveInputPath(opts.specDir, path);
  switch (workloadSourceKind(spec)) {
    case 'trace': {
      const trace = spec.trace!;
      const file = resolve(trace.path);
      const table = readTrace(trace, file);
      const loaded: LoadedTraceWorkload = {
        kind: 'trace',
        spec,
        table,
        rate: spec.rate,
        warnings: zeroCountWarnings(table),
      };
      if (spec.requests !== undefined) resolveRequestCount(loaded);
      return loaded;
    }
    case 'lengths': {
      const lengths = spec.lengths!;
      const table = readLengthsFile(resolve(lengths.path), lengths.columns, 'lengths.path');
      return { kind: 'lengths', spec, table, arrival: spec.arrival!, warnings: zeroCountWarnings(table) };
    }
    case 'synthetic': {
      const tables = new Map<string, LengthTable>();
      const warnings: string[] = [];
      const prepare = (dist: LengthDistributionSpec, field: string): PreparedLengthDistribution => {
        if (dist.dist !== 'file') return prepareLengthDistribution(dist);
        const file = resolve(dist.path);
        const columns: LengthColumns = dist.columns ?? DEFAULT_LENGTH_COLUMNS;
        const key = `${file}\0${columns.prompt}\0${columns.output}`;
        let table = tables.get(key);
        if (table === undefined) {
          table = readLengthsFile(file, columns, `${field}.path`);
          tables.set(key, table);
          warnings.push(...zeroCountWarnings(table));
        }
        return prepareLengthDistribution(dist, table);
      };
      return {
        kind: 'synthetic',
        spec,
        arrival: spec.arrival!,
        prompt: prepare(spec.promptTokens!, 'promptTokens'),
        output: prepare(spec.outputTokens!, 'outputTokens'),
        warnings,
      };
    }
    case 'types':
      return { kind: 'types', spec, types: scaleTypesToRate(spec.types!, spec.rate), warnings: [] };
  }
}

/**
 * The number of requests a request list will have.
 * @param loaded the workload
 * @param requests the sweep's default N; the workload's own `requests` wins over it
 * @returns N: the workload's `requests`, else `requests`, else (trace only) all the trace's rows
 * @throws InputError naming field `requests` when N is missing for a generated workload, is not a
 *   positive integer, or exceeds a trace's rows (the message names the trace file)
 */
export function resolveRequestCount(loaded: LoadedWorkload, requests?: number): number {
  const name = loaded.spec.name;
  const n = loaded.spec.requests ?? requests;
  if (n === undefined) {
    if (loaded.kind === 'trace') return loaded.table.arrival.length;
    throw new InputError(
      `workload "${name}": requests: required for a generated (${loaded.kind}) workload; ` +
        'give `requests` in the workload or in the sweep',
      { field: 'requests' },
    );
  }
  if (!Number.isInteger(n) || n < 1) {
    throw new InputError(`workload "${name}": requests: ${n} is not a positive integer`, {
      field: 'requests',
    });
  }
  if (loaded.kind === 'trace' && n > loaded.table.arrival.length) {
    const file = loaded.table.file;
    throw new InputError(
      `workload "${name}": requests: ${n} requested but ${file} has only ${loaded.table.arrival.length}; ` +
        'lower `requests`, or omit it to replay the whole trace',
      { file, field: 'requests' },
    );
  }
  return n;
}

/**
 * Builds the request list of one run. Deterministic: the same loaded workload, seed and N give the
 * identical arrays. Arrivals start at 0 and are sorted.
 * - trace: a window of N consecutive rows (file order) whose first row the seed chooses
 *   ({@link traceWindowStart}; all the rows, the same for every seed, when N equals them);
 *   arrivals minus the window's first one, rescaled to `rate` when given so that the window's
 *   own mean rate (N - 1)/span is `rate` (see `trace-rate.ts`).
 * - lengths: N rows drawn without replacement after a seeded shuffle (with replacement only when
 *   N exceeds the rows), arrivals from the process.
 * - synthetic: N independent draws of prompt and output (separate streams), arrivals from the process.
 * - types: the superposed Poisson stream with a type drawn per request; `typeIndex` is set.
 * A trace's prefix blocks (Mooncake `hash_ids`, a jsonl trace's `columns.hashIds`) come with its
 * window (`prefixBlocks`). For the other sources, `sharedPrefix`, when set, then prepends shared
 * system prompts from its own seeded stream and sets `prefixBlocks` (see `shared-prefix.ts`; the
 * lengths and arrivals drawn before are those of the same workload without it).
 * Then `maxTokens`, when set, shrinks over-long requests (see `max-tokens.ts`; system prompt
 * included) and drops the block ids past each cut prompt (`truncatePrefixBlocks`).
 * With `sessions` (lengths and synthetic only), the base list's arrivals come from the process at
 * `arrival.rate` / mean turns per session (sessionArrival) and its N prompt and output draws
 * become the sessions' new messages and outputs (`applySessions`, multi-turn.ts): the result has
 * `sessions` and `prefixBlocks`, and `maxTokens` is each session's context window there instead.
 * @param loaded from {@link loadWorkload}
 * @param opts `seed`: integer 0..2^32-1; `requests`: the sweep's default N (see {@link resolveRequestCount})
 * @returns the request list (fresh arrays, safe to keep)
 * @throws InputError naming field `requests` or `seed` when either is missing or invalid; naming the
 *   trace when rescaling a window whose requests all arrive at once; naming `sharedPrefix.tokens`
 *   when a system prompt makes a prompt longer than 2^31 - 1 tokens; naming `sessions.turns` when a
 *   session's prompt grows past 2^31 - 1 tokens
 */
export function buildRequestList(
  loaded: LoadedWorkload,
  opts: { seed: number; requests?: number },
): RequestList {
  const n = resolveRequestCount(loaded, opts.requests);
  const arrivals = createUniform(opts.seed, RandomStream.arrivals);
  let list: RequestList;
  switch (loaded.kind) {
    case 'trace': {
      const { table } = loaded;
      const start = traceWindowStart(table.arrival.length, n, opts.seed);
      list = {
        arrival: traceArrivals(table.arrival, n, loaded.rate, table.file, start),
        promptTokens: table.promptTokens.slice(start, start + n),
        outputTokens: table.outputTokens.slice(start, start + n),
      };
      if (table.prefixBlocks !== undefined) {
        list = { ...list, prefixBlocks: windowPrefixBlocks(table.prefixBlocks, start, n) };
      }
      break;
    }
    case 'lengths': {
      const { table } = loaded;
      const rows = sampleRows(table.promptTokens.length, n, createUniform(opts.seed, RandomStream.rowOrder));
      const promptTokens = new Int32Array(n);
      const outputTokens = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        promptTokens[i] = table.promptTokens[rows[i]];
        outputTokens[i] = table.outputTokens[rows[i]];
      }
      list = { arrival: generateArrivals(sessionArrival(loaded), n, arrivals), promptTokens, outputTokens };
      break;
    }
    case 'synthetic':
      list = {
        arrival: generateArrivals(sessionArrival(loaded), n, arrivals),
        promptTokens: sampleLengths(loaded.prompt, n, createUniform(opts.seed, RandomStream.promptTokens)),
        outputTokens: sampleLengths(loaded.output, n, createUniform(opts.seed, RandomStream.outputTokens)),
      };
      break;
    case 'types':
      list = generateTypedMix(loaded.types, n, arrivals, createUniform(opts.seed, RandomStream.types));
      break;
  }
  if (loaded.spec.sharedPrefix !== undefined) {
    list = applySharedPrefix(list, loaded.spec.sharedPrefix, createSharedPrefixUniform(opts.seed));
  }
  if (loaded.spec.sessions !== undefined) {
    return applySessions(list, loaded.spec.sessions, createSessionUniforms(opts.seed), loaded.spec.maxTokens);
  }
  if (loaded.spec.maxTokens !== undefined) {
    applyMaxTokens(list.promptTokens, list.outputTokens, loaded.spec.maxTokens);
    if (list.prefixBlocks !== undefined) {
      list = { ...list, prefixBlocks: truncatePrefixBlocks(list.prefixBlocks, list.promptTokens) };
    }
  }
  return list;
}

/**
 * The arrival process that starts a workload's requests: its own `arrival`, or with `sessions`
 * the same process at `arrival.rate` / mean turns per session (meanSessionTurns), so that sessions
 * start at that rate and the offered request rate is `arrival.rate` if service took no time.
 * @param loaded a lengths or synthetic workload
 */
export function sessionArrival(loaded: LoadedLengthsWorkload | LoadedSyntheticWorkload): ArrivalSpec {
  const sessions = loaded.spec.sessions;
  if (sessions === undefined) return loaded.arrival;
  return { ...loaded.arrival, rate: loaded.arrival.rate / meanSessionTurns(sessions.turns) };
}

/**
 * Index of the first row of the window a trace replays: N consecutive rows of the trace's R rows,
 * starting at floor(U x (R - N + 1)) where U in [0, 1) is the first draw of the seed's
 * `traceWindow` stream (random-streams.ts), so every start 0..R - N is equally likely, for every
 * seed (seed 1 included: its window is not the trace's first N rows, docs/decisions.md). The start
 * depends only on (seed, R, N): not on the rate, so a rate sweep replays the same window at each
 * rate (common random numbers).
 * @param rows R, the trace's rows (requests)
 * @param n N, the requests replayed, 1..R
 * @param seed the run seed, an integer 0..2^32-1
 * @returns the start index, 0..R - N (0 when N = R: the whole trace)
 * @throws InputError naming field `seed` when the seed is invalid
 */
export function traceWindowStart(rows: number, n: number, seed: number): number {
  const uniform = createUniform(seed, RandomStream.traceWindow);
  const starts = rows - n + 1;
  if (starts <= 1) return 0;
  return Math.min(Math.floor(uniform() * starts), starts - 1);
}

/**
 * The mean offered arrival rate, req/s: the trace's `rate` when given; for a trace replayed as
 * recorded, its measured mean rate (R - 1)/span over all its R rows (the window a seed replays has
 * its own rate around it; the nominal rate must not depend on the seed); `arrival.rate` for
 * lengths and synthetic workloads (for `clip: vidur` the nominal `rate`, not the
 * clipped process's higher offered rate, see offeredRate; with `sessions` the request rate, not the
 * session rate, see sessionArrival); for a typed mix its `rate` when given (exactly, not re-summed
 * from the scaled types), else the sum of the types' rates.
 * @param loaded the workload
 * @param requests the sweep's default N (checked for a trace replayed as recorded)
 * @throws InputError (trace replayed as recorded) naming field `requests` when N is invalid or the
 *   whole trace spans 0 s
 */
export function nominalRate(loaded: LoadedWorkload, requests?: number): number {
  switch (loaded.kind) {
    case 'trace': {
      if (loaded.rate !== undefined) return loaded.rate;
      resolveRequestCount(loaded, requests);
      return measuredRate(loaded.table.arrival, loaded.table.arrival.length, loaded.table.file);
    }
    case 'lengths':
    case 'synthetic':
      return loaded.arrival.rate;
    case 'types':
      return loaded.spec.rate ?? typedMixRate(loaded.types);
  }
}
