import type { ForkOptions, UtilityProcess } from 'electron';
import type { RunnerChannel, RunnerExit } from './runner-supervisor.js';
import { stderrSummary } from './stderr-summary.js';

/**
 * The runner as an Electron utility process (the packaged app): `utilityProcess.fork` runs
 * runner-process.js with Electron's own Node, for which electron-builder rebuilt
 * better-sqlite3 at packaging time. The runner talks over `process.parentPort`
 * (runner-process.ts). Electron is injected (`fork`), so this module never loads it.
 */

/** `utilityProcess.fork`. */
export type UtilityFork = (modulePath: string, args: string[], options: ForkOptions) => UtilityProcess;

/** Options of {@link utilityRunnerChannel}. */
export interface UtilityRunnerOptions {
  modulePath: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  onStderr?: (text: string) => void;
}

/** Starts the runner as a utility process. */
export function utilityRunnerChannel(fork: UtilityFork, options: UtilityRunnerOptions): RunnerChannel {
  const child = fork(options.modulePath, options.args, {
    serviceName: 'Schedbench runner',
    stdio: ['ignore', 'inherit', 'pipe'],
    ...(options.env ? { env: options.env } : {}),
  });
  let stderrTail = '';
  child.stderr?.on('data', (chunk: Buffer | string) => {
    const text = chunk.toString();
    stderrTail = (stderrTail + text).slice(-4000);
    options.onStderr?.(text);
  });
  let exited = false;
  const exitListeners: ((exit: RunnerExit) => void)[] = [];
  child.on('exit', (code) => {
    exited = true;
    const detail = stderrSummary(stderrTail);
    const exit: RunnerExit = { code, signal: null, ...(detail ? { detail } : {}) };
    for (const listener of exitListeners) listener(exit);
  });
  return {
    get pid() {
      return child.pid;
    },
    send(message) {
      if (exited) throw new Error('the runner process has exited');
      child.postMessage(message);
    },
    onMessage(listener) {
      child.on('message', listener);
    },
    onExit(listener) {
      exitListeners.push(listener);
    },
    kill(signal) {
      if (exited) return;
      // UtilityProcess.kill() is SIGTERM; SIGKILL goes to the pid directly.
      if (signal === 'SIGKILL' && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      else child.kill();
    },
  };
}
