import type { MachineRegistry } from '../machines/machine-registry.js';
import type { Store } from '../store/store.js';
import { SweepManager, type SweepManagerOptions, type SweepSnapshot } from '../sweeps/sweep-manager.js';
import {
  isApiOp,
  parseApiInput,
  type ApiErrorOut,
  type ApiEventName,
  type ApiEvents,
  type ApiOp,
} from './api-contract.js';
import { errorOut } from './api-errors.js';
import type { HandlerContext, OperationHandlers } from './handler-context.js';
import { databaseHandlers } from './database-handlers.js';
import { datasetsHandlers } from './datasets-handlers.js';
import { machinesHandlers } from './machines-handlers.js';
import { runsHandlers } from './runs-handlers.js';
import { progressOut, sweepsHandlers } from './sweeps-handlers.js';

/** The result of one API call on any transport. */
export type ApiResult = { ok: true; value: unknown } | { ok: false; error: ApiErrorOut };

/** What every transport (IPC relay, HTTP, CLI) talks to. */
export interface ApiHandler {
  /** Validates the input against the contract and runs the operation; never throws. */
  call(op: string, input: unknown): Promise<ApiResult>;
  /** Subscribes to pushed events; returns an unsubscribe function. */
  subscribe(listener: (event: ApiEventName, data: unknown) => void): () => void;
}

/** Options of {@link createApiService}. */
export interface ApiServiceOptions {
  /** Runs simulated in parallel per sweep (worker threads). */
  jobs: number;
  /** Directory relative spec paths resolve against when a call gives none. */
  cwd: string;
  /** Holds each run after it simulates until the promise settles (SweepManager's `runGate`). */
  runGate?: SweepManagerOptions['runGate'];
  /** Folders files may be read from (HandlerContext's `dataRoots`); absent: any. */
  dataRoots?: readonly string[];
}

/**
 * The runner's API (runner/api/api-contract.ts) on one open store: sweeps run in the background
 * through a SweepManager, whose progress is pushed to subscribers as `progress` and `ended`
 * events. Every call's input is validated first; errors come back as ApiErrorOut (errorOut in
 * api-errors.ts), never thrown. The operations are handled by one module per resource
 * (sweeps-, runs-, datasets-, machines- and database-handlers.ts); this function only assembles
 * them around one shared context.
 *
 * @param store the results database; the service is its only writer while it runs
 * @returns the handler, and `close` to cancel running sweeps (their running runs go back to the queue)
 */
export function createApiService(
  store: Store,
  options: ApiServiceOptions,
): ApiHandler & { close(): Promise<void> } {
  const registry = (): MachineRegistry => store;
  const manager = new SweepManager(store, { jobs: options.jobs, registry, runGate: options.runGate });
  const listeners = new Set<(event: ApiEventName, data: unknown) => void>();
  const emit = <E extends ApiEventName>(event: E, data: ApiEvents[E]): void => {
    for (const l of listeners) l(event, data);
  };
  manager.on('progress', (s: SweepSnapshot) => emit('progress', progressOut(s)));
  manager.on('ended', (e: ApiEvents['ended']) => emit('ended', e));

  const context: HandlerContext = {
    store,
    manager,
    registry,
    cwd: options.cwd,
    dataRoots: options.dataRoots,
  };
  const handlers: OperationHandlers<ApiOp> = {
    ...databaseHandlers(context),
    ...sweepsHandlers(context),
    ...runsHandlers(context),
    ...machinesHandlers(context),
    ...datasetsHandlers(context),
  };

  return {
    async call(op: string, input: unknown): Promise<ApiResult> {
      if (!isApiOp(op)) {
        return { ok: false, error: { code: 'not-found', message: `unknown API operation "${op}"` } };
      }
      const parsed = parseApiInput(op, input);
      if (!parsed.ok) return parsed;
      try {
        const handler = handlers[op] as (input: unknown) => unknown;
        return { ok: true, value: await handler(parsed.value) };
      } catch (e) {
        return { ok: false, error: errorOut(e, store.file) };
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => manager.close(),
  };
}
