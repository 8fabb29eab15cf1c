import { z } from 'zod';

/**
 * The `machine` of a GPU-in-the-loop spec: a registered worker machine
 * (`schedbench machines add`) and the model it runs. Every iteration's batch executes on the
 * worker; the run's clock advances by the measured iteration time (`clock: virtual`, default) or
 * by the wall time (`clock: wall`, local workers only, for validation).
 */
export const WorkerMachineRefSchema = z
  .object({
    /**
     * Name of a registered worker machine, or a pool of them (`[gpu1, gpu2, gpu3]`, at most 64):
     * the pool's workers run the sweep's runs concurrently, one run each, with the same model, dtype
     * and KV capacity (identical GPUs, so that their runs compare).
     */
    worker: z.union([z.string().min(1), z.array(z.string().min(1)).min(2).max(64)]),
    /** A worker model preset (`llama-2-7b`, `tiny-llama`) or a checkpoint directory on the worker's host. */
    model: z.string().min(1),
    /** Weights and KV dtype (default: float16 on CUDA, float32 on CPU). */
    dtype: z.enum(['float32', 'float16', 'bfloat16']).optional(),
    /**
     * KV cache capacity, blocks, or `auto`: the capacity of the latest calibration of this worker
     * and model (`schedbench profile`), which used the worker's own `auto` sizing.
     */
    kvBlocks: z.union([z.number().int().positive(), z.literal('auto')]).default('auto'),
    /** Tokens per KV block (default 16). */
    blockSize: z.number().int().positive().default(16),
    /** How the run's clock advances (default `virtual`). */
    clock: z.enum(['virtual', 'wall']).default('virtual'),
    /** Seconds to wait for one iteration's reply before the run fails (default 120). */
    stepTimeoutS: z.number().positive().default(120),
    /** Seed of the model's random initialisation (default 0). */
    modelSeed: z.number().int().nonnegative().default(0),
  })
  .strict();

/** A validated worker `machine` of a spec. */
export type WorkerMachineRef = z.infer<typeof WorkerMachineRefSchema>;

/** `profile:NAME/MODEL`: the latest calibration of worker machine NAME for MODEL, as a simulated machine. */
export const PROFILE_MACHINE_PREFIX = 'profile:';

/**
 * Splits `profile:NAME/MODEL` into its machine and model (the model may itself contain `/`).
 * @returns null when `ref` is not a profile reference
 * @throws RangeError when the prefix is there but NAME or MODEL is empty
 */
export function parseProfileMachine(ref: string): { machine: string; model: string } | null {
  if (!ref.startsWith(PROFILE_MACHINE_PREFIX)) return null;
  const rest = ref.slice(PROFILE_MACHINE_PREFIX.length);
  const slash = rest.indexOf('/');
  const machine = slash < 0 ? '' : rest.slice(0, slash);
  const model = slash < 0 ? '' : rest.slice(slash + 1);
  if (!machine || !model) {
    throw new RangeError(
      `"${ref}" must be ${PROFILE_MACHINE_PREFIX}MACHINE/MODEL, e.g. profile:gpu1/llama-2-7b`,
    );
  }
  return { machine, model };
}

/**
 * `machine: {profile: NAME/MODEL, kvBlocks: N}`: a calibrated machine with another KV capacity
 * than the calibration's, e.g. the simulated twin of a GPU-in-the-loop run with a fixed kvBlocks.
 */
export const ProfileMachineRefSchema = z
  .object({
    /** `NAME/MODEL` of a calibration (the part after `profile:`). */
    profile: z.string().min(3),
    /** KV capacity, blocks (default: the calibration's). */
    kvBlocks: z.number().int().positive().optional(),
    /** Tokens per KV block (default: the calibration's). */
    blockSize: z.number().int().positive().optional(),
  })
  .strict();

/** A validated `{profile: ...}` machine. */
export type ProfileMachineRef = z.infer<typeof ProfileMachineRefSchema>;

/** The worker machine names of a worker `machine`: its pool, or the one worker. */
export function workerNames(ref: Pick<WorkerMachineRef, 'worker'>): string[] {
  return Array.isArray(ref.worker) ? ref.worker : [ref.worker];
}
