import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { createApiService } from '../api/api-service.js';
import { startHttpServer, type HttpServer } from '../api/http-server.js';
import { InputError } from '../errors.js';
import { repositoryPath } from '../repository-path.js';
import { Store } from '../store/store.js';
import { HeldRunsGate } from '../sweeps/held-runs-gate.js';
import { ExitCode } from './exit-codes.js';

/** Port `schedbench serve` listens on without `--port`. */
export const DEFAULT_SERVE_PORT = 8484;

/** Options of `schedbench serve`. */
export interface ServeCommandOptions {
  db: string;
  /** TCP port on 127.0.0.1; 0 takes any free port. */
  port: number;
  /** Runs simulated in parallel per sweep (default: number of cores). */
  jobs?: number;
  /** Folders (besides the database's folder and the built-in data) the API may read files from. */
  dataDirs?: string[];
}

/**
 * `schedbench serve` (browser mode): serves the renderer (`dist/renderer`) and the runner's API
 * over HTTP on 127.0.0.1 only (runner/api/http-server.ts), for the database `opts.db`. Prints
 * `Schedbench is serving DB_FILE at:` and the ready URL alone on the last line of stdout (its random
 * token, 24 bytes base64url, signs a browser in), and on stderr how to reach it through an SSH
 * tunnel. Runs until SIGINT or SIGTERM, then stops the server, cancels running sweeps (their
 * running runs go back to the queue; `sweeps.resume` or `schedbench sweep` finishes them) and
 * closes the database. A second signal while stopping exits at once with code 1.
 *
 * The API reads files (dataset previews and imports, specs' traces) only under the data roots:
 * the database's folder, the repository's data/ and each `opts.dataDirs` folder.
 *
 * With SCHEDBENCH_HOLD_RUNS=1 in the environment every run is held after it simulates, before its
 * result is stored, until the process receives SIGUSR2 (HeldRunsGate.open); from then on runs go
 * through. For tests that must see a sweep running; it says so on stderr.
 *
 * @returns ExitCode.OK once stopped by a signal
 * @throws InputError when the port is taken or not allowed, a --data-dir is not a folder, or on a
 *   bad database
 */
export async function serveCommand(opts: ServeCommandOptions): Promise<number> {
  const extraRoots = (opts.dataDirs ?? []).map((d) => {
    const dir = resolve(d);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new InputError(`--data-dir ${d}: not a folder`, { field: '--data-dir' });
    }
    return dir;
  });
  const store = Store.open(opts.db);
  const dataRoots = [dirname(resolve(store.file)), repositoryPath('data'), ...extraRoots];
  const hold = process.env.SCHEDBENCH_HOLD_RUNS === '1' ? new HeldRunsGate() : undefined;
  const api = createApiService(store, {
    jobs: opts.jobs ?? availableParallelism(),
    cwd: process.cwd(),
    runGate: hold?.gate,
    dataRoots,
  });
  if (hold) {
    process.once('SIGUSR2', () => hold.open());
    process.stderr.write('SCHEDBENCH_HOLD_RUNS=1: runs are held after they simulate until SIGUSR2.\n');
  }
  let server: HttpServer;
  try {
    server = await startHttpServer({
      api,
      port: opts.port,
      token: randomBytes(24).toString('base64url'),
      staticDir: repositoryPath('dist', 'renderer'),
    });
  } catch (error) {
    await api.close();
    store.close();
    throw listenError(error, opts.port);
  }
  process.stdout.write(`Schedbench is serving ${store.file} at:\n${server.url}\n`);
  process.stderr.write(
    `Files (dataset previews and imports, spec traces) are read only under: ${dataRoots.join(', ')}\n` +
      `Only this machine can connect (127.0.0.1). From another machine, forward the port through SSH:\n` +
      `  ssh -N -L ${server.port}:127.0.0.1:${server.port} user@server\n` +
      `then open the URL above there. Press Ctrl+C to stop.\n`,
  );
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const stop = (s: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(s);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  // A second signal while closing stops at once (say, a sweep that does not cancel).
  const force = (): never => process.exit(ExitCode.RUNS_FAILED);
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  process.stderr.write(`${signal}: stopping (running sweeps go back to the queue)\n`);
  try {
    await server.close();
    await api.close();
  } finally {
    store.close();
    process.off('SIGINT', force);
    process.off('SIGTERM', force);
  }
  return ExitCode.OK;
}

/** A listen failure as the InputError the user can act on, or the error itself. */
function listenError(error: unknown, port: number): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return new InputError(`--port ${port}: the port is in use; pick another (--port 0 takes any free port)`, {
      field: '--port',
    });
  }
  if (code === 'EACCES') {
    return new InputError(`--port ${port}: not allowed to listen there; pick a port above 1023`, {
      field: '--port',
    });
  }
  return error;
}
