/**
 * How the API's handlers fail, and how a thrown error becomes the contract's ApiErrorOut
 * (runner/api/api-contract.ts): every transport reports the same code for the same failure.
 */
import { InputError } from '../errors.js';
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
 * SweepBusyError (another process is executing the sweep) `conflict`,
 * anything else `internal` with its stack.
 */
export function errorOut(e: unknown): ApiErrorOut {
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
  return { code: 'internal', message: e instanceof Error ? (e.stack ?? e.message) : String(e) };
}
