/** Exit codes of every `schedbench` command. */
export const ExitCode = {
  /** Everything succeeded. */
  OK: 0,
  /** The command ran but some runs failed (each failure is stored with its error). */
  RUNS_FAILED: 1,
  /** Bad input: spec, trace file, argument or database; nothing was stored for it. */
  BAD_INPUT: 2,
  /**
   * A state conflict: another process is executing the sweep (it holds the sweep's lease: `sweep N
   * is being run by PID on HOST since T`). Nothing was changed; run again when it is done, or
   * `sweep --wait`.
   */
  STATE_CONFLICT: 3,
  /**
   * Interrupted (Ctrl-C, SIGINT): 128 + the signal's number, as a shell reports it. A sweep stores
   * what ended and requeues the runs it interrupted; running it again resumes.
   */
  INTERRUPTED: 130,
} as const;
