import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * The credentials of `schedbench serve` (http-server.ts): one random token per server, sent as
 * `Authorization: Bearer TOKEN` on every API request, the event stream included. No cookie is
 * ever set: cookies are scoped by host, not port, so any other service on 127.0.0.1 would receive
 * one. The page keeps the token in localStorage (per origin, port included), taken
 * from the ready URL's `?token=` (renderer/src/api/http-transport.ts).
 */

/**
 * Whether `candidate` is `token`, in time independent of where they differ (both are hashed to
 * SHA-256 first, so their lengths do not leak either).
 */
export function sameToken(candidate: string | undefined, token: string): boolean {
  if (candidate === undefined) return false;
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(candidate), digest(token));
}

/** The token of an `Authorization: Bearer TOKEN` header, if the request has one. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const m = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}
