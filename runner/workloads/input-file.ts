/**
 * Locating and reading the input files a workload names (traces, length files).
 *
 * Paths in a spec are relative to the spec file's directory, which the caller passes; absolute
 * paths are used as given. Nothing is cached: every call reads the file again. Traces and length
 * files are streamed ({@link streamInputFile}): their lines are counted first, to size the typed
 * columns, then their text is handed to a splitter in 1 MiB chunks, so memory depends on the row
 * count, not on the file's size. A dataset to import is read whole ({@link readInputBytes}): its
 * bytes are hashed and copied too.
 */
import { closeSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import {
  MAX_INPUT_FILE_BYTES,
  MAX_STREAMED_FILE_BYTES,
  fileTooBig,
  openRegularFile,
  readRegularFile,
  sizeOf,
} from './regular-file.js';
import { TEXT_CHUNK_BYTES, countLineEnds, readTextChunks, type TextSink } from './text-chunks.js';
import { MAX_TRACE_ROWS, traceCapacity } from './trace-table.js';

/** What the messages call the files read here. */
const WHAT = 'trace or lengths file';

/**
 * Resolves a path written in a spec.
 * @param specDir directory of the spec file (absolute, or relative to the process's cwd)
 * @param path the path as written in the spec
 * @returns the absolute path
 */
export function resolveInputPath(specDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(specDir, path);
}

/** Limits of {@link streamInputFile}; the defaults are the real ones, tests pass small ones. */
export interface StreamLimits {
  /** Most rows (default {@link MAX_TRACE_ROWS}). */
  readonly maxRows?: number | undefined;
  /** Bytes per read (default {@link TEXT_CHUNK_BYTES}, 1 MiB). */
  readonly chunkBytes?: number | undefined;
  /** Largest file in bytes (default {@link MAX_STREAMED_FILE_BYTES}, 4 GiB). */
  readonly maxBytes?: number | undefined;
}

/**
 * Streams a trace or length file into a splitter: opens it (regular files only), refuses it over
 * the byte limit, counts its `\n` bytes (a first pass without decoding) and refuses it over the row
 * limit, then calls `start` with the row capacity and hands the UTF-8 text (byte-order mark
 * removed) to the sink it returns, in chunks, ending with `sink.end()`.
 * @param file absolute path (see {@link resolveInputPath})
 * @param field the spec field that named the file, e.g. `trace.path`, for the message
 * @param start makes the sink, given the most rows the file can hold (its line count)
 * @param limits see {@link StreamLimits}
 * @returns the sink, after `end()`
 * @throws InputError naming the path when the file is missing, cannot be read, is not a regular
 *   file (see `openRegularFile`), is over the byte limit (its size, the limit, how to cut it) or has
 *   more lines than the row limit (see `traceCapacity`); whatever the sink throws (a bad row)
 */
export function streamInputFile<T extends TextSink>(
  file: string,
  field: string | undefined,
  start: (capacity: number) => T,
  limits: StreamLimits = {},
): T {
  const maxBytes = limits.maxBytes ?? MAX_STREAMED_FILE_BYTES;
  const chunkBytes = limits.chunkBytes ?? TEXT_CHUNK_BYTES;
  const { fd, size } = openRegularFile(file, { field, what: WHAT });
  try {
    if (size > maxBytes) throw fileTooBig(file, sizeOf(size), maxBytes, { field, what: WHAT });
    const lineEnds = countLineEnds(fd, chunkBytes);
    const sink = start(traceCapacity(file, lineEnds, limits.maxRows ?? MAX_TRACE_ROWS, field));
    readTextChunks(fd, sink, chunkBytes);
    return sink;
  } finally {
    closeSync(fd);
  }
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
  return readRegularFile(file, { field, what: WHAT, maxBytes: MAX_INPUT_FILE_BYTES });
}

/** A file's bytes as text: UTF-8, a leading byte-order mark removed. */
export function decodeInputText(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
