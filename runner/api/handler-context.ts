/**
 * What the API's handler modules share: the shape of a group of operation handlers, the context
 * they run in, and the store lookups that fail as the contract reports a missing sweep or run.
 * Handlers are grouped by resource (sweeps-handlers.ts, runs-handlers.ts, datasets-handlers.ts,
 * machines-handlers.ts, database-handlers.ts); createApiService (api-service.ts) assembles them.
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { InputError } from '../errors.js';
import type { MachineRegistry } from '../machines/machine-registry.js';
import type { RunRow } from '../store/run-row.js';
import type { Store } from '../store/store.js';
import type { SweepRow } from '../store/sweep-row.js';
import type { SweepManager } from '../sweeps/sweep-manager.js';
import type { ApiInput, ApiOp, ApiOutputs } from './api-contract.js';
import { NotFoundError } from './api-errors.js';

/**
 * The handlers of some operations: each takes the validated input (defaults applied) and returns
 * the contract's output, or throws (errorOut in api-errors.ts says how each error is reported).
 */
export type OperationHandlers<Op extends ApiOp> = {
  [O in Op]: (input: ApiInput<O>) => ApiOutputs[O] | Promise<ApiOutputs[O]>;
};

/** What every handler group runs against. */
export interface HandlerContext {
  /** The results database; the service is its only writer while it runs. */
  readonly store: Store;
  /** Executes the sweeps started or resumed through the API, in the background. */
  readonly manager: SweepManager;
  /** Where specs look up worker machines and calibrations (the store). */
  readonly registry: () => MachineRegistry;
  /** Directory relative paths (spec dirs, trace and database files) resolve against. */
  readonly cwd: string;
  /**
   * The folders the API may read files from (`schedbench serve`: the database's folder, the
   * built-in data and each `--data-dir`); absent: any file (the desktop app, `schedbench api`,
   * whose caller is the user). See {@link dataRootPath}.
   */
  readonly dataRoots?: readonly string[];
}

/**
 * `path` (resolved against the context's working directory) when it lies inside one of the
 * context's data roots after resolving symbolic links, checked before anything reads it.
 * A path that does not exist is checked as written (the reader then reports it missing).
 * @param what what the path is, for the message (`datasets.preview path`)
 * @throws InputError naming the path and the roots when it lies outside them
 */
export function dataRootPath(
  ctx: Pick<HandlerContext, 'cwd' | 'dataRoots'>,
  path: string,
  what: string,
): string {
  const absolute = resolve(ctx.cwd, path);
  const roots = ctx.dataRoots;
  if (roots === undefined) return absolute;
  const real = (p: string): string | null => {
    try {
      return realpathSync(p);
    } catch {
      return null;
    }
  };
  const inside = (file: string, root: string): boolean => {
    const rel = relative(root, file);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  };
  const rootPaths = roots.flatMap((r) => {
    const rr = real(r);
    return rr === null || rr === resolve(r) ? [resolve(r)] : [resolve(r), rr];
  });
  const file = real(absolute);
  const ok =
    file === null
      ? rootPaths.some((r) => inside(absolute, r))
      : roots.some((r) => {
          const rr = real(r);
          return rr !== null && inside(file, rr);
        });
  if (!ok) {
    throw new InputError(
      `${what} ${path}: outside the folders this server reads files from (${roots.join(', ')}); ` +
        'start `schedbench serve` with --data-dir FOLDER to allow another folder',
      { field: what },
    );
  }
  return absolute;
}

/** @throws NotFoundError when the store has no sweep `sweepId` */
export function requireSweep(store: Store, sweepId: number): SweepRow {
  const sweep = store.getSweep(sweepId);
  if (!sweep) throw new NotFoundError(`no sweep with id ${sweepId}`);
  return sweep;
}

/** @throws NotFoundError when the store has no run `runId` */
export function requireRun(store: Store, runId: number): RunRow {
  const run = store.getRun(runId);
  if (!run) throw new NotFoundError(`no run with id ${runId}`);
  return run;
}

/**
 * A run whose results are stored.
 * @throws NotFoundError when the store has no run `runId`
 * @throws InputError when the run is not done (it has no results)
 */
export function requireDoneRun(store: Store, runId: number): RunRow {
  const run = requireRun(store, runId);
  if (run.status !== 'done') throw new InputError(`run ${runId} has no results (status ${run.status})`);
  return run;
}
