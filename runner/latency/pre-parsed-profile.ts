import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../errors.js';
import { TOKEN_WISE_OPS, type OperatorProfile, type TokenWiseOp } from './operator-profile.js';

/**
 * An operator profile saved as JSON: the {@link OperatorProfile} that parseOperatorProfile reads
 * from a Vidur `mlp.csv` for one tensor-parallel degree, with its arrays as plain numbers
 * (JSON.stringify writes the shortest text that reads back as the same double, so loading gives
 * the very numbers the CSV gave). The default machine's profile ships this way
 * (data/generated/a100-llama2-7b-mlp-tp1.json, written by scripts/generate-operator-profile.mjs):
 * reading it takes about a millisecond where splitting the 700 KB CSV took tens of milliseconds,
 * in every process and every worker thread that builds the machine.
 * test/unit/latency/pre-parsed-profile.test.ts checks that regenerating it from the CSV gives the
 * shipped file byte for byte.
 */
interface ProfileJson {
  /** The CSV it was made from, relative to the repository root (for people; not read). */
  from: string;
  tensorParallel: number;
  columns: OperatorProfile['columns'];
  tokens: number[];
  opMs: Record<TokenWiseOp, number[]>;
  totalMs: number[];
  repeatedTokenCounts: number[];
  zeroFilledOps: TokenWiseOp[];
}

/**
 * The JSON text of a profile (two-space indented objects, one array per line, final newline).
 * @param profile a profile read by parseOperatorProfile
 * @param from the CSV it was read from, relative to the repository root, written as `from`
 */
export function serializeOperatorProfile(profile: OperatorProfile, from: string): string {
  const json: ProfileJson = {
    from,
    tensorParallel: profile.tensorParallel,
    columns: profile.columns,
    tokens: [...profile.tokens],
    opMs: Object.fromEntries(TOKEN_WISE_OPS.map((op) => [op, [...profile.opMs[op]]])) as ProfileJson['opMs'],
    totalMs: [...profile.totalMs],
    repeatedTokenCounts: [...profile.repeatedTokenCounts],
    zeroFilledOps: [...profile.zeroFilledOps],
  };
  // Arrays on one line each: a diff of a regenerated file shows which series changed.
  return `${JSON.stringify(json, null, 2).replace(/\[[^\]{}]*\]/g, (a) => JSON.stringify(JSON.parse(a)))}\n`;
}

/** Vidur's A100 Llama-2-7B operator profile, relative to the repository root. */
export const A100_LLAMA2_7B_PROFILE_CSV =
  'data/vidur/data/profiling/compute/a100/meta-llama/Llama-2-7b-hf/mlp.csv';
/** Its tensor-parallel-1 rows, pre-parsed (scripts/generate-operator-profile.mjs). */
export const A100_LLAMA2_7B_PROFILE_JSON = 'data/generated/a100-llama2-7b-mlp-tp1.json';

const cache = new Map<string, OperatorProfile>();

/**
 * Reads a profile saved by {@link serializeOperatorProfile}; cached per process by path (treat
 * the result as read-only, as loadOperatorProfile's).
 * @param jsonPath the JSON file
 * @param source what the profile's `source` names: the CSV it was made from (messages and the
 *   model's description name the data, not this copy of it)
 * @returns the profile, equal to parseOperatorProfile's of that CSV
 * @throws InputError naming the file when it is missing, is not JSON, or a field is missing or
 *   malformed (arrays of unequal length, values not finite)
 */
export function loadPreParsedProfile(jsonPath: string, source: string): OperatorProfile {
  const key = resolve(jsonPath);
  const cached = cache.get(key);
  if (cached) return cached;
  const fail = (message: string): never => {
    throw new InputError(`${jsonPath}: ${message}`, { file: jsonPath });
  };
  let json: ProfileJson;
  try {
    json = JSON.parse(readFileSync(jsonPath, 'utf8')) as ProfileJson;
  } catch (e) {
    return fail((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'profile file not found' : 'not valid JSON');
  }
  const series = (name: string, values: unknown, length?: number): Float64Array => {
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
      return fail(`${name} must be an array of finite numbers`);
    }
    if (length !== undefined && values.length !== length) {
      fail(`${name} has ${values.length} values, tokens ${length}`);
    }
    return Float64Array.from(values as number[]);
  };
  const tokens = series('tokens', json.tokens);
  if (tokens.length === 0) fail('tokens is empty');
  const opMs = Object.fromEntries(
    TOKEN_WISE_OPS.map((op) => [op, series(`opMs.${op}`, json.opMs?.[op], tokens.length)]),
  ) as Record<TokenWiseOp, Float64Array>;
  const profile: OperatorProfile = {
    source,
    tensorParallel: json.tensorParallel,
    columns: json.columns,
    tokens,
    opMs,
    totalMs: series('totalMs', json.totalMs, tokens.length),
    repeatedTokenCounts: [...series('repeatedTokenCounts', json.repeatedTokenCounts)],
    zeroFilledOps: json.zeroFilledOps,
  };
  if (typeof profile.columns !== 'object' || profile.columns === null) fail('columns missing');
  if (!Array.isArray(profile.zeroFilledOps)) fail('zeroFilledOps must be an array');
  cache.set(key, profile);
  return profile;
}
