import { InputError } from '../errors.js';
import { LinearIterationTimeModel } from '../latency/linear-model.js';
import { BUILT_IN_MACHINES } from './built-in-machines.js';
import { calibratedMachine } from './calibrated-machine.js';
import type { Machine } from './machine.js';
import type { MachineRef, ResolvedMachineRef } from './machine-ref.js';
import type { MachineRegistry } from './machine-registry.js';
import {
  parseProfileMachine,
  PROFILE_MACHINE_PREFIX,
  workerNames,
  type WorkerMachineRef,
} from './worker-machine-ref.js';
import type { WorkerMachine } from '../store/worker-machine-row.js';
import type { WorkerRun } from '../workers/worker-run.js';

/** An iteration-time model for a worker machine without calibration: runs there are timed on the GPU. */
const MEASURED_ON_WORKER = {
  kind: 'measured',
  iterationTime(): number {
    throw new Error('this machine has no iteration-time model: its iterations are timed on the GPU worker');
  },
  describe(): Record<string, string> {
    return { model: 'measured on the worker (no calibration)' };
  },
};

/**
 * Resolves a spec's machine (or a run task's resolved reference).
 * @param registry where worker machines and calibrations are found; required for `profile:`
 *   names and worker machines
 * @throws InputError for an unknown machine name, an unknown worker machine or calibration, an
 *   inline capacity below one block, `kvBlocks: auto` without a calibration, or `clock: wall` on
 *   an ssh machine
 */
export function resolveMachine(ref: MachineRef | ResolvedMachineRef, registry?: MachineRegistry): Machine {
  if (typeof ref === 'string') {
    const profile = profileRef(ref);
    if (profile) {
      const row = registry?.latestCalibration(profile.machine, profile.model);
      if (!row) {
        throw new InputError(
          `no calibration of worker machine "${profile.machine}" for model "${profile.model}"` +
            (registry ? '' : ' (no database to look it up in)') +
            `: run \`schedbench profile ${profile.machine} --model ${profile.model}\` first`,
          { field: 'machine' },
        );
      }
      return calibratedMachine(row);
    }
    const make = BUILT_IN_MACHINES[ref];
    if (!make) {
      throw new InputError(
        `unknown machine "${ref}" (built-in: ${Object.keys(BUILT_IN_MACHINES).join(', ')}; ` +
          `or profile:MACHINE/MODEL for a calibrated GPU, or {worker: NAME, model: MODEL})`,
        { field: 'machine' },
      );
    }
    return make();
  }
  if ('calibration' in ref) return withCapacity(calibratedMachine(ref.calibration), ref);
  if ('profile' in ref)
    return withCapacity(resolveMachine(`${PROFILE_MACHINE_PREFIX}${ref.profile}`, registry), ref);
  if ('worker' in ref) return workerMachine(ref, registry);
  const blocks = ref.kvCapacityBlocks ?? Math.floor((ref.kvCapacityTokens ?? 0) / ref.blockSize);
  if (blocks < 1)
    throw new InputError(`machine: kvCapacityTokens is smaller than one block of ${ref.blockSize}`, {
      field: 'machine.kvCapacityTokens',
    });
  // d2 absent or 0: the paper's model, described and stored exactly as before d2 existed.
  const d2 = ref.d2 ?? 0;
  return {
    name: ref.name ?? 'inline',
    description: `linear d0=${ref.d0} s, d1=${ref.d1} s/token${d2 !== 0 ? `, d2=${d2} s/prefill token` : ''}, ${blocks} KV blocks of ${ref.blockSize} tokens`,
    iterationTime: new LinearIterationTimeModel(ref.d0, ref.d1, d2),
    kvCapacityBlocks: blocks,
    blockSize: ref.blockSize,
    linear: d2 !== 0 ? { d0: ref.d0, d1: ref.d1, d2, exact: true } : { d0: ref.d0, d1: ref.d1, exact: true },
  };
}

/**
 * The reference a run task carries for a resolved machine: `profile:` names become their
 * calibration, others are unchanged.
 * @throws Error for a worker machine (its runs execute in the sweep's own process)
 */
export function resolvedRefOf(
  ref: MachineRef,
  machine: Machine,
  registry?: MachineRegistry,
): ResolvedMachineRef {
  if (typeof ref === 'string') {
    const profile = profileRef(ref);
    if (profile) return { calibration: registry!.latestCalibration(profile.machine, profile.model)! };
    return ref;
  }
  if ('worker' in ref)
    throw new Error(`machine ${machine.name} runs on a GPU worker, not in a simulation task`);
  if ('profile' in ref) {
    const profile = profileRef(`${PROFILE_MACHINE_PREFIX}${ref.profile}`)!;
    const { profile: _name, ...capacity } = ref;
    return { calibration: registry!.latestCalibration(profile.machine, profile.model)!, ...capacity };
  }
  return ref;
}

/** A calibrated machine with the KV capacity of a `{profile, kvBlocks, blockSize}` reference. */
function withCapacity(machine: Machine, ref: { kvBlocks?: number; blockSize?: number }): Machine {
  if (ref.kvBlocks === undefined && ref.blockSize === undefined) return machine;
  const kvCapacityBlocks = ref.kvBlocks ?? machine.kvCapacityBlocks;
  const blockSize = ref.blockSize ?? machine.blockSize;
  return {
    ...machine,
    kvCapacityBlocks,
    blockSize,
    description: `${machine.description.replace(/; \d+ KV blocks of \d+ tokens$/, '')}; ${kvCapacityBlocks} KV blocks of ${blockSize} tokens (set in the spec)`,
  };
}

