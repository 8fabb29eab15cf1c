import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DatasetSource } from '../../../runner/datasets/built-in-datasets.js';
import { DATASET_SUMMARY_CACHE_SIZE, DatasetSummaries } from '../../../runner/datasets/dataset-catalog.js';

/**
 * The catalog's summary cache in a long-running server: bounded by its capacity (least recently
 * used dropped first) and by one entry per dataset (a new file version replaces the old one).
 */
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'schedbench-summaries-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A whole-second modification time, which the file system stores exactly. */
const MTIME = new Date('2025-01-01T00:00:00Z');

/** A length file of `prompt` tokens per request, 3 requests, modified at MTIME; returns its source. */
function lengthFile(name: string, prompt: number): DatasetSource {
  const path = join(dir, name);
  writeFileSync(path, `num_prefill_tokens,num_decode_tokens\n${prompt},10\n${prompt},10\n${prompt},10\n`);
  utimesSync(path, MTIME, MTIME);
  return { kind: 'lengths', lengths: { path } };
}

/**
 * Rewrites a length file with other prompt lengths of the same byte count and restores its
 * modification time: the same file version for the cache, so only a fresh read sees the change.
 */
function rewriteSameVersion(source: DatasetSource, prompt: number): void {
  const path = source.kind === 'lengths' ? source.lengths.path : source.trace.path;
  const before = statSync(path);
  writeFileSync(path, `num_prefill_tokens,num_decode_tokens\n${prompt},10\n${prompt},10\n${prompt},10\n`);
  utimesSync(path, MTIME, MTIME);
  expect(statSync(path).size).toBe(before.size);
  expect(statSync(path).mtimeMs).toBe(before.mtimeMs);
}

describe('DatasetSummaries', () => {
  it('keeps at most its capacity, dropping the least recently used summary first', () => {
    const summaries = new DatasetSummaries(2);
    const a = lengthFile('a.csv', 100);
    const b = lengthFile('b.csv', 200);
    const c = lengthFile('c.csv', 300);
    expect(summaries.get(a).promptTokens.max).toBe(100);
    expect(summaries.get(b).promptTokens.max).toBe(200);
    expect(summaries.get(a).promptTokens.max).toBe(100); // a is now the most recently used
    expect(summaries.get(c).promptTokens.max).toBe(300); // drops b
    expect(summaries.size).toBe(2);

    rewriteSameVersion(a, 111);
    rewriteSameVersion(b, 222);
    expect(summaries.get(a).promptTokens.max).toBe(100); // still cached: not read again
    expect(summaries.get(b).promptTokens.max).toBe(222); // was dropped: read again
    expect(summaries.size).toBe(2);
  });

  it('keeps one summary per dataset: a new version of its file replaces the old one', () => {
    const summaries = new DatasetSummaries(4);
    const a = lengthFile('a.csv', 100);
    expect(summaries.get(a).promptTokens.max).toBe(100);
    for (let k = 1; k <= 10; k++) {
      const path = a.kind === 'lengths' ? a.lengths.path : '';
      writeFileSync(path, `num_prefill_tokens,num_decode_tokens\n${100 + k * 1000},10\n`);
      const mtime = new Date(MTIME.getTime() + k * 1000);
      utimesSync(path, mtime, mtime);
      expect(summaries.get(a).promptTokens.max).toBe(100 + k * 1000);
    }
    expect(summaries.size).toBe(1);
  });

  it('bounds the summaries an import remembers too', () => {
    const summaries = new DatasetSummaries(3);
    for (let k = 0; k < 20; k++) {
      const source = lengthFile(`f${k}.csv`, 10 + k);
      summaries.remember(source, summaries.get(source));
      expect(summaries.size).toBe(Math.min(k + 1, 3));
    }
  });

  it('has a documented default capacity and refuses a capacity below one', () => {
    expect(DATASET_SUMMARY_CACHE_SIZE).toBe(64);
    expect(() => new DatasetSummaries(0)).toThrow(RangeError);
    expect(() => new DatasetSummaries(1.5)).toThrow(RangeError);
  });
});
