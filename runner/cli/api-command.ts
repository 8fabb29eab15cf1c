import { InputError } from '../errors.js';
import type { ApiErrorOut, ApiEvents } from '../api/api-contract.js';
import { createApiService } from '../api/api-service.js';
import type { Store } from '../store/store.js';
import { ExitCode } from './exit-codes.js';

/** Exit code of a failed API call: input problems are the caller's (2), the rest are failures (1). */
export function exitCodeOf(error: ApiErrorOut): number {
  return error.code === 'bad-input' || error.code === 'not-found' ? ExitCode.BAD_INPUT : ExitCode.RUNS_FAILED;
}

/**
 * `schedbench api OP [JSON]`: the CLI transport of the runner's API (runner/api/api-contract.ts):
 * one operation, its input as a JSON argument (default `{}`), its output as JSON on stdout, or
 * the error (ApiErrorOut) as JSON on stderr. `sweeps.start` and `sweeps.resume` wait until the
 * sweep's execution ends (a CLI process cannot leave it running in the background).
 * @returns the exit code: 0, 2 for bad input or an unknown sweep or run, 1 otherwise
 * @throws InputError when JSON is not valid JSON
 */
export async function apiCommand(
  store: Store,
  op: string,
  json: string | undefined,
  options: { jobs: number; cwd: string },
): Promise<number> {
  let input: unknown = {};
  if (json !== undefined) {
    try {
      input = JSON.parse(json);
    } catch (e) {
      throw new InputError(`api ${op}: the input is not valid JSON: ${(e as Error).message}`, {
        field: 'JSON',
      });
    }
  }
  const api = createApiService(store, options);
  try {
    let ended: ((e: ApiEvents['ended']) => void) | undefined;
    const endedEvents: ApiEvents['ended'][] = [];
    const unsubscribe = api.subscribe((event, data) => {
      if (event !== 'ended') return;
      endedEvents.push(data as ApiEvents['ended']);
      ended?.(data as ApiEvents['ended']);
    });
    const result = await api.call(op, input);
    if (!result.ok) {
      unsubscribe();
      process.stderr.write(`${JSON.stringify(result.error, null, 2)}\n`);
      return exitCodeOf(result.error);
    }
    if (op === 'sweeps.start' || op === 'sweeps.resume') {
      const sweepId = (result.value as { sweepId: number }).sweepId;
      const outcome =
        endedEvents.find((e) => e.sweepId === sweepId) ??
        (await new Promise<ApiEvents['ended']>((resolve) => {
          ended = (e) => {
            if (e.sweepId === sweepId) resolve(e);
          };
        }));
      unsubscribe();
      process.stdout.write(`${JSON.stringify({ ...(result.value as object), ...outcome }, null, 2)}\n`);
      return outcome.failed > 0 ? ExitCode.RUNS_FAILED : ExitCode.OK;
    }
    unsubscribe();
    process.stdout.write(`${JSON.stringify(result.value, null, 2)}\n`);
    return ExitCode.OK;
  } finally {
    await api.close();
  }
}
