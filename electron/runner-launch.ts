import { join } from 'node:path';

/**
 * How the desktop app starts its runner process (docs/architecture.md):
 * - packaged: Electron's `utilityProcess` runs dist/runner/api/runner-process.js with
 *   Electron's Node, for which electron-builder rebuilt better-sqlite3 when packaging;
 * - development (`npm start`): a plain Node child process with the system Node, because
 *   better-sqlite3 in node_modules is built for that Node (without Electron's headers, which
 *   electron-rebuild downloads, it cannot be rebuilt for Electron's ABI). Not `ELECTRON_RUN_AS_NODE`: that is Electron's Node, with
 *   Electron's ABI.
 *
 * The database is `--db FILE`: the app's `--db` argument if given, else the CLI's default
 * (runner/store/default-database.ts: `$SCHEDBENCH_DB`, else the user data directory's
 * schedbench.db), so the app and `schedbench` on the command line share one database.
 */

/** Where the compiled runner entry lies relative to dist/electron/. */
export const RUNNER_ENTRY_FROM_ELECTRON_DIR = ['..', 'runner', 'api', 'runner-process.js'] as const;

/** What main.ts needs to start the runner. */
export interface RunnerLaunchPlan {
  kind: 'utility-process' | 'node';
  /** Absolute path of runner-process.js. */
  modulePath: string;
  args: string[];
  /** The Node binary (kind `node` only). */
  execPath: string | null;
  env: NodeJS.ProcessEnv;
}

/** Inputs of {@link runnerLaunchPlan}. */
export interface RunnerLaunchInput {
  /** `app.isPackaged`. */
  isPackaged: boolean;
  /** The folder of the compiled main.js (dist/electron). */
  electronDir: string;
  /** The database file. */
  databasePath: string;
  /** The main process's environment. */
  env: NodeJS.ProcessEnv;
}

/**
 * The Node binary for the development runner: `$SCHEDBENCH_NODE`, else the Node that runs npm
 * (`$npm_node_execpath`, set by `npm start`), else `node` on the PATH.
 */
export function systemNodePath(env: NodeJS.ProcessEnv): string {
  return env.SCHEDBENCH_NODE || env.npm_node_execpath || 'node';
}

/** The app's `--db FILE` (or `--db=FILE`) argument, if any. */
export function databaseArgument(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--db' && i + 1 < argv.length) return argv[i + 1];
    if (arg.startsWith('--db=') && arg.length > '--db='.length) return arg.slice('--db='.length);
  }
  return undefined;
}

/** Variables that would make a Node child behave as Electron's. */
const ELECTRON_ONLY_ENV = ['ELECTRON_RUN_AS_NODE', 'ELECTRON_NO_ASAR', 'ELECTRON_NO_ATTACH_CONSOLE'];

/** See the module comment. */
export function runnerLaunchPlan(input: RunnerLaunchInput): RunnerLaunchPlan {
  const modulePath = join(input.electronDir, ...RUNNER_ENTRY_FROM_ELECTRON_DIR);
  const args = ['--db', input.databasePath];
  if (input.isPackaged) {
    return { kind: 'utility-process', modulePath, args, execPath: null, env: { ...input.env } };
  }
  const env = { ...input.env };
  for (const name of ELECTRON_ONLY_ENV) delete env[name];
  return { kind: 'node', modulePath, args, execPath: systemNodePath(input.env), env };
}
