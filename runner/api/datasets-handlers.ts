/**
 * The `datasets.*` operations of the API (runner/api/api-contract.ts): the dataset catalog with
 * summaries, previewing, importing and removing a user's trace.
 */
import {
  DatasetSummaries,
  datasetCatalog,
  datasetPath,
  importedDataset,
  type CatalogDataset,
} from '../datasets/dataset-catalog.js';
import { importDataset } from '../datasets/import-dataset.js';
import { removeDataset } from '../datasets/remove-dataset.js';
import { previewTrace } from '../datasets/trace-preview.js';
import { InputError } from '../errors.js';
import type { DatasetOut } from './api-contract.js';
import { dataRootPath, type HandlerContext, type OperationHandlers } from './handler-context.js';

/** The operations this module handles. */
export type DatasetsOp = 'datasets.list' | 'datasets.preview' | 'datasets.import' | 'datasets.remove';

/**
 * The `datasets.*` handlers. Trace paths resolve against the context's working directory and must
 * lie under its data roots, if it has any (dataRootPath, checked before the file is read). The
 * summaries of the catalog's files are cached for the handlers' lifetime, bounded as
 * DatasetSummaries documents.
 * @throws (from the handlers) InputError for an unreadable trace, a bad mapping or row, a name
 *   taken, or a built-in or unknown dataset to remove
 */
export function datasetsHandlers(ctx: HandlerContext): OperationHandlers<DatasetsOp> {
  const { store } = ctx;
  const summaries = new DatasetSummaries();
  return {
    'datasets.list': ({ summaries: withSummaries }) =>
      datasetCatalog(store).map((d) => datasetOut(summaries, d, withSummaries)),
    'datasets.preview': ({ path, ...choices }) =>
      previewTrace({ path: dataRootPath(ctx, path, 'datasets.preview path'), ...choices }),
    'datasets.import': ({ path, ...rest }) => {
      const { dataset, summary } = importDataset(store, {
        ...rest,
        path: dataRootPath(ctx, path, 'datasets.import path'),
      });
      const entry = importedDataset(dataset);
      summaries.remember(entry.source, summary);
      return datasetOut(summaries, entry);
    },
    'datasets.remove': ({ name }) => removeDataset(store, name),
  };
}

/**
 * A catalog entry as `datasets.list` reports it; a file that cannot be read gives a null summary
 * and the reason as `problem`.
 * @param withSummary false: no summary (and no file read)
 */
function datasetOut(summaries: DatasetSummaries, d: CatalogDataset, withSummary = true): DatasetOut {
  let summary: DatasetOut['summary'] = null;
  let problem: string | null = null;
  try {
    if (withSummary) summary = summaries.get(d.source);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    problem = e.message;
  }
  const { source } = d;
  return {
    name: d.name,
    label: d.label,
    description: d.description,
    builtIn: d.builtIn,
    kind: source.kind,
    path: datasetPath(source),
    workload: source.kind === 'trace' ? { trace: source.trace } : { lengths: source.lengths },
    importedFrom: d.importedFrom,
    importedAt: d.importedAt,
    summary,
    problem,
  };
}
