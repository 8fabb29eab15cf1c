import { spawn } from 'node:child_process';
import type { RunnerChannel, RunnerExit } from './runner-supervisor.js';
import { stderrSummary } from './stderr-summary.js';

/**
 * The runner as a plain Node child process with an IPC channel (development, and the tests):
 * `spawn(node, [runner-process.js, ...args], { stdio: [..., 'ipc'] })`, which is what
 * `child_process.fork` does, minus the Electron-specific behaviour `fork` gets inside Electron
 * (it would run the script with the Electron binary as Node; better-sqlite3 is built for the
 * system Node in development, see runner-launch.ts). runner-process.ts serves the
 * API over `process.send` / 'message' when it has an IPC channel, and stops when it closes.
 */

/** How to start the runner. */
export interface NodeRunnerOptions {
  /** The Node binary (runner-launch.ts, systemNodePath). */
  execPath: string;
  /** dist/runner/api/runner-process.js */
  modulePath: string;
  /** `--db FILE`, ... */
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Each chunk of the runner's standard error (main.ts prints it). */
  onStderr?: (text: string) => void;
}

/** Characters of standard error kept to explain an exit. */
const STDERR_TAIL_CHARS = 4000;

/** Milliseconds to wait after 'exit' for the stderr pipe to drain before reporting. */
const DRAIN_MS = 200;

/** Starts the runner; see the module comment. */
export function forkNodeRunner(options: NodeRunnerOptions): RunnerChannel {
  const child = spawn(options.execPath, [options.modulePath, ...options.args], {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    serialization: 'json',
  });
  let stderrTail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    stderrTail = (stderrTail + text).slice(-STDERR_TAIL_CHARS);
    options.onStderr?.(text);
  });

  const exitListeners: ((exit: RunnerExit) => void)[] = [];
  let exit: RunnerExit | null = null;
  let reported = false;
  const report = (): void => {
    if (reported || !exit) return;
    reported = true;
    const detail = exit.detail ?? stderrSummary(stderrTail);
    const final: RunnerExit = { code: exit.code, signal: exit.signal, ...(detail ? { detail } : {}) };
    for (const listener of exitListeners) listener(final);
  };
  child.on('exit', (code, signal) => {
    exit ??= { code, signal };
    // 'close' follows once stderr has drained, unless a grandchild holds it open.
    setTimeout(report, DRAIN_MS).unref();
  });
  child.on('close', (code, signal) => {
    exit ??= { code, signal };
    report();
  });
  // Without an 'error' listener a failed spawn or a send on a closed channel would throw in
  // the main process.
  child.on('error', (err) => {
    if (child.pid === undefined) {
      exit ??= { code: null, signal: null, detail: `${options.execPath}: ${err.message}` };
      report();
    }
  });

  return {
    get pid() {
      return child.pid;
    },
    send(message) {
      if (exit || !child.connected) throw new Error('the runner process channel is closed');
      child.send(message);
    },
    onMessage(listener) {
      child.on('message', listener);
    },
    onExit(listener) {
      exitListeners.push(listener);
    },
    kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}
