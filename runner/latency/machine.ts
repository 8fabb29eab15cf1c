import { z } from 'zod';
import { InputError } from '../errors.js';
import { repositoryPath } from '../repository-path.js';
import type { CalibrationRow } from '../store/calibration-row.js';
import type { WorkerMachine } from '../store/worker-machine-row.js';
import { calibratedMachine } from './calibrated-machine.js';
import type { IterationTimeModel } from './iteration-time-model.js';
import { planKvCapacity, VIDUR_DEVICE_MEMORY_GIB } from './kv-capacity-planner.js';
import { LinearIterationTimeModel } from './linear-model.js';
import { MACHINE_PRESETS } from './machine-presets.js';
import { modelArchitecture } from './model-architectures.js';
import { loadOperatorProfile } from './operator-profile.js';
import { A100_LLAMA2_7B_ATTENTION, ProfileIterationTimeModel } from './profile-model.js';
import {
  parseProfileMachine,
  PROFILE_MACHINE_PREFIX,
  ProfileMachineRefSchema,
  WorkerMachineRefSchema,
  type ProfileMachineRef,
  type WorkerMachineRef,
} from './worker-machine-ref.js';

/** A simulated machine: an iteration-time model and a KV cache. */
export interface Machine {
  /** Name shown in run tables (`a100-llama2-7b`, or `inline` for a spec-defined machine). */
  name: string;
  /** One line for reports. */
  description: string;
  iterationTime: IterationTimeModel;
  /** KV capacity, blocks. */
  kvCapacityBlocks: number;
  /** Tokens per KV block. */
  blockSize: number;
  /**
   * The linear model tau = d0 + d1 x (KV tokens) that the fluid benchmark and the paper's
   * threshold rules use: the machine's own model when it is linear (`exact`), else its linear
   * fit over decode batches (with its R^2).
   */
  linear: { d0: number; d1: number; exact: boolean; r2?: number };
  /** GPU and model of a preset (for `schedbench machines`); absent for inline machines. */
  hardware?: { gpu: string; model: string; sources: Record<string, string> };
  /**
   * Set when runs execute on a GPU worker (a spec `machine: {worker: ...}`): the registered
   * machine and how to load the model. `iterationTime` and `linear` then come from the worker's
   * latest calibration for the model, when there is one (else `linear` is NaN and `iterationTime`
   * refuses to predict).
   */
  worker?: WorkerRun;
}

/** How the runs of a worker machine execute (Machine.worker). */
export interface WorkerRun {
  machine: WorkerMachine;
  model: string;
  /** Dtype to load; undefined = the worker's default for its device. */
  dtype: WorkerMachineRef['dtype'];
  kvBlocks: number;
  blockSize: number;
  clock: WorkerMachineRef['clock'];
  stepTimeoutS: number;
  modelSeed: number;
  /** The calibration that gave `linear` (and `kvBlocks` when `auto`), if any. */
  calibrationId: number | null;
}

/**
 * Where resolveMachine looks up worker machines and calibrations (the results database; Store
 * implements it). Built-in and inline machines need none.
 */
export interface MachineRegistry {
  getWorkerMachine(name: string): WorkerMachine | undefined;
  listWorkerMachines(): WorkerMachine[];
  latestCalibration(machine: string, model: string, dtype?: string): CalibrationRow | undefined;
}

/**
 * Linear fit for Llama-2-7B on A100-80GB: d0 (s) and d1 (s per KV token), R^2 0.9956, from
 * `fitLinearFromProfile` on data/vidur (docs/linear-fit.md); a test recomputes it from the data.
 */
export const A100_LLAMA2_7B_LINEAR = {
  d0: 0.011254694988253787,
  d1: 2.6836051993088585e-7,
  r2: 0.9955976378641235,
} as const;

/**
 * KV capacity of Llama-2-7B on A100-80GB by Vidur's memory planner (PAPER.md §7.1): 80 GiB x 0.9
 * minus 2 x 6.74e9 bytes of fp16 weights leaves room for 29 requests of 4,096 tokens at 0.5 MiB
 * of KV per token (32 layers x 2 x 32 heads x 128 dims x 2 bytes): 29 x 4096 / 16 = 7,424 blocks.
 */
export const A100_LLAMA2_7B_KV_BLOCKS = 7424;

