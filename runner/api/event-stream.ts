import type { ServerResponse } from 'node:http';
import type { ApiEventName } from './api-contract.js';
import type { ApiHandler } from './api-service.js';

/** Seconds between keep-alive comments of an idle event stream (proxies and tunnels drop silent ones). */
export const KEEP_ALIVE_S = 15;

/**
 * Bytes an event stream may have waiting for a slow client before it is closed (the client's
 * EventSource reconnects; events are state snapshots, so a dropped one is made good by the next).
 */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * Sends the API's pushed events on `res` as server-sent events (text/event-stream): one
 * `event: NAME` / `data: JSON` block per event, a `: keep-alive` comment every `keepAliveS`
 * seconds, until the client goes away or the returned function ends the stream. The
 * subscription ends with the stream. Headers already set on `res` (security headers) are kept.
 *
 * @param keepAliveS seconds between keep-alive comments
 * @returns a function that ends the stream (used when the server closes)
 */
export function streamEvents(res: ServerResponse, api: ApiHandler, keepAliveS = KEEP_ALIVE_S): () => void {
  const cleanups: (() => void)[] = [];
  let open = true;
  const end = (): void => {
    if (!open) return;
    open = false;
    for (const cleanup of cleanups) cleanup();
    res.end();
  };
  const send = (text: string): void => {
    if (!open) return;
    if (res.writableLength > MAX_BUFFERED_BYTES) end();
    else res.write(text);
  };
  res.on('close', end);
  if (res.destroyed) {
    end(); // the client left before the stream began
    return end;
  }
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.write(': connected\n\n');
  const unsubscribe = api.subscribe((event: ApiEventName, data: unknown) => {
    send(`event: ${event}\ndata: ${JSON.stringify(data ?? null)}\n\n`);
  });
  if (!open) {
    unsubscribe(); // ended by an event sent while subscribing
    return end;
  }
  const keepAlive = setInterval(() => send(': keep-alive\n\n'), keepAliveS * 1000);
  keepAlive.unref();
  cleanups.push(unsubscribe, () => clearInterval(keepAlive));
  return end;
}
