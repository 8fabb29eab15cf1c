import type Database from 'better-sqlite3';
import { convertRowsToColumnBlobs } from './column-blob-conversion.js';

/**
 * A migration's data step: JS that runs right after the migration file's SQL, inside the same
 * transaction (so a failure or a killed process rolls back both), for what SQL alone cannot do
 * (encoding typed arrays, say). It may read and write any table, must leave no foreign key
 * violation, and must not start or end transactions.
 */
export type MigrationDataStep = (db: Database.Database) => void;

/**
 * The data steps, by migration file name without `.sql` (`0011_column_blobs`): keyed by name
 * rather than version so that a test's migrations folder with another file of the same version
 * does not run it. A migration without an entry is SQL only.
 */
export const DATA_STEPS: ReadonlyMap<string, MigrationDataStep> = new Map([
  ['0011_column_blobs', convertRowsToColumnBlobs],
]);
