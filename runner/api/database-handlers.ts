/**
 * The operations of the API (runner/api/api-contract.ts) on the database as a whole: `health`
 * (versions and the database in use) and `database.import` (merging another database).
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { importDatabase } from '../store/import-database.js';
import { API_VERSION } from './api-contract.js';
import type { HandlerContext, OperationHandlers } from './handler-context.js';

/** The operations this module handles. */
export type DatabaseOp = 'health' | 'database.import';

/**
 * The `health` and `database.import` handlers; the database to import resolves against the
 * context's working directory.
 * @throws (from `database.import`) InputError when the file is not a Schedbench database this
 *   version can import (see importDatabase)
 */
export function databaseHandlers({ store, cwd }: HandlerContext): OperationHandlers<DatabaseOp> {
  return {
    health: () => ({
      apiVersion: API_VERSION,
      database: store.file,
      host: hostname(),
      node: process.version,
    }),
    'database.import': ({ path }) => ({ summary: { ...importDatabase(store, resolve(cwd, path)) } }),
  };
}
