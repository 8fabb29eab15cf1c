import { WorkerKvSizeUnknown } from '../machines/resolve-machine.js';
import type { Store } from '../store/store.js';
import { startWorker } from '../workers/start-worker.js';
import type { WorkerDtype } from '../workers/worker-protocol.js';
import { InputError } from '../errors.js';

/** Most worker machines one plan asks for their KV size (each ask starts a worker). */
const MAX_ASKS = 16;

/**
 * Plans a spec, asking each GPU worker machine it uses with `kvBlocks: auto` and no calibration
 * for its own KV sizing first: the worker loads the model with `kv_blocks: "auto"` (90 % of the
 * free device memory after the weights on CUDA, as vLLM's gpu_memory_utilization 0.9; 1024 blocks
 * on CPU; docs/worker-protocol.md, `load`), and the size it chose is stored
 * (Store.setWorkerKvBlocks), so that every later plan, and every resume of the sweep, uses the same
 * capacity. A calibration, when there is one, still wins (resolveMachine).
 * @param plan plans the spec (throws WorkerKvSizeUnknown, or an InputError caused by one, while a
 *   size is missing)
 * @param store opens the database where worker machines are registered and sizes stored
 * @param log one line per worker asked
 * @returns the plan
 * @throws InputError when the worker cannot be started or cannot load the model (its message),
 *   or what `plan` throws otherwise
 */
export async function planAskingWorkers<T>(
  plan: () => T,
  store: () => Store,
  log: (line: string) => void,
): Promise<T> {
  for (let asked = 0; ; asked++) {
    try {
      return plan();
    } catch (error) {
      const missing =
        error instanceof WorkerKvSizeUnknown
          ? error
          : error instanceof Error && error.cause instanceof WorkerKvSizeUnknown
            ? error.cause
            : undefined;
      if (missing === undefined || asked >= MAX_ASKS) throw error;
      await askWorkerKvSize(store(), missing, log);
    }
  }
}

/** Starts the worker, loads the model with `kv_blocks: "auto"`, stores the size it chose. */
async function askWorkerKvSize(
  store: Store,
  missing: WorkerKvSizeUnknown,
  log: (line: string) => void,
): Promise<void> {
  const machine = store.getWorkerMachine(missing.machine);
  if (!machine) throw missing; // resolveMachine names the unknown machine before it gets here
  log(
    `asking worker ${machine.name} for its KV capacity with ${missing.model} (kvBlocks: auto, no calibration)`,
  );
  let client;
  try {
    client = await startWorker(machine, { timeoutMs: 600_000 });
    const loaded = (await client.request({
      type: 'load',
      model: missing.model,
      kv_blocks: 'auto',
      block_size: missing.blockSize,
      ...(missing.dtype === undefined ? {} : { dtype: missing.dtype as WorkerDtype }),
    })) as { kv_blocks: number; dtype: string; device: string };
    store.setWorkerKvBlocks(
      missing.machine,
      missing.model,
      missing.dtype,
      missing.blockSize,
      loaded.kv_blocks,
      loaded.dtype,
    );
    log(
      `worker ${machine.name}: ${loaded.kv_blocks} KV blocks of ${missing.blockSize} tokens on ${loaded.device} (${loaded.dtype}); stored for later sweeps`,
    );
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(
      `machine.kvBlocks: auto: worker ${machine.name} could not size its KV cache for ${missing.model}: ${(error as Error).message}`,
      { field: 'machine.kvBlocks' },
    );
  } finally {
    await client?.close(2_000).catch(() => undefined);
  }
}
