/**
 * The database's schema cannot be brought to what this build expects: an applied migration
 * file was edited after it ran, the database was written by a newer schedbench, the migration
 * files themselves are malformed, or a migration failed (then nothing of it was kept).
 *
 * The message names the database file and, where one is involved, the migration file; it is
 * meant to be shown to the user as is. Not an InputError: the fix is usually a different
 * schedbench build or database, not an edit of the user's input.
 */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  /**
   * @param message complete, user-facing message naming the database file and the migration
   * @param dbFile the database file the error is about
   * @param migration the migration file name involved (`0002_x.sql`), when one is
   * @param options `cause`: the underlying error, when there is one (a failed SQL statement)
   */
  constructor(
    message: string,
    readonly dbFile: string,
    readonly migration?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
