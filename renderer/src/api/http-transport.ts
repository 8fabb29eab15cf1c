import { ApiError } from './api-error.js';
import type { ApiResult, ApiTransport, RawEventListener } from './api-transport.js';

/** State of the event stream, for the status line. */
export type StreamState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Options of {@link httpTransport}. */
export interface HttpTransportOptions {
  /** Names of the server-sent events to listen for (`progress`, `ended`). */
  eventNames: readonly string[];
  /** Told whenever the event stream opens, drops (the browser retries) or is given up. */
  onStreamState?: (state: StreamState) => void;
  /** Origin and path prefix of the server; default: this page's origin. */
  base?: string;
}

const SIGN_IN_HINT =
  'open the URL that `schedbench serve` printed (it signs this browser in; each start of the server makes a new one)';

/**
 * The browser-mode transport (runner/api/http-server.ts): asks `GET /api/session` once for the
 * token (the HttpOnly cookie that the ready URL set authorises that), then sends every operation
 * as `POST /api/OP` with `Authorization: Bearer TOKEN`; events come from an EventSource on
 * `/api/events` (cookie-authorised), opened on the first subscription.
 *
 * Failures to reach the server, a missing or stale sign-in, and answers that are not the API's
 * JSON reject with an ApiError (`network`, `unauthorized`); the API's own failures resolve as
 * `{ ok: false, error }` like every transport.
 */
export function httpTransport(options: HttpTransportOptions): ApiTransport {
  const base = options.base ?? '';
  let token: Promise<string> | null = null;
  const listeners = new Set<RawEventListener>();
  let source: EventSource | null = null;

  const session = (): Promise<string> => {
    token ??= (async () => {
      let res: Response;
      try {
        res = await fetch(`${base}/api/session`, { credentials: 'same-origin', cache: 'no-store' });
      } catch (e) {
        throw new ApiError('session', {
          code: 'network',
          message: `cannot reach the Schedbench server (${String(e)})`,
        });
      }
      if (res.status === 401) {
        throw new ApiError('session', {
          code: 'unauthorized',
          message: `This browser is not signed in: ${SIGN_IN_HINT}.`,
        });
      }
      if (!res.ok) {
        throw new ApiError('session', { code: 'network', message: `GET /api/session: HTTP ${res.status}` });
      }
      const body = (await res.json()) as { token?: unknown };
      if (typeof body.token !== 'string') {
        throw new ApiError('session', {
          code: 'network',
          message: 'GET /api/session: no token in the answer',
        });
      }
      return body.token;
    })();
    // A failed sign-in is retried by the next call (say, after the user opened the ready URL).
    token.catch(() => (token = null));
    return token;
  };

  const openStream = (): void => {
    if (source) return;
    options.onStreamState?.('connecting');
    source = new EventSource(`${base}/api/events`);
    source.onopen = () => options.onStreamState?.('open');
    source.onerror = () => {
      // The browser reconnects by itself unless the answer was an error status (then CLOSED).
      options.onStreamState?.(source?.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
    };
    for (const name of options.eventNames) {
      source.addEventListener(name, (event) => {
        let data: unknown;
        try {
          data = JSON.parse((event as MessageEvent<string>).data);
        } catch {
          return; // not the API's JSON: ignore (the next event is a full snapshot again)
        }
        for (const listener of [...listeners]) listener(name, data);
      });
    }
  };

  return {
    kind: 'http',
    async call(op, input) {
      const bearer = await session();
      let res: Response;
      try {
        res = await fetch(`${base}/api/${encodeURIComponent(op)}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
          body: JSON.stringify(input ?? {}),
          credentials: 'same-origin',
          cache: 'no-store',
        });
      } catch (e) {
        throw new ApiError(op, {
          code: 'network',
          message: `${op}: cannot reach the Schedbench server (${String(e)})`,
        });
      }
      if (res.status === 401) {
        token = null;
        throw new ApiError(op, {
          code: 'unauthorized',
          message: `${op}: the server refused the token (it was restarted?): ${SIGN_IN_HINT}.`,
        });
      }
      const type = res.headers.get('content-type') ?? '';
      if (!type.startsWith('application/json')) {
        const text = (await res.text()).trim();
        throw new ApiError(op, {
          code: 'network',
          message: `${op}: HTTP ${res.status}: ${text.slice(0, 300)}`,
        });
      }
      return (await res.json()) as ApiResult;
    },
    subscribe(listener) {
      listeners.add(listener);
      openStream();
      return () => listeners.delete(listener);
    },
  };
}