/** Vidur's A100 Llama-2-7B operator profile, shipped in data/. */
const A100_LLAMA2_7B_PROFILE = [
  'data',
  'vidur',
  'data',
  'profiling',
  'compute',
  'a100',
  'meta-llama',
  'Llama-2-7b-hf',
  'mlp.csv',
];

/**
 * `a100-llama2-7b`, the default machine: Vidur-style iteration times from the A100 Llama-2-7B
 * operator profile (token-wise operators interpolated, attention from the closed-form fits of
 * data/vidur/ATTENTION.md, combined per batch as Vidur does; see ProfileIterationTimeModel) and
 * Vidur's KV capacity plan (80 GiB x 0.9 minus fp16 weights, 4,096-token slots: 7,424 blocks).
 */
function a100Llama27bProfile(): Machine {
  const architecture = modelArchitecture('meta-llama/Llama-2-7b-hf');
  const model = new ProfileIterationTimeModel({
    profile: loadOperatorProfile(repositoryPath(...A100_LLAMA2_7B_PROFILE)),
    architecture,
    attention: A100_LLAMA2_7B_ATTENTION,
    gpu: 'a100',
  });
  const plan = planKvCapacity({
    gpuMemoryBytes: VIDUR_DEVICE_MEMORY_GIB.a100 * 2 ** 30,
    architecture,
    dtypeBytes: 2,
    blockSize: 16,
    mode: 'vidur',
    maxTokens: 4096,
  });
  const fit = model.linearFit();
  return {
    name: 'a100-llama2-7b',
    description:
      'Llama-2-7B on one A100-80GB: Vidur operator profile (interpolated) + closed-form FlashAttention fits, Vidur memory plan',
    iterationTime: model,
    kvCapacityBlocks: plan.blocks,
    blockSize: 16,
    linear: { d0: fit.d0, d1: fit.d1, exact: false, r2: fit.r2 },
    hardware: {
      gpu: 'A100-80GB',
      model: 'meta-llama/Llama-2-7b-hf',
      sources: {
        'token-wise operators':
          'Vidur profile data/vidur/.../a100/meta-llama/Llama-2-7b-hf/mlp.csv (median, TP1)',
        attention: 'closed-form fits to Vidur A100 attention.csv (data/vidur/ATTENTION.md)',
        'KV capacity': plan.explanation,
      },
    },
  };
}

/** The built-in simulated machines by name: the two A100 Llama-2-7B machines, then the presets. */
export const BUILT_IN_MACHINES: Record<string, () => Machine> = {
  'a100-llama2-7b': a100Llama27bProfile,
  'a100-llama2-7b-linear': () => ({
    name: 'a100-llama2-7b-linear',
    description:
      "Llama-2-7B on one A100-80GB: the paper's linear iteration time fitted to Vidur's A100 operator profile (decode batches), 7,424 KV blocks of 16 tokens",
    iterationTime: new LinearIterationTimeModel(A100_LLAMA2_7B_LINEAR.d0, A100_LLAMA2_7B_LINEAR.d1),
    kvCapacityBlocks: A100_LLAMA2_7B_KV_BLOCKS,
    blockSize: 16,
    linear: { ...A100_LLAMA2_7B_LINEAR, exact: true },
    hardware: {
      gpu: 'A100-80GB',
      model: 'meta-llama/Llama-2-7b-hf',
      sources: {
        'iteration time': 'least-squares linear fit (docs/linear-fit.md)',
        'KV capacity': "Vidur's memory plan (7,424 blocks)",
      },
    },
  }),
  // Every other (GPU, model) pair with a Vidur profile that fits on one GPU, with APPROXIMATE
  // attention (runner/latency/machine-presets.ts).
  ...MACHINE_PRESETS,
};

/** A machine defined inline in a spec: `{model: linear, d0, d1, kvCapacityTokens | kvCapacityBlocks, blockSize}`. */
export const InlineMachineSchema = z
  .object({
    name: z.string().min(1).optional(),
    model: z.literal('linear'),
    d0: z.number().min(0),
    d1: z.number().min(0),
    kvCapacityTokens: z.number().int().positive().optional(),
    kvCapacityBlocks: z.number().int().positive().optional(),
    blockSize: z.number().int().positive().default(16),
  })
  .strict()
  .refine((m) => (m.kvCapacityTokens === undefined) !== (m.kvCapacityBlocks === undefined), {
    message: 'give exactly one of kvCapacityTokens and kvCapacityBlocks',
  })
  .refine((m) => m.d0 + m.d1 > 0, { message: 'd0 and d1 cannot both be 0' });

