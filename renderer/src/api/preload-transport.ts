import type { ApiTransport, PreloadApi } from './api-transport.js';

/** The transport of the desktop app: the preload's bridge to the runner process. */
export function preloadTransport(bridge: PreloadApi): ApiTransport {
  return {
    kind: 'electron',
    call: (op, input) => bridge.call(op, input),
    subscribe: (listener) => bridge.onEvent(listener),
  };
}
