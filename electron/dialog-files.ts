import { rename, stat, readFile, writeFile, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { SpecFile } from './desktop-bridge.js';

/**
 * The file side of the desktop dialogs (main.ts shows them): which file types each dialog
 * offers, reading a chosen spec, and writing a saved report without leaving half a file.
 * The user picks every path in a native dialog; the renderer never names one.
 */

/** A dialog's file-type filter (Electron's FileFilter). */
export interface FileFilter {
  name: string;
  extensions: string[];
}

/** Filters of the Open spec dialog. */
export const SPEC_FILTERS: FileFilter[] = [
  { name: 'Sweep spec (YAML)', extensions: ['yaml', 'yml'] },
  { name: 'All files', extensions: ['*'] },
];

/**
 * Filters of the Choose trace dialog (Datasets › Import a trace): the formats `datasets.preview`
 * reads, CSV with a header and JSON Lines (`.json` too, as exports often name them).
 */
export const TRACE_FILTERS: FileFilter[] = [
  { name: 'Trace (CSV, JSON Lines)', extensions: ['csv', 'jsonl', 'ndjson', 'json'] },
  { name: 'All files', extensions: ['*'] },
];

/** Filters of the Import database dialog. */
export const DATABASE_FILTERS: FileFilter[] = [
  { name: 'Schedbench database (SQLite)', extensions: ['db', 'sqlite', 'sqlite3'] },
  { name: 'All files', extensions: ['*'] },
];

const KIND_FILTERS: Record<string, FileFilter> = {
  html: { name: 'HTML report', extensions: ['html'] },
  csv: { name: 'CSV table', extensions: ['csv'] },
  json: { name: 'JSON', extensions: ['json'] },
  yaml: { name: 'YAML', extensions: ['yaml', 'yml'] },
  txt: { name: 'Text', extensions: ['txt'] },
  pdf: { name: 'PDF document', extensions: ['pdf'] },
};

/** Filters of a Save dialog for a kind of file (`html`, `csv`, `json`, `yaml`, `txt`, `pdf`). */
export function saveFilters(kind: string | undefined): FileFilter[] {
  const filter = kind ? KIND_FILTERS[kind] : undefined;
  return filter
    ? [filter, { name: 'All files', extensions: ['*'] }]
    : [{ name: 'All files', extensions: ['*'] }];
}

/** Largest spec file opened, bytes (specs are a few KiB; traces are referenced, not inlined). */
export const MAX_SPEC_BYTES = 10 * 1024 * 1024;

/**
 * Reads a spec the user chose.
 * @returns its path, its folder (relative trace paths resolve there) and its text
 * @throws Error naming the file when it is not a regular file, too large, or unreadable
 */
export async function readSpecFile(path: string): Promise<SpecFile> {
  const info = await stat(path);
  if (!info.isFile()) throw new Error(`${path}: not a file`);
  if (info.size > MAX_SPEC_BYTES) {
    throw new Error(`${path}: ${info.size} bytes; a sweep spec is at most ${MAX_SPEC_BYTES} bytes`);
  }
  return { path, dir: dirname(path), yaml: await readFile(path, 'utf8') };
}

/**
 * Writes a file through a temporary sibling and a rename, so an interrupted save never leaves a
 * truncated report under the chosen name.
 */
export async function writeFileAtomically(path: string, data: string | Uint8Array): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}
