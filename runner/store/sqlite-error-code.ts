/**
 * The SQLite extended result code of an error thrown by better-sqlite3 (`SQLITE_CONSTRAINT_UNIQUE`,
 * `SQLITE_NOTADB`, `SQLITE_CORRUPT_INDEX`, ...: SqliteError.code, see https://sqlite.org/rescode.html).
 *
 * @param err anything thrown
 * @returns the code, or undefined when `err` has no string `code`
 */
export function sqliteErrorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
