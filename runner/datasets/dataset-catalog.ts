/**
 * Every dataset a workload can use: the built-in ones (data/) and the traces the user imported
 * (the `datasets` table), each with its workload entry and, read on demand and cached while the
 * file is unchanged, its summary.
 */
import { statSync } from 'node:fs';
import { InputError } from '../errors.js';
import type { DatasetRow } from '../store/datasets-table.js';
import type { Store } from '../store/store.js';
import { readLengthsFile } from '../workloads/lengths-file.js';
import { readTrace } from '../workloads/read-trace.js';
import type { TraceSpec } from '../workloads/workload-spec.js';
import { builtInDatasets, type DatasetSource } from './built-in-datasets.js';
import { summarizeDataset, type DatasetSummary } from './dataset-summary.js';

/** One dataset of the catalog. */
export interface CatalogDataset {
  /** Unique among all datasets; the default workload name. */
  name: string;
  label: string;
  description: string;
  builtIn: boolean;
  source: DatasetSource;
  /** For an imported trace: where it was imported from, and when (ISO 8601). */
  importedFrom: string | null;
  importedAt: string | null;
}

/** The built-in datasets, then the imported ones (oldest first). */
export function datasetCatalog(store: Store): CatalogDataset[] {
  return [
    ...builtInDatasets().map((d) => ({ ...d, builtIn: true, importedFrom: null, importedAt: null })),
    ...store.datasets.list().map(importedDataset),
  ];
}

/** An imported trace as a catalog entry; its source is the `trace` entry of a spec. */
export function importedDataset(row: DatasetRow): CatalogDataset {
  const trace: TraceSpec =
    row.timestampFormat === 'datetime'
      ? { path: row.path, format: row.format, columns: row.columns, timestampFormat: 'datetime' }
      : { path: row.path, format: row.format, columns: row.columns, timeUnit: row.timeUnit ?? 's' };
  return {
    name: row.name,
    label: row.name,
    description: `Imported ${row.createdAt.slice(0, 10)}: ${row.requests.toLocaleString('en-US')} requests (${row.format.toUpperCase()}; arrival "${row.columns.arrival}", prompt "${row.columns.prompt}", output "${row.columns.output}").`,
    builtIn: false,
    source: { kind: 'trace', trace },
    importedFrom: row.originalPath,
    importedAt: row.createdAt,
  };
}

/**
 * Summaries the catalog keeps by default: more than the built-in datasets and a typical set of
 * imported traces, so that listing the catalog again reads no file; a summary is a few kB
 * (percentiles, about 30 histogram bins per token count, about 100 arrival-rate bins).
 */
export const DATASET_SUMMARY_CACHE_SIZE = 64;

/**
 * Summaries of dataset files, computed once per file version (path, size and modification time).
 * The cache is bounded for a long-running server: one summary per dataset (a new version of its
 * file replaces the old one) and at most `capacity` datasets, the least recently used dropped
 * first (and computed again when asked for).
 */
export class DatasetSummaries {
  /** By dataset source (JSON): the file version summarised, and its summary; oldest use first. */
  private readonly cache = new Map<string, { version: string; summary: DatasetSummary }>();

  /**
   * @param capacity datasets whose summaries are kept (>= 1)
   * @throws RangeError when capacity is not a positive integer
   */
  constructor(private readonly capacity = DATASET_SUMMARY_CACHE_SIZE) {
    if (!(Number.isSafeInteger(capacity) && capacity >= 1)) {
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    }
  }

  /** Datasets whose summary is kept now (at most the capacity). */
  get size(): number {
    return this.cache.size;
  }

  /**
   * Keeps a summary just computed from the file (an import reads it anyway), so that the next
   * `get` of this file version does not read it again.
   */
  remember(source: DatasetSource, summary: DatasetSummary): void {
    const version = versionOf(source);
    if (version !== undefined) this.keep(JSON.stringify(source), version, summary);
  }

  /**
   * The summary of a dataset's file.
   * @throws InputError naming the file when it is missing or a row is bad
   */
  get(source: DatasetSource): DatasetSummary {
    const path = datasetPath(source);
    const version = versionOf(source);
    if (version === undefined) throw new InputError(`${path}: file not found`, { file: path });
    const key = JSON.stringify(source);
    const cached = this.cache.get(key);
    if (cached !== undefined && cached.version === version) {
      this.keep(key, version, cached.summary);
      return cached.summary;
    }
    const table =
      source.kind === 'trace'
        ? readTrace(source.trace, path)
        : readLengthsFile(path, source.lengths.columns, 'lengths.path');
    const summary = summarizeDataset(table);
    this.keep(key, version, summary);
    return summary;
  }

  /** Stores an entry as the most recently used, dropping the least recently used beyond capacity. */
  private keep(key: string, version: string, summary: DatasetSummary): void {
    this.cache.delete(key);
    this.cache.set(key, { version, summary });
    for (const oldest of this.cache.keys()) {
      if (this.cache.size <= this.capacity) break;
      this.cache.delete(oldest);
    }
  }
}

/** The version of a dataset's file now (size and modification time); undefined when it is missing. */
function versionOf(source: DatasetSource): string | undefined {
  const stat = statSync(datasetPath(source), { throwIfNoEntry: false });
  return stat === undefined ? undefined : `${stat.size}\0${stat.mtimeMs}`;
}

/** The file a dataset reads. */
export function datasetPath(source: DatasetSource): string {
  return source.kind === 'trace' ? source.trace.path : source.lengths.path;
}
