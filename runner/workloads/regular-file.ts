/**
 * Reading the files a user names (sweep specs, traces, length files, datasets to preview or
 * import) safely: only regular files, and only up to a size limit.
 *
 * A file is opened non-blocking (`O_RDONLY | O_NONBLOCK`), so that opening a named pipe never
 * waits for a writer, then checked with `fstat` on the open descriptor (no race with a rename):
 * a FIFO, a device (`/dev/zero`), a directory or a socket, and anything under `/proc` or `/sys`
 * (whose sizes are not what reading gives), is refused with an InputError naming the file and what
 * it is, before a byte is read. A regular file over the caller's limit is refused with its size
 * and the limit, instead of exhausting the heap (see docs/decisions.md, "Only regular files, and
 * size limits").
 */
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, type Stats } from 'node:fs';
import { resolve, sep } from 'node:path';
import { InputError } from '../errors.js';

const MiB = 1024 * 1024;

/**
 * Largest file read whole into memory: a dataset to import (its bytes are parsed, hashed and
 * copied). Readers that hold a text whole, with its split lines and cells, peaked at about 2.5 GiB
 * for 250 MiB; 256 MiB keeps a whole read under about 2.5 GiB.
 */
export const MAX_INPUT_FILE_BYTES = 256 * MiB;

/**
 * Largest trace or length file read in chunks (see `text-chunks.ts`, `input-file.ts`): 4 GiB.
 * Memory then depends on rows, not bytes (16 bytes a row, bounded by `MAX_TRACE_ROWS` in
 * trace-table.ts); this bound keeps a read under about a minute and refuses a mistaken file (a
 * disk image, a sparse file) before reading it.
 */
export const MAX_STREAMED_FILE_BYTES = 4 * 1024 * MiB;

/** Largest sweep spec read (a YAML document; real specs are a few KiB). */
export const MAX_SPEC_FILE_BYTES = 1 * MiB;

/** Folders of kernel pseudo-files, refused whatever their type. */
const PSEUDO_FILE_ROOTS = ['/proc', '/sys'];

/** How a refused file is named in messages. */
export interface RegularFileOptions {
  /** The spec or request field that named the file, e.g. `trace.path`, for the message. */
  field?: string | undefined;
  /** What the file is meant to be, e.g. `trace`, `spec file` (default `file`). */
  what?: string | undefined;
}

/** Options of {@link readRegularFile}. */
export interface ReadRegularFileOptions extends RegularFileOptions {
  /** Size limit in bytes (default {@link MAX_INPUT_FILE_BYTES}). */
  maxBytes?: number | undefined;
  /** How to stay under the limit, appended to the size message (default: cut the file). */
  workaround?: string | undefined;
}

/** A byte count for messages: `1.5 GiB`, `300 MiB`, `12 KiB`, `80 bytes`. */
export function formatBytes(bytes: number): string {
  const units: [number, string][] = [
    [1024 * MiB, 'GiB'],
    [MiB, 'MiB'],
    [1024, 'KiB'],
  ];
  for (const [size, unit] of units) {
    if (bytes >= size) {
      const n = bytes / size;
      return `${Number.isInteger(n) ? n : n.toFixed(1)} ${unit}`;
    }
  }
  return `${bytes} bytes`;
}

function named(options: RegularFileOptions): string {
  return options.field === undefined ? '' : ` (named by \`${options.field}\`)`;
}

