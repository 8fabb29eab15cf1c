import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isApiOp, parseApiInput, type ApiEventName } from '../../../runner/api/api-contract.js';
import type { ApiHandler, ApiResult } from '../../../runner/api/api-service.js';
import { startHttpServer, type HttpServer } from '../../../runner/api/http-server.js';
import { rawRequest } from '../../helpers/raw-http.js';

const TOKEN = 'test-token-0123456789abcdef';
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * An ApiHandler that validates like the real one and answers from a table: `sweeps.get` of
 * sweep 404 is not found, sweep 409 conflicts, sweep 500 fails; `health` echoes. Events are
 * pushed by the test with `emit`.
 */
class FakeApi implements ApiHandler {
  readonly calls: { op: string; input: unknown }[] = [];
  private readonly listeners = new Set<(event: ApiEventName, data: unknown) => void>();

  async call(op: string, input: unknown): Promise<ApiResult> {
    this.calls.push({ op, input });
    if (!isApiOp(op)) return { ok: false, error: { code: 'not-found', message: `unknown operation ${op}` } };
    const parsed = parseApiInput(op, input);
    if (!parsed.ok) return parsed;
    if (op === 'sweeps.get') {
      const { sweepId } = parsed.value as { sweepId: number };
      const code = ({ 404: 'not-found', 409: 'conflict', 500: 'internal' } as const)[sweepId as 404];
      if (code) return { ok: false, error: { code, message: `sweep ${sweepId}: ${code}` } };
    }
    return { ok: true, value: { op, input: parsed.value } };
  }

  subscribe(listener: (event: ApiEventName, data: unknown) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  emit(event: ApiEventName, data: unknown): void {
    for (const l of this.listeners) l(event, data);
  }
}

/** Reads a server-sent event stream until `until` holds for the text so far. */
function readEvents(
  port: number,
  headers: Record<string, string>,
  until: (text: string) => boolean,
  onOpen: () => void = () => {},
): Promise<{ status: number; contentType: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/api/events', headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        let text = '';
        const done = (): void => {
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), text });
          req.destroy();
        };
        if (res.statusCode !== 200) {
          res.resume();
          res.on('end', done);
          return;
        }
        onOpen();
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          if (until(text)) done();
        });
        res.on('end', done);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const dir = mkdtempSync(join(tmpdir(), 'schedbench-http-'));
const build = join(dir, 'renderer');
mkdirSync(join(build, 'assets'), { recursive: true });
writeFileSync(join(build, 'index.html'), '<!doctype html><title>runs</title>');
writeFileSync(join(build, 'assets', 'app.js'), 'export const x = 1;');
writeFileSync(join(dir, 'secret.txt'), 'secret');

