import { isAppUrl } from './app-origin.js';
import { externalLinkTarget } from './external-links.js';

/**
 * What the app does when a page tries to leave the app or open a window.
 *
 * Sources: Electron security checklist, item 13 "Disable or limit navigation" and item 14
 * "Disable or limit creation of new windows"
 * (https://www.electronjs.org/docs/latest/tutorial/security#13-disable-or-limit-navigation).
 * The renderer routes with the URL hash (renderer/src/router.ts), which never fires
 * `will-navigate`; a real navigation is only ever a reload of the app's own page. So:
 * - a navigation inside the app's origin is allowed;
 * - any other navigation, and every new window, is refused; when the target is an allowed
 *   external link (external-links.ts) it is opened in the user's browser instead.
 */

/** The decision for a navigation or a window. */
export interface NavigationDecision {
  /** Whether the navigation may proceed in the app's window (always false for a new window). */
  allow: boolean;
  /** The normalised URL to open with `shell.openExternal`, when it is an allowed external link. */
  openExternal: string | null;
}

/** Decision for `will-navigate`, `will-frame-navigate` and `will-redirect`. */
export function navigationDecision(url: string): NavigationDecision {
  if (isAppUrl(url)) return { allow: true, openExternal: null };
  return { allow: false, openExternal: externalLinkTarget(url) };
}

/** Decision for `setWindowOpenHandler` (`window.open`, `target=_blank` links): never a window. */
export function windowOpenDecision(url: string): NavigationDecision {
  return { allow: false, openExternal: externalLinkTarget(url) };
}

/**
 * Whether a download may start (`will-download`): only Blob URLs the app's own page made (the
 * Export buttons save the runner's report text that way, renderer/src/download.ts), which
 * Chromium writes as `blob:app://schedbench/UUID`.
 */
export function downloadAllowed(url: string): boolean {
  return url.startsWith('blob:') && isAppUrl(url.slice('blob:'.length));
}
