import type { CalibrationRow } from '../store/calibration-row.js';
import type { WorkerMachine } from '../store/worker-machine-row.js';

/**
 * Where resolveMachine looks up worker machines and calibrations (the results database; Store
 * implements it). Built-in and inline machines need none.
 */
export interface MachineRegistry {
  /** The registered worker machine of that name, if any. */
  getWorkerMachine(name: string): WorkerMachine | undefined;
  /** Every registered worker machine (named in "unknown worker machine" errors). */
  listWorkerMachines(): WorkerMachine[];
  /** The newest calibration of a worker machine for a model (and dtype, when given), if any. */
  latestCalibration(machine: string, model: string, dtype?: string): CalibrationRow | undefined;
  /**
   * The KV capacity, blocks, a worker machine sized for itself for a model (`kvBlocks: auto`
   * without a calibration, measured once: runner/cli/worker-kv-size.ts), if it was measured.
   * @param dtype the spec's dtype, undefined for the worker's default
   */
  workerKvBlocks?(
    machine: string,
    model: string,
    dtype: string | undefined,
    blockSize: number,
  ): number | undefined;
}
