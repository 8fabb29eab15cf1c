import { startWorker } from './start-worker.js';
import type { WorkerClient } from './worker-client.js';
import type { LoadedReply } from './worker-protocol.js';
import type { WorkerRun } from './worker-run.js';

/** A started worker with the run's model loaded. */
export interface LoadedWorker {
  client: WorkerClient;
  loaded: LoadedReply;
}

/**
 * The worker process that a sweep's GPU-in-the-loop runs share: started and loaded on first use,
 * reused run after run (each run frees what it allocated), and replaced after a failure, so a
 * worker that died or stopped answering fails only the run it was serving.
 */
export class WorkerSession {
  private current: Promise<LoadedWorker> | undefined;

  /** @param run the machine, model, dtype and KV size to load (Machine.worker) */
  constructor(private readonly run: WorkerRun) {}

  /**
   * The loaded worker, starting it and sending `load` when there is none.
   * @throws WorkerError when the worker cannot start or load the model (e.g. out of memory); the
   *   process is stopped and the next call tries again
   */
  ready(): Promise<LoadedWorker> {
    this.current ??= this.start().catch((error: unknown) => {
      this.current = undefined;
      throw error;
    });
    return this.current;
  }

  /** Stops the current worker (after a failure); the next {@link ready} starts a fresh one. */
  async discard(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    const worker = await current?.catch(() => undefined);
    await worker?.client.close(2_000).catch(() => undefined);
  }

  /** Stops the worker, if one runs. */
  close(): Promise<void> {
    return this.discard();
  }

  private async start(): Promise<LoadedWorker> {
    const run = this.run;
    const timeoutMs = run.stepTimeoutS * 1000;
    const client = await startWorker(run.machine, { timeoutMs });
    try {
      const loaded = await client.request(
        {
          type: 'load',
          model: run.model,
          kv_blocks: run.kvBlocks,
          block_size: run.blockSize,
          seed: run.modelSeed,
          ...(run.dtype === undefined ? {} : { dtype: run.dtype }),
        },
        // Random initialisation of a 7B model takes a while; loading is not an iteration.
        { timeoutMs: Math.max(timeoutMs, 600_000) },
      );
      return { client, loaded };
    } catch (error) {
      await client.close(2_000).catch(() => undefined);
      throw error;
    }
  }
}
