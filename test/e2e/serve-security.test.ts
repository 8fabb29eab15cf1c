import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type ServeProcess } from '../browser/serve-process.js';
import { REPO } from '../helpers/cli.js';

/**
 * `schedbench serve` (the real CLI) reads files only under its data roots (the database's folder,
 * data/ and each --data-dir), never echoes a file's contents in an error, and keeps no credential
 * that another port of 127.0.0.1 could replay (no cookie, no route that returns the token).
 */

const dir = mkdtempSync(join(tmpdir(), 'schedbench-serve-security-'));
const dbDir = join(dir, 'db');
const dataDir = join(dir, 'extra data');
const outside = join(dir, 'outside');
const CONV = join(REPO, 'data/azure-llm-2023/AzureLLMInferenceTrace_conv.csv');
const SECRET_LINE = 'TIMESTAMP,SECRET-FIRST-LINE-7f3a';

let serve: ServeProcess;

/** `POST /api/OP` with the Bearer token: the status and the body as text. */
async function post(op: string, input: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${serve.base}/api/${op}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${serve.token}` },
    body: JSON.stringify(input),
  });
  return { status: res.status, text: await res.text() };
}

/** A spec whose one workload replays `path` (an azure trace), planned against `dir` when given. */
function traceSpec(path: string): string {
  return [
    'name: sneaky',
    'machine: a100-llama2-7b',
    'requests: 10',
    'workloads:',
    `  - { name: t, trace: { path: ${JSON.stringify(path)}, format: azure } }`,
    'policies: [{ policy: fcfs }]',
    '',
  ].join('\n');
}

beforeAll(async () => {
  mkdirSync(dbDir);
  mkdirSync(dataDir);
  mkdirSync(outside);
  const head = readFileSync(CONV, 'utf8').split('\n').slice(0, 60).join('\n') + '\n';
  writeFileSync(join(dataDir, 'conv.csv'), head);
  writeFileSync(join(outside, 'secret.csv'), `${SECRET_LINE}\nnot,a,row\n`);
  symlinkSync(join(outside, 'secret.csv'), join(dataDir, 'link.csv'));
  symlinkSync(outside, join(dataDir, 'linked-folder'));
  serve = await startServe(join(dbDir, 'sec.db'), ['--data-dir', dataDir]);
}, 60_000);

afterAll(async () => {
  await serve?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('schedbench serve: data roots', () => {
  it('refuses /etc/shadow and /proc/self/environ in datasets.preview, naming the roots, without content', async () => {
    for (const path of ['/etc/shadow', '/proc/self/environ', '/etc/passwd', '/etc/../etc/hostname']) {
      const r = await post('datasets.preview', { path });
      expect(r.status, r.text).toBe(400);
      const { error } = JSON.parse(r.text) as { error: { code: string; message: string } };
      expect(error.code).toBe('bad-input');
      expect(error.message).toContain(path);
      expect(error.message).toContain(dataDir);
      expect(error.message).toContain(dbDir);
      expect(r.text).not.toMatch(/root:|PATH=|HOME=/);
    }
  });

  it('refuses symbolic links that leave the roots, and datasets.import outside them', async () => {
    for (const path of [join(dataDir, 'link.csv'), join(dataDir, 'linked-folder', 'secret.csv')]) {
      const r = await post('datasets.preview', { path });
      expect(r.status, r.text).toBe(400);
      expect(r.text).not.toContain('SECRET');
    }
    const imported = await post('datasets.import', {
      name: 'stolen',
      path: join(outside, 'secret.csv'),
      format: 'csv',
      columns: { arrival: 'TIMESTAMP', prompt: 'a', output: 'b' },
    });
    expect(imported.status, imported.text).toBe(400);
    expect(imported.text).not.toContain('SECRET');
  });

  it('reads a file under --data-dir and under data/', async () => {
    const r = await post('datasets.preview', { path: join(dataDir, 'conv.csv') });
    expect(r.status, r.text).toBe(200);
    const builtIn = await post('datasets.preview', { path: CONV });
    expect(builtIn.status, builtIn.text).toBe(200);
  });

  it("refuses a spec whose trace lies outside the roots, without the file's first line", async () => {
    for (const op of ['sweeps.validate', 'sweeps.start']) {
      for (const [path, specDir] of [
        ['/etc/passwd', undefined],
        ['passwd', '/etc'],
        [join(outside, 'secret.csv'), undefined],
        ['link.csv', dataDir],
      ] as const) {
        const r = await post(op, { yaml: traceSpec(path), ...(specDir ? { dir: specDir } : {}) });
        expect(r.status, `${op} ${path}: ${r.text}`).toBe(400);
        expect(r.text).toContain(path);
        expect(r.text).not.toMatch(/root:|SECRET/);
      }
    }
    // Inside a root, the spec plans (its trace is read).
    const ok = await post('sweeps.validate', { yaml: traceSpec('conv.csv'), dir: dataDir });
    expect(ok.status, ok.text).toBe(200);
    expect(JSON.parse(ok.text)).toMatchObject({ ok: true, value: { ok: true, runs: 1 } });
  });
});

describe('schedbench serve: the credential', () => {
  it('sets no cookie, and neither a cookie nor another port gets the token or the API', async () => {
    const ready = await fetch(serve.readyUrl, { redirect: 'manual' });
    expect(ready.status).toBe(200);
    expect(ready.headers.getSetCookie()).toEqual([]);
    await ready.body?.cancel();
    const cookie = `schedbench_token=${serve.token}`;
    for (const [method, route] of [
      ['GET', 'session'],
      ['GET', 'events'],
      ['POST', 'runs.list'],
    ] as const) {
      const res = await fetch(`${serve.base}/api/${route}`, {
        method,
        headers: { cookie },
        body: method === 'POST' ? '{}' : undefined,
      });
      expect(res.status, `${method} ${route}`).toBe(401);
      expect(await res.text()).not.toContain(serve.token);
    }
    // No route hands out the token, even to its holder.
    const session = await fetch(`${serve.base}/api/session`, {
      headers: { authorization: `Bearer ${serve.token}` },
    });
    expect(await session.text()).not.toContain(serve.token);
    // A page of another port (another origin) is refused.
    const foreign = await fetch(`${serve.base}/api/runs.list`, {
      method: 'POST',
      headers: { authorization: `Bearer ${serve.token}`, origin: 'http://127.0.0.1:1' },
      body: '{}',
    });
    expect(foreign.status).toBe(403);
  });
});
