import type { DatabaseIdentity } from './database-identity.js';

/**
 * What one import of another schedbench database did (importDatabase, runner/store/
 * import-database.ts): the output of `schedbench import --format json` and of the API's
 * `database.import`. Every count is a number of rows, 0 when the source had nothing new; importing
 * the same database again gives sweepsAdded = runsAdded = runsCompleted = calibrationsAdded =
 * machinesAdded = 0.
 */
export interface ImportSummary {
  /** The source database file, absolute path. */
  readonly file: string;
  /** The source database's identity (its id, host and creation time). */
  readonly source: DatabaseIdentity;
  /** Sweeps of the source stored here as new sweeps, with their origin. */
  readonly sweepsAdded: number;
  /**
   * Sweeps of the source that were here already (imported before, from it or from another
   * database that had them, or this database's own sweeps coming back) and were merged into.
   */
  readonly sweepsMerged: number;
  /** Runs stored here for the first time (into added or merged sweeps). */
  readonly runsAdded: number;
  /** Runs here that were not done and got the source's results (done in the source). */
  readonly runsCompleted: number;
  /** Runs of the source that were here already and were left as they are. */
  readonly runsSkipped: number;
  /** Calibrations stored (those not here already: same machine, model, dtype and createdAt). */
  readonly calibrationsAdded: number;
  /** Worker machines stored (none of that name was here). */
  readonly machinesAdded: number;
  /**
   * Worker machines of the source not stored because a machine of that name with other settings
   * is here (this database's is kept); a machine here with the same settings is not counted.
   */
  readonly machinesSkipped: number;
  /** The names of the skipped machines (machinesSkipped of them), sorted (byte order of UTF-8). */
  readonly skippedMachines: readonly string[];
}

/**
 * An import summary for people, a few lines ending in a newline: what was merged from where
 * into where (the `text` format of `schedbench import`, and the desktop app's import dialog).
 *
 * @param s what the import did
 * @param into the database imported into (its path, as the user named it)
 */
export function importSummaryText(s: ImportSummary, into: string): string {
  const host = s.source.host === null ? 'unknown host' : `host ${s.source.host}`;
  const kept =
    s.machinesSkipped === 0 ? '' : ` (same name, other settings here, kept: ${s.skippedMachines.join(', ')})`;
  const nothingNew =
    s.sweepsAdded + s.runsAdded + s.runsCompleted + s.calibrationsAdded + s.machinesAdded === 0;
  return [
    `imported ${s.file} (database ${s.source.id}, created on ${host}) into ${into}`,
    `  sweeps:          ${s.sweepsAdded} new, ${s.sweepsMerged} already here (merged into)`,
    `  runs:            ${s.runsAdded} new, ${s.runsCompleted} completed with its results, ` +
      `${s.runsSkipped} already here (left as they are)`,
    `  calibrations:    ${s.calibrationsAdded} new`,
    `  worker machines: ${s.machinesAdded} new, ${s.machinesSkipped} not imported${kept}`,
    ...(nothingNew ? ['nothing new: everything in it was here already'] : []),
    '',
  ].join('\n');
}
