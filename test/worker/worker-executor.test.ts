import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { simulateOn } from '../../runner/engine/replica-engine.js';
import { resolveMachine } from '../../runner/machines/resolve-machine.js';
import { WorkerMachineRefSchema } from '../../runner/machines/worker-machine-ref.js';
import { Store } from '../../runner/store/store.js';
import type { RunTask } from '../../runner/sweeps/run-task.js';
import { executeRunOnWorker } from '../../runner/sweeps/execute-run-on-worker.js';
import { startLocalWorker } from '../../runner/workers/local-worker.js';
import type { WorkerClient } from '../../runner/workers/worker-client.js';
import { promptTokenId, WorkerIterationExecutor } from '../../runner/workers/worker-executor.js';
import { WorkerSession } from '../../runner/workers/worker-session.js';
import { expectEngineInvariants } from '../helpers/engine-invariants.js';
import { AuditingScheduler } from '../helpers/auditing-scheduler.js';
import { pythonWorkerSkipReason } from '../helpers/python-worker-env.js';
import { requestList } from '../helpers/request-lists.js';
import { schedulerFor } from '../helpers/scheduler-for.js';

/**
 * GPU-in-the-loop execution against the real Python worker (tiny-llama on CPU): the engine's
 * batches, frees and recomputations after eviction must be accepted by the worker's paged KV
 * cache exactly (it refuses a chunk that does not start at the request's cached length).
 */
const reason = pythonWorkerSkipReason(['torch'], 'GPU-in-the-loop executor tests');

const dir = mkdtempSync(join(tmpdir(), 'schedbench-executor-'));
const clients: WorkerClient[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close(1_000)));
  rmSync(dir, { recursive: true, force: true });
});

/** 24 requests arriving in bursts; prompts up to 90 tokens, outputs up to 24. */
const REQUESTS = requestList(
  Array.from({ length: 24 }, (_, i): [number, number, number] => [
    Math.floor(i / 6) * 0.05,
    10 + ((i * 37) % 81),
    2 + ((i * 11) % 23),
  ]),
);

describe('promptTokenId', () => {
  it('is deterministic, in range, and differs between requests and positions', () => {
    const ids = new Set<number>();
    for (let id = 0; id < 20; id++) {
      for (let p = 0; p < 50; p++) {
        const t = promptTokenId(7, id, p, 1000);
        expect(t).toBe(promptTokenId(7, id, p, 1000));
        expect(Number.isInteger(t) && t >= 0 && t < 1000).toBe(true);
        ids.add(t);
      }
    }
    // 1,000 draws from 1,000 ids: a uniform hash hits about 632 distinct values.
    expect(ids.size).toBeGreaterThan(550);
    expect(promptTokenId(8, 0, 0, 32000)).not.toBe(promptTokenId(7, 0, 0, 32000));
  });
});

describe.skipIf(reason !== null)('WorkerIterationExecutor with the local Python worker', () => {
  it.each([
    ['vllm', { policy: 'vllm' }, 'vllm'],
    ['sarathi', { policy: 'sarathi', chunkSize: 32 }, 'vllm'],
    ['fcfs (paper token model)', { policy: 'fcfs' }, 'paper'],
  ] as const)(
    'runs %s to completion on a tight KV cache, evicting and recomputing on the worker',
    async (_name, policy, tokenModel) => {
      const client = await startLocalWorker();
      clients.push(client);
      const loaded = await client.request({
        type: 'load',
        model: 'tiny-llama',
        kv_blocks: 16,
        block_size: 8,
      });
      const config = { kvCapacityBlocks: loaded.kv_blocks, blockSize: loaded.block_size, tokenModel };
      const audit = new AuditingScheduler(schedulerFor(policy, REQUESTS, config), REQUESTS.arrival.length);
      const executor = new WorkerIterationExecutor(client, REQUESTS, {
        vocabSize: loaded.config.vocab_size,
        seed: 1,
      });
      const out = await simulateOn(REQUESTS, config, audit, executor);
      await executor.releaseAll();
      const evictions = expectEngineInvariants(out, audit, { capacity: loaded.kv_blocks, tokenModel });
      expect(evictions.length).toBeGreaterThan(0);
      const iterations = executor.iterations();
      expect(iterations.timeS.length).toBe(out.totals.iterations);
      expect(Math.min(...iterations.timeS)).toBeGreaterThan(0);
      // Virtual clock: the run's span is the sum of measured iteration times plus idle gaps.
      let busy = 0;
      for (const t of iterations.timeS) busy += t;
      expect(out.totals.endS - out.totals.startS).toBeGreaterThanOrEqual(busy - 1e-9);
      for (let i = 1; i < iterations.startS.length; i++) {
        expect(iterations.startS[i]).toBeGreaterThanOrEqual(
          iterations.startS[i - 1] + iterations.timeS[i - 1] - 1e-9,
        );
      }
      // Transport is not in the clock: the runner waited at least the measured time.
      for (let i = 0; i < iterations.timeS.length; i++) {
        expect(iterations.wallS[i]).toBeGreaterThanOrEqual(iterations.timeS[i] * 0.5);
      }
      // The worker holds nothing once the run is over.
      const step = await client.request({
        type: 'step',
        prefill: [{ id: 'probe', start: 0, token_ids: [1] }],
      });
      expect(step.free_blocks).toBe(loaded.kv_blocks - 1);
      await client.request({ type: 'free', request_id: 'probe' });
    },
  );

  it('fails a run whose worker is killed, with the reason, and serves the next run with a fresh worker', async () => {
    const store = Store.open(join(dir, 'machines.db'));
    try {
      store.addWorkerMachine({ name: 'cpu', kind: 'local' });
      const ref = WorkerMachineRefSchema.parse({
        worker: 'cpu',
        model: 'tiny-llama',
        kvBlocks: 64,
        blockSize: 8,
      });
      const machine = resolveMachine(ref, store);
      expect(machine.name).toBe('cpu/tiny-llama');
      const session = new WorkerSession(machine.worker!);
      const task: RunTask = {
        runId: 1,
        requests: REQUESTS,
        machine: ref,
        policy: { policy: 'vllm', maxNumBatchedTokens: 4096, maxNumSeqs: 128, watermark: 0.01 },
        tokenModel: 'vllm',
        horizonS: null,
        rateRps: 1,
        declaredTypes: null,
        seed: 1,
        slo: null,
        rejected: 0,
      };
      const first = await session.ready();
      // Kill the worker after a few step replies: in the middle of the run.
      let chunks = 0;
      first.client.process.stdout!.on('data', () => {
        if (++chunks === 5) first.client.process.kill('SIGKILL');
      });
      await expect(executeRunOnWorker(task, machine, session)).rejects.toThrow(
        /GPU worker cpu: .*killed by SIGKILL/,
      );
      const result = await executeRunOnWorker(task, machine, session);
      expect(result.metrics.completed).toBe(REQUESTS.arrival.length);
      expect(result.iterations?.timeS.length).toBeGreaterThan(0);
      const second = await session.ready();
      expect(second.client.pid).not.toBe(first.client.pid);
      await session.close();
      expect(second.client.hasExited).toBe(true);
    } finally {
      store.close();
    }
  });
});
