/**
 * Removing an imported trace from the catalog. Its managed copy (import-dataset.ts) is deleted
 * too, unless another dataset shares it (same bytes) or a stored sweep names it: a sweep must
 * still find its trace to resume, and its stored results never depend on the file.
 */
import { rmSync } from 'node:fs';
import { basename } from 'node:path';
import { InputError } from '../errors.js';
import type { Store } from '../store/store.js';
import { builtInDatasets } from './built-in-datasets.js';

/** What removeDataset did. */
export interface DatasetRemoval {
  name: string;
  /** The managed copy, and whether it was deleted (false: still named by a sweep or a dataset). */
  path: string;
  fileDeleted: boolean;
  /** Sweeps whose spec names the copy (it was kept for them). */
  keptForSweeps: number[];
}

/**
 * Removes an imported dataset.
 * @throws InputError with field `name` for a built-in dataset or a name that is not imported
 */
export function removeDataset(store: Store, name: string): DatasetRemoval {
  if (builtInDatasets().some((d) => d.name === name)) {
    throw new InputError(`name: "${name}" is a built-in dataset; only imported ones can be removed`, {
      field: 'name',
    });
  }
  const dataset = store.datasets.byName(name);
  if (dataset === undefined) {
    throw new InputError(`name: no imported dataset named "${name}"`, { field: 'name' });
  }
  store.datasets.remove(dataset.id);
  // The copy's name (content hash + original name) is what a spec written from it contains.
  const file = basename(dataset.path);
  const keptForSweeps = store
    .listSweeps()
    .filter((s) => s.specYaml.includes(file))
    .map((s) => s.id);
  const shared = store.datasets.list().some((d) => d.path === dataset.path);
  const fileDeleted = keptForSweeps.length === 0 && !shared;
  if (fileDeleted) rmSync(dataset.path, { force: true });
  return { name, path: dataset.path, fileDeleted, keptForSweeps };
}
