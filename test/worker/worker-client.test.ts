import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalWorker } from '../../runner/workers/local-worker.js';
import { WorkerClient, WorkerError } from '../../runner/workers/worker-client.js';
import { PROTOCOL_VERSION } from '../../runner/workers/worker-protocol.js';
import { WORKER_PYTHON, pythonWorkerSkipReason } from '../helpers/python-worker-env.js';

/**
 * The TypeScript worker client against the real Python worker (tiny-llama on CPU), with
 * Debian's /usr/bin/python3 and torch. Same skip rule as the pytest suite.
 */
const reason = pythonWorkerSkipReason(['torch'], 'worker client tests');

/** Whether process `pid` still exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const started: WorkerClient[] = [];
afterAll(async () => {
  await Promise.all(started.map((c) => c.close(1_000)));
});

async function start(env?: Record<string, string>): Promise<WorkerClient> {
  const client = await startLocalWorker(env ? { env } : {});
  started.push(client);
  return client;
}

describe.skipIf(reason !== null)('WorkerClient with the local Python worker', () => {
  it('handshakes, loads tiny-llama, steps, frees, survives error replies and closes', async () => {
    const w = await start();
    expect(w.info?.protocol).toBe(PROTOCOL_VERSION);
    expect(w.info?.torch).toMatch(/^\d+\.\d+/);
    expect(w.info?.device).toBe('cpu');

    // Error reply before load: rejects with the worker's reason; the client keeps working.
    const early = await w
      .request({ type: 'step', decode: [{ id: 'a', token_id: 1 }] })
      .catch((e: unknown) => e);
    expect(early).toBeInstanceOf(WorkerError);
    expect((early as WorkerError).kind).toBe('reply');
    expect((early as WorkerError).reason).toMatch(/no model loaded/);

    const loaded = await w.request({ type: 'load', model: 'tiny-llama', kv_blocks: 8, block_size: 16 });
    expect(loaded).toMatchObject({ type: 'loaded', model: 'tiny-llama', kv_blocks: 8, block_size: 16 });
    expect(loaded.config.vocab_size).toBe(1000);

    const prefill = await w.request({
      type: 'step',
      prefill: [
        { id: 'a', token_ids: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17], start: 0 },
      ],
    });
    expect(prefill.time_s).toBeGreaterThan(0);
    expect(prefill.results).toEqual([{ id: 'a', token_id: expect.any(Number), kv_len: 17 }]);
    expect(prefill.free_blocks).toBe(6);

    let token = prefill.results[0]!.token_id;
    for (let i = 0; i < 3; i++) {
      const step = await w.request({ type: 'step', decode: [{ id: 'a', token_id: token }] });
      expect(step.time_s).toBeGreaterThan(0);
      expect(step.results[0]).toMatchObject({ id: 'a', kv_len: 18 + i });
      token = step.results[0]!.token_id;
      expect(token).toBeGreaterThanOrEqual(0);
      expect(token).toBeLessThan(1000);
    }

    // Unknown request id: error reply, state unchanged, client still usable.
    const ghost = await w.request({ type: 'step', decode: [{ id: 'ghost', token_id: 1 }] }).catch((e) => e);
    expect(ghost).toBeInstanceOf(WorkerError);
    expect((ghost as WorkerError).reason).toMatch(/ghost/);

    const freed = await w.request({ type: 'free', request_id: 'a' });
    expect(freed).toMatchObject({ type: 'freed', request_id: 'a', blocks: 2, free_blocks: 8 });

    const pid = w.pid!;
    expect(alive(pid)).toBe(true);
    const exit = await w.close();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(alive(pid)).toBe(false);
    await expect(w.request({ type: 'hello' })).rejects.toThrow(/exited with code 0/);
  });

  it('rejects the pending request with the signal and stderr tail when the worker is killed', async () => {
    // -X importtime-style output gives the worker a long stderr: the tail must be bounded.
    const w = await start({ PYTHONPROFILEIMPORTTIME: '1' });
    await w.request({ type: 'load', model: 'tiny-llama', kv_blocks: 64 });
    const pending = w.request({
      type: 'profile',
      repeats: 100_000,
      warmup: 0,
      shapes: [{ prefill: [256], decodes: 8, decode_kv_len: 64 }],
    });
    // Killed while the request is pending (100,000 repeats: it cannot have been answered yet).
    process.kill(w.pid!, 'SIGKILL');
    const error = (await pending.catch((e: unknown) => e)) as WorkerError;
    expect(error).toBeInstanceOf(WorkerError);
    expect(error.kind).toBe('exit');
    expect(error.message).toMatch(/killed by SIGKILL/);
    expect(error.details.signal).toBe('SIGKILL');
    expect(error.message).toContain('import time:');
    expect(error.details.stderrTail!.split('\n').length).toBeLessThanOrEqual(40);
    expect(error.message).toContain(error.details.stderrTail);
    expect(alive(w.pid!)).toBe(false);
  });

  it('rejects with a timeout when no reply comes, and close() kills a worker that ignores shutdown', async () => {
    // A real process that never answers (not a mock).
    const sub = execa(WORKER_PYTHON, ['-c', 'import time; time.sleep(30)'], {
      stdin: 'pipe',
      buffer: false,
      reject: false,
    });
    const w = new WorkerClient(sub, { label: 'sleeper' });
    started.push(w);
    const error = (await w
      .request({ type: 'hello' }, { timeoutMs: 200 })
      .catch((e: unknown) => e)) as WorkerError;
    expect(error).toBeInstanceOf(WorkerError);
    expect(error.kind).toBe('timeout');
    expect(error.message).toMatch(/timeout/);
    // The timeout, not the process's end (30 s away), rejected the request: it still runs.
    const pid = w.pid!;
    expect(alive(pid)).toBe(true);
    const exit = await w.close(300);
    expect(exit.signal).toBe('SIGKILL');
    expect(alive(pid)).toBe(false);
  });

  it('fails startLocalWorker with the stderr tail when the worker cannot start', async () => {
    await expect(startLocalWorker({ workerDir: '/nonexistent' })).rejects.toThrow(
      /exited with code 1[\s\S]*No module named schedbench_worker/,
    );
  });
});
