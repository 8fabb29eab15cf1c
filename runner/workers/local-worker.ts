import { sep } from 'node:path';
import { repositoryPath } from '../repository-path.js';
import { WorkerClient, WorkerError } from './worker-client.js';

/** Options of {@link startLocalWorker}. */
export interface LocalWorkerOptions {
  /** Python interpreter with PyTorch (default `/usr/bin/python3`). */
  python?: string;
  /**
   * Folder holding the `schedbench_worker` package, put on PYTHONPATH (default: the installation's
   * `worker/`, unpacked from the desktop app's asar: {@link defaultWorkerDir}).
   */
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
 * A path as a program other than Electron must open it. In the packaged desktop app the runner
 * lives in `resources/app.asar`, an archive that Electron's file functions read as a folder but
 * python3 cannot; electron-builder puts the files listed in `asarUnpack` (the worker package,
 * electron-builder.yml) beside it, in `resources/app.asar.unpacked`, at the same relative paths.
 * So an `app.asar` segment becomes `app.asar.unpacked`; any other path is returned unchanged.
 */
export function unpackedPath(path: string, separator: string = sep): string {
  const parts = path.split(separator);
  const i = parts.indexOf('app.asar');
  if (i < 0) return path;
  parts[i] = 'app.asar.unpacked';
  return parts.join(separator);
}

/** The folder holding the `schedbench_worker` package: the installation's `worker/`, outside any asar. */
export function defaultWorkerDir(): string {
  return unpackedPath(repositoryPath('worker'));
}

/**
 * Starts `python -m schedbench_worker` on this machine and completes the `hello` handshake.
 * @returns a client whose `info` holds the `hello` reply (protocol checked to be v1)
 * @throws WorkerError when the process cannot start, exits, times out, or speaks another
 *   protocol version; the process is killed before throwing
 */
export async function startLocalWorker(options: LocalWorkerOptions = {}): Promise<WorkerClient> {
  const python = options.python ?? '/usr/bin/python3';
  const workerDir = options.workerDir ?? defaultWorkerDir();
  const { execa } = await import('execa'); // loaded when a worker starts: it costs ~80 ms of CPU
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
