import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { repositoryPath } from '../repository-path.js';

/**
 * The compiled worker-thread entry of simulated runs (run-worker.js): beside this module when it
 * runs from dist/, else dist/'s copy (tests run the sources).
 *
 * @throws Error when no compiled run-worker.js exists (run `npm run build`)
 */
export function runWorkerUrl(): string {
  const url = new URL('./run-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(url))) return url.href;
  const built = repositoryPath('dist', 'runner', 'sweeps', 'run-worker.js');
  if (existsSync(built)) return pathToFileURL(built).href;
  throw new Error(
    `parallel sweeps need the compiled worker ${fileURLToPath(url)}: run \`npm run build\`, or use --jobs 1`,
  );
}

/**
 * Node options of a run thread: require(esm) off where this Node has it (20.19+ and 22.12+ turn
 * it on by default). piscina loads a task file with `require()` first and falls back to
 * `import()`; a thread terminated while `require()` is instantiating an ES module aborts the
 * whole process (Node's fatal "v8::Module::IsGraphAsync must be used on an instantiated module"),
 * which a sweep refused for bad input (threads started early, then destroyed at once) or a cancel
 * right after the start can hit. With require(esm) off, `require()` throws at once and the module
 * loads through `import()`, which a termination interrupts cleanly.
 */
export const RUN_THREAD_EXEC_ARGV: readonly string[] = process.allowedNodeEnvironmentFlags.has(
  '--no-experimental-require-module',
)
  ? ['--no-experimental-require-module']
  : [];

/**
 * Starts the worker threads that simulate a sweep's runs (piscina over run-worker.js): `minThreads`
 * at once, more on demand up to `maxThreads`. A caller that knows it will run a sweep starts them
 * before it plans (the CLI's `sweep` does, before it even loads the planner), so that a thread's
 * start-up (loading the engine, the schedulers and the store's codec: about 0.1 s) overlaps the
 * planning on another core instead of delaying the first run. The caller passes them to
 * executeSweep (`threads`) and destroys them when it is done (`await threads.destroy()`).
 *
 * @param maxThreads most threads (>= 1): the sweep's jobs
 * @param minThreads threads started now (1 by default; at most maxThreads)
 * @throws Error when no compiled run-worker.js exists
 */
export function startRunThreads(maxThreads: number, minThreads = 1): Piscina {
  return new Piscina({
    filename: runWorkerUrl(),
    minThreads: Math.min(minThreads, maxThreads),
    maxThreads,
    execArgv: [...RUN_THREAD_EXEC_ARGV],
  });
}
