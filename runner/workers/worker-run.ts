import type { WorkerMachine } from '../store/worker-machine-row.js';
import type { RunClock } from './worker-executor.js';
import type { LoadRequest } from './worker-protocol.js';

/**
 * How the runs of a worker machine execute (Machine.worker, set by resolveMachine in
 * runner/machines/resolve-machine.ts for a spec `machine: {worker: ...}`): the registered machine,
 * the model and dtype to `load`, the KV size, and how the run's clock advances. A WorkerSession
 * starts and loads the worker from it.
 */
export interface WorkerRun {
  machine: WorkerMachine;
  /** A worker model preset (`llama-2-7b`, `tiny-llama`) or a checkpoint directory on the worker's host. */
  model: string;
  /** Dtype to load; undefined = the worker's default for its device. */
  dtype: LoadRequest['dtype'];
  /** KV cache capacity, blocks. */
  kvBlocks: number;
  /** Tokens per KV block. */
  blockSize: number;
  clock: RunClock;
  /** Seconds to wait for one iteration's reply before the run fails. */
  stepTimeoutS: number;
  /** Seed of the model's random initialisation. */
  modelSeed: number;
  /** The calibration that gave `linear` (and `kvBlocks` when `auto`), if any. */
  calibrationId: number | null;
}
