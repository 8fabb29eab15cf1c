/**
 * Where the desktop app's renderer comes from: `app://schedbench/`, a custom scheme that the main
 * process registers as privileged (standard, secure, fetch) and serves from dist/renderer
 * (app-protocol.ts), never `file://`.
 *
 * Why a custom scheme (Electron security checklist, item 18 "Avoid usage of the file://
 * protocol and prefer usage of custom protocols", https://www.electronjs.org/docs/latest/tutorial/security):
 * - every `file://` page shares one opaque origin and may read any file the user can, so an
 *   origin check could not tell the app from any other local HTML file, and a `file://` page
 *   gets extra privileges (the `grantFileProtocolExtraPrivileges` fuse);
 * - a `file://` load has no response headers, so the Content-Security-Policy could only be a
 *   `<meta>` tag (which cannot carry `frame-ancestors`); our protocol handler sends it as a
 *   header on every response;
 * - a standard scheme gives the page a real origin (`app://schedbench`), so relative URLs,
 *   `'self'` in the CSP and the IPC origin check (ipc-guard.ts) all mean "this app".
 *
 * Node's WHATWG URL reports the origin of a non-special scheme as `"null"` and keeps its
 * host's case (Chromium lowercases the host of a standard scheme), so origins are compared by
 * scheme and lowercased host here, never through `URL.origin`.
 */

/** The scheme the renderer is served on (registered privileged in main.ts). */
export const APP_SCHEME = 'app';

/** The one host of the scheme: anything else under `app://` is not the app. */
export const APP_HOST = 'schedbench';

/** The app's origin as Chromium reports it for a standard scheme. */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** The URL the main window loads. */
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/** Parses a URL; null when it is not one. */
export function parseUrl(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/**
 * Whether `url` belongs to the app's origin: scheme `app:`, host `schedbench` exactly, no port,
 * no user name or password. Case of the scheme and host does not matter (the URL parser
 * lowercases them); anything that does not parse is not the app.
 */
export function isAppUrl(url: string | null | undefined): boolean {
  if (typeof url !== 'string') return false;
  const parsed = parseUrl(url);
  return (
    parsed !== null &&
    parsed.protocol === `${APP_SCHEME}:` &&
    parsed.hostname.toLowerCase() === APP_HOST &&
    parsed.port === '' &&
    parsed.username === '' &&
    parsed.password === ''
  );
}

/**
 * The app URL of a route of the renderer's hash router (`#/sweeps`), for the menu's
 * "New sweep…": loading it from the app's own page is a same-document navigation.
 */
export function appRouteUrl(route: string): string {
  return `${APP_ENTRY_URL}#/${route.replace(/^[#/]+/, '')}`;
}