function kindOf(stat: Stats): string {
  if (stat.isFIFO()) return 'a named pipe (FIFO)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isDirectory()) return 'a directory';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

function underPseudoRoot(path: string): boolean {
  return PSEUDO_FILE_ROOTS.some((root) => path === root || path.startsWith(root + sep));
}

/**
 * Opens a regular file for reading, or refuses it; the caller closes the descriptor.
 * @param file the path (absolute, or relative to the process's cwd)
 * @returns the open descriptor and the file's size in bytes
 * @throws InputError naming the file (and the field) when it is missing, unreadable, under /proc or
 *   /sys, or not a regular file (what it is instead); nothing has been read then
 */
export function openRegularFile(
  file: string,
  options: RegularFileOptions = {},
): { fd: number; size: number } {
  const what = options.what ?? 'file';
  const refuse = (why: string): never => {
    throw new InputError(`${file}: ${why}${named(options)}`, {
      file,
      ...(options.field === undefined ? {} : { field: options.field }),
    });
  };
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    real = resolve(file); // missing or unreadable: open() below says which
  }
  if (underPseudoRoot(resolve(file)) || underPseudoRoot(real)) {
    refuse(
      `is a kernel pseudo-file under /proc or /sys, not a regular file; a ${what} must be a regular file`,
    );
  }
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return refuse(
      code === 'ENOENT'
        ? `${what === 'spec file' ? what : 'file'} not found`
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'ENXIO'
            ? `is a socket or a device, not a regular file; a ${what} must be a regular file`
            : code === 'EISDIR'
              ? `is a directory, not a regular file; a ${what} must be a regular file`
              : `cannot be opened (${code ?? (err as Error).message})`,
    );
  }
  let stat: Stats;
  try {
    stat = fstatSync(fd);
  } catch (err) {
    closeSync(fd);
    return refuse(`cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (!stat.isFile()) {
    closeSync(fd);
    refuse(`is ${kindOf(stat)}, not a regular file; a ${what} must be a regular file`);
  }
  return { fd, size: stat.size };
}

/**
 * The error for a file over a size limit: its size, the limit and the workaround.
 * @param file the path
 * @param size what the file is, e.g. `is 300 MiB (314572800 bytes)`, or `grew while being read`
 * @param maxBytes the limit
 */
export function fileTooBig(
  file: string,
  size: string,
  maxBytes: number,
  options: ReadRegularFileOptions = {},
): InputError {
  return new InputError(
    `${file}: ${size}, over the ${formatBytes(maxBytes)} limit for a ${options.what ?? 'file'}${named(options)}; ` +
      (options.workaround ?? `cut it to fewer rows (e.g. \`head -n 1000000 ${file} > smaller.csv\`)`),
    { file, ...(options.field === undefined ? {} : { field: options.field }) },
  );
}

/** The size part of {@link fileTooBig}'s message: `is 300 MiB (314572800 bytes)`. */
export function sizeOf(size: number): string {
  return `is ${formatBytes(size)} (${size} bytes)`;
}

/**
 * Reads a whole regular file, refusing special files and files over a size limit.
 * @param file the path (absolute, or relative to the process's cwd)
 * @returns the file's bytes
 * @throws InputError (see {@link openRegularFile}); for a file over `maxBytes`, naming its size, the
 *   limit and the workaround, before reading it
 */
export function readRegularFile(file: string, options: ReadRegularFileOptions = {}): Buffer {
  const maxBytes = options.maxBytes ?? MAX_INPUT_FILE_BYTES;
  const tooBig = (size: string): InputError => fileTooBig(file, size, maxBytes, options);
  const { fd, size } = openRegularFile(file, options);
  try {
    if (size > maxBytes) throw tooBig(sizeOf(size));
    // Read until end of file, not just `size` bytes: the file may grow while being read.
    let buffer = Buffer.allocUnsafe(Math.max(size, 1));
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length >= maxBytes + 1) throw tooBig('grew while being read');
        const bigger = Buffer.allocUnsafe(Math.min(Math.max(buffer.length * 2, 64 * 1024), maxBytes + 1));
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > maxBytes) throw tooBig('grew while being read');
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads at most the first `bytes` bytes of a regular file (no size limit on the file itself).
 * @returns those bytes and the file's size
 * @throws InputError (see {@link openRegularFile})
 */
export function readRegularFileHead(
  file: string,
  bytes: number,
  options: RegularFileOptions = {},
): { head: Buffer; size: number } {
  const { fd, size } = openRegularFile(file, options);
  try {
    const buffer = Buffer.alloc(bytes);
    let length = 0;
    while (length < bytes) {
      const n = readSync(fd, buffer, length, bytes - length, length);
      if (n === 0) break;
      length += n;
    }
    return { head: buffer.subarray(0, length), size };
  } finally {
    closeSync(fd);
  }
}
