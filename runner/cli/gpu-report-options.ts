import { resolve } from 'node:path';
import { InputError } from '../errors.js';
import type { GpuReportSettings, WorkerDtype } from '../reports/gpu-report-data.js';
import { repositoryPath } from '../repository-path.js';
import { nonNegativeInt, positiveInt } from './parse-options.js';

/** Options of `schedbench gpu-report`, parsed: the report's settings plus where things go. */
export interface GpuReportOptions extends GpuReportSettings {
  /** Markdown report to write, absolute path. */
  out: string;
  /** Results database, absolute path; undefined = a temporary one (or the CLI's default with --machine). */
  db: string | undefined;
  /** Registered worker machine; undefined = a temporary local machine running `python`. */
  machine: string | undefined;
}

/** The option values of `schedbench gpu-report` as commander gives them (strings; undefined = not given). */
export interface GpuReportRawOptions {
  out?: string;
  db?: string;
  machine?: string;
  python: string;
  model: string;
  dtype?: WorkerDtype;
  kvBlocks: string;
  blockSize: string;
  decodeBatches: string;
  decodeKvLen: string;
  prefillChunks: string;
  requests: string;
  rate?: string;
  seed: string;
  maxBatchTokens?: string;
  maxDecodes?: string;
  maxKvTokens?: string;
  repeats: string;
  warmup: string;
  timeoutS: string;
}

/**
 * Parses the option values of `schedbench gpu-report` (runner/cli/main.ts declares the options and
 * their defaults). Paths are resolved against the working directory; --out defaults to
 * docs/gpu-results.md in the repository.
 * @throws InputError naming the option whose value is malformed (a count that is not a positive
 *   integer, a --rate that is not a positive number of req/s)
 */
export function parseGpuReportOptions(o: GpuReportRawOptions): GpuReportOptions {
  const optional = (flag: string, v: string | undefined): number | undefined =>
    v === undefined ? undefined : positiveInt(flag, v);
  const list = (flag: string, v: string): number[] => v.split(',').map((x) => positiveInt(flag, x.trim()));
  let rate: number | undefined;
  if (o.rate !== undefined) {
    rate = Number(o.rate);
    if (!(Number.isFinite(rate) && rate > 0)) {
      throw new InputError(`--rate must be a positive number of requests per second, got "${o.rate}"`, {
        field: '--rate',
      });
    }
  }
  return {
    out: resolve(o.out ?? repositoryPath('docs', 'gpu-results.md')),
    db: o.db === undefined ? undefined : resolve(o.db),
    machine: o.machine,
    python: o.python,
    model: o.model,
    dtype: o.dtype,
    kvBlocks: o.kvBlocks === 'auto' ? 'auto' : positiveInt('--kv-blocks', o.kvBlocks),
    blockSize: positiveInt('--block-size', o.blockSize),
    decodeBatches: list('--decode-batches', o.decodeBatches),
    decodeKvLen: positiveInt('--decode-kv-len', o.decodeKvLen),
    prefillChunks: list('--prefill-chunks', o.prefillChunks),
    requests: positiveInt('--requests', o.requests),
    rate,
    seed: nonNegativeInt('--seed', o.seed),
    maxBatchTokens: optional('--max-batch-tokens', o.maxBatchTokens),
    maxDecodes: optional('--max-decodes', o.maxDecodes),
    maxKvTokens: optional('--max-kv-tokens', o.maxKvTokens),
    repeats: positiveInt('--repeats', o.repeats),
    warmup: nonNegativeInt('--warmup', o.warmup),
    timeoutS: positiveInt('--timeout-s', o.timeoutS),
  };
}
