/**
 * Locating and reading the input files a workload names (traces, length files).
 *
 * Paths in a spec are relative to the spec file's directory, which the caller passes; absolute
 * paths are used as given. Nothing is cached: every call reads the file again.
 */
import { isAbsolute, resolve } from 'node:path';
import { MAX_INPUT_FILE_BYTES, readRegularFile } from './regular-file.js';

/**
 * Resolves a path written in a spec.
 * @param specDir directory of the spec file (absolute, or relative to the process's cwd)
 * @param path the path as written in the spec
 * @returns the absolute path
 */
export function resolveInputPath(specDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(specDir, path);
}

/**
 * Reads a whole file as bytes: a regular file of at most MAX_INPUT_FILE_BYTES (see regular-file.ts).
 * @param file absolute path (see {@link resolveInputPath})
 * @param field the spec field that named the file, e.g. `trace.path`, for the message
 * @returns the file's bytes
 * @throws InputError naming the path when the file is missing, cannot be read, is not a regular
 *   file (a FIFO, a device, a directory, a socket, under /proc or /sys) or is over the size limit
 */
export function readInputBytes(file: string, field?: string): Buffer {
  return readRegularFile(file, { field, what: 'trace or lengths file', maxBytes: MAX_INPUT_FILE_BYTES });
}

/** A file's bytes as text: UTF-8, a leading byte-order mark removed. */
export function decodeInputText(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Reads a whole text file (UTF-8; a leading byte-order mark is removed).
 * @param file absolute path (see {@link resolveInputPath})
 * @param field the spec field that named the file, e.g. `trace.path`, for the message
 * @returns the file's text
 * @throws InputError as {@link readInputBytes}
 */
export function readInputText(file: string, field?: string): string {
  return decodeInputText(readInputBytes(file, field));
}
