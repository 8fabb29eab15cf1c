import { InputError } from '../errors.js';

/**
 * Parses a positive integer CLI value.
 * @throws InputError naming the option
 */
export function positiveInt(option: string, raw: string): number {
  return positiveIntOr(option, raw, 'a positive integer');
}

/**
 * Parses a non-negative integer CLI value (0 allowed).
 * @throws InputError naming the option
 */
export function nonNegativeInt(option: string, raw: string): number {
  return raw.trim() === '0' ? 0 : positiveIntOr(option, raw, 'a non-negative integer');
}

/**
 * Parses a TCP port to listen on: 0 (any free port) to 65535.
 * @throws InputError naming the option
 */
export function tcpPort(option: string, raw: string): number {
  const port = nonNegativeInt(option, raw);
  if (port > 65_535)
    throw new InputError(`${option} must be a TCP port (0 to 65535), got "${raw}"`, { field: option });
  return port;
}

function positiveIntOr(option: string, raw: string, what: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new InputError(`${option} must be ${what}, got "${raw}"`, { field: option });
  }
  return n;
}

/**
 * Parses one of the allowed values of a CLI option.
 * @throws InputError naming the option and the allowed values
 */
export function oneOf<T extends string>(option: string, raw: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new InputError(`${option} must be one of ${allowed.join(', ')}, got "${raw}"`, { field: option });
  }
  return raw as T;
}
