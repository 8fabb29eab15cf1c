import { readFile, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { constants, gzip } from 'node:zlib';

/**
 * gzip content coding for `schedbench serve` (http-server.ts, RFC 9110 §8.4.1.3 and §12.5.3):
 * JSON answers and text-like static files are sent gzip-compressed to a client whose
 * `Accept-Encoding` accepts gzip. Compare's answer for 200 runs is mostly decimal digits and
 * shrinks about fourfold, which is what an engineer on an SSH tunnel waits for.
 */

/** Bodies smaller than this many bytes are sent as they are (gzip would save next to nothing). */
export const MIN_GZIP_BYTES = 1024;

/**
 * zlib level of JSON answers: 4 of 9 compresses a `runs.compare` answer within a few percent
 * of the default (6) in about half the time.
 */
export const GZIP_LEVEL = 4;

const gzipAsync = promisify(gzip);

/**
 * Whether an `Accept-Encoding` header value accepts gzip: a `gzip` (or legacy `x-gzip`) coding,
 * or else `*`, with a quality above 0 (`gzip;q=0` refuses it). Case-insensitive; a missing header
 * accepts nothing compressed (identity).
 *
 * @param header the request's Accept-Encoding header (undefined when absent; a list is joined)
 */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  if (header === undefined) return false;
  const text = Array.isArray(header) ? header.join(',') : header;
  let star: boolean | undefined;
  for (const item of text.split(',')) {
    const [coding, ...params] = item.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const quality = q === undefined ? 1 : Number(q.slice(2));
    const accepted = Number.isFinite(quality) && quality > 0;
    if (coding.trim() === 'gzip' || coding.trim() === 'x-gzip') return accepted;
    if (coding.trim() === '*') star = accepted;
  }
  return star ?? false;
}

/**
 * Whether a response of this Content-Type is worth compressing: text, JSON, JavaScript, SVG,
 * source maps and WebAssembly; not images, fonts (already compressed) or anything unknown.
 */
export function compressible(contentType: string): boolean {
  const type = contentType.split(';')[0].trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type === 'application/javascript' ||
    type === 'image/svg+xml' ||
    type === 'application/wasm'
  );
}

/**
 * `body` gzip-compressed at GZIP_LEVEL, off the event loop (zlib's thread pool).
 * @throws the zlib error (never for a well-formed buffer)
 */
export function gzipBody(body: Buffer): Promise<Buffer> {
  return gzipAsync(body, { level: GZIP_LEVEL, strategy: constants.Z_DEFAULT_STRATEGY });
}

/**
 * The gzip-compressed bytes of static files, compressed once per file version (its size and
 * modification time) and kept in memory: the renderer build is a few files of about 1 MB in all,
 * and each page load asks for them again (they are served `no-cache`).
 */
export class GzipFileCache {
  private readonly entries = new Map<string, { size: number; mtimeMs: number; body: Buffer }>();

  /**
   * The gzip-compressed content of `file` (absolute path of a regular file).
   * @throws the file system error when the file cannot be read
   */
  async get(file: string): Promise<Buffer> {
    const { size, mtimeMs } = await stat(file);
    const cached = this.entries.get(file);
    if (cached && cached.size === size && cached.mtimeMs === mtimeMs) return cached.body;
    const body = await gzipBody(await readFile(file));
    this.entries.set(file, { size, mtimeMs, body });
    return body;
  }
}
