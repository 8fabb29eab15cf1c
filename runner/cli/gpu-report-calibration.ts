import type { CalibrationFit } from '../machines/calibration-fit.js';
import { calibrationFitOf } from '../machines/calibrated-machine.js';
import type { GpuReportCalibration, GpuReportSettings, WorkerDtype } from '../reports/gpu-report-data.js';
import type { CalibrationRow } from '../store/calibration-row.js';
import type { Store } from '../store/store.js';
import type { WorkerMachine } from '../store/worker-machine-row.js';
import { profileCommand, type ProfileCommandOptions } from './profile-command.js';

/** Step 4's outcome: what the report shows, and what the twin runs need of the stored calibration. */
export interface GpuReportCalibrationOutcome {
  /** The calibration as the report shows it. */
  summary: GpuReportCalibration;
  /** The stored row (its `dtype` and `kvBlocks` go into the GPU-in-the-loop spec). */
  row: CalibrationRow;
  /** Its full fit, checked (calibrationFitOf): the calibrated model's parameters included. */
  fit: CalibrationFit;
}

/**
 * Step 4 of `schedbench gpu-report`: `schedbench profile` on the machine (profileCommand, with its
 * own worker process; the grid limits are the command's --max-* options or profile's defaults),
 * stored in the database as the simulated machine `profile:NAME/MODEL`, then read back.
 * @param dtype the dtype the model was loaded in by step 1-3 (the calibration is looked up by it)
 * @param progress called with profile's progress lines
 * @throws WorkerError as profileCommand; InputError when the stored fit does not read back
 */
export async function calibrate(
  store: Store,
  machine: WorkerMachine,
  o: GpuReportSettings,
  dtype: WorkerDtype,
  progress: (line: string) => void,
): Promise<GpuReportCalibrationOutcome> {
  const options: ProfileCommandOptions = {
    model: o.model,
    dtype,
    kvBlocks: o.kvBlocks,
    blockSize: o.blockSize,
    ...(o.maxBatchTokens === undefined ? {} : { maxBatchTokens: o.maxBatchTokens }),
    ...(o.maxDecodes === undefined ? {} : { maxDecodes: o.maxDecodes }),
    ...(o.maxKvTokens === undefined ? {} : { maxKvTokens: o.maxKvTokens }),
    repeats: o.repeats,
    warmup: o.warmup,
    timeoutS: o.timeoutS,
  };
  progress(`calibrating (schedbench profile ${machine.name} --model ${o.model})`);
  const text = await profileCommand(store, machine.name, options, progress);
  const row = store.latestCalibration(machine.name, o.model, dtype)!;
  const fit = calibrationFitOf(row);
  const { model: _model, timeoutS: _timeoutS, ...profileSettings } = options;
  return {
    summary: {
      options: profileSettings,
      text,
      id: row.id,
      kvBlocks: row.kvBlocks,
      fit: { linear: fit.linear, train: fit.train, heldOut: fit.heldOut },
    },
    row,
    fit,
  };
}
