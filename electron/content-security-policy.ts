/**
 * The Content-Security-Policy of the desktop app's pages, sent as a response header by the
 * `app://` protocol handler (app-protocol.ts) on every file of dist/renderer.
 *
 * Source: Electron security checklist, item 7 "Define a Content Security Policy"
 * (https://www.electronjs.org/docs/latest/tutorial/security#7-define-a-content-security-policy),
 * and MDN's CSP reference. It matches what the renderer build needs (renderer/vite.config.ts:
 * scripts and styles as files, no inline script, relative asset URLs) and what
 * `schedbench serve` sends (runner/api/http-server.ts), plus `object-src 'none'`:
 * - scripts only from the app's own origin (`'self'` is `app://schedbench`): no inline script,
 *   no `eval`, nothing remote;
 * - styles from the app, plus inline style attributes, which Chart.js and Tabulator set on
 *   the elements they size (a style cannot run code);
 * - images from the app and `data:` URLs (Chart.js exports a chart as a PNG data URL);
 * - `connect-src 'self'`: the renderer talks to the runner over the preload's IPC bridge,
 *   never the network;
 * - no framing (`frame-ancestors 'none'`), no `<base>` (`base-uri 'none'`), no form posts
 *   (`form-action 'none'`), no plugins (`object-src 'none'`).
 */

/** The directives, in the order they are written. */
export const CSP_DIRECTIVES: readonly (readonly [string, string])[] = [
  ['default-src', "'self'"],
  ['script-src', "'self'"],
  ['style-src', "'self' 'unsafe-inline'"],
  ['img-src', "'self' data:"],
  ['connect-src', "'self'"],
  ['frame-ancestors', "'none'"],
  ['base-uri', "'none'"],
  ['form-action', "'none'"],
  ['object-src', "'none'"],
];

/** The policy as one header value. */
export const CONTENT_SECURITY_POLICY = CSP_DIRECTIVES.map(([name, value]) => `${name} ${value}`).join('; ');

/** Headers of every response of the `app://` protocol. */
export const APP_RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
};
