import { calibrationGrid, type CalibrationGridOptions } from '../machines/calibration-grid.js';
import {
  calibrationPointOf,
  fitCalibration,
  type CalibrationFit,
  type CalibrationPoint,
  type ErrorSummary,
} from '../machines/calibration-fit.js';
import { PROFILE_MACHINE_PREFIX } from '../machines/worker-machine-ref.js';
import { formatTable } from '../reports/runs-table.js';
import type { CalibrationRow } from '../store/calibration-row.js';
import type { Store } from '../store/store.js';
import { startWorker } from '../workers/start-worker.js';
import type { WorkerClient } from '../workers/worker-client.js';
import type { LoadedReply, ProfileShape } from '../workers/worker-protocol.js';
import type { ProfileSettings } from '../reports/gpu-report-data.js';
import { registeredMachine } from './worker-machines-command.js';

/** Options of `schedbench profile`: the settings a GPU report repeats, plus the model and a timeout. */
export interface ProfileCommandOptions extends ProfileSettings {
  /** Worker model preset or checkpoint directory on the machine. */
  model: string;
  /** Seconds to wait for one group of shapes (default 600). */
  timeoutS?: number;
}

/** Grid limits on a GPU and on a CPU (tiny models only; a 7B model on CPU takes minutes per shape). */
const GRID_DEFAULTS = {
  cuda: { maxBatchTokens: 4096, maxDecodes: 128, maxKvTokens: 4096 },
  cpu: { maxBatchTokens: 512, maxDecodes: 32, maxKvTokens: 512 },
} as const;

/** Shapes per `profile` message: progress is reported between messages. */
const SHAPES_PER_MESSAGE = 8;

/**
 * `schedbench profile NAME --model M` (calibration): loads the model on the machine's
 * worker, times a grid of batch shapes (runner/machines/calibration-grid.ts: decode-only,
 * prefill-only and mixed batches to fit on, in-between shapes held out), fits the paper's linear
 * model d0/d1 and the profile-style CalibratedIterationTimeModel, stores the calibration with the
 * GPU, model, dtype, torch version and date, and reports the error on the held-out shapes. The
 * result is the simulated machine `profile:NAME/M`.
 *
 * @param progress called with one line per group of shapes timed
 * @returns the report to print; its last line names the machine to use in specs
 * @throws InputError for an unknown machine; WorkerError when the worker cannot start, load or
 *   profile (nothing is stored then)
 */
export async function profileCommand(
  store: Store,
  name: string,
  options: ProfileCommandOptions,
  progress: (line: string) => void = () => undefined,
): Promise<string> {
  const machine = registeredMachine(store, name);
  const timeoutMs = (options.timeoutS ?? 600) * 1000;
  const client = await startWorker(machine, { timeoutMs });
  try {
    const hello = client.info!;
    const loaded = await client.request({
      type: 'load',
      model: options.model,
      kv_blocks: options.kvBlocks,
      block_size: options.blockSize,
      ...(options.dtype === undefined ? {} : { dtype: options.dtype }),
    });
    const limits = GRID_DEFAULTS[loaded.device];
    const maxDecodes = options.maxDecodes ?? limits.maxDecodes;
    const gridOptions: CalibrationGridOptions = {
      maxBatchTokens: options.maxBatchTokens ?? limits.maxBatchTokens,
      maxDecodes,
      maxKvTokens: Math.min(options.maxKvTokens ?? limits.maxKvTokens, loaded.config.max_position_embeddings),
      // Each request of a shape may waste up to one partly filled block.
      kvCapacityTokens: Math.max(1, (loaded.kv_blocks - maxDecodes - 8) * loaded.block_size),
    };
    const grid = calibrationGrid(gridOptions);
    progress(
      `${name}: ${loaded.model} (${loaded.dtype}) on ${hello.gpu_name ?? loaded.device}, ${loaded.kv_blocks} KV blocks; ` +
        `timing ${grid.train.length} + ${grid.heldOut.length} held-out shapes x ${options.repeats} repeats`,
    );
    const all = [...grid.train, ...grid.heldOut];
    const points = await timeShapes(client, all, options, timeoutMs, (done) =>
      progress(`  ${done}/${all.length} shapes timed`),
    );
    const train = points.slice(0, grid.train.length);
    const heldOut = points.slice(grid.train.length);
    const fit = fitCalibration(train, heldOut);
    const row = store.addCalibration({
      machine: name,
      model: options.model,
      dtype: loaded.dtype,
      device: loaded.device,
      gpuName: hello.gpu_name,
      gpuMemoryBytes: hello.gpu_memory_bytes,
      torch: hello.torch,
      python: hello.python,
      kvBlocks: loaded.kv_blocks,
      blockSize: loaded.block_size,
      fit: {
        ...fit,
        grid: { ...gridOptions, repeats: options.repeats, warmup: options.warmup },
        points: { train, heldOut },
        loaded: {
          parameters: loaded.parameters,
          weights: loaded.weights,
          kv_block_bytes: loaded.kv_block_bytes,
        },
      } as unknown as Record<string, unknown>,
    });
    return calibrationReport(row, fit, loaded);
  } finally {
    await client.close();
  }
}

