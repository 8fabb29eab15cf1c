import { request, type IncomingHttpHeaders } from 'node:http';

/** An HTTP answer, body as text. */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** An HTTP answer, body as the bytes received (not decoded: a gzipped body stays gzipped). */
export interface RawBytesResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Options of rawRequest and rawRequestBytes. */
export interface RawRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The address to connect to (default 127.0.0.1). */
  host?: string;
}

/**
 * One HTTP/1.1 request to 127.0.0.1:`port` with node:http, which sends the path and the headers
 * as given: unlike fetch it neither normalises `..` nor refuses to set Host, so tests can send
 * what an attacker would. The Host header defaults to `127.0.0.1:PORT`.
 *
 * @param path the request target, sent verbatim (`/a/../b`, `/%2e%2e/x`)
 * @param options method (default GET), headers, body, host
 * @returns the answer with its body as UTF-8 text
 * @throws the socket error (ECONNREFUSED, ...)
 */
export async function rawRequest(
  port: number,
  path: string,
  options: RawRequestOptions = {},
): Promise<RawResponse> {
  const r = await rawRequestBytes(port, path, options);
  return { ...r, body: r.body.toString('utf8') };
}

/**
 * rawRequest with the body as the bytes received, exactly as sent (for compressed answers).
 * @throws the socket error (ECONNREFUSED, ...)
 */
export function rawRequestBytes(
  port: number,
  path: string,
  options: RawRequestOptions = {},
): Promise<RawBytesResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: options.host ?? '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: { host: `127.0.0.1:${port}`, ...options.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
