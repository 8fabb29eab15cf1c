import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * The credentials of `schedbench serve` (http-server.ts): one random token per server, sent as
 * `Authorization: Bearer TOKEN`, or, where a browser cannot set headers (the page itself, its
 * event stream), as the cookie {@link TOKEN_COOKIE} that the ready URL sets.
 */

/** Name of the cookie that holds the token (HttpOnly, SameSite=Strict, Path=/). */
export const TOKEN_COOKIE = 'schedbench_token';

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

/** The value of cookie `name` in the request's Cookie header, if present (not percent-decoded). */
export function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return undefined;
}

/** The Set-Cookie header value that stores `token` for this origin's pages and API. */
export function tokenCookie(token: string): string {
  return `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}
