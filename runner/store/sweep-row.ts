import type { NewRun } from './run-row.js';

/**
 * A stored sweep, as read back from the `sweeps` table. JSON columns are returned as the strings
 * that were stored; the sweeps module owns their shape and parses them.
 */
export interface SweepRow {
  readonly id: number;
  readonly name: string;
  /** The spec file's text as the user wrote it. */
  readonly specYaml: string;
  /** The validated, normalized spec as JSON. */
  readonly specJson: string;
  /**
   * Identity of the spec: running the same spec again resumes this database's own sweep with this
   * hash (an imported sweep can have the spec hash of a local one; it is never resumed).
   */
  readonly specHash: string;
  /** Where the spec was read from, when it came from a file. */
  readonly specPath: string | null;
  /** The machine description the sweep runs on, as JSON. */
  readonly machineJson: string;
  /** ISO 8601 UTC. */
  readonly createdAt: string;
  /** ISO 8601 UTC; set by finishSweep when the last pass ended with no run queued or running. */
  readonly finishedAt: string | null;
  /**
   * For a sweep imported from another database (importDatabase): the identity id of the database
   * the sweep was created in (DatabaseIdentity.id); null for this database's own sweeps.
   */
  readonly originDb: string | null;
  /** The sweep's id in the database it was created in; null for this database's own sweeps. */
  readonly originSweepId: number | null;
  /**
   * Host name of the machine the sweep ran on: where it was created (os.hostname(), or
   * StoreOptions.host), for an imported sweep the host it was created on there; this database's
   * host for sweeps stored before schema 4; null when that was never recorded.
   */
  readonly originHost: string | null;
}

/** What createSweep stores: the sweep's columns (see SweepRow) and all of its runs. */
export interface NewSweep {
  readonly name: string;
  readonly specYaml: string;
  /** Must be valid JSON. */
  readonly specJson: string;
  /** Unique among the database's own sweeps (imported sweeps may share it). */
  readonly specHash: string;
  readonly specPath: string | null;
  /** Must be valid JSON. */
  readonly machineJson: string;
  /** The runs of the sweep; their run keys must be distinct. */
  readonly runs: readonly NewRun[];
}
