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
 * Summaries of dataset files, computed once per file version (path, size and modification time).
 */
export class DatasetSummaries {
  private readonly cache = new Map<string, DatasetSummary>();

  /**
   * Keeps a summary just computed from the file (an import reads it anyway), so that the next
   * `get` of this file version does not read it again.
   */
  remember(source: DatasetSource, summary: DatasetSummary): void {
    const key = this.keyOf(source);
    if (key !== undefined) this.cache.set(key, summary);
  }

  /**
   * The summary of a dataset's file.
   * @throws InputError naming the file when it is missing or a row is bad
   */
  get(source: DatasetSource): DatasetSummary {
    const path = datasetPath(source);
    const key = this.keyOf(source);
    if (key === undefined) throw new InputError(`${path}: file not found`, { file: path });
    let summary = this.cache.get(key);
    if (summary === undefined) {
      const table =
        source.kind === 'trace'
          ? readTrace(source.trace, path)
          : readLengthsFile(path, source.lengths.columns, 'lengths.path');
      summary = summarizeDataset(table);
      this.cache.set(key, summary);
    }
    return summary;
  }

  /** The cache key of the file's current version; undefined when the file is missing. */
  private keyOf(source: DatasetSource): string | undefined {
    const stat = statSync(datasetPath(source), { throwIfNoEntry: false });
    return stat === undefined ? undefined : `${JSON.stringify(source)}\0${stat.size}\0${stat.mtimeMs}`;
  }
}

/** The file a dataset reads. */
export function datasetPath(source: DatasetSource): string {
  return source.kind === 'trace' ? source.trace.path : source.lengths.path;
}
