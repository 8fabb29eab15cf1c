/**
 * How the API's handlers fail, and how a thrown error becomes the contract's ApiErrorOut
 * (runner/api/api-contract.ts): every transport reports the same code for the same failure.
 */
import { InputError } from '../errors.js';
import { databaseFault } from '../store/open-database.js';
import { sqliteErrorCode } from '../store/sqlite-error-code.js';
import { StoreStateError } from '../store/store-state-error.js';
import { SweepBusyError } from '../store/sweep-busy-error.js';
import type { ApiErrorOut } from './api-contract.js';

/** A not-found failure (a missing sweep or run); transports map it to 404. */
export class NotFoundError extends Error {}

/** A conflicting request (e.g. starting a sweep that is already running); transports map it to 409. */
export class ConflictError extends Error {}

/**
 * A thrown error as the contract reports it: InputError and StoreStateError are `bad-input`
 * (with the InputError's line and field), NotFoundError `not-found`, ConflictError and
 * SweepBusyError (another process is executing the sweep) `conflict`, a SQLite error of the
 * database (disk full, corrupt page, lock held too long) `internal` with a message naming
 * `database` and the cause but no stack, anything else `internal` with its stack.
 * @param e what a handler threw
 * @param database the API's database file, named in the message of a SQLite error
 */
export function errorOut(e: unknown, database?: string): ApiErrorOut {
  if (e instanceof InputError || e instanceof StoreStateError) {
    const location = e instanceof InputError ? e.location : {};
    return {
      code: 'bad-input',
      message: e.message,
      ...(location.line === undefined ? {} : { line: location.line }),
      ...(location.field === undefined ? {} : { field: location.field }),
    };
  }
  if (e instanceof NotFoundError) return { code: 'not-found', message: e.message };
  if (e instanceof ConflictError || e instanceof SweepBusyError)
    return { code: 'conflict', message: e.message };
  if (database !== undefined && sqliteErrorCode(e)?.startsWith('SQLITE_') === true) {
    const fault = databaseFault(e, database);
    return { code: 'internal', message: `database ${fault instanceof Error ? fault.message : String(e)}` };
  }
  return { code: 'internal', message: e instanceof Error ? (e.stack ?? e.message) : String(e) };
}
