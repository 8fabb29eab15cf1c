/**
 * The state of a running simulation, as the engine reports it every few iterations (see
 * EngineConfig.progress): enough for a live view of a run (clock, queue, KV, throughput).
 * Counts are of requests unless named otherwise; times are on the run's simulated clock.
 */
export interface EngineProgress {
  /** Simulated clock, seconds (same origin as the request list's arrival times). */
  nowS: number;
  /** Time of the first arrival, seconds: the run's start on the simulated clock. */
  startS: number;
  /** Iterations executed so far. */
  iterations: number;
  /** Requests that have arrived so far. */
  arrived: number;
  /** Requests that have finished so far. */
  finished: number;
  /** Requests in the run. */
  total: number;
  /** Requests arrived and waiting (holding no KV). */
  queueLength: number;
  /** Requests holding KV (being prefilled or decoded, or paused with their cache). */
  running: number;
  /** KV blocks in use. */
  kvBlocks: number;
  /** Output tokens of the requests finished so far (each finished request's full output). */
  outputTokens: number;
}

/**
 * Where a run's progress goes: EngineConfig.progress. The engine calls `report` after every
 * `everyIterations` executed iterations, and once more when the run ends (with `nowS` equal to
 * EngineTotals.endS); not when it fails. `report` runs inside the engine's loop: it should be
 * cheap (a wall-clock check, a postMessage), and whatever it throws aborts the run. Each call
 * gets a fresh object, which the sink may keep.
 */
export interface EngineProgressSink {
  /** Iterations between two reports: a positive integer. */
  everyIterations: number;
  report(p: EngineProgress): void;
}
