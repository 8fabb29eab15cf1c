import { readFile } from 'node:fs/promises';
import { contentTypeOf, resolveStaticPath } from '../runner/api/static-files.js';
import { isAppUrl, parseUrl } from './app-origin.js';
import { APP_RESPONSE_HEADERS } from './content-security-policy.js';

/**
 * What the `app://` protocol handler (main.ts, `protocol.handle`) answers: a file of the
 * renderer build with the app's security headers, or a 404. Only GET and HEAD of
 * `app://schedbench/...` are served; the path goes through the same resolver as
 * `schedbench serve` (runner/api/static-files.ts: no `..`, no encoded separators, symbolic links
 * resolved and kept inside the folder).
 */

/** An answer, turned into a `Response` by main.ts. */
export interface AppProtocolResponse {
  status: number;
  headers: Record<string, string>;
  /** The file's bytes (empty for HEAD and errors). */
  body: Buffer;
}

function failure(status: number, text: string): AppProtocolResponse {
  return {
    status,
    headers: { ...APP_RESPONSE_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' },
    body: Buffer.from(text),
  };
}

/**
 * Answers one request of the app protocol.
 * @param method the request's method
 * @param url the request URL (`app://schedbench/assets/index.js?x#y`)
 * @param staticDir the renderer build (dist/renderer)
 */
export async function appProtocolResponse(
  method: string,
  url: string,
  staticDir: string,
): Promise<AppProtocolResponse> {
  if (method !== 'GET' && method !== 'HEAD') return failure(405, 'method not allowed');
  const parsed = parseUrl(url);
  if (!parsed || !isAppUrl(parsed.href)) return failure(404, 'not found');
  const file = resolveStaticPath(staticDir, parsed.pathname);
  if (!file) return failure(404, 'not found');
  let body: Buffer;
  try {
    body = method === 'HEAD' ? Buffer.alloc(0) : await readFile(file);
  } catch {
    return failure(404, 'not found');
  }
  return { status: 200, headers: { ...APP_RESPONSE_HEADERS, 'Content-Type': contentTypeOf(file) }, body };
}
