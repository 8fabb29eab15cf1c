import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiService } from '../../../runner/api/api-service.js';
import { acceptsGzip, compressible, MIN_GZIP_BYTES } from '../../../runner/api/http-compression.js';
import { startHttpServer, type HttpServer } from '../../../runner/api/http-server.js';
import { rawRequestBytes } from '../../helpers/raw-http.js';
import { Store } from '../../../runner/store/store.js';
import { executeSweep } from '../../../runner/sweeps/sweep-executor.js';
import { planSweep } from '../../../runner/sweeps/sweep-plan.js';

const TOKEN = 'gzip-test-token-0123456789';

describe('acceptsGzip', () => {
  it('reads the Accept-Encoding codings and their qualities', () => {
    expect(acceptsGzip(undefined)).toBe(false);
    expect(acceptsGzip('')).toBe(false);
    expect(acceptsGzip('identity')).toBe(false);
    expect(acceptsGzip('gzip')).toBe(true);
    expect(acceptsGzip('gzip, deflate, br, zstd')).toBe(true); // Chromium's
    expect(acceptsGzip('br;q=1.0, GZIP;q=0.5')).toBe(true);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip('gzip; q=0.000, *')).toBe(false); // gzip named: the star does not override it
    expect(acceptsGzip('*')).toBe(true);
    expect(acceptsGzip('*;q=0')).toBe(false);
    expect(acceptsGzip('x-gzip')).toBe(true);
    expect(acceptsGzip(['deflate', 'gzip'])).toBe(true);
  });

  it('compresses text-like types only', () => {
    expect(compressible('application/json; charset=utf-8')).toBe(true);
    expect(compressible('text/javascript; charset=utf-8')).toBe(true);
    expect(compressible('text/css; charset=utf-8')).toBe(true);
    expect(compressible('image/png')).toBe(false);
    expect(compressible('font/woff2')).toBe(false);
    expect(compressible('application/octet-stream')).toBe(false);
  });
});

describe('schedbench serve: gzip over HTTP', () => {
  const dir = mkdtempSync(join(tmpdir(), 'schedbench-gzip-'));
  const build = join(dir, 'renderer');
  const script = `export const points = ${JSON.stringify(Array.from({ length: 2000 }, (_, i) => i / 7))};\n`;
  let store: Store;
  let api: ReturnType<typeof createApiService>;
  let server: HttpServer;
  let runIds: number[];
  const bearer = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

  beforeAll(async () => {
    mkdirSync(join(build, 'assets'), { recursive: true });
    writeFileSync(join(build, 'index.html'), '<!doctype html><title>runs</title>');
    writeFileSync(join(build, 'assets', 'app.js'), script);
    writeFileSync(join(build, 'assets', 'logo.png'), Buffer.alloc(4096, 7));
    const spec = join(dir, 'spec.yaml');
    writeFileSync(
      spec,
      [
        'name: gzip',
        'machine: a100-llama2-7b-linear',
        'requests: 200',
        'seeds: [1, 2]',
        'workloads:',
        '  - name: synth',
        '    promptTokens: { dist: uniform, min: 50, max: 400 }',
        '    outputTokens: { dist: uniform, min: 20, max: 200 }',
        '    arrival: { process: poisson, rate: [2, 4] }',
        'policies:',
        '  - { policy: vllm }',
        '  - { policy: fcfs }',
        '',
      ].join('\n'),
    );
    store = Store.open(join(dir, 'results.db'));
    const outcome = await executeSweep(planSweep(spec), store, { jobs: 1 });
    runIds = store.listRuns({ sweepId: outcome.sweepId }).map((r) => r.id);
    api = createApiService(store, { jobs: 1, cwd: dir });
    server = await startHttpServer({ api, port: 0, token: TOKEN, staticDir: build });
  });
  afterAll(async () => {
    await server?.close();
    await api?.close();
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends runs.compare gzip-compressed when asked, the same JSON as uncompressed', async () => {
    const body = JSON.stringify({ runIds });
    const plain = await rawRequestBytes(server.port, '/api/runs.compare', {
      method: 'POST',
      headers: bearer,
      body,
    });
    expect(plain.status).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('Accept-Encoding');
    expect(Number(plain.headers['content-length'])).toBe(plain.body.length);
    const answer = JSON.parse(plain.body.toString('utf8')) as { ok: boolean; value: { runs: unknown[] } };
    expect(answer.ok).toBe(true);
    expect(answer.value.runs).toHaveLength(runIds.length);

    const zipped = await rawRequestBytes(server.port, '/api/runs.compare', {
      method: 'POST',
      headers: { ...bearer, 'accept-encoding': 'gzip, deflate, br' },
      body,
    });
    expect(zipped.status).toBe(200);
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Number(zipped.headers['content-length'])).toBe(zipped.body.length);
    expect(zipped.body.length).toBeLessThan(plain.body.length / 3);
    expect(JSON.parse(gunzipSync(zipped.body).toString('utf8'))).toEqual(answer);

    // Refused by quality 0: identity.
    const refused = await rawRequestBytes(server.port, '/api/runs.compare', {
      method: 'POST',
      headers: { ...bearer, 'accept-encoding': 'gzip;q=0' },
      body,
    });
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(refused.body.toString('utf8'))).toEqual(answer);
  });

  it('sends short answers and errors as they are', async () => {
    const health = await rawRequestBytes(server.port, '/api/health', {
      method: 'POST',
      headers: { ...bearer, 'accept-encoding': 'gzip' },
      body: '{}',
    });
    expect(health.status).toBe(200);
    expect(health.body.length).toBeLessThan(MIN_GZIP_BYTES);
    expect(health.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(health.body.toString('utf8'))).toMatchObject({ ok: true });
  });

  it('compresses text-like static files, not images', async () => {
    const js = await rawRequestBytes(server.port, '/assets/app.js', {
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(js.status).toBe(200);
    expect(js.headers['content-encoding']).toBe('gzip');
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(gunzipSync(js.body).toString('utf8')).toBe(script);
    const plain = await rawRequestBytes(server.port, '/assets/app.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString('utf8')).toBe(script);
    // A rebuilt file is compressed again (compressed bytes are kept per file version).
    const rebuilt = `${script}export const more = true;\n`;
    writeFileSync(join(build, 'assets', 'app.js'), rebuilt);
    const again = await rawRequestBytes(server.port, '/assets/app.js', {
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(gunzipSync(again.body).toString('utf8')).toBe(rebuilt);
    const png = await rawRequestBytes(server.port, '/assets/logo.png', {
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(png.headers['content-encoding']).toBeUndefined();
    expect(png.body).toEqual(Buffer.alloc(4096, 7));
  });
});
