import { request, type IncomingHttpHeaders } from 'node:http';

/** An HTTP answer, body as text. */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One HTTP/1.1 request to 127.0.0.1:`port` with node:http, which sends the path and the headers
 * as given: unlike fetch it neither normalises `..` nor refuses to set Host, so tests can send
 * what an attacker would. The Host header defaults to `127.0.0.1:PORT`.
 *
 * @param path the request target, sent verbatim (`/a/../b`, `/%2e%2e/x`)
 * @param options method (default GET), headers, body; `host` the address to connect to (default
 *   127.0.0.1)
 * @throws the socket error (ECONNREFUSED, ...)
 */
export function rawRequest(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer; host?: string } = {},
): Promise<RawResponse> {
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
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
