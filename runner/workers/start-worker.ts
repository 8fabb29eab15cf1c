import type { WorkerMachine } from '../store/worker-machine-row.js';
import { startLocalWorker } from './local-worker.js';
import { startSshWorker } from './ssh-worker.js';
import type { WorkerClient } from './worker-client.js';

/** Options of {@link startWorker}. */
export interface StartWorkerOptions {
  /** Milliseconds to wait for `hello`, torch import included (default 120,000). */
  helloTimeoutMs?: number;
  /** Default request timeout of the client, milliseconds (default 120,000). */
  timeoutMs?: number;
}

/**
 * Starts the worker of a registered machine (`schedbench machines add`) and completes `hello`:
 * `local` machines with startLocalWorker, `ssh` machines with startSshWorker (worker code copied
 * to the host's cache when missing).
 * @returns a client whose `info` holds the `hello` reply
 * @throws WorkerError when the worker cannot be started or reached (ssh's message included)
 */
export function startWorker(machine: WorkerMachine, options: StartWorkerOptions = {}): Promise<WorkerClient> {
  const common = {
    ...(options.helloTimeoutMs === undefined ? {} : { helloTimeoutMs: options.helloTimeoutMs }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(machine.python === null ? {} : { python: machine.python }),
  };
  if (machine.kind === 'local') return startLocalWorker(common);
  return startSshWorker({
    ...common,
    host: machine.host!,
    user: machine.user!,
    ...(machine.port === null ? {} : { port: machine.port }),
    ...(machine.identityFile === null ? {} : { identityFile: machine.identityFile }),
    ...(machine.knownHostsFile === null ? {} : { knownHostsFile: machine.knownHostsFile }),
    strictHostKeyChecking: machine.strictHostKeyChecking,
  });
}

/** One line naming how a machine is reached, for messages: `local (/usr/bin/python3)`, `ssh me@gpu1:22`. */
export function describeWorkerMachine(machine: WorkerMachine): string {
  const python = machine.python ?? '/usr/bin/python3';
  return machine.kind === 'local'
    ? `local (${python})`
    : `ssh ${machine.user}@${machine.host}:${machine.port ?? 22} (${python})`;
}
