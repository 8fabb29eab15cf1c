import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appProtocolResponse } from '../../../electron/app-protocol.js';
import { APP_RESPONSE_HEADERS, CONTENT_SECURITY_POLICY } from '../../../electron/content-security-policy.js';

describe('Content-Security-Policy', () => {
  it('is the strict policy the renderer is built for', () => {
    expect(CONTENT_SECURITY_POLICY).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'",
    );
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|\*|https?:/);
    expect(APP_RESPONSE_HEADERS['Content-Security-Policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(APP_RESPONSE_HEADERS['X-Content-Type-Options']).toBe('nosniff');
  });
});

describe('app:// protocol responses', () => {
  const dir = mkdtempSync(join(tmpdir(), 'schedbench-app-protocol-'));
  const renderer = join(dir, 'renderer');
  mkdirSync(join(renderer, 'assets'), { recursive: true });
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>x</title>');
  writeFileSync(join(renderer, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, 'secret.txt'), 'secret');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the build with the CSP and its content type', async () => {
    const r = await appProtocolResponse('GET', 'app://schedbench/index.html#/runs', renderer);
    expect(r.status).toBe(200);
    expect(r.headers['Content-Security-Policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(r.headers['Content-Type']).toBe('text/html; charset=utf-8');
    expect(r.body.toString()).toContain('<title>x</title>');
    const js = await appProtocolResponse('GET', 'app://schedbench/assets/app.js?v=1', renderer);
    expect(js.headers['Content-Type']).toBe('text/javascript; charset=utf-8');
    expect((await appProtocolResponse('GET', 'app://schedbench/', renderer)).status).toBe(200);
    const head = await appProtocolResponse('HEAD', 'app://schedbench/index.html', renderer);
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  it('refuses other hosts, methods, traversal and missing files, still with the CSP', async () => {
    const cases: [string, string, number][] = [
      ['GET', 'app://other/index.html', 404],
      ['GET', 'app://schedbench:1/index.html', 404],
      ['GET', 'app://schedbench/%2e%2e/secret.txt', 404],
      ['GET', 'app://schedbench/assets%2f..%2f..%2fsecret.txt', 404],
      ['GET', 'app://schedbench/../secret.txt', 404], // the URL parser already drops the `..`
      ['GET', 'app://schedbench/assets/', 404],
      ['GET', 'app://schedbench/missing.js', 404],
      ['GET', 'file:///etc/passwd', 404],
      ['POST', 'app://schedbench/index.html', 405],
    ];
    for (const [method, url, status] of cases) {
      const r = await appProtocolResponse(method, url, renderer);
      expect(r.status, `${method} ${url}`).toBe(status);
      expect(r.body.toString()).not.toContain('secret');
      expect(r.headers['Content-Security-Policy']).toBe(CONTENT_SECURITY_POLICY);
    }
  });
});
