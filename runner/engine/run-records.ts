/**
 * The engine's raw per-run output records (struct-of-arrays): per-request records, the sampled
 * time series, and the measured iterations of a run executed on a GPU worker. The engine and the
 * worker executor fill them; a RunResult (runner/metrics/run-result.ts), assembled above the
 * engine, carries them with the run's metrics and stability verdict.
 */
/**
 * Per-request records of one run, struct-of-arrays indexed like the run's RequestList.
 * Times are seconds of simulated (or measured) time since the start of the run; a time is NaN
 * when the event never happened (for example `finish` of a request unfinished at the horizon).
 */
export interface RequestRecords {
  readonly arrival: Float64Array;
  readonly promptTokens: Int32Array;
  readonly outputTokens: Int32Array;
  /** Start of the first iteration that scheduled any work of the request. */
  readonly firstScheduled: Float64Array;
  /** End of the iteration that produced the request's first output token. */
  readonly firstToken: Float64Array;
  /** End of the iteration that produced the request's last output token. */
  readonly finish: Float64Array;
  /** Output tokens produced (equals outputTokens for a completed request). */
  readonly generatedTokens: Int32Array;
  /** Times the request's KV cache was dropped (it restarted from prefill). */
  readonly evictions: Int32Array;
  /** Times the request was paused with its KV cache kept (left out of an iteration after running in the previous one). */
  readonly preemptions: Int32Array;
  /** KV tokens discarded by the request's evictions, which had to be computed again. */
  readonly recomputedTokens: Int32Array;
  /** Largest gap between two consecutive output tokens (inter-token latency), seconds; NaN with fewer than two tokens. */
  readonly maxItl: Float64Array;
  /**
   * Prompt tokens the request took from the prefix cache at its first admission instead of
   * computing them; a multiple of the block size, at most promptTokens - 1. Present only for
   * runs that cached prefixes (EngineConfig.prefixCaching).
   */
  readonly cachedTokens?: Int32Array;
  /**
   * The replica that served the request (0-based), -1 for one never routed (it arrives after the
   * horizon). Present only for runs on a cluster of replicas (cluster-engine.ts).
   */
  readonly replica?: Int32Array;
}

/**
 * The bounded per-run time series, one entry per sampled iteration (about 2,000 at most; see
 * TimeSeriesRecorder). Struct-of-arrays, all of the same length.
 */
export interface TimeSeries {
  /** End time of the sampled iteration, seconds. */
  readonly t: Float64Array;
  /** Requests that have arrived and hold no KV cache (waiting for prefill, evicted ones included). */
  readonly queueLength: Int32Array;
  /** Requests that hold KV cache (running or paused), after the iteration. */
  readonly running: Int32Array;
  /** KV blocks in use during the iteration. */
  readonly kvBlocks: Int32Array;
  /** Prompt tokens prefilled in the iteration's batch. */
  readonly prefillTokens: Int32Array;
  /** Decode requests in the iteration's batch. */
  readonly decodeCount: Int32Array;
}

/**
 * Per-iteration record of a run executed on a GPU worker (one entry per iteration, in order):
 * what the batch was and how long it took. Simulated runs have none. Struct-of-arrays, all of the
 * same length; times in seconds.
 */
export interface IterationRecords {
  /** Clock time at which the iteration started (virtual or wall clock of the run), seconds. */
  readonly startS: Float64Array;
  /** Duration the run's clock advanced by: the worker's measured time, or the wall time with `clock: wall`. */
  readonly timeS: Float64Array;
  /** Wall time the runner waited for the worker's reply (transport and serialisation included), seconds. */
  readonly wallS: Float64Array;
  /** Prefill chunks in the batch. */
  readonly numPrefills: Int32Array;
  /** Prompt tokens prefilled in the batch. */
  readonly prefillTokens: Int32Array;
  /** Decode requests in the batch. */
  readonly numDecodes: Int32Array;
  /** Sum over decodes of their KV tokens including the token written this iteration. */
  readonly decodeKvTokens: Int32Array;
}
