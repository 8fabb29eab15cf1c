import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type { parse as parseCsv } from 'csv-parse/sync';
import { InputError } from '../errors.js';

/**
 * Token-wise operators of one transformer layer in Vidur's `mlp.csv` (everything but attention):
 * the nine operators Vidur's `SklearnExecutionTimePredictor._train_compute_models` trains on
 * `num_tokens` (vidur/execution_time_predictor/sklearn_execution_time_predictor.py).
 */
export const TOKEN_WISE_OPS = [
  'input_layernorm',
  'attn_pre_proj',
  'attn_rope',
  'attn_post_proj',
  'post_attention_layernorm',
  'mlp_up_proj',
  'mlp_act',
  'mlp_down_proj',
  'add',
] as const;

/** One of the nine token-wise operators. */
export type TokenWiseOp = (typeof TOKEN_WISE_OPS)[number];

/**
 * Operators that Vidur's `_load_compute_df` fills with 0 when the column is absent (phi-2's
 * files have no `post_attention_layernorm`: its layers have a single, parallel norm).
 */
const ZERO_FILLED_OPS: readonly TokenWiseOp[] = ['post_attention_layernorm', 'add', 'input_layernorm'];

/** Model-shape columns of an `mlp.csv` (the same on every row of one tensor-parallel degree). */
export interface ProfileModelColumns {
  /** `n_head`: query heads. */
  nHead: number;
  /** `n_kv_head`: key/value heads. */
  nKvHead: number;
  /** `n_embd`: hidden size. */
  nEmbd: number;
  /** `n_expanded_embd`: FFN (MLP) hidden size. */
  nExpandedEmbd: number;
  /** `vocab_size` (Vidur pads Llama-2's 32,000 to 32,768). */
  vocabSize: number;
  /** `use_gated_mlp`. */
  useGatedMlp: boolean;
}

/**
 * The token-wise part of a Vidur operator profile for one tensor-parallel degree: per-layer
 * operator medians (milliseconds) by the batch's token count.
 */
export interface OperatorProfile {
  /** Where it was read from (the path as given, or a label for parsed text). */
  readonly source: string;
  /** Tensor-parallel degree of the rows used (`num_tensor_parallel_workers`). */
  readonly tensorParallel: number;
  /** Model-shape columns of those rows. */
  readonly columns: ProfileModelColumns;
  /** Profiled token counts, ascending, without repeats. */
  readonly tokens: Float64Array;
  /** Per operator, `.median` ms per layer at each entry of `tokens` (mean over repeated rows). */
  readonly opMs: Readonly<Record<TokenWiseOp, Float64Array>>;
  /** Sum of the nine operators, ms per layer, at each entry of `tokens`. */
  readonly totalMs: Float64Array;
  /** Token counts that had more than one row; their medians are averaged (2,048 and 4,096 in every file). */
  readonly repeatedTokenCounts: readonly number[];
  /** Operators whose column is absent from the file and are taken as 0, as Vidur does. */
  readonly zeroFilledOps: readonly TokenWiseOp[];
}

/** Options for reading a profile. */
export interface OperatorProfileOptions {
  /** Tensor-parallel degree whose rows to use; default 1. */
  tensorParallel?: number;
}

/**
 * Reads a Vidur `mlp.csv` (data/vidur/README.md): the rows of one tensor-parallel degree (default
 * 1), the `time_stats.<op>.median` column of the nine token-wise operators.
 * Parsing takes a few milliseconds (see {@link parseOperatorProfile}); results are cached per
 * process by path and degree all the same (profiles are data files that do not change while a
 * process runs, and every simulated run resolves its machine again); treat them as read-only.
 * @param csvPath path of the `mlp.csv` file
 * @throws InputError when the file is missing, has no rows for the degree, lacks a required
 *   column, has a non-numeric value or mixes model shapes
 */
