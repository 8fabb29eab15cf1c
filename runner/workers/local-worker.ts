import { execa } from 'execa';
import { repositoryPath } from '../repository-path.js';
import { WorkerClient, WorkerError } from './worker-client.js';

/** Options of {@link startLocalWorker}. */
export interface LocalWorkerOptions {
  /** Python interpreter with PyTorch (default `/usr/bin/python3`). */
  python?: string;
  /** Folder holding the `schedbench_worker` package, put on PYTHONPATH (default: the repository's `worker/`). */
  workerDir?: string;
  /** Extra environment variables, added to this process's environment. */
  env?: Record<string, string>;
  /** Milliseconds to wait for the `hello` reply, torch import included (default 120,000). */
  helloTimeoutMs?: number;
  /** Default request timeout of the returned client, in milliseconds (default 120,000). */
  timeoutMs?: number;
}

/**
 * How a worker process is started, locally or through ssh: three pipes that WorkerClient reads
 * itself (no buffering by execa), no rejection on a non-zero exit (the client reports it), and
 * the child killed when this process exits.
 */
export const WORKER_PIPES = {
  stdin: 'pipe',
  stdout: 'pipe',
  stderr: 'pipe',
  buffer: false,
  reject: false,
  cleanup: true,
} as const;

/**
 * Starts `python -m schedbench_worker` on this machine and completes the `hello` handshake.
 * @returns a client whose `info` holds the `hello` reply (protocol checked to be v1)
 * @throws WorkerError when the process cannot start, exits, times out, or speaks another
 *   protocol version; the process is killed before throwing
 */
export async function startLocalWorker(options: LocalWorkerOptions = {}): Promise<WorkerClient> {
  const python = options.python ?? '/usr/bin/python3';
  const workerDir = options.workerDir ?? repositoryPath('worker');
  const subprocess = execa(python, ['-m', 'schedbench_worker'], {
    env: { PYTHONPATH: workerDir, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1', ...options.env },
    ...WORKER_PIPES,
  });
  const client = new WorkerClient(subprocess, {
    label: `local worker (${python})`,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  try {
    await client.handshake(options.helloTimeoutMs ?? 120_000);
    return client;
  } catch (error) {
    await client.close(1_000);
    if (error instanceof WorkerError) throw error;
    throw new WorkerError(String(error), 'exit');
  }
}
