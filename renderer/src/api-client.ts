import type { ApiEventName, ApiEvents, ApiOp, ApiOutput, ApiRequest } from '../../runner/api/api-contract.js';
import { ApiError } from './api/api-error.js';
import type { ApiTransport } from './api/api-transport.js';
import { httpTransport, type StreamState } from './api/http-transport.js';
import { preloadTransport } from './api/preload-transport.js';

export { ApiError } from './api/api-error.js';

/** Events the runner pushes (api-contract.ts, ApiEvents). */
export const API_EVENT_NAMES = ['progress', 'ended'] as const satisfies readonly ApiEventName[];

/**
 * The runner's API, typed by the contract (runner/api/api-contract.ts), on whichever transport
 * this renderer runs with.
 */
export interface ApiClient {
  /** `electron` (the preload bridge) or `http` (browser mode). */
  readonly transport: ApiTransport['kind'];
  /**
   * Runs an operation.
   * @returns its output
   * @throws ApiError carrying the runner's ApiErrorOut (code, message, line, field), or a
   *   transport failure (`unauthorized`, `network`)
   */
  call<Op extends ApiOp>(op: Op, input: ApiRequest<Op>): Promise<ApiOutput<Op>>;
  /** Listens to one pushed event; returns the unsubscribe function. */
  onEvent<E extends ApiEventName>(name: E, listener: (data: ApiEvents[E]) => void): () => void;
}

/** Wraps a transport into the typed client. */
export function apiClientOver(transport: ApiTransport): ApiClient {
  return {
    transport: transport.kind,
    async call<Op extends ApiOp>(op: Op, input: ApiRequest<Op>): Promise<ApiOutput<Op>> {
      const result = await transport.call(op, input);
      if (!result.ok) throw new ApiError(op, result.error);
      return result.value as ApiOutput<Op>;
    },
    onEvent<E extends ApiEventName>(name: E, listener: (data: ApiEvents[E]) => void): () => void {
      return transport.subscribe((event, data) => {
        if (event === name) listener(data as ApiEvents[E]);
      });
    },
  };
}

/**
 * The client for this page: over `window.schedbench` when the Electron preload provides it,
 * else over HTTP to the `schedbench serve` that served the page.
 *
 * @param onStreamState told how the browser-mode event stream fares (not called in Electron)
 */
export function createApiClient(onStreamState?: (state: StreamState) => void): ApiClient {
  const bridge = window.schedbench;
  const transport = bridge
    ? preloadTransport(bridge)
    : httpTransport({ eventNames: API_EVENT_NAMES, ...(onStreamState ? { onStreamState } : {}) });
  return apiClientOver(transport);
}
