/**
 * A run of `schedbench gpu-report`'s twin pair (runner/cli/gpu-report-twin-runs.ts) that did not
 * finish: it failed or was stopped (its stored error is in the message), or the GPU-in-the-loop
 * run stored no iterations. The command prints the message and exits with ExitCode.RUNS_FAILED.
 */
export class TwinRunError extends Error {
  override readonly name = 'TwinRunError';

  /** @param message complete, user-facing message naming the run */
  constructor(message: string) {
    super(message);
  }
}
