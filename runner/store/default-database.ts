import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The database a command uses without `--db`: `$SCHEDBENCH_DB` if set, else `schedbench.db` in
 * the user's data directory (`$XDG_DATA_HOME/schedbench/`, else `~/.local/share/schedbench/`).
 */
export function defaultDatabasePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SCHEDBENCH_DB) return env.SCHEDBENCH_DB;
  const dataHome = env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(dataHome, 'schedbench', 'schedbench.db');
}
