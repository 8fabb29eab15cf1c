import { realpathSync, statSync } from 'node:fs';
import { extname, isAbsolute, join, sep } from 'node:path';

/**
 * Which file of the renderer build a URL path names, for `schedbench serve` (http-server.ts).
 * Only regular files inside the static folder are ever served: the path is percent-decoded once,
 * and a path with a `..` or `.` segment, a backslash, a NUL, an empty segment or a malformed
 * escape is refused before the file system is asked; the file found is then checked to lie
 * inside the folder after resolving symbolic links. `/` is `index.html`; other folders are not
 * served (no listings).
 */

/** Content types by file extension (lower case); anything else is `application/octet-stream`. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

/** The Content-Type header of a file, from its extension. */
export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The absolute path of the file that URL path `urlPath` names inside `staticDir`, or null when
 * it names nothing that may be served (then the server answers 404).
 *
 * @param staticDir the renderer build folder (absolute or relative to the working directory)
 * @param urlPath the path of the request URL, still percent-encoded, without the query (`/`,
 *   `/assets/app.js`)
 * @returns the resolved path of a regular file inside `staticDir` (symbolic links resolved), or
 *   null: a traversal attempt (`..`, `%2e%2e`, `%2f`, `\`), an absolute or malformed path, a
 *   folder other than `/`, or a missing file
 */
export function resolveStaticPath(staticDir: string, urlPath: string): string | null {
  if (!urlPath.startsWith('/')) return null;
  const raw = urlPath === '/' ? '/index.html' : urlPath;
  const segments: string[] = [];
  for (const encoded of raw.slice(1).split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(encoded);
    } catch {
      return null; // malformed escape
    }
    // An encoded `/` inside a segment, or `\`, could act as a separator further down; `.` and
    // `..` could climb out; an empty segment (`//`) could make the rest absolute.
    if (segment === '' || segment === '.' || segment === '..') return null;
    if (/[/\\\0]/.test(segment) || isAbsolute(segment)) return null;
    segments.push(segment);
  }
  let root: string;
  let file: string;
  try {
    root = realpathSync(staticDir);
    file = realpathSync(join(root, ...segments));
    if (!file.startsWith(root + sep) || !statSync(file).isFile()) return null;
  } catch {
    return null; // missing folder or file, or not readable
  }
  return file;
}
