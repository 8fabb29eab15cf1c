import { createReadStream, existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { isApiOp, type ApiErrorOut } from './api-contract.js';
import type { ApiHandler } from './api-service.js';
import { streamEvents } from './event-stream.js';
import { bearerToken, sameToken } from './http-auth.js';
import { acceptsGzip, compressible, GzipFileCache, gzipBody, MIN_GZIP_BYTES } from './http-compression.js';
import { contentTypeOf, resolveStaticPath } from './static-files.js';

/**
 * The HTTP transport of the runner's API (`schedbench serve`, "browser mode"): the renderer's
 * static files and the API of api-contract.ts, for an engineer whose sweeps run on a headless
 * server and who opens the page through an SSH tunnel. Plain node:http; one process, one
 * database, one random token.
 *
 * Exposure: the server listens on 127.0.0.1 only (never a wildcard or a public address), and
 * answers 403 to a request whose Host header is not `127.0.0.1:PORT` or `localhost:PORT`, any port
 * (an SSH tunnel may forward another local port; a page of another site that rebinds its DNS
 * name to 127.0.0.1 sends its own name), or whose Origin
 * header, when present, is not this server's origin.
 *
 * Authorisation flow:
 * 1. The CLI prints the ready URL `http://127.0.0.1:PORT/?token=TOKEN`. Opening it with the
 *    right token serves the page (no-store); the page keeps the token in its origin's
 *    localStorage (another port is another origin; a new token replaces it) and removes it from the address bar and the history entry
 *    (history.replaceState). A wrong token gets a page saying so.
 * 2. It then calls operations as `POST /api/OP` with the JSON input as body and
 *    `Authorization: Bearer TOKEN`. Answers: 200 `{ ok: true, value }`, or
 *    `{ ok: false, error: ApiErrorOut }` with 400 (bad-input), 404 (not-found, or an unknown
 *    operation), 409 (conflict) or 500 (internal); 413 past MAX_BODY_MIB of body.
 * 3. `GET /api/events` (read with fetch and the same header) streams the API's events as
 *    server-sent events, `event: progress` / `data: JSON`, with a keep-alive comment every 15 s.
 *
 * Compression: API answers of MIN_GZIP_BYTES or more and text-like static files (JS, CSS, HTML,
 * JSON) are sent with `Content-Encoding: gzip` when the request's Accept-Encoding accepts gzip
 * (http-compression.ts), with `Vary: Accept-Encoding`; event streams and short texts never are.
 *
 * No cookie is set or accepted: a browser sends a host's cookies to every port of it, so any
 * other service on 127.0.0.1 would receive it and could replay it. localStorage is scoped
 * to the origin, port included, and another page cannot make a browser send a custom header to
 * this origin, so there is no cross-site request forgery either.
 *
 * Every route under `/api/` answers 401 without a valid token before anything else about the
 * request (operation, method, body) is looked at; tokens are compared in constant time. Every
 * answer carries a strict Content-Security-Policy (no inline or foreign script, no framing),
 * `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`.
 */

/** Options of {@link startHttpServer}. */
export interface HttpServerOptions {
  /** The API every `/api/` route calls (api-service.ts). */
  api: ApiHandler;
  /** TCP port on 127.0.0.1; 0 takes any free port. */
  port: number;
  /** The secret every API request must present (see the module comment). */
  token: string;
  /** The renderer build (`dist/renderer`); null or a folder without index.html: a stub page. */
  staticDir: string | null;
  /** Seconds between keep-alive comments on `/api/events` (default 15). */
  keepAliveS?: number;
}

/** A running server. */
export interface HttpServer {
  /** The ready URL, `http://127.0.0.1:PORT/?token=TOKEN`: opening it signs the browser in. */
  url: string;
  /** The port listened on (the one chosen when 0 was asked for). */
  port: number;
  /** Ends the event streams, stops listening and waits for requests in progress (5 s at most). */
  close(): Promise<void>;
}

/** The only address listened on. */
export const LOOPBACK = '127.0.0.1';

/** Largest accepted request body, MiB. */
export const MAX_BODY_MIB = 10;

/** Seconds close() waits for requests in progress before dropping their connections. */
const CLOSE_GRACE_S = 5;

/** Headers of every response. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** HTTP status of an operation's failure. */
export function httpStatusOf(code: ApiErrorOut['code']): number {
  switch (code) {
    case 'bad-input':
      return 400;
    case 'not-found':
      return 404;
    case 'conflict':
      return 409;
    case 'internal':
      return 500;
  }
}

/** The page `/` shows while the renderer has not been built. */
const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Schedbench</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>Schedbench</h1>
<p>The server is running and its API answers at <code>/api/</code>, but the renderer (the runs
browser) is not built. Build it with <code>npm run build:renderer</code> and reload this page.</p>
</body>
</html>
`;

/** The page a ready URL with a wrong token shows. */
const BAD_TOKEN_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Schedbench: wrong token</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>Wrong token</h1>
<p>This link's token is not this server's. Open the URL that <code>schedbench serve</code> printed
when it started (each start makes a new token).</p>
</body>
</html>
`;

/** A request the server refuses: its status, a plain-text reason and extra headers. */
class Refusal extends Error {
  override readonly name = 'Refusal';
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/**
 * Starts the server on 127.0.0.1:`port`.
 * @returns once listening: the ready URL, the port and close()
 * @throws the listen error (`EADDRINUSE` when the port is taken, `EACCES` below 1024)
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const streams = new Set<() => void>();
  const gzipped = new GzipFileCache();
  let port = 0;
  const server: Server = createServer((req, res) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else sendText(res, 500, `internal error: ${error instanceof Error ? error.message : String(error)}`);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.url ?? '';
    // Origin-form only (`/path?query`): an absolute or `//host` target is never ours.
    if (!target.startsWith('/') || target.startsWith('//')) {
      return sendText(res, 400, 'bad request target');
    }
    const host = (req.headers.host ?? '').toLowerCase();
    // Any port: an SSH tunnel may forward another local port to this one (-L 9000:127.0.0.1:PORT).
    if (!/^(127\.0\.0\.1|localhost):\d{1,5}$/.test(host)) {
      return sendText(
        res,
        403,
        `Forbidden: the Host header must be ${LOOPBACK}:PORT or localhost:PORT (this is a loopback-only server)\n`,
      );
    }
    const query = target.indexOf('?');
    const path = query < 0 ? target : target.slice(0, query);
    const params = new URLSearchParams(query < 0 ? '' : target.slice(query + 1));
    const api = path === '/api' || path.startsWith('/api/');
    if (api) {
      if (!sameToken(bearerToken(req), options.token)) {
        return sendText(res, 401, 'Unauthorized: send Authorization: Bearer TOKEN\n', {
          'WWW-Authenticate': 'Bearer realm="schedbench"',
        });
      }
    }
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${host}`) {
      return sendText(res, 403, `Forbidden: cross-origin request from ${origin}\n`);
    }
    try {
      if (api) await serveApi(req, res, path.slice('/api/'.length));
      else await serveStatic(req, res, path, params);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      sendText(res, error.status, `${error.message}\n`, error.headers);
    }
  }

  async function serveApi(req: IncomingMessage, res: ServerResponse, route: string): Promise<void> {
    res.setHeader('Cache-Control', 'no-store');
    if (route === 'events') {
      if (req.method !== 'GET') throw new Refusal(405, 'Method Not Allowed: use GET', { Allow: 'GET' });
      const end = streamEvents(res, options.api, options.keepAliveS);
      streams.add(end);
      res.on('close', () => streams.delete(end));
      return;
    }
    if (!isApiOp(route)) {
      const error: ApiErrorOut = { code: 'not-found', message: `unknown operation "${route}"` };
      return sendJson(req, res, 404, { ok: false, error });
    }
    if (req.method !== 'POST') throw new Refusal(405, 'Method Not Allowed: use POST', { Allow: 'POST' });
    const body = await readBody(req);
    let input: unknown;
    try {
      input = body.length === 0 ? undefined : JSON.parse(body.toString('utf8'));
    } catch (e) {
      const message = `${route}: the request body is not JSON (${e instanceof Error ? e.message : String(e)})`;
      return sendJson(req, res, 400, {
        ok: false,
        error: { code: 'bad-input', message } satisfies ApiErrorOut,
      });
    }
    const result = await options.api.call(route, input);
    await sendJson(req, res, result.ok ? 200 : httpStatusOf(result.error.code), result);
  }

  async function serveStatic(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    params: URLSearchParams,
  ): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw new Refusal(405, 'Method Not Allowed: use GET', { Allow: 'GET, HEAD' });
    }
    // The ready URL: the page itself, which keeps the token (http-transport.ts); not cached.
    const presented = params.get('token');
    if (presented !== null && !sameToken(presented, options.token)) return sendHtml(res, 401, BAD_TOKEN_PAGE);
    const dir = options.staticDir;
    if (dir === null || !existsSync(join(dir, 'index.html'))) {
      if (path === '/' || path === '/index.html') return sendHtml(res, 200, NOT_BUILT_PAGE);
      throw new Refusal(404, 'Not Found');
    }
    const file = resolveStaticPath(dir, path);
    if (file === null) throw new Refusal(404, 'Not Found');
    const type = contentTypeOf(file);
    const zip = compressible(type) && acceptsGzip(req.headers['accept-encoding']);
    const body = zip && req.method !== 'HEAD' ? await gzipped.get(file) : null;
    res.writeHead(200, {
      'Content-Type': type,
      'Cache-Control': presented === null ? 'no-cache' : 'no-store',
      Vary: 'Accept-Encoding',
      ...(zip ? { 'Content-Encoding': 'gzip' } : {}),
      ...(body ? { 'Content-Length': body.length } : {}),
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    if (body) {
      res.end(body);
      return;
    }
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: LOOPBACK, port: options.port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('http server: no TCP address');
  port = address.port;
  return {
    url: `http://${LOOPBACK}:${port}/?token=${encodeURIComponent(options.token)}`,
    port,
    close: () => closeServer(server, streams),
  };
}

/**
 * Reads a request body of at most MAX_BODY_MIB.
 * @throws Refusal 413 past the limit (the connection is closed after the answer)
 */
async function readBody(req: IncomingMessage): Promise<Buffer> {
  const limit = MAX_BODY_MIB * 1024 * 1024;
  const tooLarge = new Refusal(413, `Payload Too Large: the body may hold at most ${MAX_BODY_MIB} MiB`, {
    Connection: 'close',
  });
  if (Number(req.headers['content-length'] ?? 0) > limit) throw tooLarge;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) throw tooLarge;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** Stops `server`: ends the event streams, then waits up to CLOSE_GRACE_S for requests in progress. */
async function closeServer(server: Server, streams: Set<() => void>): Promise<void> {
  for (const end of [...streams]) end();
  await new Promise<void>((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_S * 1000);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  res.end(text);
}

/**
 * Sends `value` as JSON, gzip-compressed (http-compression.ts) when the request's
 * Accept-Encoding accepts gzip and the body has at least MIN_GZIP_BYTES.
 */
async function sendJson(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  value: unknown,
): Promise<void> {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  const headers = { 'Content-Type': 'application/json; charset=utf-8', Vary: 'Accept-Encoding' };
  if (body.length >= MIN_GZIP_BYTES && acceptsGzip(req.headers['accept-encoding'])) {
    const zipped = await gzipBody(body);
    res.writeHead(status, { ...headers, 'Content-Encoding': 'gzip', 'Content-Length': zipped.length });
    res.end(zipped);
    return;
  }
  res.writeHead(status, { ...headers, 'Content-Length': body.length });
  res.end(body);
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(html);
}
