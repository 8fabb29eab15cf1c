/**
 * What calibrating a model on a worker machine measured, as addCalibration stores it in
 * `calibrations` (migrations/0003_worker_machines.sql).
 */
export interface NewCalibration {
  /** Name of the worker machine calibrated (not checked against `worker_machines`: a calibration outlives its machine's entry and can come from another database). */
  readonly machine: string;
  /** Model calibrated (its Hugging Face id or architecture name). */
  readonly model: string;
  /** Weight and KV-cache dtype (`float16`, `bfloat16`, ...). */
  readonly dtype: string;
  /** The torch device the worker ran on (`cuda:0`, `cpu`, ...). */
  readonly device: string;
  /** The GPU's name as torch reports it; null when the device is not a GPU. */
  readonly gpuName: string | null;
  /** Total memory of the GPU, bytes (a positive safe integer); null when the device is not a GPU. */
  readonly gpuMemoryBytes: number | null;
  /** torch version on the machine (`2.4.1+cu121`). */
  readonly torch: string;
  /** Python version on the machine (`3.11.9`). */
  readonly python: string;
  /** KV-cache blocks that fit on the device; a positive integer. */
  readonly kvBlocks: number;
  /** Tokens per KV-cache block; a positive integer. */
  readonly blockSize: number;
  /**
   * The fitted iteration-time model, a JSON object (only strings, finite numbers, booleans, null,
   * arrays and plain objects): it reads back deep-equal to what was stored (-0 as 0).
   */
  readonly fit: Record<string, unknown>;
}

/** A stored calibration, as read back from `calibrations`. */
export type CalibrationRow = NewCalibration & {
  /** Row id; increases with every calibration stored. */
  readonly id: number;
  /** When it was stored, ISO 8601 UTC. */
  readonly createdAt: string;
};