export function loadOperatorProfile(csvPath: string, options: OperatorProfileOptions = {}): OperatorProfile {
  const key = `${options.tensorParallel ?? 1}:${resolve(csvPath)}`;
  const cached = cache.get(key);
  if (cached) return cached;
  let text: string;
  try {
    text = readFileSync(csvPath, 'utf8');
  } catch {
    throw new InputError(`${csvPath}: profile file not found`, { file: csvPath });
  }
  const profile = parseOperatorProfile(text, csvPath, options);
  cache.set(key, profile);
  return profile;
}

const cache = new Map<string, OperatorProfile>();

/** A CSV file as its header and its rows of fields (strings, unconverted). */
interface CsvFields {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/**
 * Splits CSV text into fields. Vidur's profiles hold no quotes, so lines are split at commas
 * (a few milliseconds for a 700 KB `mlp.csv`, where csv-parse building one object of 58 columns
 * per row took about 100 ms); text with a double quote goes to csv-parse (loaded then, with
 * `require`, so it stays out of every process that reads only unquoted profiles). Empty lines are
 * skipped; a line ending may be LF or CRLF.
 */
function splitCsv(text: string): CsvFields {
  if (text.includes('"')) {
    const { parse } = createRequire(import.meta.url)('csv-parse/sync') as { parse: typeof parseCsv };
    const records = parse(text, { skip_empty_lines: true, relax_column_count: true }) as string[][];
    return { header: records[0] ?? [], rows: records.slice(1) };
  }
  const lines = text.split(/\r?\n/).filter((line) => line !== '');
  return {
    header: lines.length === 0 ? [] : lines[0].split(','),
    rows: lines.slice(1).map((l) => l.split(',')),
  };
}

/**
 * Parses the text of a Vidur `mlp.csv`; see {@link loadOperatorProfile}. Only the columns used
 * are converted (the shape columns, `num_tokens`, `num_tensor_parallel_workers` and the nine
 * `.median` columns), with Number() on the field's text.
 * @param text the CSV text, with a header row
 * @param source file name or label used in messages and in `OperatorProfile.source`
 * @throws InputError as {@link loadOperatorProfile}
 */
export function parseOperatorProfile(
  text: string,
  source: string,
  options: OperatorProfileOptions = {},
): OperatorProfile {
  const tp = options.tensorParallel ?? 1;
  const fail = (message: string): never => {
    throw new InputError(`${source}: ${message}`, { file: source });
  };
  const { header: names, rows } = splitCsv(text);
  if (rows.length === 0) fail('profile has no rows');
  const columnIndex = new Map<string, number>(); // a repeated name means its last column, as before
  names.forEach((name, i) => columnIndex.set(name, i));
  const field = (row: readonly string[], col: string): string | undefined => {
    const i = columnIndex.get(col);
    return i === undefined ? undefined : row[i];
  };
  const zeroFilled: TokenWiseOp[] = [];
  for (const op of TOKEN_WISE_OPS) {
    if (columnIndex.has(`time_stats.${op}.median`)) continue;
    if (ZERO_FILLED_OPS.includes(op)) zeroFilled.push(op);
    else fail(`column time_stats.${op}.median missing`);
  }

  const num = (row: readonly string[], col: string, line: number): number => {
    const text = field(row, col);
    const v = Number(text);
    if (text === undefined || text === '' || !Number.isFinite(v)) {
      fail(`row ${line}: column ${col} missing or not numeric`);
    }
    return v;
  };

  // Sum (and count) the medians of each operator per token count.
  const byTokens = new Map<number, { n: number; ms: number[] }>();
  let columns: ProfileModelColumns | undefined;
  rows.forEach((row, i) => {
    const line = i + 2; // header is line 1
    if (Number(field(row, 'num_tensor_parallel_workers')) !== tp) return;
    const gated = field(row, 'use_gated_mlp');
    const shape: ProfileModelColumns = {
      nHead: Number(field(row, 'n_head')),
      nKvHead: Number(field(row, 'n_kv_head')),
      nEmbd: Number(field(row, 'n_embd')),
      nExpandedEmbd: Number(field(row, 'n_expanded_embd')),
      vocabSize: Number(field(row, 'vocab_size')),
      useGatedMlp: gated === 'True' || gated === 'true',
    };
    if (!columns) columns = shape;
    else if (JSON.stringify(columns) !== JSON.stringify(shape)) {
      fail(`row ${line}: model columns ${JSON.stringify(shape)} differ from ${JSON.stringify(columns)}`);
    }
    const tokens = num(row, 'num_tokens', line);
    if (!(Number.isInteger(tokens) && tokens >= 1))
      fail(`row ${line}: num_tokens must be a positive integer`);
    let entry = byTokens.get(tokens);
    if (!entry) {
      entry = { n: 0, ms: TOKEN_WISE_OPS.map(() => 0) };
      byTokens.set(tokens, entry);
    }
    entry.n++;
    TOKEN_WISE_OPS.forEach((op, k) => {
      if (!zeroFilled.includes(op)) entry.ms[k] += num(row, `time_stats.${op}.median`, line);
    });
  });
  if (!columns || byTokens.size === 0) return fail(`no rows with num_tensor_parallel_workers = ${tp}`);

  const tokenCounts = [...byTokens.keys()].sort((a, b) => a - b);
  const n = tokenCounts.length;
  const opMs = Object.fromEntries(TOKEN_WISE_OPS.map((op) => [op, new Float64Array(n)])) as Record<
    TokenWiseOp,
    Float64Array
  >;
  const totalMs = new Float64Array(n);
  const repeated: number[] = [];
  tokenCounts.forEach((t, i) => {
    const e = byTokens.get(t)!;
    if (e.n > 1) repeated.push(t);
    TOKEN_WISE_OPS.forEach((op, k) => {
      const v = e.ms[k] / e.n;
      opMs[op][i] = v;
      totalMs[i] += v;
    });
  });
  return {
    source,
    tensorParallel: tp,
    columns,
    tokens: Float64Array.from(tokenCounts),
    opMs,
    totalMs,
    repeatedTokenCounts: repeated,
    zeroFilledOps: zeroFilled,
  };
}

/**
 * Piecewise-linear interpolation through (xs[i], ys[i]); constant beyond the first and last
 * point. Exact at the points.
 * @param xs strictly ascending abscissae (at least one)
 * @param ys values at xs
 * @param x where to evaluate
 */
export function interpolate(xs: ArrayLike<number>, ys: ArrayLike<number>, x: number): number {
  const n = xs.length;
  if (x <= xs[0]) return ys[0];
  if (x >= xs[n - 1]) return ys[n - 1];
  let lo = 0;
  let hi = n - 1; // xs[lo] < x < xs[hi]
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid;
    else hi = mid;
  }
  if (xs[lo] === x) return ys[lo];
  return ys[lo] + ((x - xs[lo]) / (xs[hi] - xs[lo])) * (ys[hi] - ys[lo]);
}

/**
 * Isotonic (non-decreasing) least-squares regression by pool-adjacent-violators, equal weights:
 * every run of values that decreases is replaced by its mean, until none does. Values that
 * already fit a non-decreasing sequence are kept exactly.
 * @param ys values in order of increasing abscissa
 * @returns a new array, non-decreasing, with the same sum as ys
 */
export function isotonicNonDecreasing(ys: ArrayLike<number>): Float64Array {
  const sums: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < ys.length; i++) {
    sums.push(ys[i]);
    counts.push(1);
    while (sums.length > 1) {
      const k = sums.length - 1;
      if (sums[k - 1] / counts[k - 1] <= sums[k] / counts[k]) break;
      sums[k - 1] += sums[k];
      counts[k - 1] += counts[k];
      sums.pop();
      counts.pop();
    }
  }
  const out = new Float64Array(ys.length);
  let i = 0;
  for (let b = 0; b < sums.length; b++) {
    // A block that pooled nothing keeps its value bit for bit.
    const v = counts[b] === 1 ? sums[b] : sums[b] / counts[b];
    for (let c = 0; c < counts[b]; c++) out[i++] = v;
  }
  return out;
}
