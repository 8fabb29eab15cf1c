import { z } from 'zod';
import type { CalibrationRow } from '../store/calibration-row.js';
import {
  ProfileMachineRefSchema,
  WorkerMachineRefSchema,
  type ProfileMachineRef,
  type WorkerMachineRef,
} from './worker-machine-ref.js';

/**
 * A machine defined inline in a spec: `{model: linear, d0, d1, d2?, kvCapacityTokens | kvCapacityBlocks, blockSize}`:
 * tau = d0 + d1 (KV tokens) + d2 (prefill tokens), seconds (LinearIterationTimeModel); d2, seconds
 * per prefilled prompt token, defaults to 0 (the paper's model, arXiv 2504.11320v2 eq. time_consump).
 */
export const InlineMachineSchema = z
  .object({
    name: z.string().min(1).optional(),
    model: z.literal('linear'),
    d0: z.number().min(0),
    d1: z.number().min(0),
    d2: z.number().min(0).optional(),
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
