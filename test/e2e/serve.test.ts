import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { chromiumMissing, launchChromium } from '../browser/chromium.js';
import { REPO, runCli, startCli } from '../helpers/cli.js';
import { rawRequest } from '../helpers/raw-http.js';

/**
 * Browser mode through the real CLI: `schedbench serve --port 0` on a database with one small
 * sweep done. The server must refuse every API route without the token, listen on loopback
 * only, refuse a foreign Host header, sign a browser in from the ready URL, push progress
 * events while a sweep runs, and stop cleanly on SIGTERM (exit 0, the sweep back in the queue).
 */
const dir = mkdtempSync(join(tmpdir(), 'schedbench-serve-'));
const db = join(dir, 'serve.db');

/** A spec of 2 policies x `seeds` runs of a typed mix, `requests` requests each (no data files). */
function specYaml(name: string, requests: number, seeds: number[]): string {
  return [
    `name: ${name}`,
    'machine: a100-llama2-7b',
    `requests: ${requests}`,
    `seeds: [${seeds.join(', ')}]`,
    'workloads:',
    '  - name: typed',
    '    types: [{ prompt: 200, output: 100, rate: 8 }]',
    'policies: [{ policy: vllm }, { policy: fcfs }]',
    '',
  ].join('\n');
}

/** A `schedbench` child process started by startCli. */
type CliProcess = ReturnType<typeof startCli>;

/**
 * Waits for the ready URL, the last line `schedbench serve` prints on stdout.
 * @param output what the server printed on stdout and stderr so far
 * @throws Error when the server exits or prints no URL within 30 s
 */
async function readyUrl(server: CliProcess, output: () => { stdout: string; stderr: string }): Promise<URL> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { stdout, stderr } = output();
    const line = /^(http:\/\/\S+)\n$/m.exec(stdout)?.[1];
    if (line !== undefined) return new URL(line);
    if (Date.now() > deadline || server.exitCode !== null) {
      throw new Error(`no ready URL from schedbench serve:\n${stdout}\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The server under test, its ready URL and what it printed. */
let child: CliProcess;
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
let ready: URL;
let base: string;
let port: number;
let token: string;
let stdout = '';
let stderr = '';

beforeAll(async () => {
  writeFileSync(join(dir, 'small.yaml'), specYaml('small', 200, [1]));
  const sweep = runCli(['sweep', join(dir, 'small.yaml'), '--db', db, '--jobs', '1']);
  expect(sweep.code, sweep.stderr).toBe(0);

  child = startCli(['serve', '--port', '0', '--db', db, '--jobs', '1']);
  exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  ready = await readyUrl(child, () => ({ stdout, stderr }));
  port = Number(ready.port);
  token = ready.searchParams.get('token')!;
  base = `http://127.0.0.1:${port}`;
});

