import { InputError } from '../errors.js';
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

/** Longest name renameSweep accepts, in UTF-16 code units. */
export const MAX_SWEEP_NAME = 200;

/**
 * Checks a sweep's new name (renameSweep), as dataset names are checked.
 * @returns the name, trimmed
 * @throws InputError with field `name` when it is empty, longer than MAX_SWEEP_NAME or holds a
 *   control character (a line break, a tab)
 */
export function checkSweepName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0) throw new InputError('name: give the sweep a name', { field: 'name' });
  if (trimmed.length > MAX_SWEEP_NAME) {
    throw new InputError(`name: at most ${MAX_SWEEP_NAME} characters`, { field: 'name' });
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) {
    throw new InputError('name: no control characters', { field: 'name' });
  }
  return trimmed;
}
