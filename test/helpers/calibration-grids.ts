import type { CalibrationGridOptions } from '../../runner/machines/calibration-grid.js';

/** The calibration grid `schedbench profile` uses on CPU: 512-token batches and KV, 32 decodes. */
export const CPU_GRID: CalibrationGridOptions = {
  maxBatchTokens: 512,
  maxKvTokens: 512,
  maxDecodes: 32,
  kvCapacityTokens: 1_000_000,
};

/** The calibration grid `schedbench profile` uses on a GPU (Llama-2-7B): 4,096 tokens, 128 decodes. */
export const GPU_GRID: CalibrationGridOptions = {
  maxBatchTokens: 4096,
  maxKvTokens: 4096,
  maxDecodes: 128,
  kvCapacityTokens: 1_000_000,
};