afterAll(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** `POST /api/OP` with `input` as JSON, with the Bearer token unless `auth` says otherwise. */
async function call(op: string, input: unknown, auth: string | null = `Bearer ${token}`) {
  const res = await fetch(`${base}/api/${op}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(auth === null ? {} : { authorization: auth }) },
    body: JSON.stringify(input),
  });
  const text = await res.text();
  const body: unknown = res.headers.get('content-type')?.startsWith('application/json')
    ? JSON.parse(text)
    : text;
  return { status: res.status, body };
}

/** A server-sent event. */
interface ServerEvent {
  event: string;
  data: { sweepId?: number; counts?: Record<string, number>; total?: number; live?: unknown[] };
}

/**
 * Opens `/api/events` with `headers` and collects events until `until` holds (then closes).
 * @returns the events so far, once `until` held
 */
async function collectEvents(
  headers: Record<string, string>,
  until: (events: ServerEvent[]) => boolean,
  onOpen: () => Promise<void>,
  ms = 60_000,
): Promise<ServerEvent[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), ms);
  const res = await fetch(`${base}/api/events`, { headers, signal: abort.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  const events: ServerEvent[] = [];
  let text = '';
  const decoder = new TextDecoder();
  try {
    await onOpen();
    for await (const chunk of res.body!) {
      text += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = text.indexOf('\n\n')) >= 0) {
        const block = text.slice(0, end);
        text = text.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) });
      }
      if (until(events)) break;
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return events;
}

describe('schedbench serve', () => {
  it('prints the database and the ready URL last on stdout, the SSH tunnel on stderr', async () => {
    const lines = stdout.trim().split('\n');
    expect(lines).toEqual([`Schedbench is serving ${db} at:`, ready.href]);
    expect(ready.origin).toBe(base);
    expect(ready.pathname).toBe('/');
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/); // 24 random bytes, base64url
    // stderr is another pipe: its line may arrive after stdout's last one.
    await expect
      .poll(() => stderr, { timeout: 10_000 })
      .toContain(`ssh -N -L ${port}:127.0.0.1:${port} user@server`);
  });

  it('answers 401 on every /api/ route without the token or with a wrong one', async () => {
    const routes: [string, string][] = [
      ['POST', 'health'],
      ['POST', 'runs.list'],
      ['POST', 'sweeps.list'],
      ['POST', 'sweeps.start'],
      ['POST', 'database.import'],
      ['POST', 'no.such.op'],
      ['GET', 'health'],
      ['GET', 'runs.list'],
      ['GET', 'events'],
      ['GET', 'session'],
    ];
    for (const [method, route] of routes) {
      for (const authorization of [undefined, 'Bearer wrong', `Bearer ${token.slice(1)}`, `Basic ${token}`]) {
        const res = await fetch(`${base}/api/${route}`, {
          method,
          headers: authorization === undefined ? {} : { authorization },
          body: method === 'POST' ? '{}' : undefined,
        });
        expect(res.status, `${method} /api/${route} ${authorization}`).toBe(401);
        await res.body?.cancel();
      }
    }
    // The sign-in cookie does not authorise operations (only the page's GETs).
    expect((await call('runs.list', {}, null)).status).toBe(401);
    const withCookie = await fetch(`${base}/api/runs.list`, {
      method: 'POST',
      headers: { cookie: `schedbench_token=${token}` },
      body: '{}',
    });
    expect(withCookie.status).toBe(401);
  });

  it('answers health and runs.list with the Bearer token, from the database', async () => {
    const health = await call('health', {});
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ ok: true, value: { apiVersion: 1, database: db } });
    const runs = await call('runs.list', {});
    expect(runs.status).toBe(200);
    const { value } = runs.body as { value: { sweepName: string; policy: string; status: string }[] };
    expect(value).toHaveLength(2);
    expect(value.map((r) => [r.sweepName, r.policy, r.status])).toEqual([
      ['small', 'vllm', 'done'],
      ['small', 'fcfs', 'done'],
    ]);
    const sweeps = await call('sweeps.list', {});
    expect(sweeps.body).toMatchObject({ ok: true, value: [{ id: 1, name: 'small', counts: { done: 2 } }] });
  });

  it('answers 400 naming the field on bad input, 404 on an unknown operation or sweep, 405 on GET', async () => {
    const bad = await call('runs.list', { limit: -1 });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ ok: false, error: { code: 'bad-input', field: 'limit' } });
    const unknownField = await call('health', { verbose: true });
    expect(unknownField.status).toBe(400);
    expect((await call('sweeps.get', { sweepId: 999 })).body).toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
    expect((await call('sweeps.get', { sweepId: 999 })).status).toBe(404);
    expect((await call('no.such.op', {})).status).toBe(404);
    const get = await fetch(`${base}/api/health`, { headers: { authorization: `Bearer ${token}` } });
    expect(get.status).toBe(405);
  });

  it('listens on 127.0.0.1 only', async () => {
    // The kernel's table of listening TCP sockets (state 0A) on the port: 127.0.0.1 only.
    const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
    const listening = (file: string): string[] =>
      existsSync(file)
        ? readFileSync(file, 'utf8')
            .trim()
            .split('\n')
            .slice(1)
            .map((l) => l.trim().split(/\s+/))
            .filter((f) => f[1].endsWith(`:${hexPort}`) && f[3] === '0A')
            .map((f) => f[1])
        : [];
    expect(listening('/proc/net/tcp')).toEqual([`0100007F:${hexPort}`]);
    expect(listening('/proc/net/tcp6')).toEqual([]);
    const ss = spawnSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' });
    if (ss.status === 0) {
      const locals = ss.stdout
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/)[3]);
      expect(locals).toEqual([`127.0.0.1:${port}`]);
    }

    // Connecting through every other address of this machine is refused.
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a !== undefined && !a.internal && !a.address.startsWith('fe80:'))
      .map((a) => a!.address);
    const outcome = (host: string) =>
      new Promise<string>((resolve) => {
        const socket = connect({ host, port, timeout: 5_000 });
        socket.on('connect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.on('timeout', () => {
          socket.destroy();
          resolve('timeout');
        });
        socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      });
    for (const host of [...others, '::1']) expect(await outcome(host), host).not.toBe('connected');
    for (const host of others.filter((h) => !h.includes(':'))) {
      expect(await outcome(host), host).toBe('ECONNREFUSED');
    }
    expect(await outcome('127.0.0.1')).toBe('connected');
    if (others.length === 0) console.warn('serve.test.ts: no non-loopback address to try');
  });

  it('refuses a foreign Host header with 403 (DNS rebinding)', async () => {
    const auth = { authorization: `Bearer ${token}` };
    for (const host of ['attacker.example', `attacker.example:${port}`, `192.0.2.1:${port}`]) {
      for (const path of ['/', '/api/health']) {
        const r = await rawRequest(port, path, { method: 'POST', headers: { ...auth, host }, body: '{}' });
        expect(r.status, `${host} ${path}`).toBe(403);
      }
    }
    const cross = await rawRequest(port, '/api/health', {
      method: 'POST',
      headers: { ...auth, origin: 'http://attacker.example' },
      body: '{}',
    });
    expect(cross.status).toBe(403);
    const local = await rawRequest(port, '/api/health', {
      method: 'POST',
      headers: { ...auth, host: `localhost:${port}` },
      body: '{}',
    });
    expect(local.status).toBe(200);
  });

  it('serves the page at the ready URL without a cookie (the page keeps the token itself)', async () => {
    const res = await fetch(ready, { redirect: 'manual' });
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(res.headers.get('cache-control')).toBe('no-store');
    await res.body?.cancel();
    expect((await fetch(`${base}/?token=wrong`, { redirect: 'manual' })).status).toBe(401);

    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'self'; script-src 'self';/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    if (!existsSync(join(REPO, 'dist/renderer/index.html'))) {
      expect(await page.text()).toMatch(/npm run build:renderer/);
    }
    // No cookie authorises anything, and no route hands out the token.
    const session = await fetch(`${base}/api/session`, { headers: { cookie: `schedbench_token=${token}` } });
    expect(session.status).toBe(401);
    expect(await session.text()).not.toContain(token);
  });

  it('pushes progress events on /api/events while a sweep started with sweeps.start runs', async () => {
    let sweepId = 0;
    const events = await collectEvents(
      { authorization: `Bearer ${token}` },
      (es) => es.some((e) => e.event === 'ended' && e.data.sweepId === sweepId),
      async () => {
        const started = await call('sweeps.start', { yaml: specYaml('events', 20_000, [1, 2]) });
        expect(started.status, JSON.stringify(started.body)).toBe(200);
        ({ sweepId } = (started.body as { value: { sweepId: number } }).value);
      },
    );
    const progress = events.filter((e) => e.event === 'progress' && e.data.sweepId === sweepId);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)!.data).toMatchObject({ sweepId, total: 4 });
    expect(events.at(-1)).toMatchObject({
      event: 'ended',
      data: { sweepId, cancelled: false, done: 4, failed: 0 },
    });
  });

  it('refuses a port in use or out of range with exit 2', () => {
    const taken = runCli(['serve', '--port', String(port), '--db', db]);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toMatch(new RegExp(`--port ${port}: the port is in use`));
    expect(taken.stdout).toBe('');
    const bad = runCli(['serve', '--port', '70000', '--db', db]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--port must be a TCP port \(0 to 65535\), got "70000"/);
  });

  it('stops on SIGTERM with exit 0, putting the running sweep back in the queue', async () => {
    let sweepId = 0;
    await collectEvents(
      { authorization: `Bearer ${token}` },
      (es) =>
        es.some((e) => e.event === 'progress' && e.data.sweepId === sweepId && e.data.counts!.running > 0),
      async () => {
        const started = await call('sweeps.start', { yaml: specYaml('killed', 300_000, [1, 2, 3, 4]) });
        expect(started.status, JSON.stringify(started.body)).toBe(200);
        ({ sweepId } = (started.body as { value: { sweepId: number } }).value);
      },
    );
    child.kill('SIGTERM');
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(stderr).toMatch(/SIGTERM: stopping/);
    const runs = runCli(['runs', '--sweep', String(sweepId), '--format', 'json', '--db', db]);
    expect(runs.code, runs.stderr).toBe(0);
    const statuses = (JSON.parse(runs.stdout) as { status: string }[]).map((r) => r.status);
    expect(statuses).toHaveLength(8);
    expect(statuses).not.toContain('running');
    expect(statuses).toContain('queued');
    await expect(fetch(`${base}/`)).rejects.toThrow();
  });
});

describe.skipIf(chromiumMissing('test/e2e/serve.test.ts (browser mode in Chromium)'))(
  'schedbench serve in Chromium',
  () => {
    let browser: Browser;
    let server: CliProcess;
    let url: URL;
    beforeAll(async () => {
      browser = await launchChromium();
      server = startCli(['serve', '--port', '0', '--db', db]);
      let out = '';
      let err = '';
      server.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
      server.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
      url = await readyUrl(server, () => ({ stdout: out, stderr: err }));
    });
    afterAll(async () => {
      await browser?.close();
      server?.kill('SIGTERM');
    });

    it('signs in from the ready URL into localStorage (no cookie), then the page calls the API', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      const blocked: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) blocked.push(m.text());
      });
      try {
        await page.goto(url.href);
        if (existsSync(join(REPO, 'dist/renderer/index.html'))) {
          expect(page.url()).toBe(`${url.origin}/`); // the page took the token out of the address bar
          // The renderer's runs browser lists the database's sweep.
          await page.waitForFunction(
            () => {
              const text = (globalThis as unknown as { document: { body: { innerText: string } } }).document
                .body.innerText;
              return text.includes('small');
            },
            undefined,
            { timeout: 20_000 },
          );
        }
        expect(blocked).toEqual([]); // the page runs under the server's Content-Security-Policy
        // No cookie (a host's cookies reach every port of it): the tab keeps the token.
        expect(await context.cookies()).toEqual([]);
        const result = await page.evaluate(async () => {
          const { localStorage } = globalThis as unknown as {
            localStorage: { getItem(key: string): string | null };
          };
          const token = localStorage.getItem('schedbench.token') ?? '';
          const res = await fetch('/api/runs.list', {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: '{}',
          });
          const abort = new AbortController();
          const events = await fetch('/api/events', {
            headers: { authorization: `Bearer ${token}` },
            signal: abort.signal,
          });
          abort.abort();
          return {
            status: res.status,
            runs: ((await res.json()) as { value: unknown[] }).value.length,
            opened: events.status === 200,
          };
        });
        const stored = runCli(['runs', '--format', 'json', '--db', db]);
        const runs = (JSON.parse(stored.stdout) as unknown[]).length;
        expect(result).toEqual({ status: 200, runs, opened: true });

        // Another origin (localhost is not 127.0.0.1) can neither read the session nor send the cookie.
        await page.goto(`http://localhost:${url.port}/`);
        const stolen = await page.evaluate(async (origin) => {
          try {
            await fetch(`${origin}/api/session`, { credentials: 'include' });
            return 'read';
          } catch {
            return 'blocked';
          }
        }, url.origin);
        expect(stolen).toBe('blocked');
      } finally {
        await context.close();
      }
    });
  },
);