/**
 * The `machine` field of a spec: a built-in name, `profile:MACHINE/MODEL` (a calibration), an
 * inline linear machine, or a GPU worker (`{worker: NAME, model: ...}`).
 */
export const MachineRefSchema = z.union([
  z.string().min(1),
  InlineMachineSchema,
  WorkerMachineRefSchema,
  ProfileMachineRefSchema,
]);

/** A validated `machine` field. */
export type MachineRef = z.infer<typeof MachineRefSchema>;

/**
 * A machine reference that needs no database: what a run task carries to a worker thread. A
 * `profile:` name is replaced by the calibration it resolved to.
 */
export type ResolvedMachineRef =
  | Exclude<MachineRef, WorkerMachineRef | ProfileMachineRef>
  | { calibration: CalibrationRow; kvBlocks?: number; blockSize?: number };

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
  return {
    name: ref.name ?? 'inline',
    description: `linear d0=${ref.d0} s, d1=${ref.d1} s/token, ${blocks} KV blocks of ${ref.blockSize} tokens`,
    iterationTime: new LinearIterationTimeModel(ref.d0, ref.d1),
    kvCapacityBlocks: blocks,
    blockSize: ref.blockSize,
    linear: { d0: ref.d0, d1: ref.d1, exact: true },
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
  const machine = registry?.getWorkerMachine(ref.worker);
  if (!machine) {
    const known = registry?.listWorkerMachines().map((m) => m.name) ?? [];
    throw new InputError(
      `unknown worker machine "${ref.worker}" (registered: ${known.length > 0 ? known.join(', ') : 'none'}); ` +
        `add it with \`schedbench machines add ${ref.worker} --local\` or \`--ssh USER@HOST\``,
      { field: 'machine.worker' },
    );
  }
  if (ref.clock === 'wall' && machine.kind !== 'local') {
    throw new InputError(
      `clock: wall needs a local worker; "${machine.name}" is reached over ssh, whose network latency would enter the results (use clock: virtual)`,
      { field: 'machine.clock' },
    );
  }
  const calibration = registry!.latestCalibration(ref.worker, ref.model, ref.dtype);
  if (ref.kvBlocks === 'auto' && !calibration) {
    throw new InputError(
      `kvBlocks: auto takes the KV capacity of the latest calibration of "${ref.worker}" for "${ref.model}"` +
        `${ref.dtype ? ` (${ref.dtype})` : ''}, and there is none: run \`schedbench profile ${ref.worker} --model ${ref.model}\` or give kvBlocks a number`,
      { field: 'machine.kvBlocks' },
    );
  }
  const calibrated = calibration ? calibratedMachine(calibration) : undefined;
  const kvBlocks = ref.kvBlocks === 'auto' ? calibration!.kvBlocks : ref.kvBlocks;
  const blockSize = ref.kvBlocks === 'auto' ? calibration!.blockSize : ref.blockSize;
  const dtype = ref.dtype ?? (calibration?.dtype as WorkerMachineRef['dtype']);
  const where = machine.kind === 'ssh' ? `${machine.user}@${machine.host}` : 'this host';
  return {
    name: `${ref.worker}/${ref.model}`,
    description:
      `${ref.model}${dtype ? ` (${dtype})` : ''} on GPU worker ${ref.worker} (${machine.kind}, ${where}), ` +
      `${ref.clock} clock, ${kvBlocks} KV blocks of ${blockSize} tokens`,
    iterationTime: calibrated?.iterationTime ?? MEASURED_ON_WORKER,
    kvCapacityBlocks: kvBlocks,
    blockSize,
    linear: calibrated?.linear ?? { d0: NaN, d1: NaN, exact: false },
    ...(calibrated?.hardware ? { hardware: calibrated.hardware } : {}),
    worker: {
      machine,
      model: ref.model,
      dtype,
      kvBlocks,
      blockSize,
      clock: ref.clock,
      stepTimeoutS: ref.stepTimeoutS,
      modelSeed: ref.modelSeed,
      calibrationId: calibration?.id ?? null,
    },
  };
}