describe('startHttpServer', () => {
  const api = new FakeApi();
  let server: HttpServer;
  let port: number;
  const bearer = { authorization: `Bearer ${TOKEN}` };
  const post = (op: string, body: string, headers: Record<string, string> = bearer) =>
    rawRequest(port, `/api/${op}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });

  beforeAll(async () => {
    server = await startHttpServer({ api, port: 0, token: TOKEN, staticDir: build, keepAliveS: 0.05 });
    port = server.port;
  });
  afterAll(async () => server?.close());

  it('gives the ready URL on 127.0.0.1 with the token', () => {
    expect(port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${port}/?token=${TOKEN}`);
  });

  it('answers 401 on every /api/ route without a valid token, before looking at anything else', async () => {
    const routes: [string, string][] = [
      ['POST', '/api/health'],
      ['POST', '/api/runs.list'],
      ['POST', '/api/sweeps.start'],
      ['POST', '/api/no.such.op'],
      ['GET', '/api/health'],
      ['DELETE', '/api/runs.list'],
      ['OPTIONS', '/api/health'],
      ['GET', '/api/events'],
      ['GET', '/api/session'],
      ['POST', '/api/events'],
      ['GET', '/api'],
      ['GET', '/api/'],
      ['GET', '/api/../index.html'],
    ];
    const credentials: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong-token' },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Basic ${TOKEN}` },
      { authorization: TOKEN },
      { cookie: 'schedbench_token=wrong' },
    ];
    for (const [method, path] of routes) {
      for (const headers of credentials) {
        const r = await rawRequest(port, path, {
          method,
          headers,
          body: method === 'POST' ? '{}' : undefined,
        });
        expect(r.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(r.headers['www-authenticate']).toBe('Bearer realm="schedbench"');
      }
    }
    // No cookie authorises anything (a host's cookies reach every port of it).
    for (const op of ['health', 'runs.list', 'sweeps.start']) {
      const r = await post(op, '{}', { cookie: `schedbench_token=${TOKEN}` });
      expect(r.status, op).toBe(401);
    }
    for (const path of ['/api/events', '/api/session']) {
      const r = await rawRequest(port, path, { headers: { cookie: `schedbench_token=${TOKEN}` } });
      expect(r.status, path).toBe(401);
    }
    expect(api.calls).toEqual([]);
  });

  it('runs an operation with the Bearer token and maps failures to statuses', async () => {
    const ok = await post('health', '{}');
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(ok.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(ok.body)).toEqual({ ok: true, value: { op: 'health', input: {} } });
    expect(JSON.parse((await post('health', '')).body)).toEqual({
      ok: true,
      value: { op: 'health', input: {} },
    });

    const bad = await post('sweeps.get', '{"sweepId": -1}');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ ok: false, error: { code: 'bad-input', field: 'sweepId' } });
    const extra = await post('health', '{"x": 1}');
    expect(extra.status).toBe(400);

    for (const [status, code] of [
      [404, 'not-found'],
      [409, 'conflict'],
      [500, 'internal'],
    ] as const) {
      const r = await post('sweeps.get', JSON.stringify({ sweepId: status }));
      expect(r.status).toBe(status);
      expect(JSON.parse(r.body)).toEqual({ ok: false, error: { code, message: `sweep ${status}: ${code}` } });
    }
  });

  it('answers 404 to an unknown operation, 405 to a wrong method, 400 to a body that is not JSON', async () => {
    const unknown = await post('no.such.op', '{}');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toEqual({
      ok: false,
      error: { code: 'not-found', message: 'unknown operation "no.such.op"' },
    });
    const get = await rawRequest(port, '/api/health', { headers: bearer });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    const postEvents = await rawRequest(port, '/api/events', { method: 'POST', headers: bearer });
    expect(postEvents.status).toBe(405);
    expect(postEvents.headers.allow).toBe('GET');
    const notJson = await post('health', '{"oops"');
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.body)).toMatchObject({ ok: false, error: { code: 'bad-input' } });
  });

  it('refuses a body over 10 MiB with 413', async () => {
    const big = `{"yaml": "${'x'.repeat(10 * 1024 * 1024)}"}`;
    const r = await post('sweeps.validate', big);
    expect(r.status).toBe(413);
    const chunked = await post('sweeps.validate', big, { ...bearer, 'transfer-encoding': 'chunked' });
    expect(chunked.status).toBe(413); // no Content-Length: counted while read
    const near = `{"yaml": "${'x'.repeat(1024 * 1024)}"}`;
    expect((await post('sweeps.validate', near)).status).toBe(200);
  });

  it('answers 403 to a foreign Host header (DNS rebinding) or a cross-origin request', async () => {
    for (const host of [
      'evil.example',
      `evil.example:${port}`,
      '127.0.0.1',
      `0.0.0.0:${port}`,
      `127.0.0.2:${port}`,
    ]) {
      for (const path of ['/', '/api/health']) {
        const r = await rawRequest(port, path, { method: 'POST', headers: { ...bearer, host }, body: '{}' });
        expect(r.status, `${host} ${path}`).toBe(403);
      }
    }
    expect((await post('health', '{}', { ...bearer, host: `localhost:${port}` })).status).toBe(200);
    expect((await post('health', '{}', { ...bearer, host: `LOCALHOST:${port}` })).status).toBe(200);
    // Through an SSH tunnel the browser may use another local port (-L 9000:127.0.0.1:PORT).
    expect((await post('health', '{}', { ...bearer, host: '127.0.0.1:9000' })).status).toBe(200);
    for (const origin of [
      'http://evil.example',
      `http://localhost:${port}`,
      'null',
      `https://127.0.0.1:${port}`,
    ]) {
      const r = await post('health', '{}', { ...bearer, origin });
      expect(r.status, origin).toBe(403);
    }
    expect((await post('health', '{}', { ...bearer, origin: `http://127.0.0.1:${port}` })).status).toBe(200);
  });

  it('serves the page at the ready URL (no cookie, not cached); no route returns the token', async () => {
    const r = await rawRequest(port, `/?token=${TOKEN}`);
    expect(r.status).toBe(200);
    expect(r.body).toBe('<!doctype html><title>runs</title>');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.headers['set-cookie']).toBeUndefined();
    const wrong = await rawRequest(port, '/?token=nope');
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    expect(wrong.body).toMatch(/Wrong token/);

    const session = await rawRequest(port, '/api/session', { headers: bearer });
    expect(session.status).toBe(404);
    expect(session.body).not.toContain(TOKEN);
  });

  it('serves the build with security headers, and nothing outside it', async () => {
    const index = await rawRequest(port, '/');
    expect(index.status).toBe(200);
    expect(index.body).toBe('<!doctype html><title>runs</title>');
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['content-security-policy']).toBe(CSP);
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    expect(index.headers['referrer-policy']).toBe('no-referrer');
    const js = await rawRequest(port, '/assets/app.js');
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body).toBe('export const x = 1;');
    const head = await rawRequest(port, '/assets/app.js', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    for (const path of [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/%2E%2E/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      `/${encodeURIComponent(join(dir, 'secret.txt'))}`,
      `${join(dir, 'secret.txt')}`,
      '/assets/',
      '/missing.js',
    ]) {
      const r = await rawRequest(port, path);
      expect(r.status, path).toBe(404);
      expect(r.body).not.toMatch(/secret/);
      expect(r.headers['content-security-policy']).toBe(CSP);
    }
    expect((await rawRequest(port, `//${dir}/secret.txt`)).status).toBe(400);
    expect((await rawRequest(port, `http://127.0.0.1:${port}/`)).status).toBe(400);
    expect((await rawRequest(port, '/', { method: 'POST', body: '' })).status).toBe(405);
    // An answer to a refused request carries the headers too.
    expect((await post('health', '{}', {})).headers['content-security-policy']).toBe(CSP);
  });

  it('streams events with the Bearer token, keeps alive, and unsubscribes on close', async () => {
    const progress = { sweepId: 7, name: 's', active: true };
    for (const headers of [bearer]) {
      const r = await readEvents(
        port,
        headers,
        (t) => t.includes('"sweepId":7') && t.includes(': keep-alive'),
        () => setTimeout(() => api.emit('progress', progress), 20),
      );
      expect(r.status).toBe(200);
      expect(r.contentType).toBe('text/event-stream; charset=utf-8');
      expect(r.text).toContain(`event: progress\ndata: ${JSON.stringify(progress)}\n\n`);
    }
    for (let i = 0; i < 100 && api.subscribers > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(api.subscribers).toBe(0);
  });
});

describe('startHttpServer without a renderer build', () => {
  it('shows a page that says how to build it, and ends event streams on close', async () => {
    const api = new FakeApi();
    const server = await startHttpServer({ api, port: 0, token: TOKEN, staticDir: join(dir, 'absent') });
    const page = await rawRequest(server.port, '/');
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/npm run build:renderer/);
    expect(page.headers['content-security-policy']).toBe(CSP);
    expect((await rawRequest(server.port, '/assets/app.js')).status).toBe(404);
    const nullDir = await startHttpServer({ api, port: 0, token: TOKEN, staticDir: null });
    expect((await rawRequest(nullDir.port, '/')).body).toMatch(/npm run build:renderer/);
    await nullDir.close();

    const stream = readEvents(
      server.port,
      { authorization: `Bearer ${TOKEN}` },
      () => false,
      () => setTimeout(() => void server.close(), 20),
    );
    const r = await stream; // ends when close() ends the stream
    expect(r.text).toContain(': connected');
    expect(api.subscribers).toBe(0);
    await expect(rawRequest(server.port, '/')).rejects.toThrow(/ECONNREFUSED/);
  });
});
