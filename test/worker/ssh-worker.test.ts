import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshWorker, type SshWorker, type SshWorkerOptions } from '../../runner/workers/ssh-worker.js';
import { WorkerError } from '../../runner/workers/worker-client.js';
import { PROTOCOL_VERSION } from '../../runner/workers/worker-protocol.js';
import {
  freePort,
  loopbackSshdSkipReason,
  startLoopbackSshd,
  type LoopbackSshd,
} from '../helpers/loopback-sshd.js';
import { readSyscalls } from '../helpers/processes.js';
import { WORKER_PYTHON, pythonWorkerSkipReason } from '../helpers/python-worker-env.js';

/**
 * The ssh driver against a real sshd on 127.0.0.1 (fresh keys, strict host key checking against
 * the known_hosts the helper writes) and the real Python worker with tiny-llama on CPU. The host
 * is this machine, so remote processes and files are checked locally.
 */
const reason =
  loopbackSshdSkipReason('ssh worker tests') ?? pythonWorkerSkipReason(['torch'], 'ssh worker tests');

/** Whether process `pid` runs (a zombie awaiting its parent, sshd, counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Whether `pid` is gone within `ms` (a killed process with much memory takes a moment to exit). */
async function goneWithin(pid: number, ms = 5_000): Promise<boolean> {
  for (const t0 = Date.now(); Date.now() - t0 < ms; await new Promise((r) => setTimeout(r, 50))) {
    if (!alive(pid)) return true;
  }
  return !alive(pid);
}

describe.skipIf(reason !== null)('startSshWorker over a loopback sshd', () => {
  let sshd: LoopbackSshd;
  let cacheParent: string;
  let cacheDir: string;
  const started: SshWorker[] = [];

  beforeAll(async () => {
    sshd = await startLoopbackSshd();
    cacheParent = mkdtempSync(join(tmpdir(), 'schedbench-ssh-cache-'));
    // A space and a quote in the path: the remote command must quote it.
    cacheDir = join(cacheParent, "worker cache 'x'");
  });
  afterAll(async () => {
    await Promise.all(started.map((w) => w.close(1_000).catch(() => undefined)));
    await sshd?.stop();
    if (cacheParent) rmSync(cacheParent, { recursive: true, force: true });
  });

  function options(extra: Partial<SshWorkerOptions> = {}): SshWorkerOptions {
    return {
      host: sshd.host,
      user: sshd.user,
      port: sshd.port,
      identityFile: sshd.identityFile,
      knownHostsFile: sshd.knownHostsFile,
      python: WORKER_PYTHON,
      remoteCacheDir: cacheDir,
      ...extra,
    };
  }

  async function start(extra: Partial<SshWorkerOptions> = {}): Promise<SshWorker> {
    const w = await startSshWorker(options(extra));
    started.push(w);
    return w;
  }

  it('handshakes, loads tiny-llama and steps; copies the code once; leaves no remote process', async () => {
    const w = await start();
    expect(w.codeCopied).toBe(true);
    expect(w.codeDir).toMatch(new RegExp(`/[0-9a-f]{64}$`));
    expect(w.info?.protocol).toBe(PROTOCOL_VERSION);
    expect(w.info?.device).toBe('cpu');
    const remotePid = (await w.remotePidKnown)!;
    expect(remotePid).toBeGreaterThan(0);
    expect(remotePid).not.toBe(w.pid);
    expect(alive(remotePid)).toBe(true);
    // The remote shell exec'd the worker: that PID is the Python process itself.
    expect(statSync(`/proc/${remotePid}`).isDirectory()).toBe(true);
    expect(readFileSync(`/proc/${remotePid}/cmdline`, 'utf8')).toContain('schedbench_worker');
    expect(statSync(join(w.codeDir, 'schedbench_worker', 'server.py')).isFile()).toBe(true);

    const loaded = await w.request({ type: 'load', model: 'tiny-llama', kv_blocks: 8, block_size: 16 });
    expect(loaded).toMatchObject({ type: 'loaded', model: 'tiny-llama', kv_blocks: 8 });
    const prefill = await w.request({
      type: 'step',
      prefill: [{ id: 'a', token_ids: [1, 2, 3, 4, 5], start: 0 }],
    });
    expect(prefill.time_s).toBeGreaterThan(0);
    expect(prefill.results).toEqual([{ id: 'a', token_id: expect.any(Number), kv_len: 5 }]);
    const step = await w.request({
      type: 'step',
      decode: [{ id: 'a', token_id: prefill.results[0]!.token_id }],
    });
    expect(step.results[0]).toMatchObject({ id: 'a', kv_len: 6 });

    // A second start finds the folder: nothing copied, folder untouched (same inode and mtime).
    const before = statSync(w.codeDir);
    const w2 = await start();
    expect(w2.codeCopied).toBe(false);
    expect(w2.codeDir).toBe(w.codeDir);
    const after = statSync(w2.codeDir);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    const remotePid2 = (await w2.remotePidKnown)!;

    expect(await w.close()).toEqual({ code: 0, signal: null });
    await w2.close();
    expect(await goneWithin(remotePid)).toBe(true);
    expect(await goneWithin(remotePid2)).toBe(true);
  });

  it('close() kills a remote worker that is busy and ignores the end of its stdin', async () => {
    const w = await start();
    const remotePid = (await w.remotePidKnown)!;
    await w.request({ type: 'load', model: 'tiny-llama', kv_blocks: 64 });
    const reads = readSyscalls(remotePid);
    const busy = w
      .request({
        type: 'profile',
        repeats: 100_000,
        warmup: 0,
        shapes: [{ prefill: [256], decodes: 8, decode_kv_len: 64 }],
      })
      .catch((e: unknown) => e);
    // Wait until the remote worker has read the request (it was blocked reading its stdin): from
    // then on it computes, and no longer reads its stdin.
    for (
      const t0 = Date.now();
      readSyscalls(remotePid) === reads;
      await new Promise((r) => setTimeout(r, 10))
    ) {
      if (Date.now() - t0 > 30_000) throw new Error('the remote worker never read the profile request');
    }
    // The local ssh client is SIGKILLed after 300 ms; the remote worker is still computing.
    const exit = await w.close(300);
    expect(exit.signal).toBe('SIGKILL');
    expect(await busy).toBeInstanceOf(WorkerError);
    expect(await goneWithin(remotePid)).toBe(true);
  });

  it('rejects with ssh’s message when nothing listens on the port', async () => {
    const port = await freePort();
    const error = (await startSshWorker(options({ port })).catch((e: unknown) => e)) as WorkerError;
    expect(error).toBeInstanceOf(WorkerError);
    expect(error.message).toMatch(/port \d+: Connection refused/);
  });

  it('refuses an unknown host key under strict checking (empty known_hosts)', async () => {
    const empty = join(cacheParent, 'empty_known_hosts');
    writeFileSync(empty, '');
    const error = (await startSshWorker(options({ knownHostsFile: empty })).catch(
      (e: unknown) => e,
    )) as WorkerError;
    expect(error).toBeInstanceOf(WorkerError);
    expect(error.message).toMatch(/Host key verification failed/);
  });

  it('rejects a failed authentication with ssh’s message', async () => {
    const error = (await startSshWorker(options({ identityFile: join(sshd.dir, 'host_key') })).catch(
      (e: unknown) => e,
    )) as WorkerError;
    expect(error).toBeInstanceOf(WorkerError);
    expect(error.message).toMatch(/Permission denied/);
  });
});
