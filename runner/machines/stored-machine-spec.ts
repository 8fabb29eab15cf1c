/**
 * The machine a sweep ran on, as stored with the sweep (`sweeps.machine_json`): what reports, the
 * Compare view and the API read back of it. The writer is executeSweep
 * (runner/sweeps/sweep-executor.ts), which stores the resolved Machine (runner/machines/machine.ts)
 * with stableJson when it creates the sweep; the document never changes afterwards, and a sweep
 * imported from another database (runner/store/import-database.ts) keeps the document it had there.
 */
import { z } from 'zod';
import type { TokenModel } from '../engine/token-model.js';
import { InputError } from '../errors.js';

/**
 * The stored linear model tau = d0 + d1 (KV tokens) + d2 (prefill tokens) of Machine.linear. JSON
 * has no NaN, so the NaN d0 and d1 of an uncalibrated GPU worker machine are stored (and read back)
 * as null. d2 is absent in sweeps stored before it existed and for machines whose d2 is 0.
 */
const StoredLinearModelSchema = z.object({
  /** Fixed iteration overhead, seconds; null when the machine has no linear model. */
  d0: z.number().nullable(),
  /** Seconds per KV token in the batch; null when the machine has no linear model. */
  d1: z.number().nullable(),
  /** Seconds per prefilled prompt token on top of d1; absent (or null) means 0, the paper's model. */
  d2: z.number().nullable().optional(),
  /** Whether the machine's own model is linear (false: this is its linear fit over decode batches). */
  exact: z.boolean(),
  /** R^2 of the linear fit, when it is one. */
  r2: z.number().nullable().optional(),
});

/**
 * The schema of a stored machine document. Every sweep stored since the first schema has `name`,
 * `description`, `kvCapacityBlocks`, `blockSize` and `iterationTime`; `linear` and `tokenModel`
 * were added with the fluid benchmark (absent in older sweeps); `ref` is the spec's `machine`
 * field as it was written then (not validated again: a later spec schema may refuse it), and
 * `worker` is present for a GPU worker machine. Other fields are ignored.
 */
const StoredOneMachineSchema = z.object({
  /** Machine name shown in run tables. */
  name: z.string(),
  /** One line for reports. */
  description: z.string(),
  /** The spec's `machine` field (a name, an inline machine, a worker or a profile reference). */
  ref: z.unknown().optional(),
  /** KV capacity, blocks. */
  kvCapacityBlocks: z.number().int().nonnegative(),
  /** Tokens per KV block. */
  blockSize: z.number().int().positive(),
  /** IterationTimeModel.describe(): the model's kind and parameters (seconds, tokens, sources). */
  iterationTime: z.record(z.string(), z.union([z.number(), z.string()])),
  /** Machine.linear; absent in sweeps stored before the fluid benchmark. */
  linear: StoredLinearModelSchema.optional(),
  /** The spec's token model; absent in sweeps stored before the fluid benchmark. */
  tokenModel: z.enum(['vllm', 'paper'] as const satisfies readonly TokenModel[]).optional(),
  /** Machine.worker with the worker machine by name and how it is reached, for a GPU worker. */
  worker: z.record(z.string(), z.unknown()).optional(),
});

/**
 * A sweep's stored machine document: its (first) machine, and for a sweep over a `machine` list
 * (a grid axis) every machine in `machines`, the first one again first, each a document of the
 * same shape. A run's machine is found by its name (RunRow.machine, {@link storedMachineOf}).
 */
export const StoredMachineSpecSchema = StoredOneMachineSchema.extend({
  /** Every machine of a sweep over a `machine` list, in the spec's order; absent for one machine. */
  machines: z.array(StoredOneMachineSchema).min(1).optional(),
});

/** A stored machine document, validated (fields not in {@link StoredMachineSpecSchema} dropped). */
export type StoredMachineSpec = z.infer<typeof StoredMachineSpecSchema>;

/**
 * Decodes a sweep's stored machine document.
 * @param machineJson the sweep's `machineJson` (SweepRow)
 * @param what the sweep, for the error message (e.g. `sweep 12`)
 * @returns the validated document
 * @throws InputError naming the sweep and every invalid field (or the JSON syntax error) when the
 *   text is not a stored machine document: the database holds a sweep this version cannot read
 */
export function decodeStoredMachineSpec(machineJson: string, what: string): StoredMachineSpec {
  return decode(machineJson, what).spec;
}

/**
 * A sweep's stored machine document as it is stored (every field, in stored order), once it has
 * been validated as {@link decodeStoredMachineSpec} does: for showing the whole document.
 * @throws InputError as decodeStoredMachineSpec
 */
export function storedMachineDocument(machineJson: string, what: string): Record<string, unknown> {
  return decode(machineJson, what).document;
}

/**
 * The machine name of a sweep's stored machine document, for lists: the document's `name` when it
 * has a string one (for a sweep over several machines, their names joined with `, `), else `?`.
 * Never throws, so one damaged sweep does not hide the others; the sweep's own page
 * (decodeStoredMachineSpec) says what is wrong with it.
 * @param machineJson the sweep's `machineJson` (SweepRow)
 */
export function storedMachineName(machineJson: string): string {
  try {
    const document: unknown = JSON.parse(machineJson);
    if (!isRecord(document)) return '?';
    if (Array.isArray(document.machines)) {
      const names = document.machines.map((m: unknown) =>
        isRecord(m) && typeof m.name === 'string' ? m.name : '?',
      );
      if (names.length > 0) return names.join(', ');
    }
    return typeof document.name === 'string' ? document.name : '?';
  } catch {
    return '?';
  }
}

/**
 * The stored document of one machine of a sweep, by name: its entry of `machines` for a sweep over
 * several machines, else the document itself when the name is its.
 * @param spec a decoded document (decodeStoredMachineSpec)
 * @param name a run's machine name (RunRow.machine)
 * @returns the machine's document, or undefined when the sweep has no machine of that name
 */
export function storedMachineOf(
  spec: StoredMachineSpec,
  name: string,
): Omit<StoredMachineSpec, 'machines'> | undefined {
  if (spec.machines) return spec.machines.find((m) => m.name === name);
  return spec.name === name ? spec : undefined;
}

function decode(
  machineJson: string,
  what: string,
): { spec: StoredMachineSpec; document: Record<string, unknown> } {
  let document: unknown;
  try {
    document = JSON.parse(machineJson);
  } catch (e) {
    throw new InputError(`${what}: its stored machine JSON is not JSON (${(e as Error).message})`);
  }
  const result = StoredMachineSpecSchema.safeParse(document);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const field = issue.path.map(String).join('.');
      return field ? `${field}: ${issue.message}` : issue.message;
    });
    throw new InputError(
      `${what}: its stored machine JSON is not a machine description: ${problems.join('; ')}`,
    );
  }
  return { spec: result.data, document: isRecord(document) ? document : {} };
}

/** Whether a parsed JSON value is an object (always, once the object schema accepted it). */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
