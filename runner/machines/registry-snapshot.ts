import type { CalibrationRow } from '../store/calibration-row.js';
import type { WorkerMachine } from '../store/worker-machine-row.js';
import type { MachineRegistry } from './machine-registry.js';

/**
 * The worker machines and calibrations a plan looked up, as plain data: what an array task needs
 * to plan the same machines without the results database (written into a shard manifest by the
 * Slurm driver; runner/sweeps/sweep-shard.ts).
 */
export interface RegistrySnapshot {
  workers: WorkerMachine[];
  calibrations: CalibrationRow[];
  /** KV sizes workers gave themselves (MachineRegistry.workerKvBlocks); absent in older manifests. */
  kvSizes?: { machine: string; model: string; dtype: string | null; blockSize: number; kvBlocks: number }[];
}

/**
 * A MachineRegistry that answers from a snapshot: the worker machines by name, and for a
 * calibration the newest matching row (latest createdAt, then highest id), as the Store answers.
 * @param snapshot what the driver's plan looked up
 */
export function registryOf(snapshot: RegistrySnapshot): MachineRegistry {
  return {
    getWorkerMachine: (name) => snapshot.workers.find((w) => w.name === name),
    listWorkerMachines: () => [...snapshot.workers],
    latestCalibration: (machine, model, dtype) =>
      snapshot.calibrations
        .filter(
          (c) => c.machine === machine && c.model === model && (dtype === undefined || c.dtype === dtype),
        )
        .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : b.id - a.id))[0],
    workerKvBlocks: (machine, model, dtype, blockSize) =>
      snapshot.kvSizes?.find(
        (k) =>
          k.machine === machine &&
          k.model === model &&
          k.dtype === (dtype ?? null) &&
          k.blockSize === blockSize,
      )?.kvBlocks,
  };
}

/**
 * Records what `registry` answers while `use` runs: every worker machine and calibration looked
 * up (misses are not recorded), as a snapshot that answers those lookups the same way.
 * @returns what `use` returned, and the snapshot
 */
export function recordingRegistry<T>(
  registry: MachineRegistry,
  use: (recording: MachineRegistry) => T,
): { value: T; snapshot: RegistrySnapshot } {
  const workers = new Map<string, WorkerMachine>();
  const calibrations = new Map<number, CalibrationRow>();
  const kvSizes: NonNullable<RegistrySnapshot['kvSizes']> = [];
  const value = use({
    getWorkerMachine: (name) => {
      const found = registry.getWorkerMachine(name);
      if (found) workers.set(found.name, found);
      return found;
    },
    listWorkerMachines: () => registry.listWorkerMachines(),
    latestCalibration: (machine, model, dtype) => {
      const found = registry.latestCalibration(machine, model, dtype);
      if (found) calibrations.set(found.id, found);
      return found;
    },
    workerKvBlocks: (machine, model, dtype, blockSize) => {
      const kvBlocks = registry.workerKvBlocks?.(machine, model, dtype, blockSize);
      if (kvBlocks !== undefined) kvSizes.push({ machine, model, dtype: dtype ?? null, blockSize, kvBlocks });
      return kvBlocks;
    },
  });
  return {
    value,
    snapshot: { workers: [...workers.values()], calibrations: [...calibrations.values()], kvSizes },
  };
}