function profileRef(ref: string): { machine: string; model: string } | null {
  try {
    return parseProfileMachine(ref);
  } catch (e) {
    throw new InputError((e as Error).message, { field: 'machine' });
  }
}

function workerMachine(ref: WorkerMachineRef, registry: MachineRegistry | undefined): Machine {
  const names = workerNames(ref);
  const machines = names.map((name, i) => {
    const machine = registry?.getWorkerMachine(name);
    if (!machine) {
      const known = registry?.listWorkerMachines().map((m) => m.name) ?? [];
      throw new InputError(
        `unknown worker machine "${name}" (registered: ${known.length > 0 ? known.join(', ') : 'none'}); ` +
          `add it with \`schedbench machines add ${name} --local\` or \`--ssh USER@HOST\``,
        { field: Array.isArray(ref.worker) ? `machine.worker.${i}` : 'machine.worker' },
      );
    }
    if (ref.clock === 'wall' && machine.kind !== 'local') {
      throw new InputError(
        `clock: wall needs a local worker; "${machine.name}" is reached over ssh, whose network latency would enter the results (use clock: virtual)`,
        { field: 'machine.clock' },
      );
    }
    return machine;
  });
  if (new Set(names).size !== names.length) {
    throw new InputError(`machine.worker: a worker is listed twice in the pool (${names.join(', ')})`, {
      field: 'machine.worker',
    });
  }
  // A pool's KV capacity and iteration-time model are its first worker's (identical GPUs).
  const [first] = names;
  const machine = machines[0];
  const calibration = registry!.latestCalibration(first, ref.model, ref.dtype);
  // kvBlocks: auto: the calibration's capacity; without one, what the worker sized for itself.
  const measured =
    ref.kvBlocks === 'auto' && !calibration
      ? registry!.workerKvBlocks?.(first, ref.model, ref.dtype, ref.blockSize)
      : undefined;
  if (ref.kvBlocks === 'auto' && !calibration && measured === undefined) {
    throw new WorkerKvSizeUnknown(first, ref.model, ref.dtype, ref.blockSize);
  }
  const calibrated = calibration ? calibratedMachine(calibration) : undefined;
  const kvBlocks = ref.kvBlocks === 'auto' ? (calibration?.kvBlocks ?? measured!) : ref.kvBlocks;
  const blockSize = ref.kvBlocks === 'auto' && calibration ? calibration.blockSize : ref.blockSize;
  const dtype = ref.dtype ?? (calibration?.dtype as WorkerMachineRef['dtype']);
  const where = machine.kind === 'ssh' ? `${machine.user}@${machine.host}` : 'this host';
  const runOn = (worker: WorkerMachine): WorkerRun => ({
    machine: worker,
    model: ref.model,
    dtype,
    kvBlocks,
    blockSize,
    clock: ref.clock,
    stepTimeoutS: ref.stepTimeoutS,
    modelSeed: ref.modelSeed,
    calibrationId: calibration?.id ?? null,
  });
  const pool = names.length > 1 ? machines.map(runOn) : undefined;
  return {
    name: `${names.join('+')}/${ref.model}`,
    description:
      `${ref.model}${dtype ? ` (${dtype})` : ''} on ${pool ? `a pool of ${names.length} GPU workers (${names.join(', ')}; the first` : 'GPU worker'} ${first} (${machine.kind}, ${where})${pool ? ')' : ''}, ` +
      `${ref.clock} clock, ${kvBlocks} KV blocks of ${blockSize} tokens`,
    iterationTime: calibrated?.iterationTime ?? MEASURED_ON_WORKER,
    kvCapacityBlocks: kvBlocks,
    blockSize,
    linear: calibrated?.linear ?? { d0: NaN, d1: NaN, exact: false },
    ...(calibrated?.hardware ? { hardware: calibrated.hardware } : {}),
    ...(pool ? { pool } : {}),
    worker: runOn(machine),
  };
}

/**
 * `kvBlocks: auto` on a worker machine with neither a calibration nor a measured KV size: the
 * worker must be asked (`schedbench sweep` does: runner/cli/worker-kv-size.ts), or the user runs
 * `schedbench profile` or gives kvBlocks a number. An InputError (exit 2) where nothing asks.
 */
export class WorkerKvSizeUnknown extends InputError {
  /**
   * @param machine the worker machine (the pool's first)
   * @param model the model
   * @param dtype the spec's dtype, undefined for the worker's default
   * @param blockSize tokens per KV block
   */
  constructor(
    readonly machine: string,
    readonly model: string,
    readonly dtype: string | undefined,
    readonly blockSize: number,
  ) {
    super(
      `kvBlocks: auto takes the KV capacity of the latest calibration of "${machine}" for "${model}"` +
        `${dtype ? ` (${dtype})` : ''}, or the size the worker gave itself, and there is neither: run ` +
        `\`schedbench sweep\` on the spec (it asks the worker), \`schedbench profile ${machine} --model ${model}\`, or give kvBlocks a number`,
      { field: 'machine.kvBlocks' },
    );
  }
}
