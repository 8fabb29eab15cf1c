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

/** localStorage key of the token (per origin: scheme, host and port). */
export const TOKEN_KEY = 'schedbench.token';

/** Seconds between attempts to reopen a dropped event stream. */
const RECONNECT_S = 3;

/**
 * The token this origin's pages keep: taken from the ready URL's `?token=` (then removed from the address
 * bar and the history entry) into localStorage, else the one kept earlier; null when neither.
 */
function signIn(): string | null {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl !== null) {
    url.searchParams.delete('token');
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
    try {
      localStorage.setItem(TOKEN_KEY, fromUrl);
    } catch {
      // storage refused (privacy mode): the token lives as long as this page
    }
    return fromUrl;
  }
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/**
 * The browser-mode transport (runner/api/http-server.ts): keeps the token of the ready URL in
 * the origin's localStorage (signIn; never a cookie, which every port of the host would receive)
 * and sends every operation as `POST /api/OP` with `Authorization: Bearer TOKEN`; events come
 * from `GET /api/events` read with fetch and the same header (server-sent events; EventSource
 * cannot send headers), opened on the first subscription and reopened after a drop.
 *
 * Failures to reach the server, a missing or stale sign-in, and answers that are not the API's
 * JSON reject with an ApiError (`network`, `unauthorized`); the API's own failures resolve as
 * `{ ok: false, error }` like every transport.
 */
export function httpTransport(options: HttpTransportOptions): ApiTransport {
  const base = options.base ?? '';
  const token = signIn();
  const listeners = new Set<RawEventListener>();
  let streaming = false;

  const session = (op: string): string => {
    if (token === null) {
      throw new ApiError(op, {
        code: 'unauthorized',
        message: `This browser is not signed in: ${SIGN_IN_HINT}.`,
      });
    }
    return token;
  };

  const dispatch = (block: string): void => {
    let name = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') name = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0 || !options.eventNames.includes(name)) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.join('\n'));
    } catch {
      return; // not the API's JSON: ignore (the next event is a full snapshot again)
    }
    for (const listener of [...listeners]) listener(name, parsed);
  };

  /** Reads the stream until it ends; @returns false when it must not be reopened (401, no token). */
  const readStream = async (): Promise<boolean> => {
    if (token === null) return false;
    const res = await fetch(`${base}/api/events`, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      credentials: 'omit',
      cache: 'no-store',
    });
    if (res.status === 401 || res.status === 403) return false;
    if (!res.ok || res.body === null) return true;
    options.onStreamState?.('open');
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return true;
      buffer += value.replace(/\r\n?/g, '\n');
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        dispatch(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  };

  const openStream = (): void => {
    if (streaming) return;
    streaming = true;
    options.onStreamState?.('connecting');
    void (async () => {
      for (;;) {
        let again: boolean;
        try {
          again = await readStream();
        } catch {
          again = true; // the server went away or the connection dropped
        }
        if (!again) {
          options.onStreamState?.('closed');
          return;
        }
        options.onStreamState?.('reconnecting');
        await new Promise((resolve) => setTimeout(resolve, RECONNECT_S * 1000));
      }
    })();
  };

  return {
    kind: 'http',
    async call(op, input) {
      const bearer = session(op);
      let res: Response;
      try {
        res = await fetch(`${base}/api/${encodeURIComponent(op)}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
          body: JSON.stringify(input ?? {}),
          credentials: 'omit',
          cache: 'no-store',
        });
      } catch (e) {
        throw new ApiError(op, {
          code: 'network',
          message: `${op}: cannot reach the Schedbench server (${String(e)})`,
        });
      }
      if (res.status === 401) {
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