async function timeShapes(
  client: WorkerClient,
  shapes: ProfileShape[],
  options: ProfileCommandOptions,
  timeoutMs: number,
  onGroup: (done: number) => void,
): Promise<CalibrationPoint[]> {
  const points: CalibrationPoint[] = [];
  for (let i = 0; i < shapes.length; i += SHAPES_PER_MESSAGE) {
    const reply = await client.request(
      {
        type: 'profile',
        shapes: shapes.slice(i, i + SHAPES_PER_MESSAGE),
        repeats: options.repeats,
        warmup: options.warmup,
      },
      { timeoutMs },
    );
    points.push(...reply.results.map(calibrationPointOf));
    onGroup(points.length);
  }
  return points;
}

function pct(e: ErrorSummary): string {
  return `${e.meanAbsPct.toFixed(2)} % mean, ${e.maxAbsPct.toFixed(2)} % max, RMSE ${(e.rmseS * 1000).toFixed(3)} ms`;
}

/** The text `schedbench profile` prints for a stored calibration. */
export function calibrationReport(row: CalibrationRow, fit: CalibrationFit, loaded: LoadedReply): string {
  const table = formatTable([
    {
      model: 'linear (d0 + d1 x)',
      set: 'train',
      points: fit.train.points,
      ...errorColumns(fit.train.linear),
    },
    {
      model: 'linear (d0 + d1 x)',
      set: 'held-out',
      points: fit.heldOut.points,
      ...errorColumns(fit.heldOut.linear),
    },
    {
      model: 'calibrated profile',
      set: 'train',
      points: fit.train.points,
      ...errorColumns(fit.train.profile),
    },
    {
      model: 'calibrated profile',
      set: 'held-out',
      points: fit.heldOut.points,
      ...errorColumns(fit.heldOut.profile),
    },
  ]);
  const ref = `${PROFILE_MACHINE_PREFIX}${row.machine}/${row.model}`;
  return [
    `calibration #${row.id}: ${row.model} (${row.dtype}, ${loaded.parameters.toLocaleString('en-US')} parameters, ${loaded.weights} weights) ` +
      `on ${row.gpuName ?? row.device} of ${row.machine}, torch ${row.torch}, ${row.createdAt}`,
    `KV cache: ${row.kvBlocks} blocks of ${row.blockSize} tokens (${row.kvBlocks * row.blockSize} tokens)`,
    `linear model: d0 = ${fit.linear.d0.toPrecision(4)} s, d1 = ${fit.linear.d1.toPrecision(4)} s per KV token, ` +
      `R^2 ${fit.linear.r2.toFixed(4)} over ${fit.linear.points} decode batches`,
    `held-out error: calibrated profile ${pct(fit.heldOut.profile)}; linear ${pct(fit.heldOut.linear)}`,
    '',
    table,
    '',
    `use it in a spec as   machine: ${ref}`,
    '',
  ].join('\n');
}

function errorColumns(e: ErrorSummary): Record<string, number> {
  return { mean_abs_pct: e.meanAbsPct, max_abs_pct: e.maxAbsPct, rmse_ms: e.rmseS * 1000 };
}
