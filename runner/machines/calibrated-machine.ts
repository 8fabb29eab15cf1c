import { z } from 'zod';
import { InputError } from '../errors.js';
import type { CalibrationRow } from '../store/calibration-row.js';
import { CalibratedIterationTimeModel } from '../latency/calibrated-model.js';
import type { CalibrationFit } from './calibration-fit.js';
import type { Machine } from './machine.js';
import { PROFILE_MACHINE_PREFIX } from './worker-machine-ref.js';

const finite = z.number().refine(Number.isFinite, 'must be finite');
const errorSummary = z.looseObject({ meanAbsPct: finite, maxAbsPct: finite, rmseS: finite });
const errors = z.looseObject({ points: z.number().int(), linear: errorSummary, profile: errorSummary });

/** What a stored calibration's `fit` must hold to become a simulated machine. */
const StoredFitSchema = z.looseObject({
  linear: z.looseObject({ d0: finite, d1: finite, r2: finite, points: z.number().int() }),
  profile: z.looseObject({
    knotsTokens: z.array(finite).min(1),
    knotSeconds: z.array(finite).min(1),
    prefillAttentionS: finite,
    decodeAttentionS: finite,
    decodeRequestS: finite,
  }),
  train: errors,
  heldOut: errors,
});

/**
 * The fit of a stored calibration, checked.
 * @throws InputError naming the calibration when its fit JSON lacks a field or holds a bad value
 */
export function calibrationFitOf(row: CalibrationRow): CalibrationFit {
  const parsed = StoredFitSchema.safeParse(row.fit);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(
      `calibration #${row.id} of ${row.machine}/${row.model}: fit.${issue.path.join('.')}: ${issue.message}`,
    );
  }
  return parsed.data as CalibrationFit;
}

/**
 * The simulated machine `profile:MACHINE/MODEL` of a calibration (`schedbench profile`):
 * the fitted profile-style iteration time (CalibratedIterationTimeModel), the KV capacity the
 * worker allocated, and the fitted linear model d0/d1 for the fluid benchmark and the paper's
 * threshold rules.
 * @throws InputError when the stored fit is malformed
 */
export function calibratedMachine(row: CalibrationRow): Machine {
  const fit = calibrationFitOf(row);
  let model: CalibratedIterationTimeModel;
  try {
    model = new CalibratedIterationTimeModel(fit.profile);
  } catch (e) {
    throw new InputError(`calibration #${row.id} of ${row.machine}/${row.model}: ${(e as Error).message}`);
  }
  const gpu = row.gpuName ?? row.device;
  const date = row.createdAt.slice(0, 10);
  return {
    name: `${PROFILE_MACHINE_PREFIX}${row.machine}/${row.model}`,
    description:
      `${row.model} (${row.dtype}) on ${gpu} of worker machine ${row.machine}, calibrated ${date}: ` +
      `profile-style fit, held-out error ${fit.heldOut.profile.meanAbsPct.toFixed(1)} % mean ` +
      `over ${fit.heldOut.points} shapes; ${row.kvBlocks} KV blocks of ${row.blockSize} tokens`,
    iterationTime: model,
    kvCapacityBlocks: row.kvBlocks,
    blockSize: row.blockSize,
    linear: { d0: fit.linear.d0, d1: fit.linear.d1, exact: false, r2: fit.linear.r2 },
    hardware: {
      gpu,
      model: row.model,
      sources: {
        calibration: `schedbench profile ${row.machine} --model ${row.model} (calibration #${row.id}, ${row.createdAt}, torch ${row.torch}, ${row.dtype})`,
        'KV capacity': `blocks the worker allocated when calibrated (${row.kvBlocks})`,
      },
    },
  };
}
