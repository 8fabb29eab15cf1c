import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../runner/errors.js';
import { parseGpuReportOptions, type GpuReportRawOptions } from '../../../runner/cli/gpu-report-options.js';

/** The defaults runner/cli/main.ts declares for `schedbench gpu-report`. */
const DEFAULTS: GpuReportRawOptions = {
  python: '/usr/bin/python3',
  model: 'llama-2-7b',
  kvBlocks: 'auto',
  blockSize: '16',
  decodeBatches: '1,16,64,128',
  decodeKvLen: '512',
  prefillChunks: '512,1024,2048',
  requests: '200',
  seed: '1',
  repeats: '5',
  warmup: '2',
  timeoutS: '600',
};

describe('parseGpuReportOptions', () => {
  it('parses the defaults: docs/gpu-results.md, a temporary database and machine, a derived rate', () => {
    const o = parseGpuReportOptions(DEFAULTS);
    expect(o.out.endsWith('/docs/gpu-results.md')).toBe(true);
    expect(o).toMatchObject({
      db: undefined,
      machine: undefined,
      kvBlocks: 'auto',
      blockSize: 16,
      decodeBatches: [1, 16, 64, 128],
      prefillChunks: [512, 1024, 2048],
      requests: 200,
      rate: undefined,
      seed: 1,
      maxBatchTokens: undefined,
      repeats: 5,
      warmup: 2,
      timeoutS: 600,
    });
  });

  it('resolves paths and parses counts, lists and the rate', () => {
    const o = parseGpuReportOptions({
      ...DEFAULTS,
      out: 'r.md',
      db: 'x.db',
      machine: 'h100',
      kvBlocks: '96',
      decodeBatches: '1, 8',
      rate: '2.5',
      seed: '0',
      warmup: '0',
      maxDecodes: '16',
    });
    expect(o).toMatchObject({
      out: resolve('r.md'),
      db: resolve('x.db'),
      machine: 'h100',
      kvBlocks: 96,
      decodeBatches: [1, 8],
      rate: 2.5,
      seed: 0,
      warmup: 0,
      maxDecodes: 16,
    });
  });

  it('names the option of a malformed value', () => {
    expect(() => parseGpuReportOptions({ ...DEFAULTS, rate: '0' })).toThrow(
      new InputError('--rate must be a positive number of requests per second, got "0"', { field: '--rate' }),
    );
    expect(() => parseGpuReportOptions({ ...DEFAULTS, rate: 'fast' })).toThrow(InputError);
    expect(() => parseGpuReportOptions({ ...DEFAULTS, prefillChunks: '512,x' })).toThrow(/--prefill-chunks/);
    expect(() => parseGpuReportOptions({ ...DEFAULTS, kvBlocks: '0' })).toThrow(/--kv-blocks/);
    expect(() => parseGpuReportOptions({ ...DEFAULTS, repeats: '1.5' })).toThrow(/--repeats/);
  });
});
