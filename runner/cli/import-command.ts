import { importDatabase } from '../store/import-database.js';
import { importSummaryText } from '../store/import-summary.js';
import type { Store } from '../store/store.js';

/** Formats of `schedbench import`. */
export const IMPORT_FORMATS = ['text', 'json'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/**
 * `schedbench import OTHER.db`: merges another schedbench database (one copied from a GPU
 * server, say) into `store` with {@link importDatabase}, all or nothing, and says what was
 * merged: sweeps and runs new here versus already here (imported before, directly or through
 * another database), runs completed with the other database's results, calibrations and worker
 * machines. JSON is the ImportSummary itself (`file`, `source` {id, host, createdAt},
 * `sweepsAdded`, `sweepsMerged`, `runsAdded`, `runsCompleted`, `runsSkipped`,
 * `calibrationsAdded`, `machinesAdded`, `machinesSkipped`, `skippedMachines`).
 *
 * @param store the database to import into
 * @param file the database file to import, a path (relative to the working directory)
 * @param format `text` (a few lines for people) or `json`
 * @returns the text to print
 * @throws InputError naming the file, with nothing imported, when it is missing, not a
 *   schedbench database (or damaged, or of another schema), or this database or a copy of it
 *   (see importDatabase)
 */
export function importCommand(store: Store, file: string, format: ImportFormat): string {
  const summary = importDatabase(store, file);
  return format === 'json' ? `${JSON.stringify(summary, null, 2)}\n` : importSummaryText(summary, store.file);
}
