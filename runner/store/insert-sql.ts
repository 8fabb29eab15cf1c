/**
 * `INSERT INTO table (c1, c2, ...) VALUES (?, ?, ...)`: one positional parameter per column, in
 * the order of `columns`.
 *
 * @param table table name: a constant of a store module, never user input (it is spliced into SQL)
 * @param columns column names, constants of a store module (spliced into SQL as well)
 * @returns the SQL text, for Database.prepare
 */
export function insertSql(table: string, columns: readonly string[]): string {
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
}
